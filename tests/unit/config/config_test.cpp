#include <doctest/doctest.h>

#include <berth/config/config.h>

#include "config_test_support.h"

using namespace berth::config;
using namespace berth::config::testing;
using namespace std::chrono_literals;

TEST_CASE("defaults of a configuration holding only rootDirectory") {
    Config config = parsed(R"({"storage": {"rootDirectory": "/var/lib/registry"}})");

    CHECK(config.storage.root_directory == "/var/lib/registry");
    CHECK(config.storage.dedupe);
    CHECK(config.storage.gc);
    CHECK(config.storage.gc_delay == 1h);
    CHECK(config.storage.gc_interval == 1h);
    CHECK_FALSE(config.storage.gc_time_window.has_value());
    CHECK_FALSE(config.storage.commit);
    CHECK_FALSE(config.storage.retention.dry_run);
    CHECK(config.storage.retention.delay == 24h);
    CHECK(config.storage.retention.policies.empty());
    CHECK(config.storage.sub_paths.empty());

    CHECK(config.http.address == "127.0.0.1");
    CHECK(config.http.port == 8080);
    CHECK(config.http.external_url.empty());
    CHECK(config.http.realm == "Authorization Required");
    CHECK(config.http.allow_origin.empty());
    CHECK(config.http.read_timeout == 60s);
    CHECK(config.http.write_timeout == 60s);
    CHECK(config.http.auth.htpasswd_path.empty());
    CHECK(config.http.auth.fail_delay == 0s);
    CHECK_FALSE(config.http.auth.api_key);
    CHECK_FALSE(config.http.access_control.has_value());
    CHECK_FALSE(config.http.rate_limit.has_value());
    CHECK(config.http.compat.empty());
    CHECK_FALSE(config.http.compat_docker2s2);

    CHECK(config.log.level == LogLevel::debug);
    CHECK(config.log.output.empty());
    CHECK(config.log.audit.empty());

    CHECK_FALSE(config.extensions.search.enable);
    CHECK_FALSE(config.extensions.ui.enable);
    CHECK_FALSE(config.extensions.metrics.enable);
    CHECK(config.extensions.metrics.path == "/metrics");
    CHECK_FALSE(config.extensions.scrub.enable);
    CHECK(config.extensions.scrub.interval == 24h);

    CHECK(config.ignored_keys.empty());
    CHECK(config.refused_keys.empty());
    CHECK(config.warnings.empty());
}

TEST_CASE("defaults of the berth object") {
    BerthConfig berth = parsed(config_with("")).berth;
    CHECK(berth.buffer_size == 65536);
    CHECK(berth.buffer_count == 128);
    CHECK(berth.receive_pool_bytes() == 8 * 1024 * 1024);
    CHECK(berth.max_connections == 8192);
    CHECK(berth.header_timeout == 30s);
    CHECK(berth.idle_timeout == 75s);
    CHECK(berth.body_timeout == 60s);
    CHECK(berth.send_timeout == 60s);
    CHECK(berth.drain_timeout == 10s);
    CHECK(berth.max_header_bytes == 16384);
    CHECK(berth.max_url_bytes == 8192);
    CHECK(berth.max_manifest_bytes == 4194304);
    CHECK(berth.upload_session_lifetime == 24h);
    CHECK(berth.manifest_cache_bytes == 8388608);
    CHECK(berth.credential_cache_entries == 1024);
    CHECK(berth.credential_cache_ttl == 1h);
}

