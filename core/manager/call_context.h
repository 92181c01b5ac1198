#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

namespace forkscope {

/// Thrown out of a wait when the client of the call hung up: nobody is left to receive the
/// result, so a Queue.get must not consume an item for it. Deliberately not a std::exception,
/// so that it is not turned into a RemoteError on its way out.
struct ClientGone {};

/// What a managed object knows about the call it serves: which connection it comes from (the
/// owner of a Lock is a connection, as a server thread is in Python), and how to wait.
class CallContext {
public:
    using Clock = std::chrono::steady_clock;
    using Deadline = std::optional<Clock::time_point>;

    CallContext(std::uint64_t connectionId, int clientFd) noexcept
        : connectionId_(connectionId), clientFd_(clientFd) {}

    [[nodiscard]] std::uint64_t connectionId() const noexcept { return connectionId_; }
    /// Whether the client closed its end (or died), seen without reading from the socket.
    [[nodiscard]] bool clientGone() const;

    /// A deadline from a Python-style timeout argument: null = none, a number of seconds
    /// otherwise (negative counts as zero). Anything else is a TypeError.
    static Deadline deadlineFrom(const nlohmann::json& timeout);

    /// Waits on cv (with `lock` held) until pred() holds (true) or the deadline passes (false).
    /// Wakes up every few hundred milliseconds to notice a client that hung up (ClientGone).
    template <class Predicate>
    bool waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, Deadline deadline,
                   Predicate pred) {
        while (!pred()) {
            const auto now = Clock::now();
            if (deadline && now >= *deadline) {
                return false;
            }
            auto until = now + kHangupCheck;
            if (deadline && *deadline < until) {
                until = *deadline;
            }
            cv.wait_until(lock, until);
            if (!pred() && clientGone()) {
                throw ClientGone{};
            }
        }
        return true;
    }

private:
    static constexpr std::chrono::milliseconds kHangupCheck{250};
    std::uint64_t connectionId_;
    int clientFd_;
};

} // namespace forkscope
