#pragma once

#include <cstddef>
#include <cstdint>

namespace forkscope {

/// Reads `bytes` as a trace through every query the GUI makes (meta, tables, events, a few
/// seeks and a series), swallowing the expected TraceFormatError. A libFuzzer target is
///     extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) { return
///     forkscope::fuzzTraceReader(d, n); }
/// Anything else escaping (a crash, another exception, a hang) is a bug in the reader.
int fuzzTraceReader(const std::uint8_t* data, std::size_t size);

} // namespace forkscope
