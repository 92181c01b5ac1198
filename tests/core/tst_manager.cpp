// The manager (Python's multiprocessing.managers): proxies of every type used across processes
// under each start method and transport, user-registered types, exposure and remote errors,
// concurrent use of one proxy, shutdown and a killed server.
#include "engine_test.h"
#include "manager/managed_type_registry.h"
#include "manager/manager.h"
#include "manager/manager_errors.h"
#include "process/context.h"
#include "process/errors.h"
#include "process_test_support.h"
#include "test_main.h"

#include <chrono>
#include <filesystem>
#include <future>
#include <mutex>
#include <signal.h>
#include <stdexcept>
#include <sys/stat.h>
#include <thread>

using namespace forkscope;
using namespace forkscope::test;
using Json = nlohmann::json;

namespace {

/// A user type: exposes increment/value/fail; "secret" exists but is not exposed.
class Counter final : public ManagedObject {
public:
    explicit Counter(const Json& args)
        : count_(argument(args, 0).is_number_integer() ? args[0].get<long long>() : 0) {}

    Json call(const std::string& method, const Json& args, CallContext&) override {
        if (method == "increment") {
            count_ += argument(args, 0).is_number_integer() ? args[0].get<long long>() : 1;
            return count_;
        }
        if (method == "value") {
            return count_;
        }
        if (method == "fail") {
            throw std::runtime_error("counter failure: " + argument(args, 0).get<std::string>());
        }
        if (method == "secret") {
            return "should never be reachable";
        }
        throw ManagedError("AttributeError", method);
    }

private:
    long long count_;
};
FORKSCOPE_MANAGED_TYPE(
    "Counter", [](const Json& args) { return std::make_unique<Counter>(args); }, "increment", "value",
    "fail");

/// Uses a proxy of every built-in type; the parent plays the other side (see the test).
void exerciseProxies(TaskArgs& args) {
    auto d = args.get<DictProxy>(0);
    try {
        auto l = args.get<ListProxy>(1);
        auto ns = args.get<NamespaceProxy>(2);
        auto v = args.get<ValueProxy>(3);
        auto a = args.get<ArrayProxy>(4);
        auto q = args.get<QueueProxy>(5);
        auto lock = args.get<LockProxy>(6);
        auto rlock = args.get<RLockProxy>(7);
        auto sem = args.get<SemaphoreProxy>(8);
        auto bsem = args.get<BoundedSemaphoreProxy>(9);
        auto cond = args.get<ConditionProxy>(10);
        auto ev = args.get<EventProxy>(11);
        auto bar = args.get<BarrierProxy>(12);

        d.set("child", "hello");
        l.append(42);
        ns.set("fromChild", 7);
        v.set(7);
        a.set(1, 2.5);
        q.put("from child");
        d.set("lockTry", lock.acquire(false)); // the parent holds it
        bar.wait(10.0);                        // 1: the parent releases the lock after this
        d.set("lockTimed", lock.acquire(true, 10.0));
        lock.release();
        rlock.acquire();
        d.set("rlockAgain", rlock.acquire(false));
        rlock.release();
        rlock.release();
        d.set("semAcquired", sem.acquire(true, 10.0));
        sem.release();
        try {
            bsem.release();
            d.set("bsemOver", "no error");
        } catch (const RemoteError& e) {
            d.set("bsemOver", e.type());
        }
        cond.acquire(true, 10.0);
        ns.set("ready", true);
        cond.notifyAll();
        cond.release();
        ev.set();
        bar.wait(10.0); // 2: done
    } catch (const std::exception& e) {
        d.set("error", e.what());
        exitProcess(3);
    }
}
FORKSCOPE_TASK(exerciseProxies);

/// Increments a Counter proxy n times.
void incrementCounter(TaskArgs& args) {
    auto counter = args.get<Proxy>(0);
    const int n = args.get<int>(1);
    for (int i = 0; i < n; ++i) {
        counter.call("increment");
    }
}
FORKSCOPE_TASK(incrementCounter);

void returnNormally(TaskArgs&) {}
FORKSCOPE_TASK(returnNormally);

ManagerOptions rowOptions() {
    QFETCH(QString, transport);
    ManagerOptions options;
    if (transport == "tcp") {
        options.address = "127.0.0.1:0";
    }
    return options;
}

void addMethodTransportRows() {
    QTest::addColumn<QString>("method");
    QTest::addColumn<QString>("transport");
    for (const char* method : {"fork", "spawn", "forkserver"}) {
        for (const char* transport : {"unix", "tcp"}) {
            QTest::newRow((std::string(method) + "/" + transport).c_str())
                << QString::fromLatin1(method) << QString::fromLatin1(transport);
        }
    }
}

/// Waits (bounded, without sleeping) until pred() holds.
template <class Predicate> bool spinUntil(Predicate pred, double seconds = 10.0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::yield();
    }
    return true;
}

} // namespace

