#pragma once

#include "process/errors.h"
#include "rlock.h"
#include "shared_cell.h"
#include "shared_region.h"

#include <mutex>
#include <optional>
#include <type_traits>

namespace forkscope {

/// One T in shared memory (Python's multiprocessing.Value), for trivially copyable T.
///
/// With lock=true (the default, as in Python) get() and set() each take the Value's RLock, and
/// getLock() returns it so that a read-modify-write can be made atomic:
///     { std::lock_guard guard(v.getLock()); v.set(v.get() + 1); }   // never loses an update
/// With lock=false there is no lock (getLock() throws): get()/set() and raw() are plain shared
/// memory accesses, and concurrent v.set(v.get() + 1) really loses updates.
template <class T> class Value {
    static_assert(std::is_trivially_copyable_v<T>,
                  "Value<T> holds raw bytes in shared memory: T must be "
                  "trivially copyable (no pointers into a process, no heap)");

public:
    explicit Value(T initial = T{}, bool lock = true)
        : region_(SharedRegion::create(sizeof(T), "forkscope-value")) {
        cell_ = new (region_.data()) T(initial);
        if (lock) {
            lock_.emplace();
        }
    }

    [[nodiscard]] T get() const {
        if (lock_) {
            std::lock_guard guard(*lock_);
            return detail::loadCell(cell_);
        }
        return detail::loadCell(cell_);
    }
    void set(const T& value) {
        if (lock_) {
            std::lock_guard guard(*lock_);
            detail::storeCell(cell_, value);
            return;
        }
        detail::storeCell(cell_, value);
    }

    /// The value's memory, without any locking (Python's get_obj()).
    [[nodiscard]] T* raw() const noexcept { return cell_; }

    [[nodiscard]] bool synchronized() const noexcept { return lock_.has_value(); }
    /// The RLock guarding the value; ProcessError for a Value made with lock=false.
    [[nodiscard]] RLock& getLock() {
        if (!lock_) {
            throw ProcessError("Value.getLock(): this Value was made with lock=false and has no lock");
        }
        return *lock_;
    }

    template <class Archive> void save(Archive& ar) const {
        ar(region_, lock_.has_value());
        if (lock_) {
            ar(*lock_);
        }
    }
    template <class Archive> void load(Archive& ar) {
        bool hasLock = false;
        ar(region_, hasLock);
        cell_ = region_.as<T>("Value");
        lock_.reset();
        if (hasLock) {
            lock_.emplace();
            ar(*lock_);
        }
    }

private:
    SharedRegion region_;
    T* cell_ = nullptr;
    mutable std::optional<RLock> lock_;
};

} // namespace forkscope
