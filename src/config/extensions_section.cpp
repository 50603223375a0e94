#include "sections.h"

#include "skim.h"

namespace berth::config::detail {
namespace {

// Zot raises a shorter scrub interval to this, with a warning; so does berth.
constexpr Duration scrub_interval_min = std::chrono::hours{2};

// The prefix the registry API owns; metrics cannot live under it.
constexpr std::string_view registry_prefix = "/v2";

// Why `path` cannot serve metrics, or an empty string when it can. It must be a clean
// absolute path (what Go's path.Clean leaves unchanged) outside the registry API.
std::string metrics_path_problem(std::string_view path) {
    if (path.empty() || path.front() != '/') {
        return "must start with \"/\"";
    }
    if (path == "/") {
        return "\"/\" is not allowed (it would shadow every other route)";
    }
    for (char c : path) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F || c == '?' || c == '#') {
            return "must be a plain path (no spaces, control characters, '?' or '#')";
        }
    }
    std::string_view rest = path.substr(1);
    for (;;) {
        std::size_t slash = rest.find('/');
        std::string_view segment = rest.substr(0, slash);
        if (segment.empty() || segment == "." || segment == "..") {
            return "must be a clean path (no \"//\", \".\" or \"..\" segments, no trailing "
                   "\"/\")";
        }
        if (slash == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(slash + 1);
    }
    if (path == registry_prefix || path.substr(0, registry_prefix.size() + 1) == "/v2/") {
        return "\"/v2\" and the paths below it belong to the registry API";
    }
    return {};
}

bool read_metrics(Reader& reader, Value value, MetricsExtension& out) {
    auto read_prometheus = [&](Value v) {
        return reader.fields(v, {{"path", [&](Value p) {
                                      if (!reader.string(p, out.path)) {
                                          return false;
                                      }
                                      std::string problem = metrics_path_problem(out.path);
                                      return problem.empty() ||
                                             reader.fail(quote(out.path) + ": " + problem);
                                  }}});
    };
    out.enable = true;
    return reader.fields(value, {
                                    {"enable",
                                     [&](Value v) {
                                         return reader.boolean(v, out.enable);
                                     }},
                                    {"prometheus", read_prometheus},
                                });
}

bool read_scrub(Reader& reader, Value value, ScrubExtension& out) {
    out.enable = true;
    if (!reader.fields(value, {
                                  {"enable",
                                   [&](Value v) {
                                       return reader.boolean(v, out.enable);
                                   }},
                                  {"interval",
                                   [&](Value v) {
                                       return reader.duration(v, out.interval);
                                   }},
                              })) {
        return false;
    }
    if (out.interval == Duration::zero()) {
        out.interval = std::chrono::hours{24}; // Zot's default for an unset interval
    }
    if (out.enable && out.interval < scrub_interval_min) {
        Reader::Scope scope = reader.key("interval");
        reader.warn(format_go_duration(out.interval) + " is below the minimum; using " +
                    format_go_duration(scrub_interval_min));
        out.interval = scrub_interval_min;
    }
    return true;
}

bool read_search(Reader& reader, Value value, SearchExtension& out) {
    out.enable = true;
    return reader.fields(value, {
                                    {"enable",
                                     [&](Value v) {
                                         return reader.boolean(v, out.enable);
                                     }},
                                    {"cve",
                                     [&](Value v) {
                                         reader.ignore();
                                         out.cve = true;
                                         return skim(reader, v, Section::cve);
                                     }},
                                });
}

Field ignored(Reader& reader, std::string_view name, Section section) {
    return {name, [&reader, section](Value value) {
                reader.ignore();
                return skim(reader, value, section);
            }};
}

} // namespace

// An extension named here is on unless it says "enable": false (Zot's rule for search,
// ui, metrics and scrub). The ones berth lacks are checked and recorded as ignored.
bool read_extensions(Reader& reader, Value value, Extensions& out) {
    std::vector<Field> known = {
        {"search",
         [&](Value v) {
             return read_search(reader, v, out.search);
         }},
        {"ui",
         [&](Value v) {
             out.ui.enable = true;
             return reader.fields(v, {{"enable", [&](Value e) {
                                           return reader.boolean(e, out.ui.enable);
                                       }}});
         }},
        {"metrics",
         [&](Value v) {
             return read_metrics(reader, v, out.metrics);
         }},
        {"scrub",
         [&](Value v) {
             return read_scrub(reader, v, out.scrub);
         }},
        ignored(reader, "sync", Section::sync),
        ignored(reader, "lint", Section::lint),
        ignored(reader, "trust", Section::trust),
        ignored(reader, "events", Section::events),
        ignored(reader, "mgmt", Section::enable_only),
        ignored(reader, "apikey", Section::enable_only),
    };
    return reader.fields(value, known);
}

} // namespace berth::config::detail
