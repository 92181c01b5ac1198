#include "manager.h"

#include "events/emit.h"
#include "manager_address.h"
#include "manager_errors.h"
#include "manager_server.h"
#include "process/auth_handshake.h"
#include "process/entry_guard.h"
#include "process/errors.h"
#include "process/helper_reaper.h"
#include "process/image_launcher.h"
#include "process/launchers.h"
#include "process/runtime_directory.h"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <linux/close_range.h>
#include <mutex>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace forkscope {

namespace {

// The server image role. It lives here, in the file every user of Manager links, so that a
// static library can never drop it.
[[maybe_unused]] const bool roleRegistered = registerImageRole(ManagerServer::kRoleFlag, &runManagerServer);

constexpr std::size_t kGeneratedKeySize = 32;
constexpr std::size_t kMaxKeySize = 4096; // the server reads at most this much from its key pipe
constexpr double kStopTimeout = 5.0;

} // namespace

struct Manager::Impl {
    std::mutex mutex;
    ManagerOptions options;
    bool client = false; ///< made by connect(): no server of its own
    bool started = false;
    std::string address;
    std::string directory;  ///< the private directory of a default Unix socket
    std::string socketPath; ///< a Unix socket file to remove at shutdown
    std::vector<std::uint8_t> key;
    pid_t serverPid = 0;
    UniqueFd serverPidfd;
    UniqueFd alive; ///< the server exits when this closes (we shut down, or died)
    pid_t ownerPid = 0;
    std::shared_ptr<ProxyConnection> control;
    std::uint64_t traceId = 0; ///< kind Manager; proxies report their calls with it

    void removeFiles() {
        std::error_code ignored;
        if (!directory.empty()) {
            std::filesystem::remove_all(directory, ignored);
        } else if (!socketPath.empty()) {
            std::filesystem::remove(socketPath, ignored);
        }
        directory.clear();
        socketPath.clear();
    }

    void stopServer() {
        alive.reset();
        if (serverPid == 0) {
            return;
        }
        if (!fdio::waitFor(serverPidfd.get(), POLLIN, kStopTimeout)) {
            fdio::pidfdSendSignal(serverPidfd.get(), SIGKILL);
            fdio::waitFor(serverPidfd.get(), POLLIN, kStopTimeout);
        }
        (void)reapHelper(serverPid, HelperRole::ManagerServer);
        serverPidfd.reset();
        serverPid = 0;
    }
};

Manager::Manager(ManagerOptions options) : d_(std::make_unique<Impl>()) {
    d_->options = std::move(options);
}

Manager::Manager(std::unique_ptr<Impl> impl) : d_(std::move(impl)) {}

Manager Manager::connect(const std::string& address, std::vector<std::uint8_t> authkey, double callTimeout) {
    if (authkey.empty()) {
        throw AuthenticationError("connecting to a manager needs its authentication key");
    }
    auto impl = std::make_unique<Impl>();
    impl->client = true;
    impl->started = true;
    impl->address = ManagerAddress::parse(address).toString();
    impl->key = std::move(authkey);
    impl->options.callTimeout = callTimeout;
    impl->control = std::make_shared<ProxyConnection>(impl->address, impl->key, callTimeout);
    impl->traceId = trace::objectId(ObjectKind::Manager, "manager-client");
    impl->ownerPid = ::getpid();
    return Manager(std::move(impl));
}

Manager::Manager(Manager&&) noexcept = default;

Manager& Manager::operator=(Manager&& other) noexcept {
    if (this != &other) {
        if (d_) {
            try {
                shutdown();
            } catch (...) { // NOLINT(bugprone-empty-catch): best effort, as in the destructor
            }
        }
        d_ = std::move(other.d_);
    }
    return *this;
}

Manager::~Manager() {
    if (!d_) {
        return;
    }
    try {
        shutdown();
    } catch (...) { // NOLINT(bugprone-empty-catch): a destructor must not throw
    }
}

