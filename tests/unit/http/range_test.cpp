#include <cstdint>
#include <limits>
#include <string>

#include <doctest/doctest.h>

#include <berth/http/range.h>

using namespace berth::http;

namespace {

constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t gib5 = std::uint64_t{5} << 30; // past 32-bit sizes

RangeDecision partial(std::uint64_t first, std::uint64_t last) {
    return {RangeOutcome::partial, {first, last}};
}

constexpr RangeDecision full{RangeOutcome::full, {}};
constexpr RangeDecision unsatisfiable{RangeOutcome::unsatisfiable, {}};

void check_range(std::string_view header, std::uint64_t size, RangeDecision expected) {
    CAPTURE(header);
    CAPTURE(size);
    const RangeDecision got = evaluate_range(header, size);
    CHECK(static_cast<int>(got.outcome) == static_cast<int>(expected.outcome));
    if (expected.outcome == RangeOutcome::partial) {
        CHECK(got.range.first == expected.range.first);
        CHECK(got.range.last == expected.range.last);
    }
}

} // namespace

TEST_CASE("no Range header: the whole body") {
    check_range("", 100, full);
    check_range("", 0, full);
    check_range("   ", 100, full);
}

TEST_CASE("§11 #4: bytes=0-9") {
    check_range("bytes=0-9", 100, partial(0, 9));
    CHECK(evaluate_range("bytes=0-9", 100).range.length() == 10);
}

TEST_CASE("first-last ranges") {
    check_range("bytes=0-0", 100, partial(0, 0));
    check_range("bytes=99-99", 100, partial(99, 99));
    check_range("bytes=10-20", 100, partial(10, 20));
    check_range("bytes=0-99", 100, partial(0, 99));
    check_range("bytes=0-100", 100, partial(0, 99)); // last is clamped
    check_range("bytes=50-1000000", 100, partial(50, 99));
    check_range("bytes=0-18446744073709551615", 100, partial(0, 99));
    check_range("bytes=0-99999999999999999999999", 100, partial(0, 99)); // saturates, clamps
    check_range("bytes=007-009", 100, partial(7, 9));
}

TEST_CASE("open ranges: §11 #6 bytes=5- and bytes=0-") {
    check_range("bytes=5-", 100, partial(5, 99));
    check_range("bytes=0-", 100, partial(0, 99));
    check_range("bytes=99-", 100, partial(99, 99));
    check_range("bytes=0-", 1, partial(0, 0));
}

TEST_CASE("§11 #5: start at or beyond the end is unsatisfiable") {
    check_range("bytes=100-", 100, unsatisfiable);
    check_range("bytes=100-200", 100, unsatisfiable);
    check_range("bytes=1000-", 100, unsatisfiable);
    check_range("bytes=18446744073709551615-", 100, unsatisfiable);
    check_range("bytes=99999999999999999999999-", 100, unsatisfiable);
}

TEST_CASE("suffix ranges: §11 #6 bytes=-5") {
    check_range("bytes=-5", 100, partial(95, 99));
    check_range("bytes=-1", 100, partial(99, 99));
    check_range("bytes=-100", 100, partial(0, 99));
    check_range("bytes=-101", 100, partial(0, 99)); // a suffix longer than the body is all of it
    check_range("bytes=-99999999999999999999999", 100, partial(0, 99));
    check_range("bytes=-5", 3, partial(0, 2));
    check_range("bytes=-0", 100, unsatisfiable);
    check_range("bytes=-00", 100, unsatisfiable);
}

TEST_CASE("an empty resource satisfies no range") {
    check_range("bytes=0-", 0, unsatisfiable);
    check_range("bytes=0-0", 0, unsatisfiable);
    check_range("bytes=-1", 0, unsatisfiable);
    check_range("bytes=-0", 0, unsatisfiable);
    // Ignored headers stay ignored.
    check_range("bytes=0-1,2-3", 0, full);
    check_range("items=0-1", 0, full);
    check_range("bytes=x", 0, full);
}

TEST_CASE("§11 #7: several ranges are ignored, never an error") {
    check_range("bytes=0-1,4-5", 100, full);
    check_range("bytes=0-1, 4-5", 100, full);
    check_range("bytes=-5,0-1", 100, full);
    check_range("bytes=200-300,400-500", 100, full);
}

TEST_CASE("other units and broken syntax are ignored") {
    for (const char* header :
         {"items=0-1",   "bytes 0-1",  "bytes:0-1",  "bytes = 0-1", "bytes=",          "bytes=,",
          "bytes=-",     "bytes=a-b",  "bytes=1-a",  "bytes=a-",    "bytes=--1",       "bytes=1--2",
          "bytes=1-2-3", "bytes=+1-2", "bytes=1 -2", "bytes=1- 2",  "bytes=0x10-0x20", "bytes=1",
          "bytes=١-٢",   "0-1",        "=0-1",       "bytesx=0-1",  "bytes=-5-"}) {
        check_range(header, 100, full);
    }
}

TEST_CASE("last before first makes the range invalid, hence ignored") {
    check_range("bytes=5-2", 100, full);
    check_range("bytes=500-2", 100, full);
}

