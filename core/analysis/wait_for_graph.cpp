#include "wait_for_graph.h"

#include <algorithm>
#include <functional>
#include <set>

namespace forkscope {

namespace {

bool isLive(ProcessPhase phase) {
    return phase == ProcessPhase::Created || phase == ProcessPhase::Running || phase == ProcessPhase::Blocked;
}

std::string bytesText(std::int64_t bytes) {
    if (bytes >= 1024 * 1024) {
        const std::int64_t tenths = bytes * 10 / (1024 * 1024);
        return std::to_string(tenths / 10) + (tenths % 10 != 0 ? "." + std::to_string(tenths % 10) : "") +
               " MiB";
    }
    if (bytes >= 1024) {
        return std::to_string(bytes / 1024) + " KiB";
    }
    return std::to_string(bytes) + " bytes";
}

std::string joinNames(const std::vector<std::string>& names) {
    std::string text;
    for (std::size_t i = 0; i < names.size(); ++i) {
        text += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
    }
    return text;
}

struct Builder {
    const WaitForGraph::Input& in;

    [[nodiscard]] std::string processName(std::int32_t pid) const {
        auto it = in.processNames.find(pid);
        return it != in.processNames.end() && !it->second.empty() ? it->second : "pid " + std::to_string(pid);
    }
    [[nodiscard]] std::string objectLabel(std::uint64_t id) const {
        auto it = in.objects.find(id);
        if (it == in.objects.end()) {
            return "object " + std::to_string(id);
        }
        const std::string kind(objectKindWord(it->second.kind));
        return it->second.name.empty() || it->second.name == kind ? kind
                                                                  : kind + " '" + it->second.name + "'";
    }
    [[nodiscard]] std::uint64_t capacity(std::uint64_t id) const {
        auto it = in.objects.find(id);
        return it == in.objects.end() ? 0 : it->second.capacity;
    }
    [[nodiscard]] ObjectKind kind(std::uint64_t id) const {
        auto it = in.objects.find(id);
        return it == in.objects.end() ? ObjectKind::Unknown : it->second.kind;
    }
};

std::string pid(std::int32_t p) {
    return "p:" + std::to_string(p);
}
std::string obj(std::uint64_t o) {
    return "o:" + std::to_string(o);
}

} // namespace

void WaitForGraph::addNode(Node node) {
    if (std::none_of(nodes_.begin(), nodes_.end(), [&](const Node& n) { return n.id == node.id; })) {
        nodes_.push_back(std::move(node));
    }
}

void WaitForGraph::addEdge(std::string from, std::string to, std::string label, std::string sentence) {
    edges_.push_back(Edge{std::move(from), std::move(to), std::move(label), std::move(sentence)});
}

WaitForGraph WaitForGraph::build(const Input& input) {
    WaitForGraph g;
    const SystemState& s = *input.state;
    const Builder b{input};
    std::vector<std::int32_t> live;
    for (const auto& [p, state] : s.processes) {
        if (isLive(state.phase)) {
            live.push_back(p);
            g.addNode(Node{pid(p), b.processName(p), "process", false});
            g.live_ += 1;
            // Joining a child that has already ended is about to return: not a wait that hangs.
            const bool joinEnds = state.blockedBy == EventType::ProcessReaped &&
                                  (s.processes.count(static_cast<std::int32_t>(state.blockedOn)) == 0 ||
                                   !isLive(s.processes.at(static_cast<std::int32_t>(state.blockedOn)).phase));
            g.blocked_ += state.phase == ProcessPhase::Blocked && !joinEnds ? 1 : 0;
        }
    }
    const auto othersThan = [&](std::int32_t self) {
        std::vector<std::int32_t> others;
        for (std::int32_t p : live) {
            if (p != self) {
                others.push_back(p);
            }
        }
        return others;
    };
    // A resource that another process must provide: it points at every other live process.
    const auto providedByOthers = [&](std::int32_t waiter, const std::string& resource,
                                      const std::string& what) {
        const auto others = othersThan(waiter);
        if (others.empty()) {
            g.deadEnds_.push_back(
                DeadEnd{resource, "nothing-coming", "no other process is left that could provide " + what});
            return;
        }
        std::vector<std::string> names;
        for (std::int32_t o : others) {
            names.push_back(b.processName(o));
        }
        for (std::int32_t o : others) {
            g.addEdge(resource, pid(o), "only from", what + " can only come from " + joinNames(names));
        }
    };

    for (std::int32_t p : live) {
        const ProcessState& ps = s.processes.at(p);
        if (ps.phase != ProcessPhase::Blocked) {
            continue;
        }
        const std::string name = b.processName(p);
        const std::uint64_t on = ps.blockedOn;
        switch (ps.blockedBy) {
        case EventType::ProcessReaped: {
            const auto child = static_cast<std::int32_t>(on);
            if (auto it = s.processes.find(child); it != s.processes.end() && isLive(it->second.phase)) {
                g.addEdge(pid(p), pid(child), "joins", name + " joins " + b.processName(child));
            }
            break;
        }
        case EventType::QueueFeederWrite: {
            const std::string feeder = "t:" + std::to_string(p) + ":feeder:" + std::to_string(on);
            g.addNode(Node{feeder, name + "'s feeder thread", "thread", false});
            g.addEdge(pid(p), feeder, "cannot exit before",
                      name + " cannot exit until its feeder thread has flushed what it put on " +
                          b.objectLabel(on));
            auto q = s.queues.find(on);
            if (q != s.queues.end() && q->second.feederBlocked) {
                const auto others = othersThan(p);
                std::vector<std::string> names;
                for (std::int32_t o : others) {
                    names.push_back(b.processName(o));
                }
                const std::uint64_t cap = b.capacity(on);
                std::string clause =
                    "the feeder is blocked: the queue's pipe is full" +
                    (cap != 0 ? " (it holds " + bytesText(static_cast<std::int64_t>(cap)) + ")"
                              : std::string());
                if (others.empty()) {
                    g.deadEnds_.push_back(
                        DeadEnd{feeder, "nothing-coming", clause + ", and no process is left to read it"});
                }
                for (std::int32_t o : others) {
                    g.addEdge(feeder, pid(o), "needs a reader",
                              clause + "; only " + joinNames(names) + " could read that pipe");
                }
            }
            break;
        }
        case EventType::LockWait: {
            const std::string lock = obj(on);
            g.addNode(Node{lock, b.objectLabel(on), "resource", false});
            g.addEdge(pid(p), lock, "waits for", name + " waits for " + b.objectLabel(on));
            auto l = s.locks.find(on);
            if (l == s.locks.end() || l->second.ownerPid == 0) {
                break;
            }
            const std::int32_t owner = l->second.ownerPid;
            const bool ownerLive = std::find(live.begin(), live.end(), owner) != live.end();
            if (b.kind(on) == ObjectKind::ThreadMutex && owner != p) {
                g.deadEnds_.push_back(
                    DeadEnd{lock, "fork-copied-mutex",
                            b.objectLabel(on) + " was locked by a thread of " + b.processName(owner) +
                                " when " + name +
                                " was forked; fork copied the locked mutex but not that thread, so "
                                "nothing in " +
                                name + " will ever unlock it"});
            } else if (!ownerLive) {
                g.nodes_.back().dead = true;
                g.deadEnds_.push_back(DeadEnd{lock, "abandoned-lock",
                                              b.objectLabel(on) + " is held by " + b.processName(owner) +
                                                  ", which ended without releasing it"});
            } else if (owner != p) {
                g.addEdge(lock, pid(owner), "held by",
                          b.objectLabel(on) + " is held by " + b.processName(owner));
            }
            break;
        }
        case EventType::QueueGet:
        case EventType::PipeRecv:
        case EventType::SemaphoreWait:
        case EventType::EventWait:
        case EventType::ConditionWait:
        case EventType::BarrierWait: {
            const std::string resource = obj(on);
            g.addNode(Node{resource, b.objectLabel(on), "resource", false});
            const char* verb = ps.blockedBy == EventType::QueueGet      ? "waits for an item on "
                               : ps.blockedBy == EventType::PipeRecv    ? "waits for a message on "
                               : ps.blockedBy == EventType::BarrierWait ? "waits at "
                                                                        : "waits for ";
            g.addEdge(pid(p), resource, "waits for", name + " " + verb + b.objectLabel(on));
            providedByOthers(p, resource, "progress on " + b.objectLabel(on));
            break;
        }
        case EventType::PoolTaskQueued:
            break; // an idle pool worker waiting for work: never the cause of a hang
        case EventType::PoolTaskFinished: {
            const std::string resource = obj(on);
            g.addNode(Node{resource, "a result of " + b.objectLabel(on), "resource", false});
            g.addEdge(pid(p), resource, "waits for", name + " waits for a result of " + b.objectLabel(on));
            // A worker of this pool that was killed: its task's result will never be sent.
            for (const auto& [w, ws] : s.processes) {
                if (ws.parentPid == p && !isLive(ws.phase) && ws.exitKnown && ws.exitCode < 0) {
                    g.deadEnds_.push_back(DeadEnd{resource, "dead-pool-worker",
                                                  "worker " + b.processName(w) + " was killed (signal " +
                                                      std::to_string(-ws.exitCode) +
                                                      ") while it ran a task; nobody will ever send that "
                                                      "task's result"});
                    break;
                }
            }
            break;
        }
        default:
            break;
        }
    }
    return g;
}

std::vector<WaitForGraph::Edge> WaitForGraph::findCycle() const {
    std::map<std::string, std::vector<const Edge*>> out;
    for (const Edge& e : edges_) {
        out[e.from].push_back(&e);
    }
    std::vector<const Edge*> path;
    std::set<std::string> onPath;
    std::set<std::string> done;
    std::vector<Edge> cycle;
    std::function<bool(const std::string&)> visit = [&](const std::string& node) {
        onPath.insert(node);
        for (const Edge* e : out[node]) {
            if (onPath.count(e->to) != 0) {
                auto start =
                    std::find_if(path.begin(), path.end(), [&](const Edge* x) { return x->from == e->to; });
                for (auto it = start; it != path.end(); ++it) {
                    cycle.push_back(**it);
                }
                cycle.push_back(*e);
                return true;
            }
            if (done.count(e->to) == 0) {
                path.push_back(e);
                if (visit(e->to)) {
                    return true;
                }
                path.pop_back();
            }
        }
        onPath.erase(node);
        done.insert(node);
        return false;
    };
    // Start from processes in the order they appear (main first), so the story starts with main.
    for (const Node& n : nodes_) {
        if (n.kind == "process" && done.count(n.id) == 0 && visit(n.id)) {
            return cycle;
        }
    }
    return {};
}

std::vector<WaitForGraph::Edge> WaitForGraph::pathToDeadEnd(const DeadEnd& end) const {
    // Breadth-first backwards from the dead end, then pick the process farthest away: the one
    // whose wait the whole chain explains (main, usually).
    std::map<std::string, const Edge*> next; // node -> edge towards the dead end
    std::vector<std::string> frontier{end.node};
    std::set<std::string> seen{end.node};
    std::string farthest = end.node;
    while (!frontier.empty()) {
        std::vector<std::string> following;
        for (const std::string& node : frontier) {
            for (const Edge& e : edges_) {
                if (e.to == node && seen.insert(e.from).second) {
                    next[e.from] = &e;
                    following.push_back(e.from);
                    if (e.from.rfind("p:", 0) == 0) {
                        farthest = e.from;
                    }
                }
            }
        }
        frontier = std::move(following);
    }
    std::vector<Edge> path;
    for (std::string node = farthest; node != end.node;) {
        const Edge* e = next.at(node);
        path.push_back(*e);
        node = e->to;
    }
    return path;
}

} // namespace forkscope
