// The cost of observation: one emit into the shared-memory ring, and one seek in a large trace.
#include "analysis/state_at.h"
#include "bench.h"
#include "discard_sink.h"
#include "events/emit.h"
#include "events/monitor.h"
#include "ipc/queue.h"
#include "process/context.h"
#include "trace/synthetic_trace.h"
#include "trace/trace_reader.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

namespace forkscope::cli {

namespace {

using Clock = std::chrono::steady_clock;

Figure emitFigure(const BenchOptions& options) {
    const int count = std::max(1000, static_cast<int>(50'000 * options.scale));
    DiscardSink sink;
    MonitorOptions monitorOptions;
    monitorOptions.shape.laneCapacity = 1U << 17; // a whole repetition fits: drops are not measured
    Monitor monitor(sink, monitorOptions);
    std::vector<Event> plain(static_cast<std::size_t>(count));

    auto engine = [&] {
        const auto start = Clock::now();
        for (int i = 0; i < count; ++i) {
            trace::emit(EventType::QueuePut, kFirstObjectId + 1, static_cast<std::uint64_t>(i));
        }
        const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / count;
        monitor.flush(10.0);
        return ns;
    };
    auto bare = [&] {
        const auto start = Clock::now();
        for (int i = 0; i < count; ++i) {
            Event& e = plain[static_cast<std::size_t>(i)];
            e.ts = i;
            e.object = kFirstObjectId + 1;
            e.arg = static_cast<std::uint64_t>(i);
            e.pid = 1;
            e.tid = 1;
            e.type = EventType::QueuePut;
            escape(&e);
        }
        return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / count;
    };

    Figure figure;
    figure.name = "event_emit_ns";
    figure.unit = "ns";
    figure.limitWhat = "a bare store of the same 40-byte record into a plain array";
    figure.target = 100; // ~100 ns when a bare store costs ~1 ns
    engine();
    bare();
    for (int r = 0; r < options.repetitions; ++r) {
        figure.samples.push_back(engine());
        figure.limitSamples.push_back(bare());
    }
    monitor.stop();
    if (monitor.stats().dropped != 0) {
        throw std::runtime_error("event_emit_ns: the ring dropped events, the figure would be meaningless");
    }
    figure.value = median(figure.samples);
    figure.limit = median(figure.limitSamples);
    return figure;
}

/// Queue round trips between this process and a forked echo child, in microseconds each, with
/// tracing on (a Monitor draining into DiscardSink, created before the child so that the child
/// is traced too) or off. The child's start and join are outside the timed part.
double queueRoundTripUs(long count, bool traced) {
    DiscardSink sink;
    std::optional<Monitor> monitor;
    if (traced) {
        monitor.emplace(sink);
    }
    Queue requests(0, "bench-requests");
    Queue replies(0, "bench-replies");
    Process echo(getContext(StartMethod::Fork), [requests, replies](TaskArgs&) mutable {
        for (;;) {
            const int value = requests.get<int>();
            replies.put(value);
            if (value < 0) {
                return;
            }
        }
    });
    echo.start();
    // One round trip before the clock starts: both feeders exist and the child is running.
    requests.put(0);
    (void)replies.get<int>(true, 30.0);
    const auto start = Clock::now();
    for (long i = 1; i <= count; ++i) {
        requests.put(static_cast<int>(i));
        if (replies.get<int>(true, 30.0) != static_cast<int>(i)) {
            throw std::runtime_error("trace_overhead_pct: the echo child answered out of order");
        }
    }
    const double us =
        std::chrono::duration<double, std::micro>(Clock::now() - start).count() / static_cast<double>(count);
    requests.put(-1);
    (void)replies.get<int>(true, 30.0);
    echo.join(30.0);
    requests.close();
    requests.joinThread();
    if (monitor) {
        monitor->stop();
    }
    return us;
}

/// Tracing's cost on a real workload: queue round trips with tracing on and off, interleaved.
std::vector<Figure> overheadFigures(const BenchOptions& options) {
    const long count = scaled(3000, options.scale);
    Figure roundTrip = makeFigure("queue_round_trip_traced_us", "us",
                                  "the same round trip with tracing off (no monitor)", true, 1.05);
    std::vector<double> overhead;
    (void)queueRoundTripUs(count / 4 + 1, false);
    (void)queueRoundTripUs(count / 4 + 1, true);
    for (int r = 0; r < options.repetitions; ++r) {
        // Alternate which side goes first, so a drift in the machine's load favours neither.
        double on = 0;
        double off = 0;
        if (r % 2 == 0) {
            off = queueRoundTripUs(count, false);
            on = queueRoundTripUs(count, true);
        } else {
            on = queueRoundTripUs(count, true);
            off = queueRoundTripUs(count, false);
        }
        roundTrip.samples.push_back(on);
        roundTrip.limitSamples.push_back(off);
        overhead.push_back((on / off - 1.0) * 100.0);
    }
    roundTrip.value = median(roundTrip.samples);
    roundTrip.limit = median(roundTrip.limitSamples);
    Figure pct = makeFigure("trace_overhead_pct", "%",
                            "the overhead budget, 5 % (value: median over repetitions of traced/untraced - 1 "
                            "for queue round trips between two processes)",
                            true, 1.0);
    pct.samples = overhead;
    pct.value = median(overhead);
    pct.limit = 5.0;
    pct.limitSamples.assign(overhead.size(), 5.0);
    return {roundTrip, pct};
}

Figure seekFigure(const BenchOptions& options) {
    const auto events = static_cast<std::uint64_t>(std::max(10'000.0, 10'000'000.0 * options.scale));
    std::string directory = (std::filesystem::temp_directory_path() / "forkscope-bench-XXXXXX").string();
    if (::mkdtemp(directory.data()) == nullptr) {
        throw std::runtime_error("trace_seek_ms: cannot create a temporary directory");
    }
    const std::string path = directory + "/seek.fstrace";
    struct Cleanup {
        std::string dir;
        ~Cleanup() {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    } cleanup{directory};

    const auto buildStart = Clock::now();
    writeSyntheticTrace(path, events);
    const double buildSeconds = std::chrono::duration<double>(Clock::now() - buildStart).count();

    TraceReader reader(path);
    const auto [first, last] = *reader.timeRange();
    StateAt at(reader);
    std::mt19937_64 rng(2);
    constexpr int kSeeksPerRepetition = 20;
    auto seek = [&] {
        double total = 0;
        for (int i = 0; i < kSeeksPerRepetition; ++i) {
            const std::int64_t t =
                first + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(last - first));
            const auto start = Clock::now();
            const SystemState s = at.at(t);
            total += std::chrono::duration<double, std::milli>(Clock::now() - start).count();
            if (s.processes.empty()) {
                throw std::runtime_error("trace_seek_ms: a seek returned an empty state");
            }
        }
        return total / kSeeksPerRepetition;
    };
    // The floor: reading one keyframe interval of raw rows, which any replay must do.
    auto rawRows = [&] {
        double total = 0;
        for (int i = 0; i < kSeeksPerRepetition; ++i) {
            const std::uint64_t from = rng() % (events - 4096);
            const auto start = Clock::now();
            const std::vector<Event> rows = reader.events(from, 4096);
            total += std::chrono::duration<double, std::milli>(Clock::now() - start).count();
            if (rows.size() != 4096) {
                throw std::runtime_error("trace_seek_ms: short raw read");
            }
        }
        return total / kSeeksPerRepetition;
    };

    Figure figure;
    figure.name = "trace_seek_ms";
    figure.unit = "ms";
    figure.limitWhat = "raw read of one keyframe interval (4096 rows) from the same " +
                       std::to_string(events) + "-event trace (built in " +
                       std::to_string(static_cast<int>(buildSeconds + 0.5)) + " s)";
    figure.target = 4;
    seek();
    rawRows();
    for (int r = 0; r < options.repetitions; ++r) {
        figure.samples.push_back(seek());
        figure.limitSamples.push_back(rawRows());
    }
    figure.value = median(figure.samples);
    figure.limit = median(figure.limitSamples);
    return figure;
}

} // namespace

std::vector<Figure> benchEvents(const BenchOptions& options) {
    std::vector<Figure> figures{emitFigure(options)};
    for (Figure& f : overheadFigures(options)) {
        figures.push_back(std::move(f));
    }
    figures.push_back(seekFigure(options));
    return figures;
}

} // namespace forkscope::cli