void Manager::start() {
    if (!d_) {
        throw ProcessError("cannot start a moved-from Manager");
    }
    std::lock_guard lock(d_->mutex);
    if (d_->client) {
        throw ProcessError(
            "a Manager made by connect() uses a server started elsewhere; it cannot start one");
    }
    if (d_->started) {
        throw ProcessError("the manager has already been started");
    }
    d_->key = d_->options.authkey.empty() ? auth::randomBytes(kGeneratedKeySize) : d_->options.authkey;
    if (d_->key.size() > kMaxKeySize) {
        throw AuthenticationError("a manager key is at most " + std::to_string(kMaxKeySize) + " bytes");
    }

    ManagerAddress address;
    if (d_->options.address.empty()) {
        // A private directory makes the socket unreachable for other users whatever the umask.
        std::string pattern = runtimeDirectoryBase() + "/forkscope-mgr-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw OsError("mkdtemp " + pattern, errno);
        }
        d_->directory = pattern;
        address = ManagerAddress::parse(pattern + "/manager.sock");
    } else {
        address = ManagerAddress::parse(d_->options.address);
    }
    try {
        UniqueFd listener = address.listen();
        if (address.kind() == ManagerAddress::Kind::Unix) {
            d_->socketPath = address.path();
        }
        d_->address = address.toString();

        auto [keyRead, keyWrite] = fdio::makePipe();
        auto [aliveRead, aliveWrite] = fdio::makePipe();
        auto [readyRead, readyWrite] = fdio::makePipe();
        fdio::writeAll(keyWrite.get(), d_->key.data(), d_->key.size(), 1.0, "manager key");
        keyWrite.reset();

        const pid_t parent = ::getpid();
        const pid_t pid = launchImage(
            {"forkscope-manager",
             {ManagerServer::kRoleFlag, std::to_string(keyRead.get()), std::to_string(aliveRead.get()),
              std::to_string(listener.get()), std::to_string(readyWrite.get()),
              d_->socketPath.empty() ? std::string("-") : d_->socketPath},
             {keyRead.get(), aliveRead.get(), listener.get(), readyWrite.get()},
             SIGKILL,
             "the manager server"});
        d_->serverPid = pid;
        d_->serverPidfd = fdio::pidfdOpen(pid);
        d_->alive = std::move(aliveWrite);
        d_->ownerPid = parent;
        readyWrite.reset();

        char byte = 0;
        if (!fdio::waitFor(readyRead.get(), POLLIN, d_->options.startTimeout)) {
            d_->stopServer();
            throw TimeoutError("the manager server did not become ready within " +
                               std::to_string(d_->options.startTimeout) +
                               " s; is forkscope::freezeSupport(argc, argv) the first call in main()?");
        }
        if (::read(readyRead.get(), &byte, 1) != 1) {
            int status = 0;
            ::waitpid(pid, &status, 0);
            d_->serverPidfd.reset();
            d_->serverPid = 0;
            d_->alive.reset();
            throw ProcessError("the manager server ended during start-up (exit code " +
                               std::to_string(Popen::exitCodeFromStatus(status)) +
                               "); is forkscope::freezeSupport(argc, argv) the first call in main()?");
        }
    } catch (...) {
        d_->removeFiles();
        throw;
    }
    d_->control = std::make_shared<ProxyConnection>(d_->address, d_->key, d_->options.callTimeout);
    d_->traceId = trace::objectId(ObjectKind::Manager, "manager");
    d_->started = true;
}

void Manager::shutdown() {
    if (!d_) {
        return;
    }
    std::lock_guard lock(d_->mutex);
    if (!d_->started) {
        return;
    }
    if (d_->client || d_->ownerPid != ::getpid()) {
        // Not ours to stop (a connected client, or a forked copy of the owner's object).
        d_->control.reset();
        d_->started = false;
        return;
    }
    try {
        d_->control->request(Json{{"op", "shutdown"}}, kStopTimeout);
    } catch (const std::exception&) { // NOLINT(bugprone-empty-catch): it may be dead already
    }
    d_->control.reset();
    d_->stopServer();
    d_->removeFiles();
    d_->started = false;
}

