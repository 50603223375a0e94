// The `/v2/` URL grammar (distribution-spec endpoints, checklist §2.6). A repository name holds
// `/`, so suffixes are matched from the right; names may even contain `blobs` or `manifests`
// components. The parser ignores the method: a wrong method on a known route is for the
// registry layer to answer (405).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <berth/oci/names.h>
#include <berth/registry/errors.h>

namespace berth::registry {

enum class RouteKind : std::uint8_t {
    not_found,
    base,                 // /v2/ and /v2
    catalog,              // /v2/_catalog
    tags_list,            // /v2/<name>/tags/list
    manifest,             // /v2/<name>/manifests/<tag-or-digest>
    blob,                 // /v2/<name>/blobs/<digest>
    upload_start,         // /v2/<name>/blobs/uploads/ and /v2/<name>/blobs/uploads
    upload,               // /v2/<name>/blobs/uploads/<id>
    referrers,            // /v2/<name>/referrers/<digest>
    registry_extension,   // /v2/_<ext>/...
    repository_extension, // /v2/<name>/_<ext>/...
};

// Set when the path has the shape of a route but one of its parts is not acceptable. The
// first failing part wins, checked from the left: the name before the reference.
enum class RouteError : std::uint8_t {
    none,
    path_invalid,       // a malformed %-escape, an encoded `/` or a NUL: kind is not_found
    name_invalid,       // NAME_INVALID
    reference_invalid,  // a manifest reference that is neither a tag nor a digest
    digest_invalid,     // DIGEST_INVALID: malformed, wrong length, upper-case hex
    digest_unsupported, // well-formed digest of an algorithm other than sha256/sha512
    upload_id_invalid,  // not `[A-Za-z0-9._=-]{1,128}`: no session of ours can have it
};

struct Route {
    RouteKind kind = RouteKind::not_found;
    RouteError error = RouteError::none;
    std::string name;      // the repository, decoded (empty for registry-level routes)
    std::string reference; // decoded tag, digest text, or upload id
    // The parsed digest of a blob or referrers route, or of a manifest route by digest.
    std::optional<oci::Digest> digest;
    // For extensions: the decoded path from the `_<ext>` segment on, e.g. `_zot/ext/search`.
    std::string extension_path;
};

// `path` is the request target's path, still percent-encoded and without the query string.
Route parse_route(std::string_view path);

// The OCI error a route error calls for, when the registry layer has nothing more specific:
// NAME_INVALID; MANIFEST_INVALID for a bad tag (a GET may prefer 404 MANIFEST_UNKNOWN);
// DIGEST_INVALID for malformed and unsupported digests alike (400 whatever the method);
// BLOB_UPLOAD_UNKNOWN for an id we cannot have issued. nullopt for none and path_invalid
// (a plain 400 / 404 without a registry error code).
std::optional<ErrorCode> route_error_code(RouteError error);

std::string_view route_kind_name(RouteKind kind);

} // namespace berth::registry
