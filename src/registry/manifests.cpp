// GET, HEAD, PUT and DELETE of /v2/<name>/manifests/<tag-or-digest> (checklist end-3, end-7,
// end-9, §5). The bytes are stored and served exactly as pushed, with the type they were
// pushed as; Accept is not consulted, so nothing is ever converted.
#include "handlers.h"

#include <berth/oci/manifest.h>
#include <berth/registry/respond.h>
#include <berth/storage/hasher.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace berth::registry::detail {
namespace {

// ?tag= values of one push by digest (distribution-spec end-7b asks for at least 10). Every
// tag stores the manifest once more through the store, so the count is bounded; beyond it
// the answer is 414, as the spec suggests.
constexpr std::size_t tags_per_push_max = 64;

http::Response manifest_headers(int status, const std::string& digest) {
    http::Response response = api_response(status);
    response.header("Docker-Content-Digest", digest);
    response.header("ETag", entity_tag(digest));
    return response;
}

std::string manifest_location(std::string_view name, const std::string& digest) {
    std::string location = "/v2/";
    location += name;
    location += "/manifests/";
    location += digest;
    return location;
}

// The tags a push creates or moves: the reference when it is a tag, else the ?tag= values
// (each once). nullopt once an invalid or excessive list has been answered; all or nothing.
std::optional<std::vector<std::string>> pushed_tags(Context& context) {
    std::vector<std::string> tags;
    if (!context.route.digest) {
        tags.push_back(context.route.reference);
        return tags;
    }
    for (std::string_view tag : util::query_all(context.query, "tag")) {
        if (!oci::valid_tag(tag)) {
            context.exchange.respond(
                error_response(ErrorCode::manifest_invalid, "invalid tag", std::string(tag)));
            return std::nullopt;
        }
        if (std::find(tags.begin(), tags.end(), tag) == tags.end()) {
            tags.emplace_back(tag);
        }
    }
    if (tags.size() > tags_per_push_max) {
        context.exchange.respond(
            error_response_with_status(414, ErrorCode::manifest_invalid, "too many tags"));
        return std::nullopt;
    }
    return tags;
}

// Conditional tag pushes (checklist G17): If-Match wants the tag to point at a listed digest
// now, If-None-Match wants it not to (`*`: not to exist at all).
bool preconditions_hold(const Context& context) {
    const http::Request& request = context.request();
    const bool if_match = request.has_header("If-Match");
    const bool if_none_match = request.has_header("If-None-Match");
    if (context.route.digest || (!if_match && !if_none_match)) {
        return true;
    }
    auto current = context.store.head_manifest(context.route.name, context.route.reference);
    const std::string etag = current ? entity_tag(current->digest.str()) : std::string();
    if (if_match && (!current || !etag_listed(request, "If-Match", etag))) {
        return false;
    }
    return !(if_none_match && current && etag_listed(request, "If-None-Match", etag));
}

// The body, parsed, or nullopt once the failure is answered (or left to the HTTP layer).
io::Task<std::optional<std::string>> read_manifest(Context& context) {
    const std::size_t limit = context.options.manifest_bytes_max;
    auto body = co_await context.exchange.read_body(limit);
    if (!body) {
        if (body.error() == http::BodyFailure::too_large) {
            context.exchange.respond(
                error_response_with_status(413, ErrorCode::manifest_invalid, "manifest too large"));
        }
        co_return std::nullopt;
    }
    co_return std::move(*body);
}

// Stores the manifest once per tag (once without a tag when there is none).
io::Task<storage::Result<Ok>> store_manifest(Context& context, const oci::Digest& digest,
                                             std::string body, const oci::ManifestInfo& info,
                                             const std::vector<std::string>& tags) {
    const std::string& name = context.route.name;
    if (tags.empty()) {
        std::optional<std::string> untagged;
        auto stored = co_await context.store.put_manifest(name, std::move(untagged), digest,
                                                          std::move(body), info);
        if (!stored) {
            co_return Unexpected(stored.error());
        }
        co_return Ok{};
    }
    for (std::size_t i = 0; i < tags.size(); ++i) {
        std::string copy = i + 1 == tags.size() ? std::move(body) : body;
        std::optional<std::string> tag = tags[i];
        auto stored = co_await context.store.put_manifest(name, std::move(tag), digest,
                                                          std::move(copy), info);
        if (!stored) {
            co_return Unexpected(stored.error());
        }
    }
    co_return Ok{};
}

http::Response manifest_created(const Context& context, const oci::Digest& digest,
                                const oci::ManifestInfo& info,
                                const std::vector<std::string>& tags) {
    const std::string text = digest.str();
    http::Response response = api_response(201);
    response.header("Location", manifest_location(context.route.name, text));
    response.header("Docker-Content-Digest", text);
    if (info.subject) {
        response.header("OCI-Subject", info.subject->digest.str());
    }
    if (context.route.digest) {
        for (const std::string& tag : tags) {
            response.header("OCI-Tag", tag);
        }
    }
    return response;
}

} // namespace

