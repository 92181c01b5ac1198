// The behaviour of each managed type, within one process (two connections play two threads of
// Python's server): Python's semantics for dict, list, Namespace, Value, Array, Queue, Lock,
// RLock, Semaphore, Condition (with a given lock), Event and Barrier.
#include "manager/manager.h"
#include "manager/manager_errors.h"
#include "test_main.h"

#include <future>

using namespace forkscope;
using namespace forkscope::test;
using Json = nlohmann::json;

namespace {
std::string remoteType(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const RemoteError& e) {
        return e.type();
    }
    return "no error";
}
} // namespace

class TestManagerSemantics : public QObject {
    Q_OBJECT

private:
    LeakSnapshot before_;
    std::unique_ptr<Manager> manager_;

private Q_SLOTS:
    void init() {
        before_ = LeakSnapshot::take();
        manager_ = std::make_unique<Manager>();
        manager_->start();
    }
    void cleanup() {
        manager_.reset();
        const std::string leaks = before_.leaksIn(LeakSnapshot::take());
        QVERIFY2(leaks.empty(), leaks.c_str());
    }

    void dictSemantics() {
        DictProxy d = manager_->dict({{"a", 1}});
        d.set("b", Json::array({1, "two", nullptr}));
        QCOMPARE(d.size(), std::size_t(2));
        QVERIFY(d.contains("b"));
        QCOMPARE(d.keys(), (std::vector<std::string>{"a", "b"}));
        QCOMPARE(d.get("zz", 9), Json(9));
        QCOMPARE(d.setdefault("c", 3), Json(3));
        QCOMPARE(d.setdefault("c", 4), Json(3));
        d.update({{"d", {{"nested", true}}}});
        QCOMPARE(d.get("d")["nested"], Json(true));
        QCOMPARE(d.pop("a"), Json(1));
        QCOMPARE(d.pop("a", "gone"), Json("gone"));
        QCOMPARE(remoteType([&] { d.erase("a"); }), std::string("KeyError"));
        d.erase("c");
        QCOMPARE(d.items(), Json({{"b", Json::array({1, "two", nullptr})}, {"d", {{"nested", true}}}}));
        QCOMPARE(d.values().size(), std::size_t(2));
        d.clear();
        QCOMPARE(d.size(), std::size_t(0));
    }

    void listSemantics() {
        ListProxy l = manager_->list(Json::array({3, 1, 2}));
        l.append(4);
        l.extend(Json::array({5, 6}));
        QCOMPARE(l.get(-1), Json(6));
        l.set(-1, 60);
        QCOMPARE(l.pop(), Json(60));
        QCOMPARE(l.pop(0), Json(3));
        l.insert(-100, 0); // clamped to the front, as in Python
        QCOMPARE(l.toJson(), Json::array({0, 1, 2, 4, 5}));
        QCOMPARE(l.index(4), std::size_t(3));
        QCOMPARE(l.count(1), std::size_t(1));
        QVERIFY(l.contains(5));
        l.remove(5);
        QCOMPARE(remoteType([&] { l.remove(5); }), std::string("ValueError"));
        QCOMPARE(remoteType([&] { (void)l.get(10); }), std::string("IndexError"));
        l.reverse();
        QCOMPARE(l.toJson(), Json::array({4, 2, 1, 0}));
        l.sort();
        QCOMPARE(l.toJson(), Json::array({0, 1, 2, 4}));
        l.erase(0);
        QCOMPARE(l.size(), std::size_t(3));
        l.clear();
        QCOMPARE(remoteType([&] { l.pop(); }), std::string("IndexError"));
    }

    void namespaceValueArray() {
        NamespaceProxy ns = manager_->makeNamespace();
        ns.set("x", 1.5);
        QCOMPARE(ns.get("x"), Json(1.5));
        QCOMPARE(remoteType([&] { (void)ns.get("y"); }), std::string("AttributeError"));
        ns.erase("x");
        QCOMPARE(ns.toJson(), Json::object());

        ValueProxy v = manager_->value("d", 1);
        v.set(2.25);
        QCOMPARE(v.get(), Json(2.25));
        QCOMPARE(remoteType([&] { v.set("no"); }), std::string("TypeError"));
        QCOMPARE(remoteType([&] { manager_->value("I", -1); }), std::string("TypeError"));
        QCOMPARE(remoteType([&] { manager_->value("x", 1); }), std::string("TypeError"));

        ArrayProxy a = manager_->array("i", Json::array({1, 2, 3}));
        QCOMPARE(a.size(), std::size_t(3));
        a.set(-1, 30);
        QCOMPARE(a.get(2), Json(30));
        QCOMPARE(remoteType([&] { a.set(0, 1.5); }), std::string("TypeError"));
        QCOMPARE(remoteType([&] { a.set(3, 1); }), std::string("IndexError"));
        QCOMPARE(a.toJson(), Json::array({1, 2, 30}));
    }

