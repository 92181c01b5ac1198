#include "trace_session.h"

#include "models/trace_follower.h"

#include <algorithm>

namespace forkscope {

TraceSession::TraceSession(QObject* parent) : QObject(parent) {
    qRegisterMetaType<forkscope::TraceUpdatePtr>();
    follower_ = new TraceFollower;
    follower_->moveToThread(&thread_);
    connect(this, &TraceSession::followerOpen, follower_, &TraceFollower::open);
    connect(this, &TraceSession::followerClose, follower_, &TraceFollower::close);
    connect(follower_, &TraceFollower::updated, this, &TraceSession::onUpdate);
    connect(follower_, &TraceFollower::failed, this, &TraceSession::failed);
    thread_.setObjectName(QStringLiteral("trace follower"));
    thread_.start();
    frameTimer_.setInterval(kFrameMs);
    connect(&frameTimer_, &QTimer::timeout, this, &TraceSession::onFrame);
}

TraceSession::~TraceSession() {
    thread_.quit();
    thread_.wait();
    // The thread is gone, so nothing else can touch the follower: deleting it here closes its
    // reader (SQLite then removes the -wal/-shm files of a finished trace).
    delete follower_;
}

void TraceSession::openRecording(const QString& path) {
    pause();
    path_ = path;
    live_ = false;
    followEnd_ = true;
    data_.clear();
    movePosition(0);
    Q_EMIT followerOpen(path, false, ++generation_);
    Q_EMIT opened(path);
}

void TraceSession::followLive(const QString& path) {
    pause();
    path_ = path;
    live_ = true;
    followEnd_ = true;
    data_.clear();
    movePosition(0);
    Q_EMIT followerOpen(path, true, ++generation_);
    Q_EMIT opened(path);
}

void TraceSession::close() {
    pause();
    path_.clear();
    live_ = false;
    data_.clear();
    ++generation_;
    Q_EMIT followerClose();
    movePosition(0);
}

void TraceSession::setLive(bool live) {
    live_ = live;
}

void TraceSession::onUpdate(const forkscope::TraceUpdatePtr& update) {
    follower_->consumed(); // thread-safe: lets the follower read the next batch
    if (update->generation != generation_) {
        return; // a late batch of the file shown before
    }
    data_.apply(*update);
    if (followEnd_) {
        movePosition(data_.endNs());
    }
}

void TraceSession::movePosition(std::int64_t t) {
    if (t != position_) {
        position_ = t;
        Q_EMIT positionChanged(t);
    }
}

void TraceSession::play() {
    if (playing_ || data_.isEmpty()) {
        return;
    }
    if (!live_ && position_ >= data_.endNs()) {
        movePosition(data_.startNs()); // replay a finished recording from its start
    }
    followEnd_ = false;
    playing_ = true;
    frameClock_.start();
    frameTimer_.start();
    Q_EMIT playingChanged(true);
}

void TraceSession::pause() {
    if (!playing_) {
        return;
    }
    playing_ = false;
    frameTimer_.stop();
    Q_EMIT playingChanged(false);
}

void TraceSession::togglePlay() {
    playing_ ? pause() : play();
}

void TraceSession::setSpeed(double speed) {
    speed = std::clamp(speed, kMinSpeed, kMaxSpeed);
    if (speed != speed_) {
        speed_ = speed;
        Q_EMIT speedChanged(speed);
    }
}

void TraceSession::setPosition(std::int64_t t) {
    followEnd_ = false;
    if (!data_.isEmpty()) {
        t = std::clamp(t, data_.startNs(), data_.endNs());
    }
    movePosition(t);
}

bool TraceSession::stepNext() {
    const auto& events = data_.events();
    const std::size_t next = events.upperBound(position_);
    if (next == events.size()) {
        return false;
    }
    pause();
    setPosition(events[next].ts);
    return true;
}

bool TraceSession::stepPrevious() {
    const auto& events = data_.events();
    const std::size_t at = events.lowerBound(position_);
    if (at == 0) {
        return false;
    }
    pause();
    setPosition(events[at - 1].ts);
    return true;
}

void TraceSession::advance(double ms) {
    if (data_.isEmpty()) {
        return;
    }
    const auto next = position_ + static_cast<std::int64_t>(ms * 1e6 * speed_);
    if (next >= data_.endNs()) {
        movePosition(data_.endNs());
        if (live_) {
            followEnd_ = true; // caught up with a live run: follow it again
        } else {
            pause();
        }
        return;
    }
    movePosition(next);
}

void TraceSession::onFrame() {
    const double ms = static_cast<double>(frameClock_.nsecsElapsed()) / 1e6;
    frameClock_.restart();
    advance(ms);
}

} // namespace forkscope
