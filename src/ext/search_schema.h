// Zot's GraphQL schema for search (pkg/extensions/search/schema.graphql) as a table: what the
// validator checks queries against and what introspection (`__schema`, used by Zot's CLI to
// see which queries a server offers) describes.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace berth::ext::search {

struct ArgSpec {
    std::string_view name;
    std::string_view type; // as written in the schema: "String!", "[String!]", "PageInput"
};

struct FieldSpec {
    std::string_view name;
    std::string_view type;
    std::span<const ArgSpec> args;
};

enum class TypeKind : std::uint8_t { scalar, object, input_object, enumeration };

struct TypeSpec {
    std::string_view name;
    TypeKind kind;
    std::span<const FieldSpec> fields;        // objects: fields; input objects: input fields
    std::span<const std::string_view> values; // enums
};

// The shape of a type reference: `[String!]!` is a non-null list of non-null String.
struct Shape {
    std::string_view name;
    bool non_null = false;
    bool list = false;
    bool item_non_null = false;
};

Shape shape_of(std::string_view type);

std::span<const TypeSpec> all_types();
const TypeSpec* find_type(std::string_view name);
const FieldSpec* find_field(const TypeSpec& type, std::string_view name);
const TypeSpec& query_type();

// Query fields answered with "CVE scanning not enabled".
bool is_cve_query(std::string_view field);

} // namespace berth::ext::search
