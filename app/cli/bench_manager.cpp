// Round-trip latency of a manager proxy call (dict.__setitem__) over the Unix socket and over
// TCP on 127.0.0.1, against a bare request/answer ping-pong with a forked echo process over
// the same kind of socket: the price of authentication-free steady state, CBOR and dispatch.
#include "bench.h"
#include "manager/manager.h"
#include "process/errors.h"
#include "process/fd_io.h"
#include "process/launchers.h"

#include <chrono>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace forkscope::cli {

namespace {

using Clock = std::chrono::steady_clock;

double microsecondsSince(Clock::time_point start) {
    return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

/// Mean time of `count` d[key] = i calls through a proxy.
double proxyCallUs(DictProxy& dict, int count) {
    auto start = Clock::now();
    for (int i = 0; i < count; ++i) {
        dict.set("key", i);
    }
    return microsecondsSince(start) / count;
}

/// Mean round trip of a 32-byte request and a 16-byte answer with a forked echo process over a
/// connected socket pair of the given family (AF_UNIX, or AF_INET on 127.0.0.1).
double bareRoundTripUs(bool tcp, int count) {
    UniqueFd mine;
    UniqueFd theirs;
    if (!tcp) {
        auto pair = fdio::makeSocketPair();
        mine = std::move(pair.first);
        theirs = std::move(pair.second);
    } else {
        UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof addr;
        if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(listener.get(), 1) != 0 ||
            ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
            throw OsError("bench: loopback listener", errno);
        }
        mine = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (::connect(mine.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            throw OsError("bench: loopback connect", errno);
        }
        theirs = UniqueFd(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        int one = 1;
        ::setsockopt(mine.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::setsockopt(theirs.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw OsError("bench: fork of the echo process", errno);
    }
    if (pid == 0) {
        dieWithParent(parent);
        mine.reset(); // or our own copy would keep the conversation open after the parent ends it
        char buffer[32];
        while (::read(theirs.get(), buffer, sizeof buffer) > 0) {
            if (::write(theirs.get(), buffer, 16) != 16) {
                break;
            }
        }
        ::_exit(0);
    }
    theirs.reset();
    char request[32] = {};
    char answer[16];
    auto start = Clock::now();
    for (int i = 0; i < count; ++i) {
        fdio::writeAll(mine.get(), request, sizeof request, 10.0, "bench request");
        fdio::readExact(mine.get(), answer, sizeof answer, 10.0, "bench answer");
    }
    const double us = microsecondsSince(start) / count;
    mine.reset();
    int status = 0;
    ::waitpid(pid, &status, 0);
    return us;
}

} // namespace

std::vector<Figure> benchManager(const BenchOptions& options) {
    const int calls = std::max(1, static_cast<int>(2000 * options.scale));
    std::vector<Figure> figures;
    for (bool tcp : {false, true}) {
        ManagerOptions managerOptions;
        if (tcp) {
            managerOptions.address = "127.0.0.1:0";
        }
        Manager manager(managerOptions);
        manager.start();
        DictProxy dict = manager.dict();
        figures.push_back(measureInterleaved(
            makeFigure(tcp ? "manager_call_tcp_us" : "manager_call_unix_us", "us",
                       tcp ? "bare 32/16-byte ping-pong with a forked echo process over loopback TCP"
                           : "bare 32/16-byte ping-pong with a forked echo process over a Unix socket",
                       true, 4.0),
            options, [&] { return proxyCallUs(dict, calls); }, [&] { return bareRoundTripUs(tcp, calls); }));
    }
    return figures;
}

} // namespace forkscope::cli
