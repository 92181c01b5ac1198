#pragma once

#include <string>

namespace forkscope {

/// Runs app/cli's forkscope-unguarded: a program that starts one child with the given start
/// method, with the entry guard (freezeSupport) first in its main() or, for the hazard, without
/// it. A spawned or forkserver image of an unguarded program re-runs main() and tries to start
/// a process while it is still bootstrapping, which fails with the bootstrapping error.
class UnguardedProgram {
public:
    struct Result {
        int exitCode = 0;   ///< 128 + signal if it was killed (or hung past 30 s)
        std::string output; ///< its stdout and stderr, interleaved
        std::string errors; ///< the lines that name an error, joined with " | " (or the output)
    };

    /// Runs it and waits for it (at most 30 s).
    static Result run(const std::string& startMethod, bool guarded);
    /// $FORKSCOPE_UNGUARDED_PROGRAM, else next to this executable, else in the build tree.
    static std::string path();
};

} // namespace forkscope
