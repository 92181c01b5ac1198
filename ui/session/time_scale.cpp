#include "time_scale.h"

#include <algorithm>
#include <cmath>

namespace forkscope {

TimeScale::TimeScale(double start, double end, double pixelLeft, double pixelWidth)
    : start_(start), end_(end > start ? end : start + 1e-9), left_(pixelLeft),
      width_(pixelWidth > 1 ? pixelWidth : 1) {}

double TimeScale::toPixel(double t) const noexcept {
    return left_ + (t - start_) / span() * width_;
}

double TimeScale::toTime(double pixel) const noexcept {
    return start_ + (pixel - left_) / width_ * span();
}

double TimeScale::toTimeClamped(double pixel) const noexcept {
    return std::clamp(toTime(pixel), start_, end_);
}

void TimeScale::zoomAt(double pixel, double factor, double minSpan) {
    if (factor <= 0) {
        return;
    }
    const double anchor = toTime(pixel);
    const double newSpan = std::max(span() / factor, minSpan);
    const double fraction = (pixel - left_) / width_;
    start_ = anchor - fraction * newSpan;
    end_ = start_ + newSpan;
}

void TimeScale::panBy(double pixels) {
    const double dt = pixels / width_ * span();
    start_ -= dt;
    end_ -= dt;
}

double TimeScale::niceStep(double span, int maxTicks) {
    if (span <= 0 || maxTicks < 1) {
        return 1;
    }
    const double raw = span / maxTicks;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
        if (m * magnitude >= raw) {
            return m * magnitude;
        }
    }
    return 10 * magnitude;
}

} // namespace forkscope
