#pragma once

#include <cstdint>
#include <vector>

namespace forkscope {

/// The file descriptors that travel with a serialised bootstrap.
///
/// A primitive that owns an fd (a pipe end, a socket) serialises itself as an *index* into the
/// table that is active on the current thread; the launcher then hands the table's fds to the
/// child (kept open across exec for spawn, sent with SCM_RIGHTS for forkserver), and the child
/// decodes the index against its own table. This is Python's DupFd/reduction idea: handles are
/// passed, never copied.
class FdTable {
public:
    /// Adds fd (once) and returns its index.
    std::uint32_t add(int fd);
    /// The fd at index; throws SerializationError for an index the bootstrap did not carry.
    [[nodiscard]] int at(std::uint32_t index) const;
    [[nodiscard]] const std::vector<int>& fds() const noexcept { return fds_; }
    void assign(std::vector<int> fds) { fds_ = std::move(fds); }

    /// The table in use by (de)serialisation on this thread, or nullptr outside of it.
    [[nodiscard]] static FdTable* current() noexcept;

    /// Makes a table current for the lifetime of the scope.
    class Scope {
    public:
        explicit Scope(FdTable& table) noexcept;
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;
        ~Scope();

    private:
        FdTable* previous_;
    };

private:
    std::vector<int> fds_;
};

} // namespace forkscope
