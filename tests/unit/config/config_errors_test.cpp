#include <doctest/doctest.h>

#include <berth/config/config.h>

#include "config_test_support.h"

using namespace berth::config;
using namespace berth::config::testing;

namespace {

// The error for `members` added to a valid configuration.
std::string error_with(std::string_view members) {
    return error_of(config_with(members));
}

std::string berth_error(std::string_view key, std::string_view value) {
    return error_with(R"("berth": {")" + std::string(key) + "\": " + std::string(value) + "}");
}

bool berth_accepts(std::string_view key, std::string_view value) {
    return parse_config(
               config_with(R"("berth": {")" + std::string(key) + "\": " + std::string(value) + "}"))
        .has_value();
}

} // namespace

TEST_CASE("an empty file is an error") {
    CHECK(error_of("") == "the configuration is empty");
    CHECK(error_of(" \n\t\r\n") == "the configuration is empty");
}

TEST_CASE("invalid JSON names line and column") {
    CHECK(error_of("{\n  \"storage\": {\n    \"rootDirectory\": \"/d\",\n  }\n}") ==
          "invalid JSON at line 4, column 3: expected a key after ',' (JSON allows no trailing "
          "comma)");
    CHECK(error_of("{\"storage\": {\"rootDirectory\": \"/d\"}\n\"http\": {}}") ==
          "invalid JSON at line 2, column 1: expected ',' or '}', found '\"'");
    CHECK(error_of("{\n  \"http\": {\n    \"port\": 8080,\n    // the port\n  }\n}") ==
          "invalid JSON at line 4, column 5: expected a key in double quotes, found '/'");
    CHECK(error_of("{\"storage\": {\"rootDirectory\": \"/d\"}") ==
          "invalid JSON at line 1, column 36: unexpected end of input: the object opened at "
          "line 1, column 1 is not closed");
    CHECK(error_of("{\"log\": {\"level\": 'debug'}}") ==
          "invalid JSON at line 1, column 19: expected a value, found '''");
    CHECK(error_of("{\"a\": tru}") == "invalid JSON at line 1, column 7: invalid literal "
                                      "(expected 'true')");
    CHECK(error_of("{\"a\": \"x\ny\"}") ==
          "invalid JSON at line 1, column 9: line break inside a string (write \\n)");
}

TEST_CASE("a byte order mark is skipped, and columns count from after it") {
    CHECK(parse_config("\xEF\xBB\xBF{\"storage\": {\"rootDirectory\": \"/d\"}}").has_value());
    CHECK(error_of("\xEF\xBB\xBF{,}") ==
          "invalid JSON at line 1, column 2: expected a key in double quotes, found ','");
    CHECK(error_of("\xEF\xBB\xBF") == "the configuration is empty");
}

TEST_CASE("the document must be an object") {
    CHECK(error_of("[]") == "the configuration must be a JSON object, got array");
    CHECK(error_of("\"storage\"") == "the configuration must be a JSON object, got string");
    CHECK(error_of("null") == "the configuration must be a JSON object, got null");
    CHECK(error_of("42") == "the configuration must be a JSON object, got number");
}

