#include "process.h"

#include "context.h"
#include "errors.h"
#include "events/emit.h"
#include "events/tracer.h"
#include "forkserver.h"
#include "launchers.h"
#include "runtime.h"

#include <signal.h>
#include <unistd.h>

namespace forkscope {

struct Process::Impl {
    StartMethod method = StartMethod::Fork;
    std::optional<Target> target;
    Args args;
    std::string name;
    std::optional<bool> daemon;
    std::vector<int> path;
    pid_t creatorPid = 0;
    std::unique_ptr<Popen> popen;
    bool closed = false;
    bool isSelf = false; ///< the object returned by currentProcess()
    bool reapReported = false;

    /// Emits ProcessReaped the first time the exit status is known here (that is when the
    /// waitpid happened), and passes the code through.
    std::optional<int> noteReaped(std::optional<int> code) {
        if (code && !reapReported && popen) {
            reapReported = true;
            trace::emitSigned(EventType::ProcessReaped, static_cast<std::uint64_t>(popen->pid()), *code);
        }
        return code;
    }
};

namespace {
std::string nameFromPath(const std::vector<int>& path) {
    std::string name = "Process-";
    for (std::size_t i = 0; i < path.size(); ++i) {
        name += (i == 0 ? "" : ":") + std::to_string(path[i]);
    }
    return name;
}

constexpr const char* kBootstrapMessage =
    "an attempt has been made to start a new process before the current process has finished its "
    "bootstrapping phase. This probably means that the program's main() does not call "
    "forkscope::freezeSupport(argc, argv) first, so a spawned child re-runs main() and tries to start "
    "processes itself. Call the entry guard at the top of main(), the analogue of Python's "
    "`if __name__ == '__main__':`";
} // namespace

Process::Process(Target target, Args args, ProcessOptions options)
    : Process(getContext(), std::move(target), std::move(args), std::move(options)) {}

Process::Process(const Context& context, Target target, Args args, ProcessOptions options)
    : d_(std::make_shared<Impl>()) {
    d_->method = context.startMethod();
    d_->target = std::move(target);
    d_->args = std::move(args);
    d_->path = runtime::nextChildPath();
    d_->name = options.name.empty() ? nameFromPath(d_->path) : std::move(options.name);
    d_->daemon = options.daemon;
    d_->creatorPid = ::getpid();
}

void Process::checkOpen(const char* operation) const {
    if (d_->closed) {
        throw ProcessError(std::string("cannot ") + operation + " " + d_->name +
                           ": the process object is closed");
    }
}

void Process::checkParent(const char* operation) const {
    checkOpen(operation);
    if (d_->isSelf) {
        throw ProcessError(std::string("cannot ") + operation + " the current process (" + d_->name +
                           ") from inside itself");
    }
    if (d_->creatorPid != ::getpid()) {
        throw ProcessError(std::string("can only ") + operation + " a child process: " + d_->name +
                           " was created by pid " + std::to_string(d_->creatorPid));
    }
}

void Process::start() {
    checkParent("start");
    if (d_->popen) {
        throw ProcessError("cannot start " + d_->name + " twice: a process object can only be started once");
    }
    const runtime::Identity& me = runtime::self();
    if (me.daemon) {
        throw ProcessError("daemonic processes are not allowed to have children (" + me.name +
                           " is daemonic)");
    }
    if (runtime::isForkscopeImage() && !runtime::bootstrapped()) {
        throw BootstrapError(kBootstrapMessage);
    }
    (void)activeChildren(); // reap finished children, as Python does on every start
    runtime::installAtexit();

    runtime::Identity identity;
    identity.name = d_->name;
    identity.path = d_->path;
    identity.daemon = daemon();
    identity.parentPid = ::getpid();
    identity.method = d_->method;
    identity.isChild = true;
    // The child's event ring (null with tracing off) exists before the child does.
    std::unique_ptr<EventRing> ring = Tracer::prepareChild();
    LaunchRequest request{*d_->target, d_->args, identity, &ring};

    switch (d_->method) {
    case StartMethod::Fork:
        d_->popen = launchFork(request);
        break;
    case StartMethod::Spawn: {
        Bootstrap bootstrap = makeBootstrap(request, d_->method);
        bootstrap.attachTracing(ring.get());
        d_->popen = launchSpawn(bootstrap);
        break;
    }
    case StartMethod::Forkserver: {
        Bootstrap bootstrap = makeBootstrap(request, d_->method);
        bootstrap.attachTracing(ring.get());
        d_->popen = Forkserver::instance().launch(bootstrap);
        break;
    }
    }
    Tracer::announceChild(std::move(ring), d_->popen->pid(), d_->name, static_cast<int>(d_->method));
    runtime::registerChild(*this);
}

void Process::join(fdio::Timeout timeout) {
    checkParent("join");
    if (!d_->popen) {
        throw ProcessError("can only join a started process: " + d_->name + " was never started");
    }
    if (d_->noteReaped(d_->popen->poll())) {
        runtime::forgetChild(*this);
        return;
    }
    const auto child = static_cast<std::uint64_t>(d_->popen->pid());
    // The joining process is blocked on the child; the operation is "reap it".
    trace::emit(EventType::Blocked, child, static_cast<std::uint64_t>(EventType::ProcessReaped));
    const std::optional<int> code = d_->noteReaped(d_->popen->wait(timeout));
    trace::emit(EventType::Running, child, code ? 0 : 1);
    if (code) {
        runtime::forgetChild(*this);
    }
}

bool Process::isAlive() {
    checkOpen("query");
    if (d_->isSelf) {
        return true;
    }
    checkParent("query");
    if (!d_->popen) {
        return false;
    }
    if (d_->noteReaped(d_->popen->poll())) {
        runtime::forgetChild(*this);
        return false;
    }
    return true;
}

void Process::terminate() {
    checkParent("terminate");
    if (d_->popen) {
        d_->popen->sendSignal(SIGTERM);
    }
}

void Process::kill() {
    checkParent("kill");
    if (d_->popen) {
        d_->popen->sendSignal(SIGKILL);
    }
}

void Process::close() {
    if (d_->closed) {
        return;
    }
    if (d_->popen) {
        if (!d_->noteReaped(d_->popen->poll())) {
            throw ProcessError("cannot close " + d_->name +
                               " while it is still running; call join() or terminate() first");
        }
        runtime::forgetChild(*this);
    }
    d_->popen.reset();
    d_->target.reset();
    d_->args.clear();
    d_->closed = true;
}

std::optional<int> Process::exitCode() {
    checkOpen("get the exit code of");
    if (!d_->popen) {
        return std::nullopt;
    }
    return d_->noteReaped(d_->popen->poll());
}

std::optional<pid_t> Process::pid() const {
    checkOpen("get the pid of");
    if (d_->isSelf) {
        return ::getpid();
    }
    return d_->popen ? std::optional<pid_t>(d_->popen->pid()) : std::nullopt;
}

const std::string& Process::name() const {
    return d_->name;
}

void Process::setName(std::string name) {
    checkOpen("rename");
    d_->name = std::move(name);
}

bool Process::daemon() const {
    return d_->daemon.value_or(runtime::self().daemon);
}

void Process::setDaemon(bool daemon) {
    checkOpen("set daemon on");
    if (d_->popen) {
        throw ProcessError("cannot set daemon status of " + d_->name + " after it has started");
    }
    d_->daemon = daemon;
}

StartMethod Process::startMethod() const {
    return d_->method;
}

int Process::sentinel() const {
    checkOpen("get the sentinel of");
    if (!d_->popen) {
        throw ProcessError(d_->name + " has no sentinel: it was never started");
    }
    return d_->popen->sentinel();
}

std::vector<Process> activeChildren() {
    std::vector<Process> alive;
    for (Process& child : runtime::children()) {
        if (child.isAlive()) {
            alive.push_back(child);
        }
    }
    return alive;
}

Process currentProcess() {
    const runtime::Identity& me = runtime::self();
    auto impl = std::make_shared<Process::Impl>();
    impl->method = me.method;
    impl->name = me.name;
    impl->path = me.path;
    impl->daemon = me.daemon;
    impl->creatorPid = me.parentPid;
    impl->isSelf = true;
    return Process(std::move(impl));
}

} // namespace forkscope
