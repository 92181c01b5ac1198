#pragma once

#include "bootstrap.h"
#include "popen.h"
#include "unique_fd.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <sys/types.h>
#include <vector>

namespace forkscope {

/// What a requester sends after authenticating: this header with the fds attached
/// (SCM_RIGHTS), then the encoded Bootstrap. The server answers with the child's pid and a
/// pidfd, and later with the child's wait status.
struct ForkserverRequestHeader {
    std::uint32_t payloadSize;
    std::uint32_t fdCount;
};
static_assert(sizeof(ForkserverRequestHeader) == 8, "part of the forkserver wire protocol");

/// The requester's side of the forkserver (Python's multiprocessing.forkserver.ForkServer).
///
/// The server is a fresh, single-threaded image of this program, started on first use. It
/// listens on a Unix socket file inside a private 0700 directory (never the abstract namespace,
/// which any local user can reach: CVE-2022-42919), refuses peers of another uid, and runs an
/// HMAC challenge with a random per-instance key on every connection. The key reaches the
/// server only through an inherited pipe. If the server dies, the next start restarts it.
class Forkserver {
public:
    static Forkserver& instance();

    /// Asks the server to fork a child for the bootstrap; passes its fds with SCM_RIGHTS.
    std::unique_ptr<Popen> launch(const Bootstrap& bootstrap);
    /// The socket path, starting the server if needed.
    std::string address();
    /// The server's pid, starting it if needed.
    pid_t serverPid();
    /// Stops the server this process started (at exit; also usable by tests).
    void stop();

    /// Connects and authenticates with the given key; exposed so tests can prove that a wrong
    /// key is refused. Throws AuthenticationError.
    static UniqueFd connect(const std::string& address, std::span<const std::uint8_t> key);

private:
    Forkserver() = default;
    void ensureRunningLocked();
    void startLocked();
    void stopLocked();

    std::mutex mutex_;
    std::string directory_;
    std::string address_;
    std::vector<std::uint8_t> key_;
    UniqueFd alive_; ///< the server exits when this closes
    UniqueFd serverPidfd_;
    pid_t serverPid_ = 0;
    pid_t ownerPid_ = 0; ///< the process that started (and must reap) the server
};

/// The server's main loop; runs in the image started with --forkscope-forkserver.
[[noreturn]] void runForkserver(int argc, char** argv);

} // namespace forkscope
