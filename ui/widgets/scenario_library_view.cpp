#include "scenario_library_view.h"

#include "models/scenario_library_model.h"

#include <QLabel>
#include <QLineEdit>
#include <QSplitter>
#include <QTextBrowser>
#include <QTreeView>
#include <QVBoxLayout>

namespace forkscope {

ScenarioLibraryView::ScenarioLibraryView(ScenarioLibraryModel& model, QWidget* parent)
    : QWidget(parent), model_(model) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    search_ = new QLineEdit(this);
    search_->setPlaceholderText(tr("Search scenarios and guidelines…"));
    search_->setClearButtonEnabled(true);
    layout->addWidget(search_);
    status_ = new QLabel(this);
    status_->setWordWrap(true);
    status_->setVisible(false);
    layout->addWidget(status_);
    auto* splitter = new QSplitter(Qt::Vertical, this);
    tree_ = new QTreeView(splitter);
    tree_->setModel(&model_);
    tree_->setHeaderHidden(true);
    tree_->setUniformRowHeights(true);
    details_ = new QTextBrowser(splitter);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    layout->addWidget(splitter, 1);

    connect(search_, &QLineEdit::textChanged, this, [this](const QString& text) {
        const QString current = currentScenarioId();
        model_.setSearchText(text);
        tree_->expandAll();
        if (!current.isEmpty()) {
            selectScenario(current);
        }
    });
    connect(&model_, &QAbstractItemModel::modelReset, tree_, &QTreeView::expandAll);
    connect(tree_->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& index) {
                const ScenarioInfo* info = model_.scenario(index);
                showDetails(info);
                if (info != nullptr) {
                    Q_EMIT scenarioSelected(info->id);
                }
            });
    showDetails(nullptr);
}

void ScenarioLibraryView::setStatus(const QString& text) {
    status_->setText(text);
    status_->setVisible(!text.isEmpty());
}

void ScenarioLibraryView::selectScenario(const QString& id) {
    const QModelIndex index = model_.indexOfScenario(id);
    if (index.isValid()) {
        tree_->setCurrentIndex(index);
        tree_->scrollTo(index);
    }
}

QString ScenarioLibraryView::currentScenarioId() const {
    const ScenarioInfo* info = model_.scenario(tree_->currentIndex());
    return info != nullptr ? info->id : QString();
}

void ScenarioLibraryView::showDetails(const ScenarioInfo* info) {
    if (info == nullptr) {
        details_->setHtml(
            tr("<p>Pick a scenario to read the guideline it demonstrates and what to watch for.</p>"));
        return;
    }
    QString html = QStringLiteral("<h2>%1</h2>").arg(info->title.toHtmlEscaped());
    if (!info->guidelineName.isEmpty()) {
        html += QStringLiteral("<h3>%1</h3><p>%2</p>")
                    .arg(info->guidelineName.toHtmlEscaped(), info->guidelineText.toHtmlEscaped());
    }
    auto section = [&](const QString& title, const QString& text) {
        if (!text.isEmpty()) {
            html += QStringLiteral("<p><b>%1</b> %2</p>").arg(title, text.toHtmlEscaped());
        }
    };
    section(tr("Watch for:"), info->watchFor);
    section(tr("The hazard:"), info->hazard);
    section(tr("The fix:"), info->fix);
    section(tr("Start methods:"), info->methodNotes);
    section(tr("Source:"), info->source);
    details_->setHtml(html);
}

} // namespace forkscope
