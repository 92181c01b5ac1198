#include "futex.h"

#include "process/errors.h"

#include <cerrno>
#include <cmath>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace forkscope {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "a futex word must be a plain lock-free 32-bit integer");

namespace {
timespec monotonicNow() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return now;
}

bool before(const timespec& a, const timespec& b) {
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}
} // namespace

Deadline Deadline::after(Timeout timeout) {
    Deadline deadline;
    timeout = boundedTimeout(timeout);
    if (!timeout) {
        return deadline;
    }
    timespec at = monotonicNow();
    const double seconds = std::max(0.0, *timeout);
    const double whole = std::floor(seconds);
    at.tv_sec += static_cast<time_t>(whole);
    at.tv_nsec += static_cast<long>((seconds - whole) * 1e9);
    if (at.tv_nsec >= 1000000000L) {
        at.tv_sec += 1;
        at.tv_nsec -= 1000000000L;
    }
    deadline.at_ = at;
    return deadline;
}

bool Deadline::expired() const {
    return at_ && !before(monotonicNow(), *at_);
}

Timeout Deadline::remaining() const {
    if (!at_) {
        return std::nullopt;
    }
    const timespec now = monotonicNow();
    const double left =
        static_cast<double>(at_->tv_sec - now.tv_sec) + static_cast<double>(at_->tv_nsec - now.tv_nsec) / 1e9;
    return std::max(0.0, left);
}

bool futexWait(std::atomic<std::uint32_t>& word, std::uint32_t expected, const Deadline& deadline) {
    if (deadline.expired()) {
        return word.load() != expected;
    }
    // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time (plain FUTEX_WAIT a relative one).
    const long rc = ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_BITSET, expected,
                              deadline.absolute(), nullptr, FUTEX_BITSET_MATCH_ANY);
    if (rc == 0) {
        return true;
    }
    switch (errno) {
    case EAGAIN: // the word no longer held `expected`
    case EINTR:
        return true;
    case ETIMEDOUT:
        return false;
    default:
        throw OsError("futex wait on a shared synchronisation word", errno);
    }
}

void futexWake(std::atomic<std::uint32_t>& word, int count) {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE, count, nullptr, nullptr, 0);
}

} // namespace forkscope
