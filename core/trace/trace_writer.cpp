#include "trace_writer.h"

#include "events/emit.h"
#include "forkscope_version.h"
#include "trace_format_error.h"
#include "trace_schema.h"

#include <sqlite3.h>
#include <unistd.h>

namespace forkscope {

namespace {
std::string hostName() {
    char buffer[256] = {};
    if (::gethostname(buffer, sizeof buffer - 1) != 0) {
        return "unknown";
    }
    return buffer;
}
} // namespace

TraceWriter::TraceWriter(std::filesystem::path path, TraceMeta meta, TraceWriterOptions options)
    : path_(std::move(path)), context_("trace " + path_.string()), options_(options) {
    if (options_.keyframeInterval == 0) {
        throw TraceWriteError(context_ + ": the keyframe interval must be at least 1");
    }
    std::error_code ec;
    if (std::filesystem::exists(path_, ec)) {
        throw TraceWriteError(context_ + ": the file already exists; a trace is never overwritten");
    }
    const int rc = sqlite3_open_v2(path_.c_str(), &db_,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string message =
            context_ + ": cannot create: " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
        sqlite3_close(db_);
        db_ = nullptr;
        throw TraceWriteError(message);
    }
    try {
        sqlite3_busy_timeout(db_, 2000);
        exec(("PRAGMA application_id = " + std::to_string(trace_schema::kApplicationId)).c_str());
        exec(("PRAGMA user_version = " + std::to_string(trace_schema::kFormatVersion)).c_str());
        exec("PRAGMA journal_mode = WAL");
        // NORMAL in WAL mode: a crash of the machine can lose the last batches, never corrupt
        // the file; a crash of the host loses nothing that was committed.
        exec("PRAGMA synchronous = NORMAL");
        exec("BEGIN");
        exec(trace_schema::kCreate);
        exec("COMMIT");
        insertEvent_.emplace(db_,
                             "INSERT INTO events(seq, ts, pid, tid, type, object, arg, aux) "
                             "VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                             context_, false);
        insertKeyframe_.emplace(db_, "INSERT INTO keyframes(seq, ts, state) VALUES(?, ?, ?)", context_,
                                false);
        upsertProcess_.emplace(
            db_,
            "INSERT OR REPLACE INTO processes(pid, parent_pid, name, start_method, first_seen_ns) "
            "VALUES(?, ?, ?, ?, ?)",
            context_, false);
        upsertObject_.emplace(
            db_,
            "INSERT OR REPLACE INTO objects(id, kind, name, capacity, creator_pid, created_ns) "
            "VALUES(?, ?, ?, ?, ?, ?)",
            context_, false);
        upsertDrops_.emplace(db_, "INSERT OR REPLACE INTO drops(pid, dropped, updated_ns) VALUES(?, ?, ?)",
                             context_, false);
        upsertMeta_.emplace(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", context_, false);

        setMeta("format_version", std::to_string(trace_schema::kFormatVersion));
        setMeta("forkscope_version", FORKSCOPE_VERSION);
        setMeta("scenario", meta.scenario);
        setMeta("parameters", meta.parameters.empty() ? "{}" : meta.parameters);
        setMeta("start_method", meta.startMethod);
        setMeta("host", meta.host.empty() ? hostName() : meta.host);
        setMeta("clock", "CLOCK_MONOTONIC ns");
        setMeta("keyframe_interval", std::to_string(options_.keyframeInterval));
        setMeta("started_ns", std::to_string(trace::monotonicNs()));
        setMeta("finished", "0");
        for (const auto& [key, value] : meta.extra) {
            setMeta(key, value);
        }
    } catch (...) {
        closeDatabase();
        throw;
    }
}

TraceWriter::~TraceWriter() {
    try {
        finish();
    } catch (...) { // NOLINT(bugprone-empty-catch): a destructor must not throw; finish() reports
    }
}

void TraceWriter::exec(const char* sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
        std::string message = context_ + ": " + (error ? error : sqlite3_errstr(rc));
        sqlite3_free(error);
        throw TraceWriteError(message);
    }
}

void TraceWriter::setMeta(const std::string& key, const std::string& value) {
    if (db_ == nullptr) {
        throw TraceWriteError(context_ + ": already finished");
    }
    upsertMeta_->reset();
    upsertMeta_->bind(1, key).bind(2, value).step();
}

void TraceWriter::appendEvents(std::span<const Event> events) {
    if (db_ == nullptr) {
        throw TraceWriteError(context_ + ": already finished");
    }
    if (events.empty()) {
        return;
    }
    exec("BEGIN");
    try {
        for (const Event& e : events) {
            if (e.ts < lastTs_) {
                throw TraceWriteError(context_ + ": events out of time order (" + std::to_string(e.ts) +
                                      " after " + std::to_string(lastTs_) + ")");
            }
            lastTs_ = e.ts;
            const std::uint64_t seq = nextSeq_;
            SqliteStatement& s = *insertEvent_;
            s.reset();
            s.bind(1, static_cast<std::int64_t>(seq))
                .bind(2, e.ts)
                .bind(3, e.pid)
                .bind(4, e.tid)
                .bind(5, static_cast<std::int64_t>(e.type))
                .bind(6, static_cast<std::int64_t>(e.object))
                .bind(7, static_cast<std::int64_t>(e.arg))
                .bind(8, static_cast<std::int64_t>(e.aux));
            s.step();
            ++nextSeq_;
            model_.apply(e, seq);
            if (++sinceKeyframe_ >= options_.keyframeInterval) {
                sinceKeyframe_ = 0;
                const std::vector<std::uint8_t> blob = model_.state().encode();
                insertKeyframe_->reset();
                insertKeyframe_->bind(1, static_cast<std::int64_t>(seq)).bind(2, e.ts).bindBlob(3, blob);
                insertKeyframe_->step();
            }
        }
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void TraceWriter::recordProcess(const ProcessInfo& process) {
    if (db_ == nullptr) {
        throw TraceWriteError(context_ + ": already finished");
    }
    upsertProcess_->reset();
    upsertProcess_->bind(1, process.pid)
        .bind(2, process.parentPid)
        .bind(3, process.name)
        .bind(4, process.startMethod)
        .bind(5, process.firstSeenNs)
        .step();
}

void TraceWriter::recordObject(const ObjectInfo& object) {
    if (db_ == nullptr) {
        throw TraceWriteError(context_ + ": already finished");
    }
    upsertObject_->reset();
    upsertObject_->bind(1, static_cast<std::int64_t>(object.id))
        .bind(2, static_cast<std::int64_t>(object.kind))
        .bind(3, object.name)
        .bind(4, static_cast<std::int64_t>(object.capacity))
        .bind(5, object.creatorPid)
        .bind(6, object.createdNs)
        .step();
}

void TraceWriter::recordDrops(std::int32_t pid, std::uint64_t dropped) {
    if (db_ == nullptr) {
        throw TraceWriteError(context_ + ": already finished");
    }
    upsertDrops_->reset();
    upsertDrops_->bind(1, pid)
        .bind(2, static_cast<std::int64_t>(dropped))
        .bind(3, trace::monotonicNs())
        .step();
}

void TraceWriter::finish() {
    if (db_ == nullptr) {
        return;
    }
    try {
        setMeta("finished", "1");
        setMeta("end_ns", std::to_string(lastTs_));
        setMeta("event_count", std::to_string(nextSeq_ - 1));
        exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (...) {
        closeDatabase();
        throw;
    }
    closeDatabase();
}

void TraceWriter::closeDatabase() noexcept {
    // The statements first: sqlite3_close refuses a database with statements still prepared.
    insertEvent_.reset();
    insertKeyframe_.reset();
    upsertProcess_.reset();
    upsertObject_.reset();
    upsertDrops_.reset();
    upsertMeta_.reset();
    sqlite3_close(db_);
    db_ = nullptr;
}

} // namespace forkscope
