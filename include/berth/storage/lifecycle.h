// The life of what the store holds after it is pushed: when each manifest was pushed and
// pulled, and the rules that decide what garbage collection and retention remove.
//
// The decisions are pure functions of facts (tags, manifests, times) so that they can be
// tested without a disk; src/storage/gc.cpp gathers the facts and applies the decisions.
// Semantics follow Zot's (pkg/storage/gc and pkg/retention); docs/configuration.md and the
// comments below say where berth differs.
#pragma once

#include <berth/util/log.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace berth::storage {

// Retention rules as storage.retention gives them (the config layer's types, mirrored here
// because storage sits below config; the server copies them over).
using Duration = std::chrono::nanoseconds;

struct KeepRules {
    std::int64_t most_recently_pushed_count = 0; // 0 = rule absent
    std::int64_t most_recently_pulled_count = 0; // 0 = rule absent
    std::optional<Duration> pulled_within;
    std::optional<Duration> pushed_within;
};

struct KeepTagsRule {
    std::vector<std::string> patterns; // RE2 syntax
    KeepRules rules;
};

struct RetentionPolicy {
    std::vector<std::string> repositories; // doublestar globs
    bool delete_referrers = false;
    bool delete_untagged = true;
    std::vector<KeepTagsRule> keep_tags; // empty = keep every tag
    std::optional<KeepRules> keep_untagged;
};

struct Retention {
    bool dry_run = false;
    Duration delay = std::chrono::hours{24};
    std::vector<RetentionPolicy> policies; // the first whose glob matches a repository wins
};

// A daily UTC window (minutes since midnight) in which a periodic pass may start.
struct TimeWindow {
    std::uint16_t start_minute = 0;
    std::uint16_t end_minute = 0;
    bool contains(std::uint16_t minute_of_day) const {
        if (start_minute <= end_minute) {
            return minute_of_day >= start_minute && minute_of_day < end_minute;
        }
        return minute_of_day >= start_minute || minute_of_day < end_minute;
    }
};

// When a manifest was last pushed and pulled in a repository, and how often it was pulled
// (manifest GETs, not HEADs). Times are Unix seconds; 0 means never (or not known).
struct ManifestUsage {
    std::int64_t pushed_at_unix = 0;
    std::int64_t pulled_at_unix = 0;
    std::uint64_t pull_count = 0;
};

// What garbage collection did since the start (Store::gc_stats()); each pass also adds its
// share to the zot_gc_* metrics.
struct GcStats {
    std::uint64_t runs = 0;
    std::uint64_t runs_failed = 0; // passes where an I/O error stopped some deletion
    std::uint64_t deleted_manifests = 0;
    std::uint64_t deleted_blobs = 0; // repository links and _blobs files alike
    std::uint64_t deleted_uploads = 0;
    std::uint64_t deleted_tags = 0; // by retention
    double duration_seconds_sum = 0;
    double duration_seconds_last = 0;
};

// Doublestar glob matching (auth::glob_match), handed down so storage needs no upper layer.
using GlobMatch = bool (*)(std::string_view pattern, std::string_view name);

struct LifecycleOptions {
    bool gc = false;
    std::chrono::nanoseconds gc_delay = std::chrono::hours{1};
    std::chrono::nanoseconds gc_interval = std::chrono::hours{1};
    std::optional<TimeWindow> gc_time_window;
    Retention retention;
    GlobMatch glob_match = nullptr;
    log::Sink* audit = nullptr; // one JSON line per deletion when set
};

namespace lifecycle {

struct ManifestFacts {
    std::string digest;
    std::vector<std::string> children; // manifests an index lists
    std::optional<std::string> subject;
    ManifestUsage usage;
};

struct RepositoryFacts {
    std::map<std::string, std::string, std::less<>> tags; // tag → manifest digest
    std::vector<ManifestFacts> manifests;
};

// One retention policy with its keepTags patterns compiled.
struct CompiledPolicy {
    CompiledPolicy();
    ~CompiledPolicy();
    CompiledPolicy(CompiledPolicy&&) noexcept;
    CompiledPolicy& operator=(CompiledPolicy&&) noexcept;

    RetentionPolicy config;
    std::vector<std::vector<std::unique_ptr<re2::RE2>>> patterns; // per keepTags entry
};

class Policies {
public:
    Policies(const Retention& retention, GlobMatch glob_match);
    // The first policy whose repositories glob matches; null when none does.
    const CompiledPolicy* policy_for(std::string_view repository) const;

private:
    std::vector<CompiledPolicy> policies_;
    GlobMatch glob_match_;
};

struct Removal {
    std::string name; // a tag, or a manifest digest
    std::string reason;
};

struct Plan {
    std::vector<Removal> tags;
    std::vector<Removal> manifests;
    bool empty() const { return tags.empty() && manifests.empty(); }
};

// What retention and GC remove from one repository's index at `now_unix`. `delay_seconds`
// (retention.delay) is the age an untagged manifest or an orphaned referrer must reach.
// Without a policy, every tag and every referrer is kept and untagged manifests go (Zot's
// HasDeleteReferrer is false and HasDeleteUntagged true when no policy matches).
Plan plan(const RepositoryFacts& facts, const CompiledPolicy* policy, std::int64_t now_unix,
          std::int64_t delay_seconds);

// A file whose last change was at `changed_unix` may go at `now_unix`.
inline bool old_enough(std::int64_t changed_unix, std::int64_t now_unix,
                       std::int64_t delay_seconds) {
    return changed_unix > 0 && now_unix - changed_unix >= delay_seconds;
}

// An upload session idle since `updated_unix` is stale: GC's delay, but never less than a
// minute, so that a tiny gcDelay cannot cut a push that pauses between two chunks.
bool upload_stale(std::int64_t updated_unix, std::int64_t now_unix, std::int64_t delay_seconds);

// Whether a periodic pass may start at `now_unix` (UTC) given the configured window.
bool inside_window(const std::optional<TimeWindow>& window, std::int64_t now_unix);

} // namespace lifecycle

} // namespace berth::storage
