#include "chrome_trace_exporter.h"

#include "trace/state_model.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <unordered_map>

namespace forkscope {

namespace {

using nlohmann::json;
using Track = std::pair<std::int32_t, std::int32_t>; // (pid, tid)

enum class SliceKind : std::uint8_t { Wait, Hold, Zombie };

struct SliceKey {
    SliceKind kind = SliceKind::Wait;
    std::uint64_t object = 0;
    friend bool operator==(const SliceKey&, const SliceKey&) = default;
};

struct OpenSlice {
    SliceKey key;
    std::string name; ///< as JSON text (quoted)
    std::string args; ///< a JSON object as text
};

/// The counter values last written for one object.
struct CounterValue {
    std::int64_t first = -1;
    std::int64_t second = -1;
    friend bool operator==(const CounterValue&, const CounterValue&) = default;
};

bool isQueueKind(ObjectKind kind) {
    return kind == ObjectKind::Queue || kind == ObjectKind::SimpleQueue || kind == ObjectKind::JoinableQueue;
}

/// Whether `type`, emitted by a thread blocked on `type`'s object, means its wait is over.
bool endsWait(EventType type) {
    switch (type) {
    case EventType::Running:
    case EventType::LockAcquire:
    case EventType::SemaphoreAcquire:
    case EventType::ConditionWake:
    case EventType::EventWake:
    case EventType::QueuePut:
    case EventType::QueueGet:
    case EventType::PipeSend:
    case EventType::PipeRecv:
    case EventType::ProcessReaped:
    case EventType::QueueFeederUnblocked:
        return true;
    default:
        return false;
    }
}

bool startsWait(EventType type) {
    return type == EventType::Blocked || type == EventType::LockWait || type == EventType::SemaphoreWait ||
           type == EventType::ConditionWait || type == EventType::EventWait ||
           type == EventType::BarrierWait || type == EventType::QueueFeederBlocked;
}

/// One export: the names, the open slices per thread and the last counter values.
class Conversion {
public:
    Conversion(TraceReader& reader, std::ostream& out) : reader_(reader), out_(out) {}

    ChromeTraceStats run() {
        for (const ProcessInfo& p : reader_.processes()) {
            processNames_[p.pid] = p.name;
            if (p.startMethod < 0 && hostPid_ == 0) {
                hostPid_ = p.pid;
            }
        }
        for (ObjectInfo& o : reader_.objects()) {
            objects_.emplace(o.id, std::move(o));
        }
        makeLabels();
        const std::map<std::string, std::string> meta = reader_.meta();
        const auto range = reader_.timeRange();
        origin_ = range ? range->first : 0;
        const std::int64_t last = range ? range->second : 0;

        out_ << "{\"displayTimeUnit\":\"ms\",\"otherData\":" << dump(otherData(meta)) << ",\"traceEvents\":[";
        for (const auto& [pid, name] : processNames_) {
            nameProcess(pid);
        }
        if (range) {
            reader_.forEachEvent(0, last, [&](std::uint64_t seq, const Event& e) {
                handle(seq, e);
                return true;
            });
        }
        closeEverything(last);
        diagnosis(meta, last);
        out_ << "\n]}\n";
        out_.flush();
        if (!out_) {
            throw std::runtime_error("writing the Chrome trace failed");
        }
        return stats_;
    }

private:
    static std::string dump(const json& j) {
        // Names come from the trace: never let a byte that is not UTF-8 abort the export.
        return j.dump(-1, ' ', false, json::error_handler_t::replace);
    }

    static json otherData(const std::map<std::string, std::string>& meta) {
        json data = json::object();
        for (const char* key :
             {"scenario", "start_method", "variant", "forkscope_version", "format_version"}) {
            if (auto it = meta.find(key); it != meta.end()) {
                data[key] = it->second;
            }
        }
        return data;
    }

    void put(const json& event) { putText(dump(event)); }

    /// The frequent events (slices, counters) are written as text: building a json value per
    /// event would cost more than everything else the export does.
    void putText(const std::string& event) {
        out_ << (stats_.eventsWritten == 0 ? "\n" : ",\n") << event;
        ++stats_.eventsWritten;
    }

