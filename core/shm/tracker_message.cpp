#include "tracker_message.h"

#include "shm_name.h"

#include <algorithm>

namespace forkscope {

TrackerMessage::TrackerMessage(Command command, ResourceType type, std::string name)
    : command_(command), type_(type), name_(std::move(name)) {}

std::vector<std::uint8_t> TrackerMessage::encode() const {
    shmname::check(name_);
    std::vector<std::uint8_t> record(kMagic.begin(), kMagic.end());
    record.push_back(kVersion);
    record.push_back(static_cast<std::uint8_t>(command_));
    record.push_back(static_cast<std::uint8_t>(type_));
    record.push_back(static_cast<std::uint8_t>(name_.size()));
    record.insert(record.end(), name_.begin(), name_.end());
    return record;
}

std::variant<TrackerMessage, std::string> TrackerMessage::decode(std::span<const std::uint8_t> record) {
    if (record.size() < kHeaderSize) {
        return "shorter than the " + std::to_string(kHeaderSize) + "-byte header";
    }
    if (!std::equal(kMagic.begin(), kMagic.end(), record.begin())) {
        return std::string("bad magic (not a tracker message)");
    }
    if (record[4] != kVersion) {
        return "protocol version " + std::to_string(record[4]) + ", expected " + std::to_string(kVersion);
    }
    const std::uint8_t command = record[5];
    if (command != static_cast<std::uint8_t>(Command::Register) &&
        command != static_cast<std::uint8_t>(Command::Unregister)) {
        return "unknown command " + std::to_string(command);
    }
    const std::uint8_t type = record[6];
    if (type != static_cast<std::uint8_t>(ResourceType::SharedMemory) &&
        type != static_cast<std::uint8_t>(ResourceType::Semaphore)) {
        return "unknown resource type " + std::to_string(type);
    }
    const std::size_t length = record[7];
    if (record.size() != kHeaderSize + length) {
        return "declares a " + std::to_string(length) + "-byte name but carries " +
               std::to_string(record.size() - kHeaderSize) + " bytes";
    }
    std::string name(record.begin() + kHeaderSize, record.end());
    std::string why = shmname::problem(name);
    if (!why.empty()) {
        return "name '" + shmname::printable(name) + "' refused: " + why;
    }
    return TrackerMessage(static_cast<Command>(command), static_cast<ResourceType>(type), std::move(name));
}

const char* TrackerMessage::typeName(ResourceType type) noexcept {
    return type == ResourceType::Semaphore ? "semaphore" : "shared_memory";
}

} // namespace forkscope
