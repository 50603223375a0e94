// A recursive-descent parser over the lexer's tokens, one token of lookahead. Every recursion
// (selection sets, list and object values, list types) goes through a depth check first.
#include <berth/ext/graphql.h>

#include "graphql_lexer.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace berth::ext::graphql {

const Value* Value::member(std::string_view name) const {
    for (const auto& [key, value] : members) {
        if (key == name) {
            return &value;
        }
    }
    return nullptr;
}

const Argument* Selection::argument(std::string_view argument_name) const {
    for (const Argument& argument : arguments) {
        if (argument.name == argument_name) {
            return &argument;
        }
    }
    return nullptr;
}

std::string TypeRef::str() const {
    std::string text = is_list() ? "[" + of.front().str() + "]" : name;
    return non_null ? text + "!" : text;
}

const Fragment* Document::fragment(std::string_view name) const {
    for (const Fragment& fragment : fragments) {
        if (fragment.name == name) {
            return &fragment;
        }
    }
    return nullptr;
}

namespace {

class Parser {
public:
    Parser(std::string_view text, const Limits& limits) : lexer_(text), limits_(limits) {}

    Expected<Document, Error> run();

private:
    void next();
    bool peek(std::string_view punctuator) const;
    bool peek_name(std::string_view name) const;
    bool skip(std::string_view punctuator);
    void expect(std::string_view punctuator);
    std::string expect_name();
    void unexpected();
    void fail(Location at, std::string message);
    bool failed() const { return failed_; }
    void enter(Location at);
    void leave() { --depth_; }

    void definition(Document& document);
    Operation operation();
    Fragment fragment();
    std::vector<VariableDefinition> variable_definitions();
    TypeRef type_ref();
    std::vector<Selection> selection_set();
    Selection selection();
    Selection field();
    std::vector<Argument> arguments(bool constant);
    std::vector<Directive> directives(bool constant);
    Value value(bool constant);
    Value number_value();
    Value list_value(bool constant);
    Value object_value(bool constant);