    /// A JSON string literal for `text`, cached: the same names come back for every event.
    const std::string& quote(const std::string& text) {
        auto it = quoted_.find(text);
        if (it == quoted_.end()) {
            it = quoted_.emplace(text, dump(json(text))).first;
        }
        return it->second;
    }

    /// Microseconds with the nanoseconds kept exactly: "12.345".
    [[nodiscard]] std::string microsText(std::int64_t ts) const {
        const std::int64_t ns = std::max<std::int64_t>(0, ts - origin_);
        char text[32];
        std::snprintf(text, sizeof text, "%" PRId64 ".%03" PRId64, ns / 1000, ns % 1000);
        return text;
    }

    [[nodiscard]] std::string where(const Track& track, std::int64_t ts) const {
        return ",\"ts\":" + microsText(ts) + ",\"pid\":" + std::to_string(track.first) +
               ",\"tid\":" + std::to_string(track.second);
    }

    [[nodiscard]] double micros(std::int64_t ts) const {
        return static_cast<double>(std::max<std::int64_t>(0, ts - origin_)) / 1000.0;
    }

    std::string processName(std::int32_t pid) const {
        auto it = processNames_.find(pid);
        return it != processNames_.end() && !it->second.empty() ? it->second : "pid " + std::to_string(pid);
    }

    std::string objectLabel(std::uint64_t id) const {
        if (id < kFirstObjectId) {
            return processName(static_cast<std::int32_t>(id));
        }
        auto it = labels_.find(id);
        return it == labels_.end() ? "object " + std::to_string(id) : it->second;
    }

    /// "queue 'q'"; two objects of one kind and name get their id too, so their tracks differ.
    void makeLabels() {
        std::map<std::string, int> uses;
        for (const auto& [id, info] : objects_) {
            uses[std::string(objectKindWord(info.kind)) + " '" + info.name + "'"] += 1;
        }
        for (const auto& [id, info] : objects_) {
            std::string label = std::string(objectKindWord(info.kind)) + " '" + info.name + "'";
            if (uses[label] > 1) {
                label += " #" + std::to_string(id - kFirstObjectId);
            }
            labels_.emplace(id, std::move(label));
        }
    }

    void nameProcess(std::int32_t pid) {
        if (!namedPids_.insert(pid).second) {
            return;
        }
        put({{"name", "process_name"},
             {"ph", "M"},
             {"pid", pid},
             {"tid", pid},
             {"args", {{"name", processName(pid)}}}});
    }

    void nameThread(const Track& track) {
        nameProcess(track.first);
        if (!namedThreads_.insert(track).second) {
            return;
        }
        const std::string process = processName(track.first);
        const std::string name =
            track.first == track.second ? process : process + " thread " + std::to_string(track.second);
        put({{"name", "thread_name"},
             {"ph", "M"},
             {"pid", track.first},
             {"tid", track.second},
             {"args", {{"name", name}}}});
    }

    void begin(const Track& track, std::int64_t ts, const OpenSlice& slice) {
        nameThread(track);
        putText("{\"name\":" + slice.name + ",\"cat\":\"state\",\"ph\":\"B\"" + where(track, ts) +
                ",\"args\":" + slice.args + "}");
    }

    /// `args`: a JSON object as text, or empty.
    void end(const Track& track, std::int64_t ts, std::string_view args) {
        std::string e = "{\"ph\":\"E\"" + where(track, ts);
        if (!args.empty()) {
            e += ",\"args\":";
            e += args;
        }
        putText(e + "}");
    }

    /// `args`: the members of the slice's args object as JSON text ("" for none).
    void open(const Track& track, std::int64_t ts, SliceKey key, const std::string& name,
              const std::string& args) {
        OpenSlice slice{key, quote(name), "{" + args + "}"};
        begin(track, ts, slice);
        open_[track].push_back(std::move(slice));
    }

