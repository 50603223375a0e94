#include "json_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

namespace berth::config::detail {
namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Case-insensitive edit distance, to suggest the key a typo probably meant.
std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// A suggestion must be close relative to the key's length, or "foo" would suggest "log".
bool resembles(std::string_view key, std::string_view known, std::size_t edits) {
    std::size_t allowed = std::max<std::size_t>(1, std::min<std::size_t>(2, key.size() / 3));
    // A shortened key ("expr", "rootDir") names what it abbreviates.
    bool abbreviation = key.size() >= 3 && key.size() < known.size() &&
                        equal_ignoring_case(key, known.substr(0, key.size()));
    return edits <= allowed || abbreviation;
}

std::string unknown_key_problem(std::string_view key, const std::vector<Field>& known) {
    std::string_view best;
    std::size_t best_edits = std::numeric_limits<std::size_t>::max();
    for (const Field& field : known) {
        std::size_t edits = distance(key, field.name);
        if (edits < best_edits && resembles(key, field.name, edits)) {
            best = field.name;
            best_edits = edits;
        }
    }
    if (best.empty()) {
        return "unknown key";
    }
    return "unknown key (did you mean \"" + std::string(best) + "\"?)";
}

// The shortest text that reads back as `number`: 0.1 stays "0.1".
std::string format_number(double number) {
    char text[32];
    std::to_chars_result result = std::to_chars(text, text + sizeof text, number);
    return std::string(text, result.ptr);
}

} // namespace

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view type_name(Value value) {
    switch (value.type()) {
    case simdjson::dom::element_type::ARRAY:
        return "array";
    case simdjson::dom::element_type::OBJECT:
        return "object";
    case simdjson::dom::element_type::STRING:
        return "string";
    case simdjson::dom::element_type::BOOL:
        return "boolean";
    case simdjson::dom::element_type::NULL_VALUE:
        return "null";
    default:
        return "number";
    }
}

std::string quote(std::string_view text) {
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') {
            quoted += '\\';
            quoted += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
            quoted += escaped;
        } else {
            quoted += c;
        }
    }
    return quoted + "\"";
}

Reader::Scope::Scope(Reader& reader, std::string segment) : reader_(reader) {
    reader_.segments_.push_back(std::move(segment));
}

Reader::Scope::~Scope() {
    reader_.segments_.pop_back();
}

Reader::Scope Reader::key(std::string_view name) {
    return Scope(*this, std::string(name));
}

Reader::Scope Reader::index(std::size_t position) {
    return Scope(*this, "[" + std::to_string(position) + "]");
}

Reader::Scope Reader::entry(std::string_view user_key) {
    return Scope(*this, "[" + quote(user_key) + "]");
}

std::string Reader::path() const {
    std::string joined;
    for (const std::string& segment : segments_) {
        if (!joined.empty() && segment.front() != '[') {
            joined += '.';
        }
        joined += segment;
    }
    return joined;
}

bool Reader::fail(std::string_view problem) {
    if (error_.empty()) {
        std::string where = path();
        error_ = where.empty() ? std::string(problem) : where + ": " + std::string(problem);
    }
    return false;
}

void Reader::ignore() {
    config_.ignored_keys.push_back(path());
}

void Reader::refuse(std::string reason) {
    config_.refused_keys.push_back(RefusedKey{path(), std::move(reason)});
}

void Reader::warn(std::string_view message) {
    config_.warnings.push_back(path() + ": " + std::string(message));
}

bool Reader::type_error(std::string_view expected, Value value) {
    return fail("expected " + std::string(expected) + ", got " + std::string(type_name(value)));
}

bool Reader::object(Value value) {
    return value.is_object() || type_error("an object", value);
}

