// The part of GraphQL (October 2021 spec) that Zot's web UI and CLI use: one document of
// operations and fragments; fields with aliases and arguments; variables with defaults;
// named and inline fragments; @skip and @include. No schema language, no mutations executed.
//
// The parser is the first thing hostile input meets, so it is bounded in every dimension:
// document bytes, tokens, nesting depth (selections and values alike, so recursion cannot
// exhaust the stack) and number of selections. Errors carry the line and column of the
// offending token, as GraphQL's error format wants them.
#pragma once

#include <berth/util/expected.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::ext::graphql {

struct Limits {
    // Zot's UI sends queries of about 1 KiB; the CLI's schema check is the largest, at 0.5 KiB.
    std::size_t document_bytes_max = 32 * 1024;
    std::size_t tokens_max = 8192;
    // Nesting of selection sets and of list/object values. The deepest UI query nests 5.
    std::size_t depth_max = 16;
    // Selections (fields, spreads, inline fragments) in the whole document.
    std::size_t selections_max = 1024;
};

struct Location {
    std::uint32_t line = 0;
    std::uint32_t column = 0;
};

struct Error {
    std::string message;
    Location location; // line 0 when the error has no place in the document
};

enum class ValueKind : std::uint8_t {
    null,
    integer,
    floating,
    string,
    boolean,
    enumeration,
    list,
    object,
    variable,
};

struct Member;

struct Value {
    ValueKind kind = ValueKind::null;
    Location location;
    std::int64_t integer = 0;
    double floating = 0;
    bool boolean = false;
    std::string text;            // string, enum or variable name
    std::vector<Value> items;    // list
    std::vector<Member> members; // object, in document order

    const Value* member(std::string_view name) const;
};

// A member of an object value. Not std::pair: a pair may not hold a type still incomplete
// where the vector of them is declared.
struct Member {
    Member() = default;
    Member(std::string member_name, Value member_value)
        : name(std::move(member_name)), value(std::move(member_value)) {}
    std::string name;
    Value value;
};

struct Argument {
    std::string name;
    Value value;
    Location location;
};

struct Directive {
    std::string name;
    std::vector<Argument> arguments;
    Location location;
};

enum class SelectionKind : std::uint8_t { field, fragment_spread, inline_fragment };

struct Selection {
    SelectionKind kind = SelectionKind::field;
    Location location;
    std::string alias;          // fields: empty when none
    std::string name;           // field name, or the fragment's name for a spread
    std::string type_condition; // inline fragments: empty when none
    std::vector<Argument> arguments;
    std::vector<Directive> directives;
    std::vector<Selection> selections; // a field's or inline fragment's selection set

    std::string_view response_key() const { return alias.empty() ? name : alias; }
    const Argument* argument(std::string_view argument_name) const;
};

// `[String!]!` is {list, non_null} around {name "String", non_null}.
struct TypeRef {
    std::string name; // empty for a list
    bool non_null = false;
    std::vector<TypeRef> of; // one element for a list

    bool is_list() const { return !of.empty(); }
    std::string str() const;
};

struct VariableDefinition {
    std::string name;
    TypeRef type;
    bool has_default = false;
    Value default_value;
    Location location;
};

struct Operation {
    std::string kind; // "query", "mutation" or "subscription"
    std::string name; // empty for an anonymous operation
    std::vector<VariableDefinition> variables;
    std::vector<Directive> directives;
    std::vector<Selection> selections;
    Location location;
};

struct Fragment {
    std::string name;
    std::string type_condition;
    std::vector<Directive> directives;
    std::vector<Selection> selections;
    Location location;
};

struct Document {
    std::vector<Operation> operations;
    std::vector<Fragment> fragments;

    const Fragment* fragment(std::string_view name) const;
};

Expected<Document, Error> parse(std::string_view text, const Limits& limits = {});

// The operation a request names, or its only one.
Expected<const Operation*, Error> select_operation(const Document& document,
                                                   std::string_view operation_name);

} // namespace berth::ext::graphql