TEST_CASE("unknown keys at every depth") {
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d"}, "foo": 1})") == "foo: unknown key");
    CHECK(error_with(R"("http": {"foo": 1})") == "http.foo: unknown key");
    CHECK(error_with(R"("http": {"auth": {"htpasswd": {"path": "/h", "file": "/h"}}})") ==
          "http.auth.htpasswd.file: unknown key");
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "retention": {"policies": [{},
        {"keepTags": [{"patterns": ["x"], "keepCount": 3}]}]}}})") ==
          "storage.retention.policies[1].keepTags[0].keepCount: unknown key");
    CHECK(error_with(R"("http": {"accessControl": {"repositories": {"**": {"policies": [
        {"users": ["a"], "action": ["read"]}]}}}})") ==
          "http.accessControl.repositories[\"**\"].policies[0].action: unknown key (did you "
          "mean \"actions\"?)");
    CHECK(error_with(R"("extensions": {"sync": {"registries": [{"urls": [],
        "content": [{"prefix": "**", "tag": {}}]}]}})") ==
          "extensions.sync.registries[0].content[0].tag: unknown key (did you mean \"tags\"?)");
    CHECK(error_with(R"("extensions": {"ui": {"path": "./build"}})") ==
          "extensions.ui.path: unknown key");
    CHECK(error_with(R"("berth": {"bufferSizes": 4096})") ==
          "berth.bufferSizes: unknown key (did you mean \"bufferSize\"?)");
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "dedup": true}})") ==
          "storage.dedup: unknown key (did you mean \"dedupe\"?)");
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "subPaths": {"/a": {
        "rootDirectory": "/a", "subPaths": {}}}}})") ==
          "storage.subPaths[\"/a\"].subPaths: unknown key");
    CHECK(error_with(R"("scheduler": {"workers": 2})") == "scheduler.workers: unknown key");
    CHECK(error_with(R"("cluster": {"tls": {"ca": "/x"}})") == "cluster.tls.ca: unknown key");
}

TEST_CASE("repository globs directly under accessControl get a pointer to the new layout") {
    CHECK(error_with(R"("http": {"accessControl": {"**": {"anonymousPolicy": ["read"]}}})") ==
          "http.accessControl.**: unknown key (repository globs and their policies go under "
          "\"repositories\", as in Zot 2)");
}

TEST_CASE("a key given twice is an error, also when spelled differently") {
    CHECK(error_of(R"({"storage": {"rootDirectory": "/a", "rootdirectory": "/b"}})") ==
          "storage.rootDirectory: duplicate key (keys are case-insensitive)");
    CHECK(error_of(R"({"storage": {"rootDirectory": "/a"}, "storage": {}})") ==
          "storage: duplicate key (keys are case-insensitive)");
    CHECK(error_with(R"("http": {"accessControl": {"repositories": {
        "**": {"anonymousPolicy": ["read"]}, "**": {}}}})") ==
          "http.accessControl.repositories[\"**\"]: duplicate key");
}

TEST_CASE("wrong types name what was expected and what was found") {
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "dedupe": "true"}})") ==
          "storage.dedupe: expected a boolean, got string");
    CHECK(error_of(R"({"storage": {"rootDirectory": 7}})") ==
          "storage.rootDirectory: expected a string, got number");
    CHECK(error_of(R"({"storage": []})") == "storage: expected an object, got array");
    CHECK(error_of(R"({"storage": null})") == "storage: expected an object, got null");
    CHECK(error_with(R"("http": {"port": true})") ==
          "http.port: expected a port number (string or integer), got boolean");
    CHECK(error_with(R"("http": {"auth": {"failDelay": "5"}})") ==
          "http.auth.failDelay: expected an integer, got string");
    CHECK(error_with(R"("http": {"auth": {"failDelay": 1.5}})") ==
          "http.auth.failDelay: expected an integer, got 1.5");
    CHECK(error_with(R"("http": {"auth": {"failDelay": 0.1}})") ==
          "http.auth.failDelay: expected an integer, got 0.1");
    CHECK(error_with(R"("http": {"auth": {"failDelay": 1e300}})") ==
          "http.auth.failDelay: expected an integer, got 1e+300");
    CHECK(error_with(R"("http": {"compat": "docker2s2"})") ==
          "http.compat: expected an array, got string");
    CHECK(error_with(R"("http": {"compat": [2]})") ==
          "http.compat[0]: expected a string, got number");
    CHECK(error_with(R"("log": {"level": 1})") == "log.level: expected a string, got number");
    CHECK(error_with(R"("extensions": {"metrics": true})") ==
          "extensions.metrics: expected an object, got boolean");
    CHECK(error_with(R"("extensions": {"search": {"enable": "yes"}})") ==
          "extensions.search.enable: expected a boolean, got string");
    CHECK(error_with(R"("http": {"tls": "on"})") == "http.tls: expected an object, got string");
    CHECK(error_with(R"("extensions": {"lint": {"enable": true, "x": 1}})") ==
          "extensions.lint.x: unknown key");
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "storageDriver": "s3"}})") ==
          "storage.storageDriver: expected an object, got string");
}

