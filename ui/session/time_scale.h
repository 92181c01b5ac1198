#pragma once

namespace forkscope {

/// The time↔pixel maths of a horizontal time axis: a visible window [start, end] (seconds)
/// drawn across pixels [left, left + width]. Zooming keeps the time under the cursor where it
/// is; panning moves by whole pixels. Used by the scrub bar, and checked by the tests.
class TimeScale {
public:
    TimeScale(double start, double end, double pixelLeft, double pixelWidth);

    [[nodiscard]] double start() const noexcept { return start_; }
    [[nodiscard]] double end() const noexcept { return end_; }
    [[nodiscard]] double span() const noexcept { return end_ - start_; }

    [[nodiscard]] double toPixel(double t) const noexcept;
    [[nodiscard]] double toTime(double pixel) const noexcept;
    /// toTime, clamped into the visible window (a scrub past either end).
    [[nodiscard]] double toTimeClamped(double pixel) const noexcept;

    /// factor > 1 zooms in around the time under `pixel`; the span never falls below minSpan.
    void zoomAt(double pixel, double factor, double minSpan = 1e-6);
    /// Moves the window so that content moves right by `pixels` (drag to the right = earlier).
    void panBy(double pixels);

    /// A "nice" tick step (1, 2 or 5 × 10^k) giving at most maxTicks ticks over span.
    [[nodiscard]] static double niceStep(double span, int maxTicks);

private:
    double start_;
    double end_;
    double left_;
    double width_;
};

} // namespace forkscope
