// zot-config.json as berth understands it: one typed, validated value built from the text of
// the file. Parsing is pure (no file, clock or environment is consulted), so the same text
// always yields the same Config or the same error. docs/configuration.md is the reference
// for every key; the field comments here say only what the code needs to know.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <berth/config/duration.h>
#include <berth/util/expected.h>

namespace berth::config {

// ---- storage ---------------------------------------------------------------------------

// The retention rules one keepTags entry or keepUntagged applies; OR-ed together.
struct KeepRules {
    std::int64_t most_recently_pushed_count = 0; // 0 = rule absent
    std::int64_t most_recently_pulled_count = 0; // 0 = rule absent
    std::optional<Duration> pulled_within;
    std::optional<Duration> pushed_within;
};

struct KeepTagsRule {
    std::vector<std::string> patterns; // RE2 syntax (same as Go's regexp), checked to compile
    KeepRules rules;
};

struct RetentionPolicy {
    std::vector<std::string> repositories; // globs such as "tmp/**", checked to be well-formed
    bool delete_referrers = false;
    bool delete_untagged = true;
    std::vector<KeepTagsRule> keep_tags; // empty = keep every tag
    std::optional<KeepRules> keep_untagged;
};

struct Retention {
    bool dry_run = false;
    // Minimum age of an untagged manifest or a referrer before it may go. 24h as Zot's
    // code has it; 0 when gc is off and the key is absent.
    Duration delay = std::chrono::hours{24};
    std::vector<RetentionPolicy> policies; // the first whose glob matches a repository wins
};

// A daily window, in UTC minutes since midnight, in which a periodic GC sweep may start.
// start > end wraps past midnight; start == end is rejected when parsed.
struct GcTimeWindow {
    std::uint16_t start_minute = 0;
    std::uint16_t end_minute = 0;

    bool contains(std::uint16_t minute_of_day) const {
        if (start_minute <= end_minute) {
            return minute_of_day >= start_minute && minute_of_day < end_minute;
        }
        return minute_of_day >= start_minute || minute_of_day < end_minute;
    }
};

// One image store: the top-level storage object, or one entry of subPaths. The defaults
// below are the top level's; a subPath starts with dedupe and gc off, as in Zot.
struct StorageConfig {
    std::string root_directory; // required, never checked against the filesystem here
    bool dedupe = true;
    bool gc = true;
    Duration gc_delay = std::chrono::hours{1};    // 0 when gc is off and the key is absent
    Duration gc_interval = std::chrono::hours{1}; // 0 when gc is off and the key is absent
    std::optional<GcTimeWindow> gc_time_window;
    bool commit = false; // also fsync upload chunks as acknowledged (blobs, index: always)
    Retention retention;
};

struct Storage : StorageConfig {
    // Route ("/team", matched against the first component of a repository name) → store.
    std::map<std::string, StorageConfig> sub_paths;
};

// ---- http ------------------------------------------------------------------------------

// What a policy lets one do to a repository; `remove` is Zot's "delete".
enum class Action : std::uint8_t {
    read = 1,
    create = 2,
    update = 4,
    remove = 8,
    detect_manifest_collision = 16, // behavioural: refuse digest deletes shared by tags
};

struct ActionSet {
    std::uint8_t bits = 0;