TEST_CASE("berth tunables are read") {
    Config config = parsed(config_with(R"("berth": {
        "bufferSize": 16384, "bufferCount": 64, "maxConnections": 100,
        "headerTimeout": "10s", "idleTimeout": "2m", "bodyTimeout": "5m", "sendTimeout": "90s",
        "drainTimeout": "0", "maxHeaderBytes": 8192, "maxUrlBytes": 8192,
        "maxManifestBytes": 8388608, "uploadSessionLifetime": "1h", "manifestCacheBytes": 0,
        "credentialCacheEntries": 0, "credentialCacheTtl": "15m"})"));
    const BerthConfig& berth = config.berth;
    CHECK(berth.buffer_size == 16384);
    CHECK(berth.buffer_count == 64);
    CHECK(berth.receive_pool_bytes() == 1024 * 1024);
    CHECK(berth.max_connections == 100);
    CHECK(berth.header_timeout == 10s);
    CHECK(berth.idle_timeout == 2min);
    CHECK(berth.body_timeout == 5min);
    CHECK(berth.send_timeout == 90s);
    CHECK(berth.drain_timeout == 0s);
    CHECK(berth.max_header_bytes == 8192);
    CHECK(berth.max_url_bytes == 8192);
    CHECK(berth.max_manifest_bytes == 8388608);
    CHECK(berth.upload_session_lifetime == 1h);
    CHECK(berth.manifest_cache_bytes == 0);
    CHECK(berth.credential_cache_entries == 0);
    CHECK(berth.credential_cache_ttl == 15min);
}

TEST_CASE("keys are case-insensitive at every depth") {
    Config config = parsed(R"({
        "STORAGE": {"ROOTDIRECTORY": "/d", "GcDelay": "2h", "retention": {"POLICIES": [
            {"Repositories": ["a/*"], "KEEPTAGS": [{"patterns": ["v.*"]}]}]}},
        "Http": {"PORT": "9000", "Auth": {"HTPASSWD": {"PATH": "/h"}, "faildelay": 2},
                 "accesscontrol": {"Repositories": {"**": {"defaultpolicy": ["read"]}}}},
        "log": {"LEVEL": "INFO"},
        "EXTENSIONS": {"Metrics": {"Prometheus": {"Path": "/m"}}},
        "Berth": {"buffersize": 4096}})");
    CHECK(config.storage.root_directory == "/d");
    CHECK(config.storage.gc_delay == 2h);
    REQUIRE(config.storage.retention.policies.size() == 1);
    CHECK(config.storage.retention.policies[0].keep_tags[0].patterns[0] == "v.*");
    CHECK(config.http.port == 9000);
    CHECK(config.http.auth.htpasswd_path == "/h");
    CHECK(config.http.auth.fail_delay == 2s);
    REQUIRE(config.http.access_control.has_value());
    CHECK(config.http.access_control->repositories.at("**").default_policy.has(Action::read));
    CHECK(config.log.level == LogLevel::info);
    CHECK(config.extensions.metrics.enable);
    CHECK(config.extensions.metrics.path == "/m");
    CHECK(config.berth.buffer_size == 4096);
}

TEST_CASE("user data used as keys or values is kept as written") {
    Config config = parsed(R"({
        "storage": {"rootDirectory": "/d",
            "retention": {"policies": [{"repositories": ["Infra/*", "TMP/**"]}]},
            "subPaths": {"/Team": {"rootDirectory": "/t"}}},
        "http": {"auth": {"htpasswd": {"path": "/h"}}, "accessControl": {
            "groups": {"Admins": {"users": ["Alice", "bob"]}},
            "repositories": {"Infra/*": {"policies": [{"groups": ["Admins"],
                                                        "actions": ["read"]}]}},
            "adminPolicy": {"users": ["Root"], "actions": ["read"]}}}})");
    CHECK(config.storage.retention.policies[0].repositories ==
          std::vector<std::string>{"Infra/*", "TMP/**"});
    CHECK(config.storage.sub_paths.count("/Team") == 1);
    const AccessControl& access = *config.http.access_control;
    REQUIRE(access.groups.count("Admins") == 1);
    CHECK(access.groups.at("Admins") == std::vector<std::string>{"Alice", "bob"});
    REQUIRE(access.repositories.count("Infra/*") == 1);
    CHECK(access.repositories.at("Infra/*").policies[0].groups[0] == "Admins");
    CHECK(access.admin_policy.users[0] == "Root");
}

