#pragma once

#include "session/scenario_runner.h"

#include <QWidget>
#include <map>

class QAction;
class QButtonGroup;
class QComboBox;
class QFormLayout;
class QGroupBox;
class QLabel;

namespace forkscope {

struct ScenarioInfo;

/// How to run the selected scenario: the start method, a form generated from the scenario's
/// parameters (spin boxes with their ranges, check boxes, text), hazard or fix, and the Run,
/// Stop and Kill-a-worker buttons (the main window's actions).
class RunPanel : public QWidget {
    Q_OBJECT
public:
    struct Actions {
        QAction* run = nullptr;
        QAction* stop = nullptr;
        QAction* kill = nullptr;
    };

    RunPanel(const Actions& actions, QWidget* parent = nullptr);

    void setScenario(const ScenarioInfo* info);
    void setStartMethod(const QString& method);
    [[nodiscard]] QString startMethod() const;
    void setFix(bool fix);
    [[nodiscard]] bool fix() const;
    /// The run request from the form (without the recording path).
    [[nodiscard]] ScenarioRunner::Request request() const;
    [[nodiscard]] QString scenarioId() const { return scenarioId_; }
    [[nodiscard]] int parameterCount() const { return static_cast<int>(editors_.size()); }
    [[nodiscard]] QWidget* parameterEditor(const QString& name) const;
    void setOutcome(const QString& html);
    [[nodiscard]] QString outcomeText() const;

private:
    QString scenarioId_;
    QComboBox* method_ = nullptr;
    QButtonGroup* variant_ = nullptr;
    QGroupBox* parametersBox_ = nullptr;
    QFormLayout* parameters_ = nullptr;
    QLabel* expected_ = nullptr;
    QLabel* outcome_ = nullptr;
    std::map<QString, QWidget*> editors_;
    QVariantMap expectedByKey_;
};

} // namespace forkscope
