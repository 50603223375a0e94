#include "patterns.h"

#include <cstddef>

#include <re2/re2.h>

namespace berth::config::detail {
namespace {

// The index just past the class that starts at `open` ('['), or npos when it never closes
// or is empty.
std::size_t class_end(std::string_view pattern, std::size_t open) {
    std::size_t i = open + 1;
    if (i < pattern.size() && (pattern[i] == '^' || pattern[i] == '!')) {
        ++i;
    }
    if (i >= pattern.size() || pattern[i] == ']') {
        return std::string_view::npos;
    }
    for (; i < pattern.size(); ++i) {
        if (pattern[i] == '\\') {
            ++i;
        } else if (pattern[i] == ']') {
            return i + 1;
        }
    }
    return std::string_view::npos;
}

} // namespace

bool valid_glob(std::string_view pattern) {
    std::size_t open_braces = 0;
    std::size_t i = 0;
    while (i < pattern.size()) {
        char c = pattern[i];
        if (c == '\\') {
            if (i + 1 >= pattern.size()) {
                return false;
            }
            i += 2;
        } else if (c == '[') {
            i = class_end(pattern, i);
            if (i == std::string_view::npos) {
                return false;
            }
        } else {
            if (c == '{') {
                ++open_braces;
            } else if (c == '}') {
                if (open_braces == 0) {
                    return false;
                }
                --open_braces;
            }
            ++i;
        }
    }
    return open_braces == 0;
}

std::optional<std::string> regex_error(std::string_view pattern) {
    RE2::Options options;
    options.set_log_errors(false);
    RE2 compiled(re2::StringPiece(pattern.data(), pattern.size()), options);
    if (compiled.ok()) {
        return std::nullopt;
    }
    return compiled.error();
}

} // namespace berth::config::detail
