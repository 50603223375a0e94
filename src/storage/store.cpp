#include <berth/storage/store.h>

#include "files.h"
#include "store_impl.h"

#include <berth/io/directory.h>
#include <berth/io/ops.h>
#include <berth/io/startup.h>
#include <berth/storage/layout.h>
#include <berth/util/json_writer.h>
#include <berth/util/log.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_set>

namespace berth::storage {

namespace {

// Upload writes are staged in blocks of this size and written past the page cache: big enough
// that a direct write of one keeps the disk streaming, few enough that with every block in use
// (eight uploads at once) they stay a small part of the memory budget. Pages are backed only
// once used.
constexpr std::size_t write_block_bytes = 512 * 1024;
constexpr std::size_t write_block_count = 16;

bool is_temporary(std::string_view name) {
    return name.find(".tmp-") != std::string_view::npos;
}

} // namespace

StoreError io_failure(int error_number) {
    if (error_number == ENOSPC || error_number == EDQUOT) {
        return StoreError{Failure::no_space, error_number, {}};
    }
    return StoreError{Failure::io, error_number, {}};
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() {
    if (impl_->root_fd >= 0) {
        io::startup::close_fd(impl_->root_fd);
    }
    for (auto& [id, session] : impl_->uploads) {
        if (session->fd >= 0) {
            io::startup::close_fd(session->fd);
        }
    }
}

Repository* Store::Impl::find(std::string_view name) const {
    auto found = repositories.find(name);
    return found == repositories.end() ? nullptr : found->second.get();
}

bool Store::repository_exists(std::string_view name) const {
    return impl_->find(name) != nullptr;
}

std::vector<std::string> Store::repositories(std::string_view last, std::size_t limit,
                                             bool& more) const {
    std::vector<std::string> names;
    auto position =
        last.empty() ? impl_->repositories.begin() : impl_->repositories.upper_bound(last);
    for (; position != impl_->repositories.end() && names.size() < limit; ++position) {
        names.push_back(position->first);
    }
    more = position != impl_->repositories.end();
    return names;
}

Result<std::vector<std::string>> Store::tags(std::string_view repository) const {
    Repository* found = impl_->find(repository);
    if (found == nullptr) {
        return Unexpected(StoreError{Failure::repository_unknown, 0, {}});
    }
    std::vector<std::string> names;
    names.reserve(found->tags.size());
    for (const auto& [tag, digest] : found->tags) {
        names.push_back(tag);
    }
    return names;
}

std::uint64_t Store::repository_bytes(std::string_view repository) const {
    Repository* found = impl_->find(repository);
    if (found == nullptr) {
        return 0;
    }
    std::unordered_set<std::string> counted;
    std::uint64_t bytes = 0;
    for (const auto& [digest, entry] : found->manifests) {
        if (counted.insert(digest).second) {
            bytes += entry.size;
        }
        for (std::size_t i = 0; i < entry.blobs.size() && i < entry.blob_sizes.size(); i++) {
            if (counted.insert(entry.blobs[i].str()).second) {
                bytes += entry.blob_sizes[i];
            }
        }
    }
    return bytes;
}

std::size_t Store::upload_sessions() const {
    return impl_->uploads.size();
}

io::Task<void> Store::wait_loaded() {
    if (!loaded_) {
        co_await impl_->load_done.wait();
    }
}

// ---- index.json --------------------------------------------------------------------------

namespace {

void write_descriptor(util::JsonWriter& json, const ManifestEntry& entry, const std::string* tag) {
    json.begin_object()
        .member("mediaType", entry.media_type)
        .member("digest", entry.digest.str())
        .member_uint64("size", entry.size);
    if (tag != nullptr) {
        json.key("annotations").begin_object();
        json.member(oci::ref_name_annotation, *tag).end_object();
    }
    json.end_object();
}

} // namespace

io::Task<Result<Ok>>
Store::Impl::write_index(Repository& repository,
                         const std::map<std::string, std::string, std::less<>>& tags,
                         const std::vector<const ManifestEntry*>& manifests) {
    std::multimap<std::string_view, const std::string*> tags_by_digest;
    for (const auto& [tag, digest] : tags) {
        tags_by_digest.emplace(digest, &tag);
    }
    std::string text;
    util::JsonWriter json(text);
    json.begin_object()
        .member_int64("schemaVersion", 2)
        .member("mediaType", oci::oci_index_media_type)
        .key("manifests")
        .begin_array();
    for (const ManifestEntry* entry : manifests) {
        std::string digest = entry->digest.str();
        auto [first, last] = tags_by_digest.equal_range(digest);
        if (first == last) {
            write_descriptor(json, *entry, nullptr);
        }
        for (auto tagged = first; tagged != last; ++tagged) {
            write_descriptor(json, *entry, tagged->second);
        }
    }
    json.end_array().end_object();
    text += '\n';
    auto written = co_await files::replace_file(
        loop, root_fd, layout::repository_index(repository.name), text, true);
    if (!written) {
        log::error("cannot write index.json")
            .str("repository", repository.name)
            .str("error", std::strerror(written.error()));
        co_return Unexpected(io_failure(written.error()));
    }
    co_return Ok{};
}

io::Task<Result<Repository*>> Store::Impl::obtain(std::string_view name_view) {
    std::string name(name_view);
    // Two pushes to a new repository arrive together (a client uploads its layers in
    // parallel): the second waits for the first's layout instead of racing it on disk, where
    // its O_EXCL open of index.json could fail before the first one has registered it.
    while (true) {
        if (Repository* existing = find(name)) {
            co_return existing;
        }
        auto pending = creating.find(name);
        if (pending == creating.end()) {
            break;
        }
        co_await pending->second->wait();
    }
    io::Event created(loop);
    creating.emplace(name, &created);
    auto result = co_await create_repository(name);
    creating.erase(name);
    created.notify_all();
    co_return result;
}

io::Task<Result<Repository*>> Store::Impl::create_repository(std::string name) {
    auto made = co_await files::make_directories(
        loop, root_fd, layout::repository_blob_dir(name, oci::DigestAlgorithm::sha256));
    // The startup walk may have loaded it meanwhile (a push that came before the walk did).
    if (Repository* existing = find(name)) {
        co_return existing;
    }
    if (!made) {
        co_return Unexpected(io_failure(made.error()));
    }
    // A repository directory that holds an index.json not loaded (unreadable, say) is never
    // overwritten: the O_EXCL open fails and the push is refused.
    std::string index_path = layout::repository_index(name);
    int fd = co_await io::openat(loop, root_fd, index_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (Repository* existing = find(name)) {
        if (fd >= 0) {
            co_await io::close(loop, fd);
        }
        co_return existing;
    }
    if (fd < 0) {
        log::error("cannot create repository")
            .str("repository", name)
            .str("error", std::strerror(-fd));
        co_return Unexpected(io_failure(-fd));
    }
    auto repository = std::make_unique<Repository>(loop, name);
    Repository* created = repository.get();
    repositories.emplace(name, std::move(repository));
    constexpr std::string_view empty_index =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
        "\"manifests\":[]}\n";
    auto written = co_await files::write_all(loop, fd, empty_index, 0);
    co_await io::fsync(loop, fd);
    co_await io::close(loop, fd);
    auto layout_written = co_await files::replace_file(
        loop, root_fd, name + "/" + std::string(layout::oci_layout_file),
        layout::oci_layout_content, true);
    if (!written || !layout_written) {
        co_return Unexpected(io_failure(!written ? written.error() : layout_written.error()));
    }
    co_return created;
}

// ---- the manifest cache ------------------------------------------------------------------

void Store::Impl::cache_put(const std::string& digest, const std::string& body) {
    if (body.size() > options.manifest_cache_bytes / 4 || cache_index.contains(digest)) {
        return;
    }
    cache.emplace_back(digest, body);
    cache_index[digest] = std::prev(cache.end());
    cache_bytes += body.size();
    while (cache_bytes > options.manifest_cache_bytes && !cache.empty()) {
        cache_bytes -= cache.front().second.size();
        cache_index.erase(cache.front().first);
        cache.pop_front();
    }
}

const std::string* Store::Impl::cache_get(const std::string& digest) {
    auto found = cache_index.find(digest);
    if (found == cache_index.end()) {
        return nullptr;
    }
    cache.splice(cache.end(), cache, found->second);
    return &found->second->second;
}

void Store::Impl::cache_drop(const std::string& digest) {
    auto found = cache_index.find(digest);
    if (found != cache_index.end()) {
        cache_bytes -= found->second->second.size();
        cache.erase(found->second);
        cache_index.erase(found);
    }
}

// ---- opening and loading -----------------------------------------------------------------

Expected<std::unique_ptr<Store>, std::string> Store::open(io::Loop& loop,
                                                          const StoreOptions& options) {
    auto impl = std::make_unique<Impl>(loop, options);
    impl->root_fd = io::startup::open_directory(options.root);
    if (impl->root_fd < 0) {
        return Unexpected("cannot open " + options.root + ": " + std::strerror(-impl->root_fd));
    }
    for (const std::string& directory :
         {std::string(layout::blobs_dir), layout::shared_blob_dir(oci::DigestAlgorithm::sha256),
          layout::shared_blob_dir(oci::DigestAlgorithm::sha512),
          std::string(layout::uploads_dir)}) {
        int made = io::startup::make_directory_at(impl->root_fd, directory);
        if (made < 0) {
            return Unexpected("cannot create " + directory + ": " + std::strerror(-made));
        }
    }
    auto blocks = io::BlockPool::create(loop, write_block_bytes, write_block_count);
    if (!blocks) {
        return Unexpected(blocks.error());
    }
    impl->write_blocks = std::move(*blocks);
    std::unique_ptr<Store> store(new Store(std::move(impl)));
    store->impl_->recover_uploads();
    return store;
}

io::Task<void> Store::load() {
    auto started = io::Clock::now();
    co_await impl_->load_usage();
    co_await impl_->walk("");
    loaded_ = true;
    impl_->load_done.notify_all();
    impl_->schedule_expiry();
    // Push times of manifests older than the statistics, from their files.
    co_await impl_->fill_usage();
    auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(io::Clock::now() - started);
    log::info("repositories loaded")
        .unum("repositories", impl_->repositories.size())
        .unum("uploads", impl_->uploads.size())
        .num("duration_ms", elapsed.count());
}

io::Task<void> Store::Impl::walk(std::string directory) {
    // Named: GCC 12 mishandles a conditional temporary in a co_await'ed call.
    std::string listed = directory.empty() ? "." : directory;
    auto entries = co_await io::list_directory_in_slices(loop, root_fd, listed);
    bool is_repository = std::any_of(entries.begin(), entries.end(), [](const auto& entry) {
        return entry.is_file && entry.name == layout::index_file;
    });
    if (is_repository && oci::valid_repository_name(directory)) {
        co_await load_repository(directory);
    }
    for (const io::DirectoryEntry& entry : entries) {
        std::string child = directory.empty() ? entry.name : directory + "/" + entry.name;
        if (entry.is_file && is_temporary(entry.name)) {
            // A replacement interrupted by a crash: the rename never happened.
            co_await io::unlinkat(loop, root_fd, child);
            continue;
        }
        bool hidden = entry.name.starts_with('_') || entry.name.starts_with('.');
        if (!entry.is_directory || hidden || (is_repository && entry.name == "blobs")) {
            continue;
        }
        // Each directory is one listing; between them, requests get their turn.
        co_await loop.next_turn();
        co_await walk(child);
    }
}

} // namespace berth::storage
