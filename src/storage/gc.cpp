// Garbage collection and retention: a background task that, every gcInterval, goes through
// each repository, applies the retention plan to its index (lifecycle::plan), unlinks the
// blobs no manifest of the repository references, then frees the _blobs files no repository
// links any more and drops stale upload sessions.
//
// It never stalls requests: every file operation goes through the ring, and it yields after
// each repository and each slice of files. It never races a push:
// - a repository's blobs are judged and unlinked while holding the repository's index lock,
//   which put_manifest holds from its check of the referenced blobs to its index update;
// - a blob is kept while less than gcDelay old by its times (a commit or a mount renames or
//   links it, which sets its ctime), or while recently committed (in memory), or while a
//   commit or mount of the same digest is in progress (BlobPin); a commit waits for an unlink
//   of its digest in flight, so the two never overlap.
#include "store_impl.h"

#include <berth/io/directory.h>
#include <berth/io/ops.h>
#include <berth/storage/layout.h>
#include <berth/util/json_writer.h>
#include <berth/util/log.h>
#include <berth/util/metrics.h>

#include <fcntl.h>
#include <linux/stat.h>

#include <algorithm>
#include <array>
#include <unordered_set>

namespace berth::storage {

namespace {

// Files examined between two yields to the loop (and per hold of a repository's lock).
constexpr std::size_t slice_files = 64;
// Names parsed between two yields while listing blobs.
constexpr std::size_t slice_names = 512;
// How often a pass outside gcTimeWindow looks again.
constexpr std::chrono::minutes window_retry{1};

std::int64_t seconds(std::chrono::nanoseconds duration) {
    return std::chrono::duration_cast<std::chrono::seconds>(duration).count();
}

struct BlobFile {
    std::string path;
    std::string digest;
};

constexpr std::array<oci::DigestAlgorithm, 2> blob_algorithms = {oci::DigestAlgorithm::sha256,
                                                                 oci::DigestAlgorithm::sha512};

// The blob files of a directory (<dir>/<alg>/<hex>) for both algorithms, listed and parsed in
// slices between turns of the loop: `_blobs/sha256` may hold 100,000 names.
io::Task<std::vector<BlobFile>> list_blobs(io::Loop& loop, int root_fd, std::string repository) {
    std::vector<BlobFile> found;
    for (oci::DigestAlgorithm algorithm : blob_algorithms) {
        std::string directory = repository.empty()
                                    ? layout::shared_blob_dir(algorithm)
                                    : layout::repository_blob_dir(repository, algorithm);
        std::vector<io::DirectoryEntry> entries =
            co_await io::list_directory_in_slices(loop, root_fd, directory);
        for (std::size_t i = 0; i < entries.size(); i++) {
            if (i > 0 && i % slice_names == 0) {
                co_await loop.next_turn();
            }
            const io::DirectoryEntry& entry = entries[i];
            if (!entry.is_file) {
                continue;
            }
            oci::Digest digest{algorithm, entry.name};
            if (entry.name.size() != oci::digest_hex_length(algorithm) ||
                !oci::parse_digest(digest.str())) {
                continue; // a temporary file or something foreign: not ours to judge
            }
            found.push_back({directory + "/" + entry.name, digest.str()});
        }
    }
    co_return found;
}

std::unordered_set<std::string> referenced_by(const Repository& repository) {
    std::unordered_set<std::string> referenced;
    for (const auto& [digest, entry] : repository.manifests) {
        referenced.insert(digest);
        for (const oci::Digest& blob : entry.blobs) {
            referenced.insert(blob.str());
        }
        for (const oci::Digest& child : entry.children) {
            referenced.insert(child.str());
        }
    }
    return referenced;
}

} // namespace

// ---- pins ----------------------------------------------------------------------------------

BlobPin::BlobPin(LifecycleState* state, std::string digest)
    : state_(state), digest_(std::move(digest)) {
    ++state_->blobs_pinned[digest_];
}

BlobPin::BlobPin(BlobPin&& other) noexcept
    : state_(other.state_), digest_(std::move(other.digest_)) {
    other.state_ = nullptr;
}

BlobPin::~BlobPin() {
    if (state_ == nullptr) {
        return;
    }
    auto found = state_->blobs_pinned.find(digest_);
    if (found != state_->blobs_pinned.end() && --found->second == 0) {
        state_->blobs_pinned.erase(found);
    }
    if (state_->options.gc) {
        state_->blobs_recent[digest_] = state_->loop.now();
    }
}

io::Task<BlobPin> Store::Impl::pin_blob(const oci::Digest& digest) {
    std::string key = digest.str();
    while (lifecycle.blobs_deleting.contains(key)) {
        co_await lifecycle.blob_released.wait();
    }
    co_return BlobPin(&lifecycle, std::move(key));
}

io::Task<int> Store::Impl::gc_unlink_blob(std::string path, const std::string& digest) {
    LifecycleState& state = lifecycle;
    auto recent = state.blobs_recent.find(digest);
    if (state.blobs_pinned.contains(digest) || state.blobs_deleting.contains(digest) ||
        (recent != state.blobs_recent.end() &&
         loop.now() - recent->second < state.options.gc_delay)) {
        co_return 0;
    }
    // From here until the unlink completes, a commit of this digest waits (pin_blob).
    state.blobs_deleting.insert(digest);
    int result = co_await io::unlinkat(loop, root_fd, path);
    state.blobs_deleting.erase(digest);
    state.blob_released.notify_all();
    if (result == -ENOENT) {
        co_return 0;
    }
    co_return result < 0 ? result : 1;
}

// ---- audit -------------------------------------------------------------------------------

void Store::Impl::audit(std::string_view module, std::string_view repository, std::string_view kind,
                        std::string_view name, std::string_view reason) {
    log::Sink* sink = lifecycle.options.audit;
    if (sink == nullptr) {
        return;
    }
    auto now = std::chrono::system_clock::now().time_since_epoch();
    std::string line;
    util::JsonWriter json(line);
    json.begin_object()
        .member("time", log::format_time_utc(
                            std::chrono::duration_cast<std::chrono::milliseconds>(now).count()))
        .member("module", module)
        .member("action", "delete")
        .member("repository", repository)
        .member(kind, name)
        .member("reason", reason)
        .end_object();
    line += '\n';
    sink->write(line);
}

// ---- one repository ------------------------------------------------------------------------

io::Task<bool> Store::Impl::gc_repository(std::string name) {
    Repository* repository = find(name);
    if (repository == nullptr) {
        co_return true;
    }
    bool ok = true;
    {
        auto guard = co_await repository->index_lock.lock();
        lifecycle::RepositoryFacts facts;
        facts.tags = repository->tags;
        for (const auto& [digest, entry] : repository->manifests) {
            lifecycle::ManifestFacts& manifest = facts.manifests.emplace_back();
            manifest.digest = digest;
            for (const oci::Digest& child : entry.children) {
                manifest.children.push_back(child.str());
            }
            if (entry.subject) {
                manifest.subject = entry.subject->str();
            }
            auto usage = lifecycle.usage.find(name + "@" + digest);
            if (usage != lifecycle.usage.end()) {
                manifest.usage = usage->second;
            }
        }
        const Retention& retention = lifecycle.options.retention;
        auto plan = lifecycle::plan(facts, lifecycle.policies->policy_for(name), wall_unix_now(),
                                    seconds(retention.delay));
        if (!plan.empty()) {
            ok = co_await gc_apply(*repository, plan);
        }
    }
    // Zot's dryRun skips blob deletion too: nothing at all changes.
    if (!lifecycle.options.retention.dry_run) {
        ok = co_await gc_repository_blobs(*repository) && ok;
    }
    co_return ok;
}

io::Task<bool> Store::Impl::gc_apply(Repository& repository, const lifecycle::Plan& plan) {
    bool dry_run = lifecycle.options.retention.dry_run;
    for (const lifecycle::Removal& removal : plan.tags) {
        log::info("retention")
            .str("repository", repository.name)
            .str("tag", removal.name)
            .str("decision", "delete")
            .str("reason", removal.reason)
            .boolean("dry_run", dry_run);
    }
    for (const lifecycle::Removal& removal : plan.manifests) {
        log::info("retention")
            .str("repository", repository.name)
            .str("digest", removal.name)
            .str("decision", "delete")
            .str("reason", removal.reason)
            .boolean("dry_run", dry_run);
    }
    if (dry_run) {
        co_return true;
    }
    auto tags = repository.tags;
    for (const lifecycle::Removal& removal : plan.tags) {
        tags.erase(removal.name);
    }
    std::unordered_set<std::string> removed;
    for (const lifecycle::Removal& removal : plan.manifests) {
        removed.insert(removal.name);
    }
    std::vector<const ManifestEntry*> entries;
    for (const auto& [digest, entry] : repository.manifests) {
        if (!removed.contains(digest)) {
            entries.push_back(&entry);
        }
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto* a, const auto* b) { return a->sequence < b->sequence; });
    auto written = co_await write_index(repository, tags, entries);
    if (!written) {
        co_return false;
    }
    repository.tags = std::move(tags);
    StoreObserver* observer = lifecycle.owner != nullptr ? lifecycle.owner->observer() : nullptr;
    for (const lifecycle::Removal& removal : plan.tags) {
        lifecycle.stats.deleted_tags++;
        audit("retention", repository.name, "tag", removal.name, removal.reason);
        if (observer != nullptr) {
            observer->tag_deleted(repository.name, removal.name);
        }
    }
    for (const lifecycle::Removal& removal : plan.manifests) {
        auto found = repository.manifests.find(removal.name);
        oci::Digest digest = found->second.digest;
        repository.manifests.erase(found);
        cache_drop(removal.name);
        note_manifest_gone(repository.name, removal.name);
        lifecycle.stats.deleted_manifests++;
        audit("gc", repository.name, "digest", removal.name, removal.reason);
        if (observer != nullptr) {
            observer->manifest_deleted(repository.name, digest);
        }
    }
    co_return true;
}

