#include "plots_view.h"

#include "models/narrator.h"
#include "models/process_timeline_model.h"
#include "qcustomplot_include.h"
#include "session/trace_session.h"
#include "timeline_plottable.h"

#include <QElapsedTimer>
#include <QToolTip>
#include <QVBoxLayout>
#include <map>

namespace forkscope {

namespace {

const QColor kDepth(0x1f, 0x5f, 0xbf);
const QColor kPipe(0x8e, 0x44, 0xad);
const QColor kWait(0xd0, 0x10, 0x2b);
const QColor kHold(0x1f, 0x77, 0xb4);

QCPGraph* ensureGraph(QCustomPlot* plot, QCPAxisRect* rect, QCPAxis* valueAxis, const QString& name,
                      QCPLegend* legend) {
    for (int i = 0; i < plot->graphCount(); ++i) {
        if (plot->graph(i)->name() == name && plot->graph(i)->keyAxis()->axisRect() == rect) {
            return plot->graph(i);
        }
    }
    auto* g = plot->addGraph(rect->axis(QCPAxis::atBottom), valueAxis);
    g->setName(name);
    if (legend != nullptr) {
        g->addToLegend(legend);
    }
    return g;
}

} // namespace

PlotsView::PlotsView(TraceSession& session, const ProcessTimelineModel& timeline, QWidget* parent)
    : QWidget(parent), session_(session), timeline_(timeline) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    plot_ = new QCustomPlot(this);
    plot_->setAutoAddPlottableToLegend(false);
    plot_->setNoAntialiasingOnDrag(true);
    plot_->setPlottingHint(QCP::phFastPolylines, true);
    layout->addWidget(plot_);

