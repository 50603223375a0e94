// The store's insides, shared by its source files (repositories, blobs, uploads, manifests).
#pragma once

#include <berth/io/block_pool.h>
#include <berth/io/event.h>
#include <berth/io/timer.h>
#include <berth/storage/hasher.h>
#include <berth/storage/store.h>

#include "lifecycle_state.h"

#include <list>
#include <map>
#include <unordered_map>

namespace berth::storage {

// What the index keeps of one manifest: enough to serve HEAD, list referrers, and later to
// walk references for GC and scrub, without reading the manifest again.
struct ManifestEntry {
    oci::Digest digest;
    std::string media_type;
    std::uint64_t size = 0;
    std::uint64_t sequence = 0; // push order
    std::optional<oci::Digest> subject;
    std::string artifact_type; // as listed by the referrers API
    oci::Annotations annotations;
    std::vector<oci::Digest> blobs;        // config and layers
    std::vector<std::uint64_t> blob_sizes; // their sizes as the manifest gives them
    std::vector<oci::Digest> children;     // manifests of an index
};

struct Repository {
    explicit Repository(io::Loop& loop, std::string repository_name)
        : name(std::move(repository_name)), index_lock(loop) {}

    std::string name;
    std::map<std::string, std::string, std::less<>> tags;     // tag → digest text
    std::unordered_map<std::string, ManifestEntry> manifests; // digest text → entry
    io::Mutex index_lock;                                     // one index.json writer at a time
};

struct UploadLease::Session {
    Session(io::Loop& loop, oci::DigestAlgorithm algorithm)
        : hasher(algorithm), writes_done(loop) {}

    std::string id;
    std::string repository;
    int fd = -1;
    // The same file opened O_DIRECT, for the aligned blocks; -1 where the filesystem refuses.
    int direct_fd = -1;
    std::uint64_t size = 0; // including writes in flight and the staged bytes
    // Received bytes not written yet: they fill an aligned block so that the write can skip
    // the page cache, whose copy on this path cost as much CPU as hashing.
    io::Block staging;
    bool direct_refused = false; // a direct write failed with EINVAL: buffered from then on
    std::uint64_t staging_offset = 0;
    std::size_t staging_length = 0;
    Hasher hasher;
    bool leased = false;
    bool finished = false;
    unsigned writes_in_flight = 0;
    int write_error = 0; // first failed write's errno
    io::Event writes_done;
    std::int64_t updated_unix = 0; // wall time of the last request, for expiry
};

struct Store::Impl {
    Impl(io::Loop& loop_ref, StoreOptions store_options)
        : loop(loop_ref), options(std::move(store_options)), load_done(loop_ref),
          lifecycle(loop_ref) {}

    io::Loop& loop;
    StoreOptions options;
    int root_fd = -1;
    std::map<std::string, std::unique_ptr<Repository>, std::less<>> repositories;
    // Staging for upload writes, shared by every session; declared before the sessions,
    // whose blocks must go back to it before it goes.
    std::unique_ptr<io::BlockPool> write_blocks;
    std::unordered_map<std::string, std::unique_ptr<UploadLease::Session>> uploads;
    std::uint64_t next_sequence = 1;
    io::Event load_done;
    io::Timer expiry_timer;

    // Manifest bodies by digest, least recently used first; bounded by bytes.
    std::list<std::pair<std::string, std::string>> cache;
    std::unordered_map<std::string, std::list<std::pair<std::string, std::string>>::iterator>
        cache_index;
    std::size_t cache_bytes = 0;

    Repository* find(std::string_view name) const;
    // Finds the repository, creating its layout on disk first when it is new.
    io::Task<Result<Repository*>> obtain(std::string_view name);
    io::Task<Result<Repository*>> create_repository(std::string name);
    io::Task<Result<Ok>> write_index(Repository& repository,
                                     const std::map<std::string, std::string, std::less<>>& tags,
                                     const std::vector<const ManifestEntry*>& manifests);

    // Makes the file at `source` (relative to the root) the repository's copy of the blob:
    // renamed into the shared store and linked (dedupe), or renamed straight in.
    io::Task<Result<Ok>> commit_blob(std::string source, std::string_view repository,
                                     const oci::Digest& digest);
    io::Task<Result<Ok>> link_blob(std::string source, std::string_view repository,
                                   const oci::Digest& digest);
    // The manifest's bytes as a blob of the repository, as Zot and the image layout keep them.
    io::Task<Result<Ok>> store_manifest_blob(std::string_view repository, const oci::Digest& digest,
                                             const std::string& body);

    void cache_put(const std::string& digest, const std::string& body);
    const std::string* cache_get(const std::string& digest);
    void cache_drop(const std::string& digest);

    io::Task<Result<Ok>> save_upload_state(UploadLease::Session& session);
    // Waits for the session's writes, removes its files and forgets it.
    io::Task<void> discard_upload(std::string id);
    void schedule_expiry();
    void expire_uploads();
    // Before the loop runs: sessions left by the previous run, cut back to what their state
    // says was received.
    void recover_uploads();

    io::Task<void> load_repository(std::string name);
    io::Task<void> walk(std::string directory);
    // Creations in progress, so that a second push to a new repository waits for the first.
    // The event is owned by the creating coroutine; the map only lends it to waiters.
    std::unordered_map<std::string, io::Event*> creating;

    // ---- usage statistics, GC and retention (usage.cpp, gc.cpp) ----
    LifecycleState lifecycle;
    // Waits while GC unlinks the digest, then keeps GC from it until the pin goes.
    io::Task<BlobPin> pin_blob(const oci::Digest& digest);
    void note_push(std::string_view repository, const std::string& digest);
    void note_manifest_gone(std::string_view repository, const std::string& digest);
    io::Task<void> load_usage();
    io::Task<void> fill_usage();
    io::Task<void> flush_usage();
    io::Task<bool> write_usage(std::string text, bool whole);
    void usage_timer_fired();
    void gc_timer_fired();
    io::Task<void> collect_garbage();
    io::Task<bool> gc_repository(std::string name);
    io::Task<bool> gc_apply(Repository& repository, const lifecycle::Plan& plan);
    io::Task<bool> gc_repository_blobs(Repository& repository);
    io::Task<bool> gc_shared_blobs();
    io::Task<void> gc_uploads();
    // 1 when unlinked, 0 when skipped (pinned, recent, gone), a negated errno on failure.
    io::Task<int> gc_unlink_blob(std::string path, const std::string& digest);
    void audit(std::string_view module, std::string_view repository, std::string_view kind,
               std::string_view name, std::string_view reason);
};

StoreError io_failure(int error_number);

} // namespace berth::storage
