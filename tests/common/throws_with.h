#pragma once

#include <QtTest/QtTest>
#include <initializer_list>
#include <string>

namespace forkscope::test {

/// Runs f() and expects an E whose message contains every one of `words` (a wrong message is
/// reported with qWarning, so a failing QVERIFY shows what was said instead).
template <class E, class F> bool throwsWith(F&& f, std::initializer_list<const char*> words) {
    try {
        f();
    } catch (const E& e) {
        const std::string what = e.what();
        for (const char* word : words) {
            if (what.find(word) == std::string::npos) {
                qWarning("message lacks '%s': %s", word, what.c_str());
                return false;
            }
        }
        return true;
    }
    return false;
}

template <class E, class F> bool throwsWith(F&& f, const std::string& word) {
    return throwsWith<E>(std::forward<F>(f), {word.c_str()});
}

} // namespace forkscope::test
