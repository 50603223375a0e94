// Validation (spec §5) of what this schema needs: fields exist on their type, arguments exist
// and fit their types, required arguments are given, leaves have no selections and objects
// have some, fragments exist, apply to the type and do not spread themselves, variables are
// defined. The number of fields visited is bounded.
#include "search_exec.h"

#include <algorithm>
#include <limits>

namespace berth::ext::search {

namespace {

using graphql::Location;
using graphql::Selection;
using graphql::Value;
using graphql::ValueKind;

QueryError error_at(Location location, std::string message) {
    return QueryError{std::move(message), location};
}

std::string describe(const Value& value) {
    switch (value.kind) {
    case ValueKind::null:
        return "null";
    case ValueKind::integer:
    case ValueKind::floating:
        return value.text.empty() ? std::to_string(value.integer) : value.text;
    case ValueKind::string:
        return "\"" + value.text + "\"";
    case ValueKind::boolean:
        return value.boolean ? "true" : "false";
    case ValueKind::enumeration:
        return value.text;
    case ValueKind::list:
        return "list";
    case ValueKind::object:
        return "object";
    case ValueKind::variable:
        return "$" + value.text;
    }
    return "value";
}

Expected<Value, QueryError> mismatch(const Value& value, std::string_view type) {
    return Unexpected(error_at(value.location, "Expected type " + std::string(type) + ", found " +
                                                   describe(value) + "."));
}

Expected<Value, QueryError> coerce_scalar(const Value& value, std::string_view name) {
    bool fits = false;
    if (name == "String" || name == "Time") {
        fits = value.kind == ValueKind::string;
    } else if (name == "ID") {
        fits = value.kind == ValueKind::string || value.kind == ValueKind::integer;
    } else if (name == "Int") {
        fits = value.kind == ValueKind::integer &&
               value.integer >= std::numeric_limits<std::int32_t>::min() &&
               value.integer <= std::numeric_limits<std::int32_t>::max();
    } else if (name == "Float") {
        fits = value.kind == ValueKind::integer || value.kind == ValueKind::floating;
    } else if (name == "Boolean") {
        fits = value.kind == ValueKind::boolean;
    }
    if (!fits) {
        return mismatch(value, name);
    }
    return value;
}

Expected<Value, QueryError> coerce_named(const Value& value, std::string_view name,
                                         const Variables& variables);

Expected<Value, QueryError> coerce_object(const Value& value, const TypeSpec& type,
                                          const Variables& variables) {
    if (value.kind != ValueKind::object) {
        return mismatch(value, type.name);
    }
    Value out;
    out.kind = ValueKind::object;
    out.location = value.location;
    for (const auto& [key, member] : value.members) {
        const FieldSpec* field = find_field(type, key);
        if (field == nullptr) {
            return Unexpected(error_at(member.location, "Field \"" + key +
                                                            "\" is not defined by type \"" +
                                                            std::string(type.name) + "\"."));
        }
        auto coerced = coerce(member, field->type, variables);
        if (!coerced) {
            return coerced;
        }
        if (coerced->kind != ValueKind::null || member.kind != ValueKind::variable) {
            out.members.emplace_back(key, std::move(*coerced));
        }
    }
    for (const FieldSpec& field : type.fields) {
        if (shape_of(field.type).non_null && out.member(field.name) == nullptr) {
            return Unexpected(
                error_at(value.location, "Field \"" + std::string(type.name) + "." +
                                             std::string(field.name) + "\" of required type \"" +
                                             std::string(field.type) + "\" was not provided."));
        }
    }
    return out;
}

Expected<Value, QueryError> coerce_named(const Value& value, std::string_view name,
                                         const Variables& variables) {
    const TypeSpec* type = find_type(name);
    if (type == nullptr || type->kind == TypeKind::object) {
        return Unexpected(
            error_at(value.location, "Unknown input type \"" + std::string(name) + "\"."));
    }
    if (type->kind == TypeKind::scalar) {
        return coerce_scalar(value, name);
    }
    if (type->kind == TypeKind::input_object) {
        return coerce_object(value, *type, variables);
    }
    // An enum: a literal enum value, or a string when it came from the JSON variables.
    bool named = value.kind == ValueKind::enumeration || value.kind == ValueKind::string;
    if (!named ||
        std::find(type->values.begin(), type->values.end(), value.text) == type->values.end()) {
        return Unexpected(error_at(value.location, "Value " + describe(value) +
                                                       " does not exist in \"" + std::string(name) +
                                                       "\" enum."));
    }
    Value out = value;
    out.kind = ValueKind::enumeration;
    return out;
}

} // namespace

Expected<Value, QueryError> coerce(const Value& value, std::string_view type,
                                   const Variables& variables) {
    if (value.kind == ValueKind::variable) {
        for (const auto& [name, bound] : variables) {
            if (name == value.text) {
                Value located = bound;
                located.location = value.location;
                return coerce(located, type, variables);
            }
        }
        return Unexpected(
            error_at(value.location, "Variable \"$" + value.text + "\" is not defined."));
    }
    Shape shape = shape_of(type);
    if (value.kind == ValueKind::null) {
        if (shape.non_null) {
            return Unexpected(error_at(value.location, "Expected value of type \"" +
                                                           std::string(type) + "\", found null."));
        }
        return value;
    }
    if (!shape.list) {
        return coerce_named(value, shape.name, variables);
    }
    std::string item_type = std::string(shape.name) + (shape.item_non_null ? "!" : "");
    Value list;
    list.kind = ValueKind::list;
    list.location = value.location;
    if (value.kind != ValueKind::list) {
        auto item = coerce(value, item_type, variables);
        if (!item) {
            return item;
        }
        list.items.push_back(std::move(*item));
        return list;
    }
    for (const Value& element : value.items) {
        auto item = coerce(element, item_type, variables);
        if (!item) {
            return item;
        }
        list.items.push_back(std::move(*item));
    }
    return list;
}

Expected<Variables, QueryError> coerce_variables(const graphql::Operation& operation,
                                                 const Value* provided) {
    Variables variables;
    for (const graphql::VariableDefinition& definition : operation.variables) {
        const Value* given = provided != nullptr && provided->kind == ValueKind::object
                                 ? provided->member(definition.name)
                                 : nullptr;
        Value value = given != nullptr ? *given : definition.default_value;
        if (given == nullptr && !definition.has_default && definition.type.non_null) {
            return Unexpected(error_at(definition.location,
                                       "Variable \"$" + definition.name + "\" of required type \"" +
                                           definition.type.str() + "\" was not provided."));
        }
        value.location = definition.location;
        auto coerced = coerce(value, definition.type.str(), {});
        if (!coerced) {
            coerced.error().message = "Variable \"$" + definition.name +
                                      "\" got invalid value: " + coerced.error().message;
            return Unexpected(std::move(coerced.error()));
        }
        variables.emplace_back(definition.name, std::move(*coerced));
    }
    return variables;
}

Value argument(const Selection& field, std::string_view name, const Variables& variables) {
    const graphql::Argument* given = field.argument(name);
    const FieldSpec* spec = find_field(query_type(), field.name);
    if (given == nullptr || spec == nullptr) {
        return Value{};
    }
    for (const ArgSpec& arg : spec->args) {
        if (arg.name == name) {
            auto coerced = coerce(given->value, arg.type, variables);
            return coerced ? std::move(*coerced) : Value{};
        }
    }
    return Value{};
}

} // namespace berth::ext::search
