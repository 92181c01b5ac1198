#pragma once

#include "events/event_sink.h"
#include "trace/system_state.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace forkscope {

/// Who waits for whom, at one instant, over processes, feeder threads and resources.
///
/// Built from a SystemState alone (so a live run and a replayed recording give the same graph).
/// Each edge carries the sentence that says it ("main joins worker-0"), so a path through the
/// graph reads as an explanation. A resource that only *some other* process could provide (an
/// item on an empty queue, bytes in a full pipe, an event being set) points at every other live
/// process: any of them could, and if all of them are themselves waiting, that is the cycle.
class WaitForGraph {
public:
    struct Node {
        std::string id; ///< "p:<pid>", "t:<pid>:feeder:<queue id>", "o:<object id>"
        std::string label;
        std::string kind;  ///< "process" | "thread" | "resource"
        bool dead = false; ///< a resource's holder that no longer runs
    };
    struct Edge {
        std::string from;
        std::string to;
        std::string label;    ///< short, for a drawing ("joins", "waits for", "held by")
        std::string sentence; ///< the whole clause, for the chain in words
    };
    /// Why the waiting can never end, where a path stops without a cycle.
    struct DeadEnd {
        std::string node;
        std::string kind; ///< "abandoned-lock" | "fork-copied-mutex" | "dead-pool-worker" | "nothing-coming"
        std::string sentence;
    };

    struct Input {
        const SystemState* state = nullptr;
        std::map<std::int32_t, std::string> processNames;
        std::map<std::uint64_t, ObjectInfo> objects;
    };

    static WaitForGraph build(const Input& input);

    [[nodiscard]] const std::vector<Node>& nodes() const noexcept { return nodes_; }
    [[nodiscard]] const std::vector<Edge>& edges() const noexcept { return edges_; }
    [[nodiscard]] const std::vector<DeadEnd>& deadEnds() const noexcept { return deadEnds_; }
    /// Live processes (not ended, not reaped) and how many of them are blocked.
    [[nodiscard]] int liveProcesses() const noexcept { return live_; }
    [[nodiscard]] int blockedProcesses() const noexcept { return blocked_; }

    /// A cycle, as the edges that form it, starting at a process; empty if there is none.
    [[nodiscard]] std::vector<Edge> findCycle() const;
    /// The longest simple path from a process to a dead end (the stall's explanation).
    [[nodiscard]] std::vector<Edge> pathToDeadEnd(const DeadEnd& end) const;

private:
    void addNode(Node node);
    void addEdge(std::string from, std::string to, std::string label, std::string sentence);

    std::vector<Node> nodes_;
    std::vector<Edge> edges_;
    std::vector<DeadEnd> deadEnds_;
    int live_ = 0;
    int blocked_ = 0;
};

} // namespace forkscope
