// Helpers shared by the configuration tests.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include <berth/config/config.h>

namespace berth::config::testing {

// A configuration holding the one required key plus `members` (JSON object members,
// without the braces).
inline std::string config_with(std::string_view members) {
    std::string text = R"({"storage": {"rootDirectory": "/srv/registry"}})";
    if (!members.empty()) {
        text.insert(text.size() - 1, ", " + std::string(members));
    }
    return text;
}

inline Config parsed(std::string_view text) {
    Expected<Config, ConfigError> result = parse_config(text);
    INFO("config: ", text);
    INFO("error: ", result ? std::string() : result.error().message);
    REQUIRE(result.has_value());
    return std::move(result).value();
}

inline std::string error_of(std::string_view text) {
    Expected<Config, ConfigError> result = parse_config(text);
    INFO("config: ", text);
    REQUIRE_FALSE(result.has_value());
    return result.error().message;
}

inline bool has(const std::vector<std::string>& list, std::string_view item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

inline const RefusedKey* refused(const Config& config, std::string_view key) {
    auto match = std::find_if(config.refused_keys.begin(), config.refused_keys.end(),
                              [&](const RefusedKey& refused) { return refused.key == key; });
    return match == config.refused_keys.end() ? nullptr : &*match;
}

} // namespace berth::config::testing
