// Introspection (spec §4) over the schema table: Zot's CLI asks `__schema` which queries and
// types the server has before it sends any of them.
#include "search_exec.h"

namespace berth::ext::search {

namespace {

void write_type(util::JsonWriter& json, FieldCollector& collector, std::string_view type,
                const SelectionSets& sets);

void write_input_values(util::JsonWriter& json, FieldCollector& collector,
                        std::span<const ArgSpec> args, const SelectionSets& sets) {
    json.begin_array();
    for (const ArgSpec& arg : args) {
        json.begin_object();
        for (const CollectedField& field : collector.fields("__InputValue", sets)) {
            json.key(field.key);
            std::string_view name = field.field->name;
            if (name == "name") {
                json.string(arg.name);
            } else if (name == "type") {
                write_type(json, collector, arg.type, field.children);
            } else if (name == "__typename") {
                json.string("__InputValue");
            } else {
                json.null();
            }
        }
        json.end_object();
    }
    json.end_array();
}

void write_fields(util::JsonWriter& json, FieldCollector& collector, const TypeSpec& type,
                  const SelectionSets& sets) {
    json.begin_array();
    for (const FieldSpec& spec : type.fields) {
        json.begin_object();
        for (const CollectedField& field : collector.fields("__Field", sets)) {
            json.key(field.key);
            std::string_view name = field.field->name;
            if (name == "name") {
                json.string(spec.name);
            } else if (name == "args") {
                write_input_values(json, collector, spec.args, field.children);
            } else if (name == "type") {
                write_type(json, collector, spec.type, field.children);
            } else if (name == "isDeprecated") {
                json.boolean(false);
            } else if (name == "__typename") {
                json.string("__Field");
            } else {
                json.null();
            }
        }
        json.end_object();
    }
    json.end_array();
}

void write_enum_values(util::JsonWriter& json, FieldCollector& collector, const TypeSpec& type,
                       const SelectionSets& sets) {
    json.begin_array();
    for (std::string_view value : type.values) {
        json.begin_object();
        for (const CollectedField& field : collector.fields("__EnumValue", sets)) {
            json.key(field.key);
            std::string_view name = field.field->name;
            if (name == "name") {
                json.string(value);
            } else if (name == "isDeprecated") {
                json.boolean(false);
            } else if (name == "__typename") {
                json.string("__EnumValue");
            } else {
                json.null();
            }
        }
        json.end_object();
    }
    json.end_array();
}

std::string_view kind_name(TypeKind kind) {
    switch (kind) {
    case TypeKind::scalar:
        return "SCALAR";
    case TypeKind::object:
        return "OBJECT";
    case TypeKind::input_object:
        return "INPUT_OBJECT";
    case TypeKind::enumeration:
        return "ENUM";
    }
    return "SCALAR";
}

// `type` as written in the schema: wrappers first (`!`, then `[...]`), then the named type.
void write_type(util::JsonWriter& json, FieldCollector& collector, std::string_view type,
                const SelectionSets& sets) {
    bool non_null = type.ends_with('!');
    bool list = !non_null && type.starts_with('[');
    std::string_view inner = non_null ? type.substr(0, type.size() - 1)
                                      : (list ? type.substr(1, type.size() - 2) : type);
    const TypeSpec* named = non_null || list ? nullptr : find_type(type);
    json.begin_object();
    for (const CollectedField& field : collector.fields("__Type", sets)) {
        json.key(field.key);
        std::string_view name = field.field->name;
        if (name == "kind") {
            json.string(non_null ? "NON_NULL" : list ? "LIST" : kind_name(named->kind));
        } else if (name == "name" && named != nullptr) {
            json.string(named->name);
        } else if (name == "ofType" && (non_null || list)) {
            write_type(json, collector, inner, field.children);
        } else if (name == "fields" && named != nullptr && named->kind == TypeKind::object) {
            write_fields(json, collector, *named, field.children);
        } else if (name == "inputFields" && named != nullptr &&
                   named->kind == TypeKind::input_object) {
            std::vector<ArgSpec> inputs;
            for (const FieldSpec& input : named->fields) {
                inputs.push_back(ArgSpec{input.name, input.type});
            }
            write_input_values(json, collector, inputs, field.children);
        } else if (name == "enumValues" && named != nullptr &&
                   named->kind == TypeKind::enumeration) {
            write_enum_values(json, collector, *named, field.children);
        } else if (name == "interfaces" && named != nullptr && named->kind == TypeKind::object) {
            json.begin_array().end_array();
        } else if (name == "__typename") {
            json.string("__Type");
        } else {
            json.null();
        }
    }
    json.end_object();
}

} // namespace

void write_schema(util::JsonWriter& json, FieldCollector& collector, const SelectionSets& sets) {
    json.begin_object();
    for (const CollectedField& field : collector.fields("__Schema", sets)) {
        json.key(field.key);
        std::string_view name = field.field->name;
        if (name == "queryType") {
            write_type(json, collector, "Query", field.children);
        } else if (name == "types") {
            json.begin_array();
            for (const TypeSpec& type : all_types()) {
                write_type(json, collector, type.name, field.children);
            }
            json.end_array();
        } else if (name == "directives") {
            json.begin_array().end_array();
        } else if (name == "__typename") {
            json.string("__Schema");
        } else {
            json.null();
        }
    }
    json.end_object();
}

void write_type_named(util::JsonWriter& json, FieldCollector& collector, std::string_view name,
                      const SelectionSets& sets) {
    if (find_type(name) == nullptr) {
        json.null();
        return;
    }
    write_type(json, collector, name, sets);
}

} // namespace berth::ext::search
