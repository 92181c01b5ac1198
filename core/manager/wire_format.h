#pragma once

#include "process/fd_io.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

namespace forkscope {

/// The manager's message layer. After the authentication handshake (auth_handshake.h), every
/// message in either direction is a 4-byte big-endian length followed by that many bytes of
/// CBOR (RFC 8949) holding one JSON-like value. Big-endian because a TCP manager may be reached
/// from another machine. Sizes and nesting depth are capped, and a declared size is checked
/// before anything is allocated.
namespace wire {

using Json = nlohmann::json;

inline constexpr std::size_t kMaxMessage = 64u << 20; ///< bytes of CBOR per message
inline constexpr std::size_t kMaxDepth = 200;         ///< arrays/maps nested deeper are refused

/// A message that is too large, too deep or not valid CBOR.
class ProtocolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Encodes to CBOR; throws ProtocolError if the result exceeds kMaxMessage.
std::vector<std::uint8_t> encode(const Json& value);
/// Decodes CBOR with the depth cap; throws ProtocolError on anything malformed.
Json decode(std::span<const std::uint8_t> bytes);

/// Writes one framed message.
void writeMessage(int fd, std::span<const std::uint8_t> payload, fdio::Timeout timeout);
/// Reads one framed message: waits up to `idle` for its first byte, then up to `body` seconds
/// for the rest. std::nullopt on EOF before the first byte.
std::optional<std::vector<std::uint8_t>> readMessage(int fd, fdio::Timeout idle, double body);

} // namespace wire
} // namespace forkscope
