#pragma once

#include <QString>
#include <QStringList>

namespace forkscope {

/// The command line of `forkscope`:
///   forkscope [FILE.fstrace] [--scenario ID [--start-method M] [--fix] [--run]]
///             [--screenshot OUT.png --after SECONDS] [--at SECONDS] [--tab graph|log|processes]
///             [--presentation] [--compare]
struct LaunchOptions {
    QString file;
    QString scenario;
    QString startMethod;
    bool fix = false;
    bool run = false;
    bool compare = false; ///< run the scenario under all three start methods
    QString screenshot;
    double after = 2.0;
    double at = -1; ///< playhead position (seconds from the start) for a recording; -1: the end
    QString tab;
    bool presentation = false;
    QString error; ///< non-empty: the command line is wrong (and says why)

    static LaunchOptions parse(const QStringList& arguments);
};

} // namespace forkscope
