// Where a JSON text stops being JSON. The configuration parser rejects invalid text without
// saying where; this scanner is run only then, to point the administrator at the line.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace berth::config {

// Values nested inside this many arrays or objects are rejected, as the configuration
// parser does (its default depth limit); a real configuration is a handful of levels deep.
constexpr std::size_t json_depth_max = 1024;

struct JsonErrorLocation {
    std::size_t line = 0;   // 1-based
    std::size_t column = 0; // 1-based, in characters (UTF-8 code points), a tab counts one
    std::string what;       // e.g. "expected ',' or '}', found ']'"
};

// The first place where `text` breaks RFC 8259 (syntax, string escapes, UTF-8, numbers
// outside the 64-bit integer or double range, nesting deeper than json_depth_max), or
// nullopt when the text is valid JSON.
std::optional<JsonErrorLocation> locate_json_error(std::string_view text);

} // namespace berth::config