TEST_CASE("gc off: unwritten periods become 0, written ones stay and are flagged") {
    Config off = parsed(R"({"storage": {"rootDirectory": "/d", "gc": false}})");
    CHECK(off.storage.gc_delay == 0s);
    CHECK(off.storage.gc_interval == 0s);
    CHECK(off.storage.retention.delay == 0s);
    CHECK(off.warnings.empty());

    Config written = parsed(R"({"storage": {"rootDirectory": "/d", "gc": false,
        "gcDelay": "2h", "gcInterval": "3h", "retention": {"delay": "5h"}}})");
    CHECK(written.storage.gc_delay == 2h);
    CHECK(written.storage.gc_interval == 3h);
    CHECK(written.storage.retention.delay == 5h);
    CHECK(has(written.warnings, "storage.gcDelay: has no effect while gc is false"));
    CHECK(has(written.warnings, "storage.gcInterval: has no effect while gc is false"));

    Config on = parsed(R"({"storage": {"rootDirectory": "/d", "gcDelay": "0"}})");
    CHECK(on.storage.gc_delay == 0s);
    CHECK(on.storage.gc_interval == 1h);
}

TEST_CASE("gcTimeWindow") {
    auto window = [](std::string_view text) {
        Config config = parsed(R"({"storage": {"rootDirectory": "/d", "gcTimeWindow": )" +
                               std::string(text) + "}}");
        return config.storage.gc_time_window;
    };
    std::optional<GcTimeWindow> night = window(R"("01:00-08:00")");
    REQUIRE(night.has_value());
    CHECK(night->start_minute == 60);
    CHECK(night->end_minute == 480);
    CHECK(night->contains(60));
    CHECK(night->contains(479));
    CHECK_FALSE(night->contains(480));
    CHECK_FALSE(night->contains(59));

    std::optional<GcTimeWindow> wrapping = window(R"("22:30-06:00")");
    REQUIRE(wrapping.has_value());
    CHECK(wrapping->contains(23 * 60));
    CHECK(wrapping->contains(0));
    CHECK(wrapping->contains(359));
    CHECK_FALSE(wrapping->contains(360));
    CHECK_FALSE(wrapping->contains(12 * 60));

    CHECK(window(R"("1:05-2:00")")->start_minute == 65);
    CHECK(window(R"(" 00:00 - 23:59 ")")->end_minute == 23 * 60 + 59);
    CHECK_FALSE(window(R"("")").has_value());
}

TEST_CASE("retention policies") {
    Config config = parsed(R"({"storage": {"rootDirectory": "/d", "retention": {
        "dryRun": true, "delay": "48h", "policies": [
            {"repositories": ["infra/*", "prod/*"], "deleteReferrers": true,
             "deleteUntagged": false,
             "keepTags": [{"patterns": ["v2.*", ".*-prod"]},
                          {"patterns": ["v3.*"], "pulledWithin": "168h"},
                          {"mostRecentlyPushedCount": 10, "mostRecentlyPulledCount": 5,
                           "pushedWithin": "720h"}],
             "keepUntagged": {"mostRecentlyPulledCount": 3, "pulledWithin": "24h"}},
            {"repositories": ["**"]}]}}})");
    const Retention& retention = config.storage.retention;
    CHECK(retention.dry_run);
    CHECK(retention.delay == 48h);
    REQUIRE(retention.policies.size() == 2);
    const RetentionPolicy& first = retention.policies[0];
    CHECK(first.repositories == std::vector<std::string>{"infra/*", "prod/*"});
    CHECK(first.delete_referrers);
    CHECK_FALSE(first.delete_untagged);
    REQUIRE(first.keep_tags.size() == 3);
    CHECK(first.keep_tags[0].patterns == std::vector<std::string>{"v2.*", ".*-prod"});
    CHECK_FALSE(first.keep_tags[0].rules.pulled_within.has_value());
    CHECK(first.keep_tags[1].rules.pulled_within == 168h);
    CHECK(first.keep_tags[2].patterns.empty());
    CHECK(first.keep_tags[2].rules.most_recently_pushed_count == 10);
    CHECK(first.keep_tags[2].rules.most_recently_pulled_count == 5);
    CHECK(first.keep_tags[2].rules.pushed_within == 720h);
    REQUIRE(first.keep_untagged.has_value());
    CHECK(first.keep_untagged->most_recently_pulled_count == 3);
    CHECK(first.keep_untagged->pulled_within == 24h);

    const RetentionPolicy& second = retention.policies[1];
    CHECK_FALSE(second.delete_referrers);
    CHECK(second.delete_untagged); // Zot's default
    CHECK(second.keep_tags.empty());
    CHECK_FALSE(second.keep_untagged.has_value());
}

