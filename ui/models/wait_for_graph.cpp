#include "wait_for_graph.h"

#include "narrator.h"
#include "trace_data.h"

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace forkscope {

namespace {

QString str(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? QString::fromStdString(it->get<std::string>()) : QString();
}

QString nodeId(std::uint64_t object) {
    return object < kFirstObjectId ? QStringLiteral("p:%1").arg(object) : QStringLiteral("r:%1").arg(object);
}

QString waitVerb(EventType blockedBy) {
    switch (blockedBy) {
    case EventType::ProcessReaped:
        return QStringLiteral("joins");
    case EventType::QueueGet:
        return QStringLiteral("waits for an item");
    case EventType::QueuePut:
        return QStringLiteral("waits for room");
    case EventType::LockWait:
        return QStringLiteral("waits for");
    case EventType::QueueFeederBlocked:
        return QStringLiteral("waits for its feeder to flush");
    default:
        return QStringLiteral("waits on");
    }
}

} // namespace

WaitForGraph WaitForGraph::fromDiagnosisJson(const QByteArray& json) {
    const auto root = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
    if (root.is_discarded() || !root.is_object()) {
        throw std::runtime_error("diagnosis: not a JSON object");
    }
    WaitForGraph g;
    g.kind = str(root, "kind");
    g.explanation = str(root, "explanation");
    g.guideline = str(root, "guideline");
    g.fix = str(root, "fix");
    if (auto c = root.find("chain"); c != root.end() && c->is_array()) {
        for (const auto& step : *c) {
            if (step.is_string()) {
                g.chain << QString::fromStdString(step.get<std::string>());
            }
        }
    }
    auto graph = root.find("graph");
    if (graph == root.end() || graph->is_null()) {
        return g;
    }
    if (!graph->is_object()) {
        throw std::runtime_error("diagnosis.graph: not an object");
    }
    if (auto ns = graph->find("nodes"); ns != graph->end() && ns->is_array()) {
        for (const auto& n : *ns) {
            if (!n.is_object() || str(n, "id").isEmpty()) {
                throw std::runtime_error("diagnosis.graph.nodes: a node without an \"id\"");
            }
            g.nodes.push_back({str(n, "id"), str(n, "label").isEmpty() ? str(n, "id") : str(n, "label"),
                               str(n, "kind").isEmpty() ? QStringLiteral("resource") : str(n, "kind")});
        }
    }
    if (auto es = graph->find("edges"); es != graph->end() && es->is_array()) {
        for (const auto& e : *es) {
            if (!e.is_object() || g.nodeIndex(str(e, "from")) < 0 || g.nodeIndex(str(e, "to")) < 0) {
                throw std::runtime_error("diagnosis.graph.edges: an edge between unknown nodes");
            }
            g.edges.push_back({str(e, "from"), str(e, "to"), str(e, "label")});
        }
    }
    if (auto cy = graph->find("cycle"); cy != graph->end() && cy->is_array()) {
        for (const auto& id : *cy) {
            if (id.is_string()) {
                g.cycle << QString::fromStdString(id.get<std::string>());
            }
        }
    }
    return g;
}

WaitForGraph WaitForGraph::fromState(const TraceData& data, std::int64_t t) {
    WaitForGraph g;
    auto addNode = [&](std::uint64_t object, const QString& kind) {
        const QString id = nodeId(object);
        if (g.nodeIndex(id) < 0) {
            g.nodes.push_back({id, data.objectName(object), kind});
        }
        return id;
    };
    for (const auto& [pid, changes] : data.phases()) {
        const auto phase = data.phaseAt(pid, t);
        if (!phase || phase->phase != ProcessPhase::Blocked || phase->blockedOn == 0) {
            continue;
        }
        const QString from = addNode(static_cast<std::uint64_t>(pid), QStringLiteral("process"));
        const QString to =
            addNode(phase->blockedOn, phase->blockedOn < kFirstObjectId ? QStringLiteral("process")
                                                                        : QStringLiteral("resource"));
        g.edges.push_back({from, to, waitVerb(phase->blockedBy)});
    }
    // A lock someone waits for points at its owner: that closes lock cycles.
    for (const auto& [lock, samples] : data.lockSamples()) {
        if (g.nodeIndex(nodeId(lock)) < 0) {
            continue;
        }
        auto after = std::upper_bound(samples.begin(), samples.end(), t,
                                      [](std::int64_t x, const LockPoint& s) { return x < s.ts; });
        if (after != samples.begin() && (after - 1)->acquired()) {
            const QString owner =
                addNode(static_cast<std::uint64_t>((after - 1)->pid()), QStringLiteral("process"));
            g.edges.push_back({nodeId(lock), owner, QStringLiteral("held by")});
        }
    }
    g.detectCycle();
    return g;
}

int WaitForGraph::nodeIndex(const QString& id) const {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (nodes[i].id == id) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

bool WaitForGraph::edgeInCycle(const Edge& edge) const {
    const auto n = cycle.size();
    for (qsizetype i = 0; i < n; ++i) {
        if (cycle[i] == edge.from && cycle[(i + 1) % n] == edge.to) {
            return true;
        }
    }
    return false;
}

void WaitForGraph::detectCycle() {
    std::map<QString, int> colour; // 0 unvisited, 1 on the stack, 2 done
    QStringList stack;
    std::function<bool(const QString&)> visit = [&](const QString& id) {
        colour[id] = 1;
        stack << id;
        for (const Edge& e : edges) {
            if (e.from != id) {
                continue;
            }
            if (colour[e.to] == 1) {
                cycle = stack.mid(stack.indexOf(e.to));
                return true;
            }
            if (colour[e.to] == 0 && visit(e.to)) {
                return true;
            }
        }
        colour[id] = 2;
        stack.removeLast();
        return false;
    };
    cycle.clear();
    for (const Node& n : nodes) {
        if (colour[n.id] == 0 && visit(n.id)) {
            return;
        }
    }
}

} // namespace forkscope
