#pragma once

#include <QMap>
#include <QObject>
#include <QProcess>
#include <QStringList>
#include <QTimer>

namespace forkscope {

/// Runs one scenario in a session host: `forkscope-cli run ID --start-method M [--fix]
/// [--set K=V]... --record FILE --json --timeout S`, as an asynchronous QProcess. The GUI never
/// forks workers itself (it is a threaded program); the host is a fresh single-threaded image.
/// Stop = SIGTERM (the host tears the run down and finishes the file), then SIGKILL if it
/// has not ended after a grace period.
class ScenarioRunner : public QObject {
    Q_OBJECT
public:
    struct Request {
        QString scenario;
        QString startMethod = QStringLiteral("fork");
        bool fix = false;
        QMap<QString, QString> parameters;
        QString recordPath;
        int timeoutSeconds = 30;
    };
    static constexpr int kStopGraceMs = 3000;

    explicit ScenarioRunner(QObject* parent = nullptr);
    ~ScenarioRunner() override;

    [[nodiscard]] static QStringList arguments(const Request& request);
    /// A fresh file name under the user's data directory (…/recordings/ID-METHOD-VARIANT-TIME.fstrace).
    [[nodiscard]] static QString newRecordingPath(const Request& request);

    /// Starts the host; false (and `error`) when forkscope-cli cannot be found or started.
    bool start(const Request& request, const QString& cliPath, QString* error);
    void stop();
    [[nodiscard]] bool isRunning() const;
    [[nodiscard]] const Request& request() const noexcept { return request_; }
    [[nodiscard]] qint64 hostPid() const;

Q_SIGNALS:
    void started(const QString& recordPath);
    /// The host ended: its exit code (0 = expected outcome), its JSON summary (may be empty when it crashed).
    void finished(int exitCode, const QByteArray& summaryJson, const QString& errorText);

private:
    QProcess process_;
    QTimer killTimer_;
    Request request_;
};

} // namespace forkscope
