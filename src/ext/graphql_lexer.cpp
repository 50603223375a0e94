#include "graphql_lexer.h"

#include <berth/util/percent.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace berth::ext::graphql {

namespace {

bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_name_char(char c) {
    return is_name_start(c) || is_digit(c);
}

void append_utf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
        out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (code >> 6)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (code >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (code >> 18)));
        out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
}

Token error_token(Location at, std::string message) {
    return Token{TokenKind::error, "Syntax Error: " + std::move(message), at};
}

// Block strings lose the indentation their lines share, and blank first and last lines
// (spec §2.9.4, BlockStringValue).
std::string block_string_value(std::string_view raw) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= raw.size(); ++i) {
        if (i == raw.size() || raw[i] == '\n' || raw[i] == '\r') {
            lines.push_back(raw.substr(start, i - start));
            if (i + 1 < raw.size() && raw[i] == '\r' && raw[i + 1] == '\n') {
                ++i;
            }
            start = i + 1;
        }
    }
    std::size_t common = std::string_view::npos;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        std::size_t indent = lines[i].find_first_not_of(" \t");
        if (indent != std::string_view::npos) {
            common = std::min(common, indent);
        }
    }
    for (std::size_t i = 1; i < lines.size() && common != std::string_view::npos; ++i) {
        lines[i].remove_prefix(std::min(common, lines[i].size()));
    }
    auto blank = [](std::string_view line) {
        return line.find_first_not_of(" \t") == std::string_view::npos;
    };
    while (!lines.empty() && blank(lines.front())) {
        lines.erase(lines.begin());
    }
    while (!lines.empty() && blank(lines.back())) {
        lines.pop_back();
    }
    std::string value;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        value.append(i == 0 ? "" : "\n").append(lines[i]);
    }
    return value;
}

} // namespace

Location Lexer::here() const {
    return Location{line_, static_cast<std::uint32_t>(position_ - line_start_ + 1)};
}

void Lexer::advance(std::size_t count) {
    for (std::size_t i = 0; i < count && position_ < source_.size(); ++i) {
        char c = source_[position_++];
        bool crlf = c == '\r' && position_ < source_.size() && source_[position_] == '\n';
        if (c == '\n' || (c == '\r' && !crlf)) {
            ++line_;
            line_start_ = position_;
        }
    }
}

void Lexer::skip_ignored() {
    while (position_ < source_.size()) {
        char c = source_[position_];
        if (c == ' ' || c == '\t' || c == ',' || c == '\n' || c == '\r') {
            advance(1);
        } else if (c == '#') {
            while (position_ < source_.size() && source_[position_] != '\n' &&
                   source_[position_] != '\r') {
                advance(1);
            }
        } else if (source_.substr(position_).starts_with("\xEF\xBB\xBF")) {
            advance(3);
        } else {
            return;
        }
    }
}

Token Lexer::next() {
    skip_ignored();
    Location at = here();
    if (position_ >= source_.size()) {
        return Token{TokenKind::end, {}, at};
    }
    char c = source_[position_];
    if (source_.substr(position_).starts_with("...")) {
        advance(3);
        return Token{TokenKind::punctuator, "...", at};
    }
    if (std::string_view("!$&():=@[]{|}").find(c) != std::string_view::npos) {
        advance(1);
        return Token{TokenKind::punctuator, std::string(1, c), at};
    }
    if (is_name_start(c)) {
        std::size_t end = position_;
        while (end < source_.size() && is_name_char(source_[end])) {
            ++end;
        }
        std::string name(source_.substr(position_, end - position_));
        advance(end - position_);
        return Token{TokenKind::name, std::move(name), at};
    }
    if (c == '-' || is_digit(c)) {
        return number(at);
    }
    if (c == '"') {
        return source_.substr(position_).starts_with("\"\"\"") ? block_string(at) : string(at);
    }
    return error_token(at, "Unexpected character.");
}

