#include "scrub_bar.h"

#include "session/time_scale.h"
#include "session/trace_session.h"

#include <QMouseEvent>
#include <QPainter>
#include <algorithm>

namespace forkscope {

ScrubBar::ScrubBar(TraceSession& session, QWidget* parent) : QWidget(parent), session_(session) {
    setMinimumHeight(28);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setCursor(Qt::PointingHandCursor);
    setToolTip(tr("Click or drag to move the playhead"));
    connect(&session_, &TraceSession::positionChanged, this, qOverload<>(&QWidget::update));
    connect(&session_.data(), &TraceData::appended, this, qOverload<>(&QWidget::update));
    connect(&session_.data(), &TraceData::cleared, this, [this] {
        density_.clear();
        update();
    });
}

TimeScale ScrubBar::scale() const {
    const TraceData& data = session_.data();
    const double end = data.isEmpty() ? 1.0 : std::max(data.toSeconds(data.endNs()), 1e-6);
    return TimeScale(0.0, end, kMargin, width() - 2 * kMargin);
}

void ScrubBar::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRectF track(kMargin, height() * 0.25, width() - 2 * kMargin, height() * 0.5);
    painter.setPen(Qt::NoPen);
    painter.setBrush(palette().color(QPalette::Mid));
    painter.drawRoundedRect(track, 4, 4);
    const TraceData& data = session_.data();
    if (data.isEmpty()) {
        return;
    }
    const TimeScale s = scale();
    const int columns = std::max(1, int(track.width()));
    const std::vector<int>& counts = density(columns);
    const int peak = std::max(1, *std::max_element(counts.begin(), counts.end()));
    for (int c = 0; c < columns; ++c) {
        if (counts[static_cast<std::size_t>(c)] == 0) {
            continue;
        }
        const double h = track.height() * (0.3 + 0.7 * counts[static_cast<std::size_t>(c)] / double(peak));
        painter.fillRect(QRectF(kMargin + c, track.bottom() - h, 1, h), palette().color(QPalette::Highlight));
    }
    const double x = s.toPixel(data.toSeconds(session_.position()));
    painter.setBrush(palette().color(QPalette::Text));
    painter.drawRect(QRectF(x - 2, 2, 4, height() - 4));
    painter.drawEllipse(QPointF(x, height() / 2.0), 6, 6);
}

const std::vector<int>& ScrubBar::density(int columns) {
    const TraceData& data = session_.data();
    const auto& events = data.events();
    if (density_.size() == std::size_t(columns) && densityEvents_ == events.size()) {
        return density_;
    }
    // One count per pixel column (events are sorted by time); huge traces are sampled.
    density_.assign(static_cast<std::size_t>(columns), 0);
    densityEvents_ = events.size();
    const TimeScale s = scale();
    const std::size_t stride = std::max<std::size_t>(1, events.size() / 200'000);
    for (std::size_t i = 0; i < events.size(); i += stride) {
        const int c = std::clamp(int(s.toPixel(data.toSeconds(events[i].ts)) - kMargin), 0, columns - 1);
        ++density_[static_cast<std::size_t>(c)];
    }
    return density_;
}

void ScrubBar::scrubTo(double pixel) {
    const TraceData& data = session_.data();
    if (data.isEmpty()) {
        return;
    }
    session_.setPosition(data.fromSeconds(scale().toTimeClamped(pixel)));
}

void ScrubBar::mousePressEvent(QMouseEvent* event) {
    session_.pause();
    scrubTo(event->position().x());
}

void ScrubBar::mouseMoveEvent(QMouseEvent* event) {
    if (event->buttons() & Qt::LeftButton) {
        scrubTo(event->position().x());
    }
}

} // namespace forkscope
