#include <berth/http/request.h>

#include <doctest/doctest.h>

#include <vector>

using namespace berth;

namespace {

http::Request with(const std::vector<http::Header>& headers) {
    http::Request request;
    request.headers = headers;
    return request;
}

} // namespace

TEST_CASE("cookie: found by exact name across pairs and Cookie headers") {
    std::vector<http::Header> headers = {{"Cookie", "theme=dark; xberth_session=no"},
                                         {"cookie", "a=1;berth_session=abc123 ; b=2"}};
    http::Request request = with(headers);
    CHECK(http::cookie(request, "berth_session") == "abc123");
    CHECK(http::cookie(request, "theme") == "dark");
    CHECK(http::cookie(request, "b") == "2");
    CHECK(http::cookie(request, "berth").empty());
    CHECK(http::cookie(with({}), "berth_session").empty());
    std::vector<http::Header> odd = {{"Cookie", ";;novalue; berth_session="}};
    CHECK(http::cookie(with(odd), "berth_session").empty());
}

TEST_CASE("etag_listed: lists, weak tags and the wildcard") {
    std::vector<http::Header> headers = {{"If-None-Match", "\"a\", W/\"b\""}};
    http::Request request = with(headers);
    CHECK(http::etag_listed(request, "If-None-Match", "\"a\""));
    CHECK(http::etag_listed(request, "If-None-Match", "\"b\""));
    CHECK_FALSE(http::etag_listed(request, "If-None-Match", "\"c\""));
    CHECK_FALSE(http::etag_listed(request, "If-Match", "\"a\""));
    std::vector<http::Header> any = {{"If-None-Match", " * "}};
    CHECK(http::etag_listed(with(any), "If-None-Match", "\"z\""));
}
