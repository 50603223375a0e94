// Structured logs: one JSON object per line.
//
//     log::info("listening").str("address", address).num("port", port);
//
// The line is written when the temporary goes out of scope at the end of the statement. A
// level that is off costs one comparison. Secrets (passwords, Authorization headers) are never
// passed here: nothing in berth logs request headers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace berth::log {

enum class Level : std::uint8_t { trace, debug, info, warn, error, fatal };

bool parse_level(std::string_view name, Level& level);
std::string_view level_name(Level level);

// Where finished lines go; the server installs one that writes through the ring.
class Sink {
public:
    virtual ~Sink() = default;
    virtual void write(std::string_view line) = 0;
};

void set_level(Level level);
Level level();
void set_sink(Sink* sink);
Sink* sink();

class Line {
public:
    Line(Level level, std::string_view message);
    // `always` writes the line whatever the configured level (startup and shutdown).
    Line(Level level, std::string_view message, bool always);
    Line(const Line&) = delete;
    Line& operator=(const Line&) = delete;
    ~Line();

    Line& str(std::string_view key, std::string_view value);
    Line& num(std::string_view key, std::int64_t value);
    Line& unum(std::string_view key, std::uint64_t value);
    Line& boolean(std::string_view key, bool value);

private:
    std::string text_;
    bool enabled_;
};

inline Line trace(std::string_view message) {
    return Line(Level::trace, message);
}
inline Line debug(std::string_view message) {
    return Line(Level::debug, message);
}
inline Line info(std::string_view message) {
    return Line(Level::info, message);
}
inline Line warn(std::string_view message) {
    return Line(Level::warn, message);
}
inline Line error(std::string_view message) {
    return Line(Level::error, message);
}
inline Line fatal(std::string_view message) {
    return Line(Level::fatal, message);
}
// Lifecycle lines (listening, stopped) that tools wait for, written at any level.
inline Line lifecycle(std::string_view message) {
    return Line(Level::info, message, true);
}

// RFC 3339 UTC with milliseconds, the form log lines carry.
std::string format_time_utc(std::int64_t unix_milliseconds);

} // namespace berth::log