io::Task<bool> Store::Impl::gc_repository_blobs(Repository& repository) {
    std::vector<BlobFile> files = co_await list_blobs(loop, root_fd, repository.name);
    std::int64_t delay = seconds(lifecycle.options.gc_delay);
    bool ok = true;
    for (std::size_t first = 0; first < files.size(); first += slice_files) {
        // Judged and unlinked under the lock, so that no manifest can come to reference a
        // blob between the decision and the unlink.
        auto guard = co_await repository.index_lock.lock();
        std::unordered_set<std::string> referenced = referenced_by(repository);
        for (std::size_t i = first; i < std::min(files.size(), first + slice_files); i++) {
            const BlobFile& file = files[i];
            if (referenced.contains(file.digest)) {
                continue;
            }
            struct statx info {};
            int result = co_await io::statx(loop, root_fd, file.path, AT_SYMLINK_NOFOLLOW,
                                            STATX_MTIME | STATX_CTIME, &info);
            std::int64_t changed = std::max(info.stx_mtime.tv_sec, info.stx_ctime.tv_sec);
            if (result < 0 || !lifecycle::old_enough(changed, wall_unix_now(), delay)) {
                continue;
            }
            int unlinked = co_await gc_unlink_blob(file.path, file.digest);
            ok = ok && unlinked >= 0;
            if (unlinked > 0) {
                lifecycle.stats.deleted_blobs++;
                log::info("gc: blob unlinked")
                    .str("repository", repository.name)
                    .str("digest", file.digest);
                audit("gc", repository.name, "digest", file.digest, "blob not referenced");
            }
        }
        co_await loop.next_turn();
    }
    co_return ok;
}

