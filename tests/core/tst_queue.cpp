// Queue, JoinableQueue and SimpleQueue across processes of every start method, including the
// guideline's join-before-get deadlock and its two fixes.
#include "engine_test.h"
#include "ipc/joinable_queue.h"
#include "ipc/queue.h"
#include "ipc/shm_queue.h"
#include "ipc/simple_queue.h"
#include "process/context.h"
#include "process_test_support.h"
#include "test_main.h"
#include "throws_with.h"

#include <chrono>
#include <thread>

using namespace forkscope;
using namespace forkscope::test;

namespace {

constexpr std::size_t kLarge = 1'000'000; // the guideline's 'X' * 1000000

void putLarge(TaskArgs& args) {
    Queue q = args.get<Queue>(0);
    q.put(std::string(kLarge, 'X'));
    if (args.size() > 1 && args.get<bool>(1)) {
        q.cancelJoinThread();
    }
}
FORKSCOPE_TASK(putLarge);

/// Puts the large item, says "put" on the report pipe once put() has returned (the item is in
/// this process's feeder, not yet in the pipe), then ends: its exit waits for the feeder.
void putLargeAndSay(TaskArgs& args) {
    Queue q = args.get<Queue>(0);
    q.put(std::string(kLarge, 'X'));
    sendText(args.get<FdHandle>(1).fd(), "put");
}
FORKSCOPE_TASK(putLargeAndSay);

/// Puts the large item nobody reads, cancels the join, closes and joins the feeder: joinThread()
/// must return at once, as in Python. Says "joined" when it did.
void putLargeCancelThenJoin(TaskArgs& args) {
    Queue q = args.get<Queue>(0);
    q.put(std::string(kLarge, 'X'));
    q.cancelJoinThread();
    q.close();
    q.joinThread();
    sendText(args.get<FdHandle>(1).fd(), "joined");
}
FORKSCOPE_TASK(putLargeCancelThenJoin);

/// The child's side of a bounded Queue(2) that the parent has filled: a timed put is Full; a
/// blocking put waits until the parent gets; a timed get on the emptied queue is Empty.
void boundedQueueChild(TaskArgs& args) {
    Queue q = args.get<Queue>(0);
    const int report = args.get<FdHandle>(1).fd();
    const int go = args.get<FdHandle>(2).fd();
    try {
        q.put(9, true, 0.05);
        sendText(report, "put went through a full queue");
        return;
    } catch (const QueueFullError&) {
        sendText(report, "full");
    }
    q.put(10, true, 10.0); // room comes when the parent gets
    sendText(report, "put");
    awaitByte(go); // the parent has got everything
    try {
        (void)q.get<int>(true, 0.05);
        sendText(report, "got from an empty queue");
    } catch (const QueueEmptyError&) {
        sendText(report, "empty");
    }
}
FORKSCOPE_TASK(boundedQueueChild);

void putNumbers(TaskArgs& args) {
    Queue q = args.get<Queue>(0);
    const int count = args.get<int>(1);
    for (int i = 0; i < count; ++i) {
        q.put(i);
    }
}
FORKSCOPE_TASK(putNumbers);

/// Gets `count` ints, checks they are 0..count-1 in order, marks each done.
void consumeJoinable(TaskArgs& args) {
    JoinableQueue q = args.get<JoinableQueue>(0);
    const int count = args.get<int>(1);
    for (int i = 0; i < count; ++i) {
        if (q.get<int>(true, 10.0) != i) {
            exitProcess(3);
        }
        q.taskDone();
    }
}
FORKSCOPE_TASK(consumeJoinable);

void simpleEcho(TaskArgs& args) {
    SimpleQueue in = args.get<SimpleQueue>(0);
    SimpleQueue out = args.get<SimpleQueue>(1);
    out.put(in.get<std::string>(10.0) + " back");
}
FORKSCOPE_TASK(simpleEcho);

/// Producer `id` puts (id, 0..count-1) on a ShmQueue.
void shmProduce(TaskArgs& args) {
    ShmQueue q = args.get<ShmQueue>(0);
    const int id = args.get<int>(1);
    const int count = args.get<int>(2);
    for (int i = 0; i < count; ++i) {
        q.put(std::pair<int, int>(id, i), true, 10.0);
    }
}
FORKSCOPE_TASK(shmProduce);

/// Tries to put on a OneToOne ShmQueue whose producer is another process: exits 0 when the
/// put is refused with a ProcessError, 1 if it went through, 2 on anything else.
void shmSecondProducer(TaskArgs& args) {
    ShmQueue q = args.get<ShmQueue>(0);
    try {
        q.put(99, false);
    } catch (const ProcessError&) {
        std::_Exit(0);
    } catch (...) {
        std::_Exit(2);
    }
    std::_Exit(1);
}
FORKSCOPE_TASK(shmSecondProducer);

/// Takes one item of `count` from a full ShmQueue, then waits for a word on `go` before it takes
/// the rest, checking their order: the producer, blocked on the full ring, must go on with just
/// that one slot free. Exits 0 when every item came in order, 1 if one did not, 3 if `go` never
/// came (the producer did not get through).
void shmFreeOneThenDrain(TaskArgs& args) {
    ShmQueue q = args.get<ShmQueue>(0);
    ShmQueue go = args.get<ShmQueue>(1);
    const int count = args.get<int>(2);
    if (q.get<int>(true, 10.0) != 0) {
        std::_Exit(1);
    }
    bool told = true;
    try {
        (void)go.get<int>(true, 10.0);
    } catch (const QueueEmptyError&) {
        told = false;
    }
    for (int i = 1; i < count; ++i) {
        if (q.get<int>(true, 10.0) != i) {
            std::_Exit(1);
        }
    }
    std::_Exit(told ? 0 : 3);
}
FORKSCOPE_TASK(shmFreeOneThenDrain);

/// Keeps the CPU busy for `micros` microseconds: long enough that the other side of a ShmQueue
/// stops spinning and sleeps on its futex (a sleep here would only let it yield longer).
void busyFor(int micros) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(micros);
    while (std::chrono::steady_clock::now() < until) {
    }
}