TEST_CASE("durations") {
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "gcDelay": "5x"}})") ==
          "storage.gcDelay: invalid duration \"5x\" (use a Go duration such as \"90s\", \"1h\", "
          "\"168h\")");
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "gcInterval": "1 h"}})") ==
          "storage.gcInterval: invalid duration \"1 h\" (use a Go duration such as \"90s\", "
          "\"1h\", \"168h\")");
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "gcDelay": "1d"}})")
              .rfind("storage.gcDelay: invalid duration \"1d\"", 0) == 0);
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "gcDelay": "-1h"}})") ==
          "storage.gcDelay: negative duration \"-1h\" is not allowed");
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "gcDelay": 3600}})") ==
          "storage.gcDelay: expected a duration string such as \"1h\", got number");
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "gcDelay": ""}})")
              .rfind("storage.gcDelay: invalid duration \"\"", 0) == 0);
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "retention": {"policies": [{
        "keepTags": [{"pulledWithin": "-168h"}]}]}}})") ==
          "storage.retention.policies[0].keepTags[0].pulledWithin: negative duration \"-168h\" "
          "is not allowed");
    CHECK(error_with(R"("extensions": {"scrub": {"interval": "daily"}})")
              .rfind("extensions.scrub.interval: invalid duration \"daily\"", 0) == 0);
    CHECK(error_with(R"("http": {"readTimeout": "2 minutes"})")
              .rfind("http.readTimeout: invalid duration", 0) == 0);
}

TEST_CASE("http.port range 0..65535") {
    CHECK(error_with(R"("http": {"port": 65536})") == "http.port: 65536 is out of range 0..65535");
    CHECK(error_with(R"("http": {"port": "65536"})") ==
          "http.port: 65536 is out of range 0..65535");
    CHECK(error_with(R"("http": {"port": 70000})") == "http.port: 70000 is out of range 0..65535");
    CHECK(error_with(R"("http": {"port": "99999999999999999999"})") ==
          "http.port: 99999999999999999999 is out of range 0..65535");
    CHECK(error_with(R"("http": {"port": 18446744073709551615})") ==
          "http.port: 18446744073709551615 is out of range 0..65535");
    CHECK(error_with(R"("http": {"port": -1})") == "http.port: -1 is out of range 0..65535");
    CHECK(error_with(R"("http": {"port": "-1"})") == "http.port: \"-1\" is not a port number");
    CHECK(error_with(R"("http": {"port": "http"})") == "http.port: \"http\" is not a port number");
    CHECK(error_with(R"("http": {"port": ""})") == "http.port: \"\" is not a port number");
    CHECK(error_with(R"("http": {"port": " 80"})") == "http.port: \" 80\" is not a port number");
    CHECK(error_with(R"("http": {"port": 80.5})") == "http.port: expected an integer, got 80.5");
}

TEST_CASE("http header values cannot break their header") {
    CHECK(error_with(R"("http": {"realm": "a\"b"})") ==
          "http.realm: must not contain '\"' or '\\' (it is sent as a quoted string)");
    CHECK(error_with(R"("http": {"realm": "a\r\nX-Injected: 1"})") ==
          "http.realm: must not contain control characters (it is sent in a header)");
    CHECK(error_with(R"("http": {"allowOrigin": "*\n"})") ==
          "http.allowOrigin: must not contain control characters (it is sent in a header)");
}

TEST_CASE("gcTimeWindow") {
    auto window_error = [](std::string_view window) {
        return error_of(R"({"storage": {"rootDirectory": "/d", "gcTimeWindow": ")" +
                        std::string(window) + "\"}}");
    };
    for (std::string_view bad :
         {"01:00", "01:00-", "-08:00", "24:00-08:00", "01:60-08:00", "1-8", "01:00-08:00-09:00",
          "0100-0800", "01:0-08:00", "001:00-08:00", "a1:00-08:00"}) {
        CHECK(window_error(bad) == "storage.gcTimeWindow: invalid window \"" + std::string(bad) +
                                       "\" (use \"HH:MM-HH:MM\" in UTC, such as \"01:00-05:00\")");
    }
    CHECK(window_error("03:00-03:00") ==
          "storage.gcTimeWindow: invalid window \"03:00-03:00\": start and end are equal");
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "gcTimeWindow": 1}})") ==
          "storage.gcTimeWindow: expected a string, got number");
}

