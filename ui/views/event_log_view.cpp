#include "event_log_view.h"

#include "models/event_log_model.h"
#include "session/trace_session.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace forkscope {

EventLogView::EventLogView(TraceSession& session, EventLogModel& model, QWidget* parent)
    : QWidget(parent), session_(session), model_(model) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* filters = new QHBoxLayout;
    process_ = new QComboBox(this);
    object_ = new QComboBox(this);
    kind_ = new QComboBox(this);
    for (QComboBox* box : {process_, object_, kind_}) {
        box->setSizeAdjustPolicy(QComboBox::AdjustToContents);
        box->setMinimumContentsLength(12);
    }
    follow_ = new QCheckBox(tr("Follow the playhead"), this);
    follow_->setChecked(true);
    filters->addWidget(new QLabel(tr("Process:"), this));
    filters->addWidget(process_);
    filters->addWidget(new QLabel(tr("Object:"), this));
    filters->addWidget(object_);
    filters->addWidget(new QLabel(tr("Event:"), this));
    filters->addWidget(kind_);
    filters->addStretch(1);
    filters->addWidget(follow_);
    layout->addLayout(filters);

    table_ = new QTableView(this);
    table_->setModel(&model_);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->verticalHeader()->hide();
    table_->setAlternatingRowColors(true);
    table_->setWordWrap(false);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    table_->setColumnWidth(EventLogModel::TimeColumn, 130);
    table_->setColumnWidth(EventLogModel::ProcessColumn, 130);
    table_->setColumnWidth(EventLogModel::KindColumn, 190);
    table_->setColumnWidth(EventLogModel::ObjectColumn, 150);
    layout->addWidget(table_, 1);

    refillFilters();
    connect(&session_.data(), &TraceData::tablesChanged, this, &EventLogView::refillFilters);
    connect(&session_.data(), &TraceData::cleared, this, [this] {
        kinds_.clear();
        kindsScanned_ = 0;
        refillFilters();
    });
    connect(&session_.data(), &TraceData::appended, this, [this](std::size_t, std::size_t last) {
        const auto before = kinds_.size();
        for (std::size_t i = kindsScanned_; i < last; ++i) {
            kinds_.insert(static_cast<std::uint16_t>(session_.data().events()[i].type));
        }
        kindsScanned_ = last;
        if (kinds_.size() != before) {
            refillFilters();
        }
        positionDirty_ = true;
    });
    for (QComboBox* box : {process_, object_, kind_}) {
        connect(box, &QComboBox::currentIndexChanged, this, &EventLogView::applyFilter);
    }
    connect(&session_, &TraceSession::positionChanged, this, [this] { positionDirty_ = true; });
    connect(follow_, &QCheckBox::toggled, this, [this] { positionDirty_ = true; });
    followTimer_.setInterval(50);
    connect(&followTimer_, &QTimer::timeout, this, [this] {
        if (positionDirty_) {
            followPlayhead();
        }
    });
    followTimer_.start();
    connect(table_, &QTableView::clicked, this, [this](const QModelIndex& index) {
        if (selecting_) {
            return;
        }
        const auto i = model_.eventIndex(index.row());
        follow_->setChecked(false);
        session_.pause();
        session_.setPosition(session_.data().events()[i].ts);
    });
}

void EventLogView::refillFilters() {
    const TraceData& data = session_.data();
    auto refill = [](QComboBox* box, const QString& all,
                     const std::vector<std::pair<QString, QVariant>>& items) {
        const QVariant current = box->currentData();
        const QSignalBlocker block(box);
        box->clear();
        box->addItem(all, QVariant());
        for (const auto& [text, value] : items) {
            box->addItem(text, value);
        }
        const int i = box->findData(current);
        box->setCurrentIndex(i >= 0 ? i : 0);
    };
    std::vector<std::pair<QString, QVariant>> processes;
    for (const auto& [pid, changes] : data.phases()) {
        processes.emplace_back(QStringLiteral("%1 (%2)").arg(data.processName(pid)).arg(pid), QVariant(pid));
    }
    refill(process_, tr("all"), processes);
    std::vector<std::pair<QString, QVariant>> objects;
    for (const ObjectInfo& o : data.objects()) {
        const auto kind = objectKindName(o.kind);
        objects.emplace_back(
            QStringLiteral("%1 (%2)").arg(data.objectName(o.id),
                                          QString::fromLatin1(kind.data(), qsizetype(kind.size()))),
            QVariant::fromValue(static_cast<qulonglong>(o.id)));
    }
    refill(object_, tr("all"), objects);
    std::vector<std::pair<QString, QVariant>> kinds;
    for (std::uint16_t k : kinds_) {
        const auto name = eventTypeName(static_cast<EventType>(k));
        kinds.emplace_back(QString::fromLatin1(name.data(), qsizetype(name.size())), QVariant(int(k)));
    }
    refill(kind_, tr("all"), kinds);
}

void EventLogView::applyFilter() {
    const QVariant pid = process_->currentData();
    const QVariant object = object_->currentData();
    const QVariant kind = kind_->currentData();
    model_.setFilter(pid.isValid() ? pid.toInt() : 0, object.isValid() ? object.toULongLong() : 0,
                     kind.isValid() ? static_cast<EventType>(kind.toInt()) : EventType::None);
    positionDirty_ = true;
}

void EventLogView::followPlayhead() {
    positionDirty_ = false;
    if (!follow_->isChecked()) {
        return;
    }
    const int row = model_.rowAtOrBefore(session_.data().lastEventAtOrBefore(session_.position()));
    if (row < 0) {
        table_->clearSelection();
        return;
    }
    selecting_ = true;
    table_->selectRow(row);
    table_->scrollTo(model_.index(row, 0), QAbstractItemView::PositionAtCenter);
    selecting_ = false;
}

int EventLogView::currentRow() const {
    const auto rows = table_->selectionModel()->selectedRows();
    return rows.isEmpty() ? -1 : rows.front().row();
}

} // namespace forkscope
