// Zot's search extension: GraphQL at /v2/_zot/ext/search (GET ?query= and POST), what the
// UI reads to discover features and authentication (/v2/_zot/ext/mgmt), per-user stars and
// bookmarks (/v2/_zot/ext/userprefs) and the OCI extension list (/v2/_oci/ext/discover).
//
// The index behind it is built from the store once the store has loaded, then kept current by
// the store's observer seam on every manifest push and delete. Image configs are read through
// the ring, bounded in size, one per new manifest; histories (only the image page asks for
// them) are read when a query needs them and kept in a small cache.
#pragma once

#include <berth/ext/search_index.h>
#include <berth/ext/search_query.h>
#include <berth/http/server.h>
#include <berth/io/event.h>
#include <berth/io/loop.h>
#include <berth/io/task.h>
#include <berth/storage/stores.h>

#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace berth::ext {

// Who is asking and what they may do; the server's access control answers.
class SearchAccess {
public:
    virtual ~SearchAccess() = default;
    // Authenticates the request; false when it has been answered (401, 429, 503).
    virtual io::Task<bool> admit(http::Exchange& exchange) = 0;
    virtual bool may_read(const http::Exchange& exchange, std::string_view repository) = 0;
    virtual bool may_delete(const http::Exchange& exchange, std::string_view repository) = 0;
};

struct SearchOptions {
    std::string root;      // the data directory: userprefs live in it
    bool htpasswd = false; // what /v2/_zot/ext/mgmt tells the UI about authentication
    std::string release;   // berth's version, as mgmt's releaseTag
    bool userprefs = true; // Zot offers stars and bookmarks with its UI
    std::size_t config_bytes_max = 1 << 20; // image configs larger than this are not read
    std::size_t history_cache_entries = 64;
};

class Search final : public storage::StoreObserver {
public:
    // Reads the user preferences file now (before the loop runs); blocking.
    // `store`: every store (storage.subPaths); the index spans them.
    Search(io::Loop& loop, storage::Stores store, SearchAccess& access, SearchOptions options);
    ~Search() override;
    Search(const Search&) = delete;
    Search& operator=(const Search&) = delete;

    // Fills the index from the store; run after Store::load.
    io::Task<void> build();
    bool built() const { return built_; }

    // Whether a path (from the `_` segment on, as the route gives it) is one of ours.
    static bool serves(std::string_view extension_path);
    io::Task<void> handle(http::Exchange& exchange, std::string_view extension_path);

    void manifest_put(std::string_view repository, const oci::Digest& digest, std::uint64_t size,
                      const std::optional<std::string>& tag,
                      const oci::ManifestInfo& info) override;
    void manifest_deleted(std::string_view repository, const oci::Digest& digest) override;
    void tag_deleted(std::string_view repository, std::string_view tag) override;

    const SearchIndex& index() const { return index_; }

private:
    struct Preferences {
        std::set<std::string, std::less<>> starred;
        std::set<std::string, std::less<>> bookmarked;
    };
    class Sources;

    io::Task<void> graphql(http::Exchange& exchange);
    void mgmt(http::Exchange& exchange);
    void discover(http::Exchange& exchange);
    io::Task<void> userprefs(http::Exchange& exchange);
    io::Task<void> load_config(std::string repository, oci::Digest manifest, oci::Digest config);
    io::Task<std::optional<std::string>> read_blob(std::string repository, oci::Digest digest);
    io::Task<void> load_histories(const std::vector<MissingHistory>& missing);
    io::Task<void> save_preferences();
    void load_preferences();
    void count_stars(std::string_view repository);

    io::Loop& loop_;
    storage::Stores store_;
    SearchAccess& access_;
    SearchOptions options_;
    SearchIndex index_;
    bool built_ = false;
    io::Event built_event_; // queries made before the index is built wait for it
    std::map<std::string, Preferences, std::less<>> preferences_; // by user
    bool saving_ = false;
    bool save_again_ = false;
    // Histories by config digest, least recently used first.
    std::list<std::pair<std::string, std::vector<HistoryEntry>>> histories_;
    std::unordered_map<std::string, decltype(histories_)::iterator> history_index_;
};

} // namespace berth::ext
