#pragma once

#include "futex.h"

#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/sync/interprocess_mutex.hpp>

namespace forkscope {

/// Python's acquire(block, timeout) on a Boost interprocess_mutex: try_lock when not blocking
/// (the timeout is then ignored, as in Python), lock() without a timeout, timed_lock otherwise.
/// Boost 1.74 takes an absolute CLOCK_REALTIME ptime (pthread_mutex_timedlock).
inline bool lockInterprocessMutex(boost::interprocess::interprocess_mutex& mutex, bool block,
                                  Timeout timeout) {
    timeout = boundedTimeout(timeout);
    if (!block || (timeout && *timeout <= 0)) {
        return mutex.try_lock();
    }
    if (!timeout) {
        mutex.lock();
        return true;
    }
    const auto until = boost::posix_time::microsec_clock::universal_time() +
                       boost::posix_time::microseconds(static_cast<long>(*timeout * 1e6));
    return mutex.timed_lock(until);
}

} // namespace forkscope
