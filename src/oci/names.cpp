#include <berth/oci/names.h>

namespace berth::oci {
namespace {

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_alnum(char c) {
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

bool is_lower_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// One path component: `[a-z0-9]+` runs joined by exactly one separator token, where a token is
// `.`, `_`, `__` or a run of `-`. Written as a scan instead of a regex so that hostile input of
// any length costs one linear pass and no recursion.
bool valid_name_component(std::string_view component) {
    std::size_t i = 0;
    const std::size_t n = component.size();
    while (true) {
        const std::size_t run_start = i;
        while (i < n && is_lower_alnum(component[i])) {
            ++i;
        }
        if (i == run_start) {
            return false; // empty component, or a separator at the start or after another one
        }
        if (i == n) {
            return true;
        }
        const char separator = component[i];
        if (separator == '.') {
            ++i;
        } else if (separator == '_') {
            ++i;
            if (i < n && component[i] == '_') {
                ++i;
            }
        } else if (separator == '-') {
            while (i < n && component[i] == '-') {
                ++i;
            }
        } else {
            return false;
        }
        // The loop head now demands an alphanumeric run, which also rejects a trailing token.
    }
}

// The media-type halves of RFC 6838: a leading alphanumeric, then up to 126 more
// restricted-name characters.
bool valid_restricted_name(std::string_view part) {
    // RFC 6838 §4.2 caps each restricted-name at 127 characters.
    constexpr std::size_t restricted_name_max = 127;
    if (part.empty() || part.size() > restricted_name_max || !is_alnum(part[0])) {
        return false;
    }
    for (const char c : part.substr(1)) {
        const bool punct = c == '!' || c == '#' || c == '$' || c == '&' || c == '^' || c == '_' ||
                           c == '.' || c == '+' || c == '-';
        if (!is_alnum(c) && !punct) {
            return false;
        }
    }
    return true;
}

// The image-spec algorithm grammar `[a-z0-9]+([+._-][a-z0-9]+)*`.
bool valid_algorithm_grammar(std::string_view algorithm) {
    bool after_separator = true; // the first character must be alphanumeric, as after a separator
    for (const char c : algorithm) {
        if (is_lower_alnum(c)) {
            after_separator = false;
        } else if ((c == '+' || c == '.' || c == '_' || c == '-') && !after_separator) {
            after_separator = true;
        } else {
            return false;
        }
    }
    return !after_separator;
}

bool valid_encoded_grammar(std::string_view encoded) {
    if (encoded.empty()) {
        return false;
    }
    for (const char c : encoded) {
        if (!is_alnum(c) && c != '=' && c != '_' && c != '-') {
            return false;
        }
    }
    return true;
}

bool all_lower_hex(std::string_view text) {
    for (const char c : text) {
        if (!is_lower_hex(c)) {
            return false;
        }
    }
    return true;
}

} // namespace

bool valid_repository_name(std::string_view name) {
    if (name.empty() || name.size() > repository_name_bytes_max) {
        return false;
    }
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = name.find('/', start);
        const std::string_view component = name.substr(
            start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (!valid_name_component(component)) {
            return false;
        }
        if (slash == std::string_view::npos) {
            return true;
        }
        start = slash + 1;
    }
}

bool valid_tag(std::string_view tag) {
    if (tag.empty() || tag.size() > tag_bytes_max) {
        return false;
    }
    if (!is_alnum(tag[0]) && tag[0] != '_') {
        return false;
    }
    for (const char c : tag.substr(1)) {
        if (!is_alnum(c) && c != '_' && c != '.' && c != '-') {
            return false;
        }
    }
    return true;
}

bool valid_media_type(std::string_view media_type) {
    const std::size_t slash = media_type.find('/');
    if (slash == std::string_view::npos) {
        return false;
    }
    return valid_restricted_name(media_type.substr(0, slash)) &&
           valid_restricted_name(media_type.substr(slash + 1));
}

std::string_view Digest::algorithm_name() const {
    return algorithm == DigestAlgorithm::sha512 ? "sha512" : "sha256";
}

std::string Digest::str() const {
    std::string out;
    const std::string_view name = algorithm_name();
    out.reserve(name.size() + 1 + hex.size());
    out.append(name);
    out.push_back(':');
    out.append(hex);
    return out;
}

std::size_t digest_hex_length(DigestAlgorithm algorithm) {
    // Hex characters of a SHA-512 (64 bytes) and a SHA-256 (32 bytes) output.
    constexpr std::size_t sha512_hex = 128;
    constexpr std::size_t sha256_hex = 64;
    return algorithm == DigestAlgorithm::sha512 ? sha512_hex : sha256_hex;
}

Expected<DigestAlgorithm, DigestError> parse_digest_algorithm(std::string_view name) {
    if (name == "sha256") {
        return DigestAlgorithm::sha256;
    }
    if (name == "sha512") {
        return DigestAlgorithm::sha512;
    }
    if (valid_algorithm_grammar(name)) {
        return Unexpected{DigestError::unsupported};
    }
    return Unexpected{DigestError::malformed};
}

Expected<Digest, DigestError> parse_digest(std::string_view text) {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
        return Unexpected{DigestError::malformed};
    }
    const std::string_view algorithm_text = text.substr(0, colon);
    const std::string_view encoded = text.substr(colon + 1);
    if (!valid_encoded_grammar(encoded)) {
        return Unexpected{DigestError::malformed};
    }
    auto algorithm = parse_digest_algorithm(algorithm_text);
    if (!algorithm) {
        return Unexpected{algorithm.error()};
    }
    if (encoded.size() != digest_hex_length(*algorithm) || !all_lower_hex(encoded)) {
        return Unexpected{DigestError::malformed};
    }
    return Digest{*algorithm, std::string(encoded)};
}

bool valid_upload_id(std::string_view id) {
    if (id.empty() || id.size() > upload_id_bytes_max) {
        return false;
    }
    // Both fit the charset, but as a file name under `_uploads` they would mean a directory.
    if (id == "." || id == "..") {
        return false;
    }
    for (const char c : id) {
        if (!is_alnum(c) && c != '.' && c != '_' && c != '=' && c != '-') {
            return false;
        }
    }
    return true;
}

} // namespace berth::oci
