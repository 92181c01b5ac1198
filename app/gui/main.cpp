// forkscope: the desktop app. It watches scenarios run in a session host (forkscope-cli) and
// replays recordings; it never forks workers itself.
#include "process/entry_guard.h"
#include "session/cli_locator.h"
#include "session/launch_options.h"
#include "widgets/main_window.h"

#include <QApplication>
#include <cstdio>

int main(int argc, char** argv) {
    forkscope::freezeSupport(argc, argv);
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Forkscope"));
    QApplication::setApplicationName(QStringLiteral("forkscope"));
    forkscope::CliLocator::setBuildTreeFallback(QStringLiteral(FORKSCOPE_CLI_BUILD_PATH));

    const auto options = forkscope::LaunchOptions::parse(QApplication::arguments());
    if (!options.error.isEmpty()) {
        std::fprintf(stderr, "forkscope: %s\n", qPrintable(options.error));
        return options.error.startsWith(QLatin1String("Usage")) ? 0 : 2;
    }
    forkscope::MainWindow window;
    if (!options.screenshot.isEmpty()) {
        // A picture for the README: a fixed size, and no full screen (the size is the picture's).
        window.setPresentationFullScreen(false);
        window.resize(1920, 1080);
        QObject::connect(
            &window, &forkscope::MainWindow::screenshotSaved, &app, [](const QString& path, bool ok) {
                std::fprintf(ok ? stdout : stderr, ok ? "saved %s\n" : "forkscope: could not save %s\n",
                             qPrintable(path));
                QApplication::exit(ok ? 0 : 1);
            });
    }
    window.show();
    window.refreshScenarioList();
    window.applyLaunchOptions(options);
    return QApplication::exec();
}
