// Shared Value/Array (Python's multiprocessing.Value/Array) under each start method: the memory
// is really shared, updates are lost without the lock and none are lost with it.
#include "engine_test.h"
#include "process/context.h"
#include "process/errors.h"
#include "process_test_support.h"
#include "sync/barrier.h"
#include "sync/shared_array.h"
#include "sync/shared_value.h"
#include "test_main.h"

#include <mutex>
#include <stdexcept>

using namespace forkscope;
using namespace forkscope::test;

namespace {

struct Point {
    double x;
    double y;
    int tag;
};

/// Doubles the int Value, moves the Point, doubles each array element.
void mutateShared(TaskArgs& args) {
    auto& number = args.get<Value<int>>(0);
    auto& point = args.get<Value<Point>>(1);
    auto& array = args.get<Array<double>>(2);
    number.set(number.get() * 2);
    Point p = point.get();
    p.x += 1;
    p.tag = 42;
    point.set(p);
    for (std::size_t i = 0; i < array.size(); ++i) {
        array.set(i, array.get(i) * 2);
    }
    array[0] += 0.5; // raw access works in the child too
}
FORKSCOPE_TASK(mutateShared);

/// Waits at the barrier (so both workers overlap), then increments the Value n times: under its
/// lock when it has one, as a bare get-then-set otherwise. With the lock, worker `index` (arg 4)
/// writes the value it saw at its first and at its last increment into `seen` (arg 3) at
/// 2 * index and 2 * index + 1: two workers whose spans overlap really contended for the lock.
void incrementValue(TaskArgs& args) {
    auto& value = args.get<Value<long>>(0);
    args.get<Barrier>(1).wait(10.0);
    const int n = args.get<int>(2);
    if (value.synchronized()) {
        auto& seen = args.get<Array<long>>(3);
        const auto index = static_cast<std::size_t>(args.get<int>(4));
        for (int i = 0; i < n; ++i) {
            std::lock_guard guard(value.getLock());
            const long before = value.get();
            if (i == 0) {
                seen.set(2 * index, before);
            }
            if (i == n - 1) {
                seen.set(2 * index + 1, before);
            }
            value.set(before + 1);
        }
    } else {
        for (int i = 0; i < n; ++i) {
            value.set(value.get() + 1);
        }
    }
}
FORKSCOPE_TASK(incrementValue);

} // namespace

class TestSharedValue : public forkscope::test::EngineTest {
    Q_OBJECT

    /// Two workers of the row's start method increment `value` n times each; returns the total.
    /// `seen` (4 longs) receives each locked worker's first and last value seen.
    static long runIncrementers(Value<long> value, int n, const Array<long>& seen = Array<long>(4, false)) {
        Barrier start(2);
        Process a = rowContext().process(&incrementValue, {value, start, n, seen, 0});
        Process b = rowContext().process(&incrementValue, {value, start, n, seen, 1});
        a.start();
        b.start();
        a.join(30.0);
        b.join(30.0);
        if (a.exitCode() != 0 || b.exitCode() != 0) {
            for (Process* p : {&a, &b}) { // never leave a worker behind a failed check
                if (!p->exitCode()) {
                    p->kill();
                    p->join(10.0);
                }
            }
            throw std::runtime_error("an incrementing worker failed or did not finish in 30 s");
        }
        return *value.raw();
    }

private Q_SLOTS:
    void initTestCase() {
        Process warm(getContext(StartMethod::Forkserver), &mutateShared,
                     {Value<int>(1), Value<Point>(Point{}), Array<double>(1)});
        warm.start();
        warm.join(10.0);
    }

