#include "wait_for_graph_canvas.h"

#include <QPainter>
#include <QPainterPath>
#include <cmath>
#include <numbers>

namespace forkscope {

namespace {

const QColor kCycle(0xd0, 0x10, 0x2b);

/// Where the segment from the centre of r towards `towards` leaves r.
QPointF boundaryPoint(const QRectF& r, const QPointF& towards) {
    const QPointF c = r.center();
    const QPointF d = towards - c;
    if (d.isNull()) {
        return c;
    }
    const double sx = d.x() != 0 ? (r.width() / 2) / std::abs(d.x()) : 1e9;
    const double sy = d.y() != 0 ? (r.height() / 2) / std::abs(d.y()) : 1e9;
    return c + d * std::min(sx, sy);
}

} // namespace

WaitForGraphCanvas::WaitForGraphCanvas(QWidget* parent) : QWidget(parent) {
    setMinimumSize(320, 240);
}

void WaitForGraphCanvas::setGraph(WaitForGraph graph) {
    graph_ = std::move(graph);
    layoutNodes();
    update();
}

void WaitForGraphCanvas::setPresentation(bool on) {
    presentation_ = on;
    layoutNodes();
    update();
}

QRectF WaitForGraphCanvas::nodeRect(const QString& id) const {
    auto it = rects_.find(id);
    return it == rects_.end() ? QRectF() : it->second;
}

int WaitForGraphCanvas::highlightedEdgeCount() const {
    int n = 0;
    for (const auto& e : graph_.edges) {
        n += graph_.edgeInCycle(e) ? 1 : 0;
    }
    return n;
}

void WaitForGraphCanvas::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    layoutNodes();
}

void WaitForGraphCanvas::layoutNodes() {
    rects_.clear();
    const auto n = graph_.nodes.size();
    if (n == 0) {
        return;
    }
    // Cycle nodes first, in cycle order, so the loop is drawn as a ring.
    std::vector<const WaitForGraph::Node*> order;
    for (const QString& id : graph_.cycle) {
        const int i = graph_.nodeIndex(id);
        if (i >= 0) {
            order.push_back(&graph_.nodes[static_cast<std::size_t>(i)]);
        }
    }
    for (const auto& node : graph_.nodes) {
        if (!graph_.nodeInCycle(node.id)) {
            order.push_back(&node);
        }
    }
    QFont f = font();
    f.setBold(true);
    const QFontMetrics metrics(f);
    const QPointF centre(width() / 2.0, height() / 2.0);
    const double rx = std::max(60.0, width() / 2.0 - 150);
    const double ry = std::max(50.0, height() / 2.0 - 50);
    for (std::size_t i = 0; i < order.size(); ++i) {
        // Start at the top, go clockwise.
        const double angle = -std::numbers::pi / 2 + 2 * std::numbers::pi * double(i) / double(order.size());
        const QPointF p =
            order.size() == 1 ? centre : centre + QPointF(rx * std::cos(angle), ry * std::sin(angle));
        const double w = metrics.horizontalAdvance(order[i]->label) + 36;
        const double h = metrics.height() + 24;
        rects_[order[i]->id] = QRectF(p.x() - w / 2, p.y() - h / 2, w, h);
    }
}

void WaitForGraphCanvas::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QColor fg = presentation_ ? Qt::white : Qt::black;
    const QColor bg = presentation_ ? QColor(0x10, 0x10, 0x10) : Qt::white;
    painter.fillRect(rect(), bg);
    QFont f = font();
    if (graph_.nodes.empty()) {
        painter.setPen(fg);
        painter.setFont(f);
        painter.drawText(rect().adjusted(20, 20, -20, -20), Qt::AlignCenter | Qt::TextWordWrap,
                         tr("Nobody is waiting for anybody at the playhead.\nWhen processes block, the waits "
                            "appear here; a deadlock shows as a red loop."));
        return;
    }
    QFont labelFont = f;
    labelFont.setPointSizeF(f.pointSizeF() * 0.9);
    const QFontMetrics labelMetrics(labelFont);
    // Edges first, under the nodes.
    for (const auto& e : graph_.edges) {
        const QRectF a = nodeRect(e.from);
        const QRectF b = nodeRect(e.to);
        const bool hot = graph_.edgeInCycle(e);
        const QPointF p1 = boundaryPoint(a, b.center());
        const QPointF p2 = boundaryPoint(b, a.center());
        const QColor colour =
            hot ? kCycle : (presentation_ ? QColor(0xbb, 0xbb, 0xbb) : QColor(0x55, 0x55, 0x55));
        painter.setPen(QPen(colour, hot ? 5 : 2));
        painter.drawLine(p1, p2);
        const QLineF line(p2, p1);
        const double size = hot ? 20 : 13;
        const double angle = std::atan2(-line.dy(), line.dx());
        QPolygonF head;
        head << p2
             << p2 + QPointF(std::sin(angle + std::numbers::pi / 3) * size,
                             std::cos(angle + std::numbers::pi / 3) * size)
             << p2 + QPointF(std::sin(angle + std::numbers::pi - std::numbers::pi / 3) * size,
                             std::cos(angle + std::numbers::pi - std::numbers::pi / 3) * size);
        painter.setBrush(colour);
        painter.drawPolygon(head);
        if (!e.label.isEmpty()) {
            const QPointF mid = (p1 + p2) / 2;
            QRectF plate(0, 0, labelMetrics.horizontalAdvance(e.label) + 14, labelMetrics.height() + 6);
            plate.moveCenter(mid);
            painter.setPen(QPen(colour, 1));
            painter.setBrush(bg);
            painter.drawRoundedRect(plate, 4, 4);
            painter.setFont(labelFont);
            painter.setPen(hot ? kCycle : fg);
            painter.drawText(plate, Qt::AlignCenter, e.label);
        }
    }
    QFont nodeFont = f;
    nodeFont.setBold(true);
    painter.setFont(nodeFont);
    for (const auto& node : graph_.nodes) {
        const QRectF r = nodeRect(node.id);
        const bool hot = graph_.nodeInCycle(node.id);
        QColor fill = node.kind == QLatin1String("process")  ? QColor(0xd6, 0xea, 0xf8)
                      : node.kind == QLatin1String("thread") ? QColor(0xe8, 0xda, 0xef)
                                                             : QColor(0xfd, 0xeb, 0xd0);
        painter.setPen(QPen(hot ? kCycle : QColor(0x33, 0x33, 0x33), hot ? 4 : 2));
        painter.setBrush(fill);
        if (node.kind == QLatin1String("thread")) {
            painter.drawEllipse(r);
        } else if (node.kind == QLatin1String("process")) {
            painter.drawRoundedRect(r, 12, 12);
        } else {
            painter.drawRect(r);
        }
        painter.setPen(Qt::black);
        painter.drawText(r, Qt::AlignCenter, node.label);
    }
}

} // namespace forkscope
