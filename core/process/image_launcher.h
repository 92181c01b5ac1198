#pragma once

#include "unique_fd.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace forkscope {

/// A fresh image of this program in a role (a spawn child, the forkserver, the resource tracker,
/// a manager server): what to pass and what to keep.
struct ImageLaunch {
    std::string argv0;                  ///< the name `ps` shows
    std::vector<std::string> arguments; ///< after argv0; the role flag first
    std::vector<int> keepFds;           ///< stay open across exec, at the same numbers
    int parentDeathSignal = 9; ///< SIGKILL; SIGTERM to clean up first; 0 to outlive the parent (the tracker)
    std::string what;          ///< names the image in errors: "the forkserver"
};

/// fork() + exec("/proc/self/exe") — the one place that does it. Between the two, only
/// async-signal-safe calls: the parent-death signal (and the check that the parent is still
/// there), an empty signal mask, close-on-exec on every fd but keepFds, execv, and on failure
/// the errno on a close-on-exec pipe and _exit(127). Returns once exec has succeeded (EOF on
/// that pipe); an exec failure is an OsError, with the child already reaped.
[[nodiscard]] pid_t launchImage(const ImageLaunch& launch);

/// In the launched image: takes the fd whose number argv carries, makes it close-on-exec (it must
/// not leak into what this image starts), or exits with status 2 naming `role` and the text.
[[nodiscard]] UniqueFd adoptFdArgument(const char* text, const char* role);

/// In the launched image: reads a secret (an authentication key) that the launcher wrote into
/// an inherited pipe and closed, up to maxSize bytes; closes the fd. Never via argv or the
/// environment, where any process of the user could read it.
[[nodiscard]] std::vector<std::uint8_t> readSecret(UniqueFd fd, std::size_t maxSize);

} // namespace forkscope