    plot_->plotLayout()->clear();
    auto* margins = new QCPMarginGroup(plot_);
    const QStringList titles{tr("Processes: green running · orange blocked (hover: on what) · red ZOMBIE"),
                             tr("Queue: items waiting (left) · bytes in its pipe (right)"),
                             tr("Locks: wait (red) and hold (blue) of each acquisition")};
    std::vector<QCPAxisRect*> rects;
    for (int i = 0; i < 3; ++i) {
        // A header row: the plot's title, and its legend laid out in one line beside it (a
        // legend inside the plot would hide the data it explains).
        auto* header = new QCPLayoutGrid;
        plot_->plotLayout()->addElement(2 * i, 0, header);
        auto* title = new QCPTextElement(plot_, titles[i]);
        title->setTextFlags(Qt::AlignLeft | Qt::AlignVCenter);
        title->setMargins(QMargins(12, 6, 0, 0));
        header->addElement(0, 0, title);
        titles_.push_back(title);
        auto* rect = new QCPAxisRect(plot_);
        if (i > 0) {
            auto* legend = new QCPLegend;
            header->addElement(0, 1, legend);
            legend->setLayer(QStringLiteral("legend"));
            legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
            legend->setWrap(0);
            legend->setMargins(QMargins(4, 2, 4, 2));
            header->setColumnStretchFactor(0, 1);
            header->setColumnStretchFactor(1, 0.001);
            legends_[rect] = legend;
        }
        plot_->plotLayout()->addElement(2 * i + 1, 0, rect);
        rect->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
        rect->setRangeDrag(Qt::Horizontal);
        rect->setRangeZoom(Qt::Horizontal);
        rect->setRangeDragAxes(rect->axis(QCPAxis::atBottom), nullptr);
        rect->setRangeZoomAxes(rect->axis(QCPAxis::atBottom), nullptr);
        rects.push_back(rect);
        plot_->plotLayout()->setRowStretchFactor(2 * i, 0.001);
    }
    plot_->plotLayout()->setRowStretchFactor(1, 2);
    plot_->plotLayout()->setRowStretchFactor(3, 2);
    plot_->plotLayout()->setRowStretchFactor(5, 1.5);
    processRect_ = rects[0];
    queueRect_ = rects[1];
    lockRect_ = rects[2];
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);

    processRect_->axis(QCPAxis::atLeft)->setRangeReversed(true);
    processRect_->axis(QCPAxis::atLeft)->setTicker(QSharedPointer<QCPAxisTickerText>::create());
    processRect_->axis(QCPAxis::atLeft)->grid()->setVisible(false);
    timelinePlottable_ = new TimelinePlottable(processRect_->axis(QCPAxis::atBottom),
                                               processRect_->axis(QCPAxis::atLeft), timeline_);

    // Few ticks on the short value axes: numbers that a class can read, not a picket fence.
    for (QCPAxis* axis : {queueRect_->axis(QCPAxis::atLeft), queueRect_->axis(QCPAxis::atRight),
                          lockRect_->axis(QCPAxis::atLeft)}) {
        axis->ticker()->setTickCount(3);
    }
    lockRect_->axis(QCPAxis::atLeft)->ticker()->setTickCount(2);
    // One time axis: the upper plots keep its grid but leave the numbers to the bottom one.
    processRect_->axis(QCPAxis::atBottom)->setTickLabels(false);
    queueRect_->axis(QCPAxis::atBottom)->setTickLabels(false);
    queueRect_->axis(QCPAxis::atLeft)->setLabel(tr("items"));
    queueRect_->axis(QCPAxis::atRight)->setVisible(true);
    queueRect_->axis(QCPAxis::atRight)->setLabel(tr("pipe KiB"));
    lockRect_->axis(QCPAxis::atLeft)->setLabel(tr("ms"));
    lockRect_->axis(QCPAxis::atBottom)->setLabel(tr("seconds since the run started"));

    // The playhead and the veil over the not-yet-played part lie above the graphs.
    plot_->addLayer(QStringLiteral("playhead"), plot_->layer(QStringLiteral("main")), QCustomPlot::limAbove);
    for (QCPAxisRect* rect : rects) {
        auto* line = new QCPItemStraightLine(plot_);
        line->setLayer(QStringLiteral("playhead"));
        line->setClipAxisRect(rect);
        for (QCPItemPosition* p : {line->point1, line->point2}) {
            p->setAxisRect(rect);
            p->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
            p->setTypeX(QCPItemPosition::ptPlotCoords);
            p->setTypeY(QCPItemPosition::ptAxisRectRatio);
        }
        line->point1->setCoords(0, 0);
        line->point2->setCoords(0, 1);
        playheads_.push_back(line);
        auto* veil = new QCPItemRect(plot_);
        veil->setLayer(QStringLiteral("playhead"));
        veil->setClipAxisRect(rect);
        veil->topLeft->setAxisRect(rect);
        veil->topLeft->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        veil->topLeft->setTypeX(QCPItemPosition::ptPlotCoords);
        veil->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
        veil->bottomRight->setAxisRect(rect);
        veil->bottomRight->setType(QCPItemPosition::ptAxisRectRatio);
        veil->bottomRight->setCoords(1, 1);
        veil->setPen(Qt::NoPen);
        veils_.push_back(veil);
        connect(rect->axis(QCPAxis::atBottom), qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
                [this, rect](const QCPRange&) { syncTimeAxes(rect); });
    }

    connect(plot_, &QCustomPlot::mouseWheel, this, [this] { autoRange_ = false; });
    connect(plot_, &QCustomPlot::mousePress, this, [this] { autoRange_ = false; });
    connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this] { resetZoom(); });
    connect(plot_, &QCustomPlot::mouseMove, this, &PlotsView::onMouseMove);
    connect(&session_.data(), &TraceData::appended, this, [this] { seriesDirty_ = dirty_ = true; });
    connect(&session_.data(), &TraceData::cleared, this, [this] {
        seriesDirty_ = dirty_ = true;
        autoRange_ = true;
    });
    connect(&session_.data(), &TraceData::tablesChanged, this, [this] { seriesDirty_ = dirty_ = true; });
    connect(&session_, &TraceSession::positionChanged, this, [this] { dirty_ = true; });
    refreshTimer_.setInterval(kRefreshMs);
    connect(&refreshTimer_, &QTimer::timeout, this, &PlotsView::refresh);
    refreshTimer_.start();
    applyStyle();
}

