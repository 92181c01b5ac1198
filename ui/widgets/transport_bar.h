#pragma once

#include <QWidget>

class QAction;
class QComboBox;
class QLabel;

namespace forkscope {

class TraceSession;
class ScrubBar;

/// Open, play/pause, step to the previous/next event, speed (0.1× to 10×), the scrub bar and
/// the time. The buttons show the main window's actions, so menus, shortcuts and buttons are
/// one thing.
class TransportBar : public QWidget {
    Q_OBJECT
public:
    struct Actions {
        QAction* open = nullptr;
        QAction* play = nullptr;
        QAction* previous = nullptr;
        QAction* next = nullptr;
    };
    static const QList<double>& speeds();

    TransportBar(TraceSession& session, const Actions& actions, QWidget* parent = nullptr);

    [[nodiscard]] QComboBox* speedBox() const noexcept { return speed_; }
    [[nodiscard]] ScrubBar* scrubBar() const noexcept { return scrub_; }
    [[nodiscard]] QString timeText() const;

private:
    void updateTime();
    void updateSpeed(double speed);

    TraceSession& session_;
    QComboBox* speed_ = nullptr;
    ScrubBar* scrub_ = nullptr;
    QLabel* time_ = nullptr;
    QLabel* live_ = nullptr;
};

} // namespace forkscope
