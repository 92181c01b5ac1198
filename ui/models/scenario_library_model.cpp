#include "scenario_library_model.h"

#include <QFont>
#include <algorithm>

namespace forkscope {

ScenarioLibraryModel::ScenarioLibraryModel(QObject* parent) : QAbstractItemModel(parent) {}

void ScenarioLibraryModel::setScenarios(std::vector<ScenarioInfo> scenarios) {
    beginResetModel();
    scenarios_ = std::move(scenarios);
    regroup();
    endResetModel();
}

void ScenarioLibraryModel::setSearchText(const QString& text) {
    if (text == search_) {
        return;
    }
    beginResetModel();
    search_ = text;
    regroup();
    endResetModel();
}

void ScenarioLibraryModel::regroup() {
    groups_.clear();
    const QString needle = search_.trimmed();
    for (std::size_t i = 0; i < scenarios_.size(); ++i) {
        const ScenarioInfo& s = scenarios_[i];
        if (!needle.isEmpty()) {
            const bool hit = s.id.contains(needle, Qt::CaseInsensitive) ||
                             s.title.contains(needle, Qt::CaseInsensitive) ||
                             s.guidelineName.contains(needle, Qt::CaseInsensitive) ||
                             s.watchFor.contains(needle, Qt::CaseInsensitive);
            if (!hit) {
                continue;
            }
        }
        const QString guideline = s.guidelineName.isEmpty() ? tr("Other") : s.guidelineName;
        auto it = std::find_if(groups_.begin(), groups_.end(),
                               [&](const Group& g) { return g.guideline == guideline; });
        if (it == groups_.end()) {
            groups_.push_back({guideline, {}});
            it = groups_.end() - 1;
        }
        it->scenarios.push_back(i);
    }
}

const ScenarioInfo* ScenarioLibraryModel::scenario(const QModelIndex& index) const {
    if (!index.isValid() || index.internalId() == kTopLevel) {
        return nullptr;
    }
    const Group& g = groups_[index.internalId()];
    return &scenarios_[g.scenarios[static_cast<std::size_t>(index.row())]];
}

const ScenarioInfo* ScenarioLibraryModel::scenarioById(const QString& id) const {
    for (const ScenarioInfo& s : scenarios_) {
        if (s.id == id) {
            return &s;
        }
    }
    return nullptr;
}

QModelIndex ScenarioLibraryModel::indexOfScenario(const QString& id) const {
    for (std::size_t g = 0; g < groups_.size(); ++g) {
        for (std::size_t r = 0; r < groups_[g].scenarios.size(); ++r) {
            if (scenarios_[groups_[g].scenarios[r]].id == id) {
                return createIndex(static_cast<int>(r), 0, static_cast<quintptr>(g));
            }
        }
    }
    return {};
}

QModelIndex ScenarioLibraryModel::index(int row, int column, const QModelIndex& parent) const {
    if (!hasIndex(row, column, parent)) {
        return {};
    }
    if (!parent.isValid()) {
        return createIndex(row, column, kTopLevel);
    }
    return createIndex(row, column, static_cast<quintptr>(parent.row()));
}

QModelIndex ScenarioLibraryModel::parent(const QModelIndex& child) const {
    if (!child.isValid() || child.internalId() == kTopLevel) {
        return {};
    }
    return createIndex(static_cast<int>(child.internalId()), 0, kTopLevel);
}

int ScenarioLibraryModel::rowCount(const QModelIndex& parent) const {
    if (!parent.isValid()) {
        return static_cast<int>(groups_.size());
    }
    if (parent.column() != 0 || parent.internalId() != kTopLevel) {
        return 0;
    }
    return static_cast<int>(groups_[static_cast<std::size_t>(parent.row())].scenarios.size());
}

int ScenarioLibraryModel::columnCount(const QModelIndex&) const {
    return 1;
}

QVariant ScenarioLibraryModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) {
        return {};
    }
    if (index.internalId() == kTopLevel) {
        const Group& g = groups_[static_cast<std::size_t>(index.row())];
        if (role == Qt::DisplayRole) {
            return g.guideline;
        }
        if (role == Qt::FontRole) {
            QFont f;
            f.setBold(true);
            return f;
        }
        if (role == ScenarioIdRole) {
            return QString();
        }
        return {};
    }
    const ScenarioInfo* s = scenario(index);
    switch (role) {
    case Qt::DisplayRole:
        return s->title;
    case Qt::ToolTipRole:
        return s->watchFor.isEmpty() ? s->id : s->watchFor;
    case ScenarioIdRole:
        return s->id;
    default:
        return {};
    }
}

} // namespace forkscope
