#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include <doctest/doctest.h>
#include <simdjson.h>

#include <berth/util/json_writer.h>

using namespace berth::util;

namespace {

constexpr std::string_view fffd = "\xEF\xBF\xBD";

std::string quoted(std::string_view value) {
    std::string out;
    append_json_string(out, value);
    return out;
}

// The string simdjson reads back from our encoding of `value` (simdjson validates UTF-8 too).
std::string round_trip(std::string_view value) {
    std::string document;
    JsonWriter json(document);
    json.begin_array().string(value).end_array();
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    REQUIRE(parser.parse(document).get(root) == simdjson::SUCCESS);
    std::string_view text;
    REQUIRE(root.at(0).get(text) == simdjson::SUCCESS);
    return std::string(text);
}

std::string repeat(std::string_view s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) {
        out += s;
    }
    return out;
}

} // namespace

TEST_CASE("structure and commas") {
    std::string out;
    JsonWriter json(out);
    json.begin_object()
        .member("name", "foo")
        .key("tags")
        .begin_array()
        .string("a")
        .string("b")
        .end_array()
        .key("empty")
        .begin_array()
        .end_array()
        .key("nested")
        .begin_object()
        .key("o")
        .begin_object()
        .end_object()
        .key("a")
        .begin_array()
        .begin_array()
        .int64(1)
        .end_array()
        .begin_object()
        .end_object()
        .null()
        .end_array()
        .end_object()
        .member_int64("size", -3)
        .member_uint64("big", 7)
        .key("t")
        .boolean(true)
        .key("f")
        .boolean(false)
        .key("n")
        .null()
        .end_object();
    CHECK(json.complete());
    CHECK(out == R"({"name":"foo","tags":["a","b"],"empty":[],"nested":{"o":{},"a":[[1],{},null]},)"
                 R"("size":-3,"big":7,"t":true,"f":false,"n":null})");
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    CHECK(parser.parse(out).get(root) == simdjson::SUCCESS);
}

TEST_CASE("the writer appends and knows when it is complete") {
    std::string out = "x";
    JsonWriter json(out);
    CHECK_FALSE(json.complete());
    json.begin_object();
    CHECK_FALSE(json.complete());
    json.end_object();
    CHECK(json.complete());
    CHECK(out == "x{}");
    std::string scalar;
    JsonWriter(scalar).string("s");
    CHECK(scalar == "\"s\"");
}

