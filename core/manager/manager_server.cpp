#include "manager_server.h"

#include "builtin_types.h"
#include "process/auth_handshake.h"
#include "process/errors.h"
#include "process/image_launcher.h"
#include "process/runtime.h"
#include "wire_format.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace forkscope {

namespace {

using Json = nlohmann::json;

Json errorReply(const std::string& type, const std::string& message, const std::string& method) {
    return Json{{"ok", false}, {"type", type}, {"message", message}, {"method", method}};
}

std::uint64_t objectIdOf(const Json& request) {
    auto it = request.find("id");
    if (it == request.end() || !it->is_number_unsigned()) {
        throw ManagedError("ProtocolError", "the request names no object id");
    }
    return it->get<std::uint64_t>();
}

std::string stringField(const Json& request, const char* field) {
    auto it = request.find(field);
    if (it == request.end() || !it->is_string()) {
        throw ManagedError("ProtocolError", std::string("the request has no string field '") + field + "'");
    }
    return it->get<std::string>();
}

} // namespace

ManagerServer::ManagerServer(std::vector<std::uint8_t> key, UniqueFd listener, UniqueFd alive,
                             bool unixSocket)
    : key_(std::move(key)), listener_(std::move(listener)), alive_(std::move(alive)),
      unixSocket_(unixSocket) {
    auto [stopRead, stopWrite] = fdio::makePipe();
    stopRead_ = std::move(stopRead);
    stopWrite_ = std::move(stopWrite);
}

