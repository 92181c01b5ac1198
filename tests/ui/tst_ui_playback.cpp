// The GUI at work on a generated recording: time↔pixel maths, the playback clock, the scrub bar,
// presentation mode, the wait-for graph of a queue-join deadlock, screenshots, and the promise
// that the event loop never stalls while a live run is followed.
#include "demo_trace.h"
#include "models/process_timeline_model.h"
#include "models/trace_data.h"
#include "session/time_scale.h"
#include "session/trace_session.h"
#include "test_events.h"
#include "trace/synthetic_trace.h"
#include "trace/trace_writer.h"
#include "ui_test_main.h"
#include "views/plots_view.h"
#include "views/qcustomplot_include.h"
#include "views/scrub_bar.h"
#include "views/wait_for_graph_canvas.h"
#include "views/wait_for_graph_view.h"
#include "widgets/main_window.h"
#include "widgets/transport_bar.h"

#include <QAction>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <atomic>
#include <thread>

using namespace forkscope;
using forkscope::test::DemoTrace;
using forkscope::test::ev;

namespace {

bool loaded(const TraceSession& s) {
    return s.data().finished() && !s.data().isEmpty();
}

/// Nanoseconds this thread spent runnable but waiting for a CPU (/proc/thread-self/schedstat).
/// The machine is shared: time the scheduler gave to other programs is not a stall of ours.
std::int64_t runQueueDelayNs() {
    QFile f(QStringLiteral("/proc/thread-self/schedstat"));
    if (!f.open(QIODevice::ReadOnly)) {
        return 0;
    }
    const QList<QByteArray> fields = f.readAll().split(' ');
    return fields.size() >= 2 ? fields[1].trimmed().toLongLong() : 0;
}

/// The main window as the screenshots show it: 1920×1080, not full screen, exposed.
bool showAtFullHd(MainWindow& w) {
    w.setPresentationFullScreen(false);
    w.resize(1920, 1080);
    w.show();
    return QTest::qWaitForWindowExposed(&w);
}

/// Every entry of every legend in the plot (the header rows have legends of their own) names a
/// graph the plot still has. Compares pointers only: a stale entry's graph is never touched.
bool legendsNameOnlyLiveGraphs(QCustomPlot* plot) {
    for (QCPLayoutElement* element : plot->plotLayout()->elements(true)) {
        auto* legend = qobject_cast<QCPLegend*>(element);
        for (int i = 0; legend != nullptr && i < legend->itemCount(); ++i) {
            auto* item = qobject_cast<QCPPlottableLegendItem*>(legend->item(i));
            if (item != nullptr && !plot->hasPlottable(item->plottable())) {
                return false;
            }
        }
    }
    return true;
}

} // namespace