TEST_CASE("subPaths start from Zot's zero values, not the top level's defaults") {
    Config config = parsed(R"({"storage": {"rootDirectory": "/d", "subPaths": {
        "/a": {"rootDirectory": "/a"},
        "/b": {"rootDirectory": "/b", "dedupe": true, "gc": true, "commit": true},
        "/c": {"rootDirectory": "/c", "gc": true, "gcDelay": "3h", "gcInterval": "4h",
               "gcTimeWindow": "02:00-03:00", "retention": {"delay": "1h"}}}}})");
    const auto& sub_paths = config.storage.sub_paths;
    REQUIRE(sub_paths.size() == 3);

    const StorageConfig& a = sub_paths.at("/a");
    CHECK(a.root_directory == "/a");
    CHECK_FALSE(a.dedupe);
    CHECK_FALSE(a.gc);
    CHECK(a.gc_delay == 0s);
    CHECK(a.gc_interval == 0s);
    CHECK(a.retention.delay == 0s);

    const StorageConfig& b = sub_paths.at("/b");
    CHECK(b.dedupe);
    CHECK(b.gc);
    CHECK(b.commit);
    CHECK(b.gc_delay == 1h);
    CHECK(b.gc_interval == 1h);
    CHECK(b.retention.delay == 24h);

    const StorageConfig& c = sub_paths.at("/c");
    CHECK(c.gc_delay == 3h);
    CHECK(c.gc_interval == 4h);
    CHECK(c.gc_time_window->start_minute == 120);
    CHECK(c.retention.delay == 1h);
    CHECK(config.warnings.empty());
}

TEST_CASE("subPath routes no repository can reach are flagged") {
    for (std::string_view route : {"a", "/", "/a/b", ""}) {
        std::string text = R"({"storage": {"rootDirectory": "/d", "subPaths": {)" +
                           std::string("\"") + std::string(route) +
                           R"(": {"rootDirectory": "/x"}}}})";
        Config config = parsed(text);
        REQUIRE(config.warnings.size() == 1);
        CHECK(config.warnings[0].rfind("storage.subPaths[\"" + std::string(route) + "\"]: ", 0) ==
              0);
    }
    CHECK(parsed(R"({"storage": {"rootDirectory": "/d", "subPaths": {"/a": {"rootDirectory": "/x"},
        "/b": {"rootDirectory": "/x"}}}})")
              .warnings.empty());
}

TEST_CASE("http") {
    Config config = parsed(config_with(R"("http": {"address": "0.0.0.0", "port": "5000",
        "externalUrl": "https://registry.example.org", "realm": "zot",
        "allowOrigin": "https://ui.example.org", "compat": ["docker2s2"],
        "ratelimit": {"rate": 10, "methods": [{"method": "GET", "rate": 5}]}})"));
    const HttpConfig& http = config.http;
    CHECK(http.address == "0.0.0.0");
    CHECK(http.port == 5000);
    CHECK(http.external_url == "https://registry.example.org");
    CHECK(http.realm == "zot");
    CHECK(http.allow_origin == "https://ui.example.org");
    CHECK(http.compat == std::vector<std::string>{"docker2s2"});
    CHECK(http.compat_docker2s2);
    REQUIRE(http.rate_limit.has_value());
    CHECK(http.rate_limit->rate == 10);
    REQUIRE(http.rate_limit->methods.size() == 1);
    CHECK(http.rate_limit->methods[0].method == "GET");
    CHECK(http.rate_limit->methods[0].rate == 5);
}

