#include "trace_reader.h"

#include "trace_format_error.h"
#include "trace_schema.h"

#include <cstring>
#include <fstream>
#include <sqlite3.h>
#include <utility>

namespace forkscope {

namespace {

constexpr int kBusyTimeoutMs = 2000;
constexpr int kMaxValueBytes = 16 << 20; ///< no text or blob in a trace is larger

std::uint32_t bigEndian32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

/// What the first 100 bytes (SQLite's file header) say, checked before SQLite sees the file:
/// cheap, and it gives the precise message for the common cases.
std::string headerProblem(std::span<const std::uint8_t> header, std::uint64_t fileSize, bool walPresent) {
    if (fileSize == 0) {
        return "the file is empty";
    }
    static constexpr char kMagic[] = "SQLite format 3";
    if (header.size() < 100) {
        if (header.size() >= 16 && std::memcmp(header.data(), kMagic, 16) == 0) {
            return "the file is truncated (" + std::to_string(fileSize) +
                   " bytes, shorter than an SQLite header)";
        }
        return "not a Forkscope trace (not an SQLite database)";
    }
    if (std::memcmp(header.data(), kMagic, 16) != 0) {
        return "not a Forkscope trace (not an SQLite database)";
    }
    const auto applicationId = static_cast<std::int32_t>(bigEndian32(header.data() + 68));
    if (applicationId != trace_schema::kApplicationId) {
        return "an SQLite database but not a Forkscope trace (application id " +
               std::to_string(applicationId) + ")";
    }
    std::uint32_t pageSize = (std::uint32_t{header[16]} << 8) | header[17];
    if (pageSize == 1) {
        pageSize = 65536;
    }
    if (pageSize < 512 || (pageSize & (pageSize - 1)) != 0) {
        return "the file is damaged (invalid page size " + std::to_string(pageSize) + ")";
    }
    const std::uint32_t pages = bigEndian32(header.data() + 28);
    const bool sizeValid = bigEndian32(header.data() + 24) == bigEndian32(header.data() + 92);
    // With a live WAL the main file may legitimately lag behind; without one it must be whole.
    if (sizeValid && !walPresent && static_cast<std::uint64_t>(pages) * pageSize > fileSize) {
        return "the file is truncated (its header says " + std::to_string(std::uint64_t{pages} * pageSize) +
               " bytes, the file has " + std::to_string(fileSize) + ")";
    }
    return {};
}

} // namespace

TraceReader::TraceReader(const std::filesystem::path& path) : name_(path.string()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        fail(std::filesystem::exists(path, ec) ? "not a regular file" : "no such file");
    }
    const std::uint64_t size = std::filesystem::file_size(path, ec);
    if (ec) {
        fail("cannot read its size: " + ec.message());
    }
    std::uint8_t header[100] = {};
    std::size_t got = 0;
    {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            fail("cannot open it for reading");
        }
        in.read(reinterpret_cast<char*>(header), sizeof header);
        got = static_cast<std::size_t>(in.gcount());
    }
    std::filesystem::path wal = path;
    wal += "-wal";
    const bool walPresent = std::filesystem::exists(wal, ec) && std::filesystem::file_size(wal, ec) > 0;
    if (std::string problem = headerProblem(std::span(header, got), size, walPresent); !problem.empty()) {
        fail(problem);
    }
    openChecked(path.string(), SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    try {
        validateSchema();
    } catch (...) {
        // No destructor runs for a constructor that throws.
        sqlite3_close(db_);
        db_ = nullptr;
        throw;
    }
}

