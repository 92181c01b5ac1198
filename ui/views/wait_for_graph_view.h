#pragma once

#include <QTimer>
#include <QWidget>

class QTextBrowser;

namespace forkscope {

class TraceSession;
class WaitForGraphCanvas;

/// The wait-for graph beside the diagnosis in plain words (what happened, the chain of waits,
/// the guideline that covers it and its fix). The diagnosis comes from the trace's meta
/// `diagnosis` (written by the host), or from the run's JSON summary; until there is one, the
/// graph shows who waits for whom at the playhead.
class WaitForGraphView : public QWidget {
    Q_OBJECT
public:
    explicit WaitForGraphView(TraceSession& session, QWidget* parent = nullptr);

    /// A diagnosis from outside the trace (the run's JSON summary); empty: none.
    void setDiagnosisJson(const QByteArray& json);
    void setPresentation(bool on);
    [[nodiscard]] WaitForGraphCanvas* canvas() const noexcept { return canvas_; }
    [[nodiscard]] QString diagnosisText() const;
    /// Rebuilds the graph now (a timer does it at most every 100 ms while things change).
    void refresh();

private:
    TraceSession& session_;
    WaitForGraphCanvas* canvas_ = nullptr;
    QTextBrowser* text_ = nullptr;
    QByteArray externalDiagnosis_;
    QTimer timer_;
    bool dirty_ = true;
    bool presentation_ = false;
};

} // namespace forkscope
