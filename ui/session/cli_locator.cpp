#include "cli_locator.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace forkscope {

QString& CliLocator::fallback() {
    static QString path;
    return path;
}

void CliLocator::setBuildTreeFallback(const QString& path) {
    fallback() = path;
}

QString CliLocator::find() {
    const QString env = qEnvironmentVariable("FORKSCOPE_CLI");
    if (!env.isEmpty()) {
        return env;
    }
    const QString beside =
        QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("forkscope-cli"));
    if (QFileInfo(beside).isExecutable()) {
        return beside;
    }
    if (!fallback().isEmpty() && QFileInfo(fallback()).isExecutable()) {
        return fallback();
    }
    return {};
}

} // namespace forkscope
