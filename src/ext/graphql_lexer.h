// The GraphQL lexer (spec §2.1): the source as a stream of tokens, ignoring white space,
// commas and comments. Internal to the parser.
#pragma once

#include <berth/ext/graphql.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace berth::ext::graphql {

enum class TokenKind : std::uint8_t {
    end,
    punctuator, // ! $ & ( ) ... : = @ [ ] { | }
    name,
    integer,
    floating,
    string,
    error, // `text` holds the message
};

struct Token {
    TokenKind kind = TokenKind::end;
    std::string text; // punctuator, name or number as written; a string's value
    Location location;
};

class Lexer {
public:
    explicit Lexer(std::string_view source) : source_(source) {}

    Token next();

private:
    void skip_ignored();
    Token number(Location at);
    Token string(Location at);
    Token block_string(Location at);
    bool escape(std::string& out);
    Location here() const;
    void advance(std::size_t count);

    std::string_view source_;
    std::size_t position_ = 0;
    std::uint32_t line_ = 1;
    std::size_t line_start_ = 0;
};

} // namespace berth::ext::graphql