class TstUiPlayback : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    QString demoPath_;

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        demoPath_ = dir_.filePath(QStringLiteral("demo.fstrace"));
        DemoTrace::write(demoPath_.toStdString());
    }

    void timeScaleMapsTimeToPixelsAndBack() {
        TimeScale s(0.0, 2.0, 10, 200); // 2 s over pixels 10..210
        QCOMPARE(s.toPixel(0.0), 10.0);
        QCOMPARE(s.toPixel(1.0), 110.0);
        QCOMPARE(s.toPixel(2.0), 210.0);
        QCOMPARE(s.toTime(60.0), 0.5);
        for (double t : {0.0, 0.123, 1.7, 2.0}) {
            QVERIFY(qAbs(s.toTime(s.toPixel(t)) - t) < 1e-12);
        }
        QCOMPARE(s.toTimeClamped(-50), 0.0);
        QCOMPARE(s.toTimeClamped(500), 2.0);
        // Zooming in 4× around pixel 60 (t = 0.5) keeps t = 0.5 under pixel 60.
        s.zoomAt(60, 4.0);
        QVERIFY(qAbs(s.span() - 0.5) < 1e-12);
        QVERIFY(qAbs(s.toTime(60) - 0.5) < 1e-12);
        // Dragging the content 100 px to the right shows earlier times.
        const double before = s.start();
        s.panBy(100);
        QVERIFY(qAbs(s.start() - (before - 0.25)) < 1e-12);
        s.zoomAt(60, 1e12, 1e-6); // never below the minimum span
        QVERIFY(qAbs(s.span() - 1e-6) < 1e-15);
        QCOMPARE(TimeScale::niceStep(1.0, 10), 0.1);
        QCOMPARE(TimeScale::niceStep(7.0, 10), 1.0);
        QCOMPARE(TimeScale::niceStep(0.03, 5), 0.01);
        QCOMPARE(TimeScale::niceStep(130.0, 5), 50.0);
    }

    void playbackControls() {
        TraceSession session;
        session.openRecording(demoPath_);
        QTRY_VERIFY_WITH_TIMEOUT(loaded(session), 5000);
        const TraceData& data = session.data();
        QCOMPARE(session.position(), data.endNs()); // a recording opens whole
        QVERIFY(!session.isPlaying());

        QSignalSpy playing(&session, &TraceSession::playingChanged);
        session.play(); // at the end: replays from the start
        QVERIFY(session.isPlaying());
        QCOMPARE(session.position(), data.startNs());
        session.pause();
        QCOMPARE(playing.count(), 2);

        session.setSpeed(1.0);
        session.advance(100); // 100 ms of wall time at 1×
        QCOMPARE(session.position(), data.startNs() + 100'000'000);
        session.setSpeed(0.1);
        session.advance(100);
        QCOMPARE(session.position(), data.startNs() + 110'000'000);
        session.setSpeed(50);
        QCOMPARE(session.speed(), TraceSession::kMaxSpeed);
        session.setSpeed(0.001);
        QCOMPARE(session.speed(), TraceSession::kMinSpeed);

        session.setPosition(data.startNs());
        QVERIFY(session.stepNext());
        QCOMPARE(session.position(), data.events()[1].ts); // events[0] is at the start itself
        QVERIFY(session.stepPrevious());
        QCOMPARE(session.position(), data.startNs());
        QVERIFY(!session.stepPrevious());
        session.setPosition(data.endNs() + 999'000'000'000);
        QCOMPARE(session.position(), data.endNs()); // scrubbing clamps
        QVERIFY(!session.stepNext());

        // Playing to the end of a recording pauses there.
        session.setPosition(data.endNs() - 1'000'000);
        session.setSpeed(10);
        session.play();
        session.advance(50);
        QCOMPARE(session.position(), data.endNs());
        QVERIFY(!session.isPlaying());
        // And the real frame timer moves the playhead too.
        session.setSpeed(1);
        session.play();
        const auto from = session.position();
        QTRY_VERIFY_WITH_TIMEOUT(session.position() > from + 20'000'000, 3000);
        session.pause();
    }

    void scrubBarMapsClicksToTime() {
        TraceSession session;
        session.openRecording(demoPath_);
        QTRY_VERIFY_WITH_TIMEOUT(loaded(session), 5000);
        ScrubBar bar(session);
        bar.resize(2 * ScrubBar::kMargin + 400, 30);
        bar.show();
        QVERIFY(QTest::qWaitForWindowExposed(&bar));
        const double end = session.data().toSeconds(session.data().endNs());
        QTest::mouseClick(&bar, Qt::LeftButton, {}, QPoint(ScrubBar::kMargin + 100, 15));
        QVERIFY(qAbs(session.data().toSeconds(session.position()) - end / 4) < end / 400 + 1e-9);
        QTest::mouseClick(&bar, Qt::LeftButton, {}, QPoint(0, 15)); // left of the track: the start
        QCOMPARE(session.position(), session.data().startNs());
    }

    void presentationModeToggles() {
        MainWindow w;
        w.setPresentationFullScreen(false);
        w.resize(1280, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.session().setSpeed(2.0);
        const double normalSize = w.font().pointSizeF();
        QDockWidget* dock = w.findChild<QDockWidget*>(QStringLiteral("ScenarioDock"));
        QVERIFY(dock != nullptr && dock->isVisible());
        w.action(QStringLiteral("presentation"))->trigger();
        QVERIFY(w.isPresentation());
        QVERIFY(w.font().pointSizeF() >= normalSize * 1.5);
        QCOMPARE(w.session().speed(), 0.25); // slow motion by default
        QVERIFY(!dock->isVisible());
        QCOMPARE(w.palette().color(QPalette::Window), QColor(0x10, 0x10, 0x10));
        w.action(QStringLiteral("presentation"))->trigger();
        QVERIFY(!w.isPresentation());
        QCOMPARE(w.font().pointSizeF(), normalSize);
        QCOMPARE(w.session().speed(), 2.0);
        QVERIFY(dock->isVisible());
    }

    void waitForGraphShowsTheQueueJoinDeadlock() {
        MainWindow w;
        w.resize(1600, 1000);
        w.show();
        w.openTrace(demoPath_);
        QTRY_VERIFY_WITH_TIMEOUT(loaded(w.session()), 5000);
        w.selectTab(QStringLiteral("graph"));
        WaitForGraphView* view = w.waitForGraph();
        view->refresh();
        WaitForGraphCanvas* canvas = view->canvas();
        QCOMPARE(canvas->graph().nodes.size(), std::size_t(4));
        QCOMPARE(canvas->highlightedEdgeCount(), 4);
        QVERIFY(canvas->nodeRect(QStringLiteral("p:4100")).isValid());
        QVERIFY(!canvas->nodeRect(QStringLiteral("p:4100"))
                     .intersects(canvas->nodeRect(QStringLiteral("p:4101"))));
        QVERIFY(canvas->rect().contains(canvas->nodeRect(QStringLiteral("r:results")).toRect()));
        const QString text = view->diagnosisText();
        QVERIFY2(text.contains(QStringLiteral("DEADLOCK")), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("Joining processes that use queues")));
        QVERIFY(text.contains(QStringLiteral("main joins worker-0")));
        QVERIFY(text.contains(QStringLiteral("Fix:")));
        // Before the host gave up, the graph shows the waits as they are: main joins worker-0.
        w.session().setPosition(DemoTrace::kStart + 300'000'000);
        view->refresh();
        const auto& live = canvas->graph();
        QVERIFY(live.kind.isEmpty());
        bool joins = false;
        for (const auto& e : live.edges) {
            joins = joins || (e.from == QStringLiteral("p:4100") && e.to == QStringLiteral("p:4101") &&
                              e.label == QStringLiteral("joins"));
        }
        QVERIFY(joins);
        // The caption narrates the latest event.
        w.session().setPosition(DemoTrace::kStart + 66'000'000);
        QVERIFY2(w.captionText().contains(QStringLiteral("worker-1 is now a zombie")),
                 qPrintable(w.captionText()));
        // From the moment the host diagnosed the run, the caption tells the diagnosis.
        w.session().setPosition(DemoTrace::kTeardown);
        QVERIFY2(w.captionText() ==
                     QStringLiteral(
                         "Deadlock found: main → worker-0 → worker-0 feeder → results pipe (full) → main"),
                 qPrintable(w.captionText()));
    }

    void plotsExportAndScreenshot() {
        MainWindow w;
        QVERIFY(showAtFullHd(w));
        LaunchOptions o;
        o.file = demoPath_;
        o.screenshot = dir_.filePath(QStringLiteral("shot.png"));
        o.after = 0.3;
        QSignalSpy saved(&w, &MainWindow::screenshotSaved);
        w.applyLaunchOptions(o);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 5000);
        QVERIFY(saved.at(0).at(1).toBool());
        const QImage shot(o.screenshot);
        QCOMPARE(shot.size(), QSize(1920, 1080));
        QVERIFY(w.plots()->exportTo(dir_.filePath(QStringLiteral("plots.png"))));
        QVERIFY(w.plots()->exportTo(dir_.filePath(QStringLiteral("plots.pdf"))));
        QVERIFY(QImage(dir_.filePath(QStringLiteral("plots.png"))).width() > 1000);
        QVERIFY(QFileInfo(dir_.filePath(QStringLiteral("plots.pdf"))).size() > 1000);
        QVERIFY(w.plots()->replotCount() > 0);
    }

    void poolPlotSharesTheTimeAxis() {
        const QString path = dir_.filePath(QStringLiteral("pool.fstrace"));
        writeSyntheticTrace(path.toStdString(), 5000, {.named = true, .pool = true});
        MainWindow w;
        QVERIFY(showAtFullHd(w));
        // A trace without a pool leaves the pool plot out of the layout.
        w.openTrace(demoPath_);
        QTRY_VERIFY_WITH_TIMEOUT(loaded(w.session()), 5000);
        w.plots()->refresh();
        QVERIFY(!w.plots()->poolPlotShown());
        QVERIFY(legendsNameOnlyLiveGraphs(w.plots()->plot()));
        w.openTrace(path);
        w.plots()->refresh(); // before the new trace's first events: the old graphs go
        QCOMPARE(w.plots()->plot()->graphCount(), 0);
        QVERIFY(legendsNameOnlyLiveGraphs(w.plots()->plot()));
        QTRY_VERIFY_WITH_TIMEOUT(loaded(w.session()) && w.session().data().events().size() == 5000, 10000);
        w.plots()->refresh();
        // The first trace's graphs are gone, and so are their legend entries (an entry left
        // behind points at a deleted graph and crashes the next layout).
        QVERIFY(legendsNameOnlyLiveGraphs(w.plots()->plot()));
        QVERIFY(w.plots()->poolPlotShown());
        QCPAxisRect* rect = w.plots()->poolRect();
        QVERIFY(rect->rect().height() > 40); // laid out, and tall enough to read
        const auto graphs = rect->graphs();
        QCOMPARE(graphs.size(), 2);
        for (QCPGraph* g : graphs) {
            QVERIFY(g->dataCount() > 2);
        }
        double maxBusy = 0;
        for (auto it = graphs[0]->data()->constBegin(); it != graphs[0]->data()->constEnd(); ++it) {
            maxBusy = std::max(maxBusy, it->value);
        }
        QVERIFY(maxBusy > 0 && maxBusy <= 100); // a percentage of the pool's 8 workers
        // One time axis: a zoom in the process timeline moves the pool plot with it.
        const auto [lower, upper] = w.plots()->timeWindow();
        QCOMPARE(rect->axis(QCPAxis::atBottom)->range().lower, lower);
        QCOMPARE(rect->axis(QCPAxis::atBottom)->range().upper, upper);
        w.plots()->plot()->axisRect(0)->axis(QCPAxis::atBottom)->setRange(upper / 4, upper / 2);
        QCOMPARE(rect->axis(QCPAxis::atBottom)->range().lower, upper / 4);
        w.plots()->refresh();
        for (QCPGraph* g : rect->graphs()) {
            QVERIFY(g->dataCount() > 2); // sampled again for the zoomed window
        }
        w.plots()->resetZoom();
        // Back to a trace without a pool: the plot goes away again.
        w.openTrace(demoPath_);
        QTRY_VERIFY_WITH_TIMEOUT(loaded(w.session()), 5000);
        w.plots()->refresh();
        QVERIFY(!w.plots()->poolPlotShown());
        QVERIFY(legendsNameOnlyLiveGraphs(w.plots()->plot()));
    }

    // Zoomed out over a long run, a zombie that lasted a microsecond falls inside one pixel
    // column; the column still shows it (the most telling phase that began in it).
    void aShortZombieStaysVisibleWhenZoomedOut() {
        const QString path = dir_.filePath(QStringLiteral("short-zombie.fstrace"));
        {
            TraceWriter writer(path.toStdString(), TraceMeta{"short-zombie", "{}", "fork", {}, {}});
            const std::int64_t t0 = 1'000'000'000;
            writer.recordProcess(ProcessInfo{100, 0, "main", 0, t0});
            writer.recordProcess(ProcessInfo{101, 100, "worker-1", 0, t0});
            const std::int64_t exited = t0 + 4'000'000'000;
            const Event events[] = {
                ev(t0, 100, EventType::ProcessStarted, 100),
                ev(t0 + 1'000, 100, EventType::ProcessCreated, 101),
                ev(t0 + 2'000, 101, EventType::ProcessStarted, 101, 100),
                ev(exited, 101, EventType::ProcessExited, 101, 0),
                ev(exited + 1'000, 100, EventType::ProcessReaped, 101, 0),
                ev(t0 + 10'000'000'000, 100, EventType::ProcessExited, 100, 0),
            };
            writer.appendEvents(events);
            writer.finish();
        }
        MainWindow w;
        QVERIFY(showAtFullHd(w));
        w.openTrace(path);
        QTRY_VERIFY_WITH_TIMEOUT(loaded(w.session()), 5000);
        w.plots()->resetZoom();
        w.plots()->refresh();
        const QString png = dir_.filePath(QStringLiteral("short-zombie.png"));
        QVERIFY(w.plots()->exportTo(png, 1.0));
        const QImage image = QImage(png).convertToFormat(QImage::Format_ARGB32);
        const QRgb zombie = ProcessTimelineModel::phaseColor(ProcessPhase::Zombie).rgb();
        int zombiePixels = 0;
        for (int y = 0; y < image.height(); ++y) {
            const auto* row = reinterpret_cast<const QRgb*>(image.constScanLine(y));
            for (int x = 0; x < image.width(); ++x) {
                zombiePixels += (row[x] & RGB_MASK) == (zombie & RGB_MASK) ? 1 : 0;
            }
        }
        QVERIFY2(zombiePixels > 0, "the microsecond-long zombie vanished between two pixel columns");
    }

    void eventLoopNeverStallsWhileALiveRunIsFollowed() {
        // A fake session host: a thread writes the demo run plus 40 000 pipe events, batch by
        // batch, into a trace the window follows live (plots, log, graph, caption all updating).
        const QString path = dir_.filePath(QStringLiteral("live.fstrace"));
        std::vector<Event> events = DemoTrace::events();
        const std::uint64_t pipe = kFirstObjectId + 7;
        for (int i = 0; i < 40'000; ++i) {
            Event e;
            e.ts = DemoTrace::kStart + 5'000'000 + std::int64_t(i) * 27'000;
            e.pid = i % 2 ? DemoTrace::kWorker1 : DemoTrace::kMain;
            e.tid = e.pid;
            e.type = i % 2 ? EventType::PipeRecv : EventType::PipeSend;
            e.object = pipe;
            e.arg = 256;
            events.push_back(e);
        }
        std::stable_sort(events.begin(), events.end(),
                         [](const Event& a, const Event& b) { return a.ts < b.ts; });

        MainWindow w;
        QVERIFY(showAtFullHd(w));
        w.selectTab(QStringLiteral("log"));
        w.session().followLive(path);

        std::atomic<bool> done{false};
        std::string writerError;
        std::thread writer([&] {
            try {
                TraceWriter trace(path.toStdString(), DemoTrace::meta());
                DemoTrace::recordTables(trace);
                trace.recordObject(
                    {pipe, ObjectKind::Pipe, "chatter", 65536, DemoTrace::kMain, DemoTrace::kStart});
                const std::size_t batches = 60;
                const std::size_t per = events.size() / batches + 1;
                for (std::size_t i = 0; i < events.size(); i += per) {
                    const std::size_t n = std::min(per, events.size() - i);
                    trace.appendEvents(std::span<const Event>(events.data() + i, n));
                    // Pacing like a monitor's batches (not synchronisation: the reader polls).
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                }
                trace.setMeta("teardown_ns", std::to_string(DemoTrace::kTeardown));
                trace.setMeta("diagnosis", DemoTrace::diagnosisJson());
                trace.finish();
            } catch (const std::exception& e) {
                writerError = e.what();
            }
            done = true;
        });

        // The longest gap between two ticks of a 5 ms timer in the GUI thread, minus the time
        // the thread was kept off the CPU by other programs (run-queue delay).
        QElapsedTimer sinceLastTick;
        qint64 longestStallMs = 0;
        qint64 longestRawGapMs = 0;
        std::int64_t lastDelay = runQueueDelayNs();
        QTimer probe;
        probe.setInterval(5);
        sinceLastTick.start();
        connect(&probe, &QTimer::timeout, this, [&] {
            const std::int64_t delay = runQueueDelayNs();
            const qint64 gapNs = sinceLastTick.nsecsElapsed();
            longestRawGapMs = std::max(longestRawGapMs, gapNs / 1'000'000);
            longestStallMs = std::max(longestStallMs, (gapNs - (delay - lastDelay)) / 1'000'000);
            lastDelay = delay;
            sinceLastTick.restart();
        });
        probe.start();
        QElapsedTimer total;
        total.start();
        while (!(done && loaded(w.session()) && w.session().data().events().size() == events.size()) &&
               total.elapsed() < 30'000) {
            QTest::qWait(5);
        }
        probe.stop();
        writer.join();
        QVERIFY2(writerError.empty(), writerError.c_str());
        QCOMPARE(w.session().data().events().size(), events.size());
        QCOMPARE(w.session().position(), w.session().data().endNs()); // the playhead followed the run
        qInfo("longest event-loop stall while following: %lld ms (%lld ms including waits for a CPU)",
              longestStallMs, longestRawGapMs);
#if defined(__SANITIZE_THREAD__)
        // ThreadSanitizer slows every instrumented access five to fifteen times.
        constexpr std::int64_t kStallBudgetMs = 500;
#elif defined(__SANITIZE_ADDRESS__)
        constexpr std::int64_t kStallBudgetMs = 300; // ASan: two to three times
#else
        constexpr std::int64_t kStallBudgetMs = 100;
#endif
        QVERIFY2(longestStallMs <= kStallBudgetMs,
                 qPrintable(QStringLiteral("the GUI thread stalled for %1 ms").arg(longestStallMs)));
    }
};

FORKSCOPE_UI_TEST_MAIN(TstUiPlayback)
#include "tst_ui_playback.moc"