    bool has(Action action) const { return (bits & static_cast<std::uint8_t>(action)) != 0; }
    void add(Action action) { bits |= static_cast<std::uint8_t>(action); }
    bool empty() const { return bits == 0; }
    bool operator==(const ActionSet&) const = default;
};

struct Policy {
    std::vector<std::string> users;
    std::vector<std::string> groups;
    ActionSet actions;
};

struct RepositoryAccess {
    std::vector<Policy> policies;
    ActionSet default_policy;   // any authenticated user
    ActionSet anonymous_policy; // requests without credentials
};

struct MetricsAccess {
    std::vector<std::string> users; // empty = no authenticated user may scrape
    ActionSet anonymous_policy;
};

struct AccessControl {
    std::map<std::string, std::vector<std::string>> groups; // group → users, names as written
    std::map<std::string, RepositoryAccess> repositories;   // glob → access; longest match wins
    Policy admin_policy;
    MetricsAccess metrics;
};

struct AuthConfig {
    std::string htpasswd_path; // empty = htpasswd authentication off
    std::chrono::seconds fail_delay{0};
    bool api_key = false; // accepted and ignored (recorded in Config::ignored_keys)
    // The web UI's session cookie: Secure always (true), never (false), or when the request came
    // over HTTPS as X-Forwarded-Proto says (unset; Zot's default follows its own TLS).
    std::optional<bool> secure_session;
};

struct MethodRateLimit {
    std::string method; // upper case, as on the request line
    std::int64_t rate = 0;
};

struct RateLimit {
    std::optional<std::int64_t> rate; // requests per second per client address
    std::vector<MethodRateLimit> methods;
};

struct HttpConfig {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080; // 0 = chosen by the kernel
    std::string external_url;
    std::string realm = "Authorization Required"; // the Basic realm; "" in the file = this
    std::string allow_origin;                     // CORS Access-Control-Allow-Origin
    // Kept for completeness only: berth bounds requests with the progress timeouts of
    // BerthConfig instead (a whole-request deadline cuts large uploads).
    Duration read_timeout = std::chrono::seconds{60};
    Duration write_timeout = std::chrono::seconds{60};
    AuthConfig auth;
    std::optional<AccessControl> access_control; // present = authorization on
    std::optional<RateLimit> rate_limit;
    std::vector<std::string> compat; // as written
    bool compat_docker2s2 = false;   // berth accepts Docker schema 2 either way
};

// ---- log -------------------------------------------------------------------------------

enum class LogLevel : std::uint8_t { trace, debug, info, warn, error, fatal, panic };

std::string_view to_string(LogLevel level);

struct LogConfig {
    LogLevel level = LogLevel::debug;
    std::string output; // empty = standard output
    std::string audit;  // empty = no audit log
};

// ---- extensions ------------------------------------------------------------------------

// An extension named in the file is enabled unless it says "enable": false.
struct SearchExtension {
    bool enable = false;
    bool cve = false; // cve was configured (recorded as ignored: berth has no CVE scanner)
};

struct UiExtension {
    bool enable = false;
};

struct MetricsExtension {
    bool enable = false;
    std::string path = "/metrics";
};

struct ScrubExtension {
    bool enable = false;
    // Raised to 2h when shorter, as Zot does (with a warning).
    Duration interval = std::chrono::hours{24};
};

struct Extensions {
    SearchExtension search;
    UiExtension ui;
    MetricsExtension metrics;
    ScrubExtension scrub;
};

// ---- berth's own tunables (the top-level "berth" object) -------------------------------

struct BerthConfig {
    std::uint32_t buffer_size = 65536; // bytes per I/O buffer
    std::uint32_t buffer_count = 128;  // buffers in the receive pool
    std::uint32_t max_connections = 8192;
    // The whole request head must arrive within this.
    Duration header_timeout = std::chrono::seconds{30};
    // A keep-alive connection with no request is closed after this.
    Duration idle_timeout = std::chrono::seconds{75};
    // A request body (or a response) that makes no progress for this long is cut; there is
    // deliberately no deadline for a whole request.
    Duration body_timeout = std::chrono::seconds{60};
    Duration send_timeout = std::chrono::seconds{60};
    // On SIGTERM, requests in flight get this long (may be 0).
    Duration drain_timeout = std::chrono::seconds{10};
    std::uint32_t max_header_bytes = 16384;
    std::uint32_t max_url_bytes = 8192; // never more than max_header_bytes
    std::uint64_t max_manifest_bytes = 4194304;
    // Uploads idle for longer than this are removed.
    Duration upload_session_lifetime = std::chrono::hours{24};
    std::uint64_t manifest_cache_bytes = 8388608;  // 0 = no cache
    std::uint32_t credential_cache_entries = 1024; // 0 = no cache
    Duration credential_cache_ttl = std::chrono::hours{1};

    // The bytes the receive pool holds: the budget for request bodies in flight.
    std::uint64_t receive_pool_bytes() const {
        return std::uint64_t{buffer_size} * std::uint64_t{buffer_count};
    }
};

// ---- the whole ---------------------------------------------------------------------------

// A key whose effect berth would not provide, where going on without it would let in
// someone the administrator meant to keep out. The server refuses to start while any exist.
struct RefusedKey {
    std::string key; // key path, e.g. "http.tls"
    std::string reason;
};

struct Config {
    Storage storage;
    HttpConfig http;
    LogConfig log;
    Extensions extensions;
    BerthConfig berth;

    // Valid Zot keys for features berth does not have, by key path ("storage.storageDriver");
    // the server logs each once.
    std::vector<std::string> ignored_keys;
    std::vector<RefusedKey> refused_keys;
    // Values berth accepted but changed or will not use, each "<key path>: <what>";
    // the server logs each once.
    std::vector<std::string> warnings;
};

struct ConfigError {
    std::string message; // "<key path>: <problem>", or "invalid JSON at line L, column C: ..."
};

// One store the server opens: the top level's, or the directory of one or more subPaths
// (routes whose rootDirectory is the same path, compared lexically, share it; validation made
// sure they agree on dedupe and GC; the first route in byte order gives the other settings).
struct StoreLayout {
    const StorageConfig* config;
    std::vector<std::string> routes; // empty for the top level's store
};

// The top level's store first, then one per distinct subPath directory. Points into `storage`.
std::vector<StoreLayout> store_layouts(const Storage& storage);

// Parses and validates the text of a zot-config.json. Keys are case-insensitive, unknown
// keys are errors, and the first problem found is the one reported.
Expected<Config, ConfigError> parse_config(std::string_view json_text);

} // namespace berth::config
