// A response under construction. The connection turns it into one buffer (status line,
// headers and, for small bodies, the body) and sends it with a single submission.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::http {

class Response {
public:
    explicit Response(int status) : status_(status) {}

    Response& header(std::string_view name, std::string_view value);
    // The whole body, with its type; sets Content-Length.
    Response& body(std::string content, std::string_view content_type);
    // For a body sent separately (a file) or not at all (HEAD): the length to announce.
    Response& content_length(std::uint64_t length);

    int status() const { return status_; }
    const std::string& body() const { return body_; }
    std::uint64_t announced_length() const { return length_.value_or(body_.size()); }
    bool has_announced_length() const { return length_.has_value() || !body_.empty(); }
    const std::string& fields() const { return fields_; }

private:
    int status_;
    std::string fields_; // "Name: value\r\n" lines
    std::string body_;
    std::optional<std::uint64_t> length_;
};

std::string_view reason_phrase(int status);

} // namespace berth::http