TEST_CASE("log level") {
    CHECK(error_with(R"("log": {"level": "verbose"})") ==
          "log.level: unknown level \"verbose\" (levels: trace, debug, info, warn, error, fatal, "
          "panic)");
    CHECK(error_with(R"("log": {"level": "warning"})").rfind("log.level: unknown level", 0) == 0);
    CHECK(error_with(R"("log": {"level": ""})").rfind("log.level: unknown level", 0) == 0);
}

TEST_CASE("metrics path") {
    auto path_error = [](std::string_view path) {
        return error_with(R"("extensions": {"metrics": {"prometheus": {"path": ")" +
                          std::string(path) + "\"}}}");
    };
    const std::string field = "extensions.metrics.prometheus.path: ";
    CHECK(path_error("metrics") == field + "\"metrics\": must start with \"/\"");
    CHECK(path_error("") == field + "\"\": must start with \"/\"");
    CHECK(path_error("/") == field + "\"/\": \"/\" is not allowed (it would shadow every other "
                                     "route)");
    CHECK(path_error("/v2") ==
          field + "\"/v2\": \"/v2\" and the paths below it belong to the registry API");
    CHECK(path_error("/v2/metrics") ==
          field + "\"/v2/metrics\": \"/v2\" and the paths below it belong to the registry API");
    const std::string unclean =
        "must be a clean path (no \"//\", \".\" or \"..\" segments, no trailing \"/\")";
    for (std::string_view bad :
         {"/metrics/", "//metrics", "/a//b", "/a/./b", "/a/../b", "/.", "/..", "/a/.."}) {
        CHECK(path_error(bad) == field + "\"" + std::string(bad) + "\": " + unclean);
    }
    for (std::string_view bad : {"/me trics", "/m?x=1", "/m#top", "/m\\tx"}) {
        CHECK(path_error(bad).find("must be a plain path") != std::string::npos);
    }
}

TEST_CASE("extensions.ui needs search") {
    CHECK(error_with(R"("extensions": {"ui": {}})") ==
          "extensions.ui: needs extensions.search to be enabled");
    CHECK(error_with(R"("extensions": {"ui": {"enable": true}, "search": {"enable": false}})") ==
          "extensions.ui: needs extensions.search to be enabled");
    CHECK(parse_config(config_with(R"("extensions": {"ui": {"enable": false}})")).has_value());
}