void ManagerServer::serve() {
    for (;;) {
        pollfd fds[] = {
            {alive_.get(), POLLIN, 0}, {stopRead_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
        int rc = ::poll(fds, 3, -1);
        if (rc < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        if (fds[0].revents != 0 || fds[1].revents != 0) {
            return; // the program closed its end, or a client asked for shutdown
        }
        if (fds[2].revents != 0) {
            acceptOne();
        }
    }
}

void ManagerServer::acceptOne() {
    UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!connection) {
        return;
    }
    if (unixSocket_) {
        // The 0700 directory already keeps other users out; this is the second wall.
        ucred peer{};
        socklen_t length = sizeof peer;
        if (::getsockopt(connection.get(), SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 ||
            peer.uid != ::getuid()) {
            ++connectionsRefused_;
            return;
        }
    } else {
        int one = 1; // small request/answer pairs: do not wait for Nagle
        ::setsockopt(connection.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (activeConnections_.load() >= kMaxConnections) {
        ++connectionsRefused_;
        return;
    }
    ++connectionsAccepted_;
    ++activeConnections_;
    const std::uint64_t id = nextConnectionId_++;
    try {
        std::thread([this, fd = std::move(connection), id]() mutable {
            serveConnection(std::move(fd), id);
            --activeConnections_;
        }).detach();
    } catch (const std::system_error&) {
        --activeConnections_; // out of threads: the connection is closed, the server goes on
        ++connectionsRefused_;
    }
}

void ManagerServer::serveConnection(UniqueFd connection, std::uint64_t connectionId) {
    const int fd = connection.get();
    try {
        auth::serverHandshake(fd, key_, kHandshakeTimeout);
    } catch (const std::exception&) {
        // Wrong key, garbage, a huge length prefix or silence: nothing was decoded. The key
        // and the peer's bytes are never logged.
        ++authFailures_;
        return;
    }
    CallContext context(connectionId, fd);
    for (;;) {
        std::optional<std::vector<std::uint8_t>> message;
        Json request;
        try {
            message = wire::readMessage(fd, std::nullopt, kMessageTimeout);
            if (!message) {
                return; // the client closed its connection
            }
            request = wire::decode(*message);
            ++decodedRequests_;
        } catch (const std::exception& e) {
            ++protocolErrors_;
            try {
                wire::writeMessage(fd, wire::encode(errorReply("ProtocolError", e.what(), "")), 5.0);
            } catch (const std::exception&) { // NOLINT(bugprone-empty-catch): the connection ends anyway
            }
            return;
        }
        Json reply;
        bool stop = false;
        std::string method;
        try {
            if (!request.is_object()) {
                throw ManagedError("ProtocolError", "a request is a CBOR map");
            }
            if (auto it = request.find("method"); it != request.end() && it->is_string()) {
                method = it->get<std::string>();
            }
            reply = Json{{"ok", true}, {"result", handle(request, context, stop)}};
        } catch (const ClientGone&) {
            return; // nobody left to answer
        } catch (const ManagedError& e) {
            reply = errorReply(e.type(), e.what(), method);
        } catch (const std::exception& e) {
            reply = errorReply("RuntimeError", e.what(), method);
        }
        try {
            std::vector<std::uint8_t> bytes;
            try {
                bytes = wire::encode(reply);
            } catch (const wire::ProtocolError& e) {
                bytes = wire::encode(errorReply("ValueError", e.what(), method));
            }
            wire::writeMessage(fd, bytes, kMessageTimeout);
        } catch (const std::exception&) {
            return;
        }
        if (stop) {
            const char byte = 1;
            [[maybe_unused]] ssize_t ignored = ::write(stopWrite_.get(), &byte, 1);
            return;
        }
    }
}

Json ManagerServer::handle(const Json& request, CallContext& context, bool& stop) {
    const std::string op = stringField(request, "op");
    if (op == "call") {
        return callMethod(request, context);
    }
    if (op == "create") {
        return create(request);
    }
    if (op == "release") {
        std::lock_guard lock(objectsMutex_);
        return objects_.erase(objectIdOf(request)) == 1;
    }
    if (op == "stats") {
        return stats();
    }
    if (op == "shutdown") {
        stop = true;
        return nullptr;
    }
    throw ManagedError("ProtocolError", "unknown request '" + op + "'");
}

Json ManagerServer::create(const Json& request) {
    const std::string typeId = stringField(request, "type");
    auto type = ManagedTypeRegistry::find(typeId);
    if (!type) {
        throw ManagedError("TypeError", "the manager has no type '" + typeId +
                                            "' (register it with FORKSCOPE_MANAGED_TYPE in the program)");
    }
    static const Json noArgs = Json::array();
    auto argsIt = request.find("args");
    const Json& args = argsIt == request.end() ? noArgs : *argsIt;
    std::shared_ptr<ManagedObject> object =
        type->factory(args, [this](std::uint64_t id) { return lookup(id); });
    if (!object) {
        throw ManagedError("RuntimeError", "the factory of '" + typeId + "' returned no object");
    }
    std::lock_guard lock(objectsMutex_);
    const std::uint64_t id = nextObjectId_++;
    objects_.emplace(id, Entry{std::move(object), type, std::make_shared<std::mutex>()});
    return Json{{"id", id}, {"type", typeId}, {"exposed", type->exposed}};
}

Json ManagerServer::callMethod(const Json& request, CallContext& context) {
    const std::uint64_t id = objectIdOf(request);
    const std::string method = stringField(request, "method");
    Entry entry;
    {
        std::lock_guard lock(objectsMutex_);
        auto it = objects_.find(id);
        if (it == objects_.end()) {
            throw ManagedError("KeyError", "the manager holds no object with id " + std::to_string(id) +
                                               " (released, or from another manager)");
        }
        entry = it->second;
    }
    if (!entry.type->exposed.contains(method)) {
        throw ManagedError("AttributeError",
                           "method '" + method + "' of '" + entry.type->typeId +
                               "' object is not exposed (exposed: " + Json(entry.type->exposed).dump() + ")");
    }
    static const Json noArgs = Json::array();
    auto argsIt = request.find("args");
    const Json& args = argsIt == request.end() ? noArgs : *argsIt;
    if (entry.type->serializeCalls) {
        std::lock_guard lock(*entry.callMutex);
        return entry.object->call(method, args, context);
    }
    return entry.object->call(method, args, context);
}

Json ManagerServer::stats() {
    std::size_t objects = 0;
    {
        std::lock_guard lock(objectsMutex_);
        objects = objects_.size();
    }
    return Json{{"pid", ::getpid()},
                {"objects", objects},
                {"connectionsAccepted", connectionsAccepted_.load()},
                {"connectionsRefused", connectionsRefused_.load()},
                {"activeConnections", activeConnections_.load()},
                {"authFailures", authFailures_.load()},
                {"protocolErrors", protocolErrors_.load()},
                {"decodedRequests", decodedRequests_.load()}};
}

std::shared_ptr<ManagedObject> ManagerServer::lookup(std::uint64_t id) {
    std::lock_guard lock(objectsMutex_);
    auto it = objects_.find(id);
    return it == objects_.end() ? nullptr : it->second.object;
}

void runManagerServer(int argc, char** argv) {
    // argv: <name> --forkscope-manager <key fd> <alive fd> <listener fd> <ready fd> <socket path or ->
    if (argc != 7) {
        std::fprintf(stderr, "forkscope manager: expected 5 arguments, got %d\n", argc - 2);
        ::_exit(2);
    }
    UniqueFd keyFd = adoptFdArgument(argv[2], "manager");
    UniqueFd alive = adoptFdArgument(argv[3], "manager");
    UniqueFd listener = adoptFdArgument(argv[4], "manager");
    UniqueFd ready = adoptFdArgument(argv[5], "manager");
    const std::string socketPath = argv[6];
    // The program owns our lifetime (shutdown, the alive pipe, the parent-death signal): a
    // Ctrl-C meant for it must not kill the objects under its feet, as in Python's manager.
    std::signal(SIGINT, SIG_IGN);
    std::signal(SIGPIPE, SIG_IGN);

    std::vector<std::uint8_t> key = readSecret(std::move(keyFd), 4096);
    if (key.empty()) {
        std::fprintf(stderr, "forkscope manager: no authentication key received\n");
        ::_exit(2);
    }
    runtime::markBootstrapped();
    registerContainerTypes();
    registerSyncTypes();

    ManagerServer server(std::move(key), std::move(listener), std::move(alive), socketPath != "-");
    const char byte = 1;
    [[maybe_unused]] ssize_t ignored = ::write(ready.get(), &byte, 1);
    ready.reset();
    server.serve();

    if (socketPath != "-") {
        std::error_code error;
        std::filesystem::remove(socketPath, error);
        std::filesystem::remove(std::filesystem::path(socketPath).parent_path(), error);
    }
    std::fflush(nullptr);
    ::_exit(0); // connection threads may still be blocked in calls: they end with the process
}

} // namespace forkscope
