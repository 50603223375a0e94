#include <array>
#include <cassert>
#include <charconv>

#include <berth/util/json_writer.h>

namespace berth::util {
namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD"; // U+FFFD in UTF-8

bool needs_escape_or_check(unsigned char c) {
    return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

void append_escaped_ascii(std::string& out, unsigned char c) {
    static constexpr std::array<char, 16> hex_digits = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                        '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    switch (c) {
    case '"':
        out.append("\\\"");
        return;
    case '\\':
        out.append("\\\\");
        return;
    case '\b':
        out.append("\\b");
        return;
    case '\f':
        out.append("\\f");
        return;
    case '\n':
        out.append("\\n");
        return;
    case '\r':
        out.append("\\r");
        return;
    case '\t':
        out.append("\\t");
        return;
    default:
        out.append("\\u00");
        out.push_back(hex_digits[c >> 4]);
        out.push_back(hex_digits[c & 0x0f]);
        return;
    }
}

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0 when it is ill-formed;
// then `*bad_length` is the maximal subpart to replace by one U+FFFD (at least 1).
// The byte ranges are those of Unicode Table 3-7, which excludes overlong forms, surrogates
// and code points above U+10FFFF.
std::size_t utf8_sequence_length(std::string_view s, std::size_t* bad_length) {
    const auto lead = static_cast<unsigned char>(s[0]);
    std::size_t length = 0;
    unsigned char second_low = 0x80;
    unsigned char second_high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        second_low = lead == 0xE0 ? 0xA0 : 0x80;
        second_high = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        second_low = lead == 0xF0 ? 0x90 : 0x80;
        second_high = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
        *bad_length = 1; // a stray continuation byte, C0, C1 or F5..FF
        return 0;
    }
    for (std::size_t i = 1; i < length; ++i) {
        const unsigned char low = i == 1 ? second_low : 0x80;
        const unsigned char high = i == 1 ? second_high : 0xBF;
        if (i >= s.size() || static_cast<unsigned char>(s[i]) < low ||
            static_cast<unsigned char>(s[i]) > high) {
            *bad_length = i;
            return 0;
        }
    }
    return length;
}

} // namespace

void append_json_string(std::string& out, std::string_view value) {
    out.reserve(out.size() + value.size() + 2);
    out.push_back('"');
    std::size_t i = 0;
    while (i < value.size()) {
        // Copy the run of bytes that need no attention in one append.
        std::size_t run_end = i;
        while (run_end < value.size() &&
               !needs_escape_or_check(static_cast<unsigned char>(value[run_end]))) {
            ++run_end;
        }
        out.append(value.substr(i, run_end - i));
        i = run_end;
        if (i == value.size()) {
            break;
        }
        const auto c = static_cast<unsigned char>(value[i]);
        if (c < 0x80) {
            append_escaped_ascii(out, c);
            ++i;
            continue;
        }
        std::size_t bad_length = 0;
        const std::size_t length = utf8_sequence_length(value.substr(i), &bad_length);
        if (length == 0) {
            out.append(replacement_character);
            i += bad_length;
        } else {
            out.append(value.substr(i, length));
            i += length;
        }
    }
    out.push_back('"');
}

void JsonWriter::before_value() {
    if (depth_ == 0) {
        assert(!wrote_top_level_ && "a JSON document holds one top-level value");
        wrote_top_level_ = true;
        return;
    }
    const std::uint64_t bit = std::uint64_t{1} << (depth_ - 1);
    if ((is_object_ & bit) != 0) {
        assert(after_key_ && "an object member needs a key first");
        after_key_ = false;
        return;
    }
    if ((has_members_ & bit) != 0) {
        out_.push_back(',');
    }
    has_members_ |= bit;
}

void JsonWriter::open_container(char bracket, bool is_object) {
    before_value();
    assert(depth_ < depth_max && "JSON nested too deeply for the writer");
    out_.push_back(bracket);
    const std::uint64_t bit = std::uint64_t{1} << depth_;
    ++depth_;
    has_members_ &= ~bit;
    if (is_object) {
        is_object_ |= bit;
    } else {
        is_object_ &= ~bit;
    }
}

void JsonWriter::close_container(char bracket, [[maybe_unused]] bool is_object) {
    assert(depth_ > 0 && !after_key_);
    assert(((is_object_ >> (depth_ - 1)) & 1U) == (is_object ? 1U : 0U));
    --depth_;
    out_.push_back(bracket);
}

JsonWriter& JsonWriter::begin_object() {
    open_container('{', true);
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    close_container('}', true);
    return *this;
}

JsonWriter& JsonWriter::begin_array() {
    open_container('[', false);
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    close_container(']', false);
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    assert(depth_ > 0 && ((is_object_ >> (depth_ - 1)) & 1U) != 0 && !after_key_);
    const std::uint64_t bit = std::uint64_t{1} << (depth_ - 1);
    if ((has_members_ & bit) != 0) {
        out_.push_back(',');
    }
    has_members_ |= bit;
    append_json_string(out_, name);
    out_.push_back(':');
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::string(std::string_view value) {
    before_value();
    append_json_string(out_, value);
    return *this;
}

JsonWriter& JsonWriter::int64(std::int64_t value) {
    before_value();
    // 20 characters hold the longest int64 (`-9223372036854775808`) and uint64.
    std::array<char, 20> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    out_.append(buffer.data(), result.ptr);
    return *this;
}

JsonWriter& JsonWriter::uint64(std::uint64_t value) {
    before_value();
    // 20 characters hold the longest uint64 (`18446744073709551615`).
    std::array<char, 20> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    out_.append(buffer.data(), result.ptr);
    return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
    before_value();
    out_.append(value ? "true" : "false");
    return *this;
}

JsonWriter& JsonWriter::null() {
    before_value();
    out_.append("null");
    return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
    before_value();
    out_.append(json);
    return *this;
}

} // namespace berth::util
