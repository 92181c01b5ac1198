#pragma once

namespace forkscope {

/// One pause between two looks at a line another core writes: it tells the CPU this is a spin
/// (on x86, `pause`), so the look-loop neither floods the line with reads nor takes the
/// sibling hyperthread's execution slots.
inline void cpuRelax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

} // namespace forkscope
