// The AVX2 builds of XXH3 and of the bulk sum's loop, compiled with -mavx2 (see CMakeLists.txt)
// and only ever called after PayloadChecksum has checked that the CPU has AVX2: 2–3 times the
// speed of the SSE2 default.
#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_AVX2
#include "bulk_sum_kernel.h"

#include <cstddef>
#include <cstdint>
#include <xxhash.h>

namespace forkscope::detail {

std::uint64_t xxh3Avx2(const void* data, std::size_t size) noexcept {
    return XXH3_64bits(data, size);
}

void xxh3Avx2Update(XXH3_state_t* state, const void* data, std::size_t size) noexcept {
    XXH3_64bits_update(state, data, size);
}

void bulkSumBlocksAvx2(BulkSumLanes& lanes, const std::uint8_t* data, std::size_t blocks) noexcept {
    bulkSumBlocksKernel(lanes, data, blocks);
}

} // namespace forkscope::detail
