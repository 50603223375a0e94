// Manifests and tags: the in-memory index of each repository and its index.json.
#include <berth/storage/store.h>

#include "files.h"
#include "store_impl.h"

#include <berth/io/files.h>
#include <berth/io/ops.h>
#include <berth/storage/layout.h>
#include <berth/util/log.h>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace berth::storage {

namespace {

// An index.json larger than this is not one berth or Zot would write.
constexpr std::size_t index_bytes_max = 64 << 20;
// Manifests read back from disk; generous, since it only bounds a read.
constexpr std::size_t manifest_bytes_max = 64 << 20;

StoreError failure(Failure kind) {
    return StoreError{kind, 0, {}};
}

std::uint64_t declared_size(const oci::Descriptor& descriptor) {
    return descriptor.size > 0 ? static_cast<std::uint64_t>(descriptor.size) : 0;
}

void describe(ManifestEntry& entry, const oci::ManifestInfo& info) {
    entry.blobs.clear();
    entry.blob_sizes.clear();
    entry.children.clear();
    if (info.config) {
        entry.blobs.push_back(info.config->digest);
        entry.blob_sizes.push_back(declared_size(*info.config));
    }
    for (const oci::Descriptor& layer : info.layers) {
        entry.blobs.push_back(layer.digest);
        entry.blob_sizes.push_back(declared_size(layer));
    }
    for (const oci::Descriptor& child : info.manifests) {
        entry.children.push_back(child.digest);
    }
    if (info.subject) {
        // Only referrers are listed with their annotations; others need not keep them.
        entry.subject = info.subject->digest;
        entry.artifact_type = oci::referrer_artifact_type(info);
        entry.annotations = info.annotations;
    }
}

std::vector<const ManifestEntry*> in_push_order(const Repository& repository,
                                                const ManifestEntry* extra,
                                                const std::string* without) {
    std::vector<const ManifestEntry*> entries;
    entries.reserve(repository.manifests.size() + 1);
    for (const auto& [digest, entry] : repository.manifests) {
        if (without == nullptr || digest != *without) {
            entries.push_back(&entry);
        }
    }
    if (extra != nullptr) {
        entries.push_back(extra);
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto* a, const auto* b) { return a->sequence < b->sequence; });
    return entries;
}

} // namespace

io::Task<void> Store::Impl::load_repository(std::string name) {
    auto text =
        co_await io::read_whole(loop, root_fd, layout::repository_index(name), index_bytes_max);
    using Descriptors = std::vector<oci::Descriptor>;
    Expected<Descriptors, oci::ManifestError> descriptors =
        Unexpected(oci::ManifestError{text ? "" : std::strerror(text.error())});
    if (text) {
        descriptors = oci::parse_index_json(*text);
    }
    if (!descriptors) {
        log::error("repository not loaded: unreadable index.json")
            .str("repository", name)
            .str("error", descriptors.error().message);
        co_return;
    }
    auto repository = std::make_unique<Repository>(loop, name);
    for (const oci::Descriptor& descriptor : *descriptors) {
        std::string digest = descriptor.digest.str();
        auto [entry, added] = repository->manifests.try_emplace(digest);
        if (added) {
            entry->second.digest = descriptor.digest;
            entry->second.media_type = descriptor.media_type;
            entry->second.size = static_cast<std::uint64_t>(descriptor.size);
            entry->second.sequence = next_sequence++;
        }
        auto tag = oci::find_annotation(descriptor.annotations, oci::ref_name_annotation);
        if (tag && oci::valid_tag(*tag)) {
            repository->tags[std::string(*tag)] = digest;
        }
    }
    for (auto& [digest, entry] : repository->manifests) {
        auto body = co_await io::read_whole(
            loop, root_fd, layout::repository_blob(name, entry.digest), manifest_bytes_max);
        Expected<oci::ManifestInfo, oci::ManifestError> info =
            Unexpected(oci::ManifestError{body ? "" : std::strerror(body.error())});
        if (body) {
            info = oci::parse_manifest(*body, entry.media_type);
        }
        if (!info) {
            log::warn("manifest not readable; listed without its references")
                .str("repository", name)
                .str("digest", digest)
                .str("error", info.error().message);
            continue;
        }
        describe(entry, *info);
    }
    repositories.emplace(name, std::move(repository));
}

