#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace forkscope {

/// A plain in-process mutex (what a library's internal lock is), traced like a lock so the
/// wait-for graph can show who holds it. It is not shared between processes: a fork child
/// gets a *copy* of its memory, locked or not, without the thread that would unlock it.
class ThreadMutex {
public:
    explicit ThreadMutex(std::string name);
    ThreadMutex(const ThreadMutex&) = delete;
    ThreadMutex& operator=(const ThreadMutex&) = delete;

    /// Blocks (traced) until the mutex is ours, or gives up after `timeout` (false).
    bool lock(std::chrono::milliseconds timeout = std::chrono::milliseconds::max());
    void unlock();
    [[nodiscard]] std::uint64_t id() const noexcept { return id_; }

private:
    std::timed_mutex mutex_;
    std::uint64_t id_ = 0;
};

} // namespace forkscope
