// The example configurations of zot-compat.md §1.7 (Zot's examples/ directory), and a full
// homelab configuration: each must parse, and mean what Zot makes of it.
#include <doctest/doctest.h>

#include <berth/config/config.h>

#include "config_test_support.h"

using namespace berth::config;
using namespace berth::config::testing;
using namespace std::chrono_literals;

TEST_CASE("config-minimal.json") {
    Config config = parsed(R"({ "distSpecVersion": "1.1.1",
        "storage": { "rootDirectory": "/tmp/zot" },
        "http": { "address": "127.0.0.1", "port": "8080" },
        "log": { "level": "debug" } })");
    CHECK(config.storage.root_directory == "/tmp/zot");
    CHECK(config.http.address == "127.0.0.1");
    CHECK(config.http.port == 8080);
    CHECK(config.log.level == LogLevel::debug);
    CHECK(config.ignored_keys.empty());
    CHECK(config.refused_keys.empty());
    CHECK(config.warnings.empty());
}

TEST_CASE("the configuration of Zot's container image") {
    Config config = parsed(R"({"storage":{"rootDirectory":"/var/lib/registry"},
        "http":{"address":"0.0.0.0","port":"5000","compat":["docker2s2"]},
        "log":{"level":"debug"}})");
    CHECK(config.http.port == 5000);
    CHECK(config.http.compat_docker2s2);
    CHECK(config.warnings.empty());
}

TEST_CASE("config-example.json: TLS and LDAP are refused, the rest is read") {
    Config config = parsed(R"({ "distSpecVersion": "1.1.1",
        "storage": { "rootDirectory": "/tmp/zot" },
        "http": { "address": "127.0.0.1", "port": "8080", "realm": "zot",
          "tls": { "cert": "test/data/server.cert", "key": "test/data/server.key" },
          "auth": {
            "ldap": { "address": "ldap.example.org", "port": 389, "startTLS": false,
                      "baseDN": "ou=Users,dc=example,dc=org", "userAttribute": "uid",
                      "credentialsFile": "examples/config-ldap-credentials.json",
                      "skipVerify": false, "subtreeSearch": true },
            "htpasswd": { "path": "test/data/htpasswd" },
            "failDelay": 5 } },
        "log": { "level": "debug", "output": "/tmp/zot.log", "audit": "/tmp/zot-audit.log" } })");
    CHECK(config.http.realm == "zot");
    CHECK(config.http.auth.htpasswd_path == "test/data/htpasswd");
    CHECK(config.http.auth.fail_delay == 5s);
    CHECK(config.log.output == "/tmp/zot.log");
    CHECK(config.log.audit == "/tmp/zot-audit.log");
    REQUIRE(config.refused_keys.size() == 2);
    CHECK(config.refused_keys[0].key == "http.tls");
    CHECK(config.refused_keys[1].key == "http.auth.ldap");
}

TEST_CASE("config-metrics-authz.json") {
    Config config = parsed(R"({ "distSpecVersion": "1.1.1",
        "storage": { "rootDirectory": "/tmp/zot" },
        "http": { "address": "127.0.0.1", "port": "8080",
          "auth": { "htpasswd": { "path": "test/data/htpasswd" } },
          "accessControl": {
            "metrics": { "users": ["metrics"] },
            "repositories": { "**": { "anonymousPolicy": ["read"],
                                      "defaultPolicy": ["read","create"] } } } },
        "log": { "level": "debug" },
        "extensions": { "metrics": { "enable": true, "prometheus": { "path": "/metrics" } } } })");
    const AccessControl& access = *config.http.access_control;
    CHECK(access.metrics.users == std::vector<std::string>{"metrics"});
    CHECK(access.metrics.anonymous_policy.empty());
    CHECK(access.repositories.at("**").anonymous_policy.has(Action::read));
    CHECK(access.repositories.at("**").default_policy.has(Action::create));
    CHECK(config.extensions.metrics.enable);
    CHECK(config.extensions.metrics.path == "/metrics");
}

