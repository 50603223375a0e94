#include <berth/config/duration.h>

#include <array>
#include <cstdint>
#include <optional>

namespace berth::config {
namespace {

// Go accumulates magnitudes as uint64 and allows exactly 2^63 so that the most negative
// duration parses; anything above overflows.
constexpr std::uint64_t magnitude_max = std::uint64_t{1} << 63;

struct Unit {
    std::string_view name;
    std::uint64_t nanoseconds;
};

// Go's unitMap: both spellings of micro (U+00B5 micro sign, U+03BC Greek mu) are accepted.
constexpr std::array<Unit, 8> units{{
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},
    {"\xCE\xBCs", 1'000},
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
}};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

std::optional<std::uint64_t> unit_nanoseconds(std::string_view name) {
    for (const Unit& unit : units) {
        if (unit.name == name) {
            return unit.nanoseconds;
        }
    }
    return std::nullopt;
}

// The integer part; nullopt on overflow.
std::optional<std::uint64_t> leading_int(std::string_view& text) {
    std::uint64_t value = 0;
    std::size_t i = 0;
    for (; i < text.size() && is_digit(text[i]); ++i) {
        if (value > magnitude_max / 10) {
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
        if (value > magnitude_max) {
            return std::nullopt;
        }
    }
    text.remove_prefix(i);
    return value;
}

struct Fraction {
    std::uint64_t digits = 0;
    double scale = 1;
};

// The fraction digits; past 63 bits of precision further digits are skipped, as Go does.
Fraction leading_fraction(std::string_view& text) {
    Fraction fraction;
    bool overflow = false;
    std::size_t i = 0;
    for (; i < text.size() && is_digit(text[i]); ++i) {
        if (overflow) {
            continue;
        }
        if (fraction.digits > (magnitude_max - 1) / 10) {
            overflow = true;
            continue;
        }
        std::uint64_t next = fraction.digits * 10 + static_cast<std::uint64_t>(text[i] - '0');
        if (next > magnitude_max) {
            overflow = true;
            continue;
        }
        fraction.digits = next;
        fraction.scale *= 10;
    }
    text.remove_prefix(i);
    return fraction;
}

std::string quoted(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

// One "<number><unit>" term, added to `total`; an error message on failure.
std::optional<std::string> parse_term(std::string_view& rest, std::uint64_t& total) {
    if (!(rest[0] == '.' || is_digit(rest[0]))) {
        return "expected a number";
    }
    std::size_t before = rest.size();
    std::optional<std::uint64_t> value = leading_int(rest);
    if (!value) {
        return "out of range";
    }
    bool has_integer = rest.size() != before;
    Fraction fraction;
    bool has_fraction = false;
    if (!rest.empty() && rest[0] == '.') {
        rest.remove_prefix(1);
        std::size_t fraction_start = rest.size();
        fraction = leading_fraction(rest);
        has_fraction = rest.size() != fraction_start;
    }
    if (!has_integer && !has_fraction) {
        return "expected digits around '.'";
    }
    std::size_t unit_length = 0;
    while (unit_length < rest.size() && rest[unit_length] != '.' && !is_digit(rest[unit_length])) {
        ++unit_length;
    }
    if (unit_length == 0) {
        return "missing unit";
    }
    std::string_view unit_name = rest.substr(0, unit_length);
    rest.remove_prefix(unit_length);
    std::optional<std::uint64_t> unit = unit_nanoseconds(unit_name);
    if (!unit) {
        return "unknown unit " + quoted(unit_name);
    }
    if (*value > magnitude_max / *unit) {
        return "out of range";
    }
    std::uint64_t term = *value * *unit;
    if (fraction.digits > 0) {
        // Double precision is enough: the fractional part of one term is below 3.6e12 ns.
        term += static_cast<std::uint64_t>(static_cast<double>(fraction.digits) *
                                           (static_cast<double>(*unit) / fraction.scale));
        if (term > magnitude_max) {
            return "out of range";
        }
    }
    total += term;
    if (total > magnitude_max) {
        return "out of range";
    }
    return std::nullopt;
}

} // namespace

Expected<Duration, std::string> parse_go_duration(std::string_view text) {
    std::string_view rest = text;
    bool negative = false;
    if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
        negative = rest[0] == '-';
        rest.remove_prefix(1);
    }
    if (rest == "0") {
        return Duration{0};
    }
    if (rest.empty()) {
        return Unexpected{std::string("empty")};
    }
    std::uint64_t total = 0;
    while (!rest.empty()) {
        if (std::optional<std::string> problem = parse_term(rest, total)) {
            return Unexpected{std::move(*problem)};
        }
    }
    if (negative) {
        // Two's complement: -2^63 is representable, so negate in unsigned arithmetic.
        return Duration{static_cast<std::int64_t>(~total + 1)};
    }
    if (total > magnitude_max - 1) {
        return Unexpected{std::string("out of range")};
    }
    return Duration{static_cast<std::int64_t>(total)};
}

namespace {

// Writes the fraction of value / 10^precision (".5", ".25", nothing when zero) in front of
// `end`, returning the new start; `value` keeps the integer part.
std::size_t put_fraction(std::array<char, 32>& buffer, std::size_t end, std::uint64_t& value,
                         int precision) {
    bool printing = false;
    for (int i = 0; i < precision; ++i) {
        auto digit = static_cast<char>(value % 10);
        printing = printing || digit != 0;
        if (printing) {
            buffer[--end] = static_cast<char>('0' + digit);
        }
        value /= 10;
    }
    if (printing) {
        buffer[--end] = '.';
    }
    return end;
}

std::size_t put_integer(std::array<char, 32>& buffer, std::size_t end, std::uint64_t value) {
    do {
        buffer[--end] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value > 0);
    return end;
}

std::size_t put_text(std::array<char, 32>& buffer, std::size_t end, std::string_view text) {
    end -= text.size();
    text.copy(&buffer[end], text.size());
    return end;
}

} // namespace

std::string format_go_duration(Duration duration) {
    // The longest value, "-2562047h47m16.854775808s", is 25 bytes.
    std::array<char, 32> buffer{};
    std::size_t end = buffer.size();
    std::int64_t count = duration.count();
    bool negative = count < 0;
    std::uint64_t value =
        negative ? ~static_cast<std::uint64_t>(count) + 1 : static_cast<std::uint64_t>(count);
    constexpr std::uint64_t second = 1'000'000'000;
    if (value == 0) {
        return "0s";
    }
    if (value < second) {
        // Below a second Go switches to the largest unit that keeps an integer part.
        int precision = value < 1'000 ? 0 : value < 1'000'000 ? 3 : 6;
        std::string_view unit = value < 1'000 ? "ns" : value < 1'000'000 ? "\xC2\xB5s" : "ms";
        end = put_text(buffer, end, unit);
        end = put_fraction(buffer, end, value, precision);
        end = put_integer(buffer, end, value);
    } else {
        end = put_text(buffer, end, "s");
        end = put_fraction(buffer, end, value, 9);
        end = put_integer(buffer, end, value % 60);
        value /= 60;
        if (value > 0) {
            end = put_text(buffer, end, "m");
            end = put_integer(buffer, end, value % 60);
            value /= 60;
            if (value > 0) {
                end = put_text(buffer, end, "h");
                end = put_integer(buffer, end, value);
            }
        }
    }
    if (negative) {
        end = put_text(buffer, end, "-");
    }
    return std::string(&buffer[end], buffer.size() - end);
}

} // namespace berth::config
