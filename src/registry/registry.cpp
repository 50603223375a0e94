#include <berth/registry/registry.h>

#include <berth/http/range.h>
#include <berth/registry/respond.h>
#include <berth/util/log.h>

#include "handlers.h"

#include <cstring>
#include <span>
#include <utility>
#include <vector>

namespace berth::registry {
namespace {

using http::Method;

bool is_read(Method method) {
    return method == Method::get || method == Method::head;
}

// The methods each route answers; HEAD goes wherever GET does (RFC 9110 §9.3.2).
std::string_view allowed_methods(RouteKind kind) {
    switch (kind) {
    case RouteKind::catalog:
    case RouteKind::tags_list:
    case RouteKind::referrers:
        return "GET, HEAD";
    case RouteKind::manifest:
        return "GET, HEAD, PUT, DELETE";
    case RouteKind::blob:
        return "GET, HEAD, DELETE";
    case RouteKind::upload_start:
        return "POST";
    case RouteKind::upload:
        return "GET, HEAD, PATCH, PUT, DELETE";
    default:
        return {};
    }
}

bool method_allowed(RouteKind kind, Method method) {
    switch (kind) {
    case RouteKind::catalog:
    case RouteKind::tags_list:
    case RouteKind::referrers:
        return is_read(method);
    case RouteKind::manifest:
        return is_read(method) || method == Method::put || method == Method::delete_;
    case RouteKind::blob:
        return is_read(method) || method == Method::delete_;
    case RouteKind::upload_start:
        return method == Method::post;
    case RouteKind::upload:
        return is_read(method) || method == Method::patch || method == Method::put ||
               method == Method::delete_;
    default:
        return false;
    }
}

bool tag_exists(const storage::Store& store, std::string_view repository, std::string_view tag) {
    return oci::valid_tag(tag) && store.head_manifest(repository, tag).has_value();
}

// A manifest push creates its tags or moves them; moving one that exists is an update.
RepositoryAction manifest_push_action(const Route& route, const util::QueryParams& query,
                                      const storage::Store& store) {
    if (!route.digest) {
        return tag_exists(store, route.name, route.reference) ? RepositoryAction::update
                                                              : RepositoryAction::create;
    }
    for (std::string_view tag : util::query_all(query, "tag")) {
        if (tag_exists(store, route.name, tag)) {
            return RepositoryAction::update;
        }
    }
    return RepositoryAction::create;
}

http::Response route_error_response(const Route& route, Method method) {
    switch (route.error) {
    case RouteError::path_invalid:
        return error_response_with_status(400, ErrorCode::name_invalid, "invalid path encoding");
    case RouteError::reference_invalid:
        // Nothing can be stored under a tag that breaks the grammar: reading one finds
        // nothing, pushing one is an invalid manifest reference.
        if (method == Method::put) {
            return error_response(ErrorCode::manifest_invalid, "invalid tag");
        }
        return error_response(ErrorCode::manifest_unknown);
    case RouteError::digest_unsupported:
        return error_response(ErrorCode::digest_invalid, "unsupported digest algorithm");
    case RouteError::digest_invalid:
        return error_response(ErrorCode::digest_invalid, "invalid digest");
    default:
        break;
    }
    auto code = route_error_code(route.error);
    return error_response(code.value_or(ErrorCode::unknown));
}

// Lookups that answer synchronously from the in-memory index (tags, manifest heads, upload
// sessions, referrers) are only right once the index is loaded. Blob reads and new uploads go
// through calls that wait for their own repository, so they are served during the load.
bool needs_loaded_index(const Route& route) {
    return route.kind != RouteKind::blob && route.kind != RouteKind::upload_start;
}

io::Task<void> dispatch(detail::Context& context) {
    const Method method = context.request().method;
    switch (context.route.kind) {
    case RouteKind::catalog:
        detail::list_catalog(context);
        break;
    case RouteKind::tags_list:
        detail::list_tags(context);
        break;
    case RouteKind::referrers:
        detail::list_referrers(context);
        break;
    case RouteKind::blob:
        if (is_read(method)) {
            co_await detail::get_blob(context);
        } else {
            co_await detail::delete_blob(context);
        }
        break;
    case RouteKind::upload_start:
        co_await detail::start_upload(context);
        break;
    case RouteKind::upload:
        if (is_read(method)) {
            co_await detail::upload_status(context);
        } else if (method == Method::patch) {
            co_await detail::patch_upload(context);
        } else if (method == Method::put) {
            co_await detail::put_upload(context);
        } else {
            co_await detail::cancel_upload(context);
        }
        break;
    case RouteKind::manifest:
        if (is_read(method)) {
            co_await detail::get_manifest(context);
        } else if (method == Method::put) {
            co_await detail::put_manifest(context);
        } else {
            co_await detail::delete_manifest(context);
        }
        break;
    default:
        break;
    }
}

} // namespace

std::string_view repository_action_name(RepositoryAction action) {
    switch (action) {
    case RepositoryAction::none:
        return "none";
    case RepositoryAction::read:
        return "read";
    case RepositoryAction::create:
        return "create";
    case RepositoryAction::update:
        return "update";
    case RepositoryAction::remove:
        return "delete";
    }
    return "none";
}

AccessNeed required_access(const Route& route, http::Method method, const util::QueryParams& query,
                           const storage::Store& store) {
    AccessNeed need;
    if (route.error != RouteError::none || !method_allowed(route.kind, method)) {
        return need;
    }
    if (route.kind == RouteKind::catalog) {
        need.catalog = true;
        return need;
    }
    need.repository = route.name;
    if (route.kind == RouteKind::upload_start || route.kind == RouteKind::upload) {
        // Every step of an upload, status and cancel included, belongs to the push.
        need.action = RepositoryAction::create;
        auto from = util::query_first(query, "from");
        if (route.kind == RouteKind::upload_start && util::query_first(query, "mount") && from &&
            oci::valid_repository_name(*from) && *from != route.name) {
            need.mount_source = std::string(*from);
        }
        return need;
    }
    if (is_read(method)) {
        need.action = RepositoryAction::read;
    } else if (method == Method::delete_) {
        need.action = RepositoryAction::remove;
    } else {
        need.action = manifest_push_action(route, query, store);
    }
    return need;
}

Registry::Registry(storage::Stores stores, const RegistryOptions& options)
    : stores_(std::move(stores)), options_(options) {}

io::Task<void> Registry::handle(http::Exchange& exchange, const Route& route) {
    const Method method = exchange.request().method;
    if (route.kind == RouteKind::not_found || route.kind == RouteKind::registry_extension ||
        route.kind == RouteKind::repository_extension || route.kind == RouteKind::base) {
        if (route.error == RouteError::path_invalid) {
            exchange.respond(route_error_response(route, method));
        } else {
            exchange.respond(
                error_response_with_status(404, ErrorCode::unsupported, "no such endpoint"));
        }
        co_return;
    }
    if (!method_allowed(route.kind, method)) {
        http::Response response = error_response(ErrorCode::unsupported, "method not allowed");
        response.header("Allow", allowed_methods(route.kind));
        exchange.respond(std::move(response));
        co_return;
    }
    if (route.error != RouteError::none) {
        exchange.respond(route_error_response(route, method));
        co_return;
    }
    if (needs_loaded_index(route) && !stores_.loaded()) {
        co_await stores_.wait_loaded();
    }
    const util::QueryParams query = util::parse_query(exchange.request().query);
    storage::Store& store = stores_.route(route.name);
    const AccessNeed need = required_access(route, method, query, store);
    if (authorizer_ != nullptr) {
        const bool allowed = co_await authorizer_->authorize(exchange, need);
        if (!allowed) {
            co_return;
        }
    }
    detail::Context context{exchange, route, query, store, options_, authorizer_, stores_};
    co_await dispatch(context);
}

namespace detail {

http::Response api_response(int status) {
    http::Response response(status);
    response.header(api_version_header, api_version);
    return response;
}

namespace {

http::Response missing_references_response(const storage::StoreError& error) {
    std::vector<ApiError> errors;
    errors.reserve(error.missing.size());
    for (const oci::Digest& digest : error.missing) {
        errors.push_back(ApiError{ErrorCode::manifest_blob_unknown, {}, digest.str()});
    }
    if (errors.empty()) {
        errors.push_back(ApiError{ErrorCode::manifest_blob_unknown, {}, {}});
    }
    return error_response(std::span<const ApiError>(errors));
}

http::Response fault_response(const Context& context, const storage::StoreError& error) {
    // The repository and the route name the operation; request headers are never logged.
    log::error("storage failure")
        .str("route", route_kind_name(context.route.kind))
        .str("method", http::method_name(context.request().method))
        .str("repository", context.route.name)
        .num("errno", error.error_number)
        .str("error", std::strerror(error.error_number));
    if (error.failure == storage::Failure::no_space) {
        // 507 Insufficient Storage (RFC 4918): the request was fine, the disk is full.
        return error_response_with_status(507, ErrorCode::unknown, "insufficient storage");
    }
    return error_response(ErrorCode::unknown);
}

} // namespace

http::Response failure_response(const Context& context, const storage::StoreError& error) {
    using storage::Failure;
    switch (error.failure) {
    case Failure::repository_unknown:
        return error_response(ErrorCode::name_unknown);
    case Failure::blob_unknown:
        return error_response(ErrorCode::blob_unknown);
    case Failure::manifest_unknown:
        return error_response(ErrorCode::manifest_unknown);
    case Failure::upload_unknown:
        return error_response(ErrorCode::blob_upload_unknown);
    case Failure::upload_busy:
        // Two requests writing one session at once cannot both be right; the one that came
        // second is refused and the session goes on with the first.
        return error_response_with_status(409, ErrorCode::blob_upload_invalid,
                                          "upload is in use by another request");
    case Failure::offset_mismatch:
        return error_response(ErrorCode::range_invalid);
    case Failure::digest_mismatch:
        return error_response(ErrorCode::digest_invalid);
    case Failure::references_missing:
        return missing_references_response(error);
    case Failure::no_space:
    case Failure::io:
        return fault_response(context, error);
    }
    return error_response(ErrorCode::unknown);
}

std::string entity_tag(std::string_view digest) {
    std::string tag;
    tag.reserve(digest.size() + 2);
    tag += '"';
    tag += digest;
    tag += '"';
    return tag;
}

http::Response not_modified(std::string_view digest) {
    http::Response response = api_response(304);
    response.header("ETag", entity_tag(digest));
    response.header("Docker-Content-Digest", digest);
    return response;
}

std::string upload_location(std::string_view name, std::string_view id) {
    std::string location = "/v2/";
    location += name;
    location += "/blobs/uploads/";
    location += id;
    return location;
}

void add_upload_headers(http::Response& response, std::string_view name, std::string_view id,
                        std::uint64_t size) {
    std::string range;
    http::append_upload_range(range, size);
    response.header("Location", upload_location(name, id));
    response.header("Range", range);
    response.header("Docker-Upload-UUID", id);
}

} // namespace detail

} // namespace berth::registry
