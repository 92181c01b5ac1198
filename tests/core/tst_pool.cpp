// Pool (Python's multiprocessing.Pool): results, ordering, callbacks, errors, worker
// replacement, closures and initializers, under each start method.
#include "engine_test.h"
#include "pool/pool.h"
#include "pool_test_tasks.h"
#include "process_test_support.h"
#include "test_main.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <string>
#include <tuple>

using namespace forkscope;
using namespace forkscope::test;

namespace {

std::vector<int> range(int n) {
    std::vector<int> v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), 0);
    return v;
}

std::vector<int> squares(int n) {
    std::vector<int> v;
    for (int i = 0; i < n; ++i) {
        v.push_back(i * i);
    }
    return v;
}

int unregisteredTriple(const int& x) {
    return 3 * x;
}

} // namespace

class TestPool : public forkscope::test::EngineTest {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        (void)getContext(StartMethod::Forkserver);
        Pool warm(1, std::nullopt, {}, std::nullopt, getContext(StartMethod::Forkserver));
        QCOMPARE(warm.applyAsync(&square, 2).get(10.0), 4);
    }

    void defaultChunksizeIsPythons() {
        // chunksize, extra = divmod(len, len(pool) * 4); if extra: chunksize += 1
        QCOMPARE(detail::defaultChunksize(200000, 2), std::size_t{25000});
        QCOMPARE(detail::defaultChunksize(100, 2), std::size_t{13});
        QCOMPARE(detail::defaultChunksize(8, 2), std::size_t{1});
        QCOMPARE(detail::defaultChunksize(3, 4), std::size_t{1});
        QCOMPARE(detail::defaultChunksize(0, 4), std::size_t{0});
    }

    void mapKeepsOrder_data() { addStartMethodRows(); }
    void mapKeepsOrder() {
        Pool pool(2, std::nullopt, {}, std::nullopt, rowContext());
        QCOMPARE(pool.size(), std::size_t{2});
        QCOMPARE(pool.mapAsync(&square, range(100)).get(10.0), squares(100));
        QCOMPARE(pool.mapAsync(&square, range(100), 7).get(10.0), squares(100));
        QCOMPARE(pool.mapAsync(&square, range(1000), 1).get(10.0), squares(1000));
        QCOMPARE(pool.mapAsync(&square, std::vector<int>{}).get(10.0), std::vector<int>{});
        QCOMPARE(pool.map(&square, range(10)), squares(10));
        const PoolStats stats = pool.stats();
        QCOMPARE(stats.tasksDone, std::size_t{1210});
        QCOMPARE(stats.tasksQueued, std::size_t{0});
        QCOMPARE(stats.tasksRunning, std::size_t{0});
        QCOMPARE(stats.workers.size(), std::size_t{2});
    }

    void imapIsLazyAndOrdered_data() { addStartMethodRows(); }
    void imapIsLazyAndOrdered() {
        Pool pool(2, std::nullopt, {}, std::nullopt, rowContext());
        for (std::size_t chunksize : {std::size_t{1}, std::size_t{3}}) {
            ImapResult<int> results = pool.imap(&square, range(50), chunksize);
            QCOMPARE(results.size(), std::size_t{50});
            std::vector<int> got;
            while (auto value = results.next(10.0)) {
                got.push_back(*value);
            }
            QCOMPARE(got, squares(50));
            QVERIFY(!results.next(1.0).has_value());
        }
        std::vector<int> viaRangeFor;
        for (int value : pool.imap(&square, range(20))) {
            viaRangeFor.push_back(value);
        }
        QCOMPARE(viaRangeFor, squares(20));
    }

    void imapUnorderedHasEveryResult_data() { addStartMethodRows(); }
    void imapUnorderedHasEveryResult() {
        Pool pool(2, std::nullopt, {}, std::nullopt, rowContext());
        for (std::size_t chunksize : {std::size_t{1}, std::size_t{4}}) {
            ImapResult<int> results = pool.imapUnordered(&square, range(50), chunksize);
            std::vector<int> got;
            while (auto value = results.next(10.0)) {
                got.push_back(*value);
            }
            std::sort(got.begin(), got.end());
            QCOMPARE(got, squares(50));
        }
    }

    void starmapAndApply_data() { addStartMethodRows(); }
    void starmapAndApply() {
        Pool pool(2, std::nullopt, {}, std::nullopt, rowContext());
        std::vector<std::tuple<int, int>> pairs;
        std::vector<int> sums;
        for (int i = 0; i < 30; ++i) {
            pairs.emplace_back(i, 100 * i);
            sums.push_back(101 * i);
        }
        QCOMPARE(pool.starmapAsync(&add, pairs).get(10.0), sums);
        QCOMPARE(pool.starmapAsync(&add, pairs, 4).get(10.0), sums);
        QCOMPARE(pool.starmap(&add, pairs), sums);
        QCOMPARE(pool.applyAsync(&square, 12).get(10.0), 144);
        QCOMPARE(pool.applyAsync(&add, std::make_tuple(2, 3)).get(10.0), 5);
        QCOMPARE(pool.apply(&square, 5), 25);
    }

    void callbacks_data() { addStartMethodRows(); }
    void callbacks() {
        Pool pool(2, std::nullopt, {}, std::nullopt, rowContext());
        int seen = 0;
        std::string failure;
        AsyncResult<int> ok = pool.applyAsync(&square, 9, [&](const int& value) { seen = value; });
        // Python runs the callback before the result becomes ready.
        QCOMPARE(ok.get(10.0), 81);
        QCOMPARE(seen, 81);
        QVERIFY(ok.ready());
        QVERIFY(ok.successful());

        AsyncResult<int> bad = pool.applyAsync(
            &failOnSeven, 7, [&](const int&) { seen = -1; },
            [&](const std::exception& e) { failure = e.what(); });
        QVERIFY(bad.wait(10.0));
        QVERIFY(!bad.successful());
        QVERIFY2(failure.find("bad item 7") != std::string::npos, failure.c_str());
        QCOMPARE(seen, 81);

        std::vector<int> mapped;
        auto all = pool.mapAsync(&square, range(40), std::nullopt,
                                 [&](const std::vector<int>& values) { mapped = values; });
        QVERIFY(all.wait(10.0));
        QCOMPARE(mapped, squares(40));

        // Nobody waits: the pool's own thread reads the result and runs the callback.
        TestPipe done;
        const int doneFd = done.write.get();
        auto unattended = pool.applyAsync(
            &square, 3, [doneFd](const int& value) { sendText(doneFd, std::to_string(value)); });
        QCOMPARE(receiveText(done.read.get(), 10.0), std::string("9"));
        QVERIFY(unattended.wait(10.0));
    }

    void exceptionCarriesIndex_data() { addStartMethodRows(); }
    void exceptionCarriesIndex() {
        Pool pool(2, std::nullopt, {}, std::nullopt, rowContext());
        for (std::size_t chunksize : {std::size_t{1}, std::size_t{3}}) {
            try {
                (void)pool.mapAsync(&failOnSeven, range(20), chunksize).get(10.0);
                QFAIL("map should have thrown");
            } catch (const TaskError& e) {
                QCOMPARE(e.index(), std::size_t{7});
                QCOMPARE(e.message(), std::string("bad item 7"));
                QVERIFY2(std::string(e.what()).find("task 7") != std::string::npos, e.what());
                QVERIFY2(e.exceptionType().find("runtime_error") != std::string::npos,
                         e.exceptionType().c_str());
            }
        }
        try {
            (void)pool.applyAsync(&failOnSeven, 7).get(10.0);
            QFAIL("apply should have thrown");
        } catch (const TaskError& e) {
            QCOMPARE(e.index(), std::size_t{0});
        }
        // imap reports the failed chunk where its results would be, then goes on.
        ImapResult<int> results = pool.imap(&failOnSeven, range(12), 3);
        std::vector<int> got;
        bool threw = false;
        for (;;) {
            try {
                auto value = results.next(10.0);
                if (!value) {
                    break;
                }
                got.push_back(*value);
            } catch (const TaskError& e) {
                QCOMPARE(e.index(), std::size_t{7});
                threw = true;
            }
        }
        QVERIFY(threw);
        QCOMPARE(got, (std::vector<int>{0, 1, 2, 3, 4, 5, 9, 10, 11}));
        // The pool is still fine.
        QCOMPARE(pool.applyAsync(&square, 4).get(10.0), 16);
    }

    void maxtasksperchildReplacesWorkers_data() { addStartMethodRows(); }
    void maxtasksperchildReplacesWorkers() {
        Pool pool(2, std::nullopt, {}, 2, rowContext());
        const std::vector<int> pids = pool.mapAsync(&workerPid, range(12), 1).get(30.0);
        const std::set<int> distinct(pids.begin(), pids.end());
        // Each worker runs at most 2 tasks, then exits and is replaced: 12 tasks need at least
        // 6 processes (more when the last chunks are spread over fresh workers).
        QVERIFY(distinct.size() >= 6);
        for (int pid : distinct) {
            QVERIFY(std::count(pids.begin(), pids.end(), pid) <= 2);
        }
        QVERIFY(pool.stats().workerReplacements >= 4);
        QCOMPARE(pool.stats().workerDeaths, std::size_t{0});
        pool.close();
        QVERIFY(pool.join(30.0));
        QVERIFY(pool.stats().workers.empty());
    }

    void initializerRuns_data() { addStartMethodRows(); }
    void initializerRuns() {
        TestPipe started;
        TestPipe gate;
        Pool pool(2, Target(&rememberPipes), {started.writeHandle(), gate.readHandle()}, std::nullopt,
                  rowContext());
        QCOMPARE(pool.mapAsync(&initValue, range(8)).get(10.0), std::vector<int>(8, 42));
    }

    void closures_data() { addStartMethodRows(); }
    void closures() {
        Pool pool(2, std::nullopt, {}, std::nullopt, rowContext());
        const int factor = 3;
        auto triple = [factor](const int& x) { return factor * x; };
        if (rowIsFork()) {
            QCOMPARE(pool.mapAsync(triple, range(10)).get(10.0),
                     (std::vector<int>{0, 3, 6, 9, 12, 15, 18, 21, 24, 27}));
            QCOMPARE(pool.applyAsync(&unregisteredTriple, 5).get(10.0), 15);
            QCOMPARE(pool.applyAsync([](const int& a, const int& b) { return a * b; }, std::make_tuple(6, 7))
                         .get(10.0),
                     42);
            // A closure that owns heap state cannot reach a worker forked before it existed.
            std::string text = "not trivially copyable";
            QVERIFY_THROWS_EXCEPTION(
                SerializationError,
                (void)pool.applyAsync([text](const int& x) { return x + static_cast<int>(text.size()); }, 1));
        } else {
            QVERIFY_THROWS_EXCEPTION(SerializationError, (void)pool.mapAsync(triple, range(10)));
            QVERIFY_THROWS_EXCEPTION(SerializationError, (void)pool.applyAsync(&unregisteredTriple, 5));
        }
    }

    void closedPoolRefusesWork_data() { addStartMethodRows(); }
    void closedPoolRefusesWork() {
        Pool pool(2, std::nullopt, {}, std::nullopt, rowContext());
        QVERIFY_THROWS_EXCEPTION(ProcessError, pool.join(1.0)); // Python: "Pool is still running"
        auto pending = pool.mapAsync(&square, range(200), 1);
        pool.close();
        QVERIFY_THROWS_EXCEPTION(ProcessError, (void)pool.applyAsync(&square, 1));
        // close() lets the submitted work finish, then the workers exit.
        QVERIFY(pool.join(30.0));
        QCOMPARE(pending.get(1.0), squares(200));
        QVERIFY(pool.stats().workers.empty());
    }
};

FORKSCOPE_TEST_MAIN(TestPool)
#include "tst_pool.moc"
