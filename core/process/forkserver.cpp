#include "forkserver.h"

#include "auth_handshake.h"
#include "errors.h"
#include "helper_reaper.h"
#include "image_launcher.h"
#include "launchers.h"
#include "runtime_directory.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace forkscope {

namespace {

constexpr double kHandshakeTimeout = 5.0;
constexpr std::size_t kKeySize = 32;

/// A Popen for a child forked by the server: the server, its real parent, reaps it and
/// writes the wait status on our connection, which is therefore the sentinel.
class ForkserverPopen final : public Popen {
public:
    ForkserverPopen(pid_t pid, UniqueFd pidfd, UniqueFd connection)
        : Popen(pid, std::move(pidfd)), connection_(std::move(connection)) {}

    [[nodiscard]] int sentinel() const noexcept override { return connection_.get(); }

    std::optional<int> poll() override {
        if (returnCode_) {
            return returnCode_;
        }
        if (!fdio::waitFor(connection_.get(), POLLIN, 0.0)) {
            return std::nullopt;
        }
        int status = 0;
        try {
            if (fdio::readExact(connection_.get(), &status, sizeof status, 1.0, "forkserver exit status")) {
                returnCode_ = exitCodeFromStatus(status);
            } else {
                returnCode_ = 255; // the server died before it could report: Python's convention
            }
        } catch (const std::exception&) {
            returnCode_ = 255;
        }
        return returnCode_;
    }

private:
    UniqueFd connection_;
};

sockaddr_un socketAddress(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        throw OsError("forkserver socket path too long: " + path, ENAMETOOLONG);
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

} // namespace

Forkserver& Forkserver::instance() {
    static auto* server = new Forkserver; // never destroyed: used from atexit
    return *server;
}

void Forkserver::startLocked() {
    stopLocked();
    // A private directory makes the socket unreachable for other users whatever the umask.
    std::string pattern = runtimeDirectoryBase() + "/forkscope-fs-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw OsError("mkdtemp " + pattern, errno);
    }
    directory_ = pattern;
    address_ = directory_ + "/forkserver.sock";

    UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener) {
        throw OsError("socket for the forkserver", errno);
    }
    sockaddr_un addr = socketAddress(address_);
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw OsError("bind " + address_, errno);
    }
    ::chmod(address_.c_str(), 0600);
    if (::listen(listener.get(), 128) != 0) {
        throw OsError("listen on " + address_, errno);
    }

    key_ = auth::randomBytes(kKeySize);
    auto [keyRead, keyWrite] = fdio::makePipe();
    auto [aliveRead, aliveWrite] = fdio::makePipe();
    fdio::writeAll(keyWrite.get(), key_.data(), key_.size(), 1.0, "forkserver key");
    keyWrite.reset();

    const pid_t parent = ::getpid();
    const pid_t pid =
        launchImage({"forkscope-forkserver",
                     {runtime::kForkserverFlag, std::to_string(keyRead.get()),
                      std::to_string(aliveRead.get()), std::to_string(listener.get()), address_},
                     {keyRead.get(), aliveRead.get(), listener.get()},
                     SIGTERM,
                     "the forkserver"});
    serverPid_ = pid;
    serverPidfd_ = fdio::pidfdOpen(pid);
    alive_ = std::move(aliveWrite);
    ownerPid_ = parent;
}

void Forkserver::stopLocked() {
    if (serverPid_ != 0 && ownerPid_ == ::getpid()) {
        alive_.reset(); // EOF on the alive pipe: the server cleans up and exits
        if (!fdio::waitFor(serverPidfd_.get(), POLLIN, 5.0)) {
            fdio::pidfdSendSignal(serverPidfd_.get(), SIGKILL);
            fdio::waitFor(serverPidfd_.get(), POLLIN, 5.0);
        }
        (void)reapHelper(serverPid_, HelperRole::Forkserver);
        std::error_code ignored;
        std::filesystem::remove_all(directory_, ignored);
    }
    alive_.reset();
    serverPidfd_.reset();
    serverPid_ = 0;
    ownerPid_ = 0;
    directory_.clear();
    address_.clear();
    key_.clear();
}

void Forkserver::ensureRunningLocked() {
    bool running = serverPid_ != 0;
    if (running && ownerPid_ == ::getpid() && fdio::waitFor(serverPidfd_.get(), POLLIN, 0.0)) {
        running = false; // it died: reaped by stopLocked(), then restarted below
    }
    if (!running) {
        startLocked();
        runtime::installAtexit();
        atProcessExit([] { Forkserver::instance().stop(); });
    }
}

std::string Forkserver::address() {
    std::lock_guard lock(mutex_);
    ensureRunningLocked();
    return address_;
}

pid_t Forkserver::serverPid() {
    std::lock_guard lock(mutex_);
    ensureRunningLocked();
    return serverPid_;
}

void Forkserver::stop() {
    std::lock_guard lock(mutex_);
    stopLocked();
}

UniqueFd Forkserver::connect(const std::string& address, std::span<const std::uint8_t> key) {
    UniqueFd connection(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!connection) {
        throw OsError("socket", errno);
    }
    sockaddr_un addr = socketAddress(address);
    int rc = 0;
    do {
        rc = ::connect(connection.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        throw OsError("connect to the forkserver at " + address, errno);
    }
    auth::clientHandshake(connection.get(), key, kHandshakeTimeout);
    return connection;
}

std::unique_ptr<Popen> Forkserver::launch(const Bootstrap& bootstrap) {
    std::string address;
    std::vector<std::uint8_t> key;
    {
        std::lock_guard lock(mutex_);
        ensureRunningLocked();
        address = address_;
        key = key_;
    }
    UniqueFd connection;
    try {
        connection = connect(address, key);
    } catch (const OsError&) {
        // The server may have died between our check and the connect: restart it once.
        std::lock_guard lock(mutex_);
        startLocked();
        address = address_;
        key = key_;
        try {
            connection = connect(address, key);
        } catch (const OsError& e) {
            // A server that dies at once usually re-ran an unguarded main() and hit the
            // bootstrapping error there (its stderr says so).
            throw ProcessError(
                std::string("cannot reach the forkserver (") + e.what() +
                "); it exited at start-up — does main() call forkscope::freezeSupport(argc, argv) "
                "before anything else?");
        }
    }
    const std::vector<std::uint8_t> payload = bootstrap.encode();
    ForkserverRequestHeader header{static_cast<std::uint32_t>(payload.size()),
                                   static_cast<std::uint32_t>(bootstrap.fds.size())};
    fdio::sendWithFds(connection.get(),
                      std::span(reinterpret_cast<const std::uint8_t*>(&header), sizeof header), bootstrap.fds,
                      "forkserver request");
    fdio::writeAll(connection.get(), payload.data(), payload.size(), 30.0, "forkserver request");

    pid_t pid = 0;
    std::vector<UniqueFd> received;
    std::size_t n =
        fdio::recvWithFds(connection.get(), std::span(reinterpret_cast<std::uint8_t*>(&pid), sizeof pid),
                          received, 1, 30.0, "forkserver reply");
    if (n != sizeof pid || received.size() != 1 || pid <= 0) {
        throw OsError("the forkserver did not start " + bootstrap.identity.name, EPROTO);
    }
    return std::make_unique<ForkserverPopen>(pid, std::move(received.front()), std::move(connection));
}

} // namespace forkscope
