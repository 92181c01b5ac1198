#pragma once

#include "events/event_sink.h"
#include "sqlite_statement.h"
#include "state_model.h"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

struct sqlite3;

namespace forkscope {

/// What a trace records about its run, in the meta table.
struct TraceMeta {
    std::string scenario;
    std::string parameters;  ///< JSON text
    std::string startMethod; ///< "fork" | "spawn" | "forkserver"
    std::string host;        ///< default: this machine's host name
    std::map<std::string, std::string> extra;
};

struct TraceWriterOptions {
    std::uint32_t keyframeInterval = 4096; ///< a keyframe after every N events
};

/// Writes a .fstrace file. The monitor feeds it (it is an EventSink); tests and tools may too.
///
/// Each appendEvents() is one transaction: a reader on the same file (another process, the GUI)
/// sees whole batches appear, never half of one. Every keyframeInterval events the writer stores
/// the replayed SystemState, so a seek replays at most that many events. Not thread-safe: one
/// thread writes (the monitor's).
class TraceWriter final : public EventSink {
public:
    /// Creates the file (refusing to overwrite an existing one) and writes the meta table.
    TraceWriter(std::filesystem::path path, TraceMeta meta, TraceWriterOptions options = {});
    TraceWriter(const TraceWriter&) = delete;
    TraceWriter& operator=(const TraceWriter&) = delete;
    ~TraceWriter() override;

    /// Events must come in non-decreasing timestamp order (TraceWriteError otherwise).
    void appendEvents(std::span<const Event> events) override;
    void recordProcess(const ProcessInfo& process) override;
    void recordObject(const ObjectInfo& object) override;
    void recordDrops(std::int32_t pid, std::uint64_t dropped) override;
    void setMeta(const std::string& key, const std::string& value);

    /// Marks the trace complete (meta finished=1, end time), checkpoints the WAL into the file
    /// and closes it. Idempotent; the destructor does it too (without throwing).
    void finish();

    [[nodiscard]] std::uint64_t eventCount() const noexcept { return nextSeq_ - 1; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    void exec(const char* sql);
    /// Finalises every statement, then closes the database (on failure and when finished).
    void closeDatabase() noexcept;

    std::filesystem::path path_;
    std::string context_;
    TraceWriterOptions options_;
    sqlite3* db_ = nullptr;
    std::optional<SqliteStatement> insertEvent_;
    std::optional<SqliteStatement> insertKeyframe_;
    std::optional<SqliteStatement> upsertProcess_;
    std::optional<SqliteStatement> upsertObject_;
    std::optional<SqliteStatement> upsertDrops_;
    std::optional<SqliteStatement> upsertMeta_;
    StateModel model_;
    std::uint64_t nextSeq_ = 1;
    std::uint64_t sinceKeyframe_ = 0;
    std::int64_t lastTs_ = 0;
};

} // namespace forkscope
