#include "json_positions.h"

#include <nlohmann/json.hpp>
#include <vector>

namespace forkscope {

namespace {
struct Level {
    bool isObject = false;
    bool expectingKey = false;
    std::string key;
    std::size_t index = 0;
};

std::string escapeToken(const std::string& token) {
    std::string out;
    for (char c : token) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}
} // namespace

JsonPositions::JsonPositions(std::string_view text) {
    std::vector<Level> stack;
    int line = 1;
    auto pointer = [&] {
        std::string p;
        for (const Level& level : stack) {
            p += '/';
            p += level.isObject ? escapeToken(level.key) : std::to_string(level.index);
        }
        return p;
    };
    auto recordValue = [&] { lines_.emplace(pointer(), line); };

    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        switch (c) {
        case '\n':
            ++line;
            break;
        case ' ':
        case '\t':
        case '\r':
            break;
        case '{':
        case '[':
            recordValue();
            stack.push_back(Level{c == '{', c == '{', {}, 0});
            break;
        case '}':
        case ']':
            if (!stack.empty()) {
                stack.pop_back();
            }
            break;
        case ',':
            if (!stack.empty()) {
                if (stack.back().isObject) {
                    stack.back().expectingKey = true;
                } else {
                    ++stack.back().index;
                }
            }
            break;
        case ':':
            if (!stack.empty()) {
                stack.back().expectingKey = false;
            }
            break;
        case '"': {
            const std::size_t start = i;
            for (++i; i < text.size() && text[i] != '"'; ++i) {
                if (text[i] == '\\') {
                    ++i;
                }
            }
            if (!stack.empty() && stack.back().isObject && stack.back().expectingKey) {
                stack.back().key =
                    nlohmann::json::parse(text.substr(start, i - start + 1)).get<std::string>();
            } else {
                recordValue();
            }
            break;
        }
        default: // a number, true, false or null
            recordValue();
            while (i + 1 < text.size() &&
                   std::string_view(",]} \t\r\n").find(text[i + 1]) == std::string_view::npos) {
                ++i;
            }
            break;
        }
    }
}

int JsonPositions::lineOf(std::string pointer) const {
    for (;;) {
        auto it = lines_.find(pointer);
        if (it != lines_.end()) {
            return it->second;
        }
        auto slash = pointer.rfind('/');
        if (slash == std::string::npos) {
            return 1;
        }
        pointer.resize(slash);
    }
}

} // namespace forkscope
