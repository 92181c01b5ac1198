#include "action_interpreter.h"

#include "buffered_file.h"
#include "ipc/joinable_queue.h"
#include "ipc/queue.h"
#include "ipc/simple_queue.h"
#include "managed_dict.h"
#include "pipe_ends.h"
#include "process/context.h"
#include "report_record.h"
#include "scenario_pool.h"
#include "sync/barrier.h"
#include "sync/bounded_semaphore.h"
#include "sync/lock.h"
#include "sync/rlock.h"
#include "sync/robust_lock.h"
#include "sync/semaphore.h"
#include "sync/shared_value.h"
#include "sync/sync_event.h"
#include "thread_mutex.h"
#include "unguarded_program.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <exception>
#include <functional>
#include <latch>
#include <mutex>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace forkscope {

std::map<std::string, std::int64_t>& scenarioGlobals() {
    static std::map<std::string, std::int64_t> globals;
    return globals;
}

/// A helper thread that holds an in-process mutex until the process has played its part.
struct ActionInterpreter::HeldMutex {
    std::shared_ptr<ThreadMutex> mutex;
    std::mutex m;
    std::condition_variable cv;
    bool holding = false;
    bool release = false;
    std::thread thread;
};

namespace {
Timeout timeoutOf(std::int64_t ms) {
    return ms < 0 ? Timeout{} : Timeout{static_cast<double>(ms) / 1000.0};
}

std::int64_t monotonicNow() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
} // namespace

ActionInterpreter::ActionInterpreter(const Scenario& scenario, RunSpec spec, ParameterValues parameters,
                                     ScenarioObjects objects)
    : scenario_(scenario), spec_(std::move(spec)), parameters_(std::move(parameters)),
      objects_(std::move(objects)), variant_(spec_.variant == "fix" ? Variant::Fix : Variant::Hazard) {}

ActionInterpreter::~ActionInterpreter() {
    for (auto& held : heldMutexes_) {
        {
            std::lock_guard guard(held->m);
            held->release = true;
        }
        held->cv.notify_all();
        if (held->thread.joinable()) {
            held->thread.join();
        }
    }
}

void ActionInterpreter::observe(const std::string& text) const {
    ReportRecord{ReportRecord::Kind::Observation, spec_.processName(), text}.writeTo(spec_.report.fd());
}

std::int64_t ActionInterpreter::integer(const Action& action, const char* field,
                                        std::int64_t fallback) const {
    return action.fields.contains(field) ? ScenarioLoader::integerField(action.fields.at(field), parameters_)
                                         : fallback;
}

bool ActionInterpreter::boolean(const Action& action, const char* field, bool fallback) const {
    return action.fields.contains(field) ? ScenarioLoader::booleanField(action.fields.at(field), parameters_)
                                         : fallback;
}

std::string ActionInterpreter::text(const Action& action, const char* field) const {
    return action.fields.contains(field) ? action.fields.at(field).get<std::string>() : std::string();
}

void ActionInterpreter::run() {
    const ProcessSpec* process = scenario_.process(spec_.processKind);
    for (const Action& action : process->actionsFor(variant_)) {
        try {
            perform(action);
        } catch (const SystemExit&) {
            throw;
        } catch (const std::exception& e) {
            std::ostringstream where;
            where << action.verb << " (" << scenario_.source << ":" << action.line << "): " << e.what();
            throw std::runtime_error(where.str());
        }
    }
}

std::vector<Process>& ActionInterpreter::instances(const std::string& kind) {
    auto it = children_.find(kind);
    if (it == children_.end()) {
        throw std::logic_error("process kind '" + kind + "' has not been started by " + spec_.processName());
    }
    return it->second;
}

void ActionInterpreter::startKind(const Action& action) {
    const std::string kind = text(action, "process");
    const ProcessSpec* process = scenario_.process(kind);
    const std::int64_t count = ScenarioLoader::integerField(process->count, parameters_);
    const std::vector<std::string> names =
        ScenarioObjects::referencedBy(scenario_, parameters_, process->actionsFor(variant_));
    const Context context = getContext(spec_.startMethod);
    const bool closure = text(action, "argument") == "closure";
    auto& started = children_[kind];
    for (std::int64_t i = 0; i < count; ++i) {
        RunSpec child = spec_;
        child.processKind = kind;
        child.index = i;
        child.closureArgument = closure;
        if (const std::string global = text(action, "pass_global"); !global.empty()) {
            child.passedGlobals[global] = scenarioGlobals()[global];
        }
        child.startNs = monotonicNow();
        Args args{named("spec", child)};
        for (Arg& arg : objects_.argsFor(names)) {
            args.push_back(std::move(arg));
        }
        if (closure) {
            // What a lambda is to pickle: code and captured state that only exist in this image.
            const std::int64_t captured = 42;
            args.push_back(named("callback", std::function<std::int64_t()>([captured] { return captured; })));
        }
        Process p =
            context.process("scenarioProcessTask", std::move(args), ProcessOptions{child.processName(), {}});
        p.start();
        started.push_back(std::move(p));
    }
}

