// A minimal JSON writer: appends to a caller's string, places commas and colons itself and
// escapes strings so that the output is always valid JSON (RFC 8259), whatever bytes it is
// given. Misuse (a value where a key is due, unbalanced ends) is a programming error, caught by
// assertions in debug builds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace berth::util {

// Appends `value` as a quoted JSON string. `"`, `\` and control characters are escaped
// (`\n`, `\t`, ... or `\u00XX`); valid UTF-8 passes through unchanged; each maximal invalid
// UTF-8 subsequence (Unicode §3.9, "U+FFFD substitution of maximal subparts") becomes U+FFFD.
void append_json_string(std::string& out, std::string_view value);

class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_(out) {}

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view name);

    JsonWriter& string(std::string_view value);
    JsonWriter& int64(std::int64_t value);
    JsonWriter& uint64(std::uint64_t value);
    JsonWriter& boolean(bool value);
    JsonWriter& null();
    // Already serialized JSON (a stored annotations object, say), copied verbatim.
    JsonWriter& raw(std::string_view json);

    // `key(name)` followed by the value, for the common object member.
    JsonWriter& member(std::string_view name, std::string_view value) {
        return key(name).string(value);
    }
    JsonWriter& member_int64(std::string_view name, std::int64_t value) {
        return key(name).int64(value);
    }
    JsonWriter& member_uint64(std::string_view name, std::uint64_t value) {
        return key(name).uint64(value);
    }

    // True once every container that was opened has been closed again.
    bool complete() const { return depth_ == 0 && wrote_top_level_; }

private:
    void before_value();
    void open_container(char bracket, bool is_object);
    void close_container(char bracket, bool is_object);

    // Bit i describes nesting level i+1; a bitmask instead of a stack keeps the writer
    // allocation-free. 64 levels is far more than any document berth writes.
    static constexpr unsigned depth_max = 64;

    std::string& out_;
    std::uint64_t has_members_ = 0; // level i already holds an element: next one needs a comma
    std::uint64_t is_object_ = 0;   // level i is an object (else an array)
    unsigned depth_ = 0;
    bool after_key_ = false;
    bool wrote_top_level_ = false;
};

} // namespace berth::util
