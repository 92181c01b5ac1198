#include "event_log_model.h"

#include "narrator.h"
#include "trace_data.h"

#include <algorithm>

namespace forkscope {

EventLogModel::EventLogModel(const TraceData& data, QObject* parent)
    : QAbstractTableModel(parent), data_(data) {
    connect(&data_, &TraceData::cleared, this, [this] {
        beginResetModel();
        rows_.clear();
        shown_ = 0;
        endResetModel();
    });
    connect(&data_, &TraceData::appended, this, &EventLogModel::onAppended);
    // Names arrive with the tables; the rows that show them must be redrawn.
    connect(&data_, &TraceData::tablesChanged, this, [this] {
        if (rowCount() > 0) {
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        }
    });
    rebuild();
}

int EventLogModel::rowCount(const QModelIndex& parent) const {
    if (parent.isValid()) {
        return 0;
    }
    return static_cast<int>(filtered() ? rows_.size() : shown_);
}

int EventLogModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

std::size_t EventLogModel::eventIndex(int row) const {
    return filtered() ? rows_[static_cast<std::size_t>(row)] : static_cast<std::size_t>(row);
}

QVariant EventLogModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const std::size_t i = eventIndex(index.row());
    const Event& e = data_.events()[i];
    if (role == EventIndexRole) {
        return QVariant::fromValue(static_cast<qulonglong>(i));
    }
    if (role == Qt::TextAlignmentRole && index.column() == TimeColumn) {
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    }
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) {
        return {};
    }
    switch (index.column()) {
    case TimeColumn:
        return QStringLiteral("%1 s").arg(data_.toSeconds(e.ts), 0, 'f', 6);
    case ProcessColumn:
        return data_.processName(e.pid);
    case KindColumn: {
        const auto name = eventTypeName(e.type);
        return QString::fromLatin1(name.data(), static_cast<qsizetype>(name.size()));
    }
    case ObjectColumn:
        return data_.objectName(e.object);
    case DescriptionColumn:
        return Narrator(data_).describe(e);
    default:
        return {};
    }
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    switch (section) {
    case TimeColumn:
        return tr("Time");
    case ProcessColumn:
        return tr("Process");
    case KindColumn:
        return tr("Event");
    case ObjectColumn:
        return tr("Object");
    case DescriptionColumn:
        return tr("What happened");
    default:
        return {};
    }
}

bool EventLogModel::matches(const Event& e) const {
    return (pid_ == 0 || e.pid == pid_ || (e.object == static_cast<std::uint64_t>(pid_) && pid_ > 0)) &&
           (object_ == 0 || e.object == object_) && (kind_ == EventType::None || e.type == kind_);
}

void EventLogModel::setFilter(std::int32_t pid, std::uint64_t object, EventType kind) {
    pid_ = pid;
    object_ = object;
    kind_ = kind;
    rebuild();
}

void EventLogModel::rebuild() {
    beginResetModel();
    rows_.clear();
    shown_ = data_.events().size();
    if (filtered()) {
        for (std::size_t i = 0; i < shown_; ++i) {
            if (matches(data_.events()[i])) {
                rows_.push_back(i);
            }
        }
    }
    endResetModel();
}

void EventLogModel::onAppended(std::size_t first, std::size_t last) {
    if (first != shown_) { // not contiguous with what we show: start over
        rebuild();
        return;
    }
    if (!filtered()) {
        beginInsertRows({}, static_cast<int>(first), static_cast<int>(last) - 1);
        shown_ = last;
        endInsertRows();
        return;
    }
    std::vector<std::size_t> added;
    for (std::size_t i = first; i < last; ++i) {
        if (matches(data_.events()[i])) {
            added.push_back(i);
        }
    }
    shown_ = last;
    if (added.empty()) {
        return;
    }
    const int row = static_cast<int>(rows_.size());
    beginInsertRows({}, row, row + static_cast<int>(added.size()) - 1);
    rows_.insert(rows_.end(), added.begin(), added.end());
    endInsertRows();
}

int EventLogModel::rowAtOrBefore(std::ptrdiff_t eventIndex) const {
    if (eventIndex < 0) {
        return -1;
    }
    if (!filtered()) {
        return static_cast<int>(
            std::min<std::ptrdiff_t>(eventIndex, static_cast<std::ptrdiff_t>(shown_) - 1));
    }
    auto after = std::upper_bound(rows_.begin(), rows_.end(), static_cast<std::size_t>(eventIndex));
    return static_cast<int>(after - rows_.begin()) - 1;
}

} // namespace forkscope
