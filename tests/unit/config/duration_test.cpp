#include <cstdint>
#include <limits>

#include <doctest/doctest.h>

#include <berth/config/duration.h>

using berth::config::Duration;
using berth::config::format_go_duration;
using berth::config::parse_go_duration;
using namespace std::chrono_literals;

namespace {

Duration parsed(std::string_view text) {
    auto result = parse_go_duration(text);
    INFO("text: ", text, " error: ", result ? "" : result.error());
    REQUIRE(result.has_value());
    return *result;
}

bool rejected(std::string_view text) {
    return !parse_go_duration(text).has_value();
}

} // namespace

TEST_CASE("single units") {
    CHECK(parsed("90s") == 90s);
    CHECK(parsed("1h") == 1h);
    CHECK(parsed("168h") == 168h);
    CHECK(parsed("300ms") == 300ms);
    CHECK(parsed("5m") == 5min);
    CHECK(parsed("7ns") == 7ns);
    CHECK(parsed("7us") == 7us);
    CHECK(parsed("7\xC2\xB5s") == 7us); // micro sign
    CHECK(parsed("7\xCE\xBCs") == 7us); // Greek mu
}

TEST_CASE("zero needs no unit, any other number does") {
    CHECK(parsed("0") == 0ns);
    CHECK(parsed("-0") == 0ns);
    CHECK(parsed("+0") == 0ns);
    CHECK(parsed("0s") == 0ns);
    CHECK(parsed("0h0m") == 0ns);
    CHECK(rejected("1"));
    CHECK(rejected("00"));
    CHECK(rejected("10"));
}

TEST_CASE("compound durations add up") {
    CHECK(parsed("1h30m") == 90min);
    CHECK(parsed("1h30m15s") == 1h + 30min + 15s);
    CHECK(parsed("2h45m0.5s") == 2h + 45min + 500ms);
    CHECK(parsed("1s1s") == 2s); // Go allows a unit twice
    CHECK(parsed("1m1h") == 61min);
}

TEST_CASE("fractions") {
    CHECK(parsed("1.5h") == 90min);
    CHECK(parsed(".5s") == 500ms);
    CHECK(parsed("5.s") == 5s);
    CHECK(parsed("0.001s") == 1ms);
    CHECK(parsed("1.000000001s") == 1'000'000'001ns);
    CHECK(parsed("0.0000000001s") == 0ns); // below a nanosecond truncates, as in Go
    CHECK(parsed("1.1234567891234567891234s") == 1'123'456'789ns);
    CHECK(rejected("."));
    CHECK(rejected(".s"));
    CHECK(rejected("-.s"));
}

TEST_CASE("signs") {
    CHECK(parsed("-1h") == -1h);
    CHECK(parsed("+1h") == 1h);
    CHECK(parsed("-1.5s") == -1500ms);
    CHECK(rejected("-"));
    CHECK(rejected("+"));
    CHECK(rejected("--1s"));
    CHECK(rejected("1s-1s"));
}

TEST_CASE("malformed text is rejected with a reason") {
    CHECK(rejected(""));
    CHECK(rejected("5x"));
    CHECK(rejected("h"));
    CHECK(rejected("1 h"));
    CHECK(rejected("1h 30m"));
    CHECK(rejected(" 1h"));
    CHECK(rejected("1h "));
    CHECK(rejected("1H"));
    CHECK(rejected("1d"));
    CHECK(rejected("1sec"));
    CHECK(rejected("1e3s"));
    CHECK(rejected("1,5s"));
    CHECK(parse_go_duration("5x").error() == "unknown unit \"x\"");
    CHECK(parse_go_duration("5").error() == "missing unit");
    CHECK(parse_go_duration("").error() == "empty");
}

TEST_CASE("the int64 nanosecond range is the limit, as in Go") {
    CHECK(parsed("9223372036854775807ns") == Duration{std::numeric_limits<std::int64_t>::max()});
    CHECK(parsed("-9223372036854775808ns") == Duration{std::numeric_limits<std::int64_t>::min()});
    CHECK(rejected("9223372036854775808ns"));
    CHECK(rejected("-9223372036854775809ns"));
    CHECK(parsed("2562047h") == 2562047h);
    CHECK(rejected("2562048h"));
    CHECK(rejected("99999999999999999999s"));
    CHECK(rejected("9223372036s9223372036s"));
    CHECK(parse_go_duration("2562048h").error() == "out of range");
}

TEST_CASE("formatting matches Go's Duration.String") {
    CHECK(format_go_duration(0ns) == "0s");
    CHECK(format_go_duration(1ns) == "1ns");
    CHECK(format_go_duration(1100ns) == "1.1\xC2\xB5s");
    CHECK(format_go_duration(2200us) == "2.2ms");
    CHECK(format_go_duration(300ms) == "300ms");
    CHECK(format_go_duration(1s) == "1s");
    CHECK(format_go_duration(1500ms) == "1.5s");
    CHECK(format_go_duration(90s) == "1m30s");
    CHECK(format_go_duration(1h) == "1h0m0s");
    CHECK(format_go_duration(2h) == "2h0m0s");
    CHECK(format_go_duration(1h + 30min + 500ms) == "1h30m0.5s");
    CHECK(format_go_duration(-90s) == "-1m30s");
    CHECK(format_go_duration(Duration{std::numeric_limits<std::int64_t>::max()}) ==
          "2562047h47m16.854775807s");
    CHECK(format_go_duration(Duration{std::numeric_limits<std::int64_t>::min()}) ==
          "-2562047h47m16.854775808s");
}

TEST_CASE("formatted durations parse back to themselves") {
    for (Duration d : {Duration{1}, Duration{999}, Duration{1'234'567}, Duration{90s},
                       Duration{36h + 1ns}, Duration{-5min}}) {
        CHECK(parsed(format_go_duration(d)) == d);
    }
}
