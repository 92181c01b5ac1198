#pragma once

#include <cstddef>
#include <string>
#include <sys/types.h>

namespace forkscope {

/// A file-like object that keeps what is written in this process's memory and writes it out
/// on close(): what a program gets when it replaces sys.stdin (or any stream) with an object
/// that has its own buffer.
///
/// The buffer is ordinary memory, so a fork child inherits a copy of whatever is in it; when
/// the parent and each child close their copy, the same data is written once per process.
/// With `pidKeyed` the object does what the guideline recommends: it remembers the pid that
/// filled the cache and discards the cache when the pid differs (Python's
/// `if pid != self._pid: self._pid = pid; self._cache = []`), so only the process that wrote
/// the data flushes it.
class BufferedFile {
public:
    explicit BufferedFile(bool pidKeyed);

    /// Appends `text` and a newline to the cache.
    void write(const std::string& text);
    /// Writes the cache to `fd` (all of it, retrying short writes) and empties it; returns the
    /// number of bytes written. A second close() writes nothing.
    std::size_t close(int fd);

    /// What this process would flush now (after the pid check).
    [[nodiscard]] const std::string& cache();
    [[nodiscard]] bool pidKeyed() const noexcept { return pidKeyed_; }

private:
    bool pidKeyed_;
    pid_t pid_;
    std::string cache_;
};

} // namespace forkscope
