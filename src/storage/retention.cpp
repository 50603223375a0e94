// Retention and GC decisions: which tags and manifests of a repository go, as pure functions
// of its tags, manifests and their push and pull times (Zot's pkg/retention semantics).
#include <berth/storage/lifecycle.h>

#include <re2/re2.h>

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace berth::storage::lifecycle {

CompiledPolicy::CompiledPolicy() = default;
CompiledPolicy::~CompiledPolicy() = default;
CompiledPolicy::CompiledPolicy(CompiledPolicy&&) noexcept = default;
CompiledPolicy& CompiledPolicy::operator=(CompiledPolicy&&) noexcept = default;

Policies::Policies(const Retention& retention, GlobMatch glob_match) : glob_match_(glob_match) {
    for (const RetentionPolicy& policy : retention.policies) {
        CompiledPolicy compiled;
        compiled.config = policy;
        for (const KeepTagsRule& rule : policy.keep_tags) {
            auto& patterns = compiled.patterns.emplace_back();
            for (const std::string& pattern : rule.patterns) {
                patterns.push_back(std::make_unique<re2::RE2>(pattern, re2::RE2::Quiet));
            }
        }
        policies_.push_back(std::move(compiled));
    }
}

const CompiledPolicy* Policies::policy_for(std::string_view repository) const {
    for (const CompiledPolicy& policy : policies_) {
        for (const std::string& glob : policy.config.repositories) {
            if (glob_match_ != nullptr && glob_match_(glob, repository)) {
                return &policy;
            }
        }
    }
    return nullptr;
}

namespace {

struct Candidate {
    std::string name; // tag, or digest for untagged manifests
    ManifestUsage usage;
};

bool has_rules(const KeepRules& rules) {
    return rules.most_recently_pushed_count > 0 || rules.most_recently_pulled_count > 0 ||
           rules.pulled_within.has_value() || rules.pushed_within.has_value();
}

std::int64_t seconds(Duration duration) {
    return std::chrono::duration_cast<std::chrono::seconds>(duration).count();
}

void keep_most_recent(std::vector<const Candidate*> sorted, std::int64_t count, bool pulled,
                      std::unordered_set<std::string>& kept) {
    std::stable_sort(sorted.begin(), sorted.end(), [pulled](const auto* a, const auto* b) {
        return pulled ? a->usage.pulled_at_unix > b->usage.pulled_at_unix
                      : a->usage.pushed_at_unix > b->usage.pushed_at_unix;
    });
    for (std::size_t i = 0; i < sorted.size() && static_cast<std::int64_t>(i) < count; i++) {
        kept.insert(sorted[i]->name);
    }
}

// The names among `candidates` that `rules` keep (the rules are OR-ed). Candidates without
// statistics are always kept, as Zot keeps tags meta.db knows nothing about.
std::unordered_set<std::string> apply_rules(const std::vector<Candidate>& candidates,
                                            const KeepRules& rules, std::int64_t now_unix) {
    std::unordered_set<std::string> kept;
    std::vector<const Candidate*> all;
    for (const Candidate& candidate : candidates) {
        all.push_back(&candidate);
        const ManifestUsage& usage = candidate.usage;
        bool unknown = usage.pushed_at_unix == 0 && usage.pulled_at_unix == 0;
        bool pushed_recently =
            rules.pushed_within && now_unix - usage.pushed_at_unix <= seconds(*rules.pushed_within);
        // Zot's pulledWithin also keeps what was pushed in the window, so a fresh tag lives.
        bool pulled_recently = rules.pulled_within &&
                               (now_unix - usage.pulled_at_unix <= seconds(*rules.pulled_within) ||
                                now_unix - usage.pushed_at_unix <= seconds(*rules.pulled_within));
        if (unknown || pushed_recently || pulled_recently) {
            kept.insert(candidate.name);
        }
    }
    if (rules.most_recently_pushed_count > 0) {
        keep_most_recent(all, rules.most_recently_pushed_count, false, kept);
    }
    if (rules.most_recently_pulled_count > 0) {
        keep_most_recent(all, rules.most_recently_pulled_count, true, kept);
    }
    return kept;
}

int first_matching_rule(const CompiledPolicy& policy, const std::string& tag) {
    for (std::size_t rule = 0; rule < policy.patterns.size(); rule++) {
        for (const auto& pattern : policy.patterns[rule]) {
            // Go's regexp.MatchString, as Zot uses it: a match anywhere in the tag.
            if (pattern->ok() && re2::RE2::PartialMatch(tag, *pattern)) {
                return static_cast<int>(rule);
            }
        }
    }
    return -1;
}

// Tags the policy's keepTags entries do not keep.
std::vector<Removal> tags_to_remove(const RepositoryFacts& facts, const CompiledPolicy& policy,
                                    const std::unordered_map<std::string, ManifestUsage>& usage,
                                    std::int64_t now_unix) {
    std::vector<Removal> removed;
    if (policy.config.keep_tags.empty()) {
        return removed;
    }
    std::vector<std::vector<Candidate>> groups(policy.config.keep_tags.size());
    for (const auto& [tag, digest] : facts.tags) {
        int rule = first_matching_rule(policy, tag);
        if (rule < 0) {
            removed.push_back({tag, "didn't meet any tag 'patterns' rules"});
            continue;
        }
        auto found = usage.find(digest);
        groups[static_cast<std::size_t>(rule)].push_back(
            {tag, found == usage.end() ? ManifestUsage{} : found->second});
    }
    for (std::size_t rule = 0; rule < groups.size(); rule++) {
        const KeepRules& rules = policy.config.keep_tags[rule].rules;
        if (!has_rules(rules)) {
            continue; // patterns alone keep every tag they match
        }
        auto kept = apply_rules(groups[rule], rules, now_unix);
        for (const Candidate& candidate : groups[rule]) {
            if (!kept.contains(candidate.name)) {
                removed.push_back({candidate.name, "didn't meet any tag retention rule"});
            }
        }
    }
    return removed;
}

struct ManifestView {
    const RepositoryFacts& facts;
    std::set<std::string> alive;
    std::set<std::string> tagged;
};

// One round: the untagged manifests and orphaned referrers that may go now.
std::vector<Removal> one_round(const ManifestView& view, const CompiledPolicy* policy,
                               std::int64_t now_unix, std::int64_t delay_seconds) {
    bool delete_untagged = policy == nullptr || policy->config.delete_untagged;
    // As Zot: orphaned referrers go only where a policy asks; untagged manifests also without.
    bool delete_referrers = policy != nullptr && policy->config.delete_referrers;
    std::unordered_set<std::string> children;
    for (const ManifestFacts& manifest : view.facts.manifests) {
        if (view.alive.contains(manifest.digest)) {
            children.insert(manifest.children.begin(), manifest.children.end());
        }
    }
    std::vector<Removal> removed;
    std::vector<Candidate> untagged;
    for (const ManifestFacts& manifest : view.facts.manifests) {
        const std::string& digest = manifest.digest;
        if (!view.alive.contains(digest) || view.tagged.contains(digest) ||
            children.contains(digest) ||
            !old_enough(manifest.usage.pushed_at_unix, now_unix, delay_seconds)) {
            continue;
        }
        if (manifest.subject) {
            // A referrer stays while its subject does.
            if (delete_referrers && !view.alive.contains(*manifest.subject)) {
                removed.push_back({digest, "subject no longer exists"});
            }
            continue;
        }
        if (delete_untagged) {
            untagged.push_back({digest, manifest.usage});
        }
    }
    std::unordered_set<std::string> kept;
    if (policy != nullptr && policy->config.keep_untagged &&
        has_rules(*policy->config.keep_untagged)) {
        kept = apply_rules(untagged, *policy->config.keep_untagged, now_unix);
    }
    for (const Candidate& candidate : untagged) {
        if (!kept.contains(candidate.name)) {
            removed.push_back({candidate.name, "untagged and not referenced"});
        }
    }
    return removed;
}

} // namespace

Plan plan(const RepositoryFacts& facts, const CompiledPolicy* policy, std::int64_t now_unix,
          std::int64_t delay_seconds) {
    Plan result;
    std::unordered_map<std::string, ManifestUsage> usage;
    for (const ManifestFacts& manifest : facts.manifests) {
        usage[manifest.digest] = manifest.usage;
    }
    if (policy != nullptr) {
        result.tags = tags_to_remove(facts, *policy, usage, now_unix);
    }
    ManifestView view{facts, {}, {}};
    std::unordered_set<std::string> tags_removed;
    for (const Removal& removal : result.tags) {
        tags_removed.insert(removal.name);
    }
    for (const auto& [tag, digest] : facts.tags) {
        if (!tags_removed.contains(tag)) {
            view.tagged.insert(digest);
        }
    }
    for (const ManifestFacts& manifest : facts.manifests) {
        view.alive.insert(manifest.digest);
    }
    // Removing an index frees its children, removing a subject orphans its referrers: repeat
    // until nothing more goes.
    for (;;) {
        std::vector<Removal> round = one_round(view, policy, now_unix, delay_seconds);
        if (round.empty()) {
            break;
        }
        for (Removal& removal : round) {
            view.alive.erase(removal.name);
            result.manifests.push_back(std::move(removal));
        }
    }
    return result;
}

bool upload_stale(std::int64_t updated_unix, std::int64_t now_unix, std::int64_t delay_seconds) {
    constexpr std::int64_t floor_seconds = 60;
    return now_unix - updated_unix >= std::max(delay_seconds, floor_seconds);
}

bool inside_window(const std::optional<TimeWindow>& window, std::int64_t now_unix) {
    if (!window) {
        return true;
    }
    constexpr std::int64_t day_seconds = 24 * 60 * 60;
    auto minute = static_cast<std::uint16_t>((now_unix % day_seconds) / 60);
    return window->contains(minute);
}

} // namespace berth::storage::lifecycle
