#include "process_test_support.h"

#include <unistd.h>

namespace forkscope::test {

void sendText(int fd, const std::string& text) {
    fdio::writeFrame(fd, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), 10.0,
                     "test message");
}

std::string receiveText(int fd, double timeoutSeconds) {
    auto frame = fdio::readFrame(fd, 1 << 20, timeoutSeconds, "test message");
    if (!frame) {
        return "<eof>";
    }
    return std::string(frame->begin(), frame->end());
}

void awaitByte(int fd) {
    char byte = 0;
    while (::read(fd, &byte, 1) < 0 && errno == EINTR) {
    }
}

void sendByte(int fd) {
    const char byte = 'g';
    fdio::writeAll(fd, &byte, 1, 5.0, "go byte");
}

void addStartMethodRows() {
    QTest::addColumn<QString>("method");
    for (const char* method : {"fork", "spawn", "forkserver"}) {
        QTest::newRow(method) << QString::fromLatin1(method);
    }
}

Context rowContext() {
    QFETCH(QString, method);
    return getContext(method.toStdString());
}

bool rowIsFork() {
    return rowContext().startMethod() == StartMethod::Fork;
}

} // namespace forkscope::test