io::Task<Result<StoredManifest>> Store::get_manifest(std::string_view repository_name,
                                                     std::string_view reference) {
    auto head = head_manifest(repository_name, reference);
    if (!head) {
        co_return Unexpected(head.error());
    }
    std::string digest = head->digest.str();
    if (const std::string* cached = impl_->cache_get(digest)) {
        co_return StoredManifest{head->digest, head->media_type, *cached};
    }
    auto body = co_await io::read_whole(impl_->loop, impl_->root_fd,
                                        layout::repository_blob(repository_name, head->digest),
                                        manifest_bytes_max);
    if (!body) {
        if (body.error() == ENOENT) {
            co_return Unexpected(failure(Failure::manifest_unknown));
        }
        co_return Unexpected(io_failure(body.error()));
    }
    // Served bytes must be the bytes that were pushed; a file that changed on disk is an
    // error to report, never content to hand out.
    if (!(digest_of(*body, head->digest.algorithm) == head->digest)) {
        log::error("manifest on disk does not match its digest")
            .str("repository", repository_name)
            .str("digest", digest);
        co_return Unexpected(io_failure(EIO));
    }
    impl_->cache_put(digest, *body);
    co_return StoredManifest{head->digest, head->media_type, std::move(*body)};
}

Result<ManifestHead> Store::head_manifest(std::string_view repository_name,
                                          std::string_view reference) const {
    Repository* repository = impl_->find(repository_name);
    if (repository == nullptr) {
        return Unexpected(failure(Failure::repository_unknown));
    }
    std::string digest(reference);
    if (reference.find(':') == std::string_view::npos) {
        auto tagged = repository->tags.find(reference);
        if (tagged == repository->tags.end()) {
            return Unexpected(failure(Failure::manifest_unknown));
        }
        digest = tagged->second;
    }
    auto found = repository->manifests.find(digest);
    if (found == repository->manifests.end()) {
        return Unexpected(failure(Failure::manifest_unknown));
    }
    return ManifestHead{found->second.digest, found->second.media_type, found->second.size};
}

io::Task<Result<PutManifestResult>> Store::put_manifest(std::string_view repository_name,
                                                        std::optional<std::string> tag,
                                                        const oci::Digest& digest, std::string body,
                                                        const oci::ManifestInfo& info) {
    co_await wait_loaded();
    auto obtained = co_await impl_->obtain(repository_name);
    if (!obtained) {
        co_return Unexpected(obtained.error());
    }
    Repository& repository = **obtained;
    // Held from the check of the references to the index update, so that garbage collection
    // (which judges blobs under the same lock) cannot unlink one in between.
    auto guard = co_await repository.index_lock.lock();
    std::vector<oci::Digest> wanted;
    if (info.config) {
        wanted.push_back(info.config->digest);
    }
    for (const oci::Descriptor& layer : info.layers) {
        // Foreign layers live elsewhere (their urls); the registry never holds them.
        if (!layer.has_urls) {
            wanted.push_back(layer.digest);
        }
    }
    std::vector<oci::Digest> missing = co_await missing_blobs(repository_name, wanted);
    for (const oci::Descriptor& child : info.manifests) {
        if (!repository.manifests.contains(child.digest.str())) {
            missing.push_back(child.digest);
        }
    }
    if (!missing.empty()) {
        co_return Unexpected(StoreError{Failure::references_missing, 0, std::move(missing)});
    }
    auto stored = co_await impl_->store_manifest_blob(repository_name, digest, body);
    if (!stored) {
        co_return Unexpected(stored.error());
    }
    std::string key = digest.str();
    auto tags = repository.tags;
    PutManifestResult result;
    if (tag) {
        auto previous = tags.find(*tag);
        result.tag_moved = previous != tags.end() && previous->second != key;
        tags[*tag] = key;
    }
    auto existing = repository.manifests.find(key);
    ManifestEntry entry;
    if (existing == repository.manifests.end()) {
        entry.digest = digest;
        entry.media_type = info.media_type;
        entry.size = body.size();
        entry.sequence = impl_->next_sequence++;
        describe(entry, info);
    }
    bool is_new = existing == repository.manifests.end();
    auto entries = in_push_order(repository, is_new ? &entry : nullptr, nullptr);
    auto written = co_await impl_->write_index(repository, tags, entries);
    if (!written) {
        co_return Unexpected(written.error());
    }
    repository.tags = std::move(tags);
    if (is_new) {
        repository.manifests.emplace(key, std::move(entry));
    }
    impl_->cache_put(key, body);
    impl_->note_push(repository_name, key);
    if (observer_ != nullptr) {
        observer_->manifest_put(repository_name, digest, body.size(), tag, info);
    }
    co_return result;
}