bool Reader::fields(Value value, const std::vector<Field>& known) {
    simdjson::dom::object members;
    if (value.get_object().get(members)) {
        return type_error("an object", value);
    }
    std::vector<bool> seen(known.size(), false);
    for (simdjson::dom::key_value_pair member : members) {
        auto match = std::find_if(known.begin(), known.end(), [&](const Field& field) {
            return equal_ignoring_case(field.name, member.key);
        });
        if (match == known.end()) {
            Scope scope = key(member.key);
            return fail(unknown_key_problem(member.key, known));
        }
        auto position = static_cast<std::size_t>(match - known.begin());
        Scope scope = key(match->name);
        if (seen[position]) {
            return fail("duplicate key (keys are case-insensitive)");
        }
        seen[position] = true;
        if (!match->read(member.value)) {
            return false;
        }
    }
    return true;
}

bool Reader::entries(Value value, const std::function<bool(std::string_view, Value)>& read_member) {
    simdjson::dom::object members;
    if (value.get_object().get(members)) {
        return type_error("an object", value);
    }
    std::set<std::string_view> seen;
    for (simdjson::dom::key_value_pair member : members) {
        Scope scope = entry(member.key);
        if (!seen.insert(member.key).second) {
            return fail("duplicate key");
        }
        if (!read_member(member.key, member.value)) {
            return false;
        }
    }
    return true;
}

bool Reader::items(Value value, const std::function<bool(Value)>& read_item) {
    simdjson::dom::array list;
    if (value.get_array().get(list)) {
        return type_error("an array", value);
    }
    std::size_t position = 0;
    for (Value item : list) {
        Scope scope = index(position++);
        if (!read_item(item)) {
            return false;
        }
    }
    return true;
}

bool Reader::boolean(Value value, bool& out) {
    return !value.get_bool().get(out) || type_error("a boolean", value);
}

bool Reader::string(Value value, std::string& out) {
    std::string_view text;
    if (value.get_string().get(text)) {
        return type_error("a string", value);
    }
    out.assign(text);
    return true;
}

bool Reader::integer(Value value, std::int64_t min, std::int64_t max, std::int64_t& out) {
    std::string range = std::to_string(min) + ".." + std::to_string(max);
    std::int64_t number = 0;
    std::uint64_t large = 0;
    double real = 0;
    if (!value.get_int64().get(number)) {
        // Taken as is.
    } else if (!value.get_uint64().get(large)) {
        return fail(std::to_string(large) + " is out of range " + range);
    } else if (!value.get_double().get(real)) {
        // Zot reads numbers as Go float64s, so 8.0 is an integer there too.
        if (std::trunc(real) != real || std::abs(real) > 9.0e15) {
            return fail("expected an integer, got " + format_number(real));
        }
        number = static_cast<std::int64_t>(real);
    } else {
        return type_error("an integer", value);
    }
    if (number < min || number > max) {
        return fail(std::to_string(number) + " is out of range " + range);
    }
    out = number;
    return true;
}

bool Reader::any_duration(Value value, Duration& out) {
    std::string_view text;
    if (value.get_string().get(text)) {
        return type_error("a duration string such as \"1h\"", value);
    }
    Expected<Duration, std::string> parsed = parse_go_duration(text);
    if (!parsed) {
        return fail("invalid duration " + quote(text) +
                    " (use a Go duration such as \"90s\", \"1h\", \"168h\")");
    }
    out = *parsed;
    return true;
}

bool Reader::duration(Value value, Duration& out) {
    Duration parsed{};
    if (!any_duration(value, parsed)) {
        return false;
    }
    if (parsed < Duration::zero()) {
        return fail("negative duration " + quote(value.get_string().value_unsafe()) +
                    " is not allowed");
    }
    out = parsed;
    return true;
}

bool Reader::strings(Value value, std::vector<std::string>& out) {
    out.clear();
    return items(value, [&](Value item) {
        std::string text;
        if (!string(item, text)) {
            return false;
        }
        out.push_back(std::move(text));
        return true;
    });
}

} // namespace berth::config::detail