TEST_CASE("berth tunables: bounds and powers of two") {
    CHECK(berth_accepts("bufferSize", "4096"));
    CHECK(berth_accepts("bufferSize", "1048576"));
    CHECK(berth_error("bufferSize", "2048") == "berth.bufferSize: 2048 is out of range "
                                               "4096..1048576");
    CHECK(berth_error("bufferSize", "2097152") ==
          "berth.bufferSize: 2097152 is out of range 4096..1048576");
    CHECK(berth_error("bufferSize", "65537") == "berth.bufferSize: 65537 is not a power of two");
    CHECK(berth_error("bufferSize", "\"64k\"") == "berth.bufferSize: expected an integer, got "
                                                  "string");

    CHECK(berth_accepts("bufferCount", "8"));
    CHECK(berth_accepts("bufferCount", "32768"));
    CHECK(berth_error("bufferCount", "4") == "berth.bufferCount: 4 is out of range 8..32768");
    CHECK(berth_error("bufferCount", "65536") ==
          "berth.bufferCount: 65536 is out of range 8..32768");
    CHECK(berth_error("bufferCount", "100") == "berth.bufferCount: 100 is not a power of two");

    CHECK(berth_accepts("maxConnections", "1"));
    CHECK(berth_accepts("maxConnections", "1000000"));
    CHECK(berth_error("maxConnections", "0") ==
          "berth.maxConnections: 0 is out of range 1..1000000");
    CHECK(berth_error("maxConnections", "1000001") ==
          "berth.maxConnections: 1000001 is out of range 1..1000000");

    CHECK(berth_accepts("maxHeaderBytes", "1024") == false); // below maxUrlBytes' default
    CHECK(berth_error("maxHeaderBytes", "1024") ==
          "berth.maxUrlBytes: 8192 is larger than maxHeaderBytes (1024)");
    CHECK(parse_config(config_with(R"("berth": {"maxHeaderBytes": 1024, "maxUrlBytes": 1024})"))
              .has_value());
    CHECK(berth_accepts("maxHeaderBytes", "1048576"));
    CHECK(berth_error("maxHeaderBytes", "1023") ==
          "berth.maxHeaderBytes: 1023 is out of range 1024..1048576");
    CHECK(berth_error("maxHeaderBytes", "1048577") ==
          "berth.maxHeaderBytes: 1048577 is out of range 1024..1048576");

    CHECK(berth_accepts("maxUrlBytes", "256"));
    CHECK(berth_accepts("maxUrlBytes", "16384"));
    CHECK(berth_error("maxUrlBytes", "255") ==
          "berth.maxUrlBytes: 255 is out of range 256..1048576");
    CHECK(berth_error("maxUrlBytes", "16385") ==
          "berth.maxUrlBytes: 16385 is larger than maxHeaderBytes (16384)");

    CHECK(berth_accepts("maxManifestBytes", "4194304"));
    CHECK(berth_accepts("maxManifestBytes", "67108864"));
    CHECK(berth_error("maxManifestBytes", "4194303") ==
          "berth.maxManifestBytes: 4194303 is out of range 4194304..67108864");
    CHECK(berth_error("maxManifestBytes", "67108865") ==
          "berth.maxManifestBytes: 67108865 is out of range 4194304..67108864");

    CHECK(berth_accepts("manifestCacheBytes", "0"));
    CHECK(berth_error("manifestCacheBytes", "-1") ==
          "berth.manifestCacheBytes: -1 is out of range 0..1073741824");
    CHECK(berth_accepts("credentialCacheEntries", "1000000"));
    CHECK(berth_error("credentialCacheEntries", "1000001") ==
          "berth.credentialCacheEntries: 1000001 is out of range 0..1000000");
}

TEST_CASE("berth periods must be positive; drainTimeout may be 0") {
    for (std::string_view key : {"headerTimeout", "idleTimeout", "bodyTimeout", "sendTimeout",
                                 "uploadSessionLifetime", "credentialCacheTtl"}) {
        CHECK(berth_error(key, "\"0\"") ==
              "berth." + std::string(key) + ": must be greater than 0");
        CHECK(berth_error(key, "\"0s\"") ==
              "berth." + std::string(key) + ": must be greater than 0");
        CHECK(berth_error(key, "\"-1s\"") ==
              "berth." + std::string(key) + ": negative duration \"-1s\" is not allowed");
        CHECK(berth_accepts(key, "\"1ns\""));
    }
    CHECK(berth_accepts("drainTimeout", "\"0\""));
    CHECK(berth_error("drainTimeout", "\"-1s\"") ==
          "berth.drainTimeout: negative duration \"-1s\" is not allowed");
    CHECK(berth_error("idleTimeout", "75") ==
          "berth.idleTimeout: expected a duration string such as \"1h\", got number");
}

TEST_CASE("failDelay range") {
    CHECK(error_with(R"("http": {"auth": {"failDelay": -1}})") ==
          "http.auth.failDelay: -1 is out of range 0..3600");
    CHECK(error_with(R"("http": {"auth": {"failDelay": 3601}})") ==
          "http.auth.failDelay: 3601 is out of range 0..3600");
}

