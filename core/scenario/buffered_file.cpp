#include "buffered_file.h"

#include "process/errors.h"

#include <cerrno>
#include <unistd.h>

namespace forkscope {

BufferedFile::BufferedFile(bool pidKeyed) : pidKeyed_(pidKeyed), pid_(::getpid()) {}

const std::string& BufferedFile::cache() {
    // The guideline's fix: a cache filled by another process (the parent, before the fork) is
    // not ours to flush.
    if (pidKeyed_ && pid_ != ::getpid()) {
        pid_ = ::getpid();
        cache_.clear();
    }
    return cache_;
}

void BufferedFile::write(const std::string& text) {
    (void)cache();
    cache_ += text;
    cache_ += '\n';
}

std::size_t BufferedFile::close(int fd) {
    const std::string& data = cache();
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw OsError("flushing a buffered file-like object on close()", errno);
        }
        done += static_cast<std::size_t>(n);
    }
    cache_.clear();
    return done;
}

} // namespace forkscope
