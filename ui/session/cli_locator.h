#pragma once

#include <QString>

namespace forkscope {

/// Where the session host forkscope-cli is: $FORKSCOPE_CLI, else next to this program, else
/// the build-tree path compiled into the app (empty when none exists).
class CliLocator {
public:
    static void setBuildTreeFallback(const QString& path);
    [[nodiscard]] static QString find();

private:
    static QString& fallback();
};

} // namespace forkscope
