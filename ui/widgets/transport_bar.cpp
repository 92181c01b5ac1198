#include "transport_bar.h"

#include "session/trace_session.h"
#include "views/scrub_bar.h"

#include <QAction>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>

namespace forkscope {

const QList<double>& TransportBar::speeds() {
    static const QList<double> values{0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0};
    return values;
}

TransportBar::TransportBar(TraceSession& session, const Actions& actions, QWidget* parent)
    : QWidget(parent), session_(session) {
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 2, 6, 2);
    for (QAction* action : {actions.open, actions.previous, actions.play, actions.next}) {
        auto* button = new QToolButton(this);
        button->setDefaultAction(action);
        button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        layout->addWidget(button);
    }
    speed_ = new QComboBox(this);
    for (double s : speeds()) {
        speed_->addItem(QStringLiteral("%1×").arg(s), s);
    }
    speed_->setToolTip(tr("Playback speed ([ slower, ] faster)"));
    layout->addWidget(speed_);
    scrub_ = new ScrubBar(session_, this);
    layout->addWidget(scrub_, 1);
    time_ = new QLabel(this);
    time_->setMinimumWidth(time_->fontMetrics().horizontalAdvance(QStringLiteral("000.000 s / 000.000 s")) +
                           8);
    time_->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    layout->addWidget(time_);
    live_ = new QLabel(tr(" LIVE "), this);
    live_->setStyleSheet(QStringLiteral("QLabel { background: #d0102b; color: white; font-weight: bold; "
                                        "border-radius: 4px; padding: 2px 6px; }"));
    live_->setVisible(false);
    layout->addWidget(live_);

    connect(speed_, &QComboBox::currentIndexChanged, this,
            [this](int i) { session_.setSpeed(speed_->itemData(i).toDouble()); });
    connect(&session_, &TraceSession::speedChanged, this, &TransportBar::updateSpeed);
    connect(&session_, &TraceSession::positionChanged, this, &TransportBar::updateTime);
    connect(&session_.data(), &TraceData::appended, this, &TransportBar::updateTime);
    connect(&session_.data(), &TraceData::cleared, this, &TransportBar::updateTime);
    updateSpeed(session_.speed());
    updateTime();
}

void TransportBar::updateSpeed(double speed) {
    int best = 0;
    for (int i = 0; i < speed_->count(); ++i) {
        if (std::abs(speed_->itemData(i).toDouble() - speed) <
            std::abs(speed_->itemData(best).toDouble() - speed)) {
            best = i;
        }
    }
    const QSignalBlocker block(speed_);
    speed_->setCurrentIndex(best);
}

void TransportBar::updateTime() {
    const TraceData& data = session_.data();
    if (data.isEmpty()) {
        time_->setText(tr("no trace"));
    } else {
        time_->setText(QStringLiteral("%1 s / %2 s")
                           .arg(data.toSeconds(session_.position()), 0, 'f', 3)
                           .arg(data.toSeconds(data.endNs()), 0, 'f', 3));
    }
    live_->setVisible(session_.isLive() && !data.finished());
}

QString TransportBar::timeText() const {
    return time_->text();
}

} // namespace forkscope