TEST_CASE("retention values") {
    auto retention_error = [](std::string_view policy) {
        return error_of(R"({"storage": {"rootDirectory": "/d", "retention": {"policies": [)" +
                        std::string(policy) + "]}}}");
    };
    CHECK(retention_error(R"({"keepTags": [{"mostRecentlyPushedCount": -1}]})") ==
          "storage.retention.policies[0].keepTags[0].mostRecentlyPushedCount: -1 is out of range "
          "0..2147483647");
    CHECK(retention_error(R"({"keepUntagged": {"mostRecentlyPulledCount": 2147483648}})") ==
          "storage.retention.policies[0].keepUntagged.mostRecentlyPulledCount: 2147483648 is out "
          "of range 0..2147483647");
    CHECK(retention_error(R"({"keepTags": [{"patterns": ["v1.*", "(unclosed"]}]})") ==
          "storage.retention.policies[0].keepTags[0].patterns[1]: invalid regular expression "
          "\"(unclosed\": missing ): (unclosed");
    CHECK(retention_error(R"({"repositories": ["infra/[a-"]})") ==
          "storage.retention.policies[0].repositories[0]: invalid glob pattern \"infra/[a-\" (an "
          "unclosed '[' or '{', an empty \"[]\" or a trailing '\\')");
    CHECK(retention_error(R"({"repositories": ["{a,b"]})").find("invalid glob pattern") !=
          std::string::npos);
    CHECK(retention_error(R"({"repositories": ["a}"]})").find("invalid glob pattern") !=
          std::string::npos);
    CHECK(retention_error(R"({"repositories": ["[]"]})").find("invalid glob pattern") !=
          std::string::npos);
    CHECK(retention_error(R"({"repositories": ["a\\"]})").find("invalid glob pattern") !=
          std::string::npos);
    CHECK(retention_error(R"({"deleteUntagged": "yes"})") ==
          "storage.retention.policies[0].deleteUntagged: expected a boolean, got string");
    CHECK(parse_config(R"({"storage": {"rootDirectory": "/d", "retention": {"policies": [
        {"repositories": ["{a,b}/**", "[!x]*", "a\\*", "[a-z]?x"]}]}}})")
              .has_value());
}

TEST_CASE("storage directories") {
    CHECK(error_of("{}") ==
          "storage.rootDirectory: required (the directory that holds the repositories)");
    CHECK(error_of(R"({"http": {"port": "80"}})") ==
          "storage.rootDirectory: required (the directory that holds the repositories)");
    CHECK(error_of(R"({"storage": {"rootDirectory": ""}})") ==
          "storage.rootDirectory: required (the directory that holds the repositories)");
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "subPaths": {"/a": {"gc": true}}}})") ==
          "storage.subPaths[\"/a\"].rootDirectory: required");
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "subPaths": {"/a": {
        "rootDirectory": "/d/"}}}})") ==
          "storage.subPaths[\"/a\"].rootDirectory: \"/d/\" overlaps storage.rootDirectory; each "
          "store needs its own directory");
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "subPaths": {"/a": {
        "rootDirectory": "/d/a"}}}})")
              .find("overlaps storage.rootDirectory") != std::string::npos);
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d/a/..", "subPaths": {"/a": {
        "rootDirectory": "/"}}}})")
              .find("overlaps storage.rootDirectory") != std::string::npos);
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "subPaths": {
        "/a": {"rootDirectory": "/s"}, "/b": {"rootDirectory": "/s/b"}}}})") ==
          "storage.subPaths[\"/a\"].rootDirectory: \"/s\" overlaps the directory of "
          "subPaths[\"/b\"]");
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "subPaths": {
        "/a": {"rootDirectory": "/s", "dedupe": true}, "/b": {"rootDirectory": "/s/"}}}})") ==
          "storage.subPaths[\"/a\"].rootDirectory: shares its directory with subPaths[\"/b\"] but "
          "not dedupe, gc, gcDelay and gcInterval");
    CHECK(error_of(R"({"storage": {"rootDirectory": ".", "subPaths": {"/a": {
        "rootDirectory": "./data/a"}}}})")
              .find("overlaps storage.rootDirectory") != std::string::npos);
    CHECK(parse_config(R"({"storage": {"rootDirectory": ".", "subPaths": {"/a": {
        "rootDirectory": "../a"}}}})")
              .has_value());
    CHECK(parse_config(R"({"storage": {"rootDirectory": "/data", "subPaths": {
        "/a": {"rootDirectory": "/data2"}, "/b": {"rootDirectory": "data"}}}})")
              .has_value());
    CHECK(error_of(R"({"storage": {"rootDirectory": "/d", "subPaths": {"/a": {
        "rootDirectory": "/a", "gc": true, "gcDelay": "0s"}}}})") ==
          "storage.subPaths[\"/a\"].gcDelay: must be greater than 0 while gc is true");
}

