#include "process_timeline_model.h"

#include "narrator.h"
#include "trace_data.h"

#include <algorithm>

namespace forkscope {

ProcessTimelineModel::ProcessTimelineModel(const TraceData& data, QObject* parent)
    : QAbstractTableModel(parent), data_(data) {
    connect(&data_, &TraceData::cleared, this, &ProcessTimelineModel::refreshRows);
    connect(&data_, &TraceData::appended, this, &ProcessTimelineModel::refreshRows);
    connect(&data_, &TraceData::tablesChanged, this, &ProcessTimelineModel::refreshRows);
    refreshRows();
}

void ProcessTimelineModel::refreshRows() {
    // Order: by the time each process was first seen, so the parent sits on top.
    std::vector<std::pair<std::int64_t, std::int32_t>> order;
    for (const auto& [pid, changes] : data_.phases()) {
        order.emplace_back(changes.empty() ? 0 : changes.front().ts, pid);
    }
    std::sort(order.begin(), order.end());
    std::vector<std::int32_t> pids;
    pids.reserve(order.size());
    for (const auto& entry : order) {
        pids.push_back(entry.second);
    }
    if (pids != pids_) {
        beginResetModel();
        pids_ = std::move(pids);
        endResetModel();
    } else if (!pids_.empty()) {
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
    }
}

const std::vector<PhaseChange>& ProcessTimelineModel::phasesOf(std::int32_t pid) const {
    static const std::vector<PhaseChange> none;
    auto it = data_.phases().find(pid);
    return it == data_.phases().end() ? none : it->second;
}

int ProcessTimelineModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(pids_.size());
}

int ProcessTimelineModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

void ProcessTimelineModel::setTime(std::int64_t t) {
    if (t == time_) {
        return;
    }
    time_ = t;
    if (!pids_.empty()) {
        Q_EMIT dataChanged(index(0, StateColumn), index(rowCount() - 1, DetailColumn));
    }
}

QColor ProcessTimelineModel::phaseColor(ProcessPhase phase, bool highContrast) {
    switch (phase) {
    case ProcessPhase::Created:
        return highContrast ? QColor(0x90, 0xca, 0xf9) : QColor(0x9e, 0xc5, 0xe8);
    case ProcessPhase::Running:
        return highContrast ? QColor(0x00, 0xe6, 0x76) : QColor(0x2e, 0x9e, 0x4f);
    case ProcessPhase::Blocked:
        return highContrast ? QColor(0xff, 0xd6, 0x00) : QColor(0xf0, 0xa2, 0x02);
    case ProcessPhase::Zombie:
        return highContrast ? QColor(0xff, 0x17, 0x44) : QColor(0xd0, 0x10, 0x2b);
    case ProcessPhase::Reaped:
        return highContrast ? QColor(0x75, 0x75, 0x75) : QColor(0xc8, 0xc8, 0xc8);
    }
    return Qt::gray;
}

QString ProcessTimelineModel::phaseLabel(ProcessPhase phase) {
    switch (phase) {
    case ProcessPhase::Created:
        return tr("starting");
    case ProcessPhase::Running:
        return tr("running");
    case ProcessPhase::Blocked:
        return tr("blocked");
    case ProcessPhase::Zombie:
        return tr("ZOMBIE");
    case ProcessPhase::Reaped:
        return tr("reaped");
    }
    return {};
}

QString ProcessTimelineModel::describePhase(const PhaseChange& phase) const {
    const QString who = data_.processName(phase.pid);
    switch (phase.phase) {
    case ProcessPhase::Blocked:
        return tr("%1 is blocked, %2")
            .arg(who, Narrator(data_).describeWait(phase.blockedBy, phase.blockedOn));
    case ProcessPhase::Zombie:
        return tr("%1 is a zombie: it exited, but its parent has not joined it yet").arg(who);
    case ProcessPhase::Reaped:
        return tr("%1 was joined (reaped) by its parent").arg(who);
    case ProcessPhase::Created:
        return tr("%1 was launched and has not reported in yet").arg(who);
    case ProcessPhase::Running:
        return tr("%1 is running").arg(who);
    }
    return {};
}

QVariant ProcessTimelineModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const std::int32_t pid = pids_[static_cast<std::size_t>(index.row())];
    const auto phase = data_.phaseAt(pid, time_);
    if (role == PidRole) {
        return pid;
    }
    if (role == PhaseRole) {
        return phase ? static_cast<int>(phase->phase) : -1;
    }
    if (role == Qt::BackgroundRole && index.column() == StateColumn && phase) {
        return phaseColor(phase->phase);
    }
    if (role == Qt::ToolTipRole) {
        return phase ? describePhase(*phase) : QVariant();
    }
    if (role != Qt::DisplayRole) {
        return {};
    }
    switch (index.column()) {
    case NameColumn:
        return data_.processName(pid);
    case PidColumn:
        return pid;
    case StateColumn:
        return phase ? phaseLabel(phase->phase) : tr("not started");
    case DetailColumn:
        return phase ? describePhase(*phase) : QString();
    default:
        return {};
    }
}

QVariant ProcessTimelineModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    switch (section) {
    case NameColumn:
        return tr("Process");
    case PidColumn:
        return tr("PID");
    case StateColumn:
        return tr("State");
    case DetailColumn:
        return tr("Details");
    default:
        return {};
    }
}

} // namespace forkscope
