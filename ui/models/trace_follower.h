#pragma once

#include "trace/state_model.h"
#include "trace/trace_reader.h"
#include "trace_update.h"

#include <QObject>
#include <QString>
#include <QTimer>
#include <memory>

namespace forkscope {

/// Follows a .fstrace file from a worker thread: polls it ~30 times a second, replays the new
/// events through the same StateModel the writer uses for keyframes, and hands the GUI thread
/// ready-made increments (TraceUpdate). A file that is still being written (a live run) is read
/// while it grows; one that does not exist yet is retried until it appears (the host creates it).
///
/// Lives in its own QThread: every call here is a queued slot, so nothing blocks the GUI.
class TraceFollower : public QObject {
    Q_OBJECT
public:
    static constexpr std::size_t kBatchEvents = 50'000; ///< per update, so a big file loads progressively
    static constexpr int kPollMs = 33;

    explicit TraceFollower(QObject* parent = nullptr);
    ~TraceFollower() override;

public Q_SLOTS:
    /// Starts following `path`. `waitForFile`: a live run whose host has not created it yet.
    void open(const QString& path, bool waitForFile, quint64 generation = 0);
    void close();
    /// One poll (the timer calls it; tests may too).
    void poll();

Q_SIGNALS:
    void updated(forkscope::TraceUpdatePtr update);
    void failed(const QString& message);

private:
    void tryOpen();
    void trackPhases(std::int64_t ts, TraceUpdate& update);

    QTimer* timer_ = nullptr;
    QString path_;
    bool waitForFile_ = false;
    quint64 generation_ = 0;
    std::unique_ptr<TraceReader> reader_;
    StateModel model_;
    std::uint64_t lastSeq_ = 0;
    bool sentFirst_ = false;
    bool finishedSent_ = false;
    std::size_t processCount_ = 0;
    std::size_t objectCount_ = 0;
    std::size_t metaCount_ = 0;
    std::map<std::int32_t, PhaseChange> lastPhase_;
};

} // namespace forkscope