TEST_CASE("access control without authentication") {
    const std::string problem =
        ": needs authentication (http.auth.htpasswd); without it only anonymousPolicy may be used";
    CHECK(error_with(R"("http": {"accessControl": {"repositories": {"**": {
        "anonymousPolicy": ["read"], "defaultPolicy": ["read"]}}}})") ==
          "http.accessControl.repositories[\"**\"].defaultPolicy" + problem);
    CHECK(error_with(R"("http": {"accessControl": {"repositories": {"**": {
        "anonymousPolicy": ["read"], "policies": [{"users": ["a"]}]}}}})") ==
          "http.accessControl.repositories[\"**\"].policies[0]" + problem);
    CHECK(error_with(R"("http": {"accessControl": {
        "repositories": {"**": {"anonymousPolicy": ["read"]}},
        "adminPolicy": {"users": ["admin"]}}})") == "http.accessControl.adminPolicy" + problem);
    CHECK(error_with(R"("http": {"accessControl": {}})") == "http.accessControl" + problem);
    CHECK(error_with(R"("http": {"auth": {"htpasswd": {"path": ""}}, "accessControl": {
        "repositories": {"**": {"defaultPolicy": ["read"]}}}})") ==
          "http.accessControl.repositories[\"**\"].defaultPolicy" + problem);
    CHECK(parse_config(config_with(R"("http": {"auth": {"htpasswd": {"path": "/h"}},
        "accessControl": {"repositories": {"**": {"defaultPolicy": ["read"]}}}})"))
              .has_value());
}

TEST_CASE("access control values") {
    CHECK(error_with(R"("http": {"auth": {"htpasswd": {"path": "/h"}}, "accessControl": {
        "repositories": {"infra/{a": {"defaultPolicy": ["read"]}}}})") ==
          "http.accessControl.repositories[\"infra/{a\"]: invalid glob pattern (an unclosed '[' "
          "or '{', an empty \"[]\" or a trailing '\\')");
    CHECK(error_with(R"("http": {"auth": {"htpasswd": {"path": "/h"}}, "accessControl": {
        "groups": {"g": {"users": "alice"}}}})") ==
          "http.accessControl.groups[\"g\"].users: expected an array, got string");
    CHECK(error_with(R"("http": {"auth": {"htpasswd": {"path": "/h"}}, "accessControl": {
        "adminPolicy": {"users": ["a"], "conditions": [{"expr": "true"}]}}})") ==
          "http.accessControl.adminPolicy.conditions[0].expr: unknown key (did you mean "
          "\"expression\"?)");
}

TEST_CASE("rate limits") {
    CHECK(error_with(R"("http": {"ratelimit": {"rate": 0}})") ==
          "http.ratelimit.rate: 0 is out of range 1..1000000");
    CHECK(error_with(R"("http": {"ratelimit": {"methods": [{"method": "GET"}]}})") ==
          "http.ratelimit.methods[0].rate: required");
    CHECK(error_with(R"("http": {"ratelimit": {"methods": [{"rate": 5}]}})") ==
          "http.ratelimit.methods[0].method: required");
    CHECK(error_with(R"("http": {"ratelimit": {"methods": [{"method": "get", "rate": 5}]}})") ==
          "http.ratelimit.methods[0].method: \"get\" is not an HTTP method (write it in upper "
          "case, such as \"GET\")");
}

TEST_CASE("an error inside a skipped value is still reported with its path") {
    CHECK(error_with(R"("extensions": {"events": {"sinks": [{"type": "http"}, {"tls": {
        "cacertFile": "/a", "verify": true}}]}})") ==
          "extensions.events.sinks[1].tls.verify: unknown key");
}
