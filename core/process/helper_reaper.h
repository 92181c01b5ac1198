#pragma once

#include "events/event_type.h"

#include <optional>
#include <sys/types.h>

namespace forkscope {

/// Reaps one of the engine's helper processes — the caller is its parent — and, when it ended
/// by a signal or with a failure code, records a HelperEnded event: a forkserver, a manager's
/// server or a resource tracker killed in the middle of a run is a fault the run's summary
/// must name, and only the parent can learn how it ended. One place for the forkserver, the
/// manager and the tracker, so each reports the same way.
/// Returns the exit code (negative: the signal), or nothing if there was nothing to reap.
std::optional<int> reapHelper(pid_t pid, HelperRole role) noexcept;

} // namespace forkscope
