// The handlers behind the dispatcher, one file per resource, and what they share: the request
// context, the mapping of storage failures to OCI errors, the headers of upload responses.
#pragma once

#include <berth/http/response.h>
#include <berth/http/server.h>
#include <berth/io/task.h>
#include <berth/registry/errors.h>
#include <berth/registry/registry.h>
#include <berth/registry/routes.h>
#include <berth/storage/store.h>
#include <berth/storage/stores.h>
#include <berth/util/percent.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace berth::registry::detail {

struct Context {
    http::Exchange& exchange;
    const Route& route; // valid: no error, a name and a reference where the kind has them
    const util::QueryParams& query;
    storage::Store& store; // the store that holds route.name
    const RegistryOptions& options;
    Authorizer* authorizer;        // null: everything allowed
    const storage::Stores& stores; // every store: the catalog, mounts between repositories

    const http::Request& request() const { return exchange.request(); }
    bool head() const { return request().method == http::Method::head; }
    bool may_read(std::string_view repository) const {
        return authorizer == nullptr || authorizer->may_read(exchange, repository);
    }
};

// An empty-bodied response with the API version header every /v2/ response carries.
http::Response api_response(int status);

// The OCI error a storage failure calls for; I/O faults are logged with their errno.
http::Response failure_response(const Context& context, const storage::StoreError& error);

// `"<digest>"`, the ETag of a blob or manifest.
std::string entity_tag(std::string_view digest);
using http::etag_listed;
// True when If-None-Match names `etag`: a GET or HEAD is then answered with a 304.
inline bool none_match(const http::Request& request, std::string_view etag) {
    return etag_listed(request, "If-None-Match", etag);
}
// The 304 for a conditional GET or HEAD whose entity did not change.
http::Response not_modified(std::string_view digest);

std::string upload_location(std::string_view name, std::string_view id);
// Location, Range (`0-<size-1>`) and Docker-Upload-UUID: what a client needs to go on.
void add_upload_headers(http::Response& response, std::string_view name, std::string_view id,
                        std::uint64_t size);

// blobs.cpp
io::Task<void> get_blob(Context& context);
io::Task<void> delete_blob(Context& context);

// uploads.cpp
io::Task<void> start_upload(Context& context);
io::Task<void> upload_status(Context& context);
io::Task<void> patch_upload(Context& context);
io::Task<void> put_upload(Context& context);
io::Task<void> cancel_upload(Context& context);

// manifests.cpp
io::Task<void> get_manifest(Context& context);
io::Task<void> put_manifest(Context& context);
io::Task<void> delete_manifest(Context& context);

// tags.cpp
void list_tags(Context& context);
void list_catalog(Context& context);

// referrers.cpp
void list_referrers(Context& context);

} // namespace berth::registry::detail
