// The grammar of repository names, tags, digests and media types (OCI distribution-spec §2,
// image-spec descriptor.md). Everything that becomes part of a path is checked here first, so
// a value that passes can never climb out of the data directory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <berth/util/expected.h>

namespace berth::oci {

// Names longer than this cannot be used by clients anyway (host[:port]/name ≤ 255).
constexpr std::size_t repository_name_bytes_max = 255;
constexpr std::size_t tag_bytes_max = 128;

// `a/b-c/d.e`: lowercase components joined by `/`, separators `.`, `_`, `__` or runs of `-`.
bool valid_repository_name(std::string_view name);

// `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
bool valid_tag(std::string_view tag);

// RFC 6838 type/subtype, as the image-spec descriptor schema requires.
bool valid_media_type(std::string_view media_type);

enum class DigestAlgorithm : std::uint8_t { sha256, sha512 };

struct Digest {
    DigestAlgorithm algorithm = DigestAlgorithm::sha256;
    std::string hex; // lowercase, 64 (sha256) or 128 (sha512) characters

    std::string_view algorithm_name() const;
    std::string str() const; // "sha256:<hex>"
    bool operator==(const Digest&) const = default;
};

enum class DigestError : std::uint8_t {
    malformed,   // not `alg:encoded`, wrong length, uppercase hex, bad characters
    unsupported, // well-formed under the generic grammar, but not sha256 or sha512
};

Expected<Digest, DigestError> parse_digest(std::string_view text);

std::size_t digest_hex_length(DigestAlgorithm algorithm);

// "sha256" / "sha512"; another name that fits the image-spec algorithm grammar is `unsupported`,
// anything else `malformed`. For `?digest-algorithm=`.
Expected<DigestAlgorithm, DigestError> parse_digest_algorithm(std::string_view name);

// Upload session ids are ours, but they come back in URLs: keep them to a URL-safe charset
// (`[A-Za-z0-9._=-]`) and bounded, so they can name a file under `_uploads` safely. "." and
// ".." fit the charset but are refused: they are directory names, not ids.
constexpr std::size_t upload_id_bytes_max = 128; // a UUID is 36; leaves room for other schemes
bool valid_upload_id(std::string_view id);

} // namespace berth::oci
