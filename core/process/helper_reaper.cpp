#include "helper_reaper.h"

#include "events/emit.h"
#include "popen.h"

#include <cerrno>
#include <sys/wait.h>

namespace forkscope {

std::optional<int> reapHelper(pid_t pid, HelperRole role) noexcept {
    if (pid <= 0) {
        return std::nullopt;
    }
    int status = 0;
    pid_t rc = 0;
    do {
        rc = ::waitpid(pid, &status, 0);
    } while (rc < 0 && errno == EINTR);
    if (rc != pid) {
        return std::nullopt;
    }
    const int code = Popen::exitCodeFromStatus(status);
    if (code != 0) {
        trace::emit(EventType::HelperEnded, static_cast<std::uint64_t>(pid),
                    static_cast<std::uint64_t>(static_cast<std::int64_t>(code)),
                    static_cast<std::uint32_t>(role));
    }
    return code;
}

} // namespace forkscope
