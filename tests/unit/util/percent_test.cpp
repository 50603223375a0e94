#include <string>

#include <doctest/doctest.h>

#include <berth/util/percent.h>

using namespace berth::util;

namespace {

std::string decoded(std::string_view text) {
    auto result = percent_decode(text);
    REQUIRE(result);
    return *result;
}

PercentError failure(std::string_view text) {
    auto result = percent_decode(text);
    REQUIRE_FALSE(result);
    return result.error();
}

} // namespace

TEST_CASE("decoding") {
    CHECK(decoded("") == "");
    CHECK(decoded("plain") == "plain");
    CHECK(decoded("sha256%3Aabc") == "sha256:abc");
    CHECK(decoded("sha256%3aabc") == "sha256:abc");
    CHECK(decoded("a%2Fb") == "a/b");
    CHECK(decoded("a%2fb") == "a/b");
    CHECK(decoded("%41%42%43") == "ABC");
    CHECK(decoded("%20") == " ");
    CHECK(decoded("%25") == "%");
    CHECK(decoded("%2525") == "%25"); // decoded once, never twice
    CHECK(decoded("%FF%fe") == "\xFF\xFE");
    CHECK(decoded("%C3%A9") == "é");
}

TEST_CASE("`+` is a literal plus") {
    CHECK(decoded("a+b") == "a+b");
    CHECK(decoded("application/vnd.oci.image.manifest.v1+json") ==
          "application/vnd.oci.image.manifest.v1+json");
    CHECK(decoded("%2B") == "+");
}

TEST_CASE("malformed escapes fail") {
    for (const char* text : {"%", "%2", "a%", "a%2", "%G0", "%0G", "%%", "%%41", "%-1", "%+1",
                             "% 1", "%\xff\x41", "abc%zz", "%2F%"}) {
        CAPTURE(text);
        CHECK(failure(text) == PercentError::malformed_escape);
    }
}

TEST_CASE("a NUL byte fails, escaped or raw") {
    CHECK(failure("%00") == PercentError::nul_byte);
    CHECK(failure("abc%00def") == PercentError::nul_byte);
    CHECK(failure(std::string_view("a\0b", 3)) == PercentError::nul_byte);
}

TEST_CASE("decode_append appends") {
    std::string out = "x=";
    REQUIRE(percent_decode_append("a%20b", out));
    CHECK(out == "x=a b");
}

TEST_CASE("encoding a query value") {
    CHECK(percent_encode_query_value("") == "");
    CHECK(percent_encode_query_value("v1.0_rc-1~x") == "v1.0_rc-1~x");
    CHECK(percent_encode_query_value("library/ubuntu") == "library%2Fubuntu");
    CHECK(percent_encode_query_value("a b") == "a%20b");
    CHECK(percent_encode_query_value("a+b") == "a%2Bb");
    CHECK(percent_encode_query_value("a&b=c#d?e%") == "a%26b%3Dc%23d%3Fe%25");
    CHECK(percent_encode_query_value("sha256:ab") == "sha256%3Aab");
    CHECK(percent_encode_query_value("é") == "%C3%A9");
    CHECK(percent_encode_query_value("<>\"") == "%3C%3E%22");
    std::string out = "last=";
    percent_encode_query_value_append("a/b", out);
    CHECK(out == "last=a%2Fb");
}

TEST_CASE("encoding round-trips through decoding for every byte") {
    std::string all;
    for (int c = 1; c < 256; ++c) {
        all.push_back(static_cast<char>(c));
    }
    const std::string encoded = percent_encode_query_value(all);
    for (const char c : encoded) {
        const bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' ||
                          c == '%';
        CHECK(safe);
    }
    CHECK(decoded(encoded) == all);
}

TEST_CASE("query strings") {
    const QueryParams params = parse_query("n=10&last=a%2Fb&tag=x&tag=y&empty=&flag&=v&&");
    REQUIRE(params.size() == 7);
    CHECK(params[0] == std::pair<std::string, std::string>{"n", "10"});
    CHECK(params[1].second == "a/b");
    CHECK(params[4] == std::pair<std::string, std::string>{"empty", ""});
    CHECK(params[5] == std::pair<std::string, std::string>{"flag", ""});
    CHECK(params[6] == std::pair<std::string, std::string>{"", "v"});
    CHECK(query_first(params, "n") == "10");
    CHECK(query_first(params, "tag") == "x");
    CHECK(query_first(params, "empty") == "");
    CHECK(query_first(params, "flag").has_value());
    CHECK_FALSE(query_first(params, "missing").has_value());
    CHECK_FALSE(query_first(params, "N").has_value()); // keys are case-sensitive
    const auto tags = query_all(params, "tag");
    REQUIRE(tags.size() == 2);
    CHECK(tags[0] == "x");
    CHECK(tags[1] == "y");
    CHECK(query_all(params, "missing").empty());
}

TEST_CASE("query: §11 #35 and the digest on a closing PUT") {
    const std::string hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    // §11 #34: the Location carried its own query; the client appended `&digest=`.
    const QueryParams params = parse_query("_state=abc&digest=sha256%3A" + hex);
    CHECK(query_first(params, "_state") == "abc");
    CHECK(query_first(params, "digest") == "sha256:" + hex);
}

TEST_CASE("query: `+` and `=` in values") {
    const QueryParams params =
        parse_query("artifactType=application/vnd.example+json&x=a=b&y=a%2Bb%20c");
    CHECK(query_first(params, "artifactType") == "application/vnd.example+json");
    CHECK(query_first(params, "x") == "a=b");
    CHECK(query_first(params, "y") == "a+b c");
}

TEST_CASE("query: malformed pairs are dropped, the rest kept") {
    const QueryParams params = parse_query("a=1&b=%zz&c%=3&d=%00&e=5&f%00=6");
    REQUIRE(params.size() == 2);
    CHECK(query_first(params, "a") == "1");
    CHECK(query_first(params, "e") == "5");
    CHECK_FALSE(query_first(params, "b").has_value());
    CHECK(parse_query("").empty());
    CHECK(parse_query("&&&").empty());
}
