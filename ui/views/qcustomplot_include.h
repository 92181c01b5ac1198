#pragma once

// QCustomPlot's header spells Qt's keywords (signals, slots, emit, foreach), which the project
// switches off globally (QT_NO_KEYWORDS: core has trace::emit and a Queue's slots). They are
// mapped to the Q_ macros for this one header, and removed again right after.
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define emit Q_EMIT
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef emit
#undef foreach
