#include <berth/config/json_location.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace berth::config {
namespace {

struct Position {
    std::size_t line = 1;
    std::size_t column = 1;
};

Position position_of(std::string_view text, std::size_t offset) {
    Position position;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        auto byte = static_cast<unsigned char>(text[i]);
        if (byte == '\n') {
            ++position.line;
            position.column = 1;
        } else if ((byte & 0xC0) != 0x80) {
            // Continuation bytes belong to the character already counted.
            ++position.column;
        }
    }
    return position;
}

bool in_range(unsigned char byte, unsigned char low, unsigned char high) {
    return byte >= low && byte <= high;
}

// Length of the well-formed UTF-8 sequence at `offset` (Unicode table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_length(std::string_view text, std::size_t offset) {
    auto at = [&](std::size_t i) -> unsigned char {
        return offset + i < text.size() ? static_cast<unsigned char>(text[offset + i]) : 0;
    };
    unsigned char lead = at(0);
    std::size_t length = lead < 0x80 ? 1 : lead < 0xC2 ? 0 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    if (length == 0 || lead > 0xF4) {
        return 0;
    }
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead == 0xE0) {
        low = 0xA0;
    } else if (lead == 0xED) {
        high = 0x9F;
    } else if (lead == 0xF0) {
        low = 0x90;
    } else if (lead == 0xF4) {
        high = 0x8F;
    }
    if (length > 1 && !in_range(at(1), low, high)) {
        return 0;
    }
    for (std::size_t i = 2; i < length; ++i) {
        if (!in_range(at(i), 0x80, 0xBF)) {
            return 0;
        }
    }
    return length;
}

