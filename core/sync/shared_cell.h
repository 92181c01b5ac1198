#pragma once

#include <atomic>
#include <cstring>
#include <type_traits>

namespace forkscope::detail {

// Unsynchronised access to one T in shared memory, for Value/Array with lock=false and for the
// reads and writes done under their lock.
//
// A scalar is read and written with relaxed std::atomic_ref: no torn values, and the compiler
// must really touch memory on every call (with plain accesses an optimiser may merge a loop of
// set(get() + 1) into one addition, hiding the very lost updates a demo wants to show). A load
// followed by a store is still two operations, so concurrent read-modify-writes lose updates,
// exactly as Python's unsynchronised Value does. Other trivially copyable types are copied with
// memcpy between compiler barriers.
template <class T> T loadCell(T* cell) noexcept {
    if constexpr (std::is_scalar_v<T> && std::atomic_ref<T>::is_always_lock_free) {
        return std::atomic_ref<T>(*cell).load(std::memory_order_relaxed);
    } else {
        T value;
        std::atomic_signal_fence(std::memory_order_seq_cst);
        std::memcpy(&value, cell, sizeof(T));
        std::atomic_signal_fence(std::memory_order_seq_cst);
        return value;
    }
}

template <class T> void storeCell(T* cell, const T& value) noexcept {
    if constexpr (std::is_scalar_v<T> && std::atomic_ref<T>::is_always_lock_free) {
        std::atomic_ref<T>(*cell).store(value, std::memory_order_relaxed);
    } else {
        std::atomic_signal_fence(std::memory_order_seq_cst);
        std::memcpy(cell, &value, sizeof(T));
        std::atomic_signal_fence(std::memory_order_seq_cst);
    }
}

} // namespace forkscope::detail
