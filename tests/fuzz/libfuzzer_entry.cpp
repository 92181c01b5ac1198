// One libFuzzer target: CMake compiles this file once per entry point (FORKSCOPE_FUZZ=ON, clang),
// naming the header and the function. packaging/fuzz.sh builds and runs them.
#include FORKSCOPE_FUZZ_HEADER

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return forkscope::FORKSCOPE_FUZZ_ENTRY(data, size);
}
