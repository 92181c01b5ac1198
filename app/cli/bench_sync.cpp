// Lock costs: an uncontended acquire+release pair, and two processes incrementing a shared Value
// under its lock, each against the bare process-shared pthread mutex measured in the same run.
#include "bench.h"
#include "discard_sink.h"
#include "events/monitor.h"
#include "process/context.h"
#include "process/errors.h"
#include "sync/barrier.h"
#include "sync/lock.h"
#include "sync/shared_array.h"
#include "sync/shared_value.h"

#include <chrono>
#include <mutex>
#include <pthread.h>
#include <stdexcept>
#include <string>
#include <sys/mman.h>

namespace forkscope::cli {

namespace {

using Clock = std::chrono::steady_clock;

double nowSeconds() {
    // CLOCK_MONOTONIC is system-wide, so timestamps taken in two children compare.
    return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

/// A bare process-shared pthread mutex and a plain counter in an anonymous shared mapping: the
/// raw OS limit, with no ownership bookkeeping and no checks.
struct BareShared {
    pthread_mutex_t mutex;
    long counter;
};

class BareMapping {
public:
    BareMapping() {
        void* address =
            ::mmap(nullptr, sizeof(BareShared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (address == MAP_FAILED) {
            throw OsError("mmap for the bare mutex benchmark", errno);
        }
        shared_ = static_cast<BareShared*>(address);
        pthread_mutexattr_t attr;
        ::pthread_mutexattr_init(&attr);
        ::pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
        ::pthread_mutex_init(&shared_->mutex, &attr);
        ::pthread_mutexattr_destroy(&attr);
        shared_->counter = 0;
    }
    BareMapping(const BareMapping&) = delete;
    BareMapping& operator=(const BareMapping&) = delete;
    ~BareMapping() { ::munmap(shared_, sizeof(BareShared)); }
    BareShared* operator->() const noexcept { return shared_; }

private:
    BareShared* shared_ = nullptr;
};

double lockPairNs(Lock& lock, long pairs) {
    const auto start = Clock::now();
    for (long i = 0; i < pairs; ++i) {
        lock.acquire();
        lock.release();
    }
    return std::chrono::duration<double, std::nano>(Clock::now() - start).count() /
           static_cast<double>(pairs);
}

double barePairNs(const BareMapping& bare, long pairs) {
    const auto start = Clock::now();
    for (long i = 0; i < pairs; ++i) {
        ::pthread_mutex_lock(&bare->mutex);
        ::pthread_mutex_unlock(&bare->mutex);
    }
    return std::chrono::duration<double, std::nano>(Clock::now() - start).count() /
           static_cast<double>(pairs);
}

/// Two forked workers run `work` after meeting at a barrier, each recording its start and end
/// in `times`; returns 2 * perProcess / (last end - first start).
double twoWorkersRate(long perProcess, const std::function<void()>& check,
                      const std::function<void(long)>& work) {
    Barrier start(2);
    Array<double> times(4, false);
    std::vector<Process> workers;
    for (int w = 0; w < 2; ++w) {
        workers.push_back(getContext(StartMethod::Fork).process([&, w](TaskArgs&) {
            start.wait(30.0);
            times[2 * w] = nowSeconds();
            work(perProcess);
            times[2 * w + 1] = nowSeconds();
        }));
    }
    for (Process& p : workers) {
        p.start();
    }
    for (Process& p : workers) {
        p.join(120.0);
        if (p.exitCode() != 0) {
            throw ProcessError("a contended-increment benchmark worker failed");
        }
    }
    check();
    const double elapsed = std::max(times[1], times[3]) - std::min(times[0], times[2]);
    return 2.0 * static_cast<double>(perProcess) / elapsed;
}

double engineContended(long perProcess) {
    Value<long> value(0);
    return twoWorkersRate(
        perProcess,
        [&] {
            if (value.get() != 2 * perProcess) {
                throw std::runtime_error("locked Value lost updates in the benchmark");
            }
        },
        [&](long n) {
            for (long i = 0; i < n; ++i) {
                std::lock_guard guard(value.getLock());
                value.set(value.get() + 1);
            }
        });
}

double bareContended(long perProcess) {
    BareMapping bare;
    return twoWorkersRate(
        perProcess,
        [&] {
            if (bare->counter != 2 * perProcess) {
                throw std::runtime_error("bare mutex counter lost updates in the benchmark");
            }
        },
        [&](long n) {
            for (long i = 0; i < n; ++i) {
                ::pthread_mutex_lock(&bare->mutex);
                ++bare->counter;
                ::pthread_mutex_unlock(&bare->mutex);
            }
        });
}

} // namespace

std::vector<Figure> benchSync(const BenchOptions& options) {
    const long pairs = scaled(2000000, options.scale);
    const long increments = scaled(200000, options.scale);
    std::vector<Figure> figures;

    Lock lock;
    BareMapping bare;
    Figure uncontended;
    uncontended.name = "lock_uncontended_ns";
    uncontended.unit = "ns";
    uncontended.limitWhat = "bare process-shared pthread mutex lock + unlock";
    uncontended.target = 2.0;
    figures.push_back(measureInterleaved(
        uncontended, options, [&] { return lockPairNs(lock, pairs); },
        [&] { return barePairNs(bare, pairs); }));

    // The same pairs with tracing on: each acquire and each release emits an event into the
    // shared-memory ring while a monitor drains it. Fewer pairs, so that a repetition's events
    // fit the ring: a dropped event is cheaper than a recorded one and would flatter the figure.
    {
        const long tracedPairs = std::min<long>(pairs, 50'000);
        DiscardSink sink;
        MonitorOptions monitorOptions;
        monitorOptions.shape.laneCapacity = 1U << 18;
        Monitor monitor(sink, monitorOptions);
        Lock traced("bench-lock");
        Figure tracedFigure = makeFigure(
            "lock_uncontended_traced_ns", "ns",
            "bare process-shared pthread mutex lock + unlock, untraced (target: the value itself below "
            "Python's ~50 ns per acquire + release)",
            true, 0);
        tracedFigure.valueMax = 50;
        // Every slot of the lane written once before any repetition is timed: the lane is made
        // large (10 MiB) so that no event drops, and the first write to each of its pages is a
        // page fault. Timed, that first lap made the first two repetitions 90-115 ns instead
        // of ~45 (the default lane, 4096 events, faults in once for 160 KiB). A traced program
        // pays it once per ring, not per event.
        // (A quarter of a lap at a time, two events per pair, drained in between: none drops.)
        for (int quarter = 0; quarter < 4; ++quarter) {
            (void)lockPairNs(traced, static_cast<long>(monitorOptions.shape.laneCapacity / 8));
            monitor.flush(10.0);
        }
        tracedFigure = measureInterleaved(
            tracedFigure, options,
            [&] {
                const double ns = lockPairNs(traced, tracedPairs);
                monitor.flush(10.0);
                return ns;
            },
            [&] { return barePairNs(bare, tracedPairs); });
        monitor.stop();
        if (monitor.stats().dropped != 0) {
            throw std::runtime_error("lock_uncontended_traced_ns: the ring dropped events, the figure would "
                                     "flatter the traced lock");
        }
        figures.push_back(tracedFigure);
    }

    Figure contended;
    contended.name = "lock_contended_incr_per_s";
    contended.unit = "incr/s";
    contended.limitWhat = "2 processes, bare process-shared pthread mutex around a plain long";
    contended.lowerIsBetter = false;
    contended.target = 0.25;
    figures.push_back(measureInterleaved(
        contended, options, [&] { return engineContended(increments); },
        [&] { return bareContended(increments); }));
    return figures;
}

} // namespace forkscope::cli
