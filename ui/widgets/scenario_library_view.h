#pragma once

#include <QWidget>

class QLineEdit;
class QTreeView;
class QTextBrowser;
class QLabel;

namespace forkscope {

class ScenarioLibraryModel;
struct ScenarioInfo;

/// The scenario library: a search field, the scenarios grouped by guideline, and for the
/// selected one the guideline's text, what to watch for, the hazard and the fix.
class ScenarioLibraryView : public QWidget {
    Q_OBJECT
public:
    ScenarioLibraryView(ScenarioLibraryModel& model, QWidget* parent = nullptr);

    void selectScenario(const QString& id);
    [[nodiscard]] QString currentScenarioId() const;
    /// Shown instead of the list when the scenarios could not be loaded (or there are none).
    void setStatus(const QString& text);
    [[nodiscard]] QLineEdit* searchField() const noexcept { return search_; }
    [[nodiscard]] QTreeView* tree() const noexcept { return tree_; }

Q_SIGNALS:
    void scenarioSelected(const QString& id);

private:
    void showDetails(const ScenarioInfo* info);

    ScenarioLibraryModel& model_;
    QLineEdit* search_ = nullptr;
    QTreeView* tree_ = nullptr;
    QTextBrowser* details_ = nullptr;
    QLabel* status_ = nullptr;
};

} // namespace forkscope
