#include <berth/util/log.h>

#include <berth/util/json_writer.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace berth::log {

namespace {

Level current_level = Level::info;
Sink* current_sink = nullptr;

constexpr std::string_view level_names[] = {"trace", "debug", "info", "warn", "error", "fatal"};

} // namespace

bool parse_level(std::string_view name, Level& level) {
    for (std::size_t i = 0; i < std::size(level_names); i++) {
        if (level_names[i] == name) {
            level = static_cast<Level>(i);
            return true;
        }
    }
    // Zot also knows "panic"; it is as loud as fatal.
    if (name == "panic") {
        level = Level::fatal;
        return true;
    }
    return false;
}

std::string_view level_name(Level level) {
    return level_names[static_cast<std::size_t>(level)];
}

void set_level(Level level) {
    current_level = level;
}
Level level() {
    return current_level;
}
void set_sink(Sink* sink) {
    current_sink = sink;
}
Sink* sink() {
    return current_sink;
}

std::string format_time_utc(std::int64_t unix_milliseconds) {
    std::time_t seconds = unix_milliseconds / 1000;
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[80];
    std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
                  parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                  static_cast<int>(unix_milliseconds % 1000));
    return text;
}

Line::Line(Level level, std::string_view message) : Line(level, message, false) {}

Line::Line(Level level, std::string_view message, bool always)
    : enabled_(always || level >= current_level) {
    if (!enabled_) {
        return;
    }
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto milliseconds = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
    text_.reserve(256);
    text_ += "{\"time\":\"";
    text_ += format_time_utc(milliseconds);
    text_ += "\",\"level\":\"";
    text_ += level_name(level);
    text_ += "\",\"msg\":";
    util::append_json_string(text_, message);
}

Line::~Line() {
    if (!enabled_) {
        return;
    }
    text_ += "}\n";
    // Before main installs a sink there is nowhere to write without blocking; main installs
    // one before anything can be logged.
    if (current_sink != nullptr) {
        current_sink->write(text_);
    }
}

Line& Line::str(std::string_view key, std::string_view value) {
    if (enabled_) {
        text_ += ',';
        util::append_json_string(text_, key);
        text_ += ':';
        util::append_json_string(text_, value);
    }
    return *this;
}

Line& Line::num(std::string_view key, std::int64_t value) {
    if (enabled_) {
        text_ += ',';
        util::append_json_string(text_, key);
        text_ += ':';
        text_ += std::to_string(value);
    }
    return *this;
}

Line& Line::unum(std::string_view key, std::uint64_t value) {
    if (enabled_) {
        text_ += ',';
        util::append_json_string(text_, key);
        text_ += ':';
        text_ += std::to_string(value);
    }
    return *this;
}

Line& Line::boolean(std::string_view key, bool value) {
    if (enabled_) {
        text_ += ',';
        util::append_json_string(text_, key);
        text_ += value ? ":true" : ":false";
    }
    return *this;
}

} // namespace berth::log
