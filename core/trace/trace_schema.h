#pragma once

// The .fstrace file format (SQLite, WAL mode). docs/tracing.md describes every table.

#include <cstdint>

namespace forkscope::trace_schema {

/// Bumped on any change a reader of the previous version could misread. A reader refuses a
/// file with a larger number (a newer Forkscope wrote it) with a clear error.
inline constexpr std::int64_t kFormatVersion = 1;
inline constexpr const char* kExtension = ".fstrace";
/// Written into SQLite's application_id header field, so `file(1)` and we can tell a trace
/// from any other SQLite database without running a query.
inline constexpr std::int32_t kApplicationId = 0x46537472; // "FStr"

inline constexpr const char* kCreate = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE processes(pid INTEGER PRIMARY KEY, parent_pid INTEGER NOT NULL, name TEXT NOT NULL,
                       start_method INTEGER NOT NULL, first_seen_ns INTEGER NOT NULL);
CREATE TABLE objects(id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, name TEXT NOT NULL,
                     capacity INTEGER NOT NULL, creator_pid INTEGER NOT NULL, created_ns INTEGER NOT NULL);
CREATE TABLE events(seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, pid INTEGER NOT NULL, tid INTEGER NOT NULL,
                    type INTEGER NOT NULL, object INTEGER NOT NULL, arg INTEGER NOT NULL, aux INTEGER NOT NULL);
CREATE TABLE keyframes(seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, state BLOB NOT NULL);
CREATE INDEX keyframes_ts ON keyframes(ts);
CREATE TABLE drops(pid INTEGER PRIMARY KEY, dropped INTEGER NOT NULL, updated_ns INTEGER NOT NULL);
)sql";

} // namespace forkscope::trace_schema
