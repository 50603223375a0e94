// Retention and GC decisions (lifecycle::plan) as pure functions of tags, manifests and times.
#include <berth/auth/policy.h>
#include <berth/storage/lifecycle.h>

#include <doctest/doctest.h>

#include <algorithm>

using namespace berth;
using namespace berth::storage;

namespace {

constexpr std::int64_t now = 1'000'000;
constexpr std::int64_t day = 24 * 3600;

lifecycle::ManifestFacts manifest(std::string digest, std::int64_t pushed,
                                  std::int64_t pulled = 0) {
    lifecycle::ManifestFacts facts;
    facts.digest = std::move(digest);
    facts.usage.pushed_at_unix = pushed;
    facts.usage.pulled_at_unix = pulled;
    return facts;
}

std::vector<std::string> names(const std::vector<lifecycle::Removal>& removals) {
    std::vector<std::string> result;
    for (const auto& removal : removals) {
        result.push_back(removal.name);
    }
    std::sort(result.begin(), result.end());
    return result;
}

lifecycle::Policies policies(RetentionPolicy policy) {
    Retention retention;
    policy.repositories = {"**"};
    retention.policies.push_back(std::move(policy));
    return lifecycle::Policies(retention, &auth::glob_match);
}

} // namespace

TEST_CASE("gc: untagged manifests go once older than the delay; tagged and children stay") {
    lifecycle::RepositoryFacts facts;
    facts.tags = {{"v1", "index"}};
    auto index = manifest("index", now - 2 * day);
    index.children = {"child"};
    facts.manifests = {index, manifest("child", now - 2 * day), manifest("old", now - 2 * day),
                       manifest("young", now - 10)};
    auto plan = lifecycle::plan(facts, nullptr, now, 3600);
    CHECK(plan.tags.empty());
    CHECK(names(plan.manifests) == std::vector<std::string>{"old"});
}

TEST_CASE("gc: removing an index frees its children; referrers follow their subject when asked") {
    lifecycle::RepositoryFacts facts;
    auto index = manifest("index", now - 2 * day);
    index.children = {"child"};
    auto signature = manifest("sig", now - 2 * day);
    signature.subject = "index";
    auto kept_signature = manifest("sig2", now - 2 * day);
    kept_signature.subject = "tagged";
    facts.tags = {{"v1", "tagged"}};
    facts.manifests = {index, manifest("child", now - 2 * day), signature, kept_signature,
                       manifest("tagged", now - 2 * day)};
    RetentionPolicy policy;
    policy.delete_referrers = true;
    auto compiled = policies(policy);
    auto plan = lifecycle::plan(facts, compiled.policy_for("x"), now, 3600);
    CHECK(names(plan.manifests) == std::vector<std::string>{"child", "index", "sig"});
    // As Zot: without a policy (or with deleteReferrers false) orphaned referrers stay.
    plan = lifecycle::plan(facts, nullptr, now, 3600);
    CHECK(names(plan.manifests) == std::vector<std::string>{"child", "index"});
    policy.delete_referrers = false;
    auto keep = policies(policy);
    plan = lifecycle::plan(facts, keep.policy_for("x"), now, 3600);
    CHECK(names(plan.manifests) == std::vector<std::string>{"child", "index"});
}

TEST_CASE("retention: keepTags patterns, counts and windows") {
    lifecycle::RepositoryFacts facts;
    facts.tags = {{"release-1", "a"}, {"release-2", "b"}, {"release-3", "c"}, {"dev", "d"}};
    facts.manifests = {manifest("a", now - 3 * day), manifest("b", now - 2 * day, now - 10),
                       manifest("c", now - day), manifest("d", now - day)};
    RetentionPolicy policy;
    policy.delete_untagged = false;
    KeepTagsRule rule;
    rule.patterns = {"^release-"};
    SUBCASE("patterns alone keep what they match") {
        policy.keep_tags = {rule};
        auto compiled = policies(policy);
        auto plan = lifecycle::plan(facts, compiled.policy_for("x"), now, 3600);
        CHECK(names(plan.tags) == std::vector<std::string>{"dev"});
        CHECK(plan.manifests.empty());
    }
    SUBCASE("mostRecentlyPushedCount") {
        rule.rules.most_recently_pushed_count = 1;
        policy.keep_tags = {rule};
        auto compiled = policies(policy);
        auto plan = lifecycle::plan(facts, compiled.policy_for("x"), now, 3600);
        CHECK(names(plan.tags) == std::vector<std::string>{"dev", "release-1", "release-2"});
    }
    SUBCASE("mostRecentlyPulledCount") {
        rule.rules.most_recently_pulled_count = 1;
        policy.keep_tags = {rule};
        auto compiled = policies(policy);
        auto plan = lifecycle::plan(facts, compiled.policy_for("x"), now, 3600);
        CHECK(names(plan.tags) == std::vector<std::string>{"dev", "release-1", "release-3"});
    }
    SUBCASE("pushedWithin and pulledWithin (pulled or pushed in the window)") {
        rule.rules.pushed_within = std::chrono::hours{36};
        policy.keep_tags = {rule};
        auto compiled = policies(policy);
        auto plan = lifecycle::plan(facts, compiled.policy_for("x"), now, 3600);
        CHECK(names(plan.tags) == std::vector<std::string>{"dev", "release-1", "release-2"});
        rule.rules.pushed_within.reset();
        rule.rules.pulled_within = std::chrono::hours{1};
        policy.keep_tags = {rule};
        auto pulled = policies(policy);
        plan = lifecycle::plan(facts, pulled.policy_for("x"), now, 3600);
        CHECK(names(plan.tags) == std::vector<std::string>{"dev", "release-1", "release-3"});
    }
}

TEST_CASE("retention: a manifest losing its last tag goes when untagged ones may") {
    lifecycle::RepositoryFacts facts;
    facts.tags = {{"dev", "d"}};
    facts.manifests = {manifest("d", now - 2 * day)};
    RetentionPolicy policy;
    KeepTagsRule rule;
    rule.patterns = {"^release-"};
    policy.keep_tags = {rule};
    auto compiled = policies(policy);
    auto plan = lifecycle::plan(facts, compiled.policy_for("x"), now, 3600);
    CHECK(names(plan.tags) == std::vector<std::string>{"dev"});
    CHECK(names(plan.manifests) == std::vector<std::string>{"d"});
    policy.delete_untagged = false;
    auto keep = policies(policy);
    CHECK(lifecycle::plan(facts, keep.policy_for("x"), now, 3600).manifests.empty());
}

TEST_CASE("gc: ages, stale uploads and the time window") {
    CHECK(lifecycle::old_enough(now - 10, now, 10));
    CHECK_FALSE(lifecycle::old_enough(now - 9, now, 10));
    CHECK_FALSE(lifecycle::old_enough(0, now, 10));
    CHECK(lifecycle::upload_stale(now - 60, now, 1));
    CHECK_FALSE(lifecycle::upload_stale(now - 59, now, 1));
    TimeWindow window{60, 120}; // 01:00-02:00 UTC
    CHECK(lifecycle::inside_window(window, 90 * 60));
    CHECK_FALSE(lifecycle::inside_window(window, 3 * 3600));
    CHECK(lifecycle::inside_window(std::nullopt, 3 * 3600));
}
