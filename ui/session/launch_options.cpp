#include "launch_options.h"

#include <QCommandLineParser>

namespace forkscope {

LaunchOptions LaunchOptions::parse(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Forkscope: see how Python-style multiprocessing behaves"));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("A .fstrace recording to open"));
    const QCommandLineOption scenario(QStringLiteral("scenario"), QStringLiteral("Select a scenario"),
                                      QStringLiteral("id"));
    const QCommandLineOption method(QStringLiteral("start-method"),
                                    QStringLiteral("fork, spawn or forkserver"), QStringLiteral("method"));
    const QCommandLineOption fix(QStringLiteral("fix"), QStringLiteral("Run the fixed variant"));
    const QCommandLineOption run(QStringLiteral("run"), QStringLiteral("Run the selected scenario at once"));
    const QCommandLineOption shot(QStringLiteral("screenshot"),
                                  QStringLiteral("Save the window to a PNG and exit"),
                                  QStringLiteral("file"));
    const QCommandLineOption after(QStringLiteral("after"), QStringLiteral("Seconds before the screenshot"),
                                   QStringLiteral("seconds"), QStringLiteral("2"));
    const QCommandLineOption at(QStringLiteral("at"), QStringLiteral("Playhead position in seconds"),
                                QStringLiteral("seconds"));
    const QCommandLineOption tab(QStringLiteral("tab"), QStringLiteral("graph, log or processes"),
                                 QStringLiteral("name"));
    const QCommandLineOption presentation(QStringLiteral("presentation"),
                                          QStringLiteral("Start in presentation mode"));
    const QCommandLineOption compare(QStringLiteral("compare"),
                                     QStringLiteral("Run the scenario under fork, spawn and forkserver"));
    parser.addOptions({scenario, method, fix, run, shot, after, at, tab, presentation, compare});

    LaunchOptions o;
    if (!parser.parse(arguments)) {
        o.error = parser.errorText();
        return o;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        o.error = parser.helpText();
        return o;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1) {
        o.error = QStringLiteral("at most one trace file, got %1").arg(positional.size());
        return o;
    }
    o.file = positional.value(0);
    o.scenario = parser.value(scenario);
    o.startMethod = parser.value(method);
    o.fix = parser.isSet(fix);
    o.run = parser.isSet(run);
    o.compare = parser.isSet(compare);
    o.screenshot = parser.value(shot);
    o.presentation = parser.isSet(presentation);
    o.tab = parser.value(tab);
    bool ok = true;
    o.after = parser.value(after).toDouble(&ok);
    if (!ok || o.after < 0) {
        o.error = QStringLiteral("--after needs a number of seconds >= 0, got '%1'").arg(parser.value(after));
        return o;
    }
    if (parser.isSet(at)) {
        o.at = parser.value(at).toDouble(&ok);
        if (!ok || o.at < 0) {
            o.error = QStringLiteral("--at needs a number of seconds >= 0, got '%1'").arg(parser.value(at));
            return o;
        }
    }
    if (!o.startMethod.isEmpty() && o.startMethod != QLatin1String("fork") &&
        o.startMethod != QLatin1String("spawn") && o.startMethod != QLatin1String("forkserver")) {
        o.error =
            QStringLiteral("--start-method must be fork, spawn or forkserver, got '%1'").arg(o.startMethod);
        return o;
    }
    if ((o.run || o.compare) && o.scenario.isEmpty()) {
        o.error = QStringLiteral("--run needs --scenario ID");
        return o;
    }
    if (o.run && !o.file.isEmpty()) {
        o.error = QStringLiteral("give either a trace file or --scenario ID --run, not both");
        return o;
    }
    return o;
}

} // namespace forkscope
