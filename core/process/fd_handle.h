#pragma once

#include "errors.h"
#include "fd_table.h"

#include <cereal/cereal.hpp>
#include <cstdint>

namespace forkscope {

/// A file descriptor passed to a child as a start argument. Under fork it is simply inherited
/// at the same number; under spawn and forkserver it is serialised as an index into the
/// bootstrap's fd table and arrives as the child's own descriptor (Python's DupFd). The handle
/// does not own the fd: the primitive that wraps it (a pipe end, a socket) does.
class FdHandle {
public:
    FdHandle() = default;
    explicit FdHandle(int fd) noexcept : fd_(fd) {}
    [[nodiscard]] int fd() const noexcept { return fd_; }

    template <class Archive> void save(Archive& ar) const {
        FdTable* table = FdTable::current();
        if (table == nullptr) {
            throw SerializationError("a file descriptor handle can only be serialised as a start argument");
        }
        ar(table->add(fd_));
    }

    template <class Archive> void load(Archive& ar) {
        std::uint32_t index = 0;
        ar(index);
        FdTable* table = FdTable::current();
        if (table == nullptr) {
            throw SerializationError("a file descriptor handle can only be received as a start argument");
        }
        fd_ = table->at(index);
    }

private:
    int fd_ = -1;
};

} // namespace forkscope
