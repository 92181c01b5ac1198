#include "fd_table.h"

#include "errors.h"

#include <algorithm>
#include <string>

namespace forkscope {

namespace {
thread_local FdTable* t_current = nullptr;
}

std::uint32_t FdTable::add(int fd) {
    auto it = std::find(fds_.begin(), fds_.end(), fd);
    if (it != fds_.end()) {
        return static_cast<std::uint32_t>(it - fds_.begin());
    }
    fds_.push_back(fd);
    return static_cast<std::uint32_t>(fds_.size() - 1);
}

int FdTable::at(std::uint32_t index) const {
    if (index >= fds_.size()) {
        throw SerializationError("bootstrap refers to passed file descriptor #" + std::to_string(index) +
                                 " but only " + std::to_string(fds_.size()) + " were passed");
    }
    return fds_[index];
}

FdTable* FdTable::current() noexcept {
    return t_current;
}

FdTable::Scope::Scope(FdTable& table) noexcept : previous_(t_current) {
    t_current = &table;
}

FdTable::Scope::~Scope() {
    t_current = previous_;
}

} // namespace forkscope
