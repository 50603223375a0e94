// The content store: blobs, uploads, and repositories as OCI image layouts, on one local
// filesystem, crash-safe, every operation through the ring.
//
//   <root>/
//   ├── _blobs/<alg>/<hex>          one copy of each blob when dedupe is on
//   ├── _uploads/<id>               bytes of an upload in progress
//   ├── _uploads/<id>.state         its repository, size and hash midstate
//   └── <repository>/               an OCI image layout (names with `/` nest)
//       ├── oci-layout
//       ├── index.json              every manifest; tags as org.opencontainers.image.ref.name
//       └── blobs/<alg>/<hex>       hard links into _blobs (dedupe on) or plain files (off)
//
// A blob appears under blobs/ only once its digest is verified and its bytes are fsynced and
// renamed into place; index.json is replaced by rename after an fsync. A crash at any moment
// leaves the old state or the new one. Membership of a blob in a repository is its link in
// that repository's blobs/: that is what decides whether a client may read it there.
//
// Storage knows nothing of HTTP. Names, tags and digests reaching it are already validated
// (berth/registry/names.h), so no path built here can leave the root.
#pragma once

#include <berth/io/buffer_pool.h>
#include <berth/io/loop.h>
#include <berth/io/task.h>
#include <berth/oci/manifest.h>
#include <berth/oci/names.h>
#include <berth/storage/lifecycle.h>
#include <berth/util/expected.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::storage {

enum class Failure : std::uint8_t {
    repository_unknown, // no such repository
    blob_unknown,       // the blob is not in this repository
    manifest_unknown,   // no such tag or manifest in this repository
    upload_unknown,     // no such upload session (or another repository's)
    upload_busy,        // another request is appending to this upload right now
    offset_mismatch,    // a chunk that does not start where the upload ends
    digest_mismatch,    // the bytes do not hash to the digest the client gave
    references_missing, // a manifest names blobs or manifests the repository lacks
    no_space,           // the disk is full
    io,                 // any other I/O failure; logged with its cause
};

struct StoreError {
    Failure failure;
    int error_number = 0;             // errno, for io and no_space
    std::vector<oci::Digest> missing; // for references_missing
};

template <class T>
using Result = Expected<T, StoreError>;

struct StoreOptions {
    std::string root;
    bool dedupe = true;
    bool hard_links = true; // false when the filesystem has none: dedupe is then impossible
    // storage.commit. Blobs and index.json are always fsynced before they become visible;
    // with commit, each request that appends to an upload also fsyncs the bytes it wrote and
    // then the upload's state, so an acknowledged chunk survives a power cut.
    bool commit = false;
    std::chrono::nanoseconds upload_lifetime = std::chrono::hours{24};
    std::size_t manifest_cache_bytes = 8 << 20;
};

struct BlobInfo {
    std::uint64_t size = 0;
};

// An open blob for streaming; hand it back with close_blob.
struct OpenBlob {
    int fd = -1;
    std::uint64_t size = 0;
};

struct UploadStatus {
    std::string id;
    std::uint64_t size = 0;
};

struct StoredManifest {
    oci::Digest digest;
    std::string media_type;
    std::string body;
};

struct ManifestHead {
    oci::Digest digest;
    std::string media_type;
    std::uint64_t size = 0;
};

// A manifest that names a subject, as the referrers API lists it.
struct Referrer {
    oci::Digest digest;
    std::string media_type;
    std::uint64_t size = 0;
    std::string artifact_type;
    oci::Annotations annotations;
};

struct PutManifestResult {
    bool tag_moved = false; // the tag existed and pointed at another manifest
};

class Store;

// Told of each change to a repository's manifests and tags once it is on disk, so that an
// index kept above the store (search) follows pushes and deletes. Called on the loop thread,
// from inside the store's operation: it must not suspend or call back into the store.
class StoreObserver {
public:
    virtual ~StoreObserver() = default;
    // `size` is the manifest's length in bytes; `tag` is set when the push named one.
    virtual void manifest_put(std::string_view repository, const oci::Digest& digest,
                              std::uint64_t size, const std::optional<std::string>& tag,
                              const oci::ManifestInfo& info) = 0;
    // The manifest and every tag that pointed at it are gone.
    virtual void manifest_deleted(std::string_view repository, const oci::Digest& digest) = 0;
    virtual void tag_deleted(std::string_view repository, std::string_view tag) = 0;
};

// Exclusive use of one upload session for the length of one request.
class UploadLease {
public:
    UploadLease() = default;
    UploadLease(UploadLease&& other) noexcept;
    UploadLease& operator=(UploadLease&& other) noexcept;
    UploadLease(const UploadLease&) = delete;
    UploadLease& operator=(const UploadLease&) = delete;
    ~UploadLease();

    const std::string& id() const;
    std::uint64_t size() const; // bytes received so far, including writes still in flight

    // Hashes the bytes and stages them for writing at the end of the upload; the caller's
    // buffer is free again on return. A few writes stay in flight; this waits only when that
    // window is full or no write block is free, or fails with the first write error.
    io::Task<Result<Ok>> append(std::string_view bytes);
    // Waits for every write, then saves the upload's state, so that a client (or a restarted
    // berth) can resume at size().
    io::Task<Result<Ok>> flush();

    struct Session; // the store's record of the upload (internal)

private:
    friend class Store;
    UploadLease(Store* store, Session* session) : store_(store), session_(session) {}
    Store* store_ = nullptr;
    Session* session_ = nullptr;
};