TEST_CASE("http.port as string or number, 0 to 65535") {
    auto port = [](std::string_view value) {
        return parsed(config_with(R"("http": {"port": )" + std::string(value) + "}")).http.port;
    };
    CHECK(port(R"("8080")") == 8080);
    CHECK(port("8080") == 8080);
    CHECK(port(R"("0")") == 0);
    CHECK(port("0") == 0);
    CHECK(port(R"("65535")") == 65535);
    CHECK(port("65535") == 65535);
    CHECK(port("443.0") == 443);
    CHECK(port(R"("08080")") == 8080);
    CHECK(port(R"("000000000000000080")") == 80);
}

TEST_CASE("an empty realm means Zot's default") {
    CHECK(parsed(config_with(R"("http": {"realm": ""})")).http.realm == "Authorization Required");
}

TEST_CASE("unknown compat values are kept with a warning") {
    Config config = parsed(config_with(R"("http": {"compat": ["docker2s1", "docker2s2"]})"));
    CHECK(config.http.compat == std::vector<std::string>{"docker2s1", "docker2s2"});
    CHECK(config.http.compat_docker2s2);
    CHECK(config.warnings ==
          std::vector<std::string>{
              "http.compat[0]: unknown value \"docker2s1\" has no effect (known: \"docker2s2\")"});
}

TEST_CASE("auth") {
    Config config = parsed(config_with(R"("http": {"auth": {"htpasswd": {"path": "/etc/htpasswd"},
        "failDelay": 5}})"));
    CHECK(config.http.auth.htpasswd_path == "/etc/htpasswd");
    CHECK(config.http.auth.fail_delay == 5s);
    CHECK(config.ignored_keys.empty());
    CHECK(parsed(config_with(R"("http": {"auth": {"failDelay": 3600}})")).http.auth.fail_delay ==
          3600s);
    CHECK_FALSE(config.http.auth.secure_session.has_value());
    CHECK(parsed(config_with(R"("http": {"auth": {"secureSession": true}})"))
              .http.auth.secure_session == true);
    CHECK(parsed(config_with(R"("http": {"auth": {"secureSession": false}})"))
              .http.auth.secure_session == false);
}

TEST_CASE("access control, full structure") {
    Config config = parsed(config_with(R"("http": {
        "auth": {"htpasswd": {"path": "/h"}},
        "accessControl": {
            "groups": {"admins": {"users": ["alice"]}, "ci": {"users": ["robot", "bot"]}},
            "repositories": {
                "**": {"anonymousPolicy": ["read"], "defaultPolicy": ["read", "create"]},
                "infra/*": {"policies": [
                    {"users": ["bob"], "actions": ["read", "create", "update", "delete"]},
                    {"groups": ["ci"], "actions": ["create", "detectManifestCollision"]}]}},
            "adminPolicy": {"users": ["admin"], "groups": ["admins"],
                            "actions": ["read", "create", "update", "delete"]},
            "metrics": {"users": ["prometheus"], "anonymousPolicy": ["read"]}}})"));
    const AccessControl& access = *config.http.access_control;
    CHECK(access.groups.size() == 2);
    CHECK(access.groups.at("ci") == std::vector<std::string>{"robot", "bot"});

    const RepositoryAccess& all = access.repositories.at("**");
    CHECK(all.anonymous_policy.has(Action::read));
    CHECK_FALSE(all.anonymous_policy.has(Action::create));
    CHECK(all.default_policy.has(Action::read));
    CHECK(all.default_policy.has(Action::create));
    CHECK_FALSE(all.default_policy.has(Action::update));
    CHECK(all.policies.empty());

    const RepositoryAccess& infra = access.repositories.at("infra/*");
    REQUIRE(infra.policies.size() == 2);
    CHECK(infra.policies[0].users == std::vector<std::string>{"bob"});
    for (Action action : {Action::read, Action::create, Action::update, Action::remove}) {
        CHECK(infra.policies[0].actions.has(action));
    }
    CHECK_FALSE(infra.policies[0].actions.has(Action::detect_manifest_collision));
    CHECK(infra.policies[1].groups == std::vector<std::string>{"ci"});
    CHECK(infra.policies[1].actions.has(Action::detect_manifest_collision));
    CHECK(infra.default_policy.empty());

    CHECK(access.admin_policy.users == std::vector<std::string>{"admin"});
    CHECK(access.admin_policy.groups == std::vector<std::string>{"admins"});
    CHECK(access.admin_policy.actions.has(Action::remove));
    CHECK(access.metrics.users == std::vector<std::string>{"prometheus"});
    CHECK(access.metrics.anonymous_policy.has(Action::read));
    CHECK(config.refused_keys.empty());
    CHECK(config.warnings.empty());
}

