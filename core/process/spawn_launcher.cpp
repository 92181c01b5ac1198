#include "errors.h"
#include "image_launcher.h"
#include "launchers.h"

#include <cerrno>
#include <fstream>
#include <signal.h>
#include <unistd.h>

namespace forkscope {

namespace {
const std::string& programName() {
    static const std::string name = [] {
        std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
        std::string argv0;
        std::getline(cmdline, argv0, '\0');
        return argv0.empty() ? std::string("forkscope-child") : argv0;
    }();
    return name;
}
} // namespace

std::unique_ptr<Popen> launchSpawn(const Bootstrap& bootstrap) {
    const std::vector<std::uint8_t> payload = bootstrap.encode();
    auto [parentEnd, childEnd] = fdio::makeSocketPair();
    std::vector<int> keep = bootstrap.fds;
    keep.push_back(childEnd.get());
    const pid_t pid = launchImage({programName(),
                                   {runtime::kSpawnFlag, std::to_string(childEnd.get())},
                                   std::move(keep),
                                   SIGKILL,
                                   "spawn child " + bootstrap.identity.name});
    childEnd.reset();

    auto popen = std::make_unique<ChildPopen>(pid, fdio::pidfdOpen(pid));
    try {
        fdio::writeFrame(parentEnd.get(), payload, 60.0, "spawn bootstrap");
    } catch (const OsError& e) {
        // The child ended without reading its bootstrap (for example an image whose main()
        // started processes before calling the entry guard). Its exit code tells the story.
        if (e.code() != EPIPE && e.code() != ECONNRESET) {
            throw;
        }
    } catch (const TimeoutError&) {
        popen->sendSignal(SIGKILL);
        popen->wait(5.0);
        throw TimeoutError("spawn child " + bootstrap.identity.name +
                           " did not read its bootstrap within 60 s; it was killed");
    }
    return popen;
}

} // namespace forkscope
