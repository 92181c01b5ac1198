#include "narrator.h"

#include "trace_data.h"

namespace forkscope {

namespace {

QString startMethodName(std::uint64_t m) {
    switch (m) {
    case 0:
        return QStringLiteral("fork");
    case 1:
        return QStringLiteral("spawn");
    case 2:
        return QStringLiteral("forkserver");
    default:
        return QStringLiteral("an unknown start method");
    }
}

} // namespace

QString Narrator::formatBytes(std::uint64_t bytes) {
    if (bytes >= 1024 * 1024) {
        return QStringLiteral("%1 MiB").arg(double(bytes) / (1024.0 * 1024.0), 0, 'f', 1);
    }
    if (bytes >= 1024) {
        return QStringLiteral("%1 KiB").arg(double(bytes) / 1024.0, 0, 'f', 1);
    }
    return QStringLiteral("%1 bytes").arg(bytes);
}

QString Narrator::describeWait(EventType blockedBy, std::uint64_t object) const {
    const QString what = data_.objectName(object);
    switch (blockedBy) {
    case EventType::ProcessReaped:
        return QStringLiteral("waiting to join %1").arg(what);
    case EventType::QueueGet:
        return QStringLiteral("waiting for an item from %1").arg(what);
    case EventType::QueuePut:
        return QStringLiteral("waiting for room in %1").arg(what);
    case EventType::QueueFeederBlocked:
        return QStringLiteral("waiting for the pipe of %1 to drain").arg(what);
    case EventType::LockWait:
    case EventType::LockAcquire:
        return QStringLiteral("waiting for the lock %1").arg(what);
    case EventType::SemaphoreWait:
    case EventType::SemaphoreAcquire:
        return QStringLiteral("waiting for the semaphore %1").arg(what);
    case EventType::ConditionWait:
        return QStringLiteral("waiting on the condition %1").arg(what);
    case EventType::EventWait:
        return QStringLiteral("waiting for the event %1 to be set").arg(what);
    case EventType::BarrierWait:
        return QStringLiteral("waiting at the barrier %1").arg(what);
    case EventType::PipeRecv:
        return QStringLiteral("waiting for data on %1").arg(what);
    case EventType::PipeSend:
        return QStringLiteral("waiting for room in %1").arg(what);
    default:
        return QStringLiteral("waiting on %1").arg(what);
    }
}

QString Narrator::describe(const Event& e) const {
    const QString who = data_.processName(e.pid);
    const QString what = data_.objectName(e.object);
    const auto child = static_cast<std::int32_t>(e.object);
    switch (e.type) {
    case EventType::ProcessCreated:
        return QStringLiteral("%1 started %2 with %3")
            .arg(who, data_.processName(child), startMethodName(e.arg));
    case EventType::ProcessStarted:
        return QStringLiteral("%1 is running its target").arg(data_.processName(child));
    case EventType::ProcessExited:
        return QStringLiteral("%1 exited with code %2; until its parent joins it, it is a zombie")
            .arg(data_.processName(child))
            .arg(e.signedArg());
    case EventType::ProcessZombie:
        return QStringLiteral("%1 is now a zombie: it exited, but nobody joined it")
            .arg(data_.processName(child));
    case EventType::ProcessReaped:
        return QStringLiteral("%1 joined %2 (exit code %3): the zombie is gone")
            .arg(who, data_.processName(child))
            .arg(e.signedArg());
    case EventType::Blocked:
        return QStringLiteral("%1 is blocked, %2")
            .arg(who, describeWait(static_cast<EventType>(e.arg), e.object));
    case EventType::Running:
        return e.arg == 1 ? QStringLiteral("%1 gave up waiting on %2 (timeout)").arg(who, what)
                          : QStringLiteral("%1 continues: %2 let it go").arg(who, what);
    case EventType::QueuePut:
        return QStringLiteral("%1 put an item (%2) into %3").arg(who, formatBytes(e.arg), what);
    case EventType::QueueGet:
        return QStringLiteral("%1 took an item (%2) from %3").arg(who, formatBytes(e.arg), what);
    case EventType::QueueFeederWrite:
        return QStringLiteral("%1's feeder thread wrote %2 into the pipe of %3")
            .arg(who, formatBytes(e.arg), what);
    case EventType::QueueFeederBlocked:
        return QStringLiteral("The pipe of %1 is full: %2's feeder thread is stuck until someone reads")
            .arg(what, who);
    case EventType::QueueFeederUnblocked:
        return QStringLiteral("%1's feeder thread can write to %2 again").arg(who, what);
    case EventType::PipeSend:
        return QStringLiteral("%1 sent %2 through %3").arg(who, formatBytes(e.arg), what);
    case EventType::PipeRecv:
        return QStringLiteral("%1 received %2 from %3").arg(who, formatBytes(e.arg), what);
    case EventType::LockWait:
        return QStringLiteral("%1 must wait: someone else holds %2").arg(who, what);
    case EventType::LockAcquire:
        return QStringLiteral("%1 now holds %2").arg(who, what);
    case EventType::LockRelease:
        return e.arg == 0 ? QStringLiteral("%1 released %2").arg(who, what)
                          : QStringLiteral("%1 released one level of %2").arg(who, what);
    case EventType::LockAbandoned:
        return QStringLiteral("%1 is abandoned: its owner %2 died holding it")
            .arg(what, data_.processName(static_cast<std::int32_t>(e.arg)));
    case EventType::SemaphoreWait:
        return QStringLiteral("%1 waits on %2 (value 0)").arg(who, what);
    case EventType::SemaphoreAcquire:
        return QStringLiteral("%1 acquired %2 (value now %3)").arg(who, what).arg(e.signedArg());
    case EventType::SemaphoreRelease:
        return QStringLiteral("%1 released %2 (value now %3)").arg(who, what).arg(e.signedArg());
    case EventType::ConditionWait:
        return QStringLiteral("%1 sleeps on %2").arg(who, what);
    case EventType::ConditionNotify:
        return QStringLiteral("%1 notified %2 waiter(s) of %3").arg(who).arg(e.arg).arg(what);
    case EventType::ConditionWake:
    case EventType::EventWake:
        return QStringLiteral("%1 woke up on %2").arg(who, what);
    case EventType::EventWait:
        return QStringLiteral("%1 waits for %2 to be set").arg(who, what);
    case EventType::EventSet:
        return QStringLiteral("%1 set %2").arg(who, what);
    case EventType::EventClear:
        return QStringLiteral("%1 cleared %2").arg(who, what);
    case EventType::BarrierWait:
        return QStringLiteral("%1 arrived at %2").arg(who, what);
    case EventType::BarrierPass:
        return QStringLiteral("Everyone arrived: %1 opens").arg(what);
    case EventType::BarrierBroken:
        return QStringLiteral("%1 is broken").arg(what);
    case EventType::PoolTaskQueued:
        return QStringLiteral("Task %1 queued on %2").arg(e.arg).arg(what);
    case EventType::PoolTaskStarted:
        return QStringLiteral("%1 started task %2").arg(who).arg(e.arg);
    case EventType::PoolTaskFinished:
        return QStringLiteral("%1 finished task %2").arg(who).arg(e.arg);
    case EventType::PoolWorkerReplaced:
        return QStringLiteral("A pool worker died; %1 replaces it")
            .arg(data_.processName(static_cast<std::int32_t>(e.arg)));
    case EventType::ObjectCreated:
        return QStringLiteral("%1 created %2").arg(who, what);
    case EventType::Error:
        return QStringLiteral("Error in %1 on %2 (code %3)").arg(who, what).arg(e.arg);
    case EventType::EventsDropped:
        return QStringLiteral("%1 events of %2 were lost (its ring was full)").arg(e.arg).arg(who);
    case EventType::HelperEnded: {
        const std::string_view word = helperRoleWord(static_cast<HelperRole>(e.aux));
        const QString role = QString::fromLatin1(word.data(), static_cast<qsizetype>(word.size()));
        const QString how = e.signedArg() < 0 ? QStringLiteral("killed by signal %1").arg(-e.signedArg())
                                              : QStringLiteral("ended with code %1").arg(e.signedArg());
        return QStringLiteral(
                   "The %1 (pid %2) was %3 in the middle of the run: %4 found out when it reaped it")
            .arg(role)
            .arg(e.object)
            .arg(how, who);
    }
    default:
        return QStringLiteral("%1: %2 on %3")
            .arg(who,
                 QString::fromLatin1(eventTypeName(e.type).data(), qsizetype(eventTypeName(e.type).size())),
                 what);
    }
}

} // namespace forkscope