TEST_CASE("lenient but correct details") {
    check_range("Bytes=0-1", 100, partial(0, 1)); // range units are case-insensitive
    check_range("BYTES=0-1", 100, partial(0, 1));
    check_range(" bytes=0-1 ", 100, partial(0, 1));
    check_range("bytes= 0-1", 100, partial(0, 1)); // OWS around list elements
    check_range("bytes=0-1,", 100, partial(0, 1)); // empty list elements do not count
    check_range("bytes=,0-1", 100, partial(0, 1));
    check_range("bytes=,,0-1 ,", 100, partial(0, 1));
}

TEST_CASE("§11 #72: sizes beyond 4 GiB") {
    check_range("bytes=4294967296-", gib5, partial(std::uint64_t{1} << 32, gib5 - 1));
    check_range("bytes=-1", gib5, partial(gib5 - 1, gib5 - 1));
    check_range("bytes=0-", gib5, partial(0, gib5 - 1));
    CHECK(evaluate_range("bytes=0-", gib5).range.length() == gib5);
    check_range("bytes=5368709119-5368709119", gib5, partial(gib5 - 1, gib5 - 1));
    check_range("bytes=5368709120-", gib5, unsatisfiable);
    check_range("bytes=0-", u64_max, partial(0, u64_max - 1));
    check_range("bytes=-18446744073709551615", u64_max, partial(0, u64_max - 1));
    check_range("bytes=18446744073709551614-", u64_max, partial(u64_max - 1, u64_max - 1));
}

TEST_CASE("upload Content-Range: accepted forms") {
    const auto parse = [](std::string_view header) {
        CAPTURE(header);
        auto result = parse_upload_content_range(header);
        REQUIRE(result);
        return *result;
    };
    CHECK(parse("0-999") == ByteRange{0, 999});
    CHECK(parse("0-0") == ByteRange{0, 0});
    CHECK(parse("1000-1999") == ByteRange{1000, 1999});
    CHECK(parse("bytes 0-999") == ByteRange{0, 999});
    CHECK(parse("bytes=0-999") == ByteRange{0, 999});
    CHECK(parse("Bytes 0-999") == ByteRange{0, 999});
    CHECK(parse("bytes 0-999/1000") == ByteRange{0, 999});
    CHECK(parse("bytes 0-999/*") == ByteRange{0, 999});
    CHECK(parse("0-999/5000") == ByteRange{0, 999});
    CHECK(parse(" 0-999 ") == ByteRange{0, 999});
    CHECK(parse("5-5") == ByteRange{5, 5});
    CHECK(parse("4294967296-8589934591") ==
          ByteRange{std::uint64_t{1} << 32, (std::uint64_t{1} << 33) - 1});
    CHECK(parse("0-18446744073709551614") == ByteRange{0, u64_max - 1});
    CHECK(parse("0-18446744073709551614").length() == u64_max);
}

TEST_CASE("upload Content-Range: §11 #23 and other invalid values") {
    for (const char* header : {"",
                               "abc",
                               "5-2",
                               "1-0",
                               "-",
                               "0-",
                               "-5",
                               "0",
                               "a-1",
                               "0-a",
                               "0 - 1",
                               "0-1-2",
                               "+0-1",
                               "0-+1",
                               "bytes",
                               "bytes ",
                               "bytes=",
                               "bytes=-1",
                               "items 0-1",
                               "bytes 0-1/",
                               "0-1/x",
                               "0-1/1",
                               "0-9/5",
                               "0-1/-1",
                               "0-1//2",
                               "bytes 0-1/*/*",
                               "0-18446744073709551615",
                               "0-18446744073709551616",
                               "18446744073709551616-18446744073709551617",
                               "0-99999999999999999999999",
                               "0-1/99999999999999999999999",
                               "0x0-0x1",
                               "٠-١"}) {
        CAPTURE(header);
        CHECK_FALSE(parse_upload_content_range(header));
    }
}

TEST_CASE("response headers") {
    std::string out;
    append_content_range(out, {0, 9}, 100);
    CHECK(out == "bytes 0-9/100");
    out.clear();
    append_content_range(out, {gib5 - 1, gib5 - 1}, gib5);
    CHECK(out == "bytes 5368709119-5368709119/5368709120");
    out.clear();
    append_unsatisfied_content_range(out, 100);
    CHECK(out == "bytes */100");
    out.clear();
    append_unsatisfied_content_range(out, 0);
    CHECK(out == "bytes */0");
}

TEST_CASE("upload progress Range: 0-0 when empty, never 0--1") {
    std::string out;
    append_upload_range(out, 0);
    CHECK(out == "0-0");
    out.clear();
    append_upload_range(out, 1);
    CHECK(out == "0-0");
    out.clear();
    append_upload_range(out, 1000);
    CHECK(out == "0-999");
    out.clear();
    append_upload_range(out, gib5);
    CHECK(out == "0-5368709119");
    out.clear();
    append_upload_range(out, u64_max);
    CHECK(out == "0-18446744073709551614");
}
