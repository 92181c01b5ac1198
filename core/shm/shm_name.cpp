#include "shm_name.h"

#include <cstdio>
#include <stdexcept>

namespace forkscope::shmname {

std::string withLeadingSlash(std::string name) {
    if (!name.empty() && name.front() != '/') {
        name.insert(name.begin(), '/');
    }
    return name;
}

std::string problem(std::string_view name) {
    if (name.empty()) {
        return "it is empty";
    }
    if (name.front() != '/') {
        return "it must start with '/'";
    }
    if (name.size() == 1) {
        return "it must have at least one character after the leading '/'";
    }
    if (name.size() > kMaxLength) {
        return "it is " + std::to_string(name.size()) + " bytes long, over the limit of " +
               std::to_string(kMaxLength) + " (NAME_MAX)";
    }
    for (std::size_t i = 1; i < name.size(); ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        if (c == '/') {
            return "it must not contain a '/' after the leading one (at offset " + std::to_string(i) + ")";
        }
        if (c == '\n') {
            return "it must not contain a newline (at offset " + std::to_string(i) + ")";
        }
        if (c < 0x20 || c == 0x7f) {
            return "it must not contain control characters (byte " + std::to_string(c) + " at offset " +
                   std::to_string(i) + ")";
        }
    }
    if (name == "/." || name == "/..") {
        return "'.' and '..' name directories, not segments";
    }
    return {};
}

void check(std::string_view name) {
    std::string why = problem(name);
    if (!why.empty()) {
        throw std::invalid_argument("invalid shared memory name '" + printable(name) + "': " + why);
    }
}

std::string printable(std::string_view name) {
    std::string out;
    for (char ch : name) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\\') {
            out += "\\\\";
        } else if (c < 0x20 || c >= 0x7f) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += ch;
        }
    }
    return out;
}

} // namespace forkscope::shmname