void ActionInterpreter::lockObject(const std::string& name, std::int64_t timeoutMs) {
    const std::string& kind = objects_.kindOf(name);
    const Timeout timeout = timeoutOf(timeoutMs);
    bool got = true;
    if (kind == "lock") {
        got = objects_.get<Lock>(name).acquire(true, timeout);
    } else if (kind == "rlock") {
        got = objects_.get<RLock>(name).acquire(true, timeout);
    } else if (kind == "robust-lock") {
        auto& lock = objects_.get<RobustLock>(name);
        got = lock.acquire(true, timeout);
        if (got && lock.lastAcquireRecoveredFromDeadOwner()) {
            observe("recovered lock '" + name + "' from pid " + std::to_string(lock.lastDeadOwnerPid()) +
                    ", which died holding it");
        }
    } else if (kind == "semaphore") {
        got = objects_.get<Semaphore>(name).acquire(true, timeout);
    } else if (kind == "bounded-semaphore") {
        got = objects_.get<BoundedSemaphore>(name).acquire(true, timeout);
    } else if (kind == "thread-mutex") {
        got = objects_.get<std::shared_ptr<ThreadMutex>>(name)->lock(
            timeoutMs < 0 ? std::chrono::milliseconds::max() : std::chrono::milliseconds(timeoutMs));
    }
    if (!got) {
        throw TimeoutError("could not acquire '" + name + "' within " + std::to_string(timeoutMs) + " ms");
    }
}

void ActionInterpreter::unlockObject(const std::string& name) {
    const std::string& kind = objects_.kindOf(name);
    if (kind == "lock") {
        objects_.get<Lock>(name).release();
    } else if (kind == "rlock") {
        objects_.get<RLock>(name).release();
    } else if (kind == "robust-lock") {
        objects_.get<RobustLock>(name).release();
    } else if (kind == "semaphore") {
        objects_.get<Semaphore>(name).release();
    } else if (kind == "bounded-semaphore") {
        objects_.get<BoundedSemaphore>(name).release();
    } else if (kind == "thread-mutex") {
        objects_.get<std::shared_ptr<ThreadMutex>>(name)->unlock();
    }
}

void ActionInterpreter::underLock(const std::string& lock, const std::function<void()>& body) {
    if (lock.empty()) {
        body();
        return;
    }
    lockObject(lock, -1);
    try {
        body();
    } catch (...) {
        unlockObject(lock);
        throw;
    }
    unlockObject(lock);
}

void ActionInterpreter::print(const Action& action) {
    const std::string line = spec_.processName() + ": " + text(action, "text");
    const std::int64_t lines = integer(action, "lines", 1);
    const std::string lock = text(action, "lock");
    std::istringstream words(line);
    std::vector<std::string> pieces;
    for (std::string word; words >> word;) {
        pieces.push_back(word + " ");
    }
    pieces.back().back() = '\n';
    for (std::int64_t i = 0; i < lines; ++i) {
        // Like an unbuffered print(): one write per piece, so another process's pieces can land
        // between ours unless a lock keeps them out.
        underLock(lock, [&] {
            for (const std::string& piece : pieces) {
                ssize_t n = 0;
                do {
                    n = ::write(spec_.output.fd(), piece.data(), piece.size());
                } while (n < 0 && errno == EINTR);
                std::this_thread::yield();
            }
        });
    }
}

void ActionInterpreter::holdInThread(const std::string& name) {
    auto held = std::make_unique<HeldMutex>();
    held->mutex = objects_.get<std::shared_ptr<ThreadMutex>>(name);
    HeldMutex* h = held.get();
    h->thread = std::thread([h] {
        h->mutex->lock();
        {
            std::lock_guard guard(h->m);
            h->holding = true;
        }
        h->cv.notify_all();
        std::unique_lock lock(h->m);
        h->cv.wait(lock, [h] { return h->release; });
        h->mutex->unlock();
    });
    // Go on only once the helper thread really holds it: the fork that follows copies it locked.
    std::unique_lock lock(h->m);
    h->cv.wait(lock, [h] { return h->holding; });
    lock.unlock();
    heldMutexes_.push_back(std::move(held));
}

