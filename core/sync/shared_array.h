#pragma once

#include "process/errors.h"
#include "rlock.h"
#include "shared_cell.h"
#include "shared_region.h"

#include <cstddef>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace forkscope {

/// A fixed-size array of T in shared memory (Python's multiprocessing.Array), for trivially
/// copyable T. Array<int>(10) holds ten zeros, Array<int>({1, 2, 3}) those values.
///
/// With lock=true (default) get(i), set(i, v) and toVector() take the array's RLock; getLock()
/// returns it. operator[] and raw() are unsynchronised access to the shared memory either way
/// (Python's get_obj()); with lock=false getLock() throws ProcessError.
template <class T> class Array {
    static_assert(std::is_trivially_copyable_v<T>,
                  "Array<T> holds raw bytes in shared memory: T must be "
                  "trivially copyable (no pointers into a process, no heap)");

public:
    /// An empty array (what a child default-constructs before receiving one).
    Array() : Array(std::size_t{0}) {}
    explicit Array(std::size_t size, bool lock = true) : Array(std::vector<T>(size), lock) {}
    explicit Array(const std::vector<T>& values, bool lock = true)
        : region_(SharedRegion::create(values.size() * sizeof(T), "forkscope-array")), size_(values.size()) {
        data_ = static_cast<T*>(region_.data());
        for (std::size_t i = 0; i < size_; ++i) {
            new (data_ + i) T(values[i]);
        }
        if (lock) {
            lock_.emplace();
        }
    }
    Array(std::initializer_list<T> values, bool lock = true) : Array(std::vector<T>(values), lock) {}

    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    [[nodiscard]] T get(std::size_t index) const {
        checkIndex(index);
        if (lock_) {
            std::lock_guard guard(*lock_);
            return detail::loadCell(data_ + index);
        }
        return detail::loadCell(data_ + index);
    }
    void set(std::size_t index, const T& value) {
        checkIndex(index);
        if (lock_) {
            std::lock_guard guard(*lock_);
            detail::storeCell(data_ + index, value);
            return;
        }
        detail::storeCell(data_ + index, value);
    }
    /// A consistent copy of all elements (taken under the lock when there is one).
    [[nodiscard]] std::vector<T> toVector() const {
        std::vector<T> out(size_);
        std::optional<std::lock_guard<RLock>> guard;
        if (lock_) {
            guard.emplace(*lock_);
        }
        for (std::size_t i = 0; i < size_; ++i) {
            out[i] = detail::loadCell(data_ + i);
        }
        return out;
    }

    /// Unsynchronised element access (no bounds check, like a C array).
    T& operator[](std::size_t index) const noexcept { return data_[index]; }
    [[nodiscard]] T* raw() const noexcept { return data_; }

    [[nodiscard]] bool synchronized() const noexcept { return lock_.has_value(); }
    [[nodiscard]] RLock& getLock() {
        if (!lock_) {
            throw ProcessError("Array.getLock(): this Array was made with lock=false and has no lock");
        }
        return *lock_;
    }

    template <class Archive> void save(Archive& ar) const {
        ar(region_, static_cast<std::uint64_t>(size_), lock_.has_value());
        if (lock_) {
            ar(*lock_);
        }
    }
    template <class Archive> void load(Archive& ar) {
        std::uint64_t size = 0;
        bool hasLock = false;
        ar(region_, size, hasLock);
        (void)region_.as<char>("Array");
        if (size * sizeof(T) > region_.size()) {
            throw SerializationError("Array: received " + std::to_string(size) +
                                     " elements but a region of " + std::to_string(region_.size()) +
                                     " bytes");
        }
        size_ = static_cast<std::size_t>(size);
        data_ = static_cast<T*>(region_.data());
        lock_.reset();
        if (hasLock) {
            lock_.emplace();
            ar(*lock_);
        }
    }

private:
    void checkIndex(std::size_t index) const {
        if (index >= size_) {
            throw std::out_of_range("Array index " + std::to_string(index) + " out of range (size " +
                                    std::to_string(size_) + ")");
        }
    }

    SharedRegion region_;
    std::size_t size_ = 0;
    T* data_ = nullptr;
    mutable std::optional<RLock> lock_;
};

} // namespace forkscope