TraceReader TraceReader::fromBytes(std::span<const std::uint8_t> bytes, std::string name) {
    TraceReader reader;
    reader.name_ = std::move(name);
    if (std::string problem =
            headerProblem(bytes.first(std::min<std::size_t>(bytes.size(), 100)), bytes.size(), false);
        !problem.empty()) {
        reader.fail(problem);
    }
    reader.openChecked(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
    auto* copy = static_cast<unsigned char*>(sqlite3_malloc64(bytes.size()));
    if (copy == nullptr) {
        reader.fail("out of memory copying " + std::to_string(bytes.size()) + " bytes");
    }
    std::memcpy(copy, bytes.data(), bytes.size());
    // An in-memory database cannot use a WAL: read the pages as a rollback-journal file.
    copy[18] = 1;
    copy[19] = 1;
    const int rc = sqlite3_deserialize(reader.db_, "main", copy, static_cast<sqlite3_int64>(bytes.size()),
                                       static_cast<sqlite3_int64>(bytes.size()),
                                       SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY);
    if (rc != SQLITE_OK) {
        reader.fail(std::string("cannot load it: ") + sqlite3_errstr(rc));
    }
    reader.validateSchema();
    return reader;
}

TraceReader::TraceReader(TraceReader&& other) noexcept
    : name_(std::move(other.name_)), db_(std::exchange(other.db_, nullptr)),
      formatVersion_(other.formatVersion_) {}

TraceReader::~TraceReader() {
    sqlite3_close(db_);
}

void TraceReader::fail(const std::string& problem) const {
    throw TraceFormatError("cannot read trace " + name_ + ": " + problem);
}

void TraceReader::openChecked(const std::string& uri, int flags) {
    const int rc = sqlite3_open_v2(uri.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        fail(message);
    }
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    sqlite3_limit(db_, SQLITE_LIMIT_LENGTH, kMaxValueBytes);
}

void TraceReader::validateSchema() {
    // The version first: a newer file may have a schema this reader cannot even query.
    try {
        SqliteStatement version(db_, "SELECT value FROM meta WHERE key = 'format_version'",
                                "cannot read trace " + name_, true);
        if (!version.step()) {
            fail("not a Forkscope trace (no format_version in its meta table)");
        }
        const std::string text = version.text(0);
        std::size_t used = 0;
        long long value = 0;
        try {
            value = std::stoll(text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != text.size() || value < 1) {
            fail("the file is damaged (format version '" + text.substr(0, 32) + "')");
        }
        if (value > trace_schema::kFormatVersion) {
            fail("it was written by a newer Forkscope (format version " + std::to_string(value) +
                 "; this version reads up to " + std::to_string(trace_schema::kFormatVersion) + ")");
        }
        formatVersion_ = value;
    } catch (const TraceFormatError& e) {
        const std::string what = e.what();
        if (what.find("no such table") != std::string::npos) {
            fail("not a Forkscope trace (no meta table)");
        }
        throw;
    }
    // Every table the reader uses, with the columns it uses: a damaged schema fails here.
    const char* probes[] = {
        "SELECT pid, parent_pid, name, start_method, first_seen_ns FROM processes LIMIT 0",
        "SELECT id, kind, name, capacity, creator_pid, created_ns FROM objects LIMIT 0",
        "SELECT seq, ts, pid, tid, type, object, arg, aux FROM events LIMIT 0",
        "SELECT seq, ts, state FROM keyframes LIMIT 0",
        "SELECT pid, dropped, updated_ns FROM drops LIMIT 0",
    };
    for (const char* probe : probes) {
        SqliteStatement s(db_, probe, "cannot read trace " + name_ + " (schema check)", true);
        s.step();
    }
}

std::map<std::string, std::string> TraceReader::meta() {
    std::map<std::string, std::string> result;
    SqliteStatement s(db_, "SELECT key, value FROM meta LIMIT 10000", "cannot read trace " + name_, true);
    while (s.step()) {
        result[s.text(0)] = s.text(1);
    }
    return result;
}

bool TraceReader::finished() {
    SqliteStatement s(db_, "SELECT value FROM meta WHERE key = 'finished'", "cannot read trace " + name_,
                      true);
    return s.step() && s.text(0) == "1";
}

std::vector<ProcessInfo> TraceReader::processes() {
    std::vector<ProcessInfo> result;
    SqliteStatement s(db_,
                      "SELECT pid, parent_pid, name, start_method, first_seen_ns FROM processes ORDER BY pid",
                      "cannot read trace " + name_, true);
    while (s.step()) {
        if (result.size() >= kMaxTableRows) {
            fail("the file is damaged (more than " + std::to_string(kMaxTableRows) + " processes)");
        }
        ProcessInfo p;
        p.pid = static_cast<std::int32_t>(s.integer(0));
        p.parentPid = static_cast<std::int32_t>(s.integer(1));
        p.name = s.text(2);
        p.startMethod = static_cast<std::int32_t>(s.integer(3));
        p.firstSeenNs = s.integer(4);
        result.push_back(std::move(p));
    }
    return result;
}

namespace {
ObjectInfo objectFrom(const SqliteStatement& s) {
    ObjectInfo o;
    o.id = static_cast<std::uint64_t>(s.integer(0));
    o.kind = static_cast<ObjectKind>(s.integer(1));
    o.name = s.text(2);
    o.capacity = static_cast<std::uint64_t>(s.integer(3));
    o.creatorPid = static_cast<std::int32_t>(s.integer(4));
    o.createdNs = s.integer(5);
    return o;
}
} // namespace

std::vector<ObjectInfo> TraceReader::objects() {
    std::vector<ObjectInfo> result;
    SqliteStatement s(db_,
                      "SELECT id, kind, name, capacity, creator_pid, created_ns FROM objects ORDER BY id",
                      "cannot read trace " + name_, true);
    while (s.step()) {
        if (result.size() >= kMaxTableRows) {
            fail("the file is damaged (more than " + std::to_string(kMaxTableRows) + " objects)");
        }
        result.push_back(objectFrom(s));
    }
    return result;
}

std::optional<ObjectInfo> TraceReader::object(std::uint64_t id) {
    SqliteStatement s(db_,
                      "SELECT id, kind, name, capacity, creator_pid, created_ns FROM objects WHERE id = ?",
                      "cannot read trace " + name_, true);
    s.bind(1, static_cast<std::int64_t>(id));
    if (!s.step()) {
        return std::nullopt;
    }
    return objectFrom(s);
}

std::map<std::int32_t, std::uint64_t> TraceReader::drops() {
    std::map<std::int32_t, std::uint64_t> result;
    SqliteStatement s(db_, "SELECT pid, dropped FROM drops", "cannot read trace " + name_, true);
    while (s.step()) {
        if (result.size() >= kMaxTableRows) {
            fail("the file is damaged (too many drop rows)");
        }
        result[static_cast<std::int32_t>(s.integer(0))] = static_cast<std::uint64_t>(s.integer(1));
    }
    return result;
}

std::uint64_t TraceReader::lastSeq() {
    SqliteStatement s(db_, "SELECT max(seq) FROM events", "cannot read trace " + name_, true);
    return s.step() && !s.isNull(0) ? static_cast<std::uint64_t>(s.integer(0)) : 0;
}

std::optional<std::pair<std::int64_t, std::int64_t>> TraceReader::timeRange() {
    // seq is the rowid and times never go back along it, so both ends are index lookups.
    SqliteStatement s(db_,
                      "SELECT (SELECT ts FROM events ORDER BY seq ASC LIMIT 1), "
                      "(SELECT ts FROM events ORDER BY seq DESC LIMIT 1)",
                      "cannot read trace " + name_, true);
    if (!s.step() || s.isNull(0) || s.isNull(1)) {
        return std::nullopt;
    }
    return std::pair{s.integer(0), s.integer(1)};
}

namespace {
Event eventFrom(const SqliteStatement& s) {
    Event e;
    e.ts = s.integer(1);
    e.pid = static_cast<std::int32_t>(s.integer(2));
    e.tid = static_cast<std::int32_t>(s.integer(3));
    e.type = static_cast<EventType>(static_cast<std::uint16_t>(s.integer(4)));
    e.object = static_cast<std::uint64_t>(s.integer(5));
    e.arg = static_cast<std::uint64_t>(s.integer(6));
    e.aux = static_cast<std::uint32_t>(s.integer(7));
    return e;
}
constexpr const char* kEventsAfter =
    "SELECT seq, ts, pid, tid, type, object, arg, aux FROM events WHERE seq > ? ORDER BY seq";
} // namespace

std::vector<Event> TraceReader::events(std::uint64_t afterSeq, std::size_t limit) {
    std::vector<Event> result;
    SqliteStatement s(db_, std::string(kEventsAfter) + " LIMIT ?", "cannot read trace " + name_, true);
    s.bind(1, static_cast<std::int64_t>(afterSeq));
    s.bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
    while (s.step()) {
        result.push_back(eventFrom(s));
    }
    return result;
}

void TraceReader::forEachEvent(std::uint64_t afterSeq, std::int64_t untilTs,
                               const std::function<bool(std::uint64_t, const Event&)>& fn) {
    SqliteStatement s(db_, kEventsAfter, "cannot read trace " + name_, true);
    s.bind(1, static_cast<std::int64_t>(afterSeq));
    while (s.step()) {
        const Event e = eventFrom(s);
        if (e.ts > untilTs || !fn(static_cast<std::uint64_t>(s.integer(0)), e)) {
            return;
        }
    }
}

std::optional<Keyframe> TraceReader::keyframeAtOrBefore(std::int64_t ts) {
    SqliteStatement s(db_,
                      "SELECT seq, ts, state FROM keyframes WHERE ts <= ? ORDER BY ts DESC, seq DESC LIMIT 1",
                      "cannot read trace " + name_, true);
    s.bind(1, ts);
    if (!s.step()) {
        return std::nullopt;
    }
    Keyframe k;
    k.seq = static_cast<std::uint64_t>(s.integer(0));
    k.ts = s.integer(1);
    try {
        k.state = SystemState::decode(s.blob(2));
    } catch (const TraceFormatError& e) {
        fail(std::string(e.what()) + " (at seq " + std::to_string(k.seq) + ")");
    }
    if (k.state.seq != k.seq) {
        fail("the file is damaged (keyframe at seq " + std::to_string(k.seq) + " holds the state of seq " +
             std::to_string(k.state.seq) + ")");
    }
    return k;
}

} // namespace forkscope
