#include <berth/auth/policy.h>

#include <berth/config/config.h>

#include <doctest/doctest.h>

using namespace berth;
using auth::Identity;
using auth::Policy;
using config::Action;

namespace {

config::Config parse(const std::string& json) {
    auto parsed = config::parse_config(json);
    REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.error().message));
    return std::move(*parsed);
}

const Identity anonymous{false, ""};
Identity user(const std::string& name) {
    return Identity{true, name};
}

} // namespace

TEST_CASE("glob: * stays within a segment, ** crosses segments") {
    CHECK(auth::glob_match("**", "a"));
    CHECK(auth::glob_match("**", "a/b/c"));
    CHECK(auth::glob_match("infra/*", "infra/db"));
    CHECK(!auth::glob_match("infra/*", "infra/db/replica"));
    CHECK(!auth::glob_match("infra/*", "infra"));
    CHECK(auth::glob_match("infra/**", "infra/db/replica"));
    CHECK(auth::glob_match("tmp/**", "tmp"));
    CHECK(auth::glob_match("team-*/app", "team-blue/app"));
    CHECK(!auth::glob_match("team-*/app", "team-blue/other"));
    CHECK(auth::glob_match("a?c", "abc"));
    CHECK(!auth::glob_match("a?c", "a/c"));
    CHECK(auth::glob_match("**/app", "x/y/app"));
    CHECK(!auth::glob_match("exact", "exactly"));
}

TEST_CASE("policy: without accessControl, authentication alone decides") {
    Policy with_auth(std::nullopt, true);
    CHECK(with_auth.allows(user("anyone"), "repo", Action::remove));
    CHECK(!with_auth.allows(anonymous, "repo", Action::read));
    CHECK(!with_auth.anonymous_has_access());
    Policy open(std::nullopt, false);
    CHECK(open.allows(anonymous, "repo", Action::create));
    CHECK(open.anonymous_has_access());
}

TEST_CASE("policy: the longest matching glob decides, and only it") {
    auto config = parse(R"({"storage":{"rootDirectory":"/tmp/x"},"http":{
        "auth":{"htpasswd":{"path":"h"}},
        "accessControl":{
          "groups":{"devs":{"users":["bob"]}},
          "repositories":{
            "**":{"anonymousPolicy":["read"],"defaultPolicy":["read"]},
            "private/**":{"policies":[{"users":["alice"],"actions":["read","create"]}]},
            "team/*":{"policies":[{"groups":["devs"],"actions":["read","create","update"]}],
                      "defaultPolicy":["read"]}},
          "adminPolicy":{"users":["root"],"actions":["read","create","update","delete"]}}}})");
    Policy policy(config.http.access_control, true);
    CHECK(policy.allows(anonymous, "public/app", Action::read));
    CHECK(!policy.allows(anonymous, "public/app", Action::create));
    CHECK(policy.allows(user("carol"), "public/app", Action::read));
    // private/** is the most specific match: its lack of an anonymous policy wins over **.
    CHECK(!policy.allows(anonymous, "private/secret", Action::read));
    CHECK(!policy.allows(user("carol"), "private/secret", Action::read));
    CHECK(policy.allows(user("alice"), "private/secret", Action::create));
    CHECK(!policy.allows(user("alice"), "private/secret", Action::remove));
    CHECK(policy.allows(user("bob"), "team/app", Action::update));
    CHECK(!policy.allows(user("bob"), "team/app", Action::remove));
    CHECK(policy.allows(user("root"), "private/secret", Action::remove));
    CHECK(policy.allows(user("root"), "anything", Action::remove));
    CHECK(policy.anonymous_has_access());
}

TEST_CASE("policy: metrics access follows accessControl.metrics") {
    auto config = parse(R"({"storage":{"rootDirectory":"/tmp/x"},"http":{
        "auth":{"htpasswd":{"path":"h"}},
        "accessControl":{"metrics":{"users":["prometheus"]},
                         "repositories":{"**":{"defaultPolicy":["read"]}}}}})");
    Policy policy(config.http.access_control, true);
    CHECK(policy.may_scrape_metrics(user("prometheus")));
    CHECK(!policy.may_scrape_metrics(user("alice")));
    CHECK(!policy.may_scrape_metrics(anonymous));
}
