#include "scenario.h"

namespace forkscope {

std::string_view toString(Outcome outcome) noexcept {
    switch (outcome) {
    case Outcome::Completed:
        return "completed";
    case Outcome::Deadlock:
        return "deadlock";
    case Outcome::Stall:
        return "stall";
    case Outcome::Error:
        return "error";
    case Outcome::Timeout:
        return "timeout";
    }
    return "unknown";
}

std::optional<Outcome> parseOutcome(std::string_view text) noexcept {
    for (auto outcome :
         {Outcome::Completed, Outcome::Deadlock, Outcome::Stall, Outcome::Error, Outcome::Timeout}) {
        if (toString(outcome) == text) {
            return outcome;
        }
    }
    return std::nullopt;
}

std::string_view toString(Variant variant) noexcept {
    return variant == Variant::Hazard ? "hazard" : "fix";
}

const std::vector<Action>& ProcessSpec::actionsFor(Variant variant) const {
    auto it = variantActions.find(variant);
    return it != variantActions.end() ? it->second : actions;
}

const ParameterSpec* Scenario::parameter(std::string_view name) const {
    for (const auto& p : parameters) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

const ObjectSpec* Scenario::object(std::string_view name) const {
    for (const auto& o : objects) {
        if (o.name == name) {
            return &o;
        }
    }
    return nullptr;
}

const ProcessSpec* Scenario::process(std::string_view name) const {
    for (const auto& p : processes) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

} // namespace forkscope