TEST_CASE("config-gc.json") {
    Config config = parsed(R"({"distSpecVersion": "1.1.1",
        "storage": {"rootDirectory": "/tmp/zot", "gc": true, "gcDelay": "2h",
                    "gcInterval": "1h", "gcTimeWindow": "01:00-08:00"},
        "http": {"address": "127.0.0.1", "port": "8080"}, "log": {"level": "debug"}})");
    CHECK(config.storage.gc);
    CHECK(config.storage.gc_delay == 2h);
    CHECK(config.storage.gc_interval == 1h);
    REQUIRE(config.storage.gc_time_window.has_value());
    CHECK(config.storage.gc_time_window->start_minute == 60);
    CHECK(config.storage.gc_time_window->end_minute == 8 * 60);
}

TEST_CASE("config-scrub.json") {
    Config config = parsed(R"({"distSpecVersion": "1.1.1",
        "storage": {"rootDirectory": "/tmp/zot"},
        "http": {"address": "127.0.0.1", "port": "8080"}, "log": {"level": "debug"},
        "extensions": {"scrub": {"enable": true, "interval": "24h"}}})");
    CHECK(config.extensions.scrub.enable);
    CHECK(config.extensions.scrub.interval == 24h);
}

TEST_CASE("config-ui.json: search with CVE, UI, mgmt") {
    Config config = parsed(R"({"distSpecVersion": "1.1.0-dev",
        "storage": {"rootDirectory": "/tmp/zot"},
        "http": {"address": "0.0.0.0", "port": "8080"}, "log": {"level": "debug"},
        "extensions": {"search": {"cve": {"updateInterval": "2h"}},
                       "ui": {"enable": true}, "mgmt": {"enable": true}}})");
    CHECK(config.http.address == "0.0.0.0");
    CHECK(config.extensions.search.enable);
    CHECK(config.extensions.search.cve);
    CHECK(config.extensions.ui.enable);
    CHECK(config.ignored_keys ==
          std::vector<std::string>{"extensions.search.cve", "extensions.mgmt"});
    CHECK(config.warnings.size() == 1); // distSpecVersion
}

TEST_CASE("config-docker-compat.json") {
    Config config = parsed(R"({"distSpecVersion": "1.1.1",
        "storage": {"rootDirectory": "/tmp/zot"},
        "http": {"address": "127.0.0.1", "port": "8080", "compat": ["docker2s2"]},
        "log": {"level": "debug"}})");
    CHECK(config.http.compat_docker2s2);
}

TEST_CASE("config-ratelimit.json") {
    Config config = parsed(R"({"distSpecVersion": "1.1.1",
        "storage": {"rootDirectory": "/tmp/zot"},
        "http": {"address": "127.0.0.1", "port": "8080",
                 "ratelimit": {"rate": 10, "methods": [{"method": "GET", "rate": 5}]}},
        "log": {"level": "debug"}})");
    REQUIRE(config.http.rate_limit.has_value());
    CHECK(config.http.rate_limit->rate == 10);
    CHECK(config.http.rate_limit->methods[0].method == "GET");
    CHECK(config.http.rate_limit->methods[0].rate == 5);
}

TEST_CASE("config-retention.json") {
    Config config = parsed(R"({
        "distSpecVersion": "1.1.0",
        "storage": {
            "rootDirectory": "/tmp/zot", "gc": true, "gcDelay": "2h", "gcInterval": "1h",
            "retention": {
                "dryRun": false, "delay": "24h",
                "policies": [
                    {"repositories": ["infra/*", "prod/*"], "deleteReferrers": false,
                     "keepTags": [{"patterns": ["v2.*", ".*-prod"]},
                                  {"patterns": ["v3.*", ".*-prod"], "pulledWithin": "168h"}]},
                    {"repositories": ["tmp/**"], "deleteReferrers": true,
                     "deleteUntagged": true,
                     "keepTags": [{"patterns": ["v1.*"], "pulledWithin": "168h",
                                   "pushedWithin": "168h"}],
                     "keepUntagged": {"pulledWithin": "168h"}},
                    {"repositories": ["**"], "deleteReferrers": true, "deleteUntagged": true,
                     "keepTags": [{"mostRecentlyPushedCount": 10, "mostRecentlyPulledCount": 10,
                                   "pulledWithin": "720h", "pushedWithin": "720h"}]}]},
            "subPaths": {
                "/a": {"rootDirectory": "/tmp/zot1", "dedupe": true,
                       "retention": {"policies": [{"repositories": ["infra/*", "prod/*"],
                                                   "deleteReferrers": false}]}}}},
        "http": {"address": "127.0.0.1", "port": "8080"},
        "log": {"level": "debug"}})");
    const Retention& retention = config.storage.retention;
    REQUIRE(retention.policies.size() == 3);
    CHECK(retention.delay == 24h);
    CHECK(retention.policies[0].keep_tags[1].rules.pulled_within == 168h);
    CHECK(retention.policies[1].keep_untagged->pulled_within == 168h);
    CHECK(retention.policies[2].keep_tags[0].rules.most_recently_pushed_count == 10);
    CHECK(retention.policies[2].repositories == std::vector<std::string>{"**"});

    const StorageConfig& a = config.storage.sub_paths.at("/a");
    CHECK(a.root_directory == "/tmp/zot1");
    CHECK(a.dedupe);
    CHECK_FALSE(a.gc);
    CHECK(a.retention.policies[0].delete_untagged);
    CHECK(config.warnings.size() == 1); // distSpecVersion
}

