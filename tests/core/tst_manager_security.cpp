// The manager's security properties: the HMAC handshake on TCP (right key, wrong key), garbage
// on the port (nothing is decoded before authentication, proven by the server's counters),
// malformed messages after authentication, and a key that never appears in the server's argv
// or environment.
#include "engine_test.h"
#include "manager/manager.h"
#include "manager/manager_address.h"
#include "manager/manager_errors.h"
#include "manager/wire_format.h"
#include "process/auth_handshake.h"
#include "process/context.h"
#include "process/errors.h"
#include "process_test_support.h"
#include "test_main.h"

#include <arpa/inet.h>
#include <cstring>
#include <fstream>
#include <iterator>
#include <poll.h>

using namespace forkscope;
using namespace forkscope::test;
using Json = nlohmann::json;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes bytesOf(const std::string& text) {
    return Bytes(text.begin(), text.end());
}

const Bytes kRightKey = bytesOf("forkscope test key: 32+ bytes of entropy-ish");

void setFromChild(TaskArgs& args) {
    args.get<DictProxy>(0).set("child", args.get<std::string>(1));
}
FORKSCOPE_TASK(setFromChild);

/// Sends raw bytes to the manager and waits (bounded) until the server closes the connection.
bool sendAndAwaitClose(const std::string& address, const Bytes& bytes) {
    UniqueFd fd = ManagerAddress::parse(address).connect();
    try {
        fdio::writeAll(fd.get(), bytes.data(), bytes.size(), 10.0, "garbage");
    } catch (const OsError&) { // NOLINT(bugprone-empty-catch): the server may close before we finish
    }
    char buffer[512];
    for (;;) {
        if (!fdio::waitFor(fd.get(), POLLIN, 10.0)) {
            return false; // the server kept the connection open
        }
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            return true;
        }
        if (n < 0 && errno != EINTR) {
            return false;
        }
    }
}

Bytes framed(const Bytes& payload) {
    const std::uint32_t size = htonl(static_cast<std::uint32_t>(payload.size()));
    Bytes out(sizeof size + payload.size());
    std::memcpy(out.data(), &size, sizeof size);
    if (!payload.empty()) {
        std::memcpy(out.data() + sizeof size, payload.data(), payload.size());
    }
    return out;
}

/// After a correct handshake, sends raw bytes and returns the server's answer type, then
/// "+closed" if the server ended the connection, or "+open" if it still answers a stats request.
std::string sendAuthenticated(const std::string& address, const Bytes& key, const Bytes& bytes) {
    UniqueFd fd = ManagerAddress::parse(address).connect();
    auth::clientHandshake(fd.get(), key, 10.0);
    try {
        fdio::writeAll(fd.get(), bytes.data(), bytes.size(), 10.0, "malformed request");
    } catch (const OsError&) { // NOLINT(bugprone-empty-catch): the server may close early
    }
    auto reply = wire::readMessage(fd.get(), 10.0, 10.0);
    if (!reply) {
        return "";
    }
    const std::string type = wire::decode(*reply).value("type", std::string("?"));
    try {
        wire::writeMessage(fd.get(), wire::encode(Json{{"op", "stats"}}), 10.0);
        auto next = wire::readMessage(fd.get(), 10.0, 10.0);
        if (next && wire::decode(*next).value("ok", false)) {
            return type + "+open";
        }
    } catch (const OsError&) { // NOLINT(bugprone-empty-catch): closed, as expected after garbage
    }
    return type + "+closed";
}

std::string readProcFile(pid_t pid, const char* name) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/" + name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::uint64_t counter(const Json& stats, const char* name) {
    return stats.at(name).get<std::uint64_t>();
}

} // namespace

class TestManagerSecurity : public forkscope::test::EngineTest {
    Q_OBJECT

private Q_SLOTS:

    void tcpRightKeyWorks() {
        Manager manager({.address = "127.0.0.1:0", .authkey = kRightKey});
        manager.start();
        const std::string address = manager.address();
        QVERIFY2(address.starts_with("127.0.0.1:") && !address.ends_with(":0"), address.c_str());
        Manager client = Manager::connect(address, kRightKey);
        DictProxy d = client.dict();
        Process child(getContext(StartMethod::Spawn), &setFromChild, {d, std::string("over tcp")});
        child.start();
        child.join(20.0);
        QCOMPARE(child.exitCode(), std::optional<int>(0));
        QCOMPARE(d.get("child"), Json("over tcp"));
        client.shutdown(); // a connected client does not own the server
        QVERIFY(manager.running());
        QCOMPARE(manager.dict({{"still", "serving"}}).get("still"), Json("serving"));
    }

