#include "scenario_info.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace forkscope {

namespace {

QString text(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return {};
    }
    if (it->is_string()) {
        return QString::fromStdString(it->get<std::string>());
    }
    return QString::fromStdString(it->dump());
}

QVariant value(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return {};
    }
    if (it->is_boolean()) {
        return it->get<bool>();
    }
    if (it->is_number_integer()) {
        return QVariant::fromValue(it->get<qlonglong>());
    }
    if (it->is_number()) {
        return it->get<double>();
    }
    if (it->is_string()) {
        return QString::fromStdString(it->get<std::string>());
    }
    return QString::fromStdString(it->dump());
}

} // namespace

std::vector<ScenarioInfo> ScenarioInfo::parseList(const QByteArray& json) {
    const auto root = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
    if (root.is_discarded() || !root.is_object() || !root.contains("scenarios") ||
        !root["scenarios"].is_array()) {
        throw std::runtime_error("forkscope-cli list --json: expected an object with a \"scenarios\" array");
    }
    std::vector<ScenarioInfo> out;
    for (const auto& s : root["scenarios"]) {
        if (!s.is_object() || !s.contains("id") || !s["id"].is_string()) {
            throw std::runtime_error("forkscope-cli list --json: a scenario without a string \"id\"");
        }
        ScenarioInfo info;
        info.id = text(s, "id");
        info.title = text(s, "title");
        if (auto g = s.find("guideline"); g != s.end() && g->is_object()) {
            info.guidelineName = text(*g, "name");
            info.guidelineText = text(*g, "text");
        }
        info.watchFor = text(s, "watch_for");
        info.hazard = text(s, "hazard");
        info.fix = text(s, "fix");
        info.methodNotes = text(s, "method_notes");
        info.source = text(s, "source");
        if (auto ps = s.find("parameters"); ps != s.end() && ps->is_array()) {
            for (const auto& p : *ps) {
                if (!p.is_object()) {
                    continue;
                }
                info.parameters.push_back({text(p, "name"), text(p, "type"), value(p, "default"),
                                           value(p, "min"), value(p, "max"), text(p, "unit"),
                                           text(p, "description")});
            }
        }
        if (auto ex = s.find("expected"); ex != s.end() && ex->is_object()) {
            for (const auto& [variant, methods] : ex->items()) {
                if (!methods.is_object()) {
                    continue;
                }
                for (const auto& [method, outcome] : methods.items()) {
                    info.expected.insert(QString::fromStdString(variant + "/" + method),
                                         outcome.is_string()
                                             ? QString::fromStdString(outcome.get<std::string>())
                                             : QString::fromStdString(outcome.dump()));
                }
            }
        }
        if (info.title.isEmpty()) {
            info.title = info.id;
        }
        out.push_back(std::move(info));
    }
    return out;
}

} // namespace forkscope
