#include "entry_guard.h"

#include "bootstrap.h"
#include "fd_io.h"
#include "forkserver.h"
#include "runtime.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <string>
#include <unistd.h>

namespace forkscope {

namespace {

constexpr std::size_t kMaxBootstrap = 1u << 30;

[[noreturn]] void runSpawnChild(int argc, char** argv) {
    char* end = nullptr;
    long channel = argc >= 3 ? std::strtol(argv[2], &end, 10) : -1;
    if (channel < 0 || end == nullptr || *end != '\0') {
        std::fprintf(stderr, "forkscope: %s needs the bootstrap fd as its argument\n", runtime::kSpawnFlag);
        ::_exit(2);
    }
    UniqueFd fd(static_cast<int>(channel));
    ::fcntl(fd.get(), F_SETFD, FD_CLOEXEC);
    std::vector<std::uint8_t> payload;
    try {
        auto frame = fdio::readFrame(fd.get(), kMaxBootstrap, 60.0, "spawn bootstrap");
        if (!frame) {
            std::fprintf(stderr, "forkscope: the parent closed the bootstrap channel before sending it\n");
            ::_exit(1);
        }
        payload = std::move(*frame);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "forkscope: reading the spawn bootstrap failed: %s\n", e.what());
        ::_exit(1);
    }
    fd.reset();
    runBootstrap(payload);
}

[[noreturn]] void exitAtOnce(int, char**) {
    ::_exit(0);
}

struct Roles {
    std::mutex mutex;
    std::map<std::string, ImageRole> byFlag{
        {runtime::kSpawnFlag, &runSpawnChild},
        {runtime::kForkserverFlag, &runForkserver},
        {runtime::kExitAtOnceFlag, &exitAtOnce},
    };
};

Roles& roles() {
    static Roles instance;
    return instance;
}

} // namespace

bool registerImageRole(const char* flag, ImageRole role) {
    auto& r = roles();
    std::lock_guard lock(r.mutex);
    return r.byFlag.emplace(flag, role).second;
}

void freezeSupport(int argc, char** argv) {
    if (argc < 2 || std::strncmp(argv[1], "--forkscope-", 12) != 0) {
        return;
    }
    ImageRole role = nullptr;
    {
        auto& r = roles();
        std::lock_guard lock(r.mutex);
        auto it = r.byFlag.find(argv[1]);
        if (it != r.byFlag.end()) {
            role = it->second;
        }
    }
    if (role != nullptr) {
        role(argc, argv);
        ::_exit(0); // a role must not return into main()
    }
}

} // namespace forkscope
