#include "comparison_view.h"

#include "models/comparison_model.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace forkscope {

ComparisonView::ComparisonView(ComparisonModel& model, QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    status_ =
        new QLabel(tr("Run → Compare start methods (Ctrl+M) runs the selected scenario under fork, spawn "
                      "and forkserver, one after the other, and shows the results here."),
                   this);
    status_->setWordWrap(true);
    layout->addWidget(status_);
    table_ = new QTableView(this);
    table_->setModel(&model);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table_->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    layout->addWidget(table_, 1);
    notes_ = new QLabel(this);
    notes_->setWordWrap(true);
    notes_->setTextFormat(Qt::RichText);
    layout->addWidget(notes_);
}

void ComparisonView::setNotes(const QString& html) {
    notes_->setText(html);
}

void ComparisonView::setStatus(const QString& text) {
    status_->setText(text);
}

} // namespace forkscope
