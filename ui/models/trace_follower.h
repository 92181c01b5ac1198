#pragma once

#include "trace/state_model.h"
#include "trace/trace_reader.h"
#include "trace_update.h"

#include <QObject>
#include <QString>
#include <QTimer>
#include <atomic>
#include <map>
#include <memory>
#include <set>

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
    /// Batches handed to the GUI thread and not applied yet, at most: a big recording is read
    /// as fast as the GUI takes it, not faster.
    static constexpr int kMaxInFlight = 2;
    static constexpr int kRetryMs = 2;

    explicit TraceFollower(QObject* parent = nullptr);
    ~TraceFollower() override;

public Q_SLOTS:
    /// Starts following `path`. `waitForFile`: a live run whose host has not created it yet.
    void open(const QString& path, bool waitForFile, quint64 generation = 0);
    void close();
    /// One poll (the timer calls it; tests may too).
    void poll();

public:
    /// The receiver applied one update (any thread): the follower may read the next batch.
    void consumed() noexcept;

Q_SIGNALS:
    void updated(forkscope::TraceUpdatePtr update);
    void failed(const QString& message);

private:
    void tryOpen();
    void trackPhase(std::int32_t pid, std::int64_t ts, TraceUpdate& update);
    void trackPhases(const Event& e, TraceUpdate& update);
    void trackPool(const Event& e, TraceUpdate& update);

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
    std::atomic<int> inFlight_{0};
    bool retryPending_ = false;
    std::map<std::uint64_t, std::set<std::int32_t>> busyWorkers_; ///< per pool: workers running a task
    /// Per queue whose feeder is blocked in a write: its pipe's capacity (QueueFeederBlocked's aux).
    std::map<std::uint64_t, std::int64_t> blockedPipeCapacity_;
};

} // namespace forkscope
