#pragma once

#include <string>
#include <vector>

namespace forkscope {

/// One line a scenario process tells the session host: what it observed ("worker-0 sees
/// counter = 0"), or the error that ended it. Records travel over one pipe shared by every
/// process of the run; each is written with a single write() of at most PIPE_BUF bytes, so
/// records of different processes never interleave.
struct ReportRecord {
    enum class Kind : char { Observation = 'O', Error = 'E', Measure = 'M' };
    Kind kind = Kind::Observation;
    std::string process;
    std::string text;

    /// Never blocks for long and never throws: reporting must not change the run.
    void writeTo(int fd) const noexcept;
    /// Takes the complete lines off the front of `buffer` (a partial last line stays).
    [[nodiscard]] static std::vector<ReportRecord> takeLines(std::string& buffer);
};

} // namespace forkscope
