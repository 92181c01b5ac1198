// A program for tst_start_methods: with FORKSCOPE_TEST_GUARD_FIRST set it calls the entry guard
// first, as every program must; without it, main() starts a child (spawn, or forkserver with
// FORKSCOPE_TEST_METHOD=forkserver) before the guard, so the fresh image re-runs main() and must
// get the bootstrapping error instead of recursing.
#include "process/context.h"
#include "process/entry_guard.h"
#include "process/errors.h"

#include <cstdio>
#include <cstdlib>

namespace {
void hello(forkscope::TaskArgs&) {
    std::puts("hello from the spawned child");
}
FORKSCOPE_TASK(hello);
} // namespace

int main(int argc, char** argv) {
    if (std::getenv("FORKSCOPE_TEST_GUARD_FIRST") != nullptr) {
        forkscope::freezeSupport(argc, argv);
    }
    const char* method = std::getenv("FORKSCOPE_TEST_METHOD");
    try {
        forkscope::Process child(forkscope::getContext(method != nullptr ? method : "spawn"), &hello);
        child.start();
        child.join(30.0);
        std::printf("child exit code %d\n", child.exitCode().value_or(-1000));
        return child.exitCode() == 0 ? 0 : 10;
    } catch (const forkscope::BootstrapError& e) {
        std::fprintf(stderr, "BootstrapError: %s\n", e.what());
        return 3;
    } catch (const forkscope::ProcessError& e) {
        std::fprintf(stderr, "ProcessError: %s\n", e.what());
        return 4;
    }
    forkscope::freezeSupport(argc, argv); // too late: this is the mistake being demonstrated
}
