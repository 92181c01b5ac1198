#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace forkscope {

/// One prepared statement (RAII). Errors throw the exception type the owning database chose
/// (TraceFormatError for a reader, TraceWriteError for a writer), naming the file.
class SqliteStatement {
public:
    SqliteStatement(sqlite3* db, std::string_view sql, std::string context, bool reading);
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;
    SqliteStatement(SqliteStatement&& other) noexcept;
    ~SqliteStatement();

    SqliteStatement& bind(int index, std::int64_t value);
    SqliteStatement& bind(int index, std::string_view text);
    SqliteStatement& bindBlob(int index, std::span<const std::uint8_t> bytes);
    /// True while a row is available.
    bool step();
    void reset();

    [[nodiscard]] std::int64_t integer(int column) const;
    [[nodiscard]] std::string text(int column) const;
    [[nodiscard]] std::span<const std::uint8_t> blob(int column) const;
    [[nodiscard]] bool isNull(int column) const;

private:
    [[noreturn]] void fail(const char* what, int rc) const;

    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string context_;
    bool reading_;
};

} // namespace forkscope
