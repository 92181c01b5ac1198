#pragma once

namespace forkscope {

/// The entry guard: call it first in main(), before anything else — the analogue of Python's
/// `if __name__ == '__main__':` together with freeze_support().
///
/// In a normal run it returns at once. In an image that Forkscope started (a spawn child, the
/// forkserver) it runs that role and never returns, so the rest of main() — which would start
/// processes of its own — is not executed there. A program that starts a process before
/// calling it gets, in its spawned children, a BootstrapError that says what to do.
void freezeSupport(int argc, char** argv);

/// Lets another part of the engine (a resource tracker, a manager) own an image role:
/// `--forkscope-<name>` as argv[1] hands the process to `role`, which must not return.
using ImageRole = void (*)(int argc, char** argv);
bool registerImageRole(const char* flag, ImageRole role);

} // namespace forkscope
