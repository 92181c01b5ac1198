#pragma once

#include "process/fd_handle.h"
#include "process/unique_fd.h"

#include <cereal/cereal.hpp>
#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace forkscope {

/// A small block of memory shared between processes: an anonymous memfd mapped MAP_SHARED.
///
/// Why memfd_create and not shm_open: the memory has no name in /dev/shm, so nothing can be
/// left behind when a process dies, and it is freed when the last process unmaps it and closes
/// its descriptor. It travels like any other fd: under fork the mapping is inherited, under
/// spawn/forkserver the region is serialised as an FdHandle and the child maps the same memory.
///
/// Copies are handles to the same mapping (shared_ptr). Objects placed in the region with
/// placement new are never destroyed: other processes may still use them (destroying a
/// process-shared pthread mutex that another process holds is undefined), and the memory goes
/// away with the last mapping.
class SharedRegion {
public:
    SharedRegion() = default;

    /// A new zero-filled region of `size` bytes; `label` shows in /proc/<pid>/fd as memfd:<label>.
    static SharedRegion create(std::size_t size, const char* label);

    /// A new region holding a T constructed with args; returns the region and the object.
    template <class T, class... A> static std::pair<SharedRegion, T*> make(const char* label, A&&... args) {
        SharedRegion region = create(sizeof(T), label);
        T* object = new (region.data()) T(std::forward<A>(args)...);
        return {std::move(region), object};
    }

    [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(mapping_); }
    [[nodiscard]] void* data() const noexcept { return mapping_ ? mapping_->address : nullptr; }
    [[nodiscard]] std::size_t size() const noexcept { return mapping_ ? mapping_->size : 0; }
    [[nodiscard]] int fd() const noexcept { return mapping_ ? mapping_->fd.get() : -1; }

    /// The object a creator placed at the start of the region; throws SerializationError when the
    /// region is too small for a T (a handle of another type arrived).
    template <class T> [[nodiscard]] T* as(const char* what) const {
        checkSize(sizeof(T), what);
        return static_cast<T*>(data());
    }

    template <class Archive> void save(Archive& ar) const {
        checkSize(1, "shared region");
        ar(FdHandle(fd()), static_cast<std::uint64_t>(size()));
    }
    template <class Archive> void load(Archive& ar) {
        FdHandle handle;
        std::uint64_t size = 0;
        ar(handle, size);
        *this = attach(handle.fd(), static_cast<std::size_t>(size));
    }

private:
    struct Mapping {
        UniqueFd fd;
        void* address = nullptr;
        std::size_t size = 0;
        Mapping() = default;
        Mapping(const Mapping&) = delete;
        Mapping& operator=(const Mapping&) = delete;
        ~Mapping();
    };

    /// Maps a region that arrived as a start argument; the fd is duplicated, because the
    /// bootstrap's fd table may hand the same fd to several arguments.
    static SharedRegion attach(int fd, std::size_t expectedSize);
    void checkSize(std::size_t needed, const char* what) const;

    std::shared_ptr<Mapping> mapping_;
};

} // namespace forkscope
