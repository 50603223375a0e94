// A parsed HTTP/1.1 request head. Every view points into storage owned by the connection and
// stays valid until the response to this request has been sent.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace berth::http {

enum class Method : std::uint8_t { get, head, post, put, patch, delete_, options, other };

struct Header {
    std::string_view name;
    std::string_view value;
};

bool equals_ignore_case(std::string_view a, std::string_view b);

struct Request {
    Method method = Method::other;
    std::string_view method_name;
    std::string_view target; // as sent: path and query, still percent-encoded
    std::string_view path;   // target up to '?'
    std::string_view query;  // after '?', without it
    std::span<const Header> headers;
    std::optional<std::uint64_t> content_length;
    bool chunked = false;
    bool keep_alive = true;
    bool expect_continue = false;
    std::string_view peer; // the client's address

    bool has_body() const { return chunked || content_length.value_or(0) > 0; }

    // The first header with this name (case-insensitive), or empty.
    std::string_view header(std::string_view name) const;
    bool has_header(std::string_view name) const;

    // Calls `visit(value)` for each header with this name, in order; for headers that may
    // repeat, such as Accept.
    template <class Visit>
    void each_header(std::string_view name, Visit&& visit) const {
        for (const Header& entry : headers) {
            if (equals_ignore_case(entry.name, name)) {
                visit(entry.value);
            }
        }
    }
};

std::string_view method_name(Method method);

// True when the If-Match or If-None-Match header `field` lists `etag`, or is `*` (weak
// comparison: a W/ prefix does not matter).
bool etag_listed(const Request& request, std::string_view field, std::string_view etag);

// The value of the cookie `name` in the Cookie header(s), or empty.
std::string_view cookie(const Request& request, std::string_view name);

} // namespace berth::http
