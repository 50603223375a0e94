// Percent-encoding (RFC 3986 §2.1) of request paths and query strings. `+` is never a space:
// registries and Go's clients encode a space as %20, and `+` is legitimate in media types
// (`?artifactType=application/vnd.oci.image.manifest.v1+json`) and in digest algorithms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <berth/util/expected.h>

namespace berth::util {

// The value of a hex digit, or -1 for a character that is not one.
int hex_value(char c);

enum class PercentError : std::uint8_t {
    malformed_escape, // `%` not followed by two hex digits
    nul_byte,         // a NUL, escaped or raw: it would truncate any C string built from the value
};

// Appends the decoded form of `text` to `out`. On failure `out` may hold part of the value.
Expected<Ok, PercentError> percent_decode_append(std::string_view text, std::string& out);

Expected<std::string, PercentError> percent_decode(std::string_view text);

// Everything but the RFC 3986 unreserved characters `A-Za-z0-9-._~` becomes `%XX`, so the
// value can sit in a query string inside a `Link: <...>` header without further quoting.
void percent_encode_query_value_append(std::string_view value, std::string& out);
std::string percent_encode_query_value(std::string_view value);

// Decoded key/value pairs in request order; a key may repeat (`tag=a&tag=b`).
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits on `&`; a pair without `=` has an empty value; empty pairs are skipped. As Go's
// `url.Query()` does (so clients see what they would from distribution or Zot), a pair with a
// malformed escape or a NUL is dropped rather than failing the whole request.
QueryParams parse_query(std::string_view query);

// The first value of `key`; an engaged empty view when the key is present without a value.
std::optional<std::string_view> query_first(const QueryParams& params, std::string_view key);

// Every value of `key`, in request order. The views point into `params`.
std::vector<std::string_view> query_all(const QueryParams& params, std::string_view key);

} // namespace berth::util
