#pragma once

#include "fd_io.h"

#include <cstdint>
#include <span>
#include <vector>

namespace forkscope {

/// The challenge-response that guards the forkserver (and later the manager), as in Python's
/// multiprocessing.connection but with the digest named in the message so it cannot be
/// downgraded: "#CHALLENGE#{sha256}" + 40 random bytes, answered by "{sha256}" + HMAC-SHA256.
/// Messages are capped at a few hundred bytes and nothing else is read from a peer before it
/// has passed. Both directions are checked, so a client also knows the server holds the key.
namespace auth {

inline constexpr std::size_t kNonceSize = 40;
inline constexpr std::size_t kMaxHandshakeMessage = 256;
inline constexpr std::size_t kMinKeySize = 32;

/// Bytes from the kernel's CSPRNG (getrandom).
std::vector<std::uint8_t> randomBytes(std::size_t count);

/// Server side: challenge the peer, verify its answer, then answer the peer's challenge.
/// Throws AuthenticationError (after telling the peer "#FAILURE#") on a wrong key.
void serverHandshake(int fd, std::span<const std::uint8_t> key, fdio::Timeout timeout);
/// Client side: the mirror image of serverHandshake.
void clientHandshake(int fd, std::span<const std::uint8_t> key, fdio::Timeout timeout);

} // namespace auth
} // namespace forkscope
