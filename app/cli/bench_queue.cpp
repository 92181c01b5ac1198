// Queue and ShmQueue throughput between two processes, against a raw pipe and a bare SPSC ring.
#include "bench.h"
#include "ipc/queue.h"
#include "ipc/shm_queue.h"
#include "process/context.h"
#include "process/fd_io.h"
#include "sync/cpu_relax.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace forkscope::cli {

namespace {

constexpr std::size_t kMessage = 64;
using Clock = std::chrono::steady_clock;

double perSecond(long count, Clock::time_point start) {
    return static_cast<double>(count) / std::chrono::duration<double>(Clock::now() - start).count();
}

/// Runs `produce` in a forked child once the parent says go, and times `consume` in the parent.
/// The clock starts once the child says it is ready: its start-up (fork, the engine's
/// bootstrap, copy-on-write faults) is start latency, measured elsewhere, not throughput.
double timeTransfer(long count, const std::function<void()>& produce, const std::function<void()>& consume) {
    auto [mine, theirs] = fdio::makeSocketPair(); // "ready" one way, "go" the other
    const int theirFd = theirs.get();
    Process producer(getContext(StartMethod::Fork), [&, theirFd](TaskArgs&) {
        const char ready = 'r';
        fdio::writeAll(theirFd, &ready, 1, 30.0, "ready");
        char go = 0;
        (void)fdio::readExact(theirFd, &go, 1, 30.0, "go");
        produce();
    });
    producer.start();
    theirs.reset(); // a producer that dies before it is ready is an EOF, not a timeout
    char ready = 0;
    if (!fdio::readExact(mine.get(), &ready, 1, 30.0, "ready")) {
        throw ProcessError("benchmark producer ended before it was ready");
    }
    const auto start = Clock::now();
    const char go = 'g';
    fdio::writeAll(mine.get(), &go, 1, 5.0, "go");
    consume();
    const double rate = perSecond(count, start);
    producer.join(60.0);
    if (producer.exitCode() != 0) {
        throw ProcessError("benchmark producer failed");
    }
    return rate;
}

double queueRate(long count) {
    Queue queue;
    const std::vector<std::uint8_t> item(kMessage, 0x5a);
    return timeTransfer(
        count,
        [&] {
            for (long i = 0; i < count; ++i) {
                queue.putBytes(item);
            }
        },
        [&] {
            for (long i = 0; i < count; ++i) {
                (void)queue.getBytes();
            }
        });
}

double rawPipeRate(long count) {
    auto [readEnd, writeEnd] = fdio::makePipe();
    const int in = readEnd.get();
    const int out = writeEnd.get();
    return timeTransfer(
        count,
        [&] {
            char message[kMessage] = {};
            for (long i = 0; i < count; ++i) {
                if (::write(out, message, kMessage) != static_cast<ssize_t>(kMessage)) {
                    ::_exit(3);
                }
            }
        },
        [&] {
            char message[kMessage];
            for (long i = 0; i < count; ++i) {
                if (::read(in, message, kMessage) != static_cast<ssize_t>(kMessage)) {
                    throw ProcessError("raw pipe benchmark: short read");
                }
            }
        });
}

double shmQueueRate(long count, ShmQueue::Mode mode) {
    ShmQueue queue(1024, kMessage, "shm-queue", mode);
    const std::vector<std::uint8_t> item(kMessage, 0x5a);
    return timeTransfer(
        count,
        [&] {
            for (long i = 0; i < count; ++i) {
                queue.putBytes(item);
            }
        },
        [&] {
            std::vector<std::uint8_t> received;
            for (long i = 0; i < count; ++i) {
                queue.getBytesInto(received);
            }
        });
}

/// A bare single-producer single-consumer ring, nothing but the moving of items — no sizes, no
/// roles, no tracing, no sleeping. Of the bare layouts tried (docs/performance.md) the fastest
/// gives each slot its own sequence number, on a line apart from the payload: with two indices
/// that each side reads on every item, the index lines cross between the cores with each item
/// (0.5–0.8 of its rate), and caching the other side's index (Rigtorp's ring) still reads it
/// whenever the ring runs empty or full, which a consumer that keeps up does on every item
/// (0.7–0.8). Both sides copy every item, as a put and a get do. A side that finds its slot
/// not ready pauses `firstPause` pause instructions, then twice as many, and so on (up to
/// max(64, firstPause)) between looks.
double bareRingRate(long count, int firstPause) {
    constexpr std::size_t kSlots = 1024;
    struct Slot {
        alignas(64) std::atomic<std::uint64_t> sequence;
        alignas(64) char payload[kMessage];
    };
    struct Ring {
        Slot slots[kSlots];
    };
    void* memory = ::mmap(nullptr, sizeof(Ring), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
        throw OsError("mmap for the bare ring", errno);
    }
    auto* ring = new (memory) Ring;
    for (std::uint64_t i = 0; i < kSlots; ++i) {
        ring->slots[i].sequence.store(i, std::memory_order_relaxed);
    }
    // Slot `position` is free for the put of `position` when its sequence is `position`, and
    // holds that item when it is `position + 1`.
    const int longestPause = std::max(64, firstPause);
    // After a while it yields between looks, as ShmQueue does: if the two processes ever share
    // a CPU (a loaded machine), a side that only spins would hold it for a whole time slice
    // per item.
    constexpr int kPausesBeforeYielding = 4096;
    auto await = [&](const std::atomic<std::uint64_t>& sequence, std::uint64_t expected) {
        for (int run = firstPause, spent = 0; sequence.load(std::memory_order_acquire) != expected;
             run = std::min(run * 2, longestPause)) {
            if (spent >= kPausesBeforeYielding) {
                std::this_thread::yield();
                continue;
            }
            for (int i = 0; i < run; ++i) {
                cpuRelax();
            }
            spent += run;
        }
    };
    const double rate = timeTransfer(
        count,
        [&] {
            char message[kMessage] = {};
            for (std::uint64_t position = 0; position < static_cast<std::uint64_t>(count); ++position) {
                Slot& slot = ring->slots[position % kSlots];
                await(slot.sequence, position);
                std::memcpy(slot.payload, message, kMessage);
                slot.sequence.store(position + 1, std::memory_order_release);
            }
        },
        [&] {
            char message[kMessage];
            for (std::uint64_t position = 0; position < static_cast<std::uint64_t>(count); ++position) {
                Slot& slot = ring->slots[position % kSlots];
                await(slot.sequence, position + 1);
                std::memcpy(message, slot.payload, kMessage);
                // The item must really be read, as a get copies it out: without this the
                // compiler drops the copy (nothing reads `message`), and the payload lines
                // would never leave the producer's cache.
                escape(message);
                slot.sequence.store(position + kSlots, std::memory_order_release);
            }
        });
    ::munmap(memory, sizeof(Ring));
    return rate;
}

/// The limit for ShmQueue: the fastest of three bare rings that differ only in how long a
/// waiting side pauses before it looks again. Which is fastest depends on the machine and on
/// where the two processes run: a side that looks again at once catches each item as soon as
/// it is published, so the slot's lines cross between the cores with every item, one at a
/// time; one that waits longer lets the other side run ahead and then takes a run of items
/// whose lines move together (on the machine of docs/performance.md: 22–24, 36–37 and
/// 52–54 M/s for 1, 64 and 512 pauses in one placement). The fastest is what shared memory
/// can do here.
double bareRingLimit(long count) {
    double best = 0;
    for (const int firstPause : {1, 64, 512}) {
        best = std::max(best, bareRingRate(count, firstPause));
    }
    return best;
}

} // namespace

