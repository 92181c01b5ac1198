#pragma once

#include <QWidget>

class QLabel;
class QTableView;

namespace forkscope {

class ComparisonModel;

/// The start-method comparison: the three runs' figures side by side (rows that differ
/// highlighted) and, below, the scenario's notes on why the start methods behave differently.
class ComparisonView : public QWidget {
    Q_OBJECT
public:
    ComparisonView(ComparisonModel& model, QWidget* parent = nullptr);

    void setNotes(const QString& html);
    void setStatus(const QString& text);
    [[nodiscard]] QTableView* table() const noexcept { return table_; }

private:
    QLabel* status_ = nullptr;
    QTableView* table_ = nullptr;
    QLabel* notes_ = nullptr;
};

} // namespace forkscope