    void valueAndArrayAreShared_data() { addStartMethodRows(); }
    void valueAndArrayAreShared() {
        for (bool lock : {true, false}) {
            Value<int> number(21, lock);
            Value<Point> point(Point{1.0, 2.0, 0}, lock);
            Array<double> array({1.0, 2.0, 3.0}, lock);
            Process p = rowContext().process(&mutateShared, {number, point, array});
            p.start();
            p.join(10.0);
            QCOMPARE(p.exitCode(), std::optional<int>(0));
            QCOMPARE(number.get(), 42);
            QCOMPARE(point.get().x, 2.0);
            QCOMPARE(point.get().y, 2.0);
            QCOMPARE(point.get().tag, 42);
            QCOMPARE(array.toVector(), (std::vector<double>{2.5, 4.0, 6.0}));
            QCOMPARE(number.synchronized(), lock);
        }
    }

    void lostUpdatesWithoutLock_data() { addStartMethodRows(); }
    void lostUpdatesWithoutLock() {
        // Two unsynchronised read-then-write loops that overlap must lose updates. Whether a
        // given run overlaps is up to the scheduler, so allow a bounded number of attempts.
        constexpr int kPerProcess = 200000;
        constexpr int kAttempts = 8;
        long lastTotal = 0;
        int attempt = 0;
        for (; attempt < kAttempts; ++attempt) {
            lastTotal = runIncrementers(Value<long>(0, false), kPerProcess);
            QVERIFY(lastTotal > 0 && lastTotal <= 2L * kPerProcess);
            if (lastTotal < 2L * kPerProcess) {
                break;
            }
        }
        QVERIFY2(attempt < kAttempts, "no update was ever lost: the two workers never overlapped");
        qInfo("lost %ld of %d updates without the lock (attempt %d)", 2L * kPerProcess - lastTotal,
              2 * kPerProcess, attempt + 1);
    }

    void noLostUpdatesWithLock_data() { addStartMethodRows(); }
    void noLostUpdatesWithLock() {
        // As many increments as the lost-update test: no update is lost, and the two workers'
        // spans interleaved (each began before the other ended), so the lock was contended —
        // a lock that did not exclude would have lost updates here.
        constexpr int kPerProcess = 200000;
        Array<long> seen(4, false);
        QCOMPARE(runIncrementers(Value<long>(0, true), kPerProcess, seen), 2L * kPerProcess);
        const std::vector<long> s = seen.toVector();
        QVERIFY2(s[0] < s[3] && s[2] < s[1],
                 qPrintable(QStringLiteral("the workers never overlapped: a saw %1..%2, b %3..%4")
                                .arg(s[0])
                                .arg(s[1])
                                .arg(s[2])
                                .arg(s[3])));
    }

    void errorsAndRawAccess() {
        Value<int> plain(7, false);
        QVERIFY_THROWS_EXCEPTION(ProcessError, (void)plain.getLock());
        *plain.raw() = 8;
        QCOMPARE(plain.get(), 8);

        Value<int> locked(1);
        {
            std::lock_guard guard(locked.getLock());
            locked.set(locked.get() + 1); // get/set re-enter the held RLock
            QCOMPARE(locked.getLock().recursionCount(), 1u);
        }
        QVERIFY(!locked.getLock().heldByCaller());
        QCOMPARE(locked.get(), 2);

        Array<int> zeros(4);
        QCOMPARE(zeros.size(), std::size_t{4});
        QCOMPARE(zeros.toVector(), (std::vector<int>{0, 0, 0, 0}));
        zeros[2] = 5;
        QCOMPARE(zeros.get(2), 5);
        QCOMPARE(zeros.raw()[2], 5);
        QVERIFY_THROWS_EXCEPTION(std::out_of_range, (void)zeros.get(4));
        QVERIFY_THROWS_EXCEPTION(std::out_of_range, zeros.set(9, 1));
        Array<int> unlocked({1, 2}, false);
        QVERIFY_THROWS_EXCEPTION(ProcessError, (void)unlocked.getLock());
        Array<int> empty(std::size_t{0});
        QCOMPARE(empty.toVector(), std::vector<int>{});
    }
};

FORKSCOPE_TEST_MAIN(TestSharedValue)
#include "tst_shared_value.moc"
