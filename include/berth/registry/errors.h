// The OCI error model (distribution-spec "Error Codes"): one table maps each code to its wire
// string, default message and HTTP status, so a handler only names the code.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace berth::registry {

enum class ErrorCode : std::uint8_t {
    blob_unknown,
    blob_upload_invalid,
    blob_upload_unknown,
    digest_invalid,
    manifest_blob_unknown,
    manifest_invalid,
    manifest_unknown,
    name_invalid,
    name_unknown,
    size_invalid,
    unauthorized,
    denied,
    unsupported,
    too_many_requests,
    range_invalid, // Docker-era; 416 for an upload chunk out of order
    unknown,       // a server fault: 500
    unavailable,   // a server fault the client should retry: 503
};

// Every code, in declaration order (for tests and for building lookup tables).
inline constexpr std::array all_error_codes = {
    ErrorCode::blob_unknown,     ErrorCode::blob_upload_invalid,   ErrorCode::blob_upload_unknown,
    ErrorCode::digest_invalid,   ErrorCode::manifest_blob_unknown, ErrorCode::manifest_invalid,
    ErrorCode::manifest_unknown, ErrorCode::name_invalid,          ErrorCode::name_unknown,
    ErrorCode::size_invalid,     ErrorCode::unauthorized,          ErrorCode::denied,
    ErrorCode::unsupported,      ErrorCode::too_many_requests,     ErrorCode::range_invalid,
    ErrorCode::unknown,          ErrorCode::unavailable,
};

struct ErrorCodeInfo {
    std::string_view wire;            // "BLOB_UNKNOWN"
    std::string_view default_message; // distribution's wording, which clients show to users
    int status;
};

const ErrorCodeInfo& error_code_info(ErrorCode code);
std::string_view error_code_wire(ErrorCode code);
std::string_view error_code_message(ErrorCode code);
int error_code_status(ErrorCode code);

struct ApiError {
    ErrorCode code = ErrorCode::unknown;
    std::string message; // empty: the code's default message
    std::string detail;  // emitted (as a JSON string) only when non-empty
};

// Appends `{"errors":[{"code":...,"message":...,"detail":...}, ...]}`.
void append_error_body(std::string& out, std::span<const ApiError> errors);
void append_error_body(std::string& out, const ApiError& error);

// The status of a response carrying `errors`: that of the first; 500 for an empty list.
int error_status(std::span<const ApiError> errors);

} // namespace berth::registry