    /// Ends the slice `key` on `track`. Slices opened after it on the same thread end with it
    /// and begin again right away, so B/E always nest (Chrome and Perfetto require it).
    bool close(const Track& track, SliceKey key, std::int64_t ts, std::string_view args = {}) {
        auto found = open_.find(track);
        if (found == open_.end()) {
            return false;
        }
        std::vector<OpenSlice>& stack = found->second;
        auto it =
            std::find_if(stack.rbegin(), stack.rend(), [&](const OpenSlice& s) { return s.key == key; });
        if (it == stack.rend()) {
            return false;
        }
        const auto index = static_cast<std::size_t>(std::distance(it, stack.rend()) - 1);
        for (std::size_t i = stack.size() - 1; i > index; --i) {
            end(track, ts, R"({"continues":true})");
        }
        end(track, ts, args);
        std::vector<OpenSlice> above(
            std::make_move_iterator(stack.begin() + static_cast<std::ptrdiff_t>(index) + 1),
            std::make_move_iterator(stack.end()));
        stack.resize(index);
        for (OpenSlice& slice : above) {
            if (slice.args.find("\"continued\"") == std::string::npos) {
                slice.args.insert(1, slice.args.size() > 2 ? "\"continued\":true," : "\"continued\":true");
            }
            begin(track, ts, slice);
            stack.push_back(std::move(slice));
        }
        if (stack.empty()) {
            open_.erase(found);
        }
        return true;
    }

    void instant(const Track& track, std::int64_t ts, std::string name, json args, const char* scope = "p") {
        nameThread(track);
        put({{"name", std::move(name)},
             {"cat", std::string(scope) == "g" ? "diagnosis" : "process"},
             {"ph", "i"},
             {"s", scope},
             {"ts", micros(ts)},
             {"pid", track.first},
             {"tid", track.second},
             {"args", std::move(args)}});
    }

    /// A counter event when the value changed (one per change, not one per event), with one or
    /// two named values.
    void counter(std::uint64_t object, std::int32_t pid, std::int64_t ts, const std::string& name,
                 CounterValue value, const char* firstKey, const char* secondKey = nullptr) {
        auto [it, inserted] = counters_.try_emplace(object, value);
        if (!inserted && it->second == value) {
            return;
        }
        it->second = value;
        nameProcess(pid);
        std::string args = std::string("{\"") + firstKey + "\":" + std::to_string(value.first);
        if (secondKey != nullptr) {
            args += std::string(",\"") + secondKey + "\":" + std::to_string(value.second);
        }
        putText("{\"name\":" + quote(name) + ",\"cat\":\"metric\",\"ph\":\"C\",\"ts\":" + microsText(ts) +
                ",\"pid\":" + std::to_string(pid) + ",\"args\":" + args + "}}");
    }

    std::int32_t ownerPid(std::uint64_t object, std::int32_t fallback) const {
        auto it = objects_.find(object);
        return it != objects_.end() && it->second.creatorPid != 0 ? it->second.creatorPid : fallback;
    }

    void startWait(const Track& track, const Event& e) {
        if (auto it = waits_.find(track); it != waits_.end()) {
            close(track, {SliceKind::Wait, it->second}, e.ts, R"({"superseded":true})");
            waits_.erase(it);
        }
        const std::string what = objectLabel(e.object);
        std::string name;
        std::string args = "\"object\":" + quote(what);
        if (e.type == EventType::QueueFeederBlocked) {
            // The feeder cannot write into a full pipe: what keeps a putter's process from exiting.
            name = "feeder blocked: pipe of " + what + " full";
            args += ",\"pending_bytes\":" + std::to_string(e.arg);
        } else {
            const EventType operation = e.type == EventType::Blocked ? static_cast<EventType>(e.arg) : e.type;
            name = e.object < kFirstObjectId && operation == EventType::ProcessReaped ? "join " + what
                                                                                      : "blocked on " + what;
            args += ",\"operation\":" + quote(std::string(eventTypeName(operation)));
        }
        open(track, e.ts, {SliceKind::Wait, e.object}, name, args);
        waits_[track] = e.object;
    }

    void endWait(const Track& track, std::int64_t ts, std::string_view args = {}) {
        if (auto it = waits_.find(track); it != waits_.end()) {
            close(track, {SliceKind::Wait, it->second}, ts, args);
            waits_.erase(it);
        }
    }