class Store {
public:
    // Opens the root (creating _blobs and _uploads) before the loop runs; blocking.
    static Expected<std::unique_ptr<Store>, std::string> open(io::Loop& loop,
                                                              const StoreOptions& options);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Reads every repository's index.json and the upload sessions left by a previous run.
    // Requests may run meanwhile; lookups of repositories not loaded yet wait for it.
    io::Task<void> load();
    bool loaded() const { return loaded_; }
    io::Task<void> wait_loaded();

    // ---- repositories ----------------------------------------------------------------
    bool repository_exists(std::string_view name) const;
    // Names in byte order, strictly after `last`, at most `limit`; `more` says if any follow.
    std::vector<std::string> repositories(std::string_view last, std::size_t limit,
                                          bool& more) const;
    // The tags of a repository in byte order; repository_unknown when it does not exist.
    Result<std::vector<std::string>> tags(std::string_view repository) const;
    // Bytes the repository's manifests hold: each manifest, config and layer it lists counted
    // once, at the sizes the manifests give (what Zot's zot_repo_storage_bytes reports).
    std::uint64_t repository_bytes(std::string_view repository) const;
    // Upload sessions open now (started, not finished, cancelled or expired).
    std::size_t upload_sessions() const;

    // ---- blobs -----------------------------------------------------------------------
    io::Task<Result<BlobInfo>> stat_blob(std::string_view repository, const oci::Digest& digest);
    io::Task<Result<OpenBlob>> open_blob(std::string_view repository, const oci::Digest& digest);
    io::Task<void> close_blob(OpenBlob blob);
    // Unlinks the blob from the repository; the bytes go when nothing references them (GC).
    io::Task<Result<Ok>> delete_blob(std::string_view repository, const oci::Digest& digest);
    // Links a blob `source` holds into `target` (creating it); false when `source` lacks it.
    io::Task<Result<bool>> mount_blob(std::string_view target, std::string_view source,
                                      const oci::Digest& digest);
    // Which of these blobs the repository lacks.
    io::Task<std::vector<oci::Digest>> missing_blobs(std::string_view repository,
                                                     const std::vector<oci::Digest>& digests);

    // ---- uploads ---------------------------------------------------------------------
    // A new session for `repository` (created if needed). `algorithm` is the one the client
    // announced (digest-algorithm) and is what gets hashed as bytes arrive.
    io::Task<Result<UploadStatus>> start_upload(std::string_view repository,
                                                oci::DigestAlgorithm algorithm);
    Result<UploadStatus> upload_status(std::string_view repository, std::string_view id) const;
    Result<UploadLease> lease_upload(std::string_view repository, std::string_view id);
    // Verifies the digest of everything received and makes the blob part of the repository;
    // the session ends either way (a mismatch discards it).
    io::Task<Result<BlobInfo>> finish_upload(UploadLease lease, const oci::Digest& digest);
    io::Task<Result<Ok>> cancel_upload(std::string_view repository, std::string_view id);

    // ---- manifests -------------------------------------------------------------------
    // `reference` is a tag or a digest (text); the registry layer validated which.
    io::Task<Result<StoredManifest>> get_manifest(std::string_view repository,
                                                  std::string_view reference);
    Result<ManifestHead> head_manifest(std::string_view repository,
                                       std::string_view reference) const;
    // Stores `body` (whose digest is `digest`, parsed as `info`) and points `tag` at it when
    // given. Fails with references_missing when the repository lacks the config, a layer
    // (unless it has urls) or, for an index, a child manifest.
    io::Task<Result<PutManifestResult>> put_manifest(std::string_view repository,
                                                     std::optional<std::string> tag,
                                                     const oci::Digest& digest, std::string body,
                                                     const oci::ManifestInfo& info);
    // Removes the manifest and every tag that points at it.
    io::Task<Result<Ok>> delete_manifest(std::string_view repository, const oci::Digest& digest);
    io::Task<Result<Ok>> delete_tag(std::string_view repository, std::string_view tag);
    // Manifests in the repository whose subject is `subject`, in push order.
    std::vector<Referrer> referrers(std::string_view repository, const oci::Digest& subject) const;
    // Every manifest of the repository, tagged or not, in push order.
    std::vector<ManifestHead> manifests(std::string_view repository) const;

    // One observer at most; null stops the notifications.
    void set_observer(StoreObserver* observer) { observer_ = observer; }
    StoreObserver* observer() const { return observer_; }

    // ---- usage statistics, garbage collection, retention (lifecycle.h) ---------------
    // When the manifest was last pushed and pulled in the repository; zeros when unknown.
    ManifestUsage usage(std::string_view repository, const oci::Digest& digest) const;
    // A manifest GET served the manifest: cheap, persisted in batches.
    void note_pull(std::string_view repository, const oci::Digest& digest);
    // Writes the statistics not on disk yet (at shutdown; a timer does it meanwhile).
    io::Task<void> flush_usage();
    // Runs GC and retention every gc_interval from now on (when options.gc).
    void start_lifecycle(LifecycleOptions options);
    // One GC and retention pass over every repository, now.
    io::Task<void> collect_garbage();
    const GcStats& gc_stats() const;

private:
    friend class UploadLease;
    struct Impl;
    explicit Store(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    bool loaded_ = false;
    StoreObserver* observer_ = nullptr;
};

} // namespace berth::storage
