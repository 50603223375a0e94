#include <string>

#include <doctest/doctest.h>
#include <simdjson.h>

#include <berth/config/json_location.h>

using berth::config::json_depth_max;
using berth::config::JsonErrorLocation;
using berth::config::locate_json_error;

namespace {

JsonErrorLocation located(std::string_view text) {
    std::optional<JsonErrorLocation> where = locate_json_error(text);
    INFO("text: ", text);
    REQUIRE(where.has_value());
    return *where;
}

bool simdjson_accepts(std::string_view text) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    return !parser.parse(text.data(), text.size()).get(root);
}

// The scanner must agree with the parser it stands in for: a text is valid for one exactly
// when it is valid for the other.
void check_agrees(std::string_view text) {
    INFO("text: ", text);
    CHECK(simdjson_accepts(text) == !locate_json_error(text).has_value());
}

std::string nested(std::size_t depth, std::string_view inner) {
    return std::string(depth, '[') + std::string(inner) + std::string(depth, ']');
}

} // namespace

TEST_CASE("valid documents have no error") {
    for (std::string_view text : {
             "{}",
             "[]",
             "0",
             "-0",
             "1.5e-3",
             "\"x\"",
             "true",
             "null",
             " {\"a\": [1, 2.0, -3e+2, true, false, null, {\"b\": \"\\u00e9\\n\"}]} ",
             "\"\\ud83d\\ude00\"",
             "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"",
             "18446744073709551615",
             "-9223372036854775808",
             "1e308",
             "1e-400",
             "\"\x7F\"",
         }) {
        INFO("text: ", text);
        CHECK_FALSE(locate_json_error(text).has_value());
        check_agrees(text);
    }
}

TEST_CASE("line and column of structural errors") {
    JsonErrorLocation missing_comma = located("{\n  \"a\": 1\n  \"b\": 2\n}");
    CHECK(missing_comma.line == 3);
    CHECK(missing_comma.column == 3);
    CHECK(missing_comma.what == "expected ',' or '}', found '\"'");

    JsonErrorLocation trailing = located("{\"a\": 1,\n}");
    CHECK(trailing.line == 2);
    CHECK(trailing.column == 1);
    CHECK(trailing.what == "expected a key after ',' (JSON allows no trailing comma)");

    JsonErrorLocation colon = located("{\"storage\" {}}");
    CHECK(colon.line == 1);
    CHECK(colon.column == 12);
    CHECK(colon.what == "expected ':' after the key, found '{'");

    JsonErrorLocation key = located("{\n\tstorage: {}\n}");
    CHECK(key.line == 2);
    CHECK(key.column == 2); // a tab is one column
    CHECK(key.what == "expected a key in double quotes, found 's'");

    JsonErrorLocation array = located("[1, 2,]");
    CHECK(array.column == 7);
    CHECK(array.what == "expected a value after ',' (JSON allows no trailing comma)");

    JsonErrorLocation bracket = located("[1}");
    CHECK(bracket.column == 3);
    CHECK(bracket.what == "expected ',' or ']', found '}'");
}

TEST_CASE("end of input names the unclosed container") {
    JsonErrorLocation object = located("{\n  \"http\": {\n    \"port\": \"8080\"\n  }\n");
    CHECK(object.line == 5);
    CHECK(object.column == 1);
    CHECK(object.what ==
          "unexpected end of input: the object opened at line 1, column 1 is not closed");

    JsonErrorLocation array = located("{\"a\": [1, 2");
    CHECK(array.column == 12);
    CHECK(array.what ==
          "unexpected end of input: the array opened at line 1, column 7 is not closed");

    CHECK(located("{\"a\":").what == "unexpected end of input, expected a value");
    CHECK(located("").what == "the document is empty");
    CHECK(located(" \n ").line == 2);
}

