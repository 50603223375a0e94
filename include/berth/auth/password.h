// Password hashes through the system's libxcrypt: the same crypt_r that reads bcrypt and
// SHA-crypt hashes of htpasswd files.
#pragma once

#include <string>
#include <string_view>

namespace berth::auth {

// True when `password` hashes to `hash`; the comparison takes the same time wherever the
// two differ. Costs tens of milliseconds for bcrypt: call it off the loop (io::Worker).
bool verify_password(std::string_view password, const std::string& hash);

// A new bcrypt hash ($2y$, as htpasswd -B writes) of `password`; empty on failure.
std::string hash_password(std::string_view password, unsigned cost = 10);

} // namespace berth::auth
