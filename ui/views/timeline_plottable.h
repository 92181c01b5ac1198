#pragma once

#include "models/trace_update.h"
#include "qcustomplot_include.h"

#include <optional>

namespace forkscope {

class ProcessTimelineModel;

/// The process timeline drawn inside a QCustomPlot axis rect: one row per process (in the
/// model's order, row 0 on top), one bar per phase, coloured by state. A zombie is a hatched
/// red bar labelled ZOMBIE; a blocked bar says what it waits for when it is wide enough.
/// Keys are seconds from the trace start; nothing after `now` is drawn.
class TimelinePlottable : public QCPAbstractPlottable {
    Q_OBJECT
public:
    struct Segment {
        PhaseChange phase;
        std::int64_t endNs = 0;
        int row = 0;
    };

    TimelinePlottable(QCPAxis* keyAxis, QCPAxis* valueAxis, const ProcessTimelineModel& model);

    void setNow(std::int64_t nowNs) { nowNs_ = nowNs; }
    void setHighContrast(bool on) { highContrast_ = on; }
    /// The bar under a pixel position (for tooltips), if any.
    [[nodiscard]] std::optional<Segment> segmentAt(const QPointF& pixel) const;

    double selectTest(const QPointF& pos, bool onlySelectable, QVariant* details = nullptr) const override;
    QCPRange getKeyRange(bool& foundRange, QCP::SignDomain inSignDomain = QCP::sdBoth) const override;
    QCPRange getValueRange(bool& foundRange, QCP::SignDomain inSignDomain = QCP::sdBoth,
                           const QCPRange& inKeyRange = QCPRange()) const override;

protected:
    void draw(QCPPainter* painter) override;
    void drawLegendIcon(QCPPainter* painter, const QRectF& rect) const override;

private:
    template <typename Fn> void forEachSegment(Fn&& fn) const;
    [[nodiscard]] QRectF segmentRect(const Segment& s) const;

    const ProcessTimelineModel& model_;
    std::int64_t nowNs_ = 0;
    bool highContrast_ = false;
};

} // namespace forkscope