Token Lexer::number(Location at) {
    std::size_t end = position_;
    auto digits = [&] {
        std::size_t from = end;
        while (end < source_.size() && is_digit(source_[end])) {
            ++end;
        }
        return end - from;
    };
    if (source_[end] == '-') {
        ++end;
    }
    std::size_t integer_start = end;
    if (digits() == 0) {
        return error_token(at, "Invalid number, expected digit.");
    }
    if (source_[integer_start] == '0' && end - integer_start > 1) {
        return error_token(at, "Invalid number, unexpected digit after 0.");
    }
    bool is_float = false;
    if (end < source_.size() && source_[end] == '.') {
        ++end;
        is_float = true;
        if (digits() == 0) {
            return error_token(at, "Invalid number, expected digit.");
        }
    }
    if (end < source_.size() && (source_[end] == 'e' || source_[end] == 'E')) {
        ++end;
        is_float = true;
        if (end < source_.size() && (source_[end] == '+' || source_[end] == '-')) {
            ++end;
        }
        if (digits() == 0) {
            return error_token(at, "Invalid number, expected digit.");
        }
    }
    if (end < source_.size() && (is_name_start(source_[end]) || source_[end] == '.')) {
        return error_token(at, "Invalid number.");
    }
    std::string text(source_.substr(position_, end - position_));
    advance(end - position_);
    return Token{is_float ? TokenKind::floating : TokenKind::integer, std::move(text), at};
}

// After the backslash; false for an escape GraphQL does not have.
bool Lexer::escape(std::string& out) {
    char c = source_[position_];
    constexpr std::string_view simple = "\"\\/bfnrt";
    constexpr std::string_view meaning = "\"\\/\b\f\n\r\t";
    if (auto index = simple.find(c); index != std::string_view::npos) {
        out.push_back(meaning[index]);
        advance(1);
        return true;
    }
    auto code_unit = [&](std::size_t at) -> std::int32_t {
        if (at + 5 > source_.size() || source_[at] != 'u') {
            return -1;
        }
        std::int32_t value = 0;
        for (std::size_t i = 1; i <= 4; ++i) {
            int digit = util::hex_value(source_[at + i]);
            if (digit < 0) {
                return -1;
            }
            value = value * 16 + digit;
        }
        return value;
    };
    std::int32_t first = code_unit(position_);
    if (first < 0 || (first >= 0xDC00 && first <= 0xDFFF)) {
        return false;
    }
    if (first >= 0xD800 && first <= 0xDBFF) {
        bool paired = position_ + 6 < source_.size() && source_[position_ + 5] == '\\';
        std::int32_t second = paired ? code_unit(position_ + 6) : -1;
        if (second < 0xDC00 || second > 0xDFFF) {
            return false;
        }
        append_utf8(out, 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
        advance(11);
        return true;
    }
    append_utf8(out, static_cast<std::uint32_t>(first));
    advance(5);
    return true;
}

Token Lexer::string(Location at) {
    advance(1);
    std::string value;
    while (position_ < source_.size()) {
        char c = source_[position_];
        if (c == '"') {
            advance(1);
            return Token{TokenKind::string, std::move(value), at};
        }
        if (c == '\n' || c == '\r') {
            break;
        }
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
            return error_token(here(), "Invalid character within String.");
        }
        if (c == '\\') {
            Location escape_at = here();
            advance(1);
            if (position_ >= source_.size() || !escape(value)) {
                return error_token(escape_at, "Invalid character escape sequence.");
            }
            continue;
        }
        value.push_back(c);
        advance(1);
    }
    return error_token(here(), "Unterminated string.");
}

Token Lexer::block_string(Location at) {
    advance(3);
    std::string raw;
    while (position_ < source_.size()) {
        std::string_view rest = source_.substr(position_);
        if (rest.starts_with("\"\"\"")) {
            advance(3);
            return Token{TokenKind::string, block_string_value(raw), at};
        }
        if (rest.starts_with("\\\"\"\"")) {
            raw += "\"\"\"";
            advance(4);
            continue;
        }
        char c = rest.front();
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            return error_token(here(), "Invalid character within String.");
        }
        raw.push_back(c);
        advance(1);
    }
    return error_token(here(), "Unterminated string.");
}

} // namespace berth::ext::graphql