TEST_CASE("config-policy.json: groups, per-repository policies, conditions, admin") {
    Config config = parsed(R"json({
        "distSpecVersion": "1.1.1",
        "storage": {"rootDirectory": "/tmp/zot"},
        "http": {"address": "127.0.0.1", "port": "8080", "realm": "zot",
            "auth": {"htpasswd": {"path": "test/data/htpasswd"}, "failDelay": 1},
            "accessControl": {
                "groups": {"group1": {"users": ["jack", "john", "jane", "ana"]},
                           "group2": {"users": ["alice", "mike", "jim"]}},
                "repositories": {
                    "**": {"policies": [{"users": ["charlie"], "groups": ["group2"],
                                         "actions": ["read", "create", "update"]}],
                           "defaultPolicy": ["read", "create"]},
                    "tmp/**": {"anonymousPolicy": ["read"],
                               "defaultPolicy": ["read", "create", "update"]},
                    "infra/*": {"policies": [
                        {"users": ["alice", "bob"],
                         "actions": ["create", "read", "update", "delete"]},
                        {"users": ["mallory"], "groups": ["group1"], "actions": ["create", "read"],
                         "conditions": [{"expression": "request.time.getHours() < 18",
                                         "message": "pushes only in office hours"}]}],
                        "defaultPolicy": ["read"]},
                    "repos2/repo": {"policies": [{"users": ["charlie"],
                                                  "actions": ["read", "create"]}],
                                    "defaultPolicy": ["read"]}},
                "adminPolicy": {"users": ["admin"], "groups": ["admins"],
                                "actions": ["read", "create", "update", "delete"]}}},
        "log": {"level": "debug", "output": "/tmp/zot.log"}})json");
    const AccessControl& access = *config.http.access_control;
    CHECK(access.groups.size() == 2);
    CHECK(access.repositories.size() == 4);
    CHECK(access.repositories.at("infra/*").policies[1].groups ==
          std::vector<std::string>{"group1"});
    CHECK(access.admin_policy.actions.has(Action::remove));
    REQUIRE(config.refused_keys.size() == 1);
    CHECK(config.refused_keys[0].key ==
          "http.accessControl.repositories[\"infra/*\"].policies[1].conditions");
}

TEST_CASE("config-anonymous-authz.json") {
    Config config = parsed(R"({"distSpecVersion": "1.1.1",
        "storage": {"rootDirectory": "/tmp/zot"},
        "http": {"address": "127.0.0.1", "port": "8080", "realm": "zot",
            "accessControl": {"repositories": {
                "**": {"anonymousPolicy": ["read", "create"]},
                "tmp/**": {"anonymousPolicy": ["read", "create", "update"]},
                "infra/**": {"anonymousPolicy": ["read"]},
                "repos2/repo": {"anonymousPolicy": ["read"]}}}},
        "log": {"level": "debug"}})");
    const AccessControl& access = *config.http.access_control;
    CHECK(access.repositories.at("tmp/**").anonymous_policy.has(Action::update));
    CHECK_FALSE(access.repositories.at("infra/**").anonymous_policy.has(Action::create));
    CHECK(config.http.auth.htpasswd_path.empty());
}