// How an unexpected character is shown: itself when printable, else its byte value.
std::string describe(std::string_view text, std::size_t offset) {
    if (offset >= text.size()) {
        return "the end of the input";
    }
    auto byte = static_cast<unsigned char>(text[offset]);
    if (byte > 0x20 && byte < 0x7F) {
        return "'" + std::string(1, static_cast<char>(byte)) + "'";
    }
    std::size_t length = byte >= 0x80 ? utf8_length(text, offset) : 0;
    if (length > 0) {
        // The code point too: a no-break space or a typographic quote looks like the real thing.
        std::uint32_t code_point = byte & (0xFF >> (length + 1));
        for (std::size_t i = 1; i < length; ++i) {
            code_point = (code_point << 6) | (static_cast<unsigned char>(text[offset + i]) & 0x3F);
        }
        char name[16];
        std::snprintf(name, sizeof name, " (U+%04X)", static_cast<unsigned>(code_point));
        return "'" + std::string(text.substr(offset, length)) + "'" + name;
    }
    char hex[16];
    std::snprintf(hex, sizeof hex, "byte 0x%02X", static_cast<unsigned>(byte));
    return hex;
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// A recursive-descent recognizer of RFC 8259 that stops at the first fault.
class Scanner {
public:
    explicit Scanner(std::string_view text) : text_(text) {}

    std::optional<JsonErrorLocation> run() {
        skip_whitespace();
        if (pos_ == text_.size()) {
            return located(pos_, "the document is empty");
        }
        if (!value(0)) {
            return located(fault_offset_, fault_);
        }
        skip_whitespace();
        if (pos_ != text_.size()) {
            return located(pos_, "unexpected " + describe(text_, pos_) +
                                     " after the end of the document");
        }
        return std::nullopt;
    }

private:
    JsonErrorLocation located(std::size_t offset, std::string what) const {
        Position position = position_of(text_, offset);
        return {position.line, position.column, std::move(what)};
    }

    bool fail(std::size_t offset, std::string what) {
        fault_offset_ = offset;
        fault_ = std::move(what);
        return false;
    }

    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    bool at_end() const { return pos_ >= text_.size(); }

    void skip_whitespace() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
            ++pos_;
        }
    }

    bool unclosed(std::size_t open_offset, std::string_view kind) {
        Position open = position_of(text_, open_offset);
        return fail(pos_, "unexpected end of input: the " + std::string(kind) + " opened at line " +
                              std::to_string(open.line) + ", column " +
                              std::to_string(open.column) + " is not closed");
    }

    bool value(std::size_t depth) {
        if (at_end()) {
            return fail(pos_, "unexpected end of input, expected a value");
        }
        if (depth >= json_depth_max) {
            return fail(pos_, "nesting deeper than " + std::to_string(json_depth_max) + " levels");
        }
        char c = peek();
        switch (c) {
        case '{':
            return object(depth + 1);
        case '[':
            return array(depth + 1);
        case '"':
            return string();
        case 't':
            return literal("true");
        case 'f':
            return literal("false");
        case 'n':
            return literal("null");
        case '/':
            return fail(pos_, "unexpected '/' (JSON has no comments)");
        default:
            break;
        }
        if (c == '-' || is_digit(c)) {
            return number();
        }
        return fail(pos_, "expected a value, found " + describe(text_, pos_));
    }

    bool object(std::size_t depth) {
        std::size_t open = pos_++;
        skip_whitespace();
        if (peek() == '}') {
            ++pos_;
            return true;
        }
        bool after_comma = false;
        for (;;) {
            if (at_end()) {
                return unclosed(open, "object");
            }
            if (peek() != '"') {
                if (after_comma && peek() == '}') {
                    return fail(pos_, "expected a key after ',' (JSON allows no trailing comma)");
                }
                return fail(pos_,
                            "expected a key in double quotes, found " + describe(text_, pos_));
            }
            if (!string()) {
                return false;
            }
            skip_whitespace();
            if (at_end()) {
                return unclosed(open, "object");
            }
            if (peek() != ':') {
                return fail(pos_, "expected ':' after the key, found " + describe(text_, pos_));
            }
            ++pos_;
            skip_whitespace();
            if (!value(depth)) {
                return false;
            }
            skip_whitespace();
            if (at_end()) {
                return unclosed(open, "object");
            }
            if (peek() == '}') {
                ++pos_;
                return true;
            }
            if (peek() != ',') {
                return fail(pos_, "expected ',' or '}', found " + describe(text_, pos_));
            }
            ++pos_;
            skip_whitespace();
            after_comma = true;
        }
    }

    bool array(std::size_t depth) {
        std::size_t open = pos_++;
        skip_whitespace();
        if (peek() == ']') {
            ++pos_;
            return true;
        }
        for (;;) {
            if (at_end()) {
                return unclosed(open, "array");
            }
            if (peek() == ']') {
                return fail(pos_, "expected a value after ',' (JSON allows no trailing comma)");
            }
            if (!value(depth)) {
                return false;
            }
            skip_whitespace();
            if (at_end()) {
                return unclosed(open, "array");
            }
            if (peek() == ']') {
                ++pos_;
                return true;
            }
            if (peek() != ',') {
                return fail(pos_, "expected ',' or ']', found " + describe(text_, pos_));
            }
            ++pos_;
            skip_whitespace();
        }
    }

    bool string() {
        std::size_t open = pos_++;
        for (;;) {
            if (at_end()) {
                return fail(open, "unterminated string");
            }
            auto byte = static_cast<unsigned char>(text_[pos_]);
            if (byte == '"') {
                ++pos_;
                return true;
            }
            if (byte == '\\') {
                if (!escape()) {
                    return false;
                }
            } else if (byte < 0x20) {
                return fail(pos_, byte == '\n' ? "line break inside a string (write \\n)"
                                               : "control character " + describe(text_, pos_) +
                                                     " inside a string (escape it)");
            } else if (byte < 0x80) {
                ++pos_;
            } else {
                std::size_t length = utf8_length(text_, pos_);
                if (length == 0) {
                    return fail(pos_, "invalid UTF-8 (" + describe(text_, pos_) + ")");
                }
                pos_ += length;
            }
        }
    }

    // One \u escape at pos_; the code unit it names, or -1 (the fault is recorded).
    long unicode_escape() {
        std::size_t start = pos_;
        if (text_.size() - pos_ < 6) {
            fail(start, "\\u needs four hex digits");
            return -1;
        }
        for (std::size_t i = 2; i < 6; ++i) {
            if (!is_hex(text_[pos_ + i])) {
                fail(start, "\\u needs four hex digits");
                return -1;
            }
        }
        long unit = std::strtol(std::string(text_.substr(pos_ + 2, 4)).c_str(), nullptr, 16);
        pos_ += 6;
        return unit;
    }

    bool escape() {
        std::size_t start = pos_;
        char kind = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
        if (kind != 'u') {
            static constexpr std::string_view simple = "\"\\/bfnrt";
            if (kind == '\0' || simple.find(kind) == std::string_view::npos) {
                return fail(start, "invalid escape \\" + std::string(1, kind ? kind : ' ') +
                                       " (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
            }
            pos_ += 2;
            return true;
        }
        long unit = unicode_escape();
        if (unit < 0) {
            return false;
        }
        if (unit >= 0xDC00 && unit <= 0xDFFF) {
            return fail(start, "unpaired surrogate in \\u escape");
        }
        if (unit >= 0xD800 && unit <= 0xDBFF) {
            bool paired = text_.substr(pos_, 2) == "\\u";
            long low = paired ? unicode_escape() : 0;
            if (low < 0) {
                return false;
            }
            if (!(low >= 0xDC00 && low <= 0xDFFF)) {
                return fail(start, "unpaired surrogate in \\u escape");
            }
        }
        return true;
    }

    void digits() {
        while (is_digit(peek())) {
            ++pos_;
        }
    }

    bool number() {
        std::size_t start = pos_;
        if (peek() == '-') {
            ++pos_;
        }
        if (!is_digit(peek())) {
            return fail(start, "invalid number: a digit must follow '-'");
        }
        if (peek() == '0' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1])) {
            return fail(start, "invalid number: no leading zeros");
        }
        digits();
        bool integer = true;
        if (peek() == '.') {
            ++pos_;
            if (!is_digit(peek())) {
                return fail(start, "invalid number: a digit must follow '.'");
            }
            digits();
            integer = false;
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') {
                ++pos_;
            }
            if (!is_digit(peek())) {
                return fail(start, "invalid number: the exponent has no digits");
            }
            digits();
            integer = false;
        }
        return number_in_range(start, integer);
    }

    // Integers must fit 64 bits (signed when negative) and decimals a finite double, as the
    // configuration parser requires.
    bool number_in_range(std::size_t start, bool integer) {
        std::string token(text_.substr(start, pos_ - start));
        if (integer) {
            errno = 0;
            if (token[0] == '-') {
                (void)std::strtoll(token.c_str(), nullptr, 10);
            } else {
                (void)std::strtoull(token.c_str(), nullptr, 10);
            }
            if (errno == ERANGE) {
                return fail(start, "integer " + token + " is outside the 64-bit range");
            }
            return true;
        }
        if (std::isinf(std::strtod(token.c_str(), nullptr))) {
            return fail(start, "number " + token + " is too large");
        }
        return true;
    }

    bool literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) {
            return fail(pos_, "invalid literal (expected '" + std::string(word) + "')");
        }
        pos_ += word.size();
        return true;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t fault_offset_ = 0;
    std::string fault_;
};

} // namespace

std::optional<JsonErrorLocation> locate_json_error(std::string_view text) {
    return Scanner(text).run();
}

} // namespace berth::config