    void queueSemantics() {
        QueueProxy q = manager_->queue(2);
        QVERIFY(q.empty());
        QVERIFY(q.put(Json{{"k", "v"}}));
        QVERIFY(q.put(2));
        QVERIFY(q.full());
        QVERIFY(!q.putNowait(3));       // Python's queue.Full
        QVERIFY(!q.put(3, true, 0.05)); // timed out while full
        QCOMPARE(q.qsize(), std::size_t(2));
        QCOMPARE(q.get(), std::optional<Json>(Json{{"k", "v"}}));
        QCOMPARE(q.getNowait(), std::optional<Json>(2));
        QCOMPARE(q.getNowait(), std::optional<Json>()); // Python's queue.Empty
        QCOMPARE(q.get(true, 0.05), std::optional<Json>());
        QVERIFY(!q.join(0.05)); // two items were put, none marked done
        q.taskDone();
        q.taskDone();
        QVERIFY(q.join(1.0));
        QCOMPARE(remoteType([&] { q.taskDone(); }), std::string("ValueError"));

        // A blocked get is woken by a put from another connection.
        QueueProxy other(q.newConnection());
        auto got = std::async(std::launch::async, [&] { return other.get(true, 20.0); });
        q.put("wake");
        QCOMPARE(got.wait_for(std::chrono::seconds(20)), std::future_status::ready);
        QCOMPARE(got.get(), std::optional<Json>("wake"));
    }

    void lockOwnership() {
        LockProxy a = manager_->lock();
        LockProxy b(a.newConnection());
        QVERIFY(a.acquire());
        QVERIFY(!b.acquire(false));
        QVERIFY(!b.acquire(true, 0.05));
        b.release(); // a plain Lock may be released by another thread, as threading.Lock allows
        QVERIFY(b.acquire(false));
        b.release();
        QCOMPARE(remoteType([&] { b.release(); }), std::string("RuntimeError"));

        RLockProxy r = manager_->rlock();
        RLockProxy s(r.newConnection());
        QVERIFY(r.acquire());
        QVERIFY(r.acquire());
        QVERIFY(!s.acquire(false));
        QCOMPARE(remoteType([&] { s.release(); }), std::string("RuntimeError"));
        r.release();
        QVERIFY(!s.acquire(false));
        r.release();
        QVERIFY(s.acquire(false));
        s.release();
    }

    void semaphores() {
        SemaphoreProxy sem = manager_->semaphore(2);
        QVERIFY(sem.acquire());
        QVERIFY(sem.acquire());
        QVERIFY(!sem.acquire(false));
        QVERIFY(!sem.acquire(true, 0.05));
        sem.release(3); // an unbounded semaphore may exceed its initial value
        QCOMPARE(sem.value(), 3LL);
        BoundedSemaphoreProxy bounded = manager_->boundedSemaphore(1);
        QVERIFY(bounded.acquire());
        bounded.release();
        QCOMPARE(remoteType([&] { bounded.release(); }), std::string("ValueError"));
    }

    void conditionWithGivenLock() {
        LockProxy lock = manager_->lock();
        ConditionProxy cond = manager_->condition(lock);
        ConditionProxy other(cond.newConnection());
        QCOMPARE(remoteType([&] { cond.notify(); }), std::string("RuntimeError"));
        QCOMPARE(remoteType([&] { cond.wait(0.01); }), std::string("RuntimeError"));
        QVERIFY(cond.acquire());
        QVERIFY(!cond.wait(0.05)); // timed out, and holds the lock again
        QVERIFY(!lock.newConnection().call("acquire", Json::array({false, nullptr})).get<bool>());
        auto waiter = std::async(std::launch::async, [&] { return cond.wait(20.0); });
        // The waiter released the lock inside wait(); taking it proves it is waiting.
        QVERIFY(other.acquire(true, 20.0));
        other.notifyAll();
        other.release();
        QCOMPARE(waiter.wait_for(std::chrono::seconds(20)), std::future_status::ready);
        QVERIFY(waiter.get());
        cond.release();
    }

    void eventSemantics() {
        EventProxy ev = manager_->event();
        QVERIFY(!ev.isSet());
        QVERIFY(!ev.wait(0.05));
        ev.set();
        QVERIFY(ev.wait());
        ev.clear();
        QVERIFY(!ev.isSet());
    }

    void barrierSemantics() {
        BarrierProxy bar = manager_->barrier(2);
        BarrierProxy other(bar.newConnection());
        QCOMPARE(bar.parties(), std::size_t(2));
        auto first = std::async(std::launch::async, [&] { return bar.wait(20.0); });
        std::size_t second = other.wait(20.0);
        QCOMPARE(first.wait_for(std::chrono::seconds(20)), std::future_status::ready);
        QCOMPARE(first.get() + second, std::size_t(1)); // indices 0 and 1
        QCOMPARE(remoteType([&] { bar.wait(0.05); }), std::string("BrokenBarrierError"));
        QVERIFY(other.broken());
        other.reset();
        QVERIFY(!bar.broken());
        other.abort();
        QCOMPARE(remoteType([&] { bar.wait(1.0); }), std::string("BrokenBarrierError"));
    }

    void releaseDropsTheObject() {
        DictProxy d = manager_->dict();
        const auto objects = manager_->serverStats()["objects"].get<int>();
        d.release();
        QCOMPARE(manager_->serverStats()["objects"].get<int>(), objects - 1);
        QCOMPARE(remoteType([&] { (void)d.size(); }), std::string("KeyError"));
    }
};

FORKSCOPE_TEST_MAIN(TestManagerSemantics)
#include "tst_manager_semantics.moc"
