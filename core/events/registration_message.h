#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace forkscope {

/// What travels on the tracing channel (a SOCK_SEQPACKET socket whose receiving end the monitor
/// owns and whose sending end every traced process holds): one fixed-size record per message,
/// a ring's memfd attached with SCM_RIGHTS when kind == Ring. Fixed size so the monitor reads it
/// without trusting any length from the sender.
struct RegistrationMessage {
    static constexpr std::uint32_t kMagic = 0x46534d52; // "RMSF"
    enum Kind : std::uint16_t { Ring = 1, Object = 2 };

    std::uint32_t magic = kMagic;
    std::uint16_t kind = Ring;
    std::uint16_t objectKind = 0;
    std::int32_t pid = 0;       ///< Ring: the child's pid; Object: the creator's pid
    std::int32_t parentPid = 0; ///< Ring: who started it
    std::int32_t startMethod = -1;
    std::int32_t reserved = 0;
    std::uint64_t id = 0;       ///< Object: the registered id
    std::uint64_t capacity = 0; ///< Object: its capacity
    std::int64_t ts = 0;
    char name[112] = {};

    void setName(std::string_view text) noexcept {
        const std::size_t n = text.size() < sizeof name - 1 ? text.size() : sizeof name - 1;
        std::memcpy(name, text.data(), n);
        name[n] = '\0';
    }
    [[nodiscard]] std::string_view nameView() const noexcept { return {name, ::strnlen(name, sizeof name)}; }
};
static_assert(sizeof(RegistrationMessage) == 160);
static_assert(std::is_trivially_copyable_v<RegistrationMessage>);

} // namespace forkscope