TEST_CASE("integers at their limits") {
    std::string out;
    JsonWriter json(out);
    json.begin_array()
        .int64(std::numeric_limits<std::int64_t>::min())
        .int64(std::numeric_limits<std::int64_t>::max())
        .int64(0)
        .uint64(std::numeric_limits<std::uint64_t>::max())
        .uint64(0)
        .uint64(std::uint64_t{5} << 32) // a 20 GiB blob size
        .end_array();
    CHECK(out == "[-9223372036854775808,9223372036854775807,0,18446744073709551615,0,"
                 "21474836480]");
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    REQUIRE(parser.parse(out).get(root) == simdjson::SUCCESS);
    std::int64_t i = 0;
    REQUIRE(root.at(0).get(i) == simdjson::SUCCESS);
    CHECK(i == std::numeric_limits<std::int64_t>::min());
    std::uint64_t u = 0;
    REQUIRE(root.at(3).get(u) == simdjson::SUCCESS);
    CHECK(u == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("raw JSON is copied verbatim") {
    std::string out;
    JsonWriter json(out);
    json.begin_object()
        .key("annotations")
        .raw(R"({"a":"b"})")
        .key("list")
        .begin_array()
        .raw("1")
        .raw(R"([true])")
        .end_array()
        .end_object();
    CHECK(out == R"({"annotations":{"a":"b"},"list":[1,[true]]})");
}

TEST_CASE("escapes") {
    CHECK(quoted("") == R"("")");
    CHECK(quoted("plain text") == R"("plain text")");
    CHECK(quoted("\"") == R"("\"")");
    CHECK(quoted("\\") == R"("\\")");
    CHECK(quoted("\n\r\t\b\f") == R"("\n\r\t\b\f")");
    CHECK(quoted(std::string_view("\0", 1)) == R"("\u0000")");
    CHECK(quoted("\x01\x1f") == R"("\u0001\u001f")");
    CHECK(quoted("\x7f") == "\"\x7f\""); // DEL is not a JSON control character
    CHECK(quoted("/<>'") == R"("/<>'")");
    std::string out;
    JsonWriter(out).begin_object().key("k\"ey").string("v").end_object();
    CHECK(out == R"({"k\"ey":"v"})");
}

TEST_CASE("every ASCII byte round-trips") {
    std::string all;
    for (int c = 0; c < 0x80; ++c) {
        all.push_back(static_cast<char>(c));
    }
    CHECK(round_trip(all) == all);
    for (int c = 0; c < 0x80; ++c) {
        const std::string one(1, static_cast<char>(c));
        CHECK(round_trip(one) == one);
    }
}

TEST_CASE("valid UTF-8 passes through unchanged") {
    for (const std::string_view s :
         {"é", "日本語", "😀", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xEF\xBF\xBF",
          "\xED\x9F\xBF", "\xEE\x80\x80", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "\xE2\x80\xA8",
          "a\xC3\xA9z\xF0\x9F\x98\x80!"}) {
        CAPTURE(s);
        CHECK(quoted(s) == "\"" + std::string(s) + "\"");
        CHECK(round_trip(s) == s);
    }
}

TEST_CASE("invalid UTF-8 becomes U+FFFD, one per maximal subpart") {
    const auto r = [](int n) {
        return repeat(fffd, n);
    };
    CHECK(round_trip("\x80") == r(1));             // stray continuation
    CHECK(round_trip("\xBF\x80") == r(2));         // two strays
    CHECK(round_trip("\xC0\x80") == r(2));         // overlong NUL
    CHECK(round_trip("\xC1\xBF") == r(2));         // overlong
    CHECK(round_trip("\xE0\x80\x80") == r(3));     // overlong 3-byte
    CHECK(round_trip("\xE0\x9F\xBF") == r(3));     // overlong 3-byte
    CHECK(round_trip("\xED\xA0\x80") == r(3));     // surrogate D800
    CHECK(round_trip("\xED\xBF\xBF") == r(3));     // surrogate DFFF
    CHECK(round_trip("\xF0\x80\x80\x80") == r(4)); // overlong 4-byte
    CHECK(round_trip("\xF4\x90\x80\x80") == r(4)); // above U+10FFFF
    CHECK(round_trip("\xF5\x80\x80\x80") == r(4)); // F5 never leads
    CHECK(round_trip("\xFE") == r(1));
    CHECK(round_trip("\xFF") == r(1));
    CHECK(round_trip("\xC3") == r(1));         // truncated at end
    CHECK(round_trip("\xE2\x82") == r(1));     // truncated, 1 subpart
    CHECK(round_trip("\xF0\x9F\x98") == r(1)); // truncated 4-byte
    CHECK(round_trip("\xE2\x82"
                     "A") == r(1) + "A");               // resumes at `A`
    CHECK(round_trip("\xF0\x9F\x98\"") == r(1) + "\""); // and at a quote
    CHECK(round_trip("a\xC3(b") == "a" + r(1) + "(b");
    CHECK(round_trip("\xC3\xA9\xA9") == "é" + r(1)); // extra continuation
    // The Unicode §3.9 example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64.
    CHECK(round_trip("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64") ==
          "a" + r(1) + r(1) + r(1) + "b" + r(1) + "c" + r(2) + "d");
}

TEST_CASE("every single byte and every byte pair make valid JSON") {
    for (int a = 0; a < 256; ++a) {
        const std::string one(1, static_cast<char>(a));
        const std::string back = round_trip(one);
        if (a < 0x80) {
            CHECK(back == one);
        } else {
            CHECK(back == fffd);
        }
        for (int b = 0; b < 256; ++b) {
            std::string two{static_cast<char>(a), static_cast<char>(b)};
            std::string doc;
            append_json_string(doc, two);
            simdjson::dom::parser parser;
            simdjson::dom::element root;
            CHECK(parser.parse(doc).get(root) == simdjson::SUCCESS);
        }
    }
}

TEST_CASE("random hostile strings always produce valid JSON; valid UTF-8 round-trips") {
    std::mt19937 random(20240611); // fixed seed: failures must reproduce
    // Bias towards the bytes that matter: quotes, backslashes, controls and UTF-8 lead bytes.
    const std::string alphabet = std::string("\"\\\n\t\x01\x1f a/", 10) +
                                 "\x80\xBF\xC0\xC2\xDF\xE0\xED\xEF\xF0\xF4\xF5\xFF\xA0\x9F\x90\x8F";
    simdjson::dom::parser parser;
    int valid_inputs = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string input(random() % 24, '\0');
        for (char& c : input) {
            c = random() % 4 == 0 ? static_cast<char>(random() % 256)
                                  : alphabet[random() % alphabet.size()];
        }
        std::string doc;
        JsonWriter(doc).begin_object().key(input).string(input).end_object();
        simdjson::dom::element root;
        REQUIRE(parser.parse(doc).get(root) == simdjson::SUCCESS);
        simdjson::dom::object object;
        REQUIRE(root.get(object) == simdjson::SUCCESS);
        for (auto field : object) {
            std::string_view value;
            REQUIRE(field.value.get(value) == simdjson::SUCCESS);
            CHECK(field.key == value);
            if (simdjson::validate_utf8(input.data(), input.size())) {
                ++valid_inputs;
                CHECK(value == input);
            } else {
                CHECK(value.find(fffd) != std::string_view::npos);
            }
        }
    }
    CHECK(valid_inputs > 100); // the generator does reach both branches
}

TEST_CASE("long strings") {
    const std::string long_text = repeat("ab\"c\\\n€", 100000);
    CHECK(round_trip(long_text) == long_text);
}