// ---- the shared store and uploads ----------------------------------------------------------

io::Task<bool> Store::Impl::gc_shared_blobs() {
    std::vector<BlobFile> files = co_await list_blobs(loop, root_fd, "");
    std::int64_t delay = seconds(lifecycle.options.gc_delay);
    bool ok = true;
    for (std::size_t i = 0; i < files.size(); i++) {
        const BlobFile& file = files[i];
        struct statx info {};
        int result = co_await io::statx(loop, root_fd, file.path, AT_SYMLINK_NOFOLLOW,
                                        STATX_NLINK | STATX_MTIME, &info);
        // Its only name left: no repository links it. Its mtime is when its bytes were
        // written (an upload's last write), unchanged by the links that come and go.
        if (result == 0 && info.stx_nlink == 1 &&
            lifecycle::old_enough(info.stx_mtime.tv_sec, wall_unix_now(), delay)) {
            int unlinked = co_await gc_unlink_blob(file.path, file.digest);
            ok = ok && unlinked >= 0;
            if (unlinked > 0) {
                lifecycle.stats.deleted_blobs++;
                log::info("gc: shared blob freed").str("digest", file.digest);
                audit("gc", "", "digest", file.digest, "no repository holds the blob");
            }
        }
        if ((i + 1) % slice_files == 0) {
            co_await loop.next_turn();
        }
    }
    co_return ok;
}

