#pragma once

#include "process/entry_guard.h"

#include <QApplication>
#include <QStandardPaths>
#include <QtTest/QtTest>

/// main() for a GUI test: the entry guard first (as in every program of the project), then a
/// QApplication (offscreen, from the test's environment) and Qt Test. Settings and data go to
/// test locations, never the user's.
#define FORKSCOPE_UI_TEST_MAIN(TestObject)                                                                   \
    int main(int argc, char** argv) {                                                                        \
        forkscope::freezeSupport(argc, argv);                                                                \
        QStandardPaths::setTestModeEnabled(true);                                                            \
        QApplication app(argc, argv);                                                                        \
        QApplication::setOrganizationName(QStringLiteral("ForkscopeTest"));                                  \
        QApplication::setApplicationName(QStringLiteral("forkscope-tests"));                                 \
        TestObject testObject;                                                                               \
        QTEST_SET_MAIN_SOURCE_PATH                                                                           \
        return QTest::qExec(&testObject, argc, argv);                                                        \
    }
