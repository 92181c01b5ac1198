// start→join latency of a no-op child under each start method, against the bare system calls.
#include "bench.h"
#include "process/context.h"
#include "process/errors.h"
#include "process/forkserver.h"
#include "process/runtime.h"

#include <chrono>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace forkscope::cli {

namespace {

void noopTask(TaskArgs& /*args*/) {}
FORKSCOPE_TASK(noopTask);

using Clock = std::chrono::steady_clock;

double microsecondsSince(Clock::time_point start) {
    return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

/// Mean start→join time of `count` no-op children.
double engineLatencyUs(StartMethod method, int count) {
    Context context(method);
    double total = 0;
    for (int i = 0; i < count; ++i) {
        Process child = context.process(&noopTask);
        auto start = Clock::now();
        child.start();
        child.join(30.0);
        total += microsecondsSince(start);
        if (child.exitCode() != 0) {
            throw ProcessError("benchmark child under " + std::string(toString(method)) +
                               " did not exit cleanly");
        }
        child.close();
    }
    return total / count;
}

/// The raw limit: fork + _exit(0) in the child + waitpid in the parent.
double bareForkUs(int count) {
    double total = 0;
    for (int i = 0; i < count; ++i) {
        auto start = Clock::now();
        pid_t pid = ::fork();
        if (pid == 0) {
            ::_exit(0);
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
        total += microsecondsSince(start);
    }
    return total / count;
}

/// The raw limit for spawn: fork + exec of this same program, which exits at once.
double bareForkExecUs(int count) {
    std::string argv0 = "forkscope-bench-exec";
    std::string flag = runtime::kExitAtOnceFlag;
    char* const argv[] = {argv0.data(), flag.data(), nullptr};
    double total = 0;
    for (int i = 0; i < count; ++i) {
        auto start = Clock::now();
        pid_t pid = ::fork();
        if (pid == 0) {
            ::execv("/proc/self/exe", argv);
            ::_exit(127);
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
        total += microsecondsSince(start);
    }
    return total / count;
}

} // namespace

std::vector<Figure> benchStartLatency(const BenchOptions& options) {
    const int forks = static_cast<int>(scaled(100, options.scale));
    const int execs = static_cast<int>(scaled(40, options.scale));
    std::vector<Figure> figures;
    figures.push_back(measureInterleaved(
        makeFigure("start_latency_fork_us", "us", "bare fork + _exit + waitpid", true, 1.5), options,
        [&] { return engineLatencyUs(StartMethod::Fork, forks); }, [&] { return bareForkUs(forks); }));
    figures.push_back(measureInterleaved(
        makeFigure("start_latency_spawn_us", "us",
                   "bare fork + exec of this program (exits at once) + waitpid", true, 2.0),
        options, [&] { return engineLatencyUs(StartMethod::Spawn, execs); },
        [&] { return bareForkExecUs(execs); }));
    figures.push_back(measureInterleaved(
        makeFigure("start_latency_forkserver_us", "us", "bare fork + _exit + waitpid", true, 3.0), options,
        [&] { return engineLatencyUs(StartMethod::Forkserver, forks); }, [&] { return bareForkUs(forks); }));
    return figures;
}

} // namespace forkscope::cli
