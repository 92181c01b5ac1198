#pragma once

#include <optional>
#include <sys/types.h>

namespace forkscope {

/// The fields of /proc/<pid>/stat that Forkscope reads: what a process is doing, who its parent
/// and group are, and — once it is a zombie — how it ended. Reading it never reaps and never
/// changes what is observed (the engine's rule for watching processes).
struct ProcStat {
    char state = 0;  ///< 'R', 'S', 'D', 'Z' (zombie), 'X' (dead), ...
    pid_t ppid = 0;  ///< field 4
    pid_t pgrp = -1; ///< field 5
    /// Field 52: the wait status, as waitpid(2) would report it (meaningful for a zombie).
    std::optional<int> waitStatus;

    [[nodiscard]] bool isZombie() const noexcept { return state == 'Z' || state == 'X'; }

    /// The process's current fields, or nothing if it is gone (or being torn down).
    /// Plain read(2) into a stack buffer: safe in a forked child and in the monitor thread, and
    /// a process that vanishes mid-read (ESRCH) is just "gone", never an exception.
    [[nodiscard]] static std::optional<ProcStat> read(pid_t pid) noexcept;
};

} // namespace forkscope
