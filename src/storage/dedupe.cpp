#include <berth/storage/dedupe.h>

#include "blob_scan.h"
#include "files.h"

#include <berth/io/ops.h>
#include <berth/io/startup.h>
#include <berth/storage/layout.h>
#include <berth/storage/store.h>
#include <berth/util/log.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <utility>

namespace berth::storage {

namespace {

constexpr oci::DigestAlgorithm algorithms[] = {oci::DigestAlgorithm::sha256,
                                               oci::DigestAlgorithm::sha512};

class Fold {
public:
    Fold(io::Loop& loop, int root_fd) : loop_(loop), root_fd_(root_fd) {}

    io::Task<FoldTotals> run() {
        auto repositories = co_await scan::find_repositories(loop_, root_fd_);
        for (const std::string& repository : repositories) {
            totals_.repositories++;
            repository_changed_ = false;
            // Named, not a range-for temporary living across co_await (GCC 12's coroutine
            // temporaries are not to be trusted).
            std::vector<oci::Digest> blobs = co_await scan::list_blobs(loop_, root_fd_, repository);
            for (const oci::Digest& digest : blobs) {
                co_await fold_blob(repository, digest);
            }
            for (oci::DigestAlgorithm algorithm : algorithms) {
                if (repository_changed_) {
                    co_await sync_directory(layout::repository_blob_dir(repository, algorithm));
                }
            }
        }
        for (oci::DigestAlgorithm algorithm : algorithms) {
            if (shared_changed_) {
                co_await sync_directory(layout::shared_blob_dir(algorithm));
            }
        }
        co_return totals_;
    }

private:
    io::Task<void> fold_blob(const std::string& repository, const oci::Digest& digest);
    io::Task<bool> intact(const std::string& path, const oci::Digest& digest);
    io::Task<int> swap_in(const std::string& source, const std::string& target);

    io::Task<void> sync_directory(std::string path) {
        auto synced = co_await files::fsync_directory(loop_, root_fd_, std::move(path));
        (void)synced; // a directory that does not exist has nothing to sync
    }

    io::Loop& loop_;
    int root_fd_;
    FoldTotals totals_;
    bool repository_changed_ = false;
    bool shared_changed_ = false;
    // Files hashed intact this pass, by (device, inode): each shared copy is read once.
    std::set<std::pair<std::uint64_t, std::uint64_t>> intact_;
};

io::Task<void> Fold::fold_blob(const std::string& repository, const oci::Digest& digest) {
    std::string path = layout::repository_blob(repository, digest);
    std::string shared = layout::shared_blob(digest);
    totals_.blobs++;
    auto copy = co_await scan::identify(loop_, root_fd_, path);
    if (!copy) {
        co_return; // deleted since the listing
    }
    auto kept = co_await scan::identify(loop_, root_fd_, shared);
    if (kept && kept->same_file(*copy)) {
        totals_.already_linked++;
        co_return;
    }
    if (!kept) {
        // No shared copy yet: this file becomes it, once it is known to be intact. (EEXIST:
        // a push stored one meanwhile; the next pass folds this file into it.)
        if (kept.error() != ENOENT) {
            co_return;
        }
        if (!co_await intact(path, digest)) {
            totals_.refused++;
            co_return;
        }
        if (co_await io::linkat(loop_, root_fd_, path, root_fd_, shared) == 0) {
            totals_.shared++;
            shared_changed_ = true;
        }
        co_return;
    }
    if (!co_await intact(shared, digest)) {
        if (!co_await intact(path, digest)) {
            totals_.refused++;
            co_return;
        }
        if (co_await swap_in(path, shared) == 0) {
            totals_.repaired++;
            shared_changed_ = true;
            log::warn("shared blob damaged; replaced by an intact repository copy")
                .str("digest", digest.str())
                .str("repository", repository);
        }
        co_return;
    }
    if (co_await swap_in(shared, path) == 0) {
        totals_.folded++;
        repository_changed_ = true;
        if (copy->links == 1) {
            totals_.bytes_freed += copy->size;
        }
    }
}

io::Task<bool> Fold::intact(const std::string& path, const oci::Digest& digest) {
    auto file = co_await scan::identify(loop_, root_fd_, path);
    if (file && intact_.contains({file->device, file->inode})) {
        co_return true;
    }
    auto hashed = co_await scan::hash_file(loop_, root_fd_, path, digest.algorithm);
    if (!hashed || !(hashed->digest == digest)) {
        log::warn("blob does not match its digest; not deduplicated")
            .str("path", path)
            .str("error", hashed ? "bad blob digest" : std::strerror(hashed.error()));
        co_return false;
    }
    intact_.insert({hashed->file.device, hashed->file.inode});
    co_return true;
}

// Makes `target` a link of `source`: a link under a temporary name, exchanged atomically
// with `target`, so that readers see the old file or the new one, and a target deleted
// meanwhile stays deleted (the exchange fails with ENOENT). The negated errno, or 0.
io::Task<int> Fold::swap_in(const std::string& source, const std::string& target) {
    std::string temporary = layout::upload_data("fold-" + files::random_id());
    int linked = co_await io::linkat(loop_, root_fd_, source, root_fd_, temporary);
    if (linked < 0) {
        co_return linked;
    }
    int exchanged =
        co_await io::renameat(loop_, root_fd_, temporary, root_fd_, target, RENAME_EXCHANGE);
    // The temporary name now holds the replaced file, or the unused link.
    co_await io::unlinkat(loop_, root_fd_, temporary);
    co_return exchanged;
}

} // namespace

io::Task<FoldTotals> fold_copies(io::Loop& loop, int root_fd) {
    Fold fold(loop, root_fd);
    co_return co_await fold.run();
}

Expected<std::unique_ptr<Deduper>, std::string> Deduper::create(io::Loop& loop, Store& store,
                                                                const std::string& root) {
    int root_fd = io::startup::open_directory(root);
    if (root_fd < 0) {
        return Unexpected("cannot open " + root + ": " + std::strerror(-root_fd));
    }
    return std::unique_ptr<Deduper>(new Deduper(loop, store, root_fd));
}

Deduper::~Deduper() {
    io::startup::close_fd(root_fd_);
}

void Deduper::start() {
    running_ = true;
    io::spawn(run());
}

io::Task<void> Deduper::run() {
    co_await store_.wait_loaded();
    auto started = io::Clock::now();
    totals_ = co_await fold_copies(loop_, root_fd_);
    running_ = false;
    log::info("dedupe pass finished")
        .unum("repositories", totals_.repositories)
        .unum("blobs", totals_.blobs)
        .unum("already_linked", totals_.already_linked)
        .unum("shared", totals_.shared)
        .unum("folded", totals_.folded)
        .unum("repaired", totals_.repaired)
        .unum("refused", totals_.refused)
        .unum("bytes_freed", totals_.bytes_freed)
        .num("duration_ms",
             std::chrono::duration_cast<std::chrono::milliseconds>(io::Clock::now() - started)
                 .count());
}

} // namespace berth::storage