TEST_CASE("config-bench.json: Zot's request timeouts are kept but not applied") {
    Config config = parsed(R"({"distSpecVersion": "1.1.1",
        "storage": {"rootDirectory": "/tmp/zot"},
        "http": {"address": "127.0.0.1", "port": "8080",
                 "readTimeout": "2m", "writeTimeout": "2m"},
        "log": {"level": "debug", "output": "/dev/null"}})");
    CHECK(config.http.read_timeout == 2min);
    CHECK(config.http.write_timeout == 2min);
    CHECK(config.ignored_keys == std::vector<std::string>{"http.readTimeout", "http.writeTimeout"});
    CHECK(config.log.output == "/dev/null");
}

namespace {

// What a small home or lab registry typically runs with: htpasswd users, anonymous reads of
// public images, retention for CI images, metrics, scrub, the UI, and berth's own tunables.
constexpr std::string_view homelab_config = R"({
      "distSpecVersion": "1.1.1",
      "storage": {
        "rootDirectory": "/srv/registry",
        "dedupe": true,
        "gc": true,
        "gcDelay": "1h",
        "gcInterval": "6h",
        "gcTimeWindow": "02:00-05:00",
        "commit": true,
        "retention": {
          "delay": "24h",
          "policies": [
            {"repositories": ["ci/**"], "deleteReferrers": true,
             "keepTags": [{"patterns": ["^main-.*"], "mostRecentlyPushedCount": 5},
                          {"patterns": ["^v[0-9]+\\.[0-9]+\\.[0-9]+$"]}]},
            {"repositories": ["**"], "keepTags": [{"patterns": [".*"]}]}
          ]
        }
      },
      "http": {
        "address": "0.0.0.0",
        "port": "5000",
        "externalUrl": "https://registry.home.arpa",
        "realm": "home registry",
        "compat": ["docker2s2"],
        "auth": {"htpasswd": {"path": "/etc/berth/htpasswd"}, "failDelay": 2},
        "accessControl": {
          "groups": {"family": {"users": ["alice", "bob"]}},
          "repositories": {
            "public/**": {"anonymousPolicy": ["read"], "defaultPolicy": ["read"]},
            "**": {"policies": [{"groups": ["family"], "actions": ["read", "create"]},
                                {"users": ["ci"], "actions": ["read", "create", "update"]}]}
          },
          "adminPolicy": {"users": ["admin"],
                          "actions": ["read", "create", "update", "delete"]},
          "metrics": {"users": ["prometheus"]}
        }
      },
      "log": {"level": "info", "audit": "/var/log/berth/audit.log"},
      "extensions": {
        "search": {"enable": true},
        "ui": {"enable": true},
        "metrics": {"enable": true, "prometheus": {"path": "/metrics"}},
        "scrub": {"enable": true, "interval": "168h"}
      },
      "berth": {
        "bufferSize": 65536,
        "bufferCount": 64,
        "maxConnections": 1024,
        "bodyTimeout": "2m",
        "uploadSessionLifetime": "12h",
        "credentialCacheTtl": "30m"
      }
    })";

} // namespace

TEST_CASE("a full homelab configuration") {
    Config config = parsed(homelab_config);
    CHECK(config.ignored_keys.empty());
    CHECK(config.refused_keys.empty());
    CHECK(config.warnings.empty());

    CHECK(config.storage.gc_interval == 6h);
    CHECK(config.storage.commit);
    CHECK(config.storage.retention.policies[0].keep_tags[1].patterns[0] ==
          "^v[0-9]+\\.[0-9]+\\.[0-9]+$");
    CHECK(config.http.port == 5000);
    CHECK(config.http.realm == "home registry");
    CHECK(config.http.auth.fail_delay == 2s);
    const AccessControl& access = *config.http.access_control;
    CHECK(access.repositories.at("public/**").anonymous_policy.has(Action::read));
    CHECK(access.repositories.at("**").policies.size() == 2);
    CHECK(access.metrics.users == std::vector<std::string>{"prometheus"});
    CHECK(config.log.level == LogLevel::info);
    CHECK(config.extensions.search.enable);
    CHECK(config.extensions.ui.enable);
    CHECK(config.extensions.metrics.enable);
    CHECK(config.extensions.scrub.interval == 168h);
    CHECK(config.berth.receive_pool_bytes() == 4 * 1024 * 1024);
    CHECK(config.berth.max_connections == 1024);
    CHECK(config.berth.body_timeout == 2min);
    CHECK(config.berth.upload_session_lifetime == 12h);
    CHECK(config.berth.credential_cache_ttl == 30min);
    CHECK(config.berth.header_timeout == 30s); // untouched defaults stay
}