    /// The process ended: its threads wait for nothing any more. A lock it holds stays held
    /// (that is what an abandoned lock looks like), and it is a zombie until it is reaped.
    void processEnded(std::int32_t pid, std::int64_t ts) {
        for (auto it = waits_.begin(); it != waits_.end();) {
            if (it->first.first == pid) {
                const Track track = it->first;
                const std::uint64_t object = it->second;
                it = waits_.erase(it);
                close(track, {SliceKind::Wait, object}, ts, R"({"ended_by":"process end"})");
            } else {
                ++it;
            }
        }
    }

    void handle(std::uint64_t seq, const Event& e) {
        ++stats_.eventsRead;
        const Track track{e.pid, e.tid};
        const auto target = static_cast<std::int32_t>(e.object);
        const Track targetTrack{target, target};

        if (startsWait(e.type)) {
            startWait(track, e);
        } else if (endsWait(e.type)) {
            if (auto it = waits_.find(track);
                it != waits_.end() && (e.type == EventType::Running || it->second == e.object)) {
                endWait(track, e.ts, e.type == EventType::Running && e.arg == 1 ? R"({"timeout":true})" : "");
            }
        }

        switch (e.type) {
        case EventType::BarrierPass:
        case EventType::BarrierBroken:
            for (auto it = waits_.begin(); it != waits_.end();) {
                if (it->second == e.object) {
                    const Track waiter = it->first;
                    it = waits_.erase(it);
                    close(waiter, {SliceKind::Wait, e.object}, e.ts,
                          e.type == EventType::BarrierBroken ? R"({"broken":true})" : "");
                } else {
                    ++it;
                }
            }
            if (e.type == EventType::BarrierBroken) {
                instant(track, e.ts, objectLabel(e.object) + " broken", json::object());
            }
            break;
        case EventType::LockAcquire:
            if (auto it = holders_.find(e.object); it != holders_.end() && it->second != track) {
                // A new owner without a release: the old one died and the lock was recovered.
                close(it->second, {SliceKind::Hold, e.object}, e.ts, R"({"ended_by":"new owner"})");
                holders_.erase(it);
            }
            if (!holders_.count(e.object)) {
                holders_[e.object] = track;
                open(track, e.ts, {SliceKind::Hold, e.object}, "holding " + objectLabel(e.object),
                     "\"object\":" + quote(objectLabel(e.object)));
            }
            break;
        case EventType::LockRelease:
            if (e.arg == 0) {
                if (auto it = holders_.find(e.object); it != holders_.end()) {
                    close(it->second, {SliceKind::Hold, e.object}, e.ts);
                    holders_.erase(it);
                }
            }
            break;
        case EventType::LockAbandoned:
            instant({static_cast<std::int32_t>(e.arg), static_cast<std::int32_t>(e.arg)}, e.ts,
                    objectLabel(e.object) + " abandoned by " + processName(static_cast<std::int32_t>(e.arg)),
                    {{"noticed_by", processName(e.pid)}});
            break;
        case EventType::ProcessExited:
            processEnded(target, e.ts);
            instant(targetTrack, e.ts,
                    processName(target) + " exits (code " + std::to_string(e.signedArg()) + ")",
                    {{"exitcode", e.signedArg()}});
            openZombie(target, e.ts);
            break;
        case EventType::ProcessZombie:
            processEnded(target, e.ts);
            instant(targetTrack, e.ts, processName(target) + " is a zombie", {{"pid", target}});
            openZombie(target, e.ts);
            break;
        case EventType::ProcessReaped: {
            processEnded(target, e.ts);
            close(targetTrack, {SliceKind::Zombie, e.object}, e.ts);
            const std::int64_t code = e.signedArg();
            std::string name = code < 0 ? processName(target) + " died of signal " + std::to_string(-code) +
                                              ", reaped by " + processName(e.pid)
                                        : processName(e.pid) + " reaps " + processName(target) +
                                              " (exit code " + std::to_string(code) + ")";
            instant(targetTrack, e.ts, std::move(name), {{"exitcode", code}, {"reaper", processName(e.pid)}});
            break;
        }
        case EventType::EventsDropped:
            instant(track, e.ts, std::to_string(e.arg) + " events dropped", {{"dropped", e.arg}});
            break;
        case EventType::Error:
            instant(track, e.ts, "error on " + objectLabel(e.object), {{"code", e.signedArg()}});
            break;
        case EventType::PoolWorkerReplaced:
            instant(track, e.ts, objectLabel(e.object) + " replaces a worker", {{"new_pid", e.arg}});
            break;
        default:
            break;
        }

        model_.apply(e, seq);
        emitCounters(e);
    }

