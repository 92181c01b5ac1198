#pragma once

#include "process/errors.h"
#include "process/fd_handle.h"
#include "resource_tracker.h"

#include <cereal/cereal.hpp>
#include <cereal/types/string.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <sys/types.h>

namespace forkscope {

/// A named POSIX shared memory segment: Python's multiprocessing.shared_memory.SharedMemory.
///
/// Creating one makes /dev/shm/<name> with shm_open(O_CREAT | O_EXCL | O_RDWR, 0600): exclusive
/// (an existing name is an error, never silently shared) and readable by this user only. Without
/// a name, an unpredictable one is drawn (/fs_ + 16 hex digits from getrandom), so another user
/// cannot guess it and plant a segment first. The creator registers the segment with the
/// resource tracker, which unlinks it if the program ends without doing so; attaching does not.
///
/// Copies are handles to the same mapping. As a start argument it travels as its name (plus the
/// tracker's channel): the child attaches, it never owns, so the child's exit never unlinks it.
/// A name given without its leading '/' gets one (as Python adds it); it may contain no other
/// '/', no control characters, and be at most 255 bytes; a bad name is refused with
/// std::invalid_argument (Python's ValueError).
class SharedMemory {
public:
    /// An empty handle (what a start argument is decoded into).
    SharedMemory() = default;
    /// Python's SharedMemory(name=None, create=False, size=0): create a new segment of `size`
    /// bytes (named `name`, or an unpredictable name), or attach to the existing `name`, whose
    /// size is then read with fstat and `size` is ignored.
    SharedMemory(std::optional<std::string> name, bool create, std::size_t size = 0);

    /// Shorthands for the two uses.
    [[nodiscard]] static SharedMemory create(std::size_t size,
                                             std::optional<std::string> name = std::nullopt);
    [[nodiscard]] static SharedMemory attach(std::string name);

    /// The name, with its leading '/'.
    [[nodiscard]] const std::string& name() const;
    /// The size in bytes (of the mapping; the segment's size when attaching).
    [[nodiscard]] std::size_t size() const;
    /// The mapped bytes (Python's .buf). Throws ProcessError once closed.
    [[nodiscard]] std::span<std::byte> buf() const;
    [[nodiscard]] std::byte* data() const { return buf().data(); }
    /// Whether this process created the segment (a fork child's copy and an attached one are not).
    [[nodiscard]] bool isCreator() const;
    [[nodiscard]] bool closed() const;
    [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(state_); }

    /// Unmaps and closes the fd (for every copy of this handle); the segment itself remains.
    /// Idempotent, like Python's close().
    void close();
    /// Removes the name (the memory lives until the last mapping goes) and, when that succeeded,
    /// unregisters it from the resource tracker, in whichever process unlinks (if it has a
    /// channel). Python's unlink(); an already removed name is an
    /// OsError(ENOENT), like FileNotFoundError.
    void unlink();

    template <class Archive> void save(Archive& ar) const {
        if (!state_) {
            throw SerializationError("an empty SharedMemory handle cannot be passed to a child");
        }
        const int channel = ResourceTracker::instance().fd();
        ar(name(), isCreator(), channel >= 0);
        if (channel >= 0) {
            ar(FdHandle(channel));
        }
    }

    template <class Archive> void load(Archive& ar) {
        std::string name;
        bool senderCreated = false;
        bool withTracker = false;
        ar(name, senderCreated, withTracker);
        if (withTracker) {
            FdHandle channel;
            ar(channel);
            ResourceTracker::instance().adopt(channel.fd());
        }
        attachReceived(name, senderCreated);
    }

private:
    struct State;
    void attachReceived(const std::string& name, bool senderCreated);
    [[nodiscard]] State& state() const;

    std::shared_ptr<State> state_;
};

} // namespace forkscope