void PlotsView::syncTimeAxes(QCPAxisRect* source) {
    if (syncing_) {
        return;
    }
    syncing_ = true;
    const QCPRange range = source->axis(QCPAxis::atBottom)->range();
    for (QCPAxisRect* rect : {processRect_, queueRect_, lockRect_}) {
        if (rect != source) {
            rect->axis(QCPAxis::atBottom)->setRange(range);
        }
    }
    syncing_ = false;
    dirty_ = true;
}

std::pair<double, double> PlotsView::timeWindow() const {
    const QCPRange r = processRect_->axis(QCPAxis::atBottom)->range();
    return {r.lower, r.upper};
}

void PlotsView::resetZoom() {
    autoRange_ = true;
    dirty_ = true;
    refresh();
}

void PlotsView::applyStyle() {
    const QColor fg = presentation_ ? Qt::white : Qt::black;
    const QColor bg = presentation_ ? QColor(0x10, 0x10, 0x10) : Qt::white;
    const QColor grid = presentation_ ? QColor(0x55, 0x55, 0x55) : QColor(0xdd, 0xdd, 0xdd);
    QFont font = this->font();
    font.setPointSizeF(presentation_ ? 18 : 11);
    QFont titleFont = font;
    titleFont.setBold(true);
    titleFont.setPointSizeF(font.pointSizeF() + 1);
    plot_->setFont(font);
    plot_->setBackground(bg);
    for (QCPTextElement* title : titles_) {
        title->setFont(titleFont);
        title->setTextColor(fg);
    }
    for (auto& [rect, legend] : legends_) {
        legend->setFont(font);
        legend->setTextColor(fg);
        legend->setBrush(Qt::NoBrush);
        legend->setBorderPen(Qt::NoPen);
    }
    for (QCPAxisRect* rect : {processRect_, queueRect_, lockRect_}) {
        rect->setBackground(bg);
        for (QCPAxis* axis : rect->axes()) {
            axis->setTickLabelFont(font);
            axis->setLabelFont(font);
            axis->setTickLabelColor(fg);
            axis->setLabelColor(fg);
            axis->setBasePen(QPen(fg));
            axis->setTickPen(QPen(fg));
            axis->setSubTickPen(QPen(fg));
            axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
        }
    }
    for (auto* line : playheads_) {
        line->setPen(QPen(presentation_ ? QColor(0xff, 0xff, 0x00) : QColor(0x20, 0x20, 0x20), 2));
    }
    for (auto* veil : veils_) {
        veil->setBrush(presentation_ ? QColor(0, 0, 0, 150) : QColor(255, 255, 255, 170));
    }
    timelinePlottable_->setHighContrast(presentation_);
    seriesDirty_ = dirty_ = true;
}

void PlotsView::setPresentation(bool on) {
    presentation_ = on;
    applyStyle();
    refresh();
}

