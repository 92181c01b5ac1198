#include "wire_format.h"

#include "process/errors.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <string>

namespace forkscope::wire {

namespace {

/// nlohmann's CBOR reader recurses once per nesting level, so an unchecked message of a few
/// megabytes of nested arrays would overflow the stack of the thread decoding it. The SAX
/// events arrive before the recursion goes deeper, so refusing there bounds the stack.
class DepthLimitedSax : public nlohmann::detail::json_sax_dom_parser<Json> {
public:
    using Base = nlohmann::detail::json_sax_dom_parser<Json>;
    explicit DepthLimitedSax(Json& root) : Base(root, true) {}

    bool start_object(std::size_t length) { // NOLINT(readability-identifier-naming): SAX interface
        return enter() && Base::start_object(length);
    }
    bool end_object() {
        --depth_;
        return Base::end_object();
    }
    bool start_array(std::size_t length) { // NOLINT(readability-identifier-naming): SAX interface
        return enter() && Base::start_array(length);
    }
    bool end_array() {
        --depth_;
        return Base::end_array();
    }
    [[nodiscard]] bool tooDeep() const noexcept { return tooDeep_; }

private:
    bool enter() {
        if (++depth_ > kMaxDepth) {
            tooDeep_ = true;
            return false;
        }
        return true;
    }
    std::size_t depth_ = 0;
    bool tooDeep_ = false;
};

} // namespace

std::vector<std::uint8_t> encode(const Json& value) {
    std::vector<std::uint8_t> out = Json::to_cbor(value);
    if (out.size() > kMaxMessage) {
        throw ProtocolError("a manager message of " + std::to_string(out.size()) +
                            " bytes exceeds the limit of " + std::to_string(kMaxMessage) + " bytes");
    }
    return out;
}

Json decode(std::span<const std::uint8_t> bytes) {
    if (bytes.size() > kMaxMessage) {
        throw ProtocolError("manager message too large");
    }
    Json result;
    DepthLimitedSax sax(result);
    bool ok = false;
    try {
        ok = Json::sax_parse(bytes.begin(), bytes.end(), &sax, Json::input_format_t::cbor, true);
    } catch (const Json::exception& e) {
        throw ProtocolError(std::string("malformed CBOR in a manager message: ") + e.what());
    }
    if (sax.tooDeep()) {
        throw ProtocolError("manager message nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    if (!ok) {
        throw ProtocolError("malformed CBOR in a manager message");
    }
    return result;
}

void writeMessage(int fd, std::span<const std::uint8_t> payload, fdio::Timeout timeout) {
    if (payload.size() > kMaxMessage) {
        throw ProtocolError("manager message too large to send");
    }
    // One write for header and body: the peer wakes up once, with the whole message there.
    const std::uint32_t size = htonl(static_cast<std::uint32_t>(payload.size()));
    std::vector<std::uint8_t> frame(sizeof size + payload.size());
    std::memcpy(frame.data(), &size, sizeof size);
    std::memcpy(frame.data() + sizeof size, payload.data(), payload.size());
    fdio::writeAll(fd, frame.data(), frame.size(), timeout, "manager message");
}

std::optional<std::vector<std::uint8_t>> readMessage(int fd, fdio::Timeout idle, double body) {
    if (!fdio::waitFor(fd, POLLIN, idle)) {
        throw TimeoutError("timed out waiting for a manager message");
    }
    std::uint32_t size = 0;
    if (!fdio::readExact(fd, &size, sizeof size, body, "manager message header")) {
        return std::nullopt;
    }
    size = ntohl(size);
    if (size > kMaxMessage) {
        throw ProtocolError("a peer announced a manager message of " + std::to_string(size) +
                            " bytes (limit " + std::to_string(kMaxMessage) + "); nothing was read");
    }
    std::vector<std::uint8_t> payload(size);
    if (size > 0 && !fdio::readExact(fd, payload.data(), size, body, "manager message")) {
        throw OsError("reading a manager message (peer closed mid-message)", EPIPE);
    }
    return payload;
}

} // namespace forkscope::wire
