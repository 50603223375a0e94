#include <berth/config/config.h>

#include <berth/config/json_location.h>

#include "sections.h"
#include "skim.h"

#include <simdjson.h>

namespace berth::config {
namespace {

using detail::Field;
using detail::quote;
using detail::Reader;
using detail::Value;

// The scanner reports depth faults where the parser would; both must use one limit.
static_assert(json_depth_max == simdjson::DEFAULT_MAX_DEPTH);

// The dist-spec version berth implements; a different one in the file is only informative.
constexpr std::string_view dist_spec_version = "1.1.1";

bool blank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string json_error_message(std::string_view text, simdjson::error_code error) {
    if (std::optional<JsonErrorLocation> where = locate_json_error(text)) {
        return "invalid JSON at line " + std::to_string(where->line) + ", column " +
               std::to_string(where->column) + ": " + where->what;
    }
    // Only a fault the scanner does not model (memory, size) gets here.
    return std::string("invalid JSON: ") + simdjson::error_message(error);
}

// Build metadata Zot's binary fills in; accepted, never used.
Field metadata(Reader& reader, std::string_view name) {
    return {name, [&reader](Value value) {
                std::string unused;
                return reader.string(value, unused);
            }};
}

Field ignored(Reader& reader, std::string_view name, detail::Section section) {
    return {name, [&reader, section](Value value) {
                reader.ignore();
                return detail::skim(reader, value, section);
            }};
}

bool read_top_level(Reader& reader, Value root, Config& config) {
    std::vector<Field> known = {
        {"distSpecVersion",
         [&](Value v) {
             std::string version;
             if (!reader.string(v, version)) {
                 return false;
             }
             if (version != dist_spec_version) {
                 reader.warn(quote(version) + " differs from the version berth implements (" +
                             std::string(dist_spec_version) + "); it is only informative");
             }
             return true;
         }},
        {"storage",
         [&](Value v) {
             return detail::read_storage(reader, v, config.storage);
         }},
        {"http",
         [&](Value v) {
             return detail::read_http(reader, v, config.http);
         }},
        {"log",
         [&](Value v) {
             return detail::read_log(reader, v, config.log);
         }},
        {"extensions",
         [&](Value v) {
             return detail::read_extensions(reader, v, config.extensions);
         }},
        {"berth",
         [&](Value v) {
             return detail::read_berth(reader, v, config.berth);
         }},
        ignored(reader, "scheduler", detail::Section::scheduler),
        ignored(reader, "cluster", detail::Section::cluster),
        metadata(reader, "goVersion"),
        metadata(reader, "commit"),
        metadata(reader, "releaseTag"),
        metadata(reader, "binaryType"),
    };
    return reader.fields(root, known);
}

} // namespace

Expected<Config, ConfigError> parse_config(std::string_view json_text) {
    // Some editors start UTF-8 files with a byte order mark; it carries no meaning.
    constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";
    if (json_text.substr(0, byte_order_mark.size()) == byte_order_mark) {
        json_text.remove_prefix(byte_order_mark.size());
    }
    if (blank(json_text)) {
        return Unexpected{ConfigError{"the configuration is empty"}};
    }
    simdjson::dom::parser parser;
    Value root;
    if (simdjson::error_code error = parser.parse(json_text.data(), json_text.size()).get(root)) {
        return Unexpected{ConfigError{json_error_message(json_text, error)}};
    }
    if (!root.is_object()) {
        return Unexpected{ConfigError{"the configuration must be a JSON object, got " +
                                      std::string(detail::type_name(root))}};
    }
    Config config;
    Reader reader(config);
    if (!read_top_level(reader, root, config) || !detail::validate(reader, config)) {
        return Unexpected{ConfigError{reader.error()}};
    }
    return config;
}

} // namespace berth::config
