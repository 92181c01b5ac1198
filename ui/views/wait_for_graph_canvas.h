#pragma once

#include "models/wait_for_graph.h"

#include <QWidget>
#include <map>

namespace forkscope {

/// Paints a WaitForGraph: processes as rounded boxes, feeder threads as ellipses, resources as
/// square boxes, the waits as labelled arrows. The cycle's nodes sit on a ring in cycle order
/// and its arrows are thick and red, so a deadlock reads as a loop from the back of the room.
class WaitForGraphCanvas : public QWidget {
    Q_OBJECT
public:
    explicit WaitForGraphCanvas(QWidget* parent = nullptr);

    void setGraph(WaitForGraph graph);
    void setPresentation(bool on);
    [[nodiscard]] const WaitForGraph& graph() const noexcept { return graph_; }
    /// Where a node is drawn (after layout for the current size); empty when unknown.
    [[nodiscard]] QRectF nodeRect(const QString& id) const;
    [[nodiscard]] int highlightedEdgeCount() const;

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void layoutNodes();

    WaitForGraph graph_;
    std::map<QString, QRectF> rects_;
    bool presentation_ = false;
};

} // namespace forkscope
