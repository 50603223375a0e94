// Checks on the pattern strings a configuration carries, so that a typo fails at startup and
// not at the first request or GC run that needs the pattern.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::config::detail {

// A glob ("infra/*", "tmp/**", "{a,b}/c", "[a-z]*") is well-formed: character
// classes are closed and not empty, braces balance, no escape is left dangling.
bool valid_glob(std::string_view pattern);

// Why `pattern` is not a valid RE2 (Go regexp) expression, or nullopt when it is.
std::optional<std::string> regex_error(std::string_view pattern);

} // namespace berth::config::detail