void ActionInterpreter::perform(const Action& action) {
    const std::string& verb = action.verb;
    const std::string object = text(action, "object");
    if (verb == "start") {
        startKind(action);
    } else if (verb == "join") {
        const std::int64_t timeoutMs = integer(action, "timeout_ms", -1);
        for (Process& p : instances(text(action, "process"))) {
            p.join(timeoutOf(timeoutMs));
        }
    } else if (verb == "terminate" || verb == "kill") {
        Process& p =
            instances(text(action, "process")).at(static_cast<std::size_t>(integer(action, "index", 0)));
        verb == "kill" ? p.kill() : p.terminate();
    } else if (verb == "active-children") {
        const auto alive = activeChildren();
        observe("active_children() reaped the finished children; " + std::to_string(alive.size()) +
                " still running");
    } else if (verb == "put") {
        const auto bytes = static_cast<std::size_t>(integer(action, "bytes", 0));
        const std::string& kind = objects_.kindOf(object);
        std::vector<std::uint8_t> item(bytes, 0x5a);
        if (kind == "simple-queue") {
            objects_.get<SimpleQueue>(object).putBytes(item);
        } else if (kind == "joinable-queue") {
            objects_.get<JoinableQueue>(object).putBytes(std::move(item));
        } else {
            objects_.get<Queue>(object).putBytes(std::move(item));
        }
    } else if (verb == "get") {
        const Timeout timeout = timeoutOf(integer(action, "timeout_ms", -1));
        const std::string& kind = objects_.kindOf(object);
        if (kind == "simple-queue") {
            (void)objects_.get<SimpleQueue>(object).getBytes(timeout);
        } else if (kind == "joinable-queue") {
            (void)objects_.get<JoinableQueue>(object).getBytes(true, timeout);
        } else {
            (void)objects_.get<Queue>(object).getBytes(true, timeout);
        }
    } else if (verb == "cancel-join-thread") {
        objects_.kindOf(object) == "joinable-queue" ? objects_.get<JoinableQueue>(object).cancelJoinThread()
                                                    : objects_.get<Queue>(object).cancelJoinThread();
    } else if (verb == "task-done") {
        objects_.get<JoinableQueue>(object).taskDone();
    } else if (verb == "lock") {
        lockObject(object, integer(action, "timeout_ms", -1));
    } else if (verb == "unlock") {
        unlockObject(object);
    } else if (verb == "send") {
        // Each writer's bytes differ, so an interleaved frame cannot pass for a whole one.
        std::vector<std::uint8_t> message(static_cast<std::size_t>(integer(action, "bytes", 0)),
                                          static_cast<std::uint8_t>(0x41 + (::getpid() % 26)));
        const std::string lock = text(action, "lock");
        underLock(lock,
                  [&] { objects_.get<PipeEnds>(object).end(integer(action, "end", 0)).sendBytes(message); });
    } else if (verb == "recv") {
        (void)objects_.get<PipeEnds>(object).end(integer(action, "end", 0)).recvBytes();
    } else if (verb == "set") {
        objects_.get<SyncEvent>(object).set();
    } else if (verb == "wait") {
        const Timeout timeout = timeoutOf(integer(action, "timeout_ms", -1));
        if (objects_.kindOf(object) == "barrier") {
            (void)objects_.get<Barrier>(object).wait(timeout);
        } else if (!objects_.get<SyncEvent>(object).wait(timeout)) {
            throw TimeoutError("event '" + object + "' was not set in time");
        }
    } else if (verb == "increment") {
        auto& value = objects_.get<Value<std::int64_t>>(object);
        const std::int64_t times = integer(action, "times", 1);
        const bool locked = boolean(action, "locked", true);
        for (std::int64_t i = 0; i < times; ++i) {
            if (locked) {
                std::lock_guard guard(value.getLock());
                value.set(value.get() + 1);
            } else {
                // The read-modify-write of `counter.value += 1` without the lock: two processes
                // can read the same old value, and one of the two updates is lost.
                std::int64_t* cell = value.raw();
                const std::int64_t seen = __atomic_load_n(cell, __ATOMIC_RELAXED);
                std::this_thread::yield();
                __atomic_store_n(cell, seen + 1, __ATOMIC_RELAXED);
            }
        }
    } else if (verb == "report") {
        const std::int64_t seen = objects_.get<Value<std::int64_t>>(object).get();
        const std::int64_t expected = integer(action, "expected", seen);
        std::string line =
            object + " = " + std::to_string(seen) + " (expected " + std::to_string(expected) + ")";
        if (seen != expected) {
            line += ": " + std::to_string(expected - seen) + " updates lost";
        }
        observe(line);
    } else if (verb == "write-global") {
        scenarioGlobals()[text(action, "name")] = integer(action, "value", 0);
    } else if (verb == "read-global") {
        const std::string name = text(action, "name");
        observe("sees global " + name + " = " + std::to_string(scenarioGlobals()[name]));
    } else if (verb == "print") {
        print(action);
    } else if (verb == "sleep") {
        std::this_thread::sleep_for(std::chrono::milliseconds(integer(action, "ms", 0)));
    } else if (verb == "compute") {
        volatile std::uint64_t sink = 0;
        for (std::int64_t i = 0, n = integer(action, "iterations", 0); i < n; ++i) {
            sink = sink + static_cast<std::uint64_t>(i) * 2654435761u;
        }
    } else if (verb == "hold-in-thread") {
        holdInThread(object);
    } else if (verb == "repeat") {
        for (std::int64_t i = 0, n = integer(action, "times", 1); i < n; ++i) {
            for (const Action& inner : action.actions) {
                perform(inner);
            }
        }
    } else if (verb == "pool-map") {
        const auto tasks = integer(action, "tasks", 1);
        const std::int64_t sum = objects_.get<std::shared_ptr<ScenarioPool>>(object)->map(
            static_cast<std::size_t>(tasks), integer(action, "task_ms", 0));
        observe("pool.map of " + std::to_string(tasks) + " tasks returned every result (sum " +
                std::to_string(sum) + ")");
    } else if (verb == "kill-pool-worker") {
        objects_.get<std::shared_ptr<ScenarioPool>>(object)->killNextStartedWorker(
            30.0,
            [this, object](pid_t pid) {
                observe("killed worker pid " + std::to_string(pid) + " of pool '" + object +
                        "' with SIGKILL while it ran a task");
            },
            [this, object](const std::string& why) {
                observe("could not kill a worker of '" + object + "': " + why);
            });
    } else if (verb == "proxy-call") {
        proxyCall(action);
    } else if (verb == "write-file") {
        objects_.get<std::shared_ptr<BufferedFile>>(object)->write(text(action, "text"));
    } else if (verb == "close-file") {
        const std::size_t bytes =
            objects_.get<std::shared_ptr<BufferedFile>>(object)->close(spec_.output.fd());
        observe("closed '" + object + "': flushed " + std::to_string(bytes) + " bytes");
    } else if (verb == "report-start-latency") {
        reportStartLatency();
    } else if (verb == "run-unguarded-program") {
        runUnguardedProgram(boolean(action, "guarded", false));
    } else {
        throw std::logic_error("the runner cannot perform '" + verb + "' yet");
    }
}

