// Walks a parsed configuration with the key path of every value at hand, so that each error,
// ignored key and warning names exactly where it comes from. Internal to the config layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include <berth/config/config.h>

namespace berth::config::detail {

using Value = simdjson::dom::element;

// A key an object may hold, in its documented spelling; matched case-insensitively.
struct Field {
    std::string_view name;
    std::function<bool(Value)> read;
};

// Every read returns false once a problem was recorded; the first problem is kept.
class Reader {
public:
    explicit Reader(Config& config) : config_(config) {}
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    // Extends the key path for as long as it lives.
    class [[nodiscard]] Scope {
    public:
        Scope(Reader& reader, std::string segment);
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        Reader& reader_;
    };

    Scope key(std::string_view name);       // .name
    Scope index(std::size_t position);      // [3]
    Scope entry(std::string_view user_key); // ["infra/*"]: a key that is user data
    std::string path() const;

    bool fail(std::string_view problem);
    const std::string& error() const { return error_; }
    void ignore();
    void refuse(std::string reason);
    void warn(std::string_view message);

    // An object with known keys: unknown or repeated keys are errors.
    bool fields(Value value, const std::vector<Field>& known);
    // An object whose keys are user data, taken as written (exact repeats are errors).
    bool entries(Value value, const std::function<bool(std::string_view, Value)>& read_member);
    // An array, each item read with its index in the path.
    bool items(Value value, const std::function<bool(Value)>& read_item);
    bool object(Value value);

    bool boolean(Value value, bool& out);
    bool string(Value value, std::string& out);
    bool integer(Value value, std::int64_t min, std::int64_t max, std::int64_t& out);
    bool duration(Value value, Duration& out); // rejects negative durations
    bool any_duration(Value value, Duration& out);
    bool strings(Value value, std::vector<std::string>& out);

private:
    bool type_error(std::string_view expected, Value value);

    Config& config_;
    std::vector<std::string> segments_;
    std::string error_;
};

// ASCII case-insensitive equality, the way keys are matched.
bool equal_ignoring_case(std::string_view a, std::string_view b);

// The JSON type of a value as errors name it: "string", "number", "object", ...
std::string_view type_name(Value value);

// `text` in double quotes, with quotes, backslashes and control characters escaped, so a
// value shown in an error cannot break the line it is on.
std::string quote(std::string_view text);

} // namespace berth::config::detail
