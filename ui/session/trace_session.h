#pragma once

#include "models/trace_data.h"

#include <QElapsedTimer>
#include <QObject>
#include <QThread>
#include <QTimer>

namespace forkscope {

class TraceFollower;

/// One trace on screen and its playback clock. It owns the follower thread (all file reading
/// happens there), the TraceData the models read, and the playhead every view follows: play,
/// pause, speed (0.1× to 10×), scrub, step to the next/previous event. A live run is the same
/// thing as a recording that keeps growing: the playhead then sticks to the end.
class TraceSession : public QObject {
    Q_OBJECT
public:
    static constexpr double kMinSpeed = 0.1;
    static constexpr double kMaxSpeed = 10.0;
    static constexpr int kFrameMs = 16;

    explicit TraceSession(QObject* parent = nullptr);
    ~TraceSession() override;

    [[nodiscard]] TraceData& data() noexcept { return data_; }
    [[nodiscard]] const TraceData& data() const noexcept { return data_; }

    /// A finished recording: shown whole, playhead at the end, paused.
    void openRecording(const QString& path);
    /// A file a session host is writing right now (it may not exist yet).
    void followLive(const QString& path);
    void close();
    [[nodiscard]] const QString& path() const noexcept { return path_; }
    [[nodiscard]] bool isLive() const noexcept { return live_; }

    [[nodiscard]] std::int64_t position() const noexcept { return position_; }
    [[nodiscard]] bool isPlaying() const noexcept { return playing_; }
    [[nodiscard]] double speed() const noexcept { return speed_; }
    [[nodiscard]] bool followsEnd() const noexcept { return followEnd_; }

    void play();
    void pause();
    void togglePlay();
    void setSpeed(double speed);
    /// Scrub: the playhead goes to t (clamped to the trace) and stops following the end.
    void setPosition(std::int64_t t);
    /// Moves to the next/previous event's time; false at either end.
    bool stepNext();
    bool stepPrevious();
    /// Advances the clock as if `ms` milliseconds of wall time had passed (the frame timer
    /// calls it; tests call it to be deterministic).
    void advance(double ms);
    /// The live run ended (the host exited): the playhead stops following a file that will
    /// not grow any more once the follower read its end.
    void setLive(bool live);

Q_SIGNALS:
    void positionChanged(qint64 position);
    void playingChanged(bool playing);
    void speedChanged(double speed);
    void opened(const QString& path);
    void failed(const QString& message);

    // To the follower thread (queued).
    void followerOpen(const QString& path, bool waitForFile, quint64 generation);
    void followerClose();

private:
    void onUpdate(const forkscope::TraceUpdatePtr& update);
    void onFrame();
    void movePosition(std::int64_t t);

    TraceData data_;
    QThread thread_;
    TraceFollower* follower_ = nullptr;
    QTimer frameTimer_;
    QElapsedTimer frameClock_;
    QString path_;
    quint64 generation_ = 0; ///< bumped by every open/close; older updates are ignored
    bool live_ = false;
    std::int64_t position_ = 0;
    bool playing_ = false;
    double speed_ = 1.0;
    bool followEnd_ = true;
};

} // namespace forkscope
