#pragma once

#include <map>
#include <string>
#include <string_view>

namespace forkscope {

/// Where each value of a JSON text starts, by JSON pointer ("/processes/worker/actions/0").
///
/// nlohmann::json tells the line of a *syntax* error but keeps no positions afterwards; a
/// scenario author needs the line of a *semantic* error too ("unknown action" on line 23).
/// This is a small structural scan of a text that has already parsed, so it need not handle
/// invalid JSON.
class JsonPositions {
public:
    explicit JsonPositions(std::string_view text);

    /// The line (1-based) of the value at pointer, or of its nearest ancestor that exists.
    [[nodiscard]] int lineOf(std::string pointer) const;

private:
    std::map<std::string, int> lines_;
};

} // namespace forkscope
