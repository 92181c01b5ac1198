#include "auth_handshake.h"

#include "errors.h"

#include <algorithm>
#include <cerrno>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string_view>
#include <sys/random.h>

namespace forkscope::auth {

namespace {
constexpr std::string_view kChallenge = "#CHALLENGE#";
constexpr std::string_view kDigest = "{sha256}";
constexpr std::string_view kWelcome = "#WELCOME#";
constexpr std::string_view kFailure = "#FAILURE#";

using Bytes = std::vector<std::uint8_t>;

Bytes bytesOf(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

bool startsWith(const Bytes& data, std::string_view prefix) {
    return data.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), data.begin());
}

Bytes hmacSha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> message) {
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), message.data(), message.size(),
             out.data(), &length) == nullptr) {
        throw AuthenticationError("HMAC-SHA256 computation failed");
    }
    out.resize(length);
    return out;
}

Bytes readMessage(int fd, fdio::Timeout timeout) {
    auto frame = fdio::readFrame(fd, kMaxHandshakeMessage, timeout, "authentication message");
    if (!frame) {
        throw AuthenticationError("peer closed the connection during authentication");
    }
    return std::move(*frame);
}

void sendMessage(int fd, const Bytes& message, fdio::Timeout timeout) {
    fdio::writeFrame(fd, message, timeout, "authentication message");
}

/// Sends a challenge and checks the answer.
void deliverChallenge(int fd, std::span<const std::uint8_t> key, fdio::Timeout timeout) {
    Bytes nonce = randomBytes(kNonceSize);
    Bytes signedPart = bytesOf(kDigest);
    signedPart.insert(signedPart.end(), nonce.begin(), nonce.end());
    Bytes challenge = bytesOf(kChallenge);
    challenge.insert(challenge.end(), signedPart.begin(), signedPart.end());
    sendMessage(fd, challenge, timeout);

    Bytes answer = readMessage(fd, timeout);
    Bytes expected = bytesOf(kDigest);
    Bytes mac = hmacSha256(key, signedPart);
    expected.insert(expected.end(), mac.begin(), mac.end());
    bool ok =
        answer.size() == expected.size() && CRYPTO_memcmp(answer.data(), expected.data(), answer.size()) == 0;
    sendMessage(fd, bytesOf(ok ? kWelcome : kFailure), timeout);
    if (!ok) {
        throw AuthenticationError("digest received was wrong (the peer does not hold the key)");
    }
}

/// Answers a challenge and reads the verdict.
void answerChallenge(int fd, std::span<const std::uint8_t> key, fdio::Timeout timeout) {
    Bytes challenge = readMessage(fd, timeout);
    if (!startsWith(challenge, kChallenge)) {
        throw AuthenticationError("protocol error: expected a challenge message");
    }
    Bytes signedPart(challenge.begin() + static_cast<long>(kChallenge.size()), challenge.end());
    if (!startsWith(signedPart, kDigest) || signedPart.size() != kDigest.size() + kNonceSize) {
        throw AuthenticationError("peer asked for an unsupported digest or nonce size (only {sha256} with " +
                                  std::to_string(kNonceSize) + " bytes is accepted)");
    }
    Bytes answer = bytesOf(kDigest);
    Bytes mac = hmacSha256(key, signedPart);
    answer.insert(answer.end(), mac.begin(), mac.end());
    sendMessage(fd, answer, timeout);
    Bytes verdict = readMessage(fd, timeout);
    if (verdict != bytesOf(kWelcome)) {
        throw AuthenticationError("digest sent was rejected (wrong authentication key)");
    }
}
} // namespace

std::vector<std::uint8_t> randomBytes(std::size_t count) {
    std::vector<std::uint8_t> out(count);
    std::size_t done = 0;
    while (done < count) {
        ssize_t n = ::getrandom(out.data() + done, count - done, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw OsError("getrandom", errno);
        }
        done += static_cast<std::size_t>(n);
    }
    return out;
}

void serverHandshake(int fd, std::span<const std::uint8_t> key, fdio::Timeout timeout) {
    deliverChallenge(fd, key, timeout);
    answerChallenge(fd, key, timeout);
}

void clientHandshake(int fd, std::span<const std::uint8_t> key, fdio::Timeout timeout) {
    answerChallenge(fd, key, timeout);
    deliverChallenge(fd, key, timeout);
}

} // namespace forkscope::auth
