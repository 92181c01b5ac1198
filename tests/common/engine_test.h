#pragma once

#include "leak_check.h"

#include <QObject>
#include <QtTest/QtTest>

namespace forkscope::test {

/// The base of every engine test: each test function must leave the process as it found it —
/// the same fds, no child process (running, zombie or orphan re-parented to us), and nothing
/// new in /dev/shm. Qt Test finds init() and cleanup() here by name.
class EngineTest : public QObject {
    Q_OBJECT

protected:
    /// Takes a new baseline, for a test that replaces a long-lived helper on purpose.
    void rebaseline() { before_ = LeakSnapshot::take(); }

private Q_SLOTS:
    void init() { before_ = LeakSnapshot::take(); }
    void cleanup() {
        const std::string leaks = before_.leaksIn(LeakSnapshot::take());
        QVERIFY2(leaks.empty(), leaks.c_str());
    }

private:
    LeakSnapshot before_;
};

} // namespace forkscope::test
