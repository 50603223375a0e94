// Which store holds a repository: storage.subPaths, as Zot routes it. A repository whose name
// has a `/` goes to the store of the route "/<first component>" when one is configured, and
// to the default store otherwise (so `team/app` goes to "/team", `team` itself does not). The
// repository keeps its whole name inside that store: `team/app` lives in <root>/team/app.
//
// Stores is a small value (pointers to stores owned elsewhere) that the layers above hold
// instead of one Store. What concerns one repository is forwarded to the store that holds it;
// what concerns all of them (the list of repositories, loading, the observer) spans them.
#pragma once

#include <berth/io/task.h>
#include <berth/storage/store.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth::storage {

class Stores {
public:
    // One store for every repository. Implicit, so that code written for a single store (a
    // test, a benchmark) hands its Store wherever Stores are expected.
    Stores(Store& default_store); // NOLINT(google-explicit-constructor)

    // Sends the repositories of `route` ("/team") to `store`, which may serve several routes.
    // A route of another form can never match a repository name, as in Zot.
    void add_route(std::string_view route, Store& store);

    // The store that holds (or would hold) `repository`.
    Store& route(std::string_view repository) const;
    Store& default_store() const { return *all_.front(); }
    // Every distinct store, the default first.
    const std::vector<Store*>& all() const { return all_; }
    // Whether a blob can be linked from one repository into the other.
    bool same_store(std::string_view first, std::string_view second) const {
        return &route(first) == &route(second);
    }

    bool loaded() const;
    io::Task<void> wait_loaded() const;
    void set_observer(StoreObserver* observer) const;

    // Names in byte order across every store, strictly after `last`, at most `limit`, only
    // those `keep` accepts when given; `more` says if any follow. A store lists only the
    // repositories routed to it, so a directory left in the default store from before a
    // subPath was configured is not offered.
    using NameFilter = std::function<bool(std::string_view name)>;
    std::vector<std::string> repositories(std::string_view last, std::size_t limit, bool& more,
                                          const NameFilter& keep = {}) const;
    std::size_t upload_sessions() const;

    // ---- forwarded to the store that holds the repository ------------------------------
    bool repository_exists(std::string_view name) const {
        return route(name).repository_exists(name);
    }
    Result<std::vector<std::string>> tags(std::string_view repository) const {
        return route(repository).tags(repository);
    }
    std::uint64_t repository_bytes(std::string_view repository) const {
        return route(repository).repository_bytes(repository);
    }
    Result<ManifestHead> head_manifest(std::string_view repository,
                                       std::string_view reference) const {
        return route(repository).head_manifest(repository, reference);
    }
    io::Task<Result<StoredManifest>> get_manifest(std::string_view repository,
                                                  std::string_view reference) const {
        return route(repository).get_manifest(repository, reference);
    }
    std::vector<ManifestHead> manifests(std::string_view repository) const {
        return route(repository).manifests(repository);
    }
    std::vector<Referrer> referrers(std::string_view repository, const oci::Digest& subject) const {
        return route(repository).referrers(repository, subject);
    }
    ManifestUsage usage(std::string_view repository, const oci::Digest& digest) const {
        return route(repository).usage(repository, digest);
    }
    io::Task<Result<OpenBlob>> open_blob(std::string_view repository,
                                         const oci::Digest& digest) const {
        return route(repository).open_blob(repository, digest);
    }
    // Closing a descriptor needs no particular store.
    io::Task<void> close_blob(OpenBlob blob) const { return default_store().close_blob(blob); }

private:
    std::vector<Store*> all_;
    std::map<std::string, Store*, std::less<>> routes_; // first name component → store
};

} // namespace berth::storage
