#include "diagnosis.h"

#include <algorithm>

namespace forkscope {

namespace {

struct Advice {
    const char* guideline;
    const char* explanation;
    const char* fix;
};

const Advice kJoinBeforeGet{
    "Joining processes that use queues",
    "A process that has put items on a queue waits, before it terminates, until its feeder thread has "
    "written every buffered item into the queue's pipe. A pipe holds only so much; once it is full the "
    "feeder waits for a reader. If the reader is the process joining the putter, neither can go on.",
    "Get the items from the queue before joining the process that put them (or call "
    "cancel_join_thread(), accepting that buffered data may be lost)."};
const Advice kAbandonedLock{
    "Avoid terminating processes",
    "A process that is terminated (or killed) while it holds a shared lock never releases it. Every "
    "process that needs the lock afterwards waits for ever: the lock is abandoned.",
    "Terminate only processes that hold no shared resources, or use a robust lock whose next owner "
    "recovers it from the dead holder."};
const Advice kForkCopiedMutex{
    "Contexts and start methods",
    "fork copies the whole memory of a multi-threaded process but only the thread that called fork. A "
    "mutex another thread held at that moment is copied locked, and the thread that would unlock it does "
    "not exist in the child.",
    "Use the spawn or forkserver start method when the parent has threads (or fork before starting "
    "them)."};
const Advice kDeadPoolWorker{
    "Using a pool of workers",
    "A pool worker died while running a task. In Python's pool the task's result is never sent, so a "
    "caller waiting for it waits for ever (the pool replaces the worker but not the lost task).",
    "Fail fast when a worker dies (a 'broken' pool), set a timeout on get(), or use maxtasksperchild to "
    "recycle workers safely."};
const Advice kLockCycle{"Synchronization between processes",
                        "Each process holds what another one waits for, in a circle: none can go on.",
                        "Acquire locks in one global order, or hold one lock at a time."};
const Advice kNothingComing{"Programming guidelines",
                            "Every remaining process waits for something that no running process will "
                            "provide.",
                            "Make sure each wait has a party that will end it, and give waits a timeout."};

} // namespace

nlohmann::json Diagnosis::toJson() const {
    nlohmann::json nodesJson = nlohmann::json::array();
    for (const auto& n : nodes) {
        nodesJson.push_back({{"id", n.id}, {"label", n.label}, {"kind", n.kind}, {"dead", n.dead}});
    }
    nlohmann::json edgesJson = nlohmann::json::array();
    for (const auto& e : edges) {
        edgesJson.push_back({{"from", e.from}, {"to", e.to}, {"label", e.label}});
    }
    return {{"kind", kind},
            {"chain", chain},
            {"explanation", explanation},
            {"guideline", guideline},
            {"fix", fix},
            {"graph", {{"nodes", nodesJson}, {"edges", edgesJson}, {"cycle", cycle}}}};
}

std::optional<Diagnosis> Diagnosis::diagnose(const WaitForGraph::Input& input) {
    const WaitForGraph graph = WaitForGraph::build(input);
    if (graph.liveProcesses() == 0 || graph.blockedProcesses() < graph.liveProcesses()) {
        return std::nullopt;
    }
    Diagnosis d;
    d.nodes = graph.nodes();
    d.edges = graph.edges();
    const Advice* advice = &kNothingComing;
    std::vector<WaitForGraph::Edge> story;
    if (auto cycle = graph.findCycle(); !cycle.empty()) {
        d.outcome = Outcome::Deadlock;
        d.kind = "deadlock";
        const bool throughFeeder =
            std::any_of(cycle.begin(), cycle.end(), [](const auto& e) { return e.to.rfind("t:", 0) == 0; });
        advice = throughFeeder ? &kJoinBeforeGet : &kLockCycle;
        for (const auto& e : cycle) {
            d.cycle.push_back(e.from);
        }
        story = std::move(cycle);
    } else {
        d.outcome = Outcome::Stall;
        // The most telling dead end wins: a dead holder explains more than "nobody comes".
        const auto& ends = graph.deadEnds();
        const WaitForGraph::DeadEnd* end = nullptr;
        for (const char* kind :
             {"abandoned-lock", "fork-copied-mutex", "dead-pool-worker", "nothing-coming"}) {
            auto it = std::find_if(ends.begin(), ends.end(), [&](const auto& e) { return e.kind == kind; });
            if (it != ends.end()) {
                end = &*it;
                break;
            }
        }
        if (end == nullptr) {
            d.kind = "stall";
            d.chain.push_back("every live process is blocked, and nothing they wait for is on its way");
        } else {
            d.kind = end->kind == "nothing-coming" ? "stall" : end->kind;
            advice = end->kind == "abandoned-lock"      ? &kAbandonedLock
                     : end->kind == "fork-copied-mutex" ? &kForkCopiedMutex
                     : end->kind == "dead-pool-worker"  ? &kDeadPoolWorker
                                                        : &kNothingComing;
            story = graph.pathToDeadEnd(*end);
            for (const auto& e : story) {
                d.chain.push_back(e.sentence);
            }
            d.chain.push_back(end->sentence);
            story.clear();
        }
    }
    for (const auto& e : story) {
        d.chain.push_back(e.sentence);
    }
    // Adjacent edges from one resource to several processes say the same thing: keep one.
    d.chain.erase(std::unique(d.chain.begin(), d.chain.end()), d.chain.end());
    d.guideline = advice->guideline;
    d.fix = advice->fix;
    d.explanation = advice->explanation;
    return d;
}

} // namespace forkscope