io::Task<Result<Ok>> Store::Impl::store_manifest_blob(std::string_view repository,
                                                      const oci::Digest& digest,
                                                      const std::string& body) {
    int present = 0;
    {
        struct statx info {};
        present = co_await io::statx(loop, root_fd, layout::repository_blob(repository, digest),
                                     AT_SYMLINK_NOFOLLOW, STATX_SIZE, &info);
        if (present == 0 && info.stx_size == body.size()) {
            co_return Ok{};
        }
    }
    // Like any blob: written aside, fsynced, then renamed into place.
    std::string temporary = layout::upload_data("manifest-" + files::random_id());
    int fd = co_await io::openat(loop, root_fd, temporary, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        co_return Unexpected(io_failure(-fd));
    }
    auto written = co_await files::write_all(loop, fd, body, 0);
    int synced = 0;
    if (written) { // not `written ? co_await ... : 0`, which GCC 12 miscompiles
        synced = co_await io::fsync(loop, fd);
    }
    co_await io::close(loop, fd);
    if (!written || synced < 0) {
        co_await io::unlinkat(loop, root_fd, temporary);
        co_return Unexpected(io_failure(!written ? written.error() : -synced));
    }
    auto committed = co_await commit_blob(temporary, repository, digest);
    co_return committed;
}

io::Task<Result<Ok>> Store::delete_manifest(std::string_view repository_name,
                                            const oci::Digest& digest) {
    co_await wait_loaded();
    Repository* repository = impl_->find(repository_name);
    if (repository == nullptr) {
        co_return Unexpected(failure(Failure::repository_unknown));
    }
    auto guard = co_await repository->index_lock.lock();
    std::string key = digest.str();
    if (!repository->manifests.contains(key)) {
        co_return Unexpected(failure(Failure::manifest_unknown));
    }
    auto tags = repository->tags;
    std::erase_if(tags, [&](const auto& item) { return item.second == key; });
    auto entries = in_push_order(*repository, nullptr, &key);
    auto written = co_await impl_->write_index(*repository, tags, entries);
    if (!written) {
        co_return Unexpected(written.error());
    }
    repository->tags = std::move(tags);
    repository->manifests.erase(key);
    impl_->note_manifest_gone(repository_name, key);
    if (observer_ != nullptr) {
        observer_->manifest_deleted(repository_name, digest);
    }
    co_return Ok{};
}

io::Task<Result<Ok>> Store::delete_tag(std::string_view repository_name, std::string_view tag) {
    co_await wait_loaded();
    Repository* repository = impl_->find(repository_name);
    if (repository == nullptr) {
        co_return Unexpected(failure(Failure::repository_unknown));
    }
    auto guard = co_await repository->index_lock.lock();
    auto tags = repository->tags;
    auto found = tags.find(tag);
    if (found == tags.end()) {
        co_return Unexpected(failure(Failure::manifest_unknown));
    }
    tags.erase(found);
    auto entries = in_push_order(*repository, nullptr, nullptr);
    auto written = co_await impl_->write_index(*repository, tags, entries);
    if (!written) {
        co_return Unexpected(written.error());
    }
    repository->tags = std::move(tags);
    if (observer_ != nullptr) {
        observer_->tag_deleted(repository_name, tag);
    }
    co_return Ok{};
}

std::vector<Referrer> Store::referrers(std::string_view repository_name,
                                       const oci::Digest& subject) const {
    std::vector<Referrer> found;
    Repository* repository = impl_->find(repository_name);
    if (repository == nullptr) {
        return found;
    }
    std::vector<const ManifestEntry*> entries;
    for (const auto& [digest, entry] : repository->manifests) {
        if (entry.subject && *entry.subject == subject) {
            entries.push_back(&entry);
        }
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto* a, const auto* b) { return a->sequence < b->sequence; });
    for (const ManifestEntry* entry : entries) {
        found.push_back(Referrer{entry->digest, entry->media_type, entry->size,
                                 entry->artifact_type, entry->annotations});
    }
    return found;
}

std::vector<ManifestHead> Store::manifests(std::string_view repository_name) const {
    std::vector<ManifestHead> heads;
    Repository* repository = impl_->find(repository_name);
    if (repository == nullptr) {
        return heads;
    }
    for (const ManifestEntry* entry : in_push_order(*repository, nullptr, nullptr)) {
        heads.push_back(ManifestHead{entry->digest, entry->media_type, entry->size});
    }
    return heads;
}

} // namespace berth::storage
