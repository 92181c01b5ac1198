#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <cstdint>
#include <vector>

namespace forkscope {

class TraceData;

/// Who waits for whom: processes, feeder threads and resources as nodes, the waits as edges,
/// and a deadlock cycle if there is one, with the diagnosis in words. Built from the
/// `diagnosis` JSON the session host stores (contracts.md), or, while no diagnosis exists yet,
/// from the blocked processes at the playhead.
class WaitForGraph {
public:
    struct Node {
        QString id;
        QString label;
        QString kind; ///< "process" | "thread" | "resource"
    };
    struct Edge {
        QString from;
        QString to;
        QString label;
    };

    /// Throws std::runtime_error naming the field when the JSON is not a diagnosis.
    static WaitForGraph fromDiagnosisJson(const QByteArray& json);
    /// The waits at time t: blocked processes → what they wait for; a held lock → its owner.
    static WaitForGraph fromState(const TraceData& data, std::int64_t t);

    [[nodiscard]] bool isEmpty() const noexcept { return nodes.empty(); }
    [[nodiscard]] int nodeIndex(const QString& id) const;
    [[nodiscard]] bool nodeInCycle(const QString& id) const { return cycle.contains(id); }
    /// Whether the edge is one of the cycle's steps (consecutive cycle nodes, wrapping around).
    [[nodiscard]] bool edgeInCycle(const Edge& edge) const;
    /// Finds a cycle among the edges (depth-first); fills `cycle` when one exists.
    void detectCycle();

    std::vector<Node> nodes;
    std::vector<Edge> edges;
    QStringList cycle;
    QString kind; ///< "deadlock" | "stall" | "abandoned-lock" | ... ; empty: no diagnosis
    QStringList chain;
    QString explanation;
    QString guideline;
    QString fix;
};

} // namespace forkscope
