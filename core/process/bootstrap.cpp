#include "bootstrap.h"

#include "byte_archives.h"
#include "errors.h"
#include "events/tracer.h"

#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

namespace forkscope {

std::vector<std::uint8_t> Bootstrap::encode() const {
    return detail::encodeBytes(*this);
}

Bootstrap Bootstrap::decode(std::span<const std::uint8_t> bytes) {
    Bootstrap result;
    try {
        detail::ByteInputArchive archive(bytes);
        archive(result);
    } catch (const std::exception& e) {
        throw SerializationError(std::string("damaged bootstrap message: ") + e.what());
    }
    if (result.version != kVersion) {
        throw SerializationError("bootstrap version " + std::to_string(result.version) +
                                 " is not the expected " + std::to_string(kVersion));
    }
    return result;
}

void Bootstrap::attachTracing(const EventRing* ring) {
    if (ring == nullptr || Tracer::channelFd() < 0) {
        return;
    }
    traceRing = static_cast<std::int32_t>(fds.size());
    fds.push_back(ring->fd());
    traceChannel = static_cast<std::int32_t>(fds.size());
    fds.push_back(Tracer::channelFd());
}

Bootstrap makeBootstrap(const LaunchRequest& request, StartMethod method) {
    const std::string methodName(toString(method));
    if (request.target.isClosure()) {
        throw SerializationError("cannot serialize the target of " + request.identity.name +
                                 ": it is a closure, which only the 'fork' start method can run; register a "
                                 "function with FORKSCOPE_TASK and pass what it needs as arguments ('" +
                                 methodName + "' starts a fresh program image)");
    }
    if (request.target.registeredName().empty()) {
        throw SerializationError(
            "cannot serialize the target of " + request.identity.name +
            ": the function is not registered with FORKSCOPE_TASK, so a fresh image under '" + methodName +
            "' could not find it");
    }
    Bootstrap bootstrap;
    bootstrap.identity = request.identity;
    bootstrap.taskName = request.target.registeredName();
    FdTable fds;
    {
        FdTable::Scope scope(fds);
        for (std::size_t i = 0; i < request.args.size(); ++i) {
            bootstrap.args.push_back(request.args[i].serialize(i, methodName));
        }
    }
    bootstrap.fds = fds.fds();
    return bootstrap;
}

void runBootstrap(std::span<const std::uint8_t> bytes, std::optional<std::vector<int>> received) {
    try {
        Bootstrap bootstrap = Bootstrap::decode(bytes);
        std::vector<int> fds = received ? std::move(*received) : bootstrap.fds;
        if (!received) {
            for (int fd : fds) {
                ::fcntl(fd, F_SETFD, FD_CLOEXEC);
            }
        }
        TaskFunction fn = TaskRegistry::find(bootstrap.taskName);
        if (!fn) {
            throw SerializationError("task '" + bootstrap.taskName +
                                     "' is not registered in this program image");
        }
        if (fds.size() != bootstrap.fds.size()) {
            throw SerializationError("bootstrap announced " + std::to_string(bootstrap.fds.size()) +
                                     " file descriptors but " + std::to_string(fds.size()) + " arrived");
        }
        const auto inRange = [&](std::int32_t i) {
            return i >= 0 && static_cast<std::size_t>(i) < fds.size();
        };
        if (inRange(bootstrap.traceRing) && inRange(bootstrap.traceChannel)) {
            // First, so that everything the child does is observed.
            Tracer::attachInBootstrapChild(fds[static_cast<std::size_t>(bootstrap.traceRing)],
                                           fds[static_cast<std::size_t>(bootstrap.traceChannel)]);
        }
        FdTable table;
        table.assign(std::move(fds));
        TaskArgs args = TaskArgs::fromSerialized(std::move(bootstrap.args), std::move(table));
        runtime::runChild(std::move(bootstrap.identity), Target(fn), args);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "forkscope: child bootstrap failed: %s\n", e.what());
        ::_exit(1);
    }
}

} // namespace forkscope
