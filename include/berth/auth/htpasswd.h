// The htpasswd file: `user:hash` per line. berth accepts the hashes Zot accepts — bcrypt
// ($2a$, $2b$, $2y$) and SHA-crypt ($5$, $6$) — and refuses a file with any other kind
// (MD5 $apr1$, {SHA}, crypt, plain text) rather than silently locking a user out.
#pragma once

#include <berth/util/expected.h>

#include <map>
#include <string>
#include <string_view>

namespace berth::auth {

struct Htpasswd {
    std::map<std::string, std::string, std::less<>> hashes; // user → hash
};

// Fails with "line N: <problem>".
Expected<Htpasswd, std::string> parse_htpasswd(std::string_view text);

bool supported_hash(std::string_view hash);

} // namespace berth::auth
