#pragma once

#include <stdexcept>

namespace forkscope {

/// A fuzz entry point found input on which the code under test broke one of its documented
/// promises without crashing (a decoded frame that does not re-encode to the same bytes, a
/// scenario that loads but cannot be evaluated). Under libFuzzer it escapes, terminates the
/// process and so counts as a crash; the replay test reports it as a failure.
class FuzzPropertyError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

} // namespace forkscope
