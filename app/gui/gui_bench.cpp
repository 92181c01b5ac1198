// forkscope-gui-bench: the desktop app with a big recording, measured. It writes a synthetic
// trace with the real TraceWriter, opens it in the real MainWindow (offscreen unless told
// otherwise) and reports, as JSON: the time from open to the first picture with data, the time
// until the whole file is loaded, the cost of a scrub frame and the peak memory per event.
// Performance is measured here, never asserted: the exit code only says whether the run worked.
#include "trace/synthetic_trace.h"
#include "views/event_log_view.h"
#include "views/plots_view.h"
#include "views/wait_for_graph_view.h"
#include "widgets/main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

/// A field of /proc/self/status in bytes ("VmRSS", "VmHWM"), 0 if absent.
qint64 statusBytes(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    const std::string prefix = std::string(field) + ":";
    while (std::getline(in, line)) {
        if (line.rfind(prefix, 0) == 0) {
            return std::stoll(line.substr(prefix.size())) * 1024; // the kernel reports kB
        }
    }
    return 0;
}

/// Resets VmHWM to the current RSS (Linux: 5 > /proc/self/clear_refs), so that the peak
/// measured afterwards is the app's, not the trace writer's. False if the kernel refused.
bool resetPeakRss() {
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    out.flush();
    return bool(out);
}

/// Counts paint events, to show that a measured frame really painted.
class PaintCounter : public QObject {
public:
    int paints = 0;

protected:
    bool eventFilter(QObject* watched, QEvent* event) override {
        if (event->type() == QEvent::Paint) {
            ++paints;
        }
        return QObject::eventFilter(watched, event);
    }
};