void ActionInterpreter::proxyCall(const Action& action) {
    const std::string object = text(action, "object");
    const std::int64_t times = integer(action, "times", 1);
    const std::int64_t threads = std::max<std::int64_t>(1, integer(action, "threads", 1));
    const std::string lock = text(action, "lock");
    DictProxy& proxy = objects_.get<ManagedDict>(object).proxy;
    std::mutex errorMutex;
    std::exception_ptr firstError;
    // All threads start calling together, as two threads of a real program sharing a proxy do.
    std::latch ready(threads);
    const auto body = [&](std::int64_t thread) {
        ready.arrive_and_wait();
        const std::string key = "thread-" + std::to_string(thread);
        try {
            for (std::int64_t i = 0; i < times; ++i) {
                underLock(lock, [&] { proxy.set(key, i); });
            }
        } catch (...) {
            std::lock_guard guard(errorMutex);
            if (!firstError) {
                firstError = std::current_exception();
            }
        }
    };
    std::vector<std::thread> pool;
    for (std::int64_t t = 1; t < threads; ++t) {
        pool.emplace_back(body, t);
    }
    body(0);
    for (auto& t : pool) {
        t.join();
    }
    if (firstError) {
        std::rethrow_exception(firstError);
    }
    observe(std::to_string(threads) + (threads == 1 ? " thread" : " threads") + " made " +
            std::to_string(times * threads) + " calls on proxy '" + object + "'; the dict has " +
            std::to_string(proxy.size()) + " keys");
}

void ActionInterpreter::reportStartLatency() {
    if (spec_.startNs == 0) {
        throw std::logic_error("report-start-latency is for a process that main started");
    }
    const double ms = static_cast<double>(monotonicNow() - spec_.startNs) / 1e6;
    std::ostringstream line;
    line.precision(ms < 10 ? 2 : 1);
    line << std::fixed << "started " << ms << " ms after its parent called start() (" << spec_.startMethod
         << ")";
    observe(line.str());
}

void ActionInterpreter::runUnguardedProgram(bool guarded) {
    const UnguardedProgram::Result result = UnguardedProgram::run(spec_.startMethod, guarded);
    const std::string which = guarded ? "with" : "without";
    if (result.exitCode != 0) {
        throw std::runtime_error("the program " + which + " the entry guard failed (exit code " +
                                 std::to_string(result.exitCode) + "): " + result.errors);
    }
    observe("ran the program " + which + " the entry guard: its " + spec_.startMethod +
            " child ran and it exited with 0");
}

} // namespace forkscope
