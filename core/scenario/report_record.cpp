#include "report_record.h"

#include <cerrno>
#include <climits>
#include <unistd.h>

namespace forkscope {

void ReportRecord::writeTo(int fd) const noexcept {
    if (fd < 0) {
        return;
    }
    std::string line;
    line.reserve(PIPE_BUF);
    line.push_back(static_cast<char>(kind));
    line.push_back('\t');
    line += process;
    line.push_back('\t');
    for (char c : text) {
        line.push_back(c == '\n' || c == '\t' ? ' ' : c);
    }
    if (line.size() > PIPE_BUF - 1) {
        line.resize(PIPE_BUF - 4);
        line += "...";
    }
    line.push_back('\n');
    // One write: atomic for <= PIPE_BUF bytes, so records of many processes never mix.
    ssize_t n = 0;
    do {
        n = ::write(fd, line.data(), line.size());
    } while (n < 0 && errno == EINTR);
}

std::vector<ReportRecord> ReportRecord::takeLines(std::string& buffer) {
    std::vector<ReportRecord> records;
    std::size_t start = 0;
    for (std::size_t end = buffer.find('\n'); end != std::string::npos; end = buffer.find('\n', start)) {
        const std::string line = buffer.substr(start, end - start);
        start = end + 1;
        const auto tab1 = line.find('\t');
        const auto tab2 = tab1 == std::string::npos ? std::string::npos : line.find('\t', tab1 + 1);
        if (tab1 != 1 || tab2 == std::string::npos) {
            continue; // not a record: ignore rather than guess
        }
        ReportRecord r;
        r.kind = static_cast<Kind>(line[0]);
        r.process = line.substr(tab1 + 1, tab2 - tab1 - 1);
        r.text = line.substr(tab2 + 1);
        records.push_back(std::move(r));
    }
    buffer.erase(0, start);
    return records;
}

} // namespace forkscope
