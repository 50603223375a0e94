// Responses in the shape the distribution API gives them.
#pragma once

#include <berth/http/response.h>
#include <berth/registry/errors.h>

#include <span>
#include <string>
#include <string_view>

namespace berth::registry {

// Every /v2/ response carries it: older Docker clients check it to recognize a registry.
constexpr std::string_view api_version_header = "Docker-Distribution-API-Version";
constexpr std::string_view api_version = "registry/2.0";

http::Response error_response(std::span<const ApiError> errors);
http::Response error_response(ErrorCode code, std::string message = {}, std::string detail = {});
// The same body with a status other than the code's own: 404 for a path that is no endpoint,
// 431 for a head that is too large.
http::Response error_response_with_status(int status, ErrorCode code, std::string message);

http::Response json_response(int status, std::string body);

} // namespace berth::registry
