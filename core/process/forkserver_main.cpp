// The forkserver image: a fresh, single-threaded copy of the program that forks children on
// request. It never runs main(), so no user state exists here that a child could inherit
// by accident, and forking it is safe because it has only one thread.
#include "auth_handshake.h"
#include "bootstrap.h"
#include "errors.h"
#include "forkserver.h"
#include "image_launcher.h"
#include "launchers.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace forkscope {

namespace {

constexpr std::size_t kMaxPayload = 256u << 20;
constexpr std::uint32_t kMaxFds = 64;
constexpr double kRequestTimeout = 5.0;

class Server {
public:
    Server(std::vector<std::uint8_t> key, UniqueFd alive, UniqueFd listener, UniqueFd signals)
        : key_(std::move(key)), alive_(std::move(alive)), listener_(std::move(listener)),
          signals_(std::move(signals)) {}

    void serve() {
        std::vector<pollfd> fds;
        std::vector<pid_t> owners;
        for (;;) {
            fds.assign(
                {{alive_.get(), POLLIN, 0}, {signals_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}});
            owners.clear();
            for (const auto& [pid, connection] : waiting_) {
                fds.push_back({connection.get(), POLLIN, 0});
                owners.push_back(pid);
            }
            int rc = ::poll(fds.data(), fds.size(), -1);
            if (rc < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return;
            }
            if (fds[0].revents != 0) {
                return; // the program closed its end: we are done
            }
            if (fds[1].revents != 0) {
                signalfd_siginfo info{};
                bool terminate = false;
                while (::read(signals_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
                    terminate = terminate || info.ssi_signo == SIGTERM;
                }
                if (terminate) {
                    return; // our parent died (its death signal) or we were asked to stop
                }
                reapChildren();
            }
            for (std::size_t i = 0; i < owners.size(); ++i) {
                if (fds[3 + i].revents != 0) {
                    requesterGone(owners[i]);
                }
            }
            if (fds[2].revents != 0) {
                acceptOne();
            }
        }
    }

private:
    void reapChildren() {
        int status = 0;
        pid_t pid = 0;
        while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
            auto it = waiting_.find(pid);
            if (it == waiting_.end()) {
                continue;
            }
            try {
                fdio::writeAll(it->second.get(), &status, sizeof status, 1.0, "exit status");
            } catch (const std::exception&) { // NOLINT(bugprone-empty-catch): the requester is gone
            }
            waiting_.erase(it);
        }
    }

    /// A requester never writes after its request, so readable means it closed the connection:
    /// it died (or dropped the child's handle), and a child must not outlive its parent.
    void requesterGone(pid_t child) {
        auto it = waiting_.find(child);
        if (it == waiting_.end()) {
            return; // already reaped and reported in this round
        }
        ::kill(child, SIGKILL); // still our unreaped child, so the pid cannot have been reused
        waiting_.erase(it);
    }

    void acceptOne() {
        UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!connection) {
            return;
        }
        ucred peer{};
        socklen_t length = sizeof peer;
        if (::getsockopt(connection.get(), SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 ||
            peer.uid != ::getuid()) {
            std::fprintf(stderr, "forkscope forkserver: refused a connection from uid %u (not our user)\n",
                         static_cast<unsigned>(peer.uid));
            return;
        }
        try {
            auth::serverHandshake(connection.get(), key_, kRequestTimeout);
            handleRequest(std::move(connection));
        } catch (const AuthenticationError& e) {
            std::fprintf(stderr, "forkscope forkserver: refused a request from pid %d: %s\n", peer.pid,
                         e.what());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "forkscope forkserver: bad request from pid %d: %s\n", peer.pid, e.what());
        }
    }

    void handleRequest(UniqueFd connection) {
        ForkserverRequestHeader header{};
        std::vector<UniqueFd> passed;
        auto* headerBytes = reinterpret_cast<std::uint8_t*>(&header);
        std::size_t got = fdio::recvWithFds(connection.get(), std::span(headerBytes, sizeof header), passed,
                                            kMaxFds, kRequestTimeout, "forkserver request");
        if (got == 0) {
            return;
        }
        if (got < sizeof header && !fdio::readExact(connection.get(), headerBytes + got, sizeof header - got,
                                                    kRequestTimeout, "request")) {
            return;
        }
        if (header.payloadSize > kMaxPayload || header.fdCount != passed.size()) {
            throw OsError("malformed forkserver request header", EPROTO);
        }
        std::vector<std::uint8_t> payload(header.payloadSize);
        if (!fdio::readExact(connection.get(), payload.data(), payload.size(), kRequestTimeout,
                             "request payload")) {
            throw OsError("forkserver request ended early", EPROTO);
        }
        std::vector<int> fds;
        for (const auto& fd : passed) {
            fds.push_back(fd.get());
        }

        const pid_t parent = ::getpid();
        const pid_t pid = ::fork();
        if (pid < 0) {
            throw OsError("fork", errno);
        }
        if (pid == 0) {
            becomeChildOfServer(parent, connection.get());
            runBootstrap(payload, std::move(fds)); // never returns
        }
        UniqueFd pidfd = fdio::pidfdOpen(pid);
        const int pidfdNumber = pidfd.get();
        fdio::sendWithFds(connection.get(),
                          std::span(reinterpret_cast<const std::uint8_t*>(&pid), sizeof pid),
                          std::span(&pidfdNumber, 1), "forkserver reply");
        waiting_.emplace(pid, std::move(connection));
    }

    void becomeChildOfServer(pid_t server, int connection) {
        // Leave nothing of the server in the child: its sockets, its pending requesters'
        // connections and its signal handling.
        ::close(connection);
        for (auto& [pid, fd] : waiting_) {
            ::close(fd.release());
        }
        ::close(alive_.release());
        ::close(listener_.release());
        ::close(signals_.release());
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        dieWithParent(server);
    }

    std::vector<std::uint8_t> key_;
    UniqueFd alive_;
    UniqueFd listener_;
    UniqueFd signals_;
    std::map<pid_t, UniqueFd> waiting_;
};

} // namespace

void runForkserver(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "forkscope forkserver: expected 4 arguments, got %d\n", argc - 2);
        ::_exit(2);
    }
    UniqueFd keyFd = adoptFdArgument(argv[2], "forkserver");
    UniqueFd alive = adoptFdArgument(argv[3], "forkserver");
    UniqueFd listener = adoptFdArgument(argv[4], "forkserver");
    const std::string address = argv[5];
    const std::vector<std::uint8_t> key = readSecret(std::move(keyFd), 64);
    if (key.size() < auth::kMinKeySize) {
        std::fprintf(stderr, "forkscope forkserver: authentication key too short\n");
        ::_exit(2);
    }

    sigset_t childSignals;
    sigemptyset(&childSignals);
    sigaddset(&childSignals, SIGCHLD);
    // SIGTERM is our parent-death signal: handled here, so that the socket and its private
    // directory are removed even when the program was killed and could not stop us itself.
    sigaddset(&childSignals, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &childSignals, nullptr);
    UniqueFd signals(::signalfd(-1, &childSignals, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!signals) {
        std::perror("forkscope forkserver: signalfd");
        ::_exit(2);
    }
    runtime::markBootstrapped();

    Server server(key, std::move(alive), std::move(listener), std::move(signals));
    server.serve();

    std::error_code ignored;
    std::filesystem::remove(address, ignored);
    std::filesystem::remove(std::filesystem::path(address).parent_path(), ignored);
    ::_exit(0);
}

} // namespace forkscope