TEST_CASE("unknown actions grant nothing and are flagged, as they are no-ops in Zot") {
    Config config = parsed(config_with(R"("http": {"accessControl": {"repositories": {
        "**": {"anonymousPolicy": ["read", "write", "Read"]}}}})"));
    ActionSet actions = config.http.access_control->repositories.at("**").anonymous_policy;
    CHECK(actions.has(Action::read));
    CHECK(actions.bits == static_cast<std::uint8_t>(Action::read));
    REQUIRE(config.warnings.size() == 2);
    CHECK(config.warnings[0] ==
          "http.accessControl.repositories[\"**\"].anonymousPolicy[1]: unknown action \"write\" "
          "grants nothing (actions: read, create, update, delete, detectManifestCollision)");
    CHECK(config.warnings[1].rfind(
              "http.accessControl.repositories[\"**\"].anonymousPolicy[2]: unknown action "
              "\"Read\"",
              0) == 0);
}

TEST_CASE("log levels") {
    const std::pair<std::string_view, LogLevel> levels[] = {
        {"trace", LogLevel::trace}, {"debug", LogLevel::debug}, {"info", LogLevel::info},
        {"warn", LogLevel::warn},   {"error", LogLevel::error}, {"fatal", LogLevel::fatal},
        {"panic", LogLevel::panic}, {"WARN", LogLevel::warn},
    };
    for (auto [name, level] : levels) {
        Config config = parsed(config_with(R"("log": {"level": ")" + std::string(name) + "\"}"));
        CHECK(config.log.level == level);
    }
    CHECK(to_string(LogLevel::warn) == "warn");
    Config config = parsed(config_with(R"("log": {"output": "/var/log/zot.log",
        "audit": "/var/log/zot-audit.log"})"));
    CHECK(config.log.output == "/var/log/zot.log");
    CHECK(config.log.audit == "/var/log/zot-audit.log");
}

TEST_CASE("an extension named is on unless it says enable: false") {
    CHECK_FALSE(parsed(config_with(R"("extensions": {})")).extensions.metrics.enable);

    Config bare = parsed(
        config_with(R"("extensions": {"search": {}, "ui": {}, "metrics": {}, "scrub": {}})"));
    CHECK(bare.extensions.search.enable);
    CHECK_FALSE(bare.extensions.search.cve);
    CHECK(bare.extensions.ui.enable);
    CHECK(bare.extensions.metrics.enable);
    CHECK(bare.extensions.metrics.path == "/metrics");
    CHECK(bare.extensions.scrub.enable);
    CHECK(bare.extensions.scrub.interval == 24h);
    CHECK(bare.ignored_keys.empty());

    Config off = parsed(config_with(R"("extensions": {"search": {"enable": false},
        "metrics": {"enable": false, "prometheus": {"path": "/m"}},
        "scrub": {"enable": false, "interval": "1h"}})"));
    CHECK_FALSE(off.extensions.search.enable);
    CHECK_FALSE(off.extensions.metrics.enable);
    CHECK(off.extensions.metrics.path == "/m");
    CHECK_FALSE(off.extensions.scrub.enable);
    CHECK(off.warnings.empty()); // a disabled scrub's interval is not raised
}

TEST_CASE("scrub interval: 0 means 24h, below 2h is raised to 2h as Zot does") {
    auto scrub = [](std::string_view interval) {
        return parsed(config_with(R"("extensions": {"scrub": {"interval": ")" +
                                  std::string(interval) + "\"}}"));
    };
    CHECK(scrub("0").extensions.scrub.interval == 24h);
    CHECK(scrub("2h").extensions.scrub.interval == 2h);
    CHECK(scrub("2h").warnings.empty());
    CHECK(scrub("168h").extensions.scrub.interval == 168h);
    Config short_interval = scrub("1h59m");
    CHECK(short_interval.extensions.scrub.interval == 2h);
    CHECK(short_interval.warnings ==
          std::vector<std::string>{"extensions.scrub.interval: 1h59m0s is below the "
                                   "minimum; using 2h0m0s"});
}

