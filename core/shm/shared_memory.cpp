#include "shared_memory.h"

#include "shm_name.h"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <stdexcept>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace forkscope {

namespace {

constexpr int kNameAttempts = 100;
constexpr auto kType = ResourceTracker::ResourceType::SharedMemory;

std::string randomName() {
    unsigned char bytes[8];
    std::size_t got = 0;
    while (got < sizeof bytes) {
        ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw OsError("getrandom for a shared memory name", errno);
        }
        got += static_cast<std::size_t>(n);
    }
    std::string name = "/fs_";
    for (unsigned char b : bytes) {
        char hex[3];
        std::snprintf(hex, sizeof hex, "%02x", b);
        name += hex;
    }
    return name;
}

} // namespace

struct SharedMemory::State {
    std::string name;
    UniqueFd fd;
    void* address = nullptr;
    std::size_t size = 0;
    pid_t creatorPid = 0; ///< 0 unless this process (not a fork child of it) created it

    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() { unmap(); }

    void unmap() noexcept {
        if (address != nullptr) {
            ::munmap(address, size);
            address = nullptr;
        }
        fd.reset();
    }

    void map(int protection) {
        address = ::mmap(nullptr, size, protection, MAP_SHARED, fd.get(), 0);
        if (address == MAP_FAILED) {
            address = nullptr;
            throw OsError("mmap of shared memory '" + name + "' (" + std::to_string(size) + " bytes)", errno);
        }
    }
};

SharedMemory::SharedMemory(std::optional<std::string> name, bool create, std::size_t size) {
    if (name) {
        name = shmname::withLeadingSlash(std::move(*name));
    }
    if (!create) {
        if (!name) {
            throw std::invalid_argument(
                "a shared memory name is required when not creating one (create=false)");
        }
        attachReceived(*name, false);
        return;
    }
    if (size == 0) {
        throw std::invalid_argument("the size of a new shared memory segment must be positive, not 0");
    }
    if (name) {
        shmname::check(*name);
    }
    auto state = std::make_shared<State>();
    for (int attempt = 0;; ++attempt) {
        state->name = name ? *name : randomName();
        state->fd.reset(::shm_open(state->name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600));
        if (state->fd) {
            break;
        }
        const int error = errno;
        if (error == EEXIST && !name && attempt + 1 < kNameAttempts) {
            continue; // a drawn name collided: draw again
        }
        if (error == EEXIST) {
            throw OsError("creating shared memory '" + shmname::printable(state->name) +
                              "': the name exists already (creation is exclusive; attach to it instead)",
                          error);
        }
        throw OsError("shm_open of new shared memory '" + shmname::printable(state->name) + "'", error);
    }
    state->creatorPid = ::getpid();
    bool registered = false;
    try {
        // Registered before anything else can fail or be interrupted, so that the tracker
        // knows about the name for as long as it exists.
        ResourceTracker::instance().registerResource(state->name, kType);
        registered = true;
        if (::ftruncate(state->fd.get(), static_cast<off_t>(size)) != 0) {
            throw OsError("ftruncate of shared memory '" + state->name + "' to " + std::to_string(size) +
                              " bytes",
                          errno);
        }
        state->size = size;
        state->map(PROT_READ | PROT_WRITE);
    } catch (...) {
        ::shm_unlink(state->name.c_str());
        if (registered) {
            try {
                ResourceTracker::instance().unregisterResource(state->name, kType);
            } catch (const std::exception&) { // NOLINT(bugprone-empty-catch): the first error matters
            }
        }
        throw;
    }
    state_ = std::move(state);
}

SharedMemory SharedMemory::create(std::size_t size, std::optional<std::string> name) {
    return SharedMemory(std::move(name), true, size);
}

SharedMemory SharedMemory::attach(std::string name) {
    return SharedMemory(std::move(name), false);
}

void SharedMemory::attachReceived(const std::string& name, bool senderCreated) {
    shmname::check(name);
    auto state = std::make_shared<State>();
    state->name = name;
    state->fd.reset(::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0));
    if (!state->fd) {
        const int error = errno;
        std::string hint;
        if (error == ENOENT) {
            hint = senderCreated ? " (its creator unlinked it before it was attached)"
                                 : " (no segment of that name exists)";
        }
        throw OsError("attaching to shared memory '" + shmname::printable(name) + "'" + hint, error);
    }
    struct stat info {};
    if (::fstat(state->fd.get(), &info) != 0) {
        throw OsError("fstat of shared memory '" + name + "'", errno);
    }
    if (info.st_size <= 0) {
        throw std::invalid_argument("shared memory '" + name +
                                    "' is empty (size 0): there is nothing to map");
    }
    state->size = static_cast<std::size_t>(info.st_size);
    state->map(PROT_READ | PROT_WRITE);
    state_ = std::move(state);
}

SharedMemory::State& SharedMemory::state() const {
    if (!state_) {
        throw ProcessError("this SharedMemory handle is empty (it was never created or attached)");
    }
    return *state_;
}

const std::string& SharedMemory::name() const {
    return state().name;
}

std::size_t SharedMemory::size() const {
    return state().size;
}

std::span<std::byte> SharedMemory::buf() const {
    State& s = state();
    if (s.address == nullptr) {
        throw ProcessError("shared memory '" + s.name + "' is closed in this process");
    }
    return {static_cast<std::byte*>(s.address), s.size};
}

bool SharedMemory::isCreator() const {
    return state().creatorPid == ::getpid();
}

bool SharedMemory::closed() const {
    return state().address == nullptr;
}

void SharedMemory::close() {
    state().unmap();
}

void SharedMemory::unlink() {
    State& s = state();
    if (::shm_unlink(s.name.c_str()) != 0) {
        const int error = errno; // before the message is built
        throw OsError("unlink of shared memory '" + s.name + "'", error);
    }
    // Whoever removes the name tells the tracker, creator or not (Python's unlink() does too):
    // only one unlink of a name can succeed, so it is taken back exactly once, and a consumer
    // that unlinks what its producer created leaves no stale registration behind for the
    // tracker to "clean up" at the end. A process with no tracker channel (a fresh image that
    // attached by name) has nothing to tell.
    ResourceTracker::instance().unregisterResource(s.name, kType);
}

} // namespace forkscope
