#pragma once

#include <QAbstractTableModel>
#include <QByteArray>
#include <QStringList>
#include <array>
#include <nlohmann/json.hpp>

namespace forkscope {

/// The same scenario under fork, spawn and forkserver, side by side: one column per start
/// method, one row per figure of the run summaries (outcome, duration, zombies, queue depth,
/// pipe fill, lock waits, events, leaks, error). A row whose values differ between the
/// methods is highlighted: that is where the start method matters.
class ComparisonModel : public QAbstractTableModel {
    Q_OBJECT
public:
    static const QStringList& methods();
    static constexpr int DiffersRole = Qt::UserRole + 1;

    explicit ComparisonModel(QObject* parent = nullptr);

    void clear();
    /// Stores one method's summary (the JSON object `run --json` printed); `error` when it failed.
    void setResult(const QString& method, const QByteArray& summaryJson, const QString& error = {});
    [[nodiscard]] bool rowDiffers(int row) const;
    [[nodiscard]] int resultCount() const;

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation,
                                      int role = Qt::DisplayRole) const override;

private:
    [[nodiscard]] QString cell(int row, int column) const;

    std::array<nlohmann::json, 3> results_;
    std::array<QString, 3> errors_;
};

} // namespace forkscope
