// Blobs: existence, streaming, deletion, mounts, and the commit of verified bytes.
#include <berth/storage/store.h>

#include "files.h"
#include "store_impl.h"

#include <berth/io/ops.h>
#include <berth/storage/layout.h>
#include <berth/util/log.h>

#include <fcntl.h>
#include <linux/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace berth::storage {

namespace {

StoreError unknown_blob() {
    return StoreError{Failure::blob_unknown, 0, {}};
}

} // namespace

io::Task<Result<BlobInfo>> Store::stat_blob(std::string_view repository,
                                            const oci::Digest& digest) {
    struct statx info {};
    int result =
        co_await io::statx(impl_->loop, impl_->root_fd, layout::repository_blob(repository, digest),
                           AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_SIZE, &info);
    if (result == -ENOENT || result == -ENOTDIR || (result == 0 && !S_ISREG(info.stx_mode))) {
        co_return Unexpected(unknown_blob());
    }
    if (result < 0) {
        co_return Unexpected(io_failure(-result));
    }
    co_return BlobInfo{info.stx_size};
}

io::Task<Result<OpenBlob>> Store::open_blob(std::string_view repository,
                                            const oci::Digest& digest) {
    int fd =
        co_await io::openat(impl_->loop, impl_->root_fd,
                            layout::repository_blob(repository, digest), O_RDONLY | O_NOFOLLOW);
    if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP) {
        co_return Unexpected(unknown_blob());
    }
    if (fd < 0) {
        co_return Unexpected(io_failure(-fd));
    }
    struct statx info {};
    int result =
        co_await io::statx(impl_->loop, fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, &info);
    if (result < 0 || !S_ISREG(info.stx_mode)) {
        co_await io::close(impl_->loop, fd);
        co_return Unexpected(result < 0 ? io_failure(-result) : unknown_blob());
    }
    co_return OpenBlob{fd, info.stx_size};
}

io::Task<void> Store::close_blob(OpenBlob blob) {
    if (blob.fd >= 0) {
        co_await io::close(impl_->loop, blob.fd);
    }
}

io::Task<Result<Ok>> Store::delete_blob(std::string_view repository, const oci::Digest& digest) {
    int result = co_await io::unlinkat(impl_->loop, impl_->root_fd,
                                       layout::repository_blob(repository, digest));
    if (result == -ENOENT || result == -ENOTDIR) {
        co_return Unexpected(unknown_blob());
    }
    if (result < 0) {
        co_return Unexpected(io_failure(-result));
    }
    co_return Ok{};
}

io::Task<std::vector<oci::Digest>> Store::missing_blobs(std::string_view repository,
                                                        const std::vector<oci::Digest>& digests) {
    std::vector<oci::Digest> missing;
    for (const oci::Digest& digest : digests) {
        auto found = co_await stat_blob(repository, digest);
        if (!found) {
            missing.push_back(digest);
        }
    }
    co_return missing;
}

io::Task<Result<bool>> Store::mount_blob(std::string_view target, std::string_view source,
                                         const oci::Digest& digest) {
    // Without dedupe each repository keeps its own copy: no link is made, and the client
    // uploads the bytes instead, as Zot answers a mount with dedupe off.
    if (!(impl_->options.dedupe && impl_->options.hard_links)) {
        co_return false;
    }
    auto present = co_await stat_blob(source, digest);
    if (!present) {
        co_return false;
    }
    auto repository = co_await impl_->obtain(target);
    if (!repository) {
        co_return Unexpected(repository.error());
    }
    auto pin = co_await impl_->pin_blob(digest);
    auto linked =
        co_await impl_->link_blob(layout::repository_blob(source, digest), target, digest);
    if (!linked) {
        // The source lost the blob meanwhile (a delete): an ordinary upload follows.
        if (linked.error().failure == Failure::blob_unknown) {
            co_return false;
        }
        co_return Unexpected(linked.error());
    }
    co_return true;
}

io::Task<Result<Ok>> Store::Impl::link_blob(std::string source, std::string_view repository,
                                            const oci::Digest& digest) {
    std::string directory = layout::repository_blob_dir(repository, digest.algorithm);
    auto made = co_await files::make_directories(loop, root_fd, directory);
    if (!made) {
        co_return Unexpected(io_failure(made.error()));
    }
    int result = co_await io::linkat(loop, root_fd, source, root_fd,
                                     layout::repository_blob(repository, digest));
    if (result == -ENOENT) {
        co_return Unexpected(unknown_blob());
    }
    if (result < 0 && result != -EEXIST) {
        co_return Unexpected(io_failure(-result));
    }
    auto synced = co_await files::fsync_directory(loop, root_fd, directory);
    if (!synced) {
        co_return Unexpected(io_failure(synced.error()));
    }
    co_return Ok{};
}

io::Task<Result<Ok>> Store::Impl::commit_blob(std::string source, std::string_view repository,
                                              const oci::Digest& digest) {
    auto pin = co_await pin_blob(digest);
    if (!(options.dedupe && options.hard_links)) {
        std::string directory = layout::repository_blob_dir(repository, digest.algorithm);
        auto made = co_await files::make_directories(loop, root_fd, directory);
        if (!made) {
            co_return Unexpected(io_failure(made.error()));
        }
        int renamed =
            co_await io::renameat(loop, root_fd, source, root_fd,
                                  layout::repository_blob(repository, digest), RENAME_NOREPLACE);
        if (renamed == -EEXIST) {
            co_await io::unlinkat(loop, root_fd, source);
        } else if (renamed < 0) {
            co_return Unexpected(io_failure(-renamed));
        }
        auto synced = co_await files::fsync_directory(loop, root_fd, directory);
        if (!synced) {
            co_return Unexpected(io_failure(synced.error()));
        }
        co_return Ok{};
    }
    // The shared copy first, then the repository's link to it: a crash in between leaves
    // an unreferenced shared blob, which garbage collection removes.
    std::string shared = layout::shared_blob(digest);
    int renamed = co_await io::renameat(loop, root_fd, source, root_fd, shared, RENAME_NOREPLACE);
    if (renamed == -EEXIST) {
        co_await io::unlinkat(loop, root_fd, source);
    } else if (renamed < 0) {
        co_return Unexpected(io_failure(-renamed));
    } else {
        auto synced = co_await files::fsync_directory(loop, root_fd,
                                                      layout::shared_blob_dir(digest.algorithm));
        if (!synced) {
            co_return Unexpected(io_failure(synced.error()));
        }
    }
    auto linked = co_await link_blob(shared, repository, digest);
    co_return linked;
}

} // namespace berth::storage
