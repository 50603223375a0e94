#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <simdjson.h>

#include <berth/registry/errors.h>

using namespace berth::registry;

namespace {

struct ParsedError {
    std::string code;
    std::string message;
    bool has_detail = false;
    std::string detail;
};

// Parses an error body with simdjson and checks its shape: only the keys we emit, all strings.
std::vector<ParsedError> parse_body(const std::string& body) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    REQUIRE(parser.parse(body).get(root) == simdjson::SUCCESS);
    simdjson::dom::object object;
    REQUIRE(root.get(object) == simdjson::SUCCESS);
    CHECK(object.size() == 1);
    simdjson::dom::array errors;
    REQUIRE(object["errors"].get(errors) == simdjson::SUCCESS);
    std::vector<ParsedError> result;
    for (simdjson::dom::element entry : errors) {
        ParsedError parsed;
        std::string_view text;
        REQUIRE(entry["code"].get(text) == simdjson::SUCCESS);
        parsed.code = text;
        REQUIRE(entry["message"].get(text) == simdjson::SUCCESS);
        parsed.message = text;
        auto detail = entry["detail"];
        if (detail.error() != simdjson::NO_SUCH_FIELD) {
            REQUIRE(detail.get(text) == simdjson::SUCCESS); // detail is always a string
            parsed.has_detail = true;
            parsed.detail = text;
        }
        simdjson::dom::object fields;
        REQUIRE(entry.get(fields) == simdjson::SUCCESS);
        CHECK(fields.size() == (parsed.has_detail ? 3U : 2U));
        result.push_back(parsed);
    }
    return result;
}

} // namespace

TEST_CASE("the table: wire codes, statuses, messages") {
    CHECK(error_code_wire(ErrorCode::blob_unknown) == "BLOB_UNKNOWN");
    CHECK(error_code_status(ErrorCode::blob_unknown) == 404);
    CHECK(error_code_message(ErrorCode::blob_unknown) == "blob unknown to registry");
    CHECK(error_code_wire(ErrorCode::blob_upload_invalid) == "BLOB_UPLOAD_INVALID");
    CHECK(error_code_status(ErrorCode::blob_upload_invalid) == 400);
    CHECK(error_code_wire(ErrorCode::blob_upload_unknown) == "BLOB_UPLOAD_UNKNOWN");
    CHECK(error_code_status(ErrorCode::blob_upload_unknown) == 404);
    CHECK(error_code_wire(ErrorCode::digest_invalid) == "DIGEST_INVALID");
    CHECK(error_code_status(ErrorCode::digest_invalid) == 400);
    CHECK(error_code_wire(ErrorCode::manifest_blob_unknown) == "MANIFEST_BLOB_UNKNOWN");
    CHECK(error_code_status(ErrorCode::manifest_blob_unknown) == 400);
    CHECK(error_code_wire(ErrorCode::manifest_invalid) == "MANIFEST_INVALID");
    CHECK(error_code_status(ErrorCode::manifest_invalid) == 400);
    CHECK(error_code_wire(ErrorCode::manifest_unknown) == "MANIFEST_UNKNOWN");
    CHECK(error_code_status(ErrorCode::manifest_unknown) == 404);
    CHECK(error_code_message(ErrorCode::manifest_unknown) == "manifest unknown");
    CHECK(error_code_wire(ErrorCode::name_invalid) == "NAME_INVALID");
    CHECK(error_code_status(ErrorCode::name_invalid) == 400);
    CHECK(error_code_wire(ErrorCode::name_unknown) == "NAME_UNKNOWN");
    CHECK(error_code_status(ErrorCode::name_unknown) == 404);
    CHECK(error_code_wire(ErrorCode::size_invalid) == "SIZE_INVALID");
    CHECK(error_code_status(ErrorCode::size_invalid) == 400);
    CHECK(error_code_wire(ErrorCode::unauthorized) == "UNAUTHORIZED");
    CHECK(error_code_status(ErrorCode::unauthorized) == 401);
    CHECK(error_code_wire(ErrorCode::denied) == "DENIED");
    CHECK(error_code_status(ErrorCode::denied) == 403);
    CHECK(error_code_wire(ErrorCode::unsupported) == "UNSUPPORTED");
    CHECK(error_code_status(ErrorCode::unsupported) == 405);
    CHECK(error_code_wire(ErrorCode::too_many_requests) == "TOOMANYREQUESTS");
    CHECK(error_code_status(ErrorCode::too_many_requests) == 429);
    CHECK(error_code_wire(ErrorCode::range_invalid) == "RANGE_INVALID");
    CHECK(error_code_status(ErrorCode::range_invalid) == 416);
    CHECK(error_code_wire(ErrorCode::unknown) == "UNKNOWN");
    CHECK(error_code_status(ErrorCode::unknown) == 500);
    CHECK(error_code_wire(ErrorCode::unavailable) == "UNAVAILABLE");
    CHECK(error_code_status(ErrorCode::unavailable) == 503);
}

