#pragma once

#include "unique_fd.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <sys/types.h>
#include <vector>

namespace forkscope {

/// Small, blocking-with-deadline helpers over raw fds. Every wait takes a timeout so no caller
/// can hang forever by accident; std::nullopt means "no limit" and must be asked for explicitly.
namespace fdio {

using Timeout = std::optional<double>; ///< seconds; nullopt = wait forever

/// Waits until fd has `events` (POLLIN/POLLOUT). Returns false on timeout. EINTR is retried
/// with the remaining time.
bool waitFor(int fd, short events, Timeout timeout);

/// Writes all bytes (to a socket with MSG_NOSIGNAL, so a vanished peer is an error, not SIGPIPE).
void writeAll(int fd, const void* data, std::size_t size, Timeout timeout, const char* what);
/// Reads exactly size bytes. Returns false on EOF before the first byte; a partial read then
/// EOF throws.
bool readExact(int fd, void* data, std::size_t size, Timeout timeout, const char* what);

/// A length-prefixed frame (u32, host order: both ends are on this machine).
void writeFrame(int fd, std::span<const std::uint8_t> payload, Timeout timeout, const char* what);
/// Reads one frame of at most maxSize bytes; a larger declared size throws before allocating.
std::optional<std::vector<std::uint8_t>> readFrame(int fd, std::size_t maxSize, Timeout timeout,
                                                   const char* what);

/// Sends bytes with fds attached (SCM_RIGHTS) over a Unix socket.
void sendWithFds(int socket, std::span<const std::uint8_t> payload, std::span<const int> fds,
                 const char* what);
/// Receives up to payload.size() bytes and up to maxFds fds (owned by the caller, CLOEXEC).
std::size_t recvWithFds(int socket, std::span<std::uint8_t> payload, std::vector<UniqueFd>& fds,
                        std::size_t maxFds, Timeout timeout, const char* what);

/// pidfd_open(2): a pollable handle on a process that makes signalling race-free.
UniqueFd pidfdOpen(pid_t pid);
/// pidfd_send_signal(2). Returns false if the process is already gone (ESRCH).
bool pidfdSendSignal(int pidfd, int signal);

/// pipe2/socketpair with O_CLOEXEC, as owned pairs.
std::pair<UniqueFd, UniqueFd> makePipe();
std::pair<UniqueFd, UniqueFd> makeSocketPair();

} // namespace fdio
} // namespace forkscope