TEST_CASE("metrics paths that are accepted") {
    for (std::string_view path : {"/metrics", "/internal/metrics", "/v20", "/v2x/m", "/_m-1.txt"}) {
        Config config =
            parsed(config_with(R"("extensions": {"metrics": {"prometheus": {"path": ")" +
                               std::string(path) + "\"}}}"));
        CHECK(config.extensions.metrics.path == path);
    }
}

TEST_CASE("keys of unimplemented features are recorded as ignored") {
    Config config = parsed(R"({
        "distSpecVersion": "1.1.1", "goVersion": "go1.22", "commit": "abc",
        "releaseTag": "v2.1.0", "binaryType": "full",
        "storage": {"rootDirectory": "/d", "remoteCache": false, "redirectBlobURL": false,
            "maxRepos": 10, "fastRestart": true,
            "storageDriver": {"name": "s3", "region": "us-east-2", "bucket": "zot"},
            "cacheDriver": {"name": "dynamodb", "endpoint": "http://localhost:4566"},
            "subPaths": {"/a": {"rootDirectory": "/a", "storageDriver": {"name": "s3"}}}},
        "http": {"readTimeout": "2m", "writeTimeout": "-1s", "auth": {
            "apikey": true, "sessionKeysFile": "/keys.json", "secureSession": true,
            "sessionDriver": {"name": "redis", "url": "redis://localhost"}}},
        "scheduler": {"numWorkers": 3},
        "cluster": {"members": ["a:1", "b:2"], "hashKey": "loremipsumdolors",
                    "tls": {"cacert": "/ca"}},
        "extensions": {
            "search": {"cve": {"updateInterval": "2h", "trivy": {"dbRepository": "x",
                "javaDBRepository": "y", "vulnSeveritySources": ["auto"],
                "sbom": {"enable": true, "format": "spdx-json"}}}},
            "sync": {"enable": true, "credentialsFile": "/c.json", "downloadDir": "/tmp/d",
                "registries": [{"urls": ["https://docker.io"], "onDemand": true,
                    "pollInterval": "6h", "tlsVerify": true, "maxRetries": 3,
                    "retryDelay": "5m", "content": [{"prefix": "**",
                    "tags": {"regex": ".*", "semver": true}, "destination": "/hub",
                    "stripPrefix": false}], "oauth2CredentialHelper": {"anything": 1}}]},
            "lint": {"enable": true, "mandatoryAnnotations": ["org.opencontainers.image.title"]},
            "trust": {"enable": true, "cosign": true, "notation": false},
            "events": {"enable": true, "sinks": [{"type": "http", "address": "http://hook",
                "timeout": "5s", "headers": {"X-A": "b"}, "credentials": {"username": "u",
                "password": "p"}}]},
            "mgmt": {"enable": true}, "apikey": {"enable": true}}})");
    const std::vector<std::string> expected = {
        "storage.remoteCache",
        "storage.redirectBlobURL",
        "storage.maxRepos",
        "storage.fastRestart",
        "storage.storageDriver",
        "storage.cacheDriver",
        "storage.subPaths[\"/a\"].storageDriver",
        "http.readTimeout",
        "http.writeTimeout",
        "http.auth.apikey",
        "http.auth.sessionKeysFile",
        "http.auth.sessionDriver",
        "scheduler",
        "cluster",
        "extensions.search.cve",
        "extensions.sync",
        "extensions.lint",
        "extensions.trust",
        "extensions.events",
        "extensions.mgmt",
        "extensions.apikey",
    };
    for (const std::string& key : expected) {
        INFO("key: ", key);
        CHECK(has(config.ignored_keys, key));
    }
    CHECK(config.ignored_keys.size() == expected.size());
    CHECK(config.refused_keys.empty());
    CHECK(config.http.read_timeout == 2min);
    CHECK(config.http.write_timeout == -1s); // Zot reads <= 0 as "none"; berth ignores it
    CHECK(config.http.auth.api_key);
    CHECK(config.extensions.search.enable);
    CHECK(config.extensions.search.cve);
}

