#include "run_panel.h"

#include "models/scenario_info.h"

#include <QAction>
#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRadioButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace forkscope {

RunPanel::RunPanel(const Actions& actions, QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* top = new QFormLayout;
    method_ = new QComboBox(this);
    method_->addItem(QStringLiteral("fork"));
    method_->addItem(QStringLiteral("spawn"));
    method_->addItem(QStringLiteral("forkserver"));
    method_->setToolTip(tr("How the workers are started: fork copies this process; spawn starts a fresh "
                           "program; forkserver forks from a clean server process"));
    top->addRow(tr("Start method:"), method_);
    auto* variants = new QHBoxLayout;
    variant_ = new QButtonGroup(this);
    auto* hazard = new QRadioButton(tr("Hazard"), this);
    auto* fixed = new QRadioButton(tr("Fix"), this);
    hazard->setToolTip(tr("Run the code that breaks the guideline"));
    fixed->setToolTip(tr("Run the code that follows the guideline"));
    hazard->setChecked(true);
    variant_->addButton(hazard, 0);
    variant_->addButton(fixed, 1);
    variants->addWidget(hazard);
    variants->addWidget(fixed);
    variants->addStretch(1);
    top->addRow(tr("Variant:"), variants);
    layout->addLayout(top);
    parametersBox_ = new QGroupBox(tr("Parameters"), this);
    parameters_ = new QFormLayout(parametersBox_);
    layout->addWidget(parametersBox_);
    expected_ = new QLabel(this);
    expected_->setWordWrap(true);
    layout->addWidget(expected_);
    auto* buttons = new QHBoxLayout;
    for (QAction* action : {actions.run, actions.stop, actions.kill}) {
        auto* button = new QToolButton(this);
        button->setDefaultAction(action);
        button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        button->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        buttons->addWidget(button);
    }
    layout->addLayout(buttons);
    outcome_ = new QLabel(this);
    outcome_->setWordWrap(true);
    outcome_->setTextFormat(Qt::RichText);
    layout->addWidget(outcome_);
    auto updateExpected = [this] {
        const QString key = QStringLiteral("%1/%2").arg(
            fix() ? QStringLiteral("fix") : QStringLiteral("hazard"), startMethod());
        const QString outcome = expectedByKey_.value(key).toString();
        expected_->setText(outcome.isEmpty() ? QString() : tr("Expected outcome: <b>%1</b>").arg(outcome));
    };
    connect(method_, &QComboBox::currentIndexChanged, this, updateExpected);
    connect(variant_, &QButtonGroup::idToggled, this, updateExpected);
    setScenario(nullptr);
}

void RunPanel::setScenario(const ScenarioInfo* info) {
    while (parameters_->rowCount() > 0) {
        parameters_->removeRow(0);
    }
    editors_.clear();
    scenarioId_ = info != nullptr ? info->id : QString();
    expectedByKey_ = info != nullptr ? info->expected : QVariantMap();
    parametersBox_->setVisible(info != nullptr && !info->parameters.empty());
    if (info != nullptr) {
        for (const ScenarioParameter& p : info->parameters) {
            QWidget* editor = nullptr;
            if (p.type == QLatin1String("integer")) {
                auto* spin = new QSpinBox(parametersBox_);
                spin->setRange(p.min.isValid() ? p.min.toInt() : 0,
                               p.max.isValid() ? p.max.toInt() : 1'000'000);
                spin->setValue(p.defaultValue.toInt());
                if (!p.unit.isEmpty()) {
                    spin->setSuffix(QStringLiteral(" ") + p.unit);
                }
                editor = spin;
            } else if (p.type == QLatin1String("boolean")) {
                auto* check = new QCheckBox(parametersBox_);
                check->setChecked(p.defaultValue.toBool());
                editor = check;
            } else {
                auto* line = new QLineEdit(p.defaultValue.toString(), parametersBox_);
                editor = line;
            }
            editor->setToolTip(p.description);
            editor->setObjectName(p.name);
            parameters_->addRow(p.name + QStringLiteral(":"), editor);
            editors_[p.name] = editor;
        }
    }
    Q_EMIT method_->currentIndexChanged(method_->currentIndex()); // refresh the expected outcome
}

void RunPanel::setStartMethod(const QString& method) {
    const int i = method_->findText(method);
    if (i >= 0) {
        method_->setCurrentIndex(i);
    }
}

QString RunPanel::startMethod() const {
    return method_->currentText();
}

void RunPanel::setFix(bool fix) {
    variant_->button(fix ? 1 : 0)->setChecked(true);
}

bool RunPanel::fix() const {
    return variant_->checkedId() == 1;
}

QWidget* RunPanel::parameterEditor(const QString& name) const {
    auto it = editors_.find(name);
    return it == editors_.end() ? nullptr : it->second;
}

void RunPanel::setOutcome(const QString& html) {
    outcome_->setText(html);
}

QString RunPanel::outcomeText() const {
    return outcome_->text();
}

ScenarioRunner::Request RunPanel::request() const {
    ScenarioRunner::Request r;
    r.scenario = scenarioId_;
    r.startMethod = startMethod();
    r.fix = fix();
    for (const auto& [name, editor] : editors_) {
        if (auto* spin = qobject_cast<QSpinBox*>(editor)) {
            r.parameters.insert(name, QString::number(spin->value()));
        } else if (auto* check = qobject_cast<QCheckBox*>(editor)) {
            r.parameters.insert(name, check->isChecked() ? QStringLiteral("true") : QStringLiteral("false"));
        } else if (auto* line = qobject_cast<QLineEdit*>(editor)) {
            r.parameters.insert(name, line->text());
        }
    }
    return r;
}

} // namespace forkscope
