#include <berth/registry/respond.h>

namespace berth::registry {

http::Response error_response(std::span<const ApiError> errors) {
    std::string body;
    append_error_body(body, errors);
    http::Response response(error_status(errors));
    response.header(api_version_header, api_version);
    response.body(std::move(body), "application/json");
    return response;
}

http::Response error_response(ErrorCode code, std::string message, std::string detail) {
    ApiError error{code, std::move(message), std::move(detail)};
    return error_response(std::span<const ApiError>(&error, 1));
}

http::Response error_response_with_status(int status, ErrorCode code, std::string message) {
    ApiError error{code, std::move(message), {}};
    std::string body;
    append_error_body(body, error);
    http::Response response(status);
    response.header(api_version_header, api_version);
    response.body(std::move(body), "application/json");
    return response;
}

http::Response json_response(int status, std::string body) {
    http::Response response(status);
    response.header(api_version_header, api_version);
    response.body(std::move(body), "application/json");
    return response;
}

} // namespace berth::registry