TEST_CASE("every code has a distinct upper-case wire string and a message") {
    std::set<std::string_view> seen;
    for (const ErrorCode code : all_error_codes) {
        const ErrorCodeInfo& info = error_code_info(code);
        CAPTURE(info.wire);
        CHECK(seen.insert(info.wire).second);
        CHECK_FALSE(info.wire.empty());
        for (const char c : info.wire) {
            CHECK(((c >= 'A' && c <= 'Z') || c == '_')); // distribution-spec: `[A-Z_]+`
        }
        CHECK_FALSE(info.default_message.empty());
        CHECK(info.status >= 400);
        CHECK(info.status <= 599);
    }
    CHECK(seen.size() == all_error_codes.size());
}

TEST_CASE("one error with the default message and no detail") {
    std::string body;
    append_error_body(body, ApiError{ErrorCode::blob_unknown, "", ""});
    CHECK(body == R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})");
    const auto parsed = parse_body(body);
    REQUIRE(parsed.size() == 1);
    CHECK_FALSE(parsed[0].has_detail);
}

TEST_CASE("message override and detail") {
    std::string body;
    append_error_body(
        body, ApiError{ErrorCode::manifest_invalid, "schemaVersion must be 2", "got \"1\"\n"});
    const auto parsed = parse_body(body);
    REQUIRE(parsed.size() == 1);
    CHECK(parsed[0].code == "MANIFEST_INVALID");
    CHECK(parsed[0].message == "schemaVersion must be 2");
    CHECK(parsed[0].has_detail);
    CHECK(parsed[0].detail == "got \"1\"\n");
}

TEST_CASE("several MANIFEST_BLOB_UNKNOWN, one per missing blob") {
    const std::vector<ApiError> errors = {
        {ErrorCode::manifest_blob_unknown, "", "sha256:aaaa"},
        {ErrorCode::manifest_blob_unknown, "", "sha256:bbbb"},
        {ErrorCode::manifest_blob_unknown, "", "sha256:cccc"},
    };
    std::string body;
    append_error_body(body, errors);
    const auto parsed = parse_body(body);
    REQUIRE(parsed.size() == 3);
    CHECK(parsed[0].detail == "sha256:aaaa");
    CHECK(parsed[2].detail == "sha256:cccc");
    for (const auto& e : parsed) {
        CHECK(e.code == "MANIFEST_BLOB_UNKNOWN");
        CHECK(e.message == "blob unknown to registry");
    }
    CHECK(error_status(errors) == 400);
}

TEST_CASE("hostile messages and details still make valid JSON") {
    const std::string hostile =
        std::string("\"}]},{\"code\":\"X\\\x01\x1f\xff\xc3", 20) + "\xed\xa0\x80</script>\u2028";
    std::string body;
    append_error_body(body, ApiError{ErrorCode::denied, hostile, hostile});
    const auto parsed = parse_body(body);
    REQUIRE(parsed.size() == 1);
    CHECK(parsed[0].code == "DENIED");
}

TEST_CASE("an empty list and the status of a list") {
    std::string body;
    append_error_body(body, std::vector<ApiError>{});
    CHECK(body == R"({"errors":[]})");
    CHECK(error_status({}) == 500);
    const std::vector<ApiError> mixed = {{ErrorCode::unauthorized, "", ""},
                                         {ErrorCode::denied, "", ""}};
    CHECK(error_status(mixed) == 401);
}

TEST_CASE("append_error_body appends") {
    std::string body = "prefix";
    append_error_body(body, ApiError{ErrorCode::name_unknown, "", ""});
    CHECK(body.starts_with("prefix{\"errors\""));
}