    void tcpWrongKeyRefused() {
        Manager manager({.address = "127.0.0.1:0", .authkey = kRightKey});
        manager.start();
        const auto before = counter(manager.serverStats(), "authFailures");
        Manager intruder = Manager::connect(manager.address(), bytesOf("not the key, but 32 bytes long!!"));
        try {
            intruder.dict();
            QFAIL("a wrong key was accepted");
        } catch (const AuthenticationError& e) {
            QVERIFY2(std::string(e.what()).find("refused") != std::string::npos, e.what());
        }
        QVERIFY_THROWS_EXCEPTION(AuthenticationError, intruder.serverStats());
        const Json stats = manager.serverStats();
        QCOMPARE(counter(stats, "authFailures"), before + 2);
        DictProxy d = Manager::connect(manager.address(), kRightKey).dict({{"ok", true}});
        QCOMPARE(d.get("ok"), Json(true)); // the server keeps serving others
    }

    void garbageOnThePortDecodesNothing() {
        Manager manager({.address = "127.0.0.1:0", .authkey = kRightKey});
        manager.start();
        DictProxy d = manager.dict({{"alive", 1}});
        const Json before = manager.serverStats();

        Bytes random = auth::randomBytes(64);
        QVERIFY(sendAndAwaitClose(manager.address(), framed(random))); // a wrong answer
        Bytes huge = {0xff, 0xff, 0xff, 0xf0, 1, 2, 3};
        QVERIFY(sendAndAwaitClose(manager.address(), huge)); // refused before allocating
        QVERIFY(sendAndAwaitClose(manager.address(),
                                  bytesOf("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")));
        QVERIFY(sendAndAwaitClose(manager.address(), auth::randomBytes(3000)));

        const Json after = manager.serverStats();
        QCOMPARE(counter(after, "decodedRequests"), counter(before, "decodedRequests") + 1); // the stats call
        QCOMPARE(counter(after, "authFailures"), counter(before, "authFailures") + 4);
        QCOMPARE(counter(after, "protocolErrors"), counter(before, "protocolErrors"));
        QCOMPARE(d.get("alive"), Json(1));
        QVERIFY(manager.running());
    }

    void malformedMessagesAfterAuthentication() {
        Manager manager({.address = "127.0.0.1:0", .authkey = kRightKey});
        manager.start();
        const std::string address = manager.address();
        const Json before = manager.serverStats();

        QCOMPARE(sendAuthenticated(address, kRightKey, framed({0xff, 0xff, 0x1c})),
                 std::string("ProtocolError+closed"));
        Bytes deep(100000, 0x81); // arrays nested 100000 deep: refused, not a stack overflow
        deep.push_back(0x00);
        QCOMPARE(sendAuthenticated(address, kRightKey, framed(deep)), std::string("ProtocolError+closed"));
        Bytes hugeArray = {0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}; // 2^64-1 items, no data
        QCOMPARE(sendAuthenticated(address, kRightKey, framed(hugeArray)),
                 std::string("ProtocolError+closed"));
        QCOMPARE(sendAuthenticated(address, kRightKey, {0x7f, 0xff, 0xff, 0xff, 0}),
                 std::string("ProtocolError+closed")); // a 2 GiB length prefix
        QCOMPARE(
            sendAuthenticated(address, kRightKey, framed(wire::encode(Json{{"op", "call"}, {"id", 999}}))),
            std::string("ProtocolError+open")); // valid CBOR, bad request: the connection stays usable

        const Json after = manager.serverStats();
        QCOMPARE(counter(after, "protocolErrors"), counter(before, "protocolErrors") + 4);
        QCOMPARE(counter(after, "decodedRequests"), counter(before, "decodedRequests") + 3);
        QCOMPARE(manager.list(Json::array({1})).size(), std::size_t(1));
    }

    void keyNeverInArgvOrEnvironment() {
        Manager manager({.address = "", .authkey = kRightKey});
        manager.start();
        const pid_t server = *manager.serverPid();
        const std::string key(kRightKey.begin(), kRightKey.end());
        static const char* digits = "0123456789abcdef";
        std::string hex;
        for (std::uint8_t byte : kRightKey) {
            hex += digits[byte >> 4];
            hex += digits[byte & 15];
        }
        for (const char* file : {"cmdline", "environ"}) {
            const std::string text = readProcFile(server, file);
            QVERIFY2(!text.empty() || std::string(file) == "environ", file);
            QVERIFY2(text.find(key) == std::string::npos, file);
            QVERIFY2(text.find(hex) == std::string::npos, file);
        }
        QVERIFY(readProcFile(server, "cmdline").find("--forkscope-manager") != std::string::npos);
    }

    void generatedKeysAreRandom() {
        Manager a;
        Manager b;
        a.start();
        b.start();
        QVERIFY(a.authkey().size() >= 32);
        QVERIFY(a.authkey() != b.authkey());
        // A proxy of `a` presented to `b`'s address with `a`'s key is refused.
        Manager wrong = Manager::connect(b.address(), a.authkey());
        QVERIFY_THROWS_EXCEPTION(AuthenticationError, wrong.dict());
    }
};

FORKSCOPE_TEST_MAIN(TestManagerSecurity)
#include "tst_manager_security.moc"
