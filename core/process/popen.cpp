#include "popen.h"

#include "errors.h"

#include <cerrno>
#include <poll.h>
#include <sys/wait.h>

namespace forkscope {

std::optional<int> Popen::wait(fdio::Timeout timeout) {
    if (returnCode_) {
        return returnCode_;
    }
    if (!fdio::waitFor(sentinel(), POLLIN, timeout)) {
        return std::nullopt;
    }
    return poll();
}

bool Popen::sendSignal(int signal) {
    if (returnCode_) {
        return false;
    }
    return fdio::pidfdSendSignal(pidfd_.get(), signal);
}

int Popen::exitCodeFromStatus(int status) noexcept {
    if (WIFSIGNALED(status)) {
        return -WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}

ChildPopen::~ChildPopen() = default;

std::optional<int> ChildPopen::poll() {
    if (returnCode_) {
        return returnCode_;
    }
    int status = 0;
    pid_t rc = 0;
    do {
        rc = ::waitpid(pid_, &status, WNOHANG);
    } while (rc < 0 && errno == EINTR);
    if (rc == pid_) {
        returnCode_ = exitCodeFromStatus(status);
    } else if (rc < 0) {
        throw OsError("waitpid(" + std::to_string(pid_) + ")", errno);
    }
    return returnCode_;
}

} // namespace forkscope
