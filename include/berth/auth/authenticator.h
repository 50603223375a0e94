// Basic authentication against the htpasswd file, cheap after the first request.
//
// A bcrypt check costs tens of milliseconds; registries that run it on every request (a
// client sends credentials with each one) spend most of a small CPU on it. berth runs the
// check once on the helper thread and remembers the credential it verified: keyed by a
// seeded XXH3-128 of the header (never the password itself), bounded in entries, expiring,
// and forgotten when the htpasswd file changes. Identical checks in flight are shared, and
// failed attempts are limited per client address.
#pragma once

#include <berth/config/config.h>
#include <berth/io/event.h>
#include <berth/io/loop.h>
#include <berth/io/task.h>
#include <berth/io/timer.h>
#include <berth/io/worker.h>
#include <berth/util/expected.h>

#include <xxhash.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace berth::auth {

enum class Outcome : std::uint8_t {
    anonymous,     // no credentials (or the empty `:` that some clients send)
    authenticated, // user and password check out
    rejected,      // wrong user or password, or a malformed header
    throttled,     // too many failures from this client address lately
    overloaded,    // too many checks waiting for the helper thread
};

struct Verdict {
    Outcome outcome = Outcome::anonymous;
    std::string user;
};

struct AuthenticatorStats {
    std::uint64_t cache_hits = 0;
    std::uint64_t cache_misses = 0;
    std::uint64_t failures = 0;
};

class Authenticator {
public:
    // Reads the htpasswd file now (before the loop) and watches it for changes afterwards.
    static Expected<std::unique_ptr<Authenticator>, std::string>
    create(io::Loop& loop, const config::Config& config);
    ~Authenticator();
    Authenticator(const Authenticator&) = delete;
    Authenticator& operator=(const Authenticator&) = delete;

    // `authorization` is the Authorization header (empty when absent).
    io::Task<Verdict> authenticate(std::string_view authorization, std::string_view client);

    const AuthenticatorStats& stats() const { return stats_; }
    std::chrono::seconds fail_delay() const { return fail_delay_; }
    // A fingerprint of the user's htpasswd entry, 0 when there is none; it changes when the
    // password does, so a web session can end then.
    std::uint64_t credential_stamp(std::string_view user) const;

private:
    struct Key {
        XXH128_hash_t hash;
        bool operator==(const Key& other) const { return XXH128_isEqual(hash, other.hash) != 0; }
    };
    struct KeyHash {
        std::size_t operator()(const Key& key) const { return key.hash.low64; }
    };
    struct Remembered {
        std::string user;
        io::Clock::time_point expires;
        std::uint64_t generation;
    };
    struct Pending {
        explicit Pending(io::Loop& loop) : done(loop) {}
        io::Event done;
        bool finished = false;
        bool ok = false;
        int waiters = 0;
    };
    struct Failures {
        unsigned count = 0;
        io::Clock::time_point window_start;
    };

    Authenticator(io::Loop& loop, const config::Config& config);
    bool too_many_failures(std::string_view client);
    void count_failure(std::string_view client);
    void forgive_failure(std::string_view client);
    void remember(const Key& key, const std::string& user);
    io::Task<bool> verify(const Key& key, std::string user, std::string password);
    void watch();
    io::Task<void> reload_if_changed();

    io::Loop& loop_;
    std::string path_;
    std::chrono::seconds fail_delay_;
    std::size_t cache_entries_max_;
    io::Clock::duration cache_ttl_;
    std::unique_ptr<io::Worker> worker_;
    std::map<std::string, std::string, std::less<>> hashes_; // user → hash
    std::uint64_t generation_ = 0;
    std::uint64_t seed_ = 0;
    std::unordered_map<Key, Remembered, KeyHash> cache_;
    std::deque<Key> cache_order_;
    std::unordered_map<Key, std::unique_ptr<Pending>, KeyHash> pending_;
    std::unordered_map<std::string, Failures> failures_;
    AuthenticatorStats stats_;
    io::Timer watch_timer_;
    bool reloading_ = false;
    std::int64_t file_mtime_ns_ = 0;
    std::uint64_t file_size_ = 0;
    std::uint64_t file_inode_ = 0;
};

} // namespace berth::auth
