// Queue and ShmQueue throughput between two processes, against a raw pipe and a bare SPSC ring.
#include "bench.h"
#include "ipc/queue.h"
#include "ipc/shm_queue.h"
#include "process/context.h"
#include "process/fd_io.h"

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
    auto [goRead, goWrite] = fdio::makePipe();
    auto [readyRead, readyWrite] = fdio::makePipe();
    const int goFd = goRead.get();
    const int readyFd = readyWrite.get();
    Process producer(getContext(StartMethod::Fork), [&, goFd, readyFd](TaskArgs&) {
        const char ready = 'r';
        fdio::writeAll(readyFd, &ready, 1, 30.0, "ready");
        char byte = 0;
        (void)fdio::readExact(goFd, &byte, 1, 30.0, "go");
        produce();
    });
    producer.start();
    readyWrite.reset(); // a producer that dies before it is ready is an EOF, not a timeout
    char ready = 0;
    if (!fdio::readExact(readyRead.get(), &ready, 1, 30.0, "ready")) {
        throw ProcessError("benchmark producer ended before it was ready");
    }
    const auto start = Clock::now();
    const char go = 'g';
    fdio::writeAll(goWrite.get(), &go, 1, 5.0, "go");
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

/// The limit for ShmQueue: a single-producer single-consumer ring with no claims, no
/// sequence numbers and no sleeping — both sides spin (yielding) on the indices.
double bareRingRate(long count) {
    constexpr std::size_t kSlots = 1024;
    struct Ring {
        alignas(64) std::atomic<std::uint64_t> head{0};
        alignas(64) std::atomic<std::uint64_t> tail{0};
        alignas(64) char slots[kSlots][kMessage];
    };
    void* memory = ::mmap(nullptr, sizeof(Ring), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
        throw OsError("mmap for the bare ring", errno);
    }
    auto* ring = new (memory) Ring;
    const double rate = timeTransfer(
        count,
        [&] {
            char message[kMessage] = {};
            for (long i = 0; i < count; ++i) {
                const std::uint64_t head = ring->head.load(std::memory_order_relaxed);
                while (head - ring->tail.load(std::memory_order_acquire) == kSlots) {
                    std::this_thread::yield();
                }
                std::memcpy(ring->slots[head % kSlots], message, kMessage);
                ring->head.store(head + 1, std::memory_order_release);
            }
        },
        [&] {
            char message[kMessage];
            for (long i = 0; i < count; ++i) {
                const std::uint64_t tail = ring->tail.load(std::memory_order_relaxed);
                while (ring->head.load(std::memory_order_acquire) == tail) {
                    std::this_thread::yield();
                }
                std::memcpy(message, ring->slots[tail % kSlots], kMessage);
                ring->tail.store(tail + 1, std::memory_order_release);
            }
        });
    ::munmap(memory, sizeof(Ring));
    return rate;
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
                   "bare lock-free SPSC ring in shared memory, 64-byte slots (ShmQueue in OneToOne mode)",
                   false, 0.5),
        options, [&] { return shmQueueRate(ringMessages, ShmQueue::Mode::OneToOne); },
        [&] { return bareRingRate(ringMessages); }));
    figures.push_back(measureInterleaved(
        makeFigure("shm_queue_mpmc_small_msgs_per_s", "msgs/s",
                   "bare lock-free SPSC ring in shared memory, 64-byte slots (ShmQueue in ManyToMany mode; "
                   "no target)",
                   false, 0.0),
        options, [&] { return shmQueueRate(ringMessages, ShmQueue::Mode::ManyToMany); },
        [&] { return bareRingRate(ringMessages); }));
    return figures;
}

} // namespace forkscope::cli
