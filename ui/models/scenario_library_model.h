#pragma once

#include "scenario_info.h"

#include <QAbstractItemModel>
#include <vector>

namespace forkscope {

/// The scenario library as a two-level tree: guidelines, and under each the scenarios that
/// demonstrate it. A search text keeps only the scenarios whose id, title, guideline or
/// what-to-watch-for mention it (and the guidelines that still have some).
class ScenarioLibraryModel : public QAbstractItemModel {
    Q_OBJECT
public:
    static constexpr int ScenarioIdRole = Qt::UserRole + 1; ///< empty on a guideline row

    explicit ScenarioLibraryModel(QObject* parent = nullptr);

    void setScenarios(std::vector<ScenarioInfo> scenarios);
    void setSearchText(const QString& text);
    [[nodiscard]] const ScenarioInfo* scenario(const QModelIndex& index) const;
    [[nodiscard]] const ScenarioInfo* scenarioById(const QString& id) const;
    [[nodiscard]] QModelIndex indexOfScenario(const QString& id) const;
    [[nodiscard]] std::size_t scenarioCount() const noexcept { return scenarios_.size(); }

    [[nodiscard]] QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    [[nodiscard]] QModelIndex parent(const QModelIndex& child) const override;
    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

private:
    struct Group {
        QString guideline;
        std::vector<std::size_t> scenarios; ///< indices into scenarios_
    };
    static constexpr quintptr kTopLevel = ~quintptr{0};

    void regroup();

    std::vector<ScenarioInfo> scenarios_;
    std::vector<Group> groups_;
    QString search_;
};

} // namespace forkscope