    Lexer lexer_;
    const Limits& limits_;
    Token token_;
    std::size_t tokens_ = 0;
    std::size_t depth_ = 0;
    std::size_t selections_ = 0;
    // The first error stops the parse: from then on the token is <EOF>, so every loop ends
    // and the partial tree is discarded.
    bool failed_ = false;
    Error error_;
};

void Parser::fail(Location at, std::string message) {
    if (!failed_) {
        failed_ = true;
        error_ = Error{std::move(message), at};
    }
    token_ = Token{TokenKind::end, {}, at};
}

void Parser::next() {
    if (failed_) {
        return;
    }
    if (++tokens_ > limits_.tokens_max) {
        fail(token_.location, "Syntax Error: document has too many tokens.");
    }
    token_ = lexer_.next();
    if (token_.kind == TokenKind::error) {
        fail(token_.location, token_.text);
    }
}

void Parser::unexpected() {
    std::string found = token_.kind == TokenKind::end ? "<EOF>" : token_.text;
    if (token_.kind == TokenKind::string) {
        found = "String";
    }
    fail(token_.location, "Syntax Error: Unexpected " + found + ".");
}

bool Parser::peek(std::string_view punctuator) const {
    return token_.kind == TokenKind::punctuator && token_.text == punctuator;
}

bool Parser::peek_name(std::string_view name) const {
    return token_.kind == TokenKind::name && token_.text == name;
}

bool Parser::skip(std::string_view punctuator) {
    if (!peek(punctuator)) {
        return false;
    }
    next();
    return true;
}

void Parser::expect(std::string_view punctuator) {
    if (!skip(punctuator)) {
        std::string found = token_.kind == TokenKind::end ? "<EOF>" : token_.text;
        fail(token_.location,
             "Syntax Error: Expected " + std::string(punctuator) + ", found " + found + ".");
    }
}

std::string Parser::expect_name() {
    if (token_.kind != TokenKind::name) {
        unexpected();
    }
    std::string name = std::move(token_.text);
    next();
    return name;
}

void Parser::enter(Location at) {
    if (++depth_ > limits_.depth_max) {
        fail(at, "Syntax Error: document is nested too deeply.");
    }
}

Expected<Document, Error> Parser::run() {
    next();
    Document document;
    if (token_.kind == TokenKind::end) {
        unexpected();
    }
    while (token_.kind != TokenKind::end) {
        definition(document);
    }
    if (failed_) {
        return Unexpected(std::move(error_));
    }
    return document;
}

void Parser::definition(Document& document) {
    if (peek("{") || peek_name("query") || peek_name("mutation") || peek_name("subscription")) {
        document.operations.push_back(operation());
    } else if (peek_name("fragment")) {
        document.fragments.push_back(fragment());
    } else {
        unexpected();
    }
}

Operation Parser::operation() {
    Operation operation;
    operation.location = token_.location;
    if (peek("{")) {
        operation.kind = "query";
        operation.selections = selection_set();
        return operation;
    }
    operation.kind = expect_name();
    if (token_.kind == TokenKind::name) {
        operation.name = expect_name();
    }
    operation.variables = variable_definitions();
    operation.directives = directives(false);
    operation.selections = selection_set();
    return operation;
}

Fragment Parser::fragment() {
    Fragment fragment;
    fragment.location = token_.location;
    next();
    if (peek_name("on")) {
        unexpected();
    }
    fragment.name = expect_name();
    if (!peek_name("on")) {
        fail(token_.location, "Syntax Error: Expected \"on\".");
    }
    next();
    fragment.type_condition = expect_name();
    fragment.directives = directives(false);
    fragment.selections = selection_set();
    return fragment;
}

std::vector<VariableDefinition> Parser::variable_definitions() {
    std::vector<VariableDefinition> definitions;
    if (!skip("(")) {
        return definitions;
    }
    do {
        VariableDefinition definition;
        definition.location = token_.location;
        expect("$");
        definition.name = expect_name();
        expect(":");
        definition.type = type_ref();
        if (skip("=")) {
            definition.has_default = true;
            definition.default_value = value(true);
        }
        directives(true);
        definitions.push_back(std::move(definition));
    } while (!failed_ && !skip(")"));
    return definitions;
}

TypeRef Parser::type_ref() {
    TypeRef type;
    if (peek("[")) {
        Location at = token_.location;
        enter(at);
        next();
        type.of.push_back(type_ref());
        expect("]");
        leave();
    } else {
        type.name = expect_name();
    }
    type.non_null = skip("!");
    return type;
}

std::vector<Selection> Parser::selection_set() {
    Location at = token_.location;
    expect("{");
    enter(at);
    std::vector<Selection> selections;
    do {
        selections.push_back(selection());
    } while (!failed_ && !skip("}"));
    leave();
    return selections;
}

Selection Parser::selection() {
    if (++selections_ > limits_.selections_max) {
        fail(token_.location, "Syntax Error: document has too many selections.");
    }
    if (!peek("...")) {
        return field();
    }
    Selection selection;
    selection.location = token_.location;
    next();
    if (token_.kind == TokenKind::name && token_.text != "on") {
        selection.kind = SelectionKind::fragment_spread;
        selection.name = expect_name();
        selection.directives = directives(false);
        return selection;
    }
    selection.kind = SelectionKind::inline_fragment;
    if (peek_name("on")) {
        next();
        selection.type_condition = expect_name();
    }
    selection.directives = directives(false);
    selection.selections = selection_set();
    return selection;
}

Selection Parser::field() {
    Selection selection;
    selection.location = token_.location;
    selection.name = expect_name();
    if (skip(":")) {
        selection.alias = std::move(selection.name);
        selection.name = expect_name();
    }
    selection.arguments = arguments(false);
    selection.directives = directives(false);
    if (peek("{")) {
        selection.selections = selection_set();
    }
    return selection;
}

// `()` is accepted though the grammar wants one argument at least: Zot's CLI sends
// `__schema()` and Zot's own parser lets it through.
std::vector<Argument> Parser::arguments(bool constant) {
    std::vector<Argument> arguments;
    if (!skip("(")) {
        return arguments;
    }
    while (!failed_ && !skip(")")) {
        Argument argument;
        argument.location = token_.location;
        argument.name = expect_name();
        expect(":");
        argument.value = value(constant);
        arguments.push_back(std::move(argument));
    }
    return arguments;
}

std::vector<Directive> Parser::directives(bool constant) {
    std::vector<Directive> directives;
    while (peek("@")) {
        Directive directive;
        directive.location = token_.location;
        next();
        directive.name = expect_name();
        directive.arguments = arguments(constant);
        directives.push_back(std::move(directive));
    }
    return directives;
}

Value Parser::value(bool constant) {
    Value value;
    value.location = token_.location;
    switch (token_.kind) {
    case TokenKind::punctuator:
        if (peek("[")) {
            return list_value(constant);
        }
        if (peek("{")) {
            return object_value(constant);
        }
        if (peek("$") && !constant) {
            next();
            value.kind = ValueKind::variable;
            value.text = expect_name();
            return value;
        }
        unexpected();
        return value;
    case TokenKind::integer:
    case TokenKind::floating:
        return number_value();
    case TokenKind::string:
        value.kind = ValueKind::string;
        value.text = std::move(token_.text);
        next();
        return value;
    case TokenKind::name:
        if (token_.text == "true" || token_.text == "false") {
            value.kind = ValueKind::boolean;
            value.boolean = token_.text == "true";
        } else if (token_.text != "null") {
            value.kind = ValueKind::enumeration;
            value.text = std::move(token_.text);
        }
        next();
        return value;
    case TokenKind::end:
    case TokenKind::error:
        break;
    }
    unexpected();
    return value;
}

Value Parser::number_value() {
    Value value;
    value.location = token_.location;
    errno = 0;
    if (token_.kind == TokenKind::integer) {
        value.kind = ValueKind::integer;
        value.integer = std::strtoll(token_.text.c_str(), nullptr, 10);
    } else {
        value.kind = ValueKind::floating;
        value.floating = std::strtod(token_.text.c_str(), nullptr);
    }
    if (errno == ERANGE || !std::isfinite(value.floating)) {
        fail(token_.location, "Syntax Error: number out of range: " + token_.text + ".");
        return value;
    }
    value.text = std::move(token_.text);
    next();
    return value;
}

Value Parser::list_value(bool constant) {
    Value list;
    list.kind = ValueKind::list;
    list.location = token_.location;
    enter(token_.location);
    next();
    while (!failed_ && !skip("]")) {
        list.items.push_back(value(constant));
    }
    leave();
    return list;
}

Value Parser::object_value(bool constant) {
    Value object;
    object.kind = ValueKind::object;
    object.location = token_.location;
    enter(token_.location);
    next();
    while (!failed_ && !skip("}")) {
        Location at = token_.location;
        std::string name = expect_name();
        expect(":");
        if (object.member(name) != nullptr) {
            fail(at, "There can be only one input field named \"" + name + "\".");
            break;
        }
        object.members.emplace_back(std::move(name), value(constant));
    }
    leave();
    return object;
}

} // namespace

Expected<Document, Error> parse(std::string_view text, const Limits& limits) {
    if (text.size() > limits.document_bytes_max) {
        return Unexpected(Error{
            "query is larger than " + std::to_string(limits.document_bytes_max) + " bytes", {}});
    }
    return Parser(text, limits).run();
}

Expected<const Operation*, Error> select_operation(const Document& document,
                                                   std::string_view operation_name) {
    if (operation_name.empty()) {
        if (document.operations.size() == 1) {
            return &document.operations.front();
        }
        return Unexpected(Error{document.operations.empty()
                                    ? "no operation provided"
                                    : "operation name is required when the document has several",
                                {}});
    }
    for (const Operation& operation : document.operations) {
        if (operation.name == operation_name) {
            return &operation;
        }
    }
    return Unexpected(Error{"operation " + std::string(operation_name) + " not found", {}});
}

} // namespace berth::ext::graphql
