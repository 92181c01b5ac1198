#pragma once

#include <cstddef>
#include <cstdint>

namespace forkscope {

/// Loads `bytes` as a scenario file and checks the loader's promises: only ScenarioError comes
/// out, naming the source, with a line inside the text; and what it accepts the runner can
/// evaluate (the defaults resolve, every count and every integer or boolean field of every action
/// and object option yields a value). A broken promise throws FuzzPropertyError.
int fuzzScenarioLoader(const std::uint8_t* data, std::size_t size);

} // namespace forkscope