TEST_CASE("strings") {
    JsonErrorLocation unterminated = located("{\"a\": \"abc}");
    CHECK(unterminated.column == 7); // the opening quote
    CHECK(unterminated.what == "unterminated string");

    JsonErrorLocation line_break = located("{\"a\": \"ab\ncd\"}");
    CHECK(line_break.column == 10);
    CHECK(line_break.what == "line break inside a string (write \\n)");

    CHECK(located("\"a\tb\"").what == "control character byte 0x09 inside a string (escape it)");
    CHECK(located("\"\\x\"").what ==
          "invalid escape \\x (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
    CHECK(located("\"\\u12\"").what == "\\u needs four hex digits");
    CHECK(located("\"\\u12G4\"").what == "\\u needs four hex digits");
    CHECK(located("\"\\ud800\"").what == "unpaired surrogate in \\u escape");
    CHECK(located("\"\\udc00\"").what == "unpaired surrogate in \\u escape");
    CHECK(located("\"\\ud800\\u0041\"").what == "unpaired surrogate in \\u escape");
}

TEST_CASE("UTF-8 is checked inside strings and columns count characters") {
    JsonErrorLocation overlong = located("\"\xC0\xAF\"");
    CHECK(overlong.what == "invalid UTF-8 (byte 0xC0)");
    CHECK(located("\"\xED\xA0\x80\"").what == "invalid UTF-8 (byte 0xED)"); // a surrogate
    CHECK(located("\"\xF4\x90\x80\x80\"").what == "invalid UTF-8 (byte 0xF4)");
    CHECK(located("\"\xE2\x82\"").what == "invalid UTF-8 (byte 0xE2)");

    // "é" is two bytes but one column.
    JsonErrorLocation after_accent = located("{\"\xC3\xA9\": 1 x}");
    CHECK(after_accent.column == 9);

    // Word processors turn quotes into typographic ones; show them as they are.
    CHECK(located("{\xE2\x80\x9C"
                  "a\xE2\x80\x9D: 1}")
              .what == "expected a key in double quotes, found '\xE2\x80\x9C' (U+201C)");
    CHECK(located("\xEF\xBB\xBF{}").what == "expected a value, found '\xEF\xBB\xBF' (U+FEFF)");
    CHECK(located("{\xC2\xA0}").what ==
          "expected a key in double quotes, found '\xC2\xA0' (U+00A0)");
    CHECK(located("[\xF0\x9F\x98\x80]").what ==
          "expected a value, found '\xF0\x9F\x98\x80' (U+1F600)");
}

TEST_CASE("numbers") {
    CHECK(located("01").what == "invalid number: no leading zeros");
    CHECK(located("-").what == "invalid number: a digit must follow '-'");
    CHECK(located("-a").what == "invalid number: a digit must follow '-'");
    CHECK(located("1.").what == "invalid number: a digit must follow '.'");
    CHECK(located("1.e5").what == "invalid number: a digit must follow '.'");
    CHECK(located("1e").what == "invalid number: the exponent has no digits");
    CHECK(located("1e+").what == "invalid number: the exponent has no digits");
    CHECK(located(".5").what == "expected a value, found '.'");
    CHECK(located("+1").what == "expected a value, found '+'");
    CHECK(located("{\"port\": 18446744073709551616}").what ==
          "integer 18446744073709551616 is outside the 64-bit range");
    CHECK(located("-9223372036854775809").what ==
          "integer -9223372036854775809 is outside the 64-bit range");
    CHECK(located("[1e400]").what == "number 1e400 is too large");
    CHECK(located("[1e400]").column == 2);
}

TEST_CASE("literals, comments and trailing content") {
    CHECK(located("tru").what == "invalid literal (expected 'true')");
    CHECK(located("True").what == "expected a value, found 'T'");
    CHECK(located("{\"a\": nul}").what == "invalid literal (expected 'null')");
    CHECK(located("{\"a\": 1 // note\n}").what == "expected ',' or '}', found '/'");
    CHECK(located("// note\n{}").what == "unexpected '/' (JSON has no comments)");
    JsonErrorLocation two = located("{}\n{}");
    CHECK(two.line == 2);
    CHECK(two.what == "unexpected '{' after the end of the document");
    CHECK(located("{}\x01").what == "unexpected byte 0x01 after the end of the document");
}

TEST_CASE("nesting limit matches the parser's") {
    CHECK_FALSE(locate_json_error(nested(json_depth_max, "")).has_value());
    CHECK(located(nested(json_depth_max, "1")).what == "nesting deeper than 1024 levels");
    CHECK(located(nested(json_depth_max + 1, "")).what == "nesting deeper than 1024 levels");
    CHECK(located(nested(json_depth_max + 1, "")).column == json_depth_max + 1);
    for (std::size_t depth : {json_depth_max - 1, json_depth_max, json_depth_max + 1}) {
        check_agrees(nested(depth, ""));
        check_agrees(nested(depth, "1"));
        check_agrees(nested(depth, "{}"));
    }
}

TEST_CASE("scanner and parser agree on a corpus of faults") {
    for (std::string_view text : {
             "{",
             "}",
             "[",
             "]",
             "{\"a\"}",
             "{\"a\":}",
             "{,}",
             "[,]",
             "[1,,2]",
             "{\"a\":1,,}",
             "\"",
             "\"\\",
             "\"\\u\"",
             "nulll",
             "[true false]",
             "{\"a\":1}}",
             "0x10",
             "1.2.3",
             "--1",
             "1e5e5",
             "\"\x80\"",
             "\"\xF8\x88\x80\x80\x80\"",
             "\"\xC2\"",
             "'a'",
             "{\"a\":\"b\" \"c\":1}",
             "[\"\\ud800\\udc00\"]",
             "[\"\\uDBFF\\uDFFF\"]",
             "[-0.0e-0]",
         }) {
        check_agrees(text);
    }
}
