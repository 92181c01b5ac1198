#include "plots_view.h"

#include "models/narrator.h"
#include "models/process_timeline_model.h"
#include "models/series_sampler.h"
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
const QColor kBusy(0x2e, 0x9e, 0x4f);
const QColor kRate(0xe0, 0x6c, 0x00);

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
    const QStringList titles{
        tr("Processes: green running · orange blocked (hover: on what) · red ZOMBIE"),
        tr("Queue: items waiting (left) · bytes in its pipe (right)"),
        tr("Locks: wait (red) and hold (blue) of each acquisition"),
        tr("Pool: busy workers, % of the pool (left) · tasks finished per second (right)")};
    std::vector<QCPAxisRect*> rects;
    for (int i = 0; i < 4; ++i) {
        // A header row: the plot's title, and its legend laid out in one line beside it (a
        // legend inside the plot would hide the data it explains).
        auto* header = new QCPLayoutGrid;
        plot_->plotLayout()->addElement(2 * i, 0, header);
        headers_.push_back(header);
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
    plot_->plotLayout()->setRowStretchFactor(7, 1.5);
    processRect_ = rects[0];
    queueRect_ = rects[1];
    lockRect_ = rects[2];
    poolRect_ = rects[3];
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);

    processRect_->axis(QCPAxis::atLeft)->setRangeReversed(true);
    processRect_->axis(QCPAxis::atLeft)->setTicker(QSharedPointer<QCPAxisTickerText>::create());
    processRect_->axis(QCPAxis::atLeft)->grid()->setVisible(false);
    timelinePlottable_ = new TimelinePlottable(processRect_->axis(QCPAxis::atBottom),
                                               processRect_->axis(QCPAxis::atLeft), timeline_);

    // Few ticks on the short value axes: numbers that a class can read, not a picket fence.
    for (QCPAxis* axis : {queueRect_->axis(QCPAxis::atLeft), queueRect_->axis(QCPAxis::atRight),
                          lockRect_->axis(QCPAxis::atLeft), poolRect_->axis(QCPAxis::atLeft),
                          poolRect_->axis(QCPAxis::atRight)}) {
        axis->ticker()->setTickCount(3);
    }
    lockRect_->axis(QCPAxis::atLeft)->ticker()->setTickCount(2);
    processRect_->axis(QCPAxis::atBottom)->setTickLabels(false);
    queueRect_->axis(QCPAxis::atBottom)->setTickLabels(false);
    queueRect_->axis(QCPAxis::atLeft)->setLabel(tr("items"));
    queueRect_->axis(QCPAxis::atRight)->setVisible(true);
    queueRect_->axis(QCPAxis::atRight)->setLabel(tr("pipe KiB"));
    lockRect_->axis(QCPAxis::atLeft)->setLabel(tr("ms"));
    poolRect_->axis(QCPAxis::atLeft)->setLabel(tr("% busy"));
    poolRect_->axis(QCPAxis::atRight)->setVisible(true);
    poolRect_->axis(QCPAxis::atRight)->setLabel(tr("tasks/s"));

    // The playhead and the veil over the not-yet-played part lie above the graphs.
    // Each on its own paint buffer: a scrub redraws these two layers, not the graphs below them.
    plot_->addLayer(QStringLiteral("timeline"), plot_->layer(QStringLiteral("main")), QCustomPlot::limAbove);
    plot_->addLayer(QStringLiteral("playhead"), plot_->layer(QStringLiteral("timeline")),
                    QCustomPlot::limAbove);
    timelineLayer_ = plot_->layer(QStringLiteral("timeline"));
    playheadLayer_ = plot_->layer(QStringLiteral("playhead"));
    timelineLayer_->setMode(QCPLayer::lmBuffered);
    playheadLayer_->setMode(QCPLayer::lmBuffered);
    timelinePlottable_->setLayer(timelineLayer_);
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
    // The pool plot takes room only when the trace has a pool.
    poolShown_ = true;
    showPoolPlot(false);

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
    connect(&session_, &TraceSession::positionChanged, this, [this] { playheadDirty_ = true; });
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
    for (QCPAxisRect* rect : {processRect_, queueRect_, lockRect_, poolRect_}) {
        if (rect != source) {
            rect->axis(QCPAxis::atBottom)->setRange(range);
        }
    }
    syncing_ = false;
    // The series are sampled for the visible window: a zoom or a pan samples them again.
    seriesDirty_ = dirty_ = true;
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
    for (QCPAxisRect* rect : {processRect_, queueRect_, lockRect_, poolRect_}) {
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

    // Every series is sampled for the visible window only, at about one point per pixel column.
    const QCPRange window = processRect_->axis(QCPAxis::atBottom)->range();
    const std::int64_t t0 = std::max(data.startNs(), data.fromSeconds(window.lower));
    const std::int64_t t1 = std::max(t0 + 1, data.fromSeconds(window.upper));
    const int columns = std::clamp(queueRect_->width(), 100, 4000);
    const SeriesSampler sampler(data.startNs(), t0, t1, data.endNs(), columns);

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
        // Each pixel column keeps its peak: a filled step polygon of 100 000 points costs the
        // raster engine far more than a frame, and a short spike must stay visible.
        const SampledSeries level = sampler.levels(samples);
        for (qsizetype i = 0; i < level.keys.size(); ++i) {
            maxDepth = std::max(maxDepth, level.values[i]);
            maxKiB = std::max(maxKiB, level.values2[i]);
        }
        pipe->setData(level.keys, level.values2, true);
        if (isQueue) {
            QCPGraph* depth = ensureGraph(plot_, queueRect_, queueRect_->axis(QCPAxis::atLeft),
                                          tr("items (%1)").arg(name), legends_[queueRect_]);
            depth->setPen(QPen(colourIndex == 0 ? kDepth : kDepth.lighter(100 + 30 * colourIndex),
                               presentation_ ? 4 : 3));
            depth->setLineStyle(QCPGraph::lsStepLeft);
            depth->setData(level.keys, level.values, true);
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

    // Locks: every acquisition's wait and every release's hold, in ms (each column's longest
    // when there are more than the plot can show).
    QVector<double> waitKeys, waits, holdKeys, holds;
    double maxMs = 0.1;
    QStringList lockNames;
    const SeriesSampler lockSampler(data.startNs(), t0, t1, data.endNs(), std::max(50, columns / 3));
    for (const auto& [lock, samples] : data.lockSamples()) {
        lockNames << data.objectName(lock);
        const SampledSeries w = lockSampler.lockTimes(samples, true);
        const SampledSeries h = lockSampler.lockTimes(samples, false);
        waitKeys << w.keys;
        waits << w.values;
        holdKeys << h.keys;
        holds << h.values;
    }
    for (double v : waits) {
        maxMs = std::max(maxMs, v);
    }
    for (double v : holds) {
        maxMs = std::max(maxMs, v);
    }
    if (!lockNames.isEmpty()) {
        const QString names = lockNames.size() <= 3 ? lockNames.join(QStringLiteral(", "))
                                                    : tr("%n locks", nullptr, int(lockNames.size()));
        QCPGraph* hold = ensureGraph(plot_, lockRect_, lockRect_->axis(QCPAxis::atLeft),
                                     tr("held (%1)").arg(names), legends_[lockRect_]);
        hold->setPen(QPen(kHold, presentation_ ? 3 : 2));
        hold->setLineStyle(QCPGraph::lsImpulse);
        // A marker on each line while they are few enough to tell apart; thousands of
        // overlapping markers say nothing and cost a frame.
        const bool markers = holdKeys.size() + waitKeys.size() <= 400;
        hold->setScatterStyle(markers ? QCPScatterStyle(QCPScatterStyle::ssSquare, presentation_ ? 10 : 7)
                                      : QCPScatterStyle(QCPScatterStyle::ssNone));
        hold->setData(holdKeys, holds, lockNames.size() == 1);
        QCPGraph* wait = ensureGraph(plot_, lockRect_, lockRect_->axis(QCPAxis::atLeft),
                                     tr("waited (%1)").arg(names), legends_[lockRect_]);
        wait->setPen(QPen(kWait, presentation_ ? 3 : 2));
        wait->setLineStyle(QCPGraph::lsImpulse);
        wait->setScatterStyle(markers ? QCPScatterStyle(QCPScatterStyle::ssDisc, presentation_ ? 11 : 8)
                                      : QCPScatterStyle(QCPScatterStyle::ssNone));
        wait->setData(waitKeys, waits, lockNames.size() == 1);
    }
    lockRect_->axis(QCPAxis::atLeft)->setRange(0, maxMs * 1.2);

    // Pools: how many workers are busy (of the pool's size) and how many tasks finish a second.
    showPoolPlot(!data.poolSamples().empty());
    // A plot with nothing to show keeps its place (the class knows where to look) but gives
    // its height to those that have something.
    plot_->plotLayout()->setRowStretchFactor(3, data.levels().empty() ? 0.5 : 2);
    plot_->plotLayout()->setRowStretchFactor(5, data.lockSamples().empty() ? 0.5 : 1.5);
    double maxRate = 1;
    colourIndex = 0;
    for (const auto& [pool, samples] : data.poolSamples()) {
        const QString name = data.objectName(pool);
        const auto info = data.object(pool);
        int size = info ? int(info->capacity) : 0;
        if (size <= 0) { // an unregistered pool: its size is the most workers ever busy at once
            for (const PoolPoint& p : samples) {
                size = std::max(size, p.busy);
            }
        }
        const QColor busyColour = colourIndex == 0 ? kBusy : kBusy.lighter(100 + 30 * colourIndex);
        QCPGraph* busy = ensureGraph(plot_, poolRect_, poolRect_->axis(QCPAxis::atLeft),
                                     tr("busy of %1 workers (%2)").arg(size).arg(name), legends_[poolRect_]);
        busy->setPen(QPen(busyColour, presentation_ ? 3 : 2));
        busy->setBrush(QColor(busyColour.red(), busyColour.green(), busyColour.blue(), 50));
        busy->setLineStyle(QCPGraph::lsStepLeft);
        const SampledSeries u = sampler.utilisation(samples, size);
        busy->setData(u.keys, u.values, true);
        QCPGraph* rate = ensureGraph(plot_, poolRect_, poolRect_->axis(QCPAxis::atRight),
                                     tr("tasks/s (%1)").arg(name), legends_[poolRect_]);
        rate->setPen(
            QPen(colourIndex == 0 ? kRate : kRate.lighter(100 + 30 * colourIndex), presentation_ ? 4 : 3));
        rate->setLineStyle(QCPGraph::lsStepLeft);
        const SampledSeries r = sampler.throughput(samples, 60);
        rate->setData(r.keys, r.values, true);
        for (double v : r.values) {
            maxRate = std::max(maxRate, v);
        }
        ++colourIndex;
    }
    poolRect_->axis(QCPAxis::atLeft)->setRange(0, 115);
    poolRect_->axis(QCPAxis::atRight)->setRange(0, maxRate * 1.15);
}

void PlotsView::showPoolPlot(bool show) {
    if (show == poolShown_) {
        return;
    }
    poolShown_ = show;
    QCPLayoutGrid* layout = plot_->plotLayout();
    QCPLayoutGrid* header = headers_.back();
    if (show) {
        layout->addElement(layout->rowCount(), 0, header);
        layout->addElement(layout->rowCount(), 0, poolRect_);
        layout->setRowStretchFactor(layout->rowCount() - 2, 0.001);
        layout->setRowStretchFactor(layout->rowCount() - 1, 2);
    } else {
        layout->take(header);
        layout->take(poolRect_);
        layout->simplify();
    }
    header->setVisible(show);
    for (int i = 0; i < header->elementCount(); ++i) {
        if (header->elementAt(i) != nullptr) {
            header->elementAt(i)->setVisible(show);
        }
    }
    poolRect_->setVisible(show);
    playheads_.back()->setVisible(show);
    veils_.back()->setVisible(show);
    // One time axis: the upper plots keep its grid but leave the numbers to the bottom one.
    lockRect_->axis(QCPAxis::atBottom)->setTickLabels(!show);
    lockRect_->axis(QCPAxis::atBottom)->setLabel(show ? QString() : tr("seconds since the run started"));
    poolRect_->axis(QCPAxis::atBottom)->setLabel(show ? tr("seconds since the run started") : QString());
    dirty_ = true;
}

void PlotsView::updatePlayhead() {
    const TraceData& data = session_.data();
    const double now = data.isEmpty() ? 0 : data.toSeconds(session_.position());
    const double end = data.isEmpty() ? 0 : data.toSeconds(data.endNs());
    const bool atEnd = now >= end;
    for (auto* line : playheads_) {
        line->point1->setCoords(now, 0);
        line->point2->setCoords(now, 1);
        line->setVisible(!data.isEmpty() && (line != playheads_.back() || poolShown_));
    }
    for (auto* veil : veils_) {
        veil->topLeft->setCoords(now, 0);
        veil->setVisible(!atEnd && (veil != veils_.back() || poolShown_));
    }
    timelinePlottable_->setNow(session_.position());
}

void PlotsView::refresh() {
    if ((!dirty_ && !playheadDirty_) || !isVisible()) {
        return;
    }
    if (!dirty_ && replots_ > 0) {
        // Only the playhead moved (a scrub, playback): the graphs' buffer stays as it is; the
        // process timeline (drawn up to the playhead) and the playhead layer are drawn again.
        playheadDirty_ = false;
        QElapsedTimer clock;
        clock.start();
        updatePlayhead();
        timelineLayer_->replot();
        playheadLayer_->replot();
        ++replots_;
        lastReplotMs_ = clock.elapsed();
        refreshTimer_.setInterval(std::max<int>(kRefreshMs, int(2 * lastReplotMs_)));
        return;
    }
    dirty_ = playheadDirty_ = false;
    if (autoRange_) { // before the series: they are sampled for this window
        const TraceData& data = session_.data();
        const double end = data.isEmpty() ? 1.0 : std::max(data.toSeconds(data.endNs()), 1e-3);
        processRect_->axis(QCPAxis::atBottom)->setRange(-end * 0.01, end * 1.02);
    }
    if (seriesDirty_) {
        seriesDirty_ = false;
        // Graph removal happens on a new trace only, so a live run keeps its graphs.
        if (session_.data().isEmpty()) {
            for (int i = plot_->graphCount() - 1; i >= 0; --i) {
                // QCustomPlot takes a removed graph out of its own legend only: the item in a
                // header's legend would keep pointing at the deleted graph.
                QCPGraph* graph = plot_->graph(i);
                for (const auto& [rect, legend] : legends_) {
                    graph->removeFromLegend(legend);
                }
                plot_->removeGraph(graph);
            }
        }
        rebuildSeries();
    }
    updatePlayhead();
    QElapsedTimer clock;
    clock.start();
    plot_->replot(QCustomPlot::rpImmediateRefresh);
    ++replots_;
    lastReplotMs_ = clock.elapsed();
    replotEvents_ = session_.data().events().size();
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
