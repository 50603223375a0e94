// What a pushed manifest says, once it has been proven to be one (OCI image-spec manifest.md,
// image-index.md, descriptor.md; Docker image manifest v2 schema 2). The registry stores the
// client's bytes untouched; this is only the part of them it needs to act on: the type to serve
// the bytes with, the blobs and manifests they reference, the subject they refer to, and what a
// referrers response says about them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <berth/oci/names.h>
#include <berth/util/expected.h>

namespace berth::oci {

inline constexpr std::string_view oci_manifest_media_type =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_index_media_type = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view docker_manifest_media_type =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_manifest_list_media_type =
    "application/vnd.docker.distribution.manifest.list.v2+json";

// The annotation that names a tag in an image layout's index.json (image-spec image-layout.md).
inline constexpr std::string_view ref_name_annotation = "org.opencontainers.image.ref.name";

// simdjson reads up to this many bytes past the end of its input. A caller that already keeps
// this much readable slack after a body can use the *_padded entry point and skip a copy.
inline constexpr std::size_t json_padding_bytes = 64;

enum class ManifestKind : std::uint8_t {
    oci_manifest,
    oci_index,
    docker_manifest,
    docker_manifest_list,
};

std::string_view media_type_of(ManifestKind kind);
std::optional<ManifestKind> manifest_kind_of(std::string_view media_type);

// True for the four manifest media types berth accepts on push and serves back.
bool is_manifest_media_type(std::string_view media_type);

// An image manifest references blobs (config, layers); an index references other manifests.
inline bool is_index_kind(ManifestKind kind) {
    return kind == ManifestKind::oci_index || kind == ManifestKind::docker_manifest_list;
}

// Ordered as in the document; keys are unique (a duplicate key is rejected).
using Annotations = std::vector<std::pair<std::string, std::string>>;

std::optional<std::string_view> find_annotation(const Annotations& annotations,
                                                std::string_view key);

struct Platform {
    std::string architecture;
    std::string os;
    std::string variant;
    std::string os_version;
    std::vector<std::string> os_features;
    std::vector<std::string> features;
};

struct Descriptor {
    std::string media_type;
    Digest digest;
    std::int64_t size = 0;
    std::string artifact_type; // empty when absent
    // A descriptor with URLs points at content that may live elsewhere (foreign or
    // non-distributable layers), so the registry does not insist on holding it.
    bool has_urls = false;
    Annotations annotations;
    std::optional<Platform> platform;
};

struct ManifestInfo {
    ManifestKind kind = ManifestKind::oci_manifest;
    // The effective type: always one of the four manifest media types, without parameters. It
    // is stored with the bytes and served back as Content-Type.
    std::string media_type;
    std::optional<Descriptor> config;  // image manifests only, always set for them
    std::vector<Descriptor> layers;    // image manifests only; may be empty
    std::vector<Descriptor> manifests; // indexes only; may be empty
    // OCI kinds only: Docker schema 2 has no subject or artifactType, so they are ignored there
    // (a Docker manifest never becomes a referrer).
    std::optional<Descriptor> subject;
    std::string artifact_type; // empty when absent
    Annotations annotations;
};

struct ManifestError {
    std::string message; // the MANIFEST_INVALID detail; names the offending field
};

// `body` is what the client sent; `content_type` is the request's Content-Type header (empty
// when there was none; parameters and case are ignored). The body is copied once to give the
// parser its padding.
Expected<ManifestInfo, ManifestError> parse_manifest(std::string_view body,
                                                     std::string_view content_type);

// As parse_manifest, without the copy: the json_padding_bytes after `body` must be readable
// (their content does not matter).
Expected<ManifestInfo, ManifestError> parse_manifest_padded(std::string_view body,
                                                            std::string_view content_type);

// The artifactType a referrers response gives this manifest (distribution-spec referrers):
// its own artifactType, else the config's media type for an image manifest, else empty, in
// which case the response omits the field.
std::string referrer_artifact_type(const ManifestInfo& info);

// A repository's index.json (an OCI image index on disk; tags are the ref.name annotation of
// its descriptors). It may have been written by another registry or tool, so it is read
// leniently where that costs nothing: schemaVersion and mediaType may be absent and
// `manifests` may be null. Each descriptor is still checked in full, since paths are built
// from its digest.
Expected<std::vector<Descriptor>, ManifestError> parse_index_json(std::string_view body);

} // namespace berth::oci
