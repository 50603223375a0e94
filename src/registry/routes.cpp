#include <array>
#include <span>
#include <vector>

#include <berth/registry/routes.h>
#include <berth/util/percent.h>

namespace berth::registry {
namespace {

using Segments = std::span<const std::string>;

// Decodes every `/`-separated segment of `rest` on its own, so an encoded `/` can neither split
// nor join segments. nullopt for a malformed escape, an encoded `/` or a NUL.
std::optional<std::vector<std::string>> decode_segments(std::string_view rest) {
    std::vector<std::string> segments;
    while (true) {
        const std::size_t slash = rest.find('/');
        std::string segment;
        if (!util::percent_decode_append(rest.substr(0, slash), segment) ||
            segment.find('/') != std::string::npos) {
            return std::nullopt;
        }
        segments.push_back(std::move(segment));
        if (slash == std::string_view::npos) {
            return segments;
        }
        rest.remove_prefix(slash + 1);
    }
}

std::string join(Segments segments) {
    std::string out;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        if (i != 0) {
            out.push_back('/');
        }
        out.append(segments[i]);
    }
    return out;
}

bool is_extension_segment(const std::string& segment) {
    return !segment.empty() && segment.front() == '_';
}

// The right-most standard suffix: its kind and how many trailing segments it takes.
struct SuffixMatch {
    RouteKind kind = RouteKind::not_found;
    std::size_t length = 0;
};

SuffixMatch match_suffix(Segments s) {
    const std::size_t k = s.size();
    // Each suffix needs at least one name segment before it, hence `k > length`.
    const auto at = [&](std::size_t from_end) -> const std::string& {
        return s[k - from_end];
    };
    if (k > 3 && at(1).empty() && at(2) == "uploads" && at(3) == "blobs") {
        return {RouteKind::upload_start, 3};
    }
    if (k > 2 && at(1) == "uploads" && at(2) == "blobs") {
        return {RouteKind::upload_start, 2};
    }
    if (k > 3 && at(2) == "uploads" && at(3) == "blobs") {
        return {RouteKind::upload, 3};
    }
    if (k > 2 && at(1) == "list" && at(2) == "tags") {
        return {RouteKind::tags_list, 2};
    }
    if (k > 2 && at(2) == "blobs") {
        return {RouteKind::blob, 2};
    }
    if (k > 2 && at(2) == "manifests") {
        return {RouteKind::manifest, 2};
    }
    if (k > 2 && at(2) == "referrers") {
        return {RouteKind::referrers, 2};
    }
    return {};
}

RouteError digest_error(oci::DigestError error) {
    return error == oci::DigestError::unsupported ? RouteError::digest_unsupported
                                                  : RouteError::digest_invalid;
}

// Validates the reference part of a matched route and records it in `route`.
void set_reference(Route& route, std::string reference) {
    switch (route.kind) {
    case RouteKind::manifest:
        if (reference.find(':') == std::string::npos) {
            // A tag never holds `:`, a digest always does (checklist §2.2).
            if (!oci::valid_tag(reference)) {
                route.error = RouteError::reference_invalid;
            }
            break;
        }
        [[fallthrough]];
    case RouteKind::blob:
    case RouteKind::referrers: {
        auto digest = oci::parse_digest(reference);
        if (digest) {
            route.digest = std::move(*digest);
        } else {
            route.error = digest_error(digest.error());
        }
        break;
    }
    case RouteKind::upload:
        if (!oci::valid_upload_id(reference)) {
            route.error = RouteError::upload_id_invalid;
        }
        break;
    default:
        break;
    }
    route.reference = std::move(reference);
}

// Routes below `/v2/<something>`: `s` holds the decoded segments, at least one.
Route route_segments(std::vector<std::string>& s) {
    Route route;
    // Names never begin with `_`, so the first segment tells registry-level paths apart.
    if (is_extension_segment(s.front())) {
        if (s.size() == 1 && s.front() == "_catalog") {
            route.kind = RouteKind::catalog;
        } else {
            route.kind = RouteKind::registry_extension;
            route.extension_path = join(s);
        }
        return route;
    }
    const SuffixMatch suffix = match_suffix(s);
    const std::size_t name_length = s.size() - suffix.length;
    // A `_` segment cannot be part of a name; before one, the path is a repository extension.
    // Only the name part is searched: a tag such as `_latest` may start with `_`.
    const std::size_t search_end = suffix.kind == RouteKind::not_found ? s.size() : name_length;
    for (std::size_t i = 1; i < search_end; ++i) {
        if (is_extension_segment(s[i])) {
            route.kind = RouteKind::repository_extension;
            route.name = join(Segments(s).first(i));
            route.extension_path = join(Segments(s).subspan(i));
            if (!oci::valid_repository_name(route.name)) {
                route.error = RouteError::name_invalid;
            }
            return route;
        }
    }
    if (suffix.kind == RouteKind::not_found) {
        return route;
    }
    route.kind = suffix.kind;
    route.name = join(Segments(s).first(name_length));
    const bool has_reference =
        suffix.kind == RouteKind::manifest || suffix.kind == RouteKind::blob ||
        suffix.kind == RouteKind::referrers || suffix.kind == RouteKind::upload;
    if (!oci::valid_repository_name(route.name)) {
        route.error = RouteError::name_invalid;
        if (has_reference) {
            route.reference = std::move(s.back());
        }
        return route;
    }
    if (has_reference) {
        set_reference(route, std::move(s.back()));
    }
    return route;
}

} // namespace

Route parse_route(std::string_view path) {
    constexpr std::string_view prefix = "/v2/";
    Route route;
    if (path == "/v2" || path == prefix) {
        route.kind = RouteKind::base;
        return route;
    }
    if (!path.starts_with(prefix)) {
        return route;
    }
    auto segments = decode_segments(path.substr(prefix.size()));
    if (!segments) {
        route.error = RouteError::path_invalid;
        return route;
    }
    return route_segments(*segments);
}

std::optional<ErrorCode> route_error_code(RouteError error) {
    switch (error) {
    case RouteError::name_invalid:
        return ErrorCode::name_invalid;
    case RouteError::reference_invalid:
        return ErrorCode::manifest_invalid;
    case RouteError::digest_invalid:
    case RouteError::digest_unsupported:
        return ErrorCode::digest_invalid;
    case RouteError::upload_id_invalid:
        return ErrorCode::blob_upload_unknown;
    case RouteError::none:
    case RouteError::path_invalid:
        break;
    }
    return std::nullopt;
}

std::string_view route_kind_name(RouteKind kind) {
    static constexpr std::array<std::string_view, 11> names = {
        "not_found",
        "base",
        "catalog",
        "tags_list",
        "manifest",
        "blob",
        "upload_start",
        "upload",
        "referrers",
        "registry_extension",
        "repository_extension",
    };
    return names[static_cast<std::size_t>(kind)];
}

} // namespace berth::registry
