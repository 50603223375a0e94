// The OCI distribution API (distribution-spec v1.1, checklist §3): blobs, uploads, manifests,
// tags, the catalog and referrers, over the content store.
//
// The dispatcher turns a parsed route and a method into a handler call. Before the handler
// runs it knows, in one place, what the request does to which repository (required_access),
// so that an Authorizer can stand in front of every handler without any of them knowing.
#pragma once

#include <berth/http/request.h>
#include <berth/http/server.h>
#include <berth/io/task.h>
#include <berth/registry/routes.h>
#include <berth/storage/store.h>
#include <berth/storage/stores.h>
#include <berth/util/percent.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace berth::registry {

// What a request does to a repository, in the terms of Zot's access-control policies.
enum class RepositoryAction : std::uint8_t {
    none,   // nothing repository-specific: /v2/, the catalog (filtered per repository)
    read,   // GET and HEAD of blobs, manifests, tags, referrers
    create, // uploads, and manifest pushes that create a tag or push by digest
    update, // a manifest push that moves a tag that already exists
    remove, // DELETE of a manifest, a tag or a blob
};

std::string_view repository_action_name(RepositoryAction action);

struct AccessNeed {
    RepositoryAction action = RepositoryAction::none;
    std::string repository; // empty for registry-level routes
    // A cross-repository mount also reads this repository. Lacking that right is no error: the
    // mount falls back to a plain upload session, so nothing tells whether the blob exists.
    std::string mount_source;
    bool catalog = false; // lists repositories; each one is shown only if readable
};

// `store` tells whether a tag already exists (create or update). For a route that is not
// served (an error, a wrong method), the action is `none`.
AccessNeed required_access(const Route& route, http::Method method, const util::QueryParams& query,
                           const storage::Store& store);

// The seam for authentication and access control. Without one, everything is allowed.
class Authorizer {
public:
    virtual ~Authorizer() = default;
    // True when the request may go on. When it may not, the authorizer has answered it
    // (401 with a challenge, 403).
    virtual io::Task<bool> authorize(http::Exchange& exchange, const AccessNeed& need) = 0;
    // Whether the requester may read `repository`: filters the catalog, and decides whether a
    // mount may take a blob from it. Called after authorize() for the same request.
    virtual bool may_read(const http::Exchange& exchange, std::string_view repository) = 0;
};

struct RegistryOptions {
    // The distribution-spec asks registries to accept at least 4 MiB.
    std::uint64_t manifest_bytes_max = 4 * 1024 * 1024;
    // One tags or catalog page at most; a larger (or absent) `n` is clamped and the response
    // carries a Link to the rest. 1000 entries keep a page near 100 KiB for typical names.
    std::size_t page_entries_max = 1000;
};

class Registry {
public:
    // Each repository is served from the store `stores` routes it to (storage.subPaths).
    Registry(storage::Stores stores, const RegistryOptions& options);

    void set_authorizer(Authorizer* authorizer) { authorizer_ = authorizer; }

    // Answers a request whose path parsed as `route` (any kind but `base`).
    io::Task<void> handle(http::Exchange& exchange, const Route& route);

private:
    storage::Stores stores_;
    RegistryOptions options_;
    Authorizer* authorizer_ = nullptr;
};

} // namespace berth::registry
