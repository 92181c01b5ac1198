#pragma once

#include <string>
#include <string_view>

namespace forkscope {

/// The rules for a POSIX shared memory (or named semaphore) name, shared by SharedMemory and the
/// resource tracker, which re-checks every name it receives: a name is the only thing another
/// process can put into the tracker's hands, so both sides hold it to the same narrow rule.
namespace shmname {

/// NAME_MAX bounds the file /dev/shm/<name>; the leading '/' is counted too, to stay on the
/// safe side of every libc's prefixing.
inline constexpr std::size_t kMaxLength = 255;

/// `name` with a '/' put in front when it has none, as Python's SharedMemory does (its names
/// are given and shown without it); an empty name stays empty, for check() to refuse.
[[nodiscard]] std::string withLeadingSlash(std::string name);

/// Why `name` is not acceptable, or an empty string if it is.
[[nodiscard]] std::string problem(std::string_view name);

/// Throws std::invalid_argument (Python's ValueError) naming the name and the rule it breaks.
void check(std::string_view name);

/// The name with control and non-ASCII bytes escaped (\n, \xNN): safe to print on one line.
[[nodiscard]] std::string printable(std::string_view name);

} // namespace shmname
} // namespace forkscope
