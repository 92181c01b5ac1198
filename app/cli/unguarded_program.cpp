// forkscope-unguarded: the program the `unguarded-main` scenario runs. It starts one child with
// the start method in $FORKSCOPE_UNGUARDED_METHOD and joins it. With $FORKSCOPE_UNGUARDED_GUARD
// set, main() calls the entry guard first, as every Forkscope program must (Python's
// `if __name__ == "__main__":`); without it, a spawned or forkserver image of this program
// re-runs main() and tries to start a process while it is still bootstrapping, and gets the
// bootstrapping error. Under fork nothing re-runs main(), so the missing guard goes unnoticed.
// The settings travel in the environment because a fresh image gets the launcher's argv.
#include "process/context.h"
#include "process/entry_guard.h"
#include "process/errors.h"

#include <cstdio>
#include <cstdlib>

namespace {
void greet(forkscope::TaskArgs&) {
    std::puts("the child ran");
}
FORKSCOPE_TASK(greet);
} // namespace

int main(int argc, char** argv) {
    if (std::getenv("FORKSCOPE_UNGUARDED_GUARD") != nullptr) {
        forkscope::freezeSupport(argc, argv);
    }
    const char* method = std::getenv("FORKSCOPE_UNGUARDED_METHOD");
    try {
        forkscope::Process child(forkscope::getContext(method != nullptr ? method : "spawn"), &greet);
        child.start();
        child.join(20.0);
        const int code = child.exitCode().value_or(-1000);
        if (code != 0) {
            std::fprintf(stderr, "ProcessError: the child exited with code %d\n", code);
            return 10;
        }
        return 0;
    } catch (const forkscope::BootstrapError& e) {
        std::fprintf(stderr, "BootstrapError: %s\n", e.what());
        return 3;
    } catch (const forkscope::ProcessError& e) {
        std::fprintf(stderr, "ProcessError: %s\n", e.what());
        return 4;
    }
    forkscope::freezeSupport(argc, argv); // too late: the mistake being demonstrated
}