io::Task<void> get_manifest(Context& context) {
    const std::string& name = context.route.name;
    const std::string& reference = context.route.reference;
    if (context.head() || context.request().has_header("If-None-Match")) {
        auto head = context.store.head_manifest(name, reference);
        if (!head) {
            context.exchange.respond(failure_response(context, head.error()));
            co_return;
        }
        const std::string digest = head->digest.str();
        if (none_match(context.request(), entity_tag(digest))) {
            context.exchange.respond(not_modified(digest));
            co_return;
        }
        if (context.head()) {
            http::Response response = manifest_headers(200, digest);
            response.header("Content-Type", head->media_type);
            response.content_length(head->size);
            context.exchange.respond(std::move(response));
            co_return;
        }
    }
    auto manifest = co_await context.store.get_manifest(name, reference);
    if (!manifest) {
        context.exchange.respond(failure_response(context, manifest.error()));
        co_return;
    }
    // A pull for retention's statistics (HEAD and 304 are not: Zot counts GETs). The web UI
    // reading a manifest to show it is no pull: it must not keep an image from retention.
    if (!context.request().has_header("X-ZOT-API-CLIENT")) {
        context.store.note_pull(name, manifest->digest);
    }
    http::Response response = manifest_headers(200, manifest->digest.str());
    response.body(std::move(manifest->body), manifest->media_type);
    context.exchange.respond(std::move(response));
}

io::Task<void> put_manifest(Context& context) {
    std::optional<std::string> body = co_await read_manifest(context);
    if (!body) {
        co_return;
    }
    auto info = oci::parse_manifest(*body, context.request().header("Content-Type"));
    if (!info) {
        context.exchange.respond(
            error_response(ErrorCode::manifest_invalid, {}, std::move(info.error().message)));
        co_return;
    }
    // Pushed by digest, the client's algorithm is the one to check; by tag, sha256.
    const oci::DigestAlgorithm algorithm =
        context.route.digest ? context.route.digest->algorithm : oci::DigestAlgorithm::sha256;
    const oci::Digest digest = storage::digest_of(*body, algorithm);
    if (context.route.digest && *context.route.digest != digest) {
        context.exchange.respond(error_response(
            ErrorCode::digest_invalid, "manifest does not match its digest", digest.str()));
        co_return;
    }
    const std::optional<std::vector<std::string>> tags = pushed_tags(context);
    if (!tags) {
        co_return;
    }
    if (!preconditions_hold(context)) {
        context.exchange.respond(api_response(412));
        co_return;
    }
    auto stored = co_await store_manifest(context, digest, std::move(*body), *info, *tags);
    if (!stored) {
        context.exchange.respond(failure_response(context, stored.error()));
        co_return;
    }
    context.exchange.respond(manifest_created(context, digest, *info, *tags));
}

io::Task<void> delete_manifest(Context& context) {
    const std::string& name = context.route.name;
    std::optional<storage::StoreError> failure;
    if (context.route.digest) {
        auto deleted = co_await context.store.delete_manifest(name, *context.route.digest);
        if (!deleted) {
            failure = deleted.error();
        }
    } else {
        auto deleted = co_await context.store.delete_tag(name, context.route.reference);
        if (!deleted) {
            failure = deleted.error();
        }
    }
    if (failure) {
        context.exchange.respond(failure_response(context, *failure));
        co_return;
    }
    context.exchange.respond(api_response(202));
}

} // namespace berth::registry::detail