void PlotsView::rebuildSeries() {
    const TraceData& data = session_.data();
    // Process rows: names on the left axis, in the model's order.
    auto ticker = qSharedPointerCast<QCPAxisTickerText>(processRect_->axis(QCPAxis::atLeft)->ticker());
    ticker->clear();
    const auto& pids = timeline_.pids();
    for (std::size_t row = 0; row < pids.size(); ++row) {
        ticker->addTick(static_cast<double>(row), data.processName(pids[row]));
    }
    processRect_->axis(QCPAxis::atLeft)->setRange(-0.5, std::max<double>(1.0, double(pids.size())) - 0.5);

    // Queues and pipes: one depth and one pipe-fill graph each.
    double maxDepth = 1;
    double maxKiB = 1;
    int colourIndex = 0;
    for (const auto& [object, samples] : data.levels()) {
        const QString name = data.objectName(object);
        const auto info = data.object(object);
        const bool isQueue = !info || info->kind != ObjectKind::Pipe;
        QCPGraph* pipe = ensureGraph(plot_, queueRect_, queueRect_->axis(QCPAxis::atRight),
                                     tr("pipe fill (%1)").arg(name), legends_[queueRect_]);
        const QColor pipeColour = colourIndex == 0 ? kPipe : kPipe.lighter(100 + 30 * colourIndex);
        pipe->setPen(QPen(pipeColour, presentation_ ? 3 : 2));
        pipe->setBrush(QColor(pipeColour.red(), pipeColour.green(), pipeColour.blue(), 40));
        pipe->setLineStyle(QCPGraph::lsStepLeft);
        // Downsampled to at most kBuckets steps, keeping each bucket's peak: a filled step
        // polygon of 100 000 points costs the raster engine far more than a frame.
        QVector<double> keys, depths, kib;
        const double span = std::max(data.toSeconds(data.endNs()), 1e-9);
        constexpr int kBuckets = 800;
        int bucket = -1;
        for (const LevelSample& s : samples) {
            const double t = data.toSeconds(s.ts);
            const int b = samples.size() > std::size_t(2 * kBuckets) ? int(t / span * kBuckets) : bucket + 1;
            if (b != bucket || keys.isEmpty()) {
                keys << t;
                depths << s.depth;
                kib << s.pipeBytes / 1024.0;
                bucket = b;
            } else {
                depths.back() = std::max(depths.back(), s.depth);
                kib.back() = std::max(kib.back(), s.pipeBytes / 1024.0);
            }
            maxDepth = std::max(maxDepth, s.depth);
            maxKiB = std::max(maxKiB, s.pipeBytes / 1024.0);
        }
        if (!samples.empty()) { // the level holds until the end of what is known
            keys << data.toSeconds(data.endNs());
            depths << depths.back();
            kib << kib.back();
        }
        pipe->setData(keys, kib, true);
        if (isQueue) {
            QCPGraph* depth = ensureGraph(plot_, queueRect_, queueRect_->axis(QCPAxis::atLeft),
                                          tr("items (%1)").arg(name), legends_[queueRect_]);
            depth->setPen(QPen(colourIndex == 0 ? kDepth : kDepth.lighter(100 + 30 * colourIndex),
                               presentation_ ? 4 : 3));
            depth->setLineStyle(QCPGraph::lsStepLeft);
            depth->setData(keys, depths, true);
        }
        if (info && info->capacity > 0) {
            const double capacityKiB = double(info->capacity) / 1024.0;
            maxKiB = std::max(maxKiB, capacityKiB);
            QCPGraph* cap =
                ensureGraph(plot_, queueRect_, queueRect_->axis(QCPAxis::atRight),
                            tr("capacity %1 (%2)").arg(Narrator::formatBytes(info->capacity), name),
                            legends_[queueRect_]);
            cap->setPen(QPen(kWait, presentation_ ? 3 : 2, Qt::DotLine));
            cap->setData(QVector<double>{0, std::max(data.toSeconds(data.endNs()), 1e-3)},
                         QVector<double>{capacityKiB, capacityKiB}, true);
        }
        ++colourIndex;
    }
    queueRect_->axis(QCPAxis::atLeft)->setRange(0, maxDepth * 1.15 + 0.5);
    queueRect_->axis(QCPAxis::atRight)->setRange(0, maxKiB * 1.15);

    // Locks: every acquisition's wait and every release's hold, in ms.
    QVector<double> waitKeys, waits, holdKeys, holds;
    double maxMs = 0.1;
    QStringList lockNames;
    for (const auto& [lock, samples] : data.lockSamples()) {
        lockNames << data.objectName(lock);
        for (const LockSample& s : samples) {
            if (s.acquired) {
                waitKeys << data.toSeconds(s.ts);
                waits << double(s.waitNs) / 1e6;
                maxMs = std::max(maxMs, waits.back());
            } else {
                holdKeys << data.toSeconds(s.ts);
                holds << double(s.holdNs) / 1e6;
                maxMs = std::max(maxMs, holds.back());
            }
        }
    }
    if (!lockNames.isEmpty()) {
        const QString names = lockNames.join(QStringLiteral(", "));
        QCPGraph* hold = ensureGraph(plot_, lockRect_, lockRect_->axis(QCPAxis::atLeft),
                                     tr("held (%1)").arg(names), legends_[lockRect_]);
        hold->setPen(QPen(kHold, presentation_ ? 3 : 2));
        hold->setLineStyle(QCPGraph::lsImpulse);
        hold->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, presentation_ ? 10 : 7));
        hold->setData(holdKeys, holds, true);
        QCPGraph* wait = ensureGraph(plot_, lockRect_, lockRect_->axis(QCPAxis::atLeft),
                                     tr("waited (%1)").arg(names), legends_[lockRect_]);
        wait->setPen(QPen(kWait, presentation_ ? 3 : 2));
        wait->setLineStyle(QCPGraph::lsImpulse);
        wait->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, presentation_ ? 11 : 8));
        wait->setData(waitKeys, waits, true);
    }
    lockRect_->axis(QCPAxis::atLeft)->setRange(0, maxMs * 1.2);
}