TEST_CASE("keys whose absence would weaken security are refused, parsing still succeeds") {
    Config config = parsed(config_with(R"json("http": {
        "tls": {"cert": "/c.pem", "key": "/k.pem"},
        "auth": {"htpasswd": {"path": "/h"},
            "ldap": {"address": "ldap.example.org", "baseDN": "dc=example", "userAttribute": "uid"},
            "bearer": {"realm": "https://auth/token", "service": "reg", "cert": "/b.pem"},
            "openid": {"providers": {"github": {"clientid": "x", "scopes": ["read:org"]}}},
            "mtls": {"identityAttributes": ["CommonName"]}},
        "accessControl": {"repositories": {"**": {"policies": [
            {"users": ["a"], "actions": ["read"],
             "conditions": [{"expression": "request.ip.startsWith('10.')", "message": "LAN"}]},
            {"users": ["b"], "actions": ["read"], "conditions": []}]}},
            "adminPolicy": {"users": ["root"], "actions": ["delete"],
                            "conditions": [{"expression": "true"}]}}})json"));
    const std::vector<std::string> expected = {
        "http.tls",
        "http.auth.ldap",
        "http.auth.bearer",
        "http.auth.openid",
        "http.auth.mtls",
        "http.accessControl.repositories[\"**\"].policies[0].conditions",
        "http.accessControl.adminPolicy.conditions",
    };
    REQUIRE(config.refused_keys.size() == expected.size());
    for (const std::string& key : expected) {
        INFO("key: ", key);
        const RefusedKey* refusal = refused(config, key);
        REQUIRE(refusal != nullptr);
        CHECK_FALSE(refusal->reason.empty());
    }
    CHECK(refused(config, "http.tls")->reason.find("TLS") != std::string::npos);
    CHECK(refused(config, "http.auth.ldap")->reason.find("LDAP") != std::string::npos);
    CHECK(refused(config, "http.accessControl.adminPolicy.conditions")->reason.find("CEL") !=
          std::string::npos);
    // The policy's other fields are still read.
    CHECK(config.http.access_control->repositories.at("**").policies[0].users[0] == "a");
}

TEST_CASE("a refused authentication method satisfies the access-control rule") {
    // Zot accepts LDAP with default policies; berth refuses LDAP rather than misreport it.
    Config config = parsed(config_with(R"("http": {"auth": {"ldap": {"address": "x"}},
        "accessControl": {"repositories": {"**": {"defaultPolicy": ["read"]}}}})"));
    REQUIRE(config.refused_keys.size() == 1);
    CHECK(config.refused_keys[0].key == "http.auth.ldap");
}

TEST_CASE("access control without authentication may grant anonymous access only") {
    Config config = parsed(config_with(R"("http": {"accessControl": {
        "repositories": {"**": {"anonymousPolicy": ["read", "create"]},
                         "infra/**": {"anonymousPolicy": ["read"], "policies": [{}]}},
        "metrics": {"anonymousPolicy": ["read"]}}})"));
    CHECK(config.http.access_control->repositories.size() == 2);
}

TEST_CASE("a differing distSpecVersion is only informative") {
    Config config = parsed(R"({"distSpecVersion": "1.0.1-dev",
        "storage": {"rootDirectory": "/d"}})");
    CHECK(config.warnings ==
          std::vector<std::string>{"distSpecVersion: \"1.0.1-dev\" differs from the version berth "
                                   "implements (1.1.1); it is only informative"});
}

TEST_CASE("the first key of an object can come in any order") {
    Config config = parsed(R"({"log": {"level": "info"}, "http": {"port": 1},
        "storage": {"gc": false, "rootDirectory": "/d"}})");
    CHECK(config.http.port == 1);
    CHECK_FALSE(config.storage.gc);
}
