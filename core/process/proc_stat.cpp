#include "proc_stat.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace forkscope {

std::optional<ProcStat> ProcStat::read(pid_t pid) noexcept {
    if (pid <= 0) {
        return std::nullopt;
    }
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return std::nullopt;
    }
    char buffer[1024];
    ssize_t n = -1;
    do {
        n = ::read(fd, buffer, sizeof buffer - 1);
    } while (n < 0 && errno == EINTR);
    ::close(fd);
    if (n <= 0) {
        return std::nullopt;
    }
    buffer[n] = '\0';
    // The command name in parentheses may contain anything, spaces and ')' included: the
    // fields start after the *last* ')'.
    const char* close = std::strrchr(buffer, ')');
    if (close == nullptr || close[1] != ' ' || close[2] == '\0') {
        return std::nullopt;
    }
    ProcStat stat;
    stat.state = close[2];
    // Field 3 is the state; walk the space-separated fields that follow it.
    const char* p = close + 3;
    for (int field = 4; field <= 52 && *p != '\0'; ++field) {
        while (*p == ' ') {
            ++p;
        }
        char* end = nullptr;
        const long value = std::strtol(p, &end, 10);
        if (end == p) {
            break;
        }
        if (field == 4) {
            stat.ppid = static_cast<pid_t>(value);
        } else if (field == 5) {
            stat.pgrp = static_cast<pid_t>(value);
        } else if (field == 52) {
            stat.waitStatus = static_cast<int>(value);
        }
        // Unsigned 64-bit fields (addresses) overflow strtol; skip to the next space instead.
        p = end;
        while (*p != ' ' && *p != '\0' && *p != '\n') {
            ++p;
        }
    }
    return stat;
}

} // namespace forkscope