double median(std::vector<double> v) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double ms(const QElapsedTimer& clock) {
    return double(clock.nsecsElapsed()) / 1e6;
}

} // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    QApplication app(argc, argv);
    // Its own settings file: a benchmark must not change the user's window layout.
    QApplication::setOrganizationName(QStringLiteral("Forkscope"));
    QApplication::setApplicationName(QStringLiteral("forkscope-gui-bench"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Opens a big synthetic recording in the desktop app and "
                                                    "prints what it costs, as JSON."));
    parser.addHelpOption();
    const QCommandLineOption eventsOption(QStringLiteral("events"), QStringLiteral("events in the trace"),
                                          QStringLiteral("N"), QStringLiteral("10000000"));
    const QCommandLineOption traceOption(QStringLiteral("trace"),
                                         QStringLiteral("use (or write, and keep) this trace file"),
                                         QStringLiteral("FILE"));
    const QCommandLineOption framesOption(QStringLiteral("scrub-frames"),
                                          QStringLiteral("playhead positions"), QStringLiteral("N"),
                                          QStringLiteral("50"));
    const QCommandLineOption timeoutOption(QStringLiteral("timeout"),
                                           QStringLiteral("give up loading after this many seconds"),
                                           QStringLiteral("S"), QStringLiteral("600"));
    parser.addOptions({eventsOption, traceOption, framesOption, timeoutOption});
    parser.process(app);
    const auto events = parser.value(eventsOption).toULongLong();
    const int frames = std::max(2, parser.value(framesOption).toInt());
    const double timeoutMs = parser.value(timeoutOption).toDouble() * 1000;
    if (events == 0) {
        std::fprintf(stderr, "forkscope-gui-bench: --events must be a positive number\n");
        return 2;
    }

    QTemporaryDir directory(QDir::tempPath() + QStringLiteral("/forkscope-gui-bench-XXXXXX"));
    QString path = parser.value(traceOption);
    if (path.isEmpty()) {
        if (!directory.isValid()) {
            std::fprintf(stderr, "forkscope-gui-bench: cannot create a temporary directory\n");
            return 1;
        }
        path = directory.filePath(QStringLiteral("synthetic.fstrace"));
    }
    QJsonObject result;
    result[QStringLiteral("events")] = qint64(events);
    double writeSeconds = 0;
    if (!QFileInfo::exists(path)) {
        QElapsedTimer clock;
        clock.start();
        forkscope::writeSyntheticTrace(path.toStdString(), events, {.named = true, .pool = true});
        writeSeconds = ms(clock) / 1000;
    }
    result[QStringLiteral("trace_write_s")] = writeSeconds;
    result[QStringLiteral("trace_file_bytes")] = QFileInfo(path).size();

    forkscope::MainWindow window;
    window.resize(1920, 1080);
    window.show();
    QApplication::processEvents();
    result[QStringLiteral("window")] = QStringLiteral("%1x%2").arg(window.width()).arg(window.height());
    result[QStringLiteral("qpa")] = QApplication::platformName();
    const bool peakReset = resetPeakRss();
    const qint64 rssBefore = statusBytes("VmRSS");
    result[QStringLiteral("rss_before_open_bytes")] = rssBefore;

    auto& data = window.session().data();
    forkscope::PlotsView* plots = window.plots();
    // Open → the plots drew the first batch → the whole window painted once.
    QElapsedTimer clock;
    clock.start();
    window.openTrace(path);
    while (plots->replotEvents() == 0 && ms(clock) < timeoutMs) {
        QApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    if (plots->replotEvents() == 0) {
        std::fprintf(stderr, "forkscope-gui-bench: no picture after %.0f s\n", timeoutMs / 1000);
        return 1;
    }
    (void)window.grab();
    result[QStringLiteral("first_picture_ms")] = ms(clock);
    result[QStringLiteral("first_picture_events")] = qint64(plots->replotEvents());

    // The rest of the file, while the GUI keeps drawing: the longest the event loop was busy.
    double longestStall = 0;
    while (!(data.finished() && data.events().size() == data.eventsInFile()) && ms(clock) < timeoutMs) {
        QElapsedTimer step;
        step.start();
        QApplication::processEvents(QEventLoop::AllEvents, 5);
        longestStall = std::max(longestStall, ms(step));
    }
    result[QStringLiteral("full_load_ms")] = ms(clock);
    result[QStringLiteral("load_longest_gui_step_ms")] = longestStall;
    result[QStringLiteral("events_loaded")] = qint64(data.events().size());
    if (data.events().size() != events) {
        std::fprintf(stderr, "forkscope-gui-bench: loaded %zu of %llu events\n", data.events().size(),
                     static_cast<unsigned long long>(events));
        return 1;
    }
    // Let the views draw the whole trace once before scrubbing.
    plots->refresh();
    QApplication::processEvents();

    // Scrubbing: the playhead jumps to positions spread over the trace; each frame is the work
    // the GUI thread does for it (the views' refreshes, which timers would run, and the paint).
    PaintCounter counter;
    app.installEventFilter(&counter);
    std::vector<double> frameMs;
    std::vector<double> paints;
    // Where a frame's time goes: the position's signals (caption, process table), the plots,
    // the event log, the wait-for graph, and the paint of everything that changed.
    const std::vector<QString> parts{QStringLiteral("signals"), QStringLiteral("plots"),
                                     QStringLiteral("log"), QStringLiteral("graph"), QStringLiteral("paint")};
    std::vector<std::vector<double>> partMs(parts.size());
    const std::int64_t start = data.startNs();
    const std::int64_t span = data.endNs() - data.startNs();
    for (int i = 0; i < frames; ++i) {
        // Alternating halves: every jump crosses a large part of the trace, like a drag would not.
        const int k = i % 2 == 0 ? i / 2 : frames / 2 + i / 2;
        const std::int64_t t = start + span * std::int64_t(k) / std::int64_t(frames - 1);
        counter.paints = 0;
        QElapsedTimer frame;
        frame.start();
        QElapsedTimer part;
        part.start();
        auto lap = [&](std::size_t which) {
            partMs[which].push_back(ms(part));
            part.restart();
        };
        window.session().setPosition(t);
        lap(0);
        plots->refresh();
        lap(1);
        window.eventLog()->followPlayhead();
        lap(2);
        window.waitForGraph()->refresh();
        lap(3);
        QApplication::processEvents();
        lap(4);
        frameMs.push_back(ms(frame));
        paints.push_back(counter.paints);
    }
    app.removeEventFilter(&counter);
    result[QStringLiteral("scrub_frames")] = frames;
    result[QStringLiteral("scrub_frame_median_ms")] = median(frameMs);
    result[QStringLiteral("scrub_frame_max_ms")] = *std::max_element(frameMs.begin(), frameMs.end());
    result[QStringLiteral("scrub_paint_events_median")] = median(paints);
    QJsonObject partMedians;
    for (std::size_t p = 0; p < parts.size(); ++p) {
        partMedians[parts[p]] = median(partMs[p]);
    }
    result[QStringLiteral("scrub_frame_parts_median_ms")] = partMedians;

    const qint64 peak = statusBytes("VmHWM");
    result[QStringLiteral("peak_rss_bytes")] = peak;
    result[QStringLiteral("peak_rss_reset_after_writing")] = peakReset;
    result[QStringLiteral("peak_rss_bytes_per_event")] = double(peak) / double(events);
    result[QStringLiteral("rss_growth_bytes_per_event")] = double(peak - rssBefore) / double(events);
    result[QStringLiteral("trace_data_bytes_per_event")] = double(data.memoryBytes()) / double(events);

    const double first = result[QStringLiteral("first_picture_ms")].toDouble();
    const double worstFrame = result[QStringLiteral("scrub_frame_max_ms")].toDouble();
    const double perEvent = result[QStringLiteral("peak_rss_bytes_per_event")].toDouble();
    result[QStringLiteral("targets")] = QJsonObject{
        {QStringLiteral("first_picture_ms"),
         QJsonObject{{QStringLiteral("max"), 2000}, {QStringLiteral("met"), first < 2000}}},
        {QStringLiteral("scrub_frame_ms"),
         QJsonObject{{QStringLiteral("max"), 50}, {QStringLiteral("met"), worstFrame < 50}}},
        {QStringLiteral("bytes_per_event"),
         QJsonObject{{QStringLiteral("max"), 100}, {QStringLiteral("met"), perEvent < 100}}},
    };
    std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Indented).constData());
    return 0;
}
