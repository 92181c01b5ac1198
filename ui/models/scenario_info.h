#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVariant>
#include <vector>

namespace forkscope {

struct ScenarioParameter {
    QString name;
    QString type; ///< "integer" | "boolean" | "string"
    QVariant defaultValue;
    QVariant min;
    QVariant max;
    QString unit;
    QString description;
};

/// One entry of `forkscope-cli list --json` (contracts.md).
struct ScenarioInfo {
    QString id;
    QString title;
    QString guidelineName;
    QString guidelineText;
    QString watchFor;
    QString hazard;
    QString fix;
    QString methodNotes;
    QString source;
    std::vector<ScenarioParameter> parameters;
    /// expected outcome per variant ("hazard"/"fix") and start method, e.g. "hazard/fork" -> "deadlock"
    QVariantMap expected;

    /// Parses the whole `list --json` output; throws std::runtime_error naming what is wrong.
    static std::vector<ScenarioInfo> parseList(const QByteArray& json);
};

} // namespace forkscope
