#include <berth/registry/errors.h>
#include <berth/util/json_writer.h>

namespace berth::registry {
namespace {

// Statuses follow the checklist's recommendations: BLOB_UPLOAD_INVALID is 400 (distribution
// says 404, but the session exists; the request is what is wrong), UNSUPPORTED is 405.
constexpr std::array<ErrorCodeInfo, all_error_codes.size()> error_table = {{
    {"BLOB_UNKNOWN", "blob unknown to registry", 404},
    {"BLOB_UPLOAD_INVALID", "blob upload invalid", 400},
    {"BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", 404},
    {"DIGEST_INVALID", "provided digest did not match uploaded content", 400},
    {"MANIFEST_BLOB_UNKNOWN", "blob unknown to registry", 400},
    {"MANIFEST_INVALID", "manifest invalid", 400},
    {"MANIFEST_UNKNOWN", "manifest unknown", 404},
    {"NAME_INVALID", "invalid repository name", 400},
    {"NAME_UNKNOWN", "repository name not known to registry", 404},
    {"SIZE_INVALID", "provided length did not match content length", 400},
    {"UNAUTHORIZED", "authentication required", 401},
    {"DENIED", "requested access to the resource is denied", 403},
    {"UNSUPPORTED", "The operation is unsupported.", 405},
    {"TOOMANYREQUESTS", "too many requests", 429},
    {"RANGE_INVALID", "invalid content range", 416},
    {"UNKNOWN", "unknown error", 500},
    {"UNAVAILABLE", "service unavailable", 503},
}};

// The table is indexed by the enum value; this catches a row added to one and not the other.
static_assert(static_cast<std::size_t>(ErrorCode::unavailable) + 1 == error_table.size());

// Status for an empty error list: an empty list can only come from a bug of ours.
constexpr int internal_error_status = 500;

} // namespace

const ErrorCodeInfo& error_code_info(ErrorCode code) {
    return error_table[static_cast<std::size_t>(code)];
}

std::string_view error_code_wire(ErrorCode code) {
    return error_code_info(code).wire;
}

std::string_view error_code_message(ErrorCode code) {
    return error_code_info(code).default_message;
}

int error_code_status(ErrorCode code) {
    return error_code_info(code).status;
}

void append_error_body(std::string& out, std::span<const ApiError> errors) {
    util::JsonWriter json(out);
    json.begin_object().key("errors").begin_array();
    for (const ApiError& error : errors) {
        json.begin_object();
        json.member("code", error_code_wire(error.code));
        json.member("message",
                    error.message.empty() ? error_code_message(error.code) : error.message);
        if (!error.detail.empty()) {
            json.member("detail", error.detail);
        }
        json.end_object();
    }
    json.end_array().end_object();
}

void append_error_body(std::string& out, const ApiError& error) {
    append_error_body(out, std::span<const ApiError>(&error, 1));
}

int error_status(std::span<const ApiError> errors) {
    return errors.empty() ? internal_error_status : error_code_status(errors.front().code);
}

} // namespace berth::registry