void PlotsView::updatePlayhead() {
    const TraceData& data = session_.data();
    const double now = data.isEmpty() ? 0 : data.toSeconds(session_.position());
    const double end = data.isEmpty() ? 0 : data.toSeconds(data.endNs());
    const bool atEnd = now >= end;
    for (auto* line : playheads_) {
        line->point1->setCoords(now, 0);
        line->point2->setCoords(now, 1);
        line->setVisible(!data.isEmpty());
    }
    for (auto* veil : veils_) {
        veil->topLeft->setCoords(now, 0);
        veil->setVisible(!atEnd);
    }
    timelinePlottable_->setNow(session_.position());
}

void PlotsView::refresh() {
    if (!dirty_ || !isVisible()) {
        return;
    }
    dirty_ = false;
    if (seriesDirty_) {
        seriesDirty_ = false;
        // Graph removal happens on a new trace only, so a live run keeps its graphs.
        if (session_.data().isEmpty()) {
            for (int i = plot_->graphCount() - 1; i >= 0; --i) {
                plot_->removeGraph(i);
            }
        }
        rebuildSeries();
    }
    if (autoRange_) {
        const TraceData& data = session_.data();
        const double end = data.isEmpty() ? 1.0 : std::max(data.toSeconds(data.endNs()), 1e-3);
        processRect_->axis(QCPAxis::atBottom)->setRange(-end * 0.01, end * 1.02);
    }
    updatePlayhead();
    QElapsedTimer clock;
    clock.start();
    plot_->replot(QCustomPlot::rpImmediateRefresh);
    ++replots_;
    lastReplotMs_ = clock.elapsed();
    // A slow machine (software raster at 1920 px) gets fewer frames, never a busy GUI thread:
    // at least as much idle time as drawing time between two redraws.
    refreshTimer_.setInterval(std::max<int>(kRefreshMs, int(2 * lastReplotMs_)));
    if (qEnvironmentVariableIsSet("FORKSCOPE_DEBUG_REPLOT")) {
        qInfo("replot %lld ms", lastReplotMs_);
    }
}

bool PlotsView::exportTo(const QString& path, double scale) {
    refresh();
    if (path.endsWith(QLatin1String(".pdf"), Qt::CaseInsensitive)) {
        return plot_->savePdf(path, plot_->width(), plot_->height());
    }
    return plot_->savePng(path, plot_->width(), plot_->height(), scale);
}

void PlotsView::onMouseMove(QMouseEvent* event) {
    if (!processRect_->rect().contains(event->pos())) {
        QToolTip::hideText();
        return;
    }
    const auto segment = timelinePlottable_->segmentAt(event->pos());
    if (!segment) {
        QToolTip::hideText();
        return;
    }
    const TraceData& data = session_.data();
    const QString text = tr("%1\nfrom %2 s to %3 s (%4 ms)")
                             .arg(timeline_.describePhase(segment->phase))
                             .arg(data.toSeconds(segment->phase.ts), 0, 'f', 3)
                             .arg(data.toSeconds(segment->endNs), 0, 'f', 3)
                             .arg(double(segment->endNs - segment->phase.ts) / 1e6, 0, 'f', 1);
    QToolTip::showText(event->globalPosition().toPoint(), text, plot_);
}

} // namespace forkscope
