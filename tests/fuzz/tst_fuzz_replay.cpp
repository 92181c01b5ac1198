// The fuzz entry points as an ordinary test, built with the normal compiler and run in CI: every
// committed corpus input (seeds, and every input a fuzzer once crashed on) and a few thousand
// mutants of them from a fixed seed. packaging/fuzz.sh runs the same entry points under libFuzzer.
#include "analysis/trace_fuzz.h"
#include "engine_test.h"
#include "frame_decoder_fuzz.h"
#include "fuzz_property_error.h"
#include "input_mutator.h"
#include "scenario_loader_fuzz.h"
#include "test_main.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <cstdint>
#include <vector>

using namespace forkscope;

namespace {

using Entry = int (*)(const std::uint8_t*, std::size_t);

struct Target {
    const char* name; ///< the corpus folder and the libFuzzer binary's suffix
    Entry entry;
    int mutants;           ///< sized so that each target takes a few seconds in a Debug build
    std::size_t randomMax; ///< the largest purely random input
};

constexpr Target kTargets[] = {
    {"frame_decoder", &fuzzFrameDecoder, 20000, 256},
    {"scenario_loader", &fuzzScenarioLoader, 4000, 512},
    {"trace_reader", &fuzzTraceReader, 600, 8192},
};

const Target& targetNamed(const QString& name) {
    for (const Target& t : kTargets) {
        if (name == QLatin1String(t.name)) {
            return t;
        }
    }
    qFatal("no fuzz target %s", qPrintable(name));
}

QString corpusDir(const char* target) {
    return QStringLiteral(FORKSCOPE_FUZZ_CORPUS "/") + QLatin1String(target);
}

std::vector<std::uint8_t> readFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        qFatal("cannot read %s", qPrintable(path));
    }
    const QByteArray bytes = file.readAll();
    return {bytes.begin(), bytes.end()};
}

QStringList corpusFiles(const char* target) {
    QStringList files;
    QDirIterator it(corpusDir(target), QDir::Files);
    while (it.hasNext()) {
        files << it.next();
    }
    files.sort();
    return files;
}

/// Runs one input; on failure keeps it next to the test (for the corpus once fixed) and says why.
QString runOne(const Target& target, const std::vector<std::uint8_t>& input, const QString& label) {
    QString failure;
    try {
        (void)target.entry(input.data(), input.size());
        return {};
    } catch (const FuzzPropertyError& e) {
        failure = QStringLiteral("broken promise: ") + QString::fromStdString(e.what());
    } catch (const std::exception& e) {
        failure = QStringLiteral("unexpected exception %1: %2").arg(typeid(e).name(), e.what());
    }
    const QString keep = QDir::current().filePath(
        QStringLiteral("fuzz-failure-%1-%2.bin").arg(QLatin1String(target.name), label));
    QFile file(keep);
    if (file.open(QIODevice::WriteOnly)) {
        file.write(reinterpret_cast<const char*>(input.data()), static_cast<qint64>(input.size()));
    }
    return QStringLiteral("%1 on %2 (input kept in %3)").arg(failure, label, keep);
}

} // namespace

class TestFuzzReplay : public forkscope::test::EngineTest {
    Q_OBJECT

private Q_SLOTS:
    /// Each target has seeds: an empty corpus would make the mutants below random noise.
    void everyTargetHasACorpus_data() {
        QTest::addColumn<QString>("target");
        for (const Target& t : kTargets) {
            QTest::newRow(t.name) << QString::fromLatin1(t.name);
        }
    }
    void everyTargetHasACorpus() {
        QFETCH(QString, target);
        QVERIFY2(corpusFiles(targetNamed(target).name).size() >= 3, qPrintable(corpusDir(target.toLatin1())));
    }

    void corpus_data() {
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("file");
        for (const Target& t : kTargets) {
            for (const QString& file : corpusFiles(t.name)) {
                QTest::newRow(qPrintable(
                    QStringLiteral("%1/%2").arg(QLatin1String(t.name), QFileInfo(file).fileName())))
                    << QString::fromLatin1(t.name) << file;
            }
        }
    }
    void corpus() {
        QFETCH(QString, target);
        QFETCH(QString, file);
        const QString failure = runOne(targetNamed(target), readFile(file), QFileInfo(file).fileName());
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
    }

    void mutants_data() {
        QTest::addColumn<QString>("target");
        for (const Target& t : kTargets) {
            QTest::newRow(t.name) << QString::fromLatin1(t.name);
        }
    }
    /// Mutants of the corpus and some purely random inputs, from a seed fixed per target: the
    /// iteration number in a failure reproduces it.
    void mutants() {
        QFETCH(QString, target);
        const Target& t = targetNamed(target);
        std::vector<std::vector<std::uint8_t>> corpus;
        for (const QString& file : corpusFiles(t.name)) {
            corpus.push_back(readFile(file));
        }
        QVERIFY(!corpus.empty());
        InputMutator mutator(qHash(target, 20261122));
        for (int i = 0; i < t.mutants; ++i) {
            const std::vector<std::uint8_t> input =
                i % 16 == 15 ? mutator.randomBytes(t.randomMax)
                             : mutator.mutate(corpus[static_cast<std::size_t>(i) % corpus.size()],
                                              corpus[static_cast<std::size_t>(i * 7 + 3) % corpus.size()]);
            const QString failure = runOne(t, input, QStringLiteral("mutant-%1").arg(i));
            QVERIFY2(failure.isEmpty(), qPrintable(failure));
        }
    }
};

FORKSCOPE_TEST_MAIN(TestFuzzReplay)
#include "tst_fuzz_replay.moc"
