#pragma once
// Runs forkscope-cli as users' scripts do: a separate program, with a bound on how long it may take.
#include <QProcess>
#include <QString>
#include <QStringList>

namespace forkscope::test {

struct CliResult {
    int exitCode = -1;
    QString out;
    QString err;
};

inline CliResult runCli(const QStringList& args, int timeoutMs = 60000) {
    QProcess cli;
    cli.start(QStringLiteral(FORKSCOPE_CLI), args);
    CliResult result;
    if (!cli.waitForFinished(timeoutMs)) {
        cli.kill();
        cli.waitForFinished(5000);
        result.err = QStringLiteral("timed out");
        return result;
    }
    result.exitCode = cli.exitStatus() == QProcess::NormalExit ? cli.exitCode() : -1;
    result.out = QString::fromUtf8(cli.readAllStandardOutput());
    result.err = QString::fromUtf8(cli.readAllStandardError());
    return result;
}

} // namespace forkscope::test
