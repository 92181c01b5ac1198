#include "comparison_model.h"

#include <QColor>

namespace forkscope {

namespace {

struct Figure {
    const char* label;
    const char* group; ///< "" (top level) or "metrics" / "leaks"
    const char* key;
};

// The rows, in the order a class reads them: what happened first, then the measurements.
constexpr Figure kFigures[] = {
    {"Outcome", "", "outcome"},
    {"Expected outcome", "", "expected_outcome"},
    {"Duration (ms)", "", "duration_ms"},
    {"Processes", "", "processes"},
    {"Zombies at most", "metrics", "zombies_max"},
    {"Queue depth at most", "metrics", "queue_depth_max"},
    {"Pipe fill at most (bytes)", "metrics", "pipe_fill_max_bytes"},
    {"Lock wait total (ms)", "metrics", "lock_wait_ms_total"},
    {"Lock contention ratio", "metrics", "lock_contention_ratio"},
    {"Events recorded", "metrics", "events"},
    {"Events dropped", "metrics", "events_dropped"},
    {"Leaked processes", "leaks", "processes"},
    {"Leaked shm segments", "leaks", "shm_segments"},
    {"Error", "", "error"},
};
constexpr int kRows = int(sizeof(kFigures) / sizeof(kFigures[0]));

QString render(const nlohmann::json& v) {
    if (v.is_null()) {
        return QStringLiteral("—");
    }
    if (v.is_string()) {
        return QString::fromStdString(v.get<std::string>());
    }
    if (v.is_array()) {
        return QString::number(v.size());
    }
    if (v.is_number_float()) {
        return QString::number(v.get<double>(), 'f', 2);
    }
    return QString::fromStdString(v.dump());
}

} // namespace

const QStringList& ComparisonModel::methods() {
    static const QStringList m{QStringLiteral("fork"), QStringLiteral("spawn"), QStringLiteral("forkserver")};
    return m;
}

ComparisonModel::ComparisonModel(QObject* parent) : QAbstractTableModel(parent) {}

void ComparisonModel::clear() {
    beginResetModel();
    results_ = {};
    errors_ = {};
    endResetModel();
}

void ComparisonModel::setResult(const QString& method, const QByteArray& summaryJson, const QString& error) {
    const int column = int(methods().indexOf(method));
    if (column < 0) {
        return;
    }
    auto parsed = nlohmann::json::parse(summaryJson.begin(), summaryJson.end(), nullptr, false);
    results_[std::size_t(column)] = parsed.is_object() ? parsed : nlohmann::json::object();
    errors_[std::size_t(column)] = parsed.is_object() ? error : (error.isEmpty() ? tr("no summary") : error);
    Q_EMIT dataChanged(index(0, 0), index(kRows - 1, 2));
}

int ComparisonModel::resultCount() const {
    int n = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        n += (!results_[i].is_null() || !errors_[i].isEmpty()) ? 1 : 0;
    }
    return n;
}

QString ComparisonModel::cell(int row, int column) const {
    const auto& r = results_[std::size_t(column)];
    const Figure& f = kFigures[row];
    if (QLatin1String(f.key) == QLatin1String("error") && !errors_[std::size_t(column)].isEmpty()) {
        return errors_[std::size_t(column)];
    }
    if (!r.is_object()) {
        return {};
    }
    const nlohmann::json* scope = &r;
    if (*f.group != '\0') {
        auto g = r.find(f.group);
        if (g == r.end() || !g->is_object()) {
            return QStringLiteral("—");
        }
        scope = &*g;
    }
    auto it = scope->find(f.key);
    return it == scope->end() ? QStringLiteral("—") : render(*it);
}

bool ComparisonModel::rowDiffers(int row) const {
    QStringList values;
    for (int c = 0; c < 3; ++c) {
        if (results_[std::size_t(c)].is_object()) {
            values << cell(row, c);
        }
    }
    // Durations always differ a little; only outcomes and counts are compared.
    if (QLatin1String(kFigures[row].key) == QLatin1String("duration_ms") || values.size() < 2) {
        return false;
    }
    values.removeDuplicates();
    return values.size() > 1;
}

int ComparisonModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : kRows;
}

int ComparisonModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : 3;
}

QVariant ComparisonModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    switch (role) {
    case Qt::DisplayRole:
        return cell(index.row(), index.column());
    case DiffersRole:
        return rowDiffers(index.row());
    case Qt::BackgroundRole:
        return rowDiffers(index.row()) ? QVariant(QColor(0xff, 0xe0, 0x82)) : QVariant();
    case Qt::ForegroundRole:
        return rowDiffers(index.row()) ? QVariant(QColor(Qt::black)) : QVariant();
    case Qt::ToolTipRole:
        return rowDiffers(index.row()) ? tr("The start methods differ here") : QVariant();
    default:
        return {};
    }
}

QVariant ComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    if (orientation == Qt::Horizontal) {
        return methods().value(section);
    }
    return section >= 0 && section < kRows ? tr(kFigures[section].label) : QVariant();
}

} // namespace forkscope
