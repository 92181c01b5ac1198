#pragma once

#include <QWidget>
#include <vector>

namespace forkscope {

class TraceSession;
class TimeScale;

/// The scrub bar: the whole trace from left to right, a strip showing where events happen (so
/// the eye finds the busy moments), and the playhead. Click or drag to move the playhead.
class ScrubBar : public QWidget {
    Q_OBJECT
public:
    static constexpr int kMargin = 10;

    explicit ScrubBar(TraceSession& session, QWidget* parent = nullptr);

    [[nodiscard]] QSize sizeHint() const override { return {400, 34}; }
    /// The time↔pixel mapping currently used (the whole trace over the bar's width).
    [[nodiscard]] TimeScale scale() const;

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    void scrubTo(double pixel);
    /// Events per pixel column, counted again only when the trace grew or the bar was resized
    /// (a scrub repaints the bar at every move).
    const std::vector<int>& density(int columns);

    TraceSession& session_;
    std::vector<int> density_;
    std::size_t densityEvents_ = 0;
};

} // namespace forkscope
