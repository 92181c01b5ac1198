#pragma once

#include "leak_check.h"
#include "process/entry_guard.h"

#include <QtTest/QtTest>

/// main() for an engine test: the entry guard first (spawn children of this binary run their
/// task, not the tests), then this process becomes a subreaper so that an orphan can never
/// escape to init unnoticed, then Qt Test. No QCoreApplication: forked children must not
/// inherit a running Qt event machinery.
#define FORKSCOPE_TEST_MAIN(TestObject)                                                                      \
    int main(int argc, char** argv) {                                                                        \
        forkscope::freezeSupport(argc, argv);                                                                \
        forkscope::test::becomeSubreaper();                                                                  \
        TestObject testObject;                                                                               \
        QTEST_SET_MAIN_SOURCE_PATH                                                                           \
        return QTest::qExec(&testObject, argc, argv);                                                        \
    }
