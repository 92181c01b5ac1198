// Writes the demo queue-join-deadlock trace (tests/ui/demo_trace.h) to a file: for the
// screenshots in docs/screenshots and for trying the app without running a scenario.
#include "demo_trace.h"

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUT.fstrace\n", argv[0]);
        return 2;
    }
    try {
        forkscope::test::DemoTrace::write(argv[1]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_demo_trace: %s\n", e.what());
        return 1;
    }
    return 0;
}
