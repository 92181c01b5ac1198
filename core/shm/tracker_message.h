#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace forkscope {

/// One message on the resource tracker's channel (Python's "REGISTER:name:type\n" lines, made
/// binary so that no name can be read as a command).
///
/// Wire format, one SOCK_SEQPACKET record per message (so a record is never split or merged, and
/// garbage costs exactly one rejected record):
///   bytes 0-3  magic "FSRT"        byte 4  version (1)
///   byte 5     command (1 REGISTER, 2 UNREGISTER)
///   byte 6     resource type (1 shared_memory, 2 semaphore)
///   byte 7     name length n (1..255)          bytes 8..8+n  the name, no terminator
/// The record must be exactly 8 + n bytes and the name must pass shmname::problem().
class TrackerMessage {
public:
    enum class Command : std::uint8_t { Register = 1, Unregister = 2 };
    enum class ResourceType : std::uint8_t { SharedMemory = 1, Semaphore = 2 };

    static constexpr std::array<std::uint8_t, 4> kMagic{'F', 'S', 'R', 'T'};
    static constexpr std::uint8_t kVersion = 1;
    static constexpr std::size_t kHeaderSize = 8;
    static constexpr std::size_t kMaxSize = kHeaderSize + 255;

    TrackerMessage(Command command, ResourceType type, std::string name);

    [[nodiscard]] Command command() const noexcept { return command_; }
    [[nodiscard]] ResourceType type() const noexcept { return type_; }
    [[nodiscard]] const std::string& name() const noexcept { return name_; }

    /// The record; throws std::invalid_argument for a name the tracker would refuse.
    [[nodiscard]] std::vector<std::uint8_t> encode() const;
    /// The message in a record, or the reason it is malformed (never throws).
    [[nodiscard]] static std::variant<TrackerMessage, std::string>
    decode(std::span<const std::uint8_t> record);

    /// "shared_memory" / "semaphore", as Python's resource_tracker names them.
    [[nodiscard]] static const char* typeName(ResourceType type) noexcept;

private:
    Command command_;
    ResourceType type_;
    std::string name_;
};

} // namespace forkscope
