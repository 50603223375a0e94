// Image configs (image-spec config.md): the few members search reports. Configs come from
// clients and are read leniently: a member of the wrong type is skipped, not an error.
#include <berth/ext/search_index.h>
#include <berth/ext/search_query.h>
#include <berth/ext/search_time.h>

#include <simdjson.h>

namespace berth::ext {

namespace {

namespace od = simdjson::ondemand;

void read_labels(od::value value, oci::Annotations& labels) {
    od::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) {
        return;
    }
    for (auto field : object) {
        std::string_view key;
        std::string_view text;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
            return;
        }
        if (field.value().get_string().get(text) == simdjson::SUCCESS) {
            labels.emplace_back(std::string(key), std::string(text));
        }
    }
}

void read_config_member(od::value value, ImageConfigFacts& facts) {
    od::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) {
        return;
    }
    for (auto field : object) {
        std::string_view key;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
            return;
        }
        if (key == "Labels") {
            read_labels(field.value(), facts.labels);
        }
    }
}

} // namespace

std::optional<ImageConfigFacts> parse_image_config(std::string_view json) {
    // The loop thread is the only caller, so one parser serves every config.
    static od::parser parser;
    simdjson::padded_string padded(json);
    od::document document;
    od::object object;
    if (parser.iterate(padded).get(document) != simdjson::SUCCESS ||
        document.get_object().get(object) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    ImageConfigFacts facts;
    for (auto field : object) {
        std::string_view key;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
            return std::nullopt;
        }
        std::string_view text;
        if (key == "os" && field.value().get_string().get(text) == simdjson::SUCCESS) {
            facts.os = text;
        } else if (key == "architecture" &&
                   field.value().get_string().get(text) == simdjson::SUCCESS) {
            facts.architecture = text;
        } else if (key == "created" && field.value().get_string().get(text) == simdjson::SUCCESS) {
            facts.created_ns = parse_rfc3339(text);
        } else if (key == "config") {
            read_config_member(field.value(), facts);
        }
    }
    return facts;
}

namespace {

HistoryEntry read_history_entry(od::object object) {
    HistoryEntry entry;
    for (auto field : object) {
        std::string_view key;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
            break;
        }
        std::string_view text;
        bool flag = false;
        if (key == "empty_layer" && field.value().get_bool().get(flag) == simdjson::SUCCESS) {
            entry.empty_layer = flag;
        } else if (field.value().get_string().get(text) != simdjson::SUCCESS) {
            continue;
        } else if (key == "created") {
            entry.created_ns = parse_rfc3339(text);
        } else if (key == "created_by") {
            entry.created_by = text;
        } else if (key == "author") {
            entry.author = text;
        } else if (key == "comment") {
            entry.comment = text;
        }
    }
    return entry;
}

} // namespace

std::vector<HistoryEntry> parse_image_history(std::string_view json) {
    static od::parser parser;
    std::vector<HistoryEntry> entries;
    simdjson::padded_string padded(json);
    od::document document;
    od::object object;
    if (parser.iterate(padded).get(document) != simdjson::SUCCESS ||
        document.get_object().get(object) != simdjson::SUCCESS) {
        return entries;
    }
    for (auto field : object) {
        std::string_view key;
        od::array history;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
            break;
        }
        if (key != "history" || field.value().get_array().get(history) != simdjson::SUCCESS) {
            continue;
        }
        for (auto item : history) {
            od::object entry;
            if (item.get_object().get(entry) == simdjson::SUCCESS) {
                entries.push_back(read_history_entry(entry));
            }
        }
    }
    return entries;
}

} // namespace berth::ext