std::vector<Figure> benchQueue(const BenchOptions& options) {
    const long messages = scaled(200000, options.scale);
    const long ringMessages = scaled(2000000, options.scale);
    std::vector<Figure> figures;
    figures.push_back(measureInterleaved(
        makeFigure("queue_small_msgs_per_s", "msgs/s",
                   "raw pipe, 64-byte write() per message, one process each side", false, 0.4),
        options, [&] { return queueRate(messages); }, [&] { return rawPipeRate(messages); }));
    // One producer, one consumer: the fast ShmQueue for that shape (Mode::OneToOne) against the
    // bare ring; the many-to-many ring on the same transfer, for comparison of the designs.
    figures.push_back(measureInterleaved(
        makeFigure("shm_queue_small_msgs_per_s", "msgs/s",
                   "fastest of 3 bare lock-free SPSC rings in shared memory, 64-byte items (ShmQueue in "
                   "OneToOne mode)",
                   false, 0.5),
        options, [&] { return shmQueueRate(ringMessages, ShmQueue::Mode::OneToOne); },
        [&] { return bareRingLimit(ringMessages); }));
    figures.push_back(measureInterleaved(
        makeFigure("shm_queue_mpmc_small_msgs_per_s", "msgs/s",
                   "fastest of 3 bare lock-free SPSC rings in shared memory, 64-byte items (ShmQueue in "
                   "ManyToMany mode; no target)",
                   false, 0.0),
        options, [&] { return shmQueueRate(ringMessages, ShmQueue::Mode::ManyToMany); },
        [&] { return bareRingLimit(ringMessages); }));
    return figures;
}

} // namespace forkscope::cli
