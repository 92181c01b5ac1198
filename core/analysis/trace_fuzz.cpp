#include "trace_fuzz.h"

#include "series.h"
#include "state_at.h"
#include "trace/trace_format_error.h"

namespace forkscope {

int fuzzTraceReader(const std::uint8_t* data, std::size_t size) {
    try {
        TraceReader reader = TraceReader::fromBytes(std::span(data, size), "<fuzz input>");
        (void)reader.meta();
        (void)reader.processes();
        (void)reader.objects();
        (void)reader.drops();
        (void)reader.events(0, 64);
        if (auto range = reader.timeRange()) {
            const auto [first, last] = *range;
            StateAt at(reader);
            (void)at.at(first);
            (void)at.at(first / 2 + last / 2);
            (void)at.at(last);
            if (last > first) {
                (void)Series::compute(reader, Metric::ZombieCount, 0, first, last, 16);
                (void)Series::compute(reader, Metric::LockWaitNs, 0, first, last, 16);
            }
        }
    } catch (const TraceFormatError&) { // NOLINT(bugprone-empty-catch): the expected outcome for junk
    }
    return 0;
}

} // namespace forkscope
