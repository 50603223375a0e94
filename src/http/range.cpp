#include <array>
#include <charconv>
#include <limits>
#include <optional>

#include <berth/http/range.h>

namespace berth::http {
namespace {

constexpr std::uint64_t uint64_max = std::numeric_limits<std::uint64_t>::max();

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && is_ows(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_ows(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (ascii_lower(s[i]) != prefix[i]) {
            return false;
        }
    }
    return true;
}

// `1*DIGIT`. A value above UINT64_MAX saturates when `saturate` is set (a position that large is
// simply "beyond any resource"), and fails otherwise.
std::optional<std::uint64_t> parse_digits(std::string_view s, bool saturate) {
    if (s.empty()) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (const char c : s) {
        if (!is_digit(c)) {
            return std::nullopt;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (uint64_max - digit) / 10) {
            if (!saturate) {
                return std::nullopt;
            }
            value = uint64_max;
            continue;
        }
        value = value * 10 + digit;
    }
    return value;
}

// One `int-range` or `suffix-range` of RFC 9110 §14.1.1 against a resource of `size` bytes.
// nullopt: the spec does not parse (the header is then ignored).
std::optional<RangeDecision> evaluate_range_spec(std::string_view spec, std::uint64_t size) {
    constexpr RangeDecision unsatisfiable{RangeOutcome::unsatisfiable, {}};
    const std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view first_text = spec.substr(0, dash);
    const std::string_view last_text = spec.substr(dash + 1);
    if (first_text.empty()) {
        const auto suffix = parse_digits(last_text, true);
        if (!suffix) {
            return std::nullopt;
        }
        if (*suffix == 0 || size == 0) {
            return unsatisfiable;
        }
        const std::uint64_t length = *suffix < size ? *suffix : size;
        return RangeDecision{RangeOutcome::partial, {size - length, size - 1}};
    }
    const auto first = parse_digits(first_text, true);
    if (!first) {
        return std::nullopt;
    }
    std::uint64_t last = uint64_max;
    if (!last_text.empty()) {
        const auto parsed = parse_digits(last_text, true);
        if (!parsed || *parsed < *first) {
            return std::nullopt; // RFC 9110: last < first makes the range-spec invalid
        }
        last = *parsed;
    }
    if (*first >= size) {
        return unsatisfiable;
    }
    return RangeDecision{RangeOutcome::partial, {*first, last < size - 1 ? last : size - 1}};
}

void append_uint64(std::string& out, std::uint64_t value) {
    // 20 characters hold the longest uint64 (`18446744073709551615`).
    std::array<char, 20> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    out.append(buffer.data(), result.ptr);
}

} // namespace

RangeDecision evaluate_range(std::string_view header, std::uint64_t size) {
    constexpr RangeDecision full{};
    std::string_view value = trim_ows(header);
    if (!starts_with_ignoring_case(value, "bytes=")) {
        return full; // absent, another unit, or not a ranges-specifier at all
    }
    value.remove_prefix(std::string_view("bytes=").size());
    // RFC 9110 §5.6.1: recipients accept empty list elements, so `bytes=0-1,` is one range.
    std::string_view spec;
    std::size_t specs = 0;
    while (true) {
        const std::size_t comma = value.find(',');
        const std::string_view element = trim_ows(value.substr(0, comma));
        if (!element.empty()) {
            spec = element;
            ++specs;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        value.remove_prefix(comma + 1);
    }
    if (specs != 1) {
        return full; // empty range-set or several ranges: serving the whole body is allowed
    }
    return evaluate_range_spec(spec, size).value_or(full);
}

Expected<ByteRange, ContentRangeError> parse_upload_content_range(std::string_view header) {
    const auto invalid = Unexpected{ContentRangeError::invalid};
    std::string_view value = trim_ows(header);
    if (starts_with_ignoring_case(value, "bytes ") || starts_with_ignoring_case(value, "bytes=")) {
        value = trim_ows(value.substr(std::string_view("bytes=").size()));
    }
    std::optional<std::uint64_t> total;
    if (const std::size_t slash = value.find('/'); slash != std::string_view::npos) {
        const std::string_view total_text = value.substr(slash + 1);
        value = value.substr(0, slash);
        if (total_text != "*") {
            total = parse_digits(total_text, false);
            if (!total) {
                return invalid;
            }
        }
    }
    const std::size_t dash = value.find('-');
    if (dash == std::string_view::npos) {
        return invalid;
    }
    const auto start = parse_digits(value.substr(0, dash), false);
    const auto end = parse_digits(value.substr(dash + 1), false);
    if (!start || !end || *end < *start || *end == uint64_max) {
        return invalid;
    }
    if (total && *total <= *end) {
        return invalid; // RFC 9110 §14.4: the complete length must exceed the last position
    }
    return ByteRange{*start, *end};
}

void append_content_range(std::string& out, ByteRange range, std::uint64_t size) {
    out.append("bytes ");
    append_uint64(out, range.first);
    out.push_back('-');
    append_uint64(out, range.last);
    out.push_back('/');
    append_uint64(out, size);
}

void append_unsatisfied_content_range(std::string& out, std::uint64_t size) {
    out.append("bytes */");
    append_uint64(out, size);
}

void append_upload_range(std::string& out, std::uint64_t size) {
    out.append("0-");
    append_uint64(out, size == 0 ? 0 : size - 1);
}

} // namespace berth::http
