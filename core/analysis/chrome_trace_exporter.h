#pragma once

#include "trace/trace_reader.h"

#include <cstdint>
#include <ostream>

namespace forkscope {

/// What one export wrote.
struct ChromeTraceStats {
    std::uint64_t eventsRead = 0;    ///< trace events replayed
    std::uint64_t eventsWritten = 0; ///< Chrome trace events written (metadata included)
    std::uint64_t unfinished = 0;    ///< slices still open at the end, closed at the last event
};

/// Turns a .fstrace into the Chrome Trace Event Format (the `{"traceEvents": [...]}` object form)
/// that ui.perfetto.dev and chrome://tracing open:
/// - a process track per pid and a thread track per (pid, tid), named from the processes table;
/// - duration slices (B/E) for every blocked interval, named by what is waited for
///   ("blocked on queue 'q'", "join worker-0"), for lock holding and for the zombie interval
///   (ended, not yet reaped);
/// - counters (C) for each queue's depth and pipe bytes, each pipe's fill and the zombie count;
/// - instants (i) for exits, zombies, reaps, deaths, abandoned locks, drops, errors, and the
///   run's diagnosis (meta `diagnosis`) as a global instant at meta `teardown_ns`.
///
/// Times are microseconds from the first event. The events are streamed from the reader and the
/// JSON is streamed to the output: memory grows with the number of threads and objects, never
/// with the number of events. Slices on one thread always nest: when an outer slice ends before
/// an inner one (hand-over-hand locking), the inner one is split and continues (args.continued).
class ChromeTraceExporter {
public:
    explicit ChromeTraceExporter(TraceReader& reader) : reader_(reader) {}

    /// Writes the whole trace as one JSON object. Throws TraceFormatError for a damaged trace
    /// and std::runtime_error when the stream fails; the output is then incomplete.
    ChromeTraceStats write(std::ostream& out);

private:
    TraceReader& reader_;
};

} // namespace forkscope
