#pragma once

#include "events/event_sink.h"
#include "sqlite_statement.h"
#include "system_state.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

struct sqlite3;

namespace forkscope {

struct Keyframe {
    std::uint64_t seq = 0; ///< the state includes every event up to and including this seq
    std::int64_t ts = 0;
    SystemState state;
};

/// Reads a .fstrace file, also while a writer is still appending to it: every query starts a
/// fresh read transaction, so it sees all batches committed so far (WAL mode).
///
/// Anything that is not a readable trace of a supported version throws TraceFormatError with
/// one line naming the file and the problem, at open or on the query that meets the damage.
/// No call blocks for more than the bounded busy timeout, and no call allocates more than the
/// file (or the caller's limit) can justify.
class TraceReader {
public:
    static constexpr std::size_t kMaxTableRows = 1'000'000; ///< processes/objects: more is damage

    explicit TraceReader(const std::filesystem::path& path);
    /// A trace held in memory (a copy is made): the fuzzing entry point, and for tools.
    static TraceReader fromBytes(std::span<const std::uint8_t> bytes, std::string name = "<memory>");

    TraceReader(TraceReader&& other) noexcept;
    TraceReader& operator=(TraceReader&&) = delete;
    TraceReader(const TraceReader&) = delete;
    TraceReader& operator=(const TraceReader&) = delete;
    ~TraceReader();

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] std::int64_t formatVersion() const noexcept { return formatVersion_; }
    [[nodiscard]] std::map<std::string, std::string> meta();
    [[nodiscard]] bool finished();
    [[nodiscard]] std::vector<ProcessInfo> processes();
    [[nodiscard]] std::vector<ObjectInfo> objects();
    [[nodiscard]] std::optional<ObjectInfo> object(std::uint64_t id);
    [[nodiscard]] std::map<std::int32_t, std::uint64_t> drops();

    /// The last seq written so far (0: no events yet).
    [[nodiscard]] std::uint64_t lastSeq();
    /// First and last event time; nullopt while there are no events.
    [[nodiscard]] std::optional<std::pair<std::int64_t, std::int64_t>> timeRange();
    /// Up to `limit` events with seq > afterSeq, in order.
    [[nodiscard]] std::vector<Event> events(std::uint64_t afterSeq, std::size_t limit);
    /// Calls fn(seq, event) for the events after `afterSeq` whose time is <= untilTs, in order,
    /// until fn returns false.
    void forEachEvent(std::uint64_t afterSeq, std::int64_t untilTs,
                      const std::function<bool(std::uint64_t, const Event&)>& fn);
    /// The latest keyframe at or before time ts.
    [[nodiscard]] std::optional<Keyframe> keyframeAtOrBefore(std::int64_t ts);

private:
    TraceReader() = default;
    void openChecked(const std::string& uri, int flags);
    void validateSchema();
    [[noreturn]] void fail(const std::string& problem) const;

    std::string name_;
    sqlite3* db_ = nullptr;
    std::int64_t formatVersion_ = 0;
};

} // namespace forkscope
