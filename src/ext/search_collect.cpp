// The validator's walk over the operation, and field collection for execution.
#include "search_exec.h"

#include <algorithm>

namespace berth::ext::search {

namespace {

using graphql::Location;
using graphql::Selection;
using graphql::Value;
using graphql::ValueKind;

class Validator {
public:
    Validator(const graphql::Document& document, const Variables& variables, std::size_t fields_max)
        : document_(document), variables_(variables), fields_max_(fields_max) {}

    void selections(const TypeSpec& type, const std::vector<Selection>& items);
    void fragment_definitions();
    std::vector<QueryError> errors;

private:
    void add(Location at, std::string message) {
        // One mistake can repeat through every fragment spread; a few say enough.
        if (errors.size() < 16) {
            errors.push_back(QueryError{std::move(message), at});
        }
    }
    void field(const TypeSpec& type, const Selection& selection);
    void arguments(const TypeSpec& type, const FieldSpec& spec, const Selection& selection);
    void directives(const std::vector<graphql::Directive>& directives);
    void spread(const TypeSpec& type, const Selection& selection);
    bool applies(const TypeSpec& type, std::string_view condition, Location at,
                 std::string_view what);

    const graphql::Document& document_;
    const Variables& variables_;
    std::size_t fields_max_;
    std::size_t fields_ = 0;
    std::vector<std::string_view> spreading_;
};

void Validator::selections(const TypeSpec& type, const std::vector<Selection>& items) {
    for (const Selection& selection : items) {
        if (++fields_ > fields_max_) {
            if (fields_ == fields_max_ + 1) {
                add(selection.location, "query is too complex: more than " +
                                            std::to_string(fields_max_) +
                                            " fields once fragments are expanded");
            }
            return;
        }
        directives(selection.directives);
        switch (selection.kind) {
        case graphql::SelectionKind::field:
            field(type, selection);
            break;
        case graphql::SelectionKind::fragment_spread:
            spread(type, selection);
            break;
        case graphql::SelectionKind::inline_fragment:
            if (selection.type_condition.empty() ||
                applies(type, selection.type_condition, selection.location, "Fragment")) {
                selections(type, selection.selections);
            }
            break;
        }
    }
}

bool Validator::applies(const TypeSpec& type, std::string_view condition, Location at,
                        std::string_view what) {
    if (find_type(condition) == nullptr) {
        add(at, "Unknown type \"" + std::string(condition) + "\".");
        return false;
    }
    if (condition != type.name) {
        add(at, std::string(what) + " cannot be spread here as objects of type \"" +
                    std::string(type.name) + "\" can never be of type \"" + std::string(condition) +
                    "\".");
        return false;
    }
    return true;
}

void Validator::spread(const TypeSpec& type, const Selection& selection) {
    const graphql::Fragment* fragment = document_.fragment(selection.name);
    if (fragment == nullptr) {
        add(selection.location, "Unknown fragment \"" + selection.name + "\".");
        return;
    }
    for (std::string_view active : spreading_) {
        if (active == selection.name) {
            add(selection.location,
                "Cannot spread fragment \"" + selection.name + "\" within itself.");
            return;
        }
    }
    if (!applies(type, fragment->type_condition, selection.location,
                 "Fragment \"" + selection.name + "\"")) {
        return;
    }
    spreading_.push_back(selection.name);
    selections(type, fragment->selections);
    spreading_.pop_back();
}

void Validator::field(const TypeSpec& type, const Selection& selection) {
    if (selection.name == "__typename") {
        if (!selection.selections.empty() || !selection.arguments.empty()) {
            add(selection.location, "Field \"__typename\" takes no arguments or selections.");
        }
        return;
    }
    const FieldSpec* spec = find_field(type, selection.name);
    if (spec == nullptr) {
        add(selection.location, "Cannot query field \"" + selection.name + "\" on type \"" +
                                    std::string(type.name) + "\".");
        return;
    }
    arguments(type, *spec, selection);
    Shape shape = shape_of(spec->type);
    const TypeSpec* result = find_type(shape.name);
    bool is_object = result != nullptr && result->kind == TypeKind::object;
    if (is_object && selection.selections.empty()) {
        add(selection.location, "Field \"" + selection.name + "\" of type \"" +
                                    std::string(spec->type) +
                                    "\" must have a selection of subfields.");
    } else if (!is_object && !selection.selections.empty()) {
        add(selection.location, "Field \"" + selection.name +
                                    "\" must not have a selection since type \"" +
                                    std::string(spec->type) + "\" has no subfields.");
    } else if (is_object) {
        selections(*result, selection.selections);
    }
}

void Validator::arguments(const TypeSpec& type, const FieldSpec& spec, const Selection& selection) {
    for (const graphql::Argument& given : selection.arguments) {
        const ArgSpec* arg = nullptr;
        for (const ArgSpec& candidate : spec.args) {
            arg = candidate.name == given.name ? &candidate : arg;
        }
        if (arg == nullptr) {
            add(given.location, "Unknown argument \"" + given.name + "\" on field \"" +
                                    std::string(type.name) + "." + selection.name + "\".");
            continue;
        }
        auto coerced = coerce(given.value, arg->type, variables_);
        if (!coerced) {
            add(coerced.error().location, coerced.error().message);
        }
    }
    for (const ArgSpec& arg : spec.args) {
        if (shape_of(arg.type).non_null && selection.argument(arg.name) == nullptr) {
            add(selection.location, "Field \"" + selection.name + "\" argument \"" +
                                        std::string(arg.name) + "\" of type \"" +
                                        std::string(arg.type) +
                                        "\" is required, but it was not provided.");
        }
    }
}

void Validator::directives(const std::vector<graphql::Directive>& items) {
    for (const graphql::Directive& directive : items) {
        if (directive.name != "skip" && directive.name != "include") {
            add(directive.location, "Unknown directive \"@" + directive.name + "\".");
            continue;
        }
        const graphql::Argument* condition = nullptr;
        for (const graphql::Argument& argument : directive.arguments) {
            condition = argument.name == "if" ? &argument : condition;
        }
        if (condition == nullptr || directive.arguments.size() != 1) {
            add(directive.location,
                "Directive \"@" + directive.name + "\" takes one argument, \"if\".");
            continue;
        }
        auto coerced = coerce(condition->value, "Boolean!", variables_);
        if (!coerced) {
            add(coerced.error().location, coerced.error().message);
        }
    }
}

void Validator::fragment_definitions() {
    for (const graphql::Fragment& fragment : document_.fragments) {
        const TypeSpec* type = find_type(fragment.type_condition);
        if (type == nullptr || type->kind != TypeKind::object) {
            add(fragment.location, "Unknown type \"" + fragment.type_condition +
                                       "\" for fragment \"" + fragment.name + "\".");
        }
    }
}

} // namespace

std::vector<QueryError> validate(const graphql::Document& document,
                                 const graphql::Operation& operation, const Variables& variables,
                                 std::size_t fields_max) {
    Validator validator(document, variables, fields_max);
    if (operation.kind != "query") {
        validator.errors.push_back(QueryError{
            "Schema is not configured for " + operation.kind + "s.", operation.location});
        return std::move(validator.errors);
    }
    validator.fragment_definitions();
    validator.selections(query_type(), operation.selections);
    return std::move(validator.errors);
}

// ---- collection --------------------------------------------------------------------------

bool FieldCollector::included(const Selection& selection) const {
    for (const graphql::Directive& directive : selection.directives) {
        const graphql::Argument* condition =
            directive.arguments.empty() ? nullptr : &directive.arguments.front();
        bool value = false;
        if (condition != nullptr) {
            auto coerced = coerce(condition->value, "Boolean!", variables_);
            value = coerced && coerced->boolean;
        }
        if ((directive.name == "skip" && value) || (directive.name == "include" && !value)) {
            return false;
        }
    }
    return true;
}

void FieldCollector::collect(std::string_view type, const std::vector<Selection>& selections,
                             std::vector<CollectedField>& out, std::size_t depth) {
    // The validator refused cycles; the depth bound only guards what it did not see.
    if (depth > 64) {
        return;
    }
    for (const Selection& selection : selections) {
        if (!included(selection)) {
            continue;
        }
        if (selection.kind == graphql::SelectionKind::field) {
            std::string_view key = selection.response_key();
            auto same = std::find_if(out.begin(), out.end(),
                                     [&](const CollectedField& item) { return item.key == key; });
            if (same == out.end()) {
                out.push_back(CollectedField{key, &selection, {}});
                same = std::prev(out.end());
            }
            same->children.push_back(&selection.selections);
            continue;
        }
        const std::vector<Selection>* inner = &selection.selections;
        std::string_view condition = selection.type_condition;
        if (selection.kind == graphql::SelectionKind::fragment_spread) {
            const graphql::Fragment* fragment = document_.fragment(selection.name);
            if (fragment == nullptr) {
                continue;
            }
            inner = &fragment->selections;
            condition = fragment->type_condition;
        }
        if (condition.empty() || condition == type) {
            collect(type, *inner, out, depth + 1);
        }
    }
}

const std::vector<CollectedField>& FieldCollector::fields(std::string_view type,
                                                          const SelectionSets& sets) {
    auto key = std::make_pair(type, sets);
    auto found = memo_.find(key);
    if (found != memo_.end()) {
        return found->second;
    }
    std::vector<CollectedField> out;
    for (const std::vector<Selection>* set : sets) {
        collect(type, *set, out, 0);
    }
    return memo_.emplace(std::move(key), std::move(out)).first->second;
}

} // namespace berth::ext::search
