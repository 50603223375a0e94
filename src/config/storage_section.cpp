#include "sections.h"

#include "skim.h"

#include <limits>

namespace berth::config::detail {
namespace {

constexpr int minutes_per_hour = 60;

// Which period keys were written: their defaults depend on whether gc is on.
struct Written {
    bool gc_delay = false;
    bool gc_interval = false;
    bool retention_delay = false;
};

// "H:MM" or "HH:MM", 24-hour; minutes since midnight, or -1.
int parse_time_of_day(std::string_view text) {
    while (!text.empty() && text.front() == ' ') {
        text.remove_prefix(1);
    }
    while (!text.empty() && text.back() == ' ') {
        text.remove_suffix(1);
    }
    std::size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 2 || text.size() != colon + 3) {
        return -1;
    }
    int value[2] = {0, 0};
    std::string_view parts[2] = {text.substr(0, colon), text.substr(colon + 1)};
    for (int i = 0; i < 2; ++i) {
        for (char c : parts[i]) {
            if (c < '0' || c > '9') {
                return -1;
            }
            value[i] = value[i] * 10 + (c - '0');
        }
    }
    if (value[0] > 23 || value[1] > 59) {
        return -1;
    }
    return value[0] * minutes_per_hour + value[1];
}

bool read_time_window(Reader& reader, Value value, std::optional<GcTimeWindow>& out) {
    std::string text;
    if (!reader.string(value, text)) {
        return false;
    }
    if (text.empty()) {
        out.reset(); // Zot reads "" as "no window"
        return true;
    }
    std::size_t dash = text.find('-');
    int start = dash == std::string::npos ? -1 : parse_time_of_day(text.substr(0, dash));
    int end = dash == std::string::npos ? -1 : parse_time_of_day(text.substr(dash + 1));
    if (start < 0 || end < 0) {
        return reader.fail("invalid window " + quote(text) +
                           " (use \"HH:MM-HH:MM\" in UTC, such as \"01:00-05:00\")");
    }
    if (start == end) {
        return reader.fail("invalid window " + quote(text) + ": start and end are equal");
    }
    out = GcTimeWindow{static_cast<std::uint16_t>(start), static_cast<std::uint16_t>(end)};
    return true;
}

// A key berth accepts from Zot but does not act on; its value is still type-checked.
Field ignored_boolean(Reader& reader, std::string_view name) {
    return {name, [&reader](Value value) {
                reader.ignore();
                bool unused = false;
                return reader.boolean(value, unused);
            }};
}

Field ignored_object(Reader& reader, std::string_view name) {
    return {name, [&reader](Value value) {
                reader.ignore();
                return skim(reader, value, Section::any_object);
            }};
}

std::vector<Field> store_fields(Reader& reader, StorageConfig& out, Written& written) {
    return {
        {"rootDirectory",
         [&](Value v) {
             return reader.string(v, out.root_directory);
         }},
        {"dedupe",
         [&](Value v) {
             return reader.boolean(v, out.dedupe);
         }},
        {"gc",
         [&](Value v) {
             return reader.boolean(v, out.gc);
         }},
        {"gcDelay",
         [&](Value v) {
             return (written.gc_delay = true) && reader.duration(v, out.gc_delay);
         }},
        {"gcInterval",
         [&](Value v) {
             return (written.gc_interval = true) && reader.duration(v, out.gc_interval);
         }},
        {"gcTimeWindow",
         [&](Value v) {
             return read_time_window(reader, v, out.gc_time_window);
         }},
        {"commit",
         [&](Value v) {
             return reader.boolean(v, out.commit);
         }},
        {"retention",
         [&](Value v) {
             return read_retention(reader, v, out.retention, written.retention_delay);
         }},
        {"maxRepos",
         [&](Value v) {
             reader.ignore();
             std::int64_t unused = 0;
             return reader.integer(v, 0, std::numeric_limits<std::int32_t>::max(), unused);
         }},
        ignored_boolean(reader, "remoteCache"),
        ignored_boolean(reader, "redirectBlobURL"),
        ignored_object(reader, "storageDriver"),
        ignored_object(reader, "cacheDriver"),
    };
}

// Zot's rule: with gc off, unwritten periods are 0, and written ones have no effect.
void apply_gc_defaults(Reader& reader, StorageConfig& store, const Written& written) {
    if (store.gc) {
        return;
    }
    if (!written.gc_delay) {
        store.gc_delay = Duration::zero();
    } else if (store.gc_delay != Duration::zero()) {
        Reader::Scope scope = reader.key("gcDelay");
        reader.warn("has no effect while gc is false");
    }
    if (!written.gc_interval) {
        store.gc_interval = Duration::zero();
    } else if (store.gc_interval != Duration::zero()) {
        Reader::Scope scope = reader.key("gcInterval");
        reader.warn("has no effect while gc is false");
    }
    if (!written.retention_delay) {
        store.retention.delay = Duration::zero();
    }
}

// Repositories reach a subPath through the first component of their name, so only "/name"
// can ever match; anything else is accepted (Zot does) but flagged.
void check_route(Reader& reader, std::string_view route) {
    bool reachable =
        route.size() > 1 && route[0] == '/' && route.find('/', 1) == std::string_view::npos;
    if (!reachable) {
        reader.warn("no repository can reach this route: a route is \"/\" followed by the "
                    "first component of repository names, such as \"/team\"");
    }
}

bool read_sub_path(Reader& reader, std::string_view route, Value value, Storage& out) {
    StorageConfig store;
    store.dedupe = false; // a subPath starts from Zot's zero values, not the top's defaults
    store.gc = false;
    Written written;
    if (!reader.fields(value, store_fields(reader, store, written))) {
        return false;
    }
    apply_gc_defaults(reader, store, written);
    if (store.gc && store.gc_delay == Duration::zero()) {
        Reader::Scope scope = reader.key("gcDelay");
        return reader.fail("must be greater than 0 while gc is true");
    }
    check_route(reader, route);
    out.sub_paths.emplace(std::string(route), std::move(store));
    return true;
}

} // namespace

bool read_storage(Reader& reader, Value value, Storage& out) {
    Written written;
    std::vector<Field> known = store_fields(reader, out, written);
    known.push_back({"subPaths", [&](Value v) {
                         return reader.entries(v, [&](std::string_view route, Value store) {
                             return read_sub_path(reader, route, store, out);
                         });
                     }});
    known.push_back(ignored_boolean(reader, "fastRestart"));
    if (!reader.fields(value, known)) {
        return false;
    }
    apply_gc_defaults(reader, out, written);
    return true;
}

} // namespace berth::config::detail
