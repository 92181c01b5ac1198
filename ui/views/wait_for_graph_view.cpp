#include "wait_for_graph_view.h"

#include "session/trace_session.h"
#include "wait_for_graph_canvas.h"

#include <QHBoxLayout>
#include <QTextBrowser>
#include <exception>

namespace forkscope {

WaitForGraphView::WaitForGraphView(TraceSession& session, QWidget* parent)
    : QWidget(parent), session_(session) {
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    canvas_ = new WaitForGraphCanvas(this);
    text_ = new QTextBrowser(this);
    text_->setOpenExternalLinks(false);
    layout->addWidget(canvas_, 3);
    layout->addWidget(text_, 2);
    timer_.setInterval(100);
    connect(&timer_, &QTimer::timeout, this, [this] {
        if (dirty_) {
            refresh();
        }
    });
    timer_.start();
    auto markDirty = [this] { dirty_ = true; };
    connect(&session_, &TraceSession::positionChanged, this, markDirty);
    connect(&session_.data(), &TraceData::tablesChanged, this, markDirty);
    connect(&session_.data(), &TraceData::cleared, this, [this] {
        externalDiagnosis_.clear();
        dirty_ = true;
    });
    refresh();
}

void WaitForGraphView::setDiagnosisJson(const QByteArray& json) {
    externalDiagnosis_ = json;
    refresh();
}

void WaitForGraphView::setPresentation(bool on) {
    presentation_ = on;
    canvas_->setPresentation(on);
    refresh();
}

QString WaitForGraphView::diagnosisText() const {
    return text_->toPlainText();
}

void WaitForGraphView::refresh() {
    dirty_ = false;
    const TraceData& data = session_.data();
    QByteArray json = data.metaValue("diagnosis").toUtf8();
    if (json.isEmpty()) {
        json = externalDiagnosis_;
    }
    WaitForGraph graph;
    QString problem;
    bool diagnosed = false;
    // The diagnosis describes the stuck state the host found before tearing the run down: show
    // it once the playhead got there (or to the end, for a trace without teardown_ns).
    bool ok = false;
    const qint64 teardown = data.metaValue("teardown_ns").toLongLong(&ok);
    const std::int64_t diagnosedAt = ok ? std::min<std::int64_t>(teardown, data.endNs()) : data.endNs();
    if (!json.isEmpty() && json != "null" && !data.isEmpty() && session_.position() >= diagnosedAt) {
        try {
            graph = WaitForGraph::fromDiagnosisJson(json);
            diagnosed = true;
        } catch (const std::exception& e) {
            problem = QString::fromStdString(e.what());
        }
    }
    if (!diagnosed) {
        graph = WaitForGraph::fromState(data, session_.position());
    }
    const int pt = presentation_ ? 20 : 12;
    QString html = QStringLiteral("<div style='font-size:%1pt'>").arg(pt);
    if (diagnosed) {
        html += QStringLiteral("<h2 style='color:#d0102b'>%1</h2>").arg(graph.kind.toUpper().toHtmlEscaped());
        if (!graph.explanation.isEmpty()) {
            html += QStringLiteral("<p>%1</p>").arg(graph.explanation.toHtmlEscaped());
        }
        if (!graph.chain.isEmpty()) {
            html += QStringLiteral("<p><b>%1</b></p><ol>").arg(tr("The chain of waits:"));
            for (const QString& step : graph.chain) {
                html += QStringLiteral("<li>%1</li>").arg(step.toHtmlEscaped());
            }
            html += QStringLiteral("</ol>");
        }
        if (!graph.guideline.isEmpty()) {
            html +=
                QStringLiteral("<p><b>%1</b> %2</p>").arg(tr("Guideline:"), graph.guideline.toHtmlEscaped());
        }
        if (!graph.fix.isEmpty()) {
            html += QStringLiteral("<p><b style='color:#2e9e4f'>%1</b> %2</p>")
                        .arg(tr("Fix:"), graph.fix.toHtmlEscaped());
        }
    } else {
        html += QStringLiteral("<h3>%1</h3>").arg(tr("Who waits for whom, now"));
        if (!problem.isEmpty()) {
            html += QStringLiteral("<p style='color:#d0102b'>%1</p>").arg(problem.toHtmlEscaped());
        }
        if (graph.edges.empty()) {
            html += QStringLiteral("<p>%1</p>").arg(tr("No process is blocked at the playhead."));
        }
        for (const auto& e : graph.edges) {
            const int from = graph.nodeIndex(e.from);
            const int to = graph.nodeIndex(e.to);
            html += QStringLiteral("<p>%1 <i>%2</i> %3</p>")
                        .arg(graph.nodes[std::size_t(from)].label.toHtmlEscaped(), e.label.toHtmlEscaped(),
                             graph.nodes[std::size_t(to)].label.toHtmlEscaped());
        }
        if (!graph.cycle.isEmpty()) {
            html += QStringLiteral("<p style='color:#d0102b'><b>%1</b></p>")
                        .arg(tr("These waits form a cycle: none of them can ever end."));
        }
    }
    html += QStringLiteral("</div>");
    text_->setHtml(html);
    canvas_->setGraph(std::move(graph));
}

} // namespace forkscope
