#include <berth/auth/htpasswd.h>

namespace berth::auth {

bool supported_hash(std::string_view hash) {
    for (std::string_view prefix : {"$2a$", "$2b$", "$2y$", "$5$", "$6$"}) {
        if (hash.starts_with(prefix) && hash.size() > prefix.size() + 8) {
            return true;
        }
    }
    return false;
}

Expected<Htpasswd, std::string> parse_htpasswd(std::string_view text) {
    Htpasswd file;
    std::size_t number = 0;
    while (!text.empty()) {
        std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        number++;
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        if (line.empty() || line.starts_with('#')) {
            continue;
        }
        std::size_t colon = line.find(':');
        std::string where = "line " + std::to_string(number) + ": ";
        if (colon == 0 || colon == std::string_view::npos) {
            return Unexpected(where + "expected user:hash");
        }
        std::string_view user = line.substr(0, colon);
        std::string_view hash = line.substr(colon + 1);
        if (!supported_hash(hash)) {
            return Unexpected(where + "user " + std::string(user) +
                              ": unsupported hash (use bcrypt: htpasswd -B, or SHA-crypt)");
        }
        if (!file.hashes.emplace(user, hash).second) {
            return Unexpected(where + "user " + std::string(user) + " appears twice");
        }
    }
    return file;
}

} // namespace berth::auth