bool Manager::running() const {
    if (!d_) {
        return false;
    }
    std::lock_guard lock(d_->mutex);
    if (!d_->started) {
        return false;
    }
    return d_->client || !fdio::waitFor(d_->serverPidfd.get(), POLLIN, 0.0);
}

std::string Manager::address() const {
    if (!d_) {
        throw ProcessError("a moved-from Manager has no address");
    }
    std::lock_guard lock(d_->mutex);
    if (!d_->started) {
        throw ProcessError("the manager has no address before start()");
    }
    return d_->address;
}

const std::vector<std::uint8_t>& Manager::authkey() const {
    if (!d_) {
        throw ProcessError("a moved-from Manager has no key");
    }
    return d_->key;
}

std::optional<pid_t> Manager::serverPid() const {
    if (!d_) {
        return std::nullopt;
    }
    std::lock_guard lock(d_->mutex);
    return d_->serverPid != 0 ? std::optional<pid_t>(d_->serverPid) : std::nullopt;
}

Manager::Json Manager::control(const Json& request) {
    if (!d_) {
        throw ProcessError("cannot use a moved-from Manager");
    }
    std::lock_guard lock(d_->mutex);
    if (!d_->started) {
        throw ProcessError("the manager is not running (call start() first, or it was shut down)");
    }
    return d_->control->request(request, d_->options.callTimeout);
}

Manager::Json Manager::serverStats() {
    return control(Json{{"op", "stats"}});
}

Proxy Manager::create(const std::string& typeId, Json args) {
    Json result = control(Json{{"op", "create"}, {"type", typeId}, {"args", std::move(args)}});
    std::string address;
    {
        std::lock_guard lock(d_->mutex);
        address = d_->address;
    }
    return Proxy(std::make_shared<ProxyConnection>(address, d_->key, d_->options.callTimeout),
                 result.at("id").get<std::uint64_t>(), result.at("type").get<std::string>(), d_->traceId);
}

DictProxy Manager::dict(Json initial) {
    return DictProxy(create("dict", Json::array({std::move(initial)})));
}
ListProxy Manager::list(Json initial) {
    return ListProxy(create("list", Json::array({std::move(initial)})));
}
NamespaceProxy Manager::makeNamespace(Json attributes) {
    return NamespaceProxy(create("Namespace", Json::array({std::move(attributes)})));
}
ValueProxy Manager::value(const std::string& typecode, Json initial) {
    return ValueProxy(create("Value", Json::array({typecode, std::move(initial)})));
}
ArrayProxy Manager::array(const std::string& typecode, Json items) {
    return ArrayProxy(create("Array", Json::array({typecode, std::move(items)})));
}
QueueProxy Manager::queue(long long maxsize) {
    return QueueProxy(create("Queue", Json::array({maxsize})));
}
LockProxy Manager::lock() {
    return LockProxy(create("Lock"));
}
RLockProxy Manager::rlock() {
    return RLockProxy(create("RLock"));
}
SemaphoreProxy Manager::semaphore(long long value) {
    return SemaphoreProxy(create("Semaphore", Json::array({value})));
}
BoundedSemaphoreProxy Manager::boundedSemaphore(long long value) {
    return BoundedSemaphoreProxy(create("BoundedSemaphore", Json::array({value})));
}
ConditionProxy Manager::condition() {
    return ConditionProxy(create("Condition", Json::array({nullptr})));
}
ConditionProxy Manager::condition(const LockProxy& lock) {
    return ConditionProxy(create("Condition", Json::array({lock.id()})));
}
EventProxy Manager::event() {
    return EventProxy(create("Event"));
}
BarrierProxy Manager::barrier(std::size_t parties, std::optional<double> timeout) {
    return BarrierProxy(create("Barrier", Json::array({parties, timeout ? Json(*timeout) : Json(nullptr)})));
}

} // namespace forkscope