io::Task<void> Store::Impl::gc_uploads() {
    std::int64_t now = wall_unix_now();
    std::int64_t delay = seconds(lifecycle.options.gc_delay);
    std::vector<std::string> stale;
    for (const auto& [id, session] : uploads) {
        if (!session->leased && !session->finished &&
            lifecycle::upload_stale(session->updated_unix, now, delay)) {
            stale.push_back(id);
        }
    }
    for (const std::string& id : stale) {
        auto found = uploads.find(id);
        if (found == uploads.end() || found->second->leased || found->second->finished) {
            continue;
        }
        std::string repository = found->second->repository;
        found->second->finished = true;
        log::info("gc: stale upload removed").str("upload", id).str("repository", repository);
        audit("gc", repository, "upload", id, "upload idle longer than gcDelay");
        lifecycle.stats.deleted_uploads++;
        co_await discard_upload(id);
    }
}

// ---- the pass and its schedule ---------------------------------------------------------------

io::Task<void> Store::Impl::collect_garbage() {
    LifecycleState& state = lifecycle;
    if (state.gc_running) {
        co_return;
    }
    state.gc_running = true;
    if (!state.policies) {
        state.policies = std::make_unique<lifecycle::Policies>(state.options.retention,
                                                               state.options.glob_match);
    }
    auto started = io::Clock::now();
    GcStats before = state.stats;
    std::vector<std::string> names;
    for (const auto& [name, repository] : repositories) {
        names.push_back(name);
    }
    bool ok = true;
    for (const std::string& name : names) {
        ok = co_await gc_repository(name) && ok;
        co_await loop.next_turn();
    }
    if (!state.options.retention.dry_run) {
        ok = co_await gc_shared_blobs() && ok;
        co_await gc_uploads();
    }
    std::erase_if(state.blobs_recent, [&](const auto& item) {
        return loop.now() - item.second >= state.options.gc_delay;
    });
    std::chrono::duration<double> took = io::Clock::now() - started;
    state.stats.runs++;
    state.stats.runs_failed += ok ? 0 : 1;
    state.stats.duration_seconds_sum += took.count();
    state.stats.duration_seconds_last = took.count();
    metrics::gc_run(!ok, took.count());
    metrics::gc_deleted(metrics::Deleted::manifest,
                        state.stats.deleted_manifests - before.deleted_manifests);
    metrics::gc_deleted(metrics::Deleted::blob, state.stats.deleted_blobs - before.deleted_blobs);
    metrics::gc_deleted(metrics::Deleted::upload,
                        state.stats.deleted_uploads - before.deleted_uploads);
    log::info("gc: pass done")
        .str("root", options.root) // which store, with storage.subPaths
        .unum("repositories", names.size())
        .unum("deleted_manifests", state.stats.deleted_manifests)
        .unum("deleted_blobs", state.stats.deleted_blobs)
        .boolean("ok", ok)
        .num("duration_ms", static_cast<std::int64_t>(took.count() * 1000));
    state.gc_running = false;
}

void Store::Impl::gc_timer_fired() {
    LifecycleState& state = lifecycle;
    if (!lifecycle::inside_window(state.options.gc_time_window, wall_unix_now())) {
        loop.arm(state.gc_timer,
                 std::min<io::Clock::duration>(state.options.gc_interval, window_retry));
        return;
    }
    io::spawn(
        collect_garbage(),
        [](void* context) {
            auto* impl = static_cast<Store::Impl*>(context);
            impl->loop.arm(impl->lifecycle.gc_timer, impl->lifecycle.options.gc_interval);
        },
        this);
}

void Store::start_lifecycle(LifecycleOptions options) {
    LifecycleState& state = impl_->lifecycle;
    state.options = std::move(options);
    state.owner = this;
    state.policies =
        std::make_unique<lifecycle::Policies>(state.options.retention, state.options.glob_match);
    state.gc_timer.bind<&Impl::gc_timer_fired>(impl_.get());
    if (state.options.gc && state.options.gc_interval.count() > 0) {
        impl_->loop.arm(state.gc_timer, state.options.gc_interval);
    }
}

io::Task<void> Store::collect_garbage() {
    co_await wait_loaded();
    co_await impl_->collect_garbage();
}

const GcStats& Store::gc_stats() const {
    return impl_->lifecycle.stats;
}

} // namespace berth::storage
