#include <array>

#include <berth/util/percent.h>

namespace berth::util {

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

namespace {

bool is_unreserved(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

} // namespace

Expected<Ok, PercentError> percent_decode_append(std::string_view text, std::string& out) {
    out.reserve(out.size() + text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (c == '%') {
            if (text.size() - i < 3) {
                return Unexpected{PercentError::malformed_escape};
            }
            const int high = hex_value(text[i + 1]);
            const int low = hex_value(text[i + 2]);
            if (high < 0 || low < 0) {
                return Unexpected{PercentError::malformed_escape};
            }
            c = static_cast<char>(high * 16 + low);
            i += 3;
        } else {
            ++i;
        }
        if (c == '\0') {
            return Unexpected{PercentError::nul_byte};
        }
        out.push_back(c);
    }
    return Ok{};
}

Expected<std::string, PercentError> percent_decode(std::string_view text) {
    std::string out;
    auto result = percent_decode_append(text, out);
    if (!result) {
        return Unexpected{result.error()};
    }
    return out;
}

void percent_encode_query_value_append(std::string_view value, std::string& out) {
    static constexpr std::array<char, 16> hex_digits = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                        '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    out.reserve(out.size() + value.size());
    for (const char c : value) {
        if (is_unreserved(c)) {
            out.push_back(c);
            continue;
        }
        const auto byte = static_cast<unsigned char>(c);
        out.push_back('%');
        out.push_back(hex_digits[byte >> 4]);
        out.push_back(hex_digits[byte & 0x0f]);
    }
}

std::string percent_encode_query_value(std::string_view value) {
    std::string out;
    percent_encode_query_value_append(value, out);
    return out;
}

QueryParams parse_query(std::string_view query) {
    QueryParams params;
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) {
            continue;
        }
        const std::size_t eq = pair.find('=');
        const std::string_view raw_key = pair.substr(0, eq);
        const std::string_view raw_value =
            eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        auto key = percent_decode(raw_key);
        auto value = percent_decode(raw_value);
        if (!key || !value) {
            continue;
        }
        params.emplace_back(std::move(*key), std::move(*value));
    }
    return params;
}

std::optional<std::string_view> query_first(const QueryParams& params, std::string_view key) {
    for (const auto& [k, v] : params) {
        if (k == key) {
            return std::string_view{v};
        }
    }
    return std::nullopt;
}

std::vector<std::string_view> query_all(const QueryParams& params, std::string_view key) {
    std::vector<std::string_view> values;
    for (const auto& [k, v] : params) {
        if (k == key) {
            values.emplace_back(v);
        }
    }
    return values;
}

} // namespace berth::util