/// Echoes `rounds` ints from one ShmQueue to the other, pausing a different time before each
/// reply so that the parent waits through every path: spin, yield and futex sleep.
void shmEcho(TaskArgs& args) {
    ShmQueue in = args.get<ShmQueue>(0);
    ShmQueue out = args.get<ShmQueue>(1);
    const int rounds = args.get<int>(2);
    for (int i = 0; i < rounds; ++i) {
        const int value = in.get<int>(true, 10.0);
        busyFor((i * 37) % 400);
        out.put(value + 1, true, 10.0);
    }
}
FORKSCOPE_TASK(shmEcho);

} // namespace

class TestQueue : public forkscope::test::EngineTest {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        Process warm(getContext(StartMethod::Forkserver), &putNumbers, {Queue(), 0});
        warm.start();
        warm.join(10.0);
    }

    void itemsCrossProcessesInOrder_data() { addStartMethodRows(); }
    void itemsCrossProcessesInOrder() {
        FORKSCOPE_SKIP_FORKED_THREADS_UNDER_TSAN(); // the child's feeder is a thread
        Queue q;
        Process p = rowContext().process(&putNumbers, {q, 1000});
        p.start();
        for (int i = 0; i < 1000; ++i) {
            QCOMPARE(q.get<int>(true, 10.0), i);
        }
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        QVERIFY(q.empty());
        QCOMPARE(q.qsize(), std::size_t(0));
    }

    void joinBeforeGetDeadlocks_data() { addStartMethodRows(); }
    void joinBeforeGetDeadlocks() {
        FORKSCOPE_SKIP_FORKED_THREADS_UNDER_TSAN(); // the child's feeder is a thread
        Queue q;
        TestPipe report;
        Process p = rowContext().process(&putLargeAndSay, {q, report.writeHandle()});
        p.start();
        // put() returned in the child (a put that wrote the pipe itself would block here
        // instead), and its feeder has filled the pipe: the child is now past its task, in its
        // exit, which waits for the feeder.
        QCOMPARE(receiveText(report.read.get()), std::string("put"));
        QVERIFY(eventually([&] {
            const QueueSnapshot s = q.snapshot();
            return s.pipeBytesUnread + 4096 > s.pipeCapacity;
        }));
        // The guideline's example: join first. The child cannot exit while its feeder still
        // holds most of the item, and nobody reads the pipe: a bounded join proves the hang.
        p.join(0.5);
        QVERIFY2(!p.exitCode().has_value(), "the child must still be blocked on its feeder");
        QVERIFY(p.isAlive());
        // Getting the item releases it.
        QCOMPARE(q.get<std::string>(true, 10.0).size(), kLarge);
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
    }

    void getBeforeJoinIsTheFix_data() { addStartMethodRows(); }
    void getBeforeJoinIsTheFix() {
        FORKSCOPE_SKIP_FORKED_THREADS_UNDER_TSAN(); // the child's feeder is a thread
        Queue q;
        Process p = rowContext().process(&putLarge, {q});
        p.start();
        QCOMPARE(q.get<std::string>(true, 10.0), std::string(kLarge, 'X'));
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
    }

    void cancelJoinThreadLetsTheChildExit_data() { addStartMethodRows(); }
    void cancelJoinThreadLetsTheChildExit() {
        FORKSCOPE_SKIP_FORKED_THREADS_UNDER_TSAN(); // the child's feeder is a thread
        Queue q;
        Process p = rowContext().process(&putLarge, {q, true});
        p.start();
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0)); // exited without flushing: the data is lost
    }

    void joinThreadAfterCancelReturns_data() { addStartMethodRows(); }
    void joinThreadAfterCancelReturns() {
        FORKSCOPE_SKIP_FORKED_THREADS_UNDER_TSAN(); // the child's feeder is a thread
        Queue q; // this process keeps the read end open and never reads: the feeder stays blocked
        TestPipe report;
        Process p = rowContext().process(&putLargeCancelThenJoin, {q, report.writeHandle()});
        p.start();
        QCOMPARE(receiveText(report.read.get()), std::string("joined"));
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
    }

    void boundedQueueAcrossProcesses_data() { addStartMethodRows(); }
    void boundedQueueAcrossProcesses() {
        FORKSCOPE_SKIP_FORKED_THREADS_UNDER_TSAN(); // the child's feeder is a thread
        Queue q(2);                                 // the semaphore that bounds it is shared with the child
        q.put(1);
        q.put(2);
        TestPipe report;
        TestPipe go;
        Process p = rowContext().process(&boundedQueueChild, {q, report.writeHandle(), go.readHandle()});
        p.start();
        QCOMPARE(receiveText(report.read.get()), std::string("full"));
        QCOMPARE(q.qsize(), std::size_t(2));
        QCOMPARE(q.get<int>(true, 10.0), 1); // frees the slot the child's blocking put waits for
        QCOMPARE(receiveText(report.read.get()), std::string("put"));
        QCOMPARE(q.get<int>(true, 10.0), 2);
        QCOMPARE(q.get<int>(true, 10.0), 10);
        QCOMPARE(q.qsize(), std::size_t(0));
        sendByte(go.write.get());
        QCOMPARE(receiveText(report.read.get()), std::string("empty"));
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        q.close(); // this process put too: its feeder holds the queue until it stops
        q.joinThread();
    }

    void firstPutsFromManyThreads() {
        // Each thread's first put() creates or finds this process's feeder state: several at
        // once must share one feeder, and every item must arrive, in each thread's order.
        Queue q;
        constexpr int kThreads = 4;
        constexpr int kEach = 200;
        std::vector<std::thread> putters;
        for (int t = 0; t < kThreads; ++t) {
            putters.emplace_back([&q, t] {
                for (int i = 0; i < kEach; ++i) {
                    q.put(std::pair<int, int>(t, i));
                }
            });
        }
        std::vector<int> next(kThreads, 0);
        for (int n = 0; n < kThreads * kEach; ++n) {
            auto [t, i] = q.get<std::pair<int, int>>(true, 10.0);
            QCOMPARE(i, next[static_cast<std::size_t>(t)]);
            ++next[static_cast<std::size_t>(t)];
        }
        for (std::thread& putter : putters) {
            putter.join();
        }
        QVERIFY(q.empty());
        q.close();
        q.joinThread();
    }

    void maxsizeBeyondTheSemaphoreIsRefused() {
        QVERIFY(throwsWith<ProcessError>([] { Queue q(std::size_t(1) << 32); }, "4294967296"));
        QVERIFY(
            throwsWith<ProcessError>([] { JoinableQueue q(std::size_t(0x80000000)); }, "most a semaphore"));
        Queue largest(0x7fffffff);
        QCOMPARE(largest.maxsize(), std::size_t(0x7fffffff));
        QVERIFY(!largest.full());
    }

    void timeoutsRaiseEmptyAndFull() {
        Queue q(2);
        QVERIFY_THROWS_EXCEPTION(QueueEmptyError, (void)q.get<int>(false));
        QVERIFY_THROWS_EXCEPTION(QueueEmptyError, (void)q.get<int>(true, 0.05));
        q.put(1);
        q.put(2);
        QVERIFY(q.full());
        QCOMPARE(q.qsize(), std::size_t(2));
        QVERIFY_THROWS_EXCEPTION(QueueFullError, q.put(3, false));
        QVERIFY_THROWS_EXCEPTION(QueueFullError, q.put(3, true, 0.05));
        QCOMPARE(q.get<int>(true, 5.0), 1);
        QVERIFY(!q.full());
        QCOMPARE(q.get<int>(true, 5.0), 2);
        QVERIFY_THROWS_EXCEPTION(SerializationError, [&] {
            q.put(std::string("text"));
            (void)q.get<int>(true, 5.0);
        }());
        q.close();
        q.joinThread();
    }

    void closeRules() {
        Queue q;
        QVERIFY_THROWS_EXCEPTION(ProcessError, q.joinThread()); // before close()
        q.put(7);
        q.close();
        QVERIFY_THROWS_EXCEPTION(ProcessError, q.put(8));
        QVERIFY_THROWS_EXCEPTION(ProcessError, (void)q.get<int>(false));
        q.joinThread();
    }

    void feederBlockedIsObservable() {
        Queue q;
        // Should a check below fail, this process must still be able to exit: an unread item
        // would keep its feeder, and so the exit, blocked (the very hazard under test).
        auto releaseOnFailure = qScopeGuard([&] {
            q.cancelJoinThread();
            q.close();
        });
        q.put(std::string(kLarge, 'X')); // nobody reads yet: the pipe fills, the feeder blocks
        QVERIFY(eventually([&] { return q.snapshot().feederBlocked; }));
        const QueueSnapshot full = q.snapshot();
        QCOMPARE(full.items, std::size_t(1));
        QVERIFY(full.pipeBytesUnread > 0);
        QVERIFY(full.pipeBytesUnread <= full.pipeCapacity);
        QCOMPARE(q.get<std::string>(true, 10.0).size(), kLarge);
        QVERIFY(eventually([&] { return !q.snapshot().feederBlocked; }));
        q.close();
        q.joinThread();
    }

    void joinableQueueAccounting_data() { addStartMethodRows(); }
    void joinableQueueAccounting() {
        JoinableQueue q;
        for (int i = 0; i < 50; ++i) {
            q.put(i);
        }
        QCOMPARE(q.unfinishedTasks(), 50u);
        QVERIFY(!q.join(0.05)); // nothing done yet
        Process p = rowContext().process(&consumeJoinable, {q, 50});
        p.start();
        QVERIFY(q.join(10.0));
        QCOMPARE(q.unfinishedTasks(), 0u);
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        QVERIFY_THROWS_EXCEPTION(ProcessError, q.taskDone());
        q.close();
        q.joinThread();
    }

    void simpleQueueRoundTrip_data() { addStartMethodRows(); }
    void simpleQueueRoundTrip() {
        SimpleQueue in;
        SimpleQueue out;
        QVERIFY(out.empty());
        Process p = rowContext().process(&simpleEcho, {in, out});
        p.start();
        in.put(std::string("ping"));
        QCOMPARE(out.get<std::string>(10.0), std::string("ping back"));
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        QVERIFY_THROWS_EXCEPTION(QueueEmptyError, (void)out.get<std::string>(0.05));
    }

    void shmQueueManyProducers_data() { addStartMethodRows(); }
    void shmQueueManyProducers() {
        // A small ring, so producers really block for room and the consumer for items.
        ShmQueue q(8, 64);
        Process a = rowContext().process(&shmProduce, {q, 0, 5000});
        Process b = rowContext().process(&shmProduce, {q, 1, 5000});
        a.start();
        b.start();
        int next[2] = {0, 0};
        for (int i = 0; i < 10000; ++i) {
            auto [id, value] = q.get<std::pair<int, int>>(true, 10.0);
            QCOMPARE(value, next[id]); // each producer's items arrive in its order
            ++next[id];
        }
        a.join(10.0);
        b.join(10.0);
        QCOMPARE(a.exitCode(), std::optional<int>(0));
        QCOMPARE(b.exitCode(), std::optional<int>(0));
        QVERIFY(q.empty());
    }

    void shmQueueOneToOneAcrossProcesses_data() { addStartMethodRows(); }
    void shmQueueOneToOneAcrossProcesses() {
        // 8 slots for 20000 items: the producer waits for room and the consumer for items,
        // many times over, through both the spin and the futex paths. With 1024 slots a
        // producer that finds the ring full first waits for a run of free slots (an eighth of
        // the ring) before it goes on.
        for (const std::size_t slots : {8, 1024}) {
            ShmQueue q(slots, 64, "one-to-one", ShmQueue::Mode::OneToOne);
            QCOMPARE(q.mode(), ShmQueue::Mode::OneToOne);
            Process p = rowContext().process(&shmProduce, {q, 0, 20000});
            p.start();
            for (int i = 0; i < 20000; ++i) {
                auto [id, value] = q.get<std::pair<int, int>>(true, 10.0);
                QCOMPARE(id, 0);
                QCOMPARE(value, i);
            }
            p.join(10.0);
            QCOMPARE(p.exitCode(), std::optional<int>(0));
            QVERIFY(q.empty());
            QVERIFY_THROWS_EXCEPTION(QueueEmptyError, (void)q.get<int>(true, 0.05));
        }
    }

    void shmQueueFullProducerGoesOnWhenOneSlotFrees_data() { addStartMethodRows(); }
    void shmQueueFullProducerGoesOnWhenOneSlotFrees() {
        // A producer that finds a 64-slot ring full first waits for the slot 8 ahead to free
        // (a run of room, not the next slot): that wait must be bounded, since a consumer may
        // free one slot and no more for as long as it likes.
        ShmQueue q(64, 32, "full", ShmQueue::Mode::OneToOne);
        ShmQueue go(4, 32, "go", ShmQueue::Mode::ManyToMany);
        for (int i = 0; i < 64; ++i) {
            q.put(i, false);
        }
        QVERIFY(q.full());
        Process p = rowContext().process(&shmFreeOneThenDrain, {q, go, 65});
        p.start();
        q.put(64, true, 10.0); // goes through once the child has taken item 0
        go.put(1);
        p.join(20.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        QVERIFY(q.empty());
    }

    void shmQueueSleepersAreWoken_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<int>("mode");
        for (const char* method : {"fork", "spawn", "forkserver"}) {
            QTest::addRow("%s/one-to-one", method)
                << QString::fromLatin1(method) << int(ShmQueue::Mode::OneToOne);
            QTest::addRow("%s/many-to-many", method)
                << QString::fromLatin1(method) << int(ShmQueue::Mode::ManyToMany);
        }
    }
    void shmQueueSleepersAreWoken() {
        // A wake-up lost between a put and a side going to sleep would show as a get that
        // times out here: each round trip waits up to 0.4 ms on either side, longer than the
        // spin, so both sides sleep on their futex again and again (the asymmetric fence's
        // heavy half against the publisher's compiler barrier).
        QFETCH(int, mode);
        const auto queueMode = static_cast<ShmQueue::Mode>(mode);
        ShmQueue there(4, 32, "there", queueMode);
        ShmQueue back(4, 32, "back", queueMode);
        constexpr int kRounds = 600;
        Process echo = rowContext().process(&shmEcho, {there, back, kRounds});
        echo.start();
        for (int i = 0; i < kRounds; ++i) {
            there.put(i, true, 10.0);
            QCOMPARE(back.get<int>(true, 10.0), i + 1);
            busyFor((i * 53) % 400);
        }
        echo.join(10.0);
        QCOMPARE(echo.exitCode(), std::optional<int>(0));
    }

    void shmQueueOneToOneRefusesASecondProducer() {
        ShmQueue q(4, 32, "one-to-one", ShmQueue::Mode::OneToOne);
        q.put(1); // this thread is the producer from now on
        std::string refusal;
        std::thread other([&] {
            try {
                q.put(2);
            } catch (const ProcessError& e) {
                refusal = e.what();
            }
        });
        other.join();
        QVERIFY2(refusal.find("already has its producer") != std::string::npos, refusal.c_str());
        // Another process is refused too (a fork child's thread is not the producer).
        Process p = getContext(StartMethod::Fork).process(&shmSecondProducer, {q});
        p.start();
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        // The refused puts never touched the ring.
        QCOMPARE(q.qsize(), std::size_t(1));
        q.put(3); // the producer itself goes on
        QCOMPARE(q.get<int>(false), 1);
        QCOMPARE(q.get<int>(false), 3);
        QVERIFY(q.empty());
    }

    void shmQueueOneToOneRefusesASecondConsumer() {
        ShmQueue q(4, 32, "one-to-one", ShmQueue::Mode::OneToOne);
        q.put(1);
        q.put(2);
        QCOMPARE(q.get<int>(false), 1); // this thread is the consumer from now on
        std::string refusal;
        std::thread other([&] {
            try {
                (void)q.get<int>(false);
            } catch (const ProcessError& e) {
                refusal = e.what();
            }
        });
        other.join();
        QVERIFY2(refusal.find("already has its consumer") != std::string::npos, refusal.c_str());
        QCOMPARE(q.get<int>(false), 2);
    }

    void shmQueueLimits_data() {
        QTest::addColumn<int>("mode");
        QTest::newRow("many-to-many") << int(ShmQueue::Mode::ManyToMany);
        QTest::newRow("one-to-one") << int(ShmQueue::Mode::OneToOne);
    }
    void shmQueueLimits() {
        QFETCH(int, mode);
        ShmQueue q(3, 32, "limits", ShmQueue::Mode(mode)); // rounded up to 4 slots
        QCOMPARE(q.capacity(), std::size_t(4));
        QVERIFY_THROWS_EXCEPTION(QueueEmptyError, (void)q.get<int>(false));
        QVERIFY_THROWS_EXCEPTION(QueueEmptyError, (void)q.get<int>(true, 0.05));
        // Items of every size up to the slot, across several laps of the ring.
        for (std::size_t size = 0; size <= 32; ++size) {
            const std::vector<std::uint8_t> item(size, static_cast<std::uint8_t>(size));
            q.putBytes(item, false);
            QCOMPARE(q.getBytes(false), item);
        }
        for (int i = 0; i < 4; ++i) {
            q.put(i);
        }
        QVERIFY(q.full());
        QVERIFY_THROWS_EXCEPTION(QueueFullError, q.put(4, false));
        QVERIFY_THROWS_EXCEPTION(QueueFullError, q.put(4, true, 0.05));
        QVERIFY_THROWS_EXCEPTION(ProcessError, q.put(std::string(100, 'x')));
        QCOMPARE(q.get<int>(), 0);
        // Larger than the slot but of a size a one-to-one put copies inline (up to 64 bytes),
        // with a slot free: refused all the same, not written past the slot.
        QVERIFY_THROWS_EXCEPTION(ProcessError, q.putBytes(std::vector<std::uint8_t>(40, 7), false));
        QCOMPARE(q.qsize(), std::size_t(3));
        q.put(4, false); // the slot just freed
        for (int i = 1; i <= 4; ++i) {
            QCOMPARE(q.get<int>(false), i);
        }
    }

    void shmQueueItemBytesArriveInPlace_data() { shmQueueLimits_data(); }
    void shmQueueItemBytesArriveInPlace() {
        // Small items are copied in overlapping pieces (16-31 and 32-64 bytes) and the rest
        // whole: every byte of every size must land where it was, including a size that shrinks
        // and grows again in a reused buffer.
        QFETCH(int, mode);
        ShmQueue q(4, 130, "bytes", ShmQueue::Mode(mode));
        std::vector<std::uint8_t> received(7, 0xEE);
        for (std::size_t size = 0; size <= 130; ++size) {
            std::vector<std::uint8_t> item(size);
            for (std::size_t i = 0; i < size; ++i) {
                item[i] = static_cast<std::uint8_t>(i * 31 + size);
            }
            q.putBytes(item, false);
            q.getBytesInto(received, false);
            QCOMPARE(received, item);
        }
    }
};

FORKSCOPE_TEST_MAIN(TestQueue)
#include "tst_queue.moc"
