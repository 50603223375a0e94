// Browser sessions for the web UI: after a login with registry credentials the browser holds
// only a random session id in an HttpOnly cookie, never the password.
//
// An id is 32 bytes from the kernel, shown as 64 hex digits. The store keeps the SHA-256 of
// each id, never the id itself, and finds a session by that hash, so a lookup's timing says
// nothing about how close a guess came. Sessions expire a fixed time after login, and the
// store is bounded: when full, the session closest to expiry makes room for the new one.
#pragma once

#include <berth/io/timer.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace berth::auth {

struct Session {
    std::string user;
    // Authenticator::credential_stamp at login: the session ends when the user's htpasswd
    // entry changes or goes.
    std::uint64_t stamp = 0;
    io::Clock::time_point expires;
};

class Sessions {
public:
    Sessions(std::size_t sessions_max, io::Clock::duration lifetime);

    // A new session for `user`; returns its id, for the cookie.
    std::string create(std::string user, std::uint64_t stamp, io::Clock::time_point now);
    // The live session behind `id`, or nothing (unknown, malformed or expired).
    const Session* find(std::string_view id, io::Clock::time_point now);
    void remove(std::string_view id);

    std::size_t size() const { return by_hash_.size(); }
    io::Clock::duration lifetime() const { return lifetime_; }

    // The shape of an id: 64 lowercase hex digits.
    static bool well_formed(std::string_view id);

private:
    using Hash = std::string; // 32 raw bytes of SHA-256
    static Hash hash_of(std::string_view id);
    void erase(std::unordered_map<Hash, Session>::iterator found);
    void forget_expired(io::Clock::time_point now);

    std::size_t sessions_max_;
    io::Clock::duration lifetime_;
    std::unordered_map<Hash, Session> by_hash_;
    std::multimap<io::Clock::time_point, Hash> by_expiry_;
};

} // namespace berth::auth
