#pragma once

#include <stdexcept>
#include <string>

namespace forkscope {

/// Misuse of a process or primitive: the analogue of Python's ValueError/AssertionError
/// (starting twice, joining an unstarted process, using a closed process ...).
class ProcessError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// An argument or target that cannot be sent to a fresh program image: the analogue of
/// Python's PicklingError under spawn and forkserver.
class SerializationError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A process was started while the program image was still bootstrapping (the entry guard
/// was not called first): the analogue of Python's RuntimeError from spawn._check_not_importing_main.
class BootstrapError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A peer failed the HMAC challenge: the analogue of multiprocessing.AuthenticationError.
class AuthenticationError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A blocking call did not finish within its timeout.
class TimeoutError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A system call failed; the message names the call, the context and errno's text.
class OsError : public std::runtime_error {
public:
    OsError(const std::string& what, int err);
    [[nodiscard]] int code() const noexcept { return code_; }

private:
    int code_;
};

/// Thrown by forkscope::exitProcess(n) inside a task: the analogue of Python's SystemExit.
/// The child runtime turns it into exit status n after running the exit hooks.
class SystemExit {
public:
    explicit SystemExit(int code) : code_(code) {}
    [[nodiscard]] int code() const noexcept { return code_; }

private:
    int code_;
};

/// Ends the current task with the given exit status (like sys.exit(n) in a Python child).
[[noreturn]] inline void exitProcess(int code) {
    throw SystemExit(code);
}

} // namespace forkscope