class TestManager : public forkscope::test::EngineTest {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        // The forkserver is a long-lived helper of this program; start it before the baseline.
        Process warm(getContext(StartMethod::Forkserver), &returnNormally);
        warm.start();
        warm.join(10.0);
    }

    void proxiesAcrossProcesses_data() { addMethodTransportRows(); }
    void proxiesAcrossProcesses() {
        Context ctx = rowContext();
        Manager manager(rowOptions());
        manager.start();
        auto d = manager.dict();
        auto l = manager.list(Json::array({1}));
        auto ns = manager.makeNamespace({{"ready", false}});
        auto v = manager.value("i", 0);
        auto a = manager.array("d", {0.0, 0.0, 0.0});
        auto q = manager.queue();
        auto lock = manager.lock();
        auto rlock = manager.rlock();
        auto sem = manager.semaphore(1);
        auto bsem = manager.boundedSemaphore(1);
        auto cond = manager.condition();
        auto ev = manager.event();
        auto bar = manager.barrier(2);

        QVERIFY(lock.acquire());
        Process child =
            ctx.process(&exerciseProxies, {d, l, ns, v, a, q, lock, rlock, sem, bsem, cond, ev, bar});
        child.start();
        QCOMPARE(bar.wait(10.0) < 2, true); // 1
        lock.release();
        QVERIFY(cond.acquire(true, 10.0));
        while (ns.get("ready") != true) {
            QVERIFY2(cond.wait(10.0), "no notification from the child within 10 s");
        }
        cond.release();
        QVERIFY(ev.wait(10.0));
        QCOMPARE(q.get(true, 10.0), std::optional<Json>("from child"));
        bar.wait(10.0); // 2
        child.join(10.0);
        QVERIFY2(!d.contains("error"), d.get("error", "").dump().c_str());
        QCOMPARE(child.exitCode(), std::optional<int>(0));

        QCOMPARE(d.get("child"), Json("hello"));
        QCOMPARE(d.get("lockTry"), Json(false));
        QCOMPARE(d.get("lockTimed"), Json(true));
        QCOMPARE(d.get("rlockAgain"), Json(true));
        QCOMPARE(d.get("semAcquired"), Json(true));
        QCOMPARE(d.get("bsemOver"), Json("ValueError"));
        QCOMPARE(l.toJson(), Json({1, 42}));
        QCOMPARE(ns.get("fromChild"), Json(7));
        QCOMPARE(v.get(), Json(7));
        QCOMPARE(a.toJson(), Json({0.0, 2.5, 0.0}));
        QVERIFY(q.empty());
        QCOMPARE(sem.value(), 1LL);
        QCOMPARE(bar.broken(), false);
    }

    void userRegisteredType_data() { addStartMethodRows(); }
    void userRegisteredType() {
        Context ctx = rowContext();
        Manager manager;
        manager.start();
        Proxy counter = manager.create("Counter", Json::array({5}));
        QCOMPARE(counter.typeId(), std::string("Counter"));
        Process child = ctx.process(&incrementCounter, {counter, 100});
        child.start();
        for (int i = 0; i < 100; ++i) {
            counter.call("increment");
        }
        child.join(20.0);
        QCOMPARE(child.exitCode(), std::optional<int>(0));
        QCOMPARE(counter.call("value"), Json(205));
        QCOMPARE(counter.call("increment", Json::array({10})), Json(215));
    }

    void nonExposedMethodRefused() {
        Manager manager;
        manager.start();
        Proxy counter = manager.create("Counter");
        try {
            counter.call("secret");
            QFAIL("a method that is not exposed was called");
        } catch (const RemoteError& e) {
            QCOMPARE(e.type(), std::string("AttributeError"));
            QCOMPARE(e.method(), std::string("secret"));
            QVERIFY2(e.message().find("not exposed") != std::string::npos, e.what());
        }
        auto d = manager.dict();
        QVERIFY_THROWS_EXCEPTION(RemoteError, d.call("__class__"));
        QCOMPARE(counter.call("increment"), Json(1)); // the connection is still fine
        QVERIFY_THROWS_EXCEPTION(RemoteError, manager.create("NoSuchType"));
    }

    void remoteErrorCarriesMessage() {
        Manager manager;
        manager.start();
        Proxy counter = manager.create("Counter");
        try {
            counter.call("fail", Json::array({"boom 42"}));
            QFAIL("no RemoteError");
        } catch (const RemoteError& e) {
            QCOMPARE(e.type(), std::string("RuntimeError"));
            QCOMPARE(e.method(), std::string("fail"));
            QVERIFY2(e.message().find("counter failure: boom 42") != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find("fail") != std::string::npos, e.what());
        }
        auto d = manager.dict();
        try {
            (void)d.get("missing");
            QFAIL("no KeyError");
        } catch (const RemoteError& e) {
            QCOMPARE(e.type(), std::string("KeyError"));
            QCOMPARE(e.method(), std::string("__getitem__"));
        }
        auto l = manager.list();
        try {
            (void)l.get(3);
            QFAIL("no IndexError");
        } catch (const RemoteError& e) {
            QCOMPARE(e.type(), std::string("IndexError"));
        }
        auto v = manager.value("i", 1);
        try {
            v.set("text");
            QFAIL("no TypeError");
        } catch (const RemoteError& e) {
            QCOMPARE(e.type(), std::string("TypeError"));
        }
        QCOMPARE(v.get(), Json(1));
    }

    void concurrentProxyUseDetected() {
        Manager manager;
        manager.start();
        EventProxy event = manager.event();
        std::future<bool> waiter = std::async(std::launch::async, [&] { return event.wait(20.0); });
        QVERIFY(spinUntil([&] { return event.inUse(); }));
        const auto before = Proxy::concurrentUseDetections();
        try {
            (void)event.isSet();
            QFAIL("a second thread used a busy proxy without an error");
        } catch (const ProxyConcurrentUseError& e) {
            QVERIFY2(std::string(e.what()).find("two threads") != std::string::npos, e.what());
        }
        QCOMPARE(Proxy::concurrentUseDetections(), before + 1);
        EventProxy(event.newConnection()).set(); // another connection is fine
        QCOMPARE(waiter.wait_for(std::chrono::seconds(20)), std::future_status::ready);
        QVERIFY(waiter.get());
        QVERIFY(event.isSet()); // the proxy works again once the first call ended
    }

    void concurrentProxyUseWithLockWorks() {
        Manager manager;
        manager.start();
        ValueProxy counter = manager.value("i", 0);
        std::mutex guard;
        const auto before = Proxy::concurrentUseDetections();
        auto work = [&] {
            for (int i = 0; i < 200; ++i) {
                std::lock_guard lock(guard);
                counter.set(counter.get().get<int>() + 1);
            }
        };
        auto other = std::async(std::launch::async, work);
        work();
        QCOMPARE(other.wait_for(std::chrono::seconds(30)), std::future_status::ready);
        other.get();
        QCOMPARE(counter.get(), Json(400));
        QCOMPARE(Proxy::concurrentUseDetections(), before);
    }

    void shutdownLeavesNothing() {
        Manager manager;
        manager.start();
        const std::string path = manager.address();
        const std::filesystem::path directory = std::filesystem::path(path).parent_path();
        QVERIFY(path.starts_with("/")); // a file, never the abstract namespace
        struct stat info {};
        QCOMPARE(::stat(directory.c_str(), &info), 0);
        QCOMPARE(info.st_mode & 0777, 0700u);
        QCOMPARE(::lstat(path.c_str(), &info), 0);
        QVERIFY(S_ISSOCK(info.st_mode));
        const pid_t server = *manager.serverPid();
        auto d = manager.dict({{"a", 1}});
        QCOMPARE(d.get("a"), Json(1));
        QVERIFY(manager.running());

        manager.shutdown();
        QVERIFY(!manager.running());
        QVERIFY(!std::filesystem::exists(path));
        QVERIFY(!std::filesystem::exists(directory));
        QVERIFY(!childPids().contains(server)); // ended and reaped
        QVERIFY_THROWS_EXCEPTION(ManagerConnectionError, d.set("b", 2));
        QVERIFY_THROWS_EXCEPTION(ProcessError, manager.dict());
        manager.shutdown(); // idempotent
    }

    void destructorShutsDown() {
        std::string path;
        pid_t server = 0;
        {
            Manager manager;
            manager.start();
            path = manager.address();
            server = *manager.serverPid();
            manager.list().append(1);
        }
        QVERIFY(!std::filesystem::exists(std::filesystem::path(path).parent_path()));
        QVERIFY(!childPids().contains(server));
    }

    void killedManagerFailsClearly() {
        Manager manager;
        manager.start();
        auto q = manager.queue();
        auto d = manager.dict();
        d.set("a", 1);
        // A call blocked without timeout must end when the server dies, not hang.
        auto blocked = std::async(std::launch::async, [&]() -> std::string {
            try {
                q.get();
                return "returned";
            } catch (const ManagerConnectionError& e) {
                return std::string("ManagerConnectionError: ") + e.what();
            } catch (const std::exception& e) {
                return std::string("other: ") + e.what();
            }
        });
        QVERIFY(spinUntil([&] { return q.inUse(); }));
        QCOMPARE(::kill(*manager.serverPid(), SIGKILL), 0);
        QCOMPARE(blocked.wait_for(std::chrono::seconds(20)), std::future_status::ready);
        const std::string outcome = blocked.get();
        QVERIFY2(outcome.starts_with("ManagerConnectionError"), outcome.c_str());
        try {
            d.set("b", 2);
            QFAIL("a call to a killed manager succeeded");
        } catch (const ManagerConnectionError& e) {
            QVERIFY2(std::string(e.what()).find("killed") != std::string::npos, e.what());
        }
        QVERIFY_THROWS_EXCEPTION(ManagerConnectionError, manager.list());
        const std::string directory = std::filesystem::path(manager.address()).parent_path();
        manager.shutdown(); // reaps the dead server and removes what it left behind
        QVERIFY(!std::filesystem::exists(directory));
    }

    void startTwiceRefused() {
        Manager manager;
        manager.start();
        QVERIFY_THROWS_EXCEPTION(ProcessError, manager.start());
        QVERIFY_THROWS_EXCEPTION(ProcessError, DictProxy(manager.list()));
    }
};

FORKSCOPE_TEST_MAIN(TestManager)
#include "tst_manager.moc"
