#include "scenario_runner.h"

#include <QDateTime>
#include <QDir>
#include <QStandardPaths>

namespace forkscope {

ScenarioRunner::ScenarioRunner(QObject* parent) : QObject(parent) {
    killTimer_.setSingleShot(true);
    killTimer_.setInterval(kStopGraceMs);
    connect(&killTimer_, &QTimer::timeout, &process_, &QProcess::kill);
    connect(&process_, &QProcess::finished, this, [this](int exitCode, QProcess::ExitStatus status) {
        killTimer_.stop();
        const QByteArray out = process_.readAllStandardOutput();
        QString err = QString::fromLocal8Bit(process_.readAllStandardError()).trimmed();
        if (status == QProcess::CrashExit && err.isEmpty()) {
            err = tr("forkscope-cli ended abnormally (%1)").arg(process_.errorString());
        }
        Q_EMIT finished(status == QProcess::CrashExit ? -1 : exitCode, out, err);
    });
    connect(&process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart) {
            Q_EMIT finished(-1, {}, tr("could not start forkscope-cli: %1").arg(process_.errorString()));
        }
    });
}

ScenarioRunner::~ScenarioRunner() {
    // Whoever listens may be half destroyed by now: the end of this host is reported to nobody.
    process_.disconnect(this);
    blockSignals(true);
    if (process_.state() != QProcess::NotRunning) {
        // Never leave a host (and its workers) behind: terminate, then insist.
        process_.terminate();
        if (!process_.waitForFinished(kStopGraceMs)) {
            process_.kill();
            process_.waitForFinished(kStopGraceMs);
        }
    }
}

QStringList ScenarioRunner::arguments(const Request& request) {
    QStringList args{QStringLiteral("run"), request.scenario, QStringLiteral("--start-method"),
                     request.startMethod};
    if (request.fix) {
        args << QStringLiteral("--fix");
    }
    for (auto it = request.parameters.cbegin(); it != request.parameters.cend(); ++it) {
        args << QStringLiteral("--set") << QStringLiteral("%1=%2").arg(it.key(), it.value());
    }
    args << QStringLiteral("--record") << request.recordPath << QStringLiteral("--json")
         << QStringLiteral("--timeout") << QString::number(request.timeoutSeconds);
    return args;
}

QString ScenarioRunner::newRecordingPath(const Request& request) {
    const QDir dir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
                   QStringLiteral("/recordings"));
    dir.mkpath(QStringLiteral("."));
    const QString stamp = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss-zzz"));
    return dir.filePath(QStringLiteral("%1-%2-%3-%4.fstrace")
                            .arg(request.scenario, request.startMethod,
                                 request.fix ? QStringLiteral("fix") : QStringLiteral("hazard"), stamp));
}

bool ScenarioRunner::start(const Request& request, const QString& cliPath, QString* error) {
    if (isRunning()) {
        *error = tr("a scenario is already running");
        return false;
    }
    if (cliPath.isEmpty()) {
        *error = tr("forkscope-cli was not found (next to forkscope, or set FORKSCOPE_CLI)");
        return false;
    }
    request_ = request;
    process_.setProgram(cliPath);
    process_.setArguments(arguments(request));
    process_.start();
    Q_EMIT started(request.recordPath);
    return true;
}

void ScenarioRunner::stop() {
    if (process_.state() == QProcess::NotRunning) {
        return;
    }
    process_.terminate();
    killTimer_.start();
}

bool ScenarioRunner::isRunning() const {
    return process_.state() != QProcess::NotRunning;
}

qint64 ScenarioRunner::hostPid() const {
    return process_.processId();
}

} // namespace forkscope
