// Times as Zot's GraphQL API writes them: RFC 3339 in UTC with as many fractional digits as
// needed (Go's time.RFC3339Nano), read from image configs in any RFC 3339 offset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::ext {

// Nanoseconds since the Unix epoch; nothing for text that is no RFC 3339 date-time.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

// "2006-01-02T15:04:05.5Z"; the zero time of Go ("0001-01-01T00:00:00Z") for `nullopt`.
std::string format_rfc3339(std::optional<std::int64_t> unix_ns);

} // namespace berth::ext
