#include "runtime.h"

#include "errors.h"
#include "events/emit.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <unistd.h>

namespace forkscope {

namespace runtime {
namespace {

struct State {
    std::mutex mutex;
    Identity identity;
    int childCounter = 0;
    std::vector<Process> children;
    std::vector<std::function<void()>> exitHooks;
};

// Never destroyed: a child that inherits it mid-use, and atexit handlers that run after static
// destructors, must both still find it intact.
State* g_state = new State;
std::atomic<bool> g_bootstrapped{false};
std::once_flag g_atexitOnce;

} // namespace

const Identity& self() {
    return g_state->identity;
}

std::vector<int> nextChildPath() {
    std::lock_guard lock(g_state->mutex);
    auto path = g_state->identity.path;
    path.push_back(++g_state->childCounter);
    return path;
}

void registerChild(const Process& child) {
    std::lock_guard lock(g_state->mutex);
    g_state->children.push_back(child);
}

void forgetChild(const Process& child) {
    std::lock_guard lock(g_state->mutex);
    std::erase(g_state->children, child);
}

std::vector<Process> children() {
    std::lock_guard lock(g_state->mutex);
    return g_state->children;
}

void runProcessExit() {
    try {
        for (Process& child : activeChildren()) {
            if (child.daemon()) {
                child.terminate();
            }
        }
        for (Process& child : activeChildren()) {
            child.join();
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "forkscope: while joining children at exit: %s\n", e.what());
    }
    std::vector<std::function<void()>> hooks;
    {
        std::lock_guard lock(g_state->mutex);
        hooks.swap(g_state->exitHooks);
    }
    for (auto it = hooks.rbegin(); it != hooks.rend(); ++it) {
        try {
            (*it)();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "forkscope: exit hook failed: %s\n", e.what());
        }
    }
}

void installAtexit() {
    std::call_once(g_atexitOnce, [] { std::atexit([] { runProcessExit(); }); });
}

void becomeChild(Identity identity) {
    // After fork only this thread exists; a mutex another thread held is lost with it, so the
    // state is rebuilt rather than cleared under its lock.
    auto* fresh = new State;
    fresh->identity = std::move(identity);
    g_state = fresh; // the parent's copy leaks in the child by design (see above)
}

[[noreturn]] void runChild(Identity identity, const Target& target, TaskArgs& args) {
    const auto logicalParent = static_cast<std::uint64_t>(identity.parentPid);
    becomeChild(std::move(identity));
    markBootstrapped();
    trace::emit(EventType::ProcessStarted, static_cast<std::uint64_t>(::getpid()), logicalParent);
    int code = 0;
    try {
        target.run(args);
    } catch (const SystemExit& e) {
        code = e.code();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "Process %s: %s raised %s: %s\n", self().name.c_str(), target.describe().c_str(),
                     demangledName(typeid(e)).c_str(), e.what());
        code = 1;
    } catch (...) {
        std::fprintf(stderr, "Process %s: %s raised an unknown exception\n", self().name.c_str(),
                     target.describe().c_str());
        code = 1;
    }
    try {
        runProcessExit();
    } catch (const SystemExit& e) {
        code = e.code();
    }
    std::cout.flush();
    std::fflush(nullptr);
    trace::emitSigned(EventType::ProcessExited, static_cast<std::uint64_t>(::getpid()), code);
    ::_exit(code);
}

bool isForkscopeImage() {
    static const bool spawned = [] {
        std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
        std::string argv0;
        std::string argv1;
        std::getline(cmdline, argv0, '\0');
        std::getline(cmdline, argv1, '\0');
        return argv1 == kSpawnFlag || argv1 == kForkserverFlag;
    }();
    return spawned;
}

bool bootstrapped() noexcept {
    return g_bootstrapped.load();
}

void markBootstrapped() noexcept {
    g_bootstrapped.store(true);
}

} // namespace runtime

void atProcessExit(std::function<void()> fn) {
    // Hooks run from runProcessExit, which the program reaches through atexit.
    runtime::installAtexit();
    std::lock_guard lock(runtime::g_state->mutex);
    runtime::g_state->exitHooks.push_back(std::move(fn));
}

} // namespace forkscope
