#include "sections.h"

#include <algorithm>
#include <array>

namespace berth::config::detail {
namespace {

constexpr std::array<std::string_view, 7> level_names = {"trace", "debug", "info", "warn",
                                                         "error", "fatal", "panic"};

bool read_level(Reader& reader, Value value, LogLevel& out) {
    std::string name;
    if (!reader.string(value, name)) {
        return false;
    }
    std::string lowered = name;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    for (std::size_t i = 0; i < level_names.size(); ++i) {
        if (level_names[i] == lowered) {
            out = static_cast<LogLevel>(i);
            return true;
        }
    }
    return reader.fail("unknown level " + quote(name) +
                       " (levels: trace, debug, info, warn, error, fatal, panic)");
}

} // namespace

bool read_log(Reader& reader, Value value, LogConfig& out) {
    return reader.fields(value, {
                                    {"level",
                                     [&](Value v) {
                                         return read_level(reader, v, out.level);
                                     }},
                                    {"output",
                                     [&](Value v) {
                                         return reader.string(v, out.output);
                                     }},
                                    {"audit",
                                     [&](Value v) {
                                         return reader.string(v, out.audit);
                                     }},
                                });
}

} // namespace berth::config::detail

namespace berth::config {

std::string_view to_string(LogLevel level) {
    return detail::level_names[static_cast<std::size_t>(level)];
}

} // namespace berth::config
