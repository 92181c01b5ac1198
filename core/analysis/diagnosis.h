#pragma once

#include "scenario/scenario.h"
#include "wait_for_graph.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace forkscope {

/// Why a run stopped making progress, in words, with the guideline that covers it.
struct Diagnosis {
    Outcome outcome = Outcome::Stall; ///< Deadlock (a cycle) or Stall (no cycle)
    /// "deadlock", "abandoned-lock", "fork-copied-mutex", "dead-pool-worker" or "stall".
    std::string kind;
    std::vector<std::string> chain; ///< one clause per wait, in order
    std::string explanation;
    std::string guideline; ///< the heading in Python's programming guidelines
    std::string fix;
    std::vector<WaitForGraph::Node> nodes;
    std::vector<WaitForGraph::Edge> edges;
    std::vector<std::string> cycle; ///< node ids of the cycle, in order (deadlock only)

    [[nodiscard]] nlohmann::json toJson() const;

    /// Diagnoses the state the input describes if every live process is blocked; nullopt while
    /// some process still runs (or none is left). How long "blocked" must last before asking is
    /// the caller's choice: a wait that ends a moment later is not a stall.
    [[nodiscard]] static std::optional<Diagnosis> diagnose(const WaitForGraph::Input& input);
};

} // namespace forkscope
