#include "sections.h"

#include "patterns.h"

#include <limits>

namespace berth::config::detail {
namespace {

// Go's int is 64 bits, but a count of tags beyond 2^31 can only be a slip.
constexpr std::int64_t count_max = std::numeric_limits<std::int32_t>::max();

bool read_optional_duration(Reader& reader, Value value, std::optional<Duration>& out) {
    Duration parsed{};
    if (!reader.duration(value, parsed)) {
        return false;
    }
    out = parsed;
    return true;
}

std::vector<Field> keep_rule_fields(Reader& reader, KeepRules& out) {
    return {
        {"mostRecentlyPushedCount",
         [&](Value v) {
             return reader.integer(v, 0, count_max, out.most_recently_pushed_count);
         }},
        {"mostRecentlyPulledCount",
         [&](Value v) {
             return reader.integer(v, 0, count_max, out.most_recently_pulled_count);
         }},
        {"pulledWithin",
         [&](Value v) {
             return read_optional_duration(reader, v, out.pulled_within);
         }},
        {"pushedWithin",
         [&](Value v) {
             return read_optional_duration(reader, v, out.pushed_within);
         }},
    };
}

bool read_regexes(Reader& reader, Value value, std::vector<std::string>& out) {
    return reader.items(value, [&](Value item) {
        std::string pattern;
        if (!reader.string(item, pattern)) {
            return false;
        }
        if (std::optional<std::string> problem = regex_error(pattern)) {
            return reader.fail("invalid regular expression " + quote(pattern) + ": " + *problem);
        }
        out.push_back(std::move(pattern));
        return true;
    });
}

bool read_globs(Reader& reader, Value value, std::vector<std::string>& out) {
    return reader.items(value, [&](Value item) {
        std::string pattern;
        if (!reader.string(item, pattern)) {
            return false;
        }
        if (!valid_glob(pattern)) {
            return reader.fail("invalid glob pattern " + quote(pattern) +
                               " (an unclosed '[' or '{', an empty \"[]\" or a trailing '\\')");
        }
        out.push_back(std::move(pattern));
        return true;
    });
}

bool read_keep_tags(Reader& reader, Value value, std::vector<KeepTagsRule>& out) {
    return reader.items(value, [&](Value item) {
        KeepTagsRule rule;
        std::vector<Field> known = keep_rule_fields(reader, rule.rules);
        known.push_back({"patterns", [&](Value v) {
                             return read_regexes(reader, v, rule.patterns);
                         }});
        if (!reader.fields(item, known)) {
            return false;
        }
        out.push_back(std::move(rule));
        return true;
    });
}

bool read_policy(Reader& reader, Value value, RetentionPolicy& out) {
    return reader.fields(value, {
                                    {"repositories",
                                     [&](Value v) {
                                         return read_globs(reader, v, out.repositories);
                                     }},
                                    {"deleteReferrers",
                                     [&](Value v) {
                                         return reader.boolean(v, out.delete_referrers);
                                     }},
                                    {"deleteUntagged",
                                     [&](Value v) {
                                         return reader.boolean(v, out.delete_untagged);
                                     }},
                                    {"keepTags",
                                     [&](Value v) {
                                         return read_keep_tags(reader, v, out.keep_tags);
                                     }},
                                    {"keepUntagged",
                                     [&](Value v) {
                                         KeepRules rules;
                                         if (!reader.fields(v, keep_rule_fields(reader, rules))) {
                                             return false;
                                         }
                                         out.keep_untagged = rules;
                                         return true;
                                     }},
                                });
}

} // namespace

bool read_retention(Reader& reader, Value value, Retention& out, bool& delay_set) {
    return reader.fields(value, {
                                    {"dryRun",
                                     [&](Value v) {
                                         return reader.boolean(v, out.dry_run);
                                     }},
                                    {"delay",
                                     [&](Value v) {
                                         return (delay_set = true) && reader.duration(v, out.delay);
                                     }},
                                    {"policies",
                                     [&](Value v) {
                                         return reader.items(v, [&](Value item) {
                                             RetentionPolicy policy;
                                             if (!read_policy(reader, item, policy)) {
                                                 return false;
                                             }
                                             out.policies.push_back(std::move(policy));
                                             return true;
                                         });
                                     }},
                                });
}

} // namespace berth::config::detail