    void openZombie(std::int32_t pid, std::int64_t ts) {
        if (zombies_.insert(pid).second) {
            open({pid, pid}, ts, {SliceKind::Zombie, static_cast<std::uint64_t>(pid)}, "zombie (not reaped)",
                 "");
        }
    }

    void emitCounters(const Event& e) {
        const SystemState& s = model_.state();
        if (auto q = s.queues.find(e.object); q != s.queues.end()) {
            auto info = objects_.find(e.object);
            if (info == objects_.end() || isQueueKind(info->second.kind)) {
                counter(e.object, ownerPid(e.object, e.pid), e.ts, objectLabel(e.object),
                        {q->second.depth, q->second.pipeBytes}, "depth", "pipe_bytes");
            }
        }
        if (auto p = s.pipes.find(e.object); p != s.pipes.end()) {
            counter(e.object, ownerPid(e.object, e.pid), e.ts, objectLabel(e.object), {p->second.bytes, 0},
                    "bytes");
        }
        switch (e.type) {
        case EventType::ProcessCreated:
        case EventType::ProcessStarted:
        case EventType::ProcessExited:
        case EventType::ProcessZombie:
        case EventType::ProcessReaped:
            counter(0, hostPid_ != 0 ? hostPid_ : e.pid, e.ts, "zombies", {s.zombieCount(), 0}, "count");
            break;
        default:
            break;
        }
    }

    void closeEverything(std::int64_t last) {
        // Innermost first on every thread, so the ends still nest.
        for (auto& [track, stack] : open_) {
            while (!stack.empty()) {
                end(track, last, R"({"unfinished":true})");
                ++stats_.unfinished;
                stack.pop_back();
            }
        }
        open_.clear();
    }

    void diagnosis(const std::map<std::string, std::string>& meta, std::int64_t last) {
        auto it = meta.find("diagnosis");
        if (it == meta.end() || it->second.empty() || it->second == "null") {
            return;
        }
        json diagnosis = json::parse(it->second, nullptr, false);
        if (diagnosis.is_discarded() || !diagnosis.is_object()) {
            diagnosis = json{{"explanation", it->second}};
        }
        std::int64_t ts = last;
        if (auto teardown = meta.find("teardown_ns"); teardown != meta.end()) {
            try {
                ts = std::stoll(teardown->second);
            } catch (const std::exception&) {
                ts = last; // an unreadable time: the diagnosis still belongs at the end
            }
        }
        const std::string kind = diagnosis.contains("kind") && diagnosis["kind"].is_string()
                                     ? diagnosis["kind"].get<std::string>()
                                     : "";
        const std::int32_t pid =
            hostPid_ != 0 ? hostPid_ : (processNames_.empty() ? 0 : processNames_.begin()->first);
        instant({pid, pid}, ts, kind.empty() ? "diagnosis" : "diagnosis: " + kind, std::move(diagnosis), "g");
    }

    TraceReader& reader_;
    std::ostream& out_;
    ChromeTraceStats stats_;
    std::int64_t origin_ = 0;
    std::int32_t hostPid_ = 0;
    std::map<std::int32_t, std::string> processNames_;
    std::unordered_map<std::uint64_t, ObjectInfo> objects_;
    std::unordered_map<std::uint64_t, std::string> labels_;
    std::set<std::int32_t> namedPids_;
    std::set<Track> namedThreads_;
    std::map<Track, std::vector<OpenSlice>> open_;
    std::map<Track, std::uint64_t> waits_;                     ///< what each blocked thread waits for
    std::map<std::uint64_t, Track> holders_;                   ///< which thread's track shows each held lock
    std::set<std::int32_t> zombies_;                           ///< pids whose zombie slice was opened
    std::unordered_map<std::uint64_t, CounterValue> counters_; ///< last written per object (0: zombies)
    std::unordered_map<std::string, std::string> quoted_;
    StateModel model_;
};

} // namespace

ChromeTraceStats ChromeTraceExporter::write(std::ostream& out) {
    return Conversion(reader_, out).run();
}

} // namespace forkscope
