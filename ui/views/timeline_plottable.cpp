#include "timeline_plottable.h"

#include "models/narrator.h"
#include "models/process_timeline_model.h"
#include "models/trace_data.h"

#include <QImage>
#include <algorithm>
#include <cmath>
#include <vector>

namespace forkscope {

namespace {

/// Of two phases seen in one pixel column, the one a viewer must not miss: a zombie, then a
/// blocked process, then a running one. Reaped (gone) tells nothing once something else was seen.
ProcessPhase moreTelling(ProcessPhase a, ProcessPhase b) {
    const auto rank = [](ProcessPhase p) {
        switch (p) {
        case ProcessPhase::Zombie:
            return 4;
        case ProcessPhase::Blocked:
            return 3;
        case ProcessPhase::Running:
            return 2;
        case ProcessPhase::Created:
            return 1;
        case ProcessPhase::Reaped:
            break;
        }
        return 0;
    };
    return rank(b) > rank(a) ? b : a;
}

} // namespace

namespace {
constexpr double kHalfBar = 0.34; // of a row's height
}

TimelinePlottable::TimelinePlottable(QCPAxis* keyAxis, QCPAxis* valueAxis, const ProcessTimelineModel& model)
    : QCPAbstractPlottable(keyAxis, valueAxis), model_(model) {
    setSelectable(QCP::stNone);
}

template <typename Fn> void TimelinePlottable::forEachSegment(Fn&& fn) const {
    // Only the visible window, and at most one segment starting in each pixel column: a row of
    // 100 000 phase changes costs as much as its width in pixels, not its length.
    const TraceData& data = model_.traceData();
    const QCPRange range = mKeyAxis->range();
    const std::int64_t from = data.fromSeconds(range.lower);
    const std::int64_t to = std::min(nowNs_, data.fromSeconds(range.upper));
    const double pixels =
        std::max(1.0, std::abs(mKeyAxis->coordToPixel(range.upper) - mKeyAxis->coordToPixel(range.lower)));
    const auto nsPerPixel = static_cast<std::int64_t>(range.size() * 1e9 / pixels);
    const auto& pids = model_.pids();
    for (std::size_t row = 0; row < pids.size(); ++row) {
        const auto& changes = model_.phasesOf(pids[row]);
        const auto byTime = [](std::int64_t x, const PhaseChange& c) { return x < c.ts; };
        auto first = std::upper_bound(changes.begin(), changes.end(), from, byTime);
        std::size_t i = first == changes.begin() ? 0 : std::size_t(first - changes.begin()) - 1;
        while (i < changes.size() && changes[i].ts <= to) {
            const std::int64_t end = i + 1 < changes.size() ? std::min(changes[i + 1].ts, nowNs_) : nowNs_;
            fn(Segment{changes[i], end, static_cast<int>(row)});
            std::size_t next = i + 1;
            if (end - changes[i].ts < nsPerPixel) {
                // The rest of this pixel column is drawn over anyway: go to the phase in force
                // at the next column.
                auto column = std::upper_bound(changes.begin() + std::ptrdiff_t(next), changes.end(),
                                               changes[i].ts + nsPerPixel, byTime);
                next = std::max(next, std::size_t(column - changes.begin()) - 1);
            }
            i = next;
        }
    }
}

QRectF TimelinePlottable::segmentRect(const Segment& s) const {
    const TraceData& data = model_.traceData();
    const double x0 = mKeyAxis->coordToPixel(data.toSeconds(s.phase.ts));
    const double x1 = mKeyAxis->coordToPixel(data.toSeconds(s.endNs));
    const double y0 = mValueAxis->coordToPixel(s.row - kHalfBar);
    const double y1 = mValueAxis->coordToPixel(s.row + kHalfBar);
    // At least 2 px wide, so a short zombie spell never disappears.
    return QRectF(QPointF(x0, y0), QPointF(std::max(x1, x0 + 2), y1)).normalized();
}

void TimelinePlottable::draw(QCPPainter* painter) {
    const QRect clip = clipRect();
    if (clip.isEmpty()) {
        return;
    }
    QFont font = mParentPlot->font();
    // Labels shrink to fit a bar when there are many rows; below a legible size they are left out.
    const double barHeight =
        std::abs(mValueAxis->coordToPixel(kHalfBar) - mValueAxis->coordToPixel(-kHalfBar));
    const int pixelSize = std::min(QFontMetrics(font).height(), int(barHeight * 0.8));
    const bool labels = pixelSize >= 10;
    font.setPixelSize(std::max(pixelSize, 1));
    painter->setFont(font);
    const QFontMetrics metrics(font);
    const TraceData& data = model_.traceData();

    // The bars: each row is one line of pixels, the colour of each pixel column being the phase
    // in force at the column's start, stretched to the bar's height in one drawImage. The phase
    // of the next column is found by galloping forward from the current one (a few nearby
    // comparisons), so a row costs its width in pixels, not its number of phase changes: a
    // 10-million-event trace has ~100 000 of them on screen. A phase shorter than a column is
    // not lost: a column takes the most telling phase that began in it (zombie, then blocked),
    // so a zombie that lasted a microsecond still shows when the whole run fits on the screen.
    const double scale = std::max(1.0, painter->transform().m11()); // device pixels (HiDPI, 2× export)
    const int width = int(std::ceil(clip.width() * scale));
    const double px0 = mKeyAxis->coordToPixel(0.0);
    const double pxPerSecond = mKeyAxis->coordToPixel(1.0) - px0;
    if (width <= 0 || pxPerSecond <= 0) {
        return;
    }
    auto columnTime = [&](int c) { return data.fromSeconds((clip.left() + c / scale - px0) / pxPerSecond); };
    std::vector<std::pair<Segment, QRectF>> overlays; // zombies and bars wide enough for a word
    QImage line(width, 1, QImage::Format_ARGB32_Premultiplied);
    const auto& pids = model_.pids();
    for (std::size_t row = 0; row < pids.size(); ++row) {
        const auto& changes = model_.phasesOf(pids[row]);
        if (changes.empty()) {
            continue;
        }
        line.fill(Qt::transparent);
        auto* pixels = reinterpret_cast<QRgb*>(line.scanLine(0));
        const auto byTime = [](std::int64_t x, const PhaseChange& c) { return x < c.ts; };
        // i: the change in force at the current column (-1: the process is not known yet).
        std::ptrdiff_t i =
            (std::upper_bound(changes.begin(), changes.end(), columnTime(0), byTime) - changes.begin()) - 1;
        const auto n = std::ptrdiff_t(changes.size());
        std::ptrdiff_t runIndex = -2;
        int runStart = 0;
        auto closeRun = [&](int end) {
            if (runIndex < 0) {
                return;
            }
            const PhaseChange& c = changes[std::size_t(runIndex)];
            const bool zombie = c.phase == ProcessPhase::Zombie;
            if (zombie || (labels && (end - runStart) / scale >= 24)) {
                const Segment seg{
                    c, runIndex + 1 < n ? std::min(changes[std::size_t(runIndex + 1)].ts, nowNs_) : nowNs_,
                    int(row)};
                overlays.emplace_back(seg, segmentRect(seg).intersected(clip));
            }
        };
        int c = 0;
        for (; c < width; ++c) {
            const std::int64_t t = columnTime(c);
            if (t > nowNs_) {
                break; // nothing after the playhead
            }
            const std::ptrdiff_t previous = i;
            if (i + 1 < n && changes[std::size_t(i + 1)].ts <= t) {
                // Gallop: 1, 2, 4, ... changes ahead until past t, then a binary search in the gap.
                std::ptrdiff_t step = 1;
                std::ptrdiff_t lo = i + 1;
                while (lo + step < n && changes[std::size_t(lo + step)].ts <= t) {
                    lo += step;
                    step *= 2;
                }
                const auto hi = std::min(n, lo + step);
                i = (std::upper_bound(changes.begin() + lo, changes.begin() + hi, t, byTime) -
                     changes.begin()) -
                    1;
            }
            if (i != runIndex) {
                closeRun(c);
                runIndex = i;
                runStart = c;
            }
            ProcessPhase shown = i >= 0 ? changes[std::size_t(i)].phase : ProcessPhase::Reaped;
            for (std::ptrdiff_t k = std::max<std::ptrdiff_t>(previous + 1, 0); k < i; ++k) {
                // The phases that began and ended since the previous column.
                shown = moreTelling(shown, changes[std::size_t(k)].phase);
            }
            if (shown != ProcessPhase::Reaped) {
                // Reaped: gone; an empty row after its end reads better than a grey bar.
                pixels[c] = ProcessTimelineModel::phaseColor(shown, highContrast_).rgba();
            }
        }
        closeRun(c);
        const double y0 = mValueAxis->coordToPixel(double(row) - kHalfBar);
        const double y1 = mValueAxis->coordToPixel(double(row) + kHalfBar);
        painter->drawImage(QRectF(clip.left(), std::min(y0, y1), clip.width(), std::abs(y1 - y0)), line);
    }

    for (const auto& [s, r] : overlays) {
        if (r.isEmpty()) {
            continue;
        }
        const QColor colour = ProcessTimelineModel::phaseColor(s.phase.phase, highContrast_);
        QString label;
        if (s.phase.phase == ProcessPhase::Zombie) {
            painter->setPen(Qt::NoPen);
            painter->setBrush(QBrush(highContrast_ ? Qt::white : Qt::black, Qt::BDiagPattern));
            painter->drawRect(r);
            label = QStringLiteral("ZOMBIE");
        } else if (s.phase.phase == ProcessPhase::Blocked) {
            label = Narrator(data).describeWait(s.phase.blockedBy, s.phase.blockedOn);
        } else if (s.phase.phase == ProcessPhase::Running) {
            label = ProcessTimelineModel::phaseLabel(s.phase.phase);
        }
        if (labels && !label.isEmpty()) {
            const QRectF visible = r.intersected(clip);
            const QString text = metrics.elidedText(label, Qt::ElideRight, int(visible.width()) - 8);
            if (text.size() > 3) {
                const bool darkText = s.phase.phase != ProcessPhase::Zombie;
                painter->setPen(darkText ? Qt::black : Qt::white);
                if (s.phase.phase == ProcessPhase::Zombie) {
                    // A solid plate under the word, so the hatching does not eat the letters.
                    const QRectF plate(visible.left() + 2, visible.center().y() - metrics.height() / 2.0,
                                       metrics.horizontalAdvance(text) + 8, metrics.height());
                    painter->fillRect(plate, colour.darker(130));
                    font.setBold(true);
                    painter->setFont(font);
                }
                painter->drawText(visible.adjusted(6, 0, -2, 0), Qt::AlignVCenter | Qt::AlignLeft, text);
                font.setBold(false);
                painter->setFont(font);
            }
        }
    }
}

void TimelinePlottable::drawLegendIcon(QCPPainter* painter, const QRectF& rect) const {
    painter->fillRect(rect, ProcessTimelineModel::phaseColor(ProcessPhase::Running, highContrast_));
}

std::optional<TimelinePlottable::Segment> TimelinePlottable::segmentAt(const QPointF& pixel) const {
    std::optional<Segment> hit;
    forEachSegment([&](const Segment& s) {
        if (!hit && segmentRect(s).contains(pixel)) {
            hit = s;
        }
    });
    return hit;
}

double TimelinePlottable::selectTest(const QPointF& pos, bool onlySelectable, QVariant*) const {
    if (onlySelectable && !selectable()) {
        return -1;
    }
    return segmentAt(pos) ? 0 : -1;
}

QCPRange TimelinePlottable::getKeyRange(bool& foundRange, QCP::SignDomain) const {
    const TraceData& data = model_.traceData();
    foundRange = !data.isEmpty();
    return QCPRange(0, data.isEmpty() ? 1 : data.toSeconds(data.endNs()));
}

QCPRange TimelinePlottable::getValueRange(bool& foundRange, QCP::SignDomain, const QCPRange&) const {
    foundRange = !model_.pids().empty();
    return QCPRange(-0.5, static_cast<double>(model_.pids().size()) - 0.5);
}

} // namespace forkscope
