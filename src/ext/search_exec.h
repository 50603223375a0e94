// Internals of run_query shared by its files: variables and input coercion, the validator,
// field collection (fragments, aliases, @skip/@include) and the introspection writer.
#pragma once

#include "search_schema.h"

#include <berth/ext/graphql.h>
#include <berth/util/expected.h>
#include <berth/util/json_writer.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::ext::search {

struct QueryError {
    std::string message;
    graphql::Location location; // line 0: none
};

// The operation's variables after coercion to their declared types, defaults applied; every
// declared variable is present (null when neither given nor defaulted).
using Variables = std::vector<std::pair<std::string, graphql::Value>>;

Expected<Variables, QueryError> coerce_variables(const graphql::Operation& operation,
                                                 const graphql::Value* provided);

// `value` with variables substituted, checked against a schema type ("[String!]", "PageInput").
// A single value where a list is expected becomes a list of one, as GraphQL coerces inputs.
Expected<graphql::Value, QueryError> coerce(const graphql::Value& value, std::string_view type,
                                            const Variables& variables);

std::vector<QueryError> validate(const graphql::Document& document,
                                 const graphql::Operation& operation, const Variables& variables,
                                 std::size_t fields_max);

using SelectionSets = std::vector<const std::vector<graphql::Selection>*>;

struct CollectedField {
    std::string_view key;            // the alias, or the field's name
    const graphql::Selection* field; // the first selection with this key
    SelectionSets children;          // the selection sets of all of them, merged
};

// The fields a set of selections asks of an object of `type`, in document order, fragments
// expanded and skipped fields left out. Results are remembered per (type, sets): a list of
// 100,000 images collects its fields once.
class FieldCollector {
public:
    FieldCollector(const graphql::Document& document, const Variables& variables)
        : document_(document), variables_(variables) {}

    const std::vector<CollectedField>& fields(std::string_view type, const SelectionSets& sets);

private:
    void collect(std::string_view type, const std::vector<graphql::Selection>& selections,
                 std::vector<CollectedField>& out, std::size_t depth);
    bool included(const graphql::Selection& selection) const;

    const graphql::Document& document_;
    const Variables& variables_;
    std::map<std::pair<std::string_view, SelectionSets>, std::vector<CollectedField>> memo_;
};

// The value of an argument of a Query field after coercion (null when absent); the validator
// has checked it.
graphql::Value argument(const graphql::Selection& field, std::string_view name,
                        const Variables& variables);

// `__schema` and `__type`.
void write_schema(util::JsonWriter& json, FieldCollector& collector, const SelectionSets& sets);
void write_type_named(util::JsonWriter& json, FieldCollector& collector, std::string_view name,
                      const SelectionSets& sets);

} // namespace berth::ext::search
