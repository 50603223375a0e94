#include "blob_scan.h"

#include <berth/io/directory.h>
#include <berth/io/ops.h>
#include <berth/storage/hasher.h>
#include <berth/storage/layout.h>

#include <fcntl.h>
#include <linux/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace berth::storage::scan {

namespace {

constexpr unsigned identity_mask = STATX_TYPE | STATX_SIZE | STATX_INO | STATX_NLINK;

FileIdentity identity_of(const struct statx& info) {
    FileIdentity identity;
    identity.device = (static_cast<std::uint64_t>(info.stx_dev_major) << 32) | info.stx_dev_minor;
    identity.inode = info.stx_ino;
    identity.size = info.stx_size;
    identity.links = info.stx_nlink;
    return identity;
}

// Hashes `bytes` a slice at a time, letting the loop run between slices.
io::Task<void> hash_in_slices(io::Loop& loop, Hasher& hasher, const char* bytes,
                              std::size_t count) {
    while (count > 0) {
        std::size_t slice = std::min(count, hash_slice_bytes);
        hasher.update(bytes, slice);
        bytes += slice;
        count -= slice;
        co_await loop.next_turn();
    }
}

io::Task<void> walk(io::Loop& loop, int root_fd, std::string directory,
                    std::vector<std::string>& found) {
    // Named: GCC 12 mishandles a conditional temporary in a co_await'ed call.
    std::string listed = directory.empty() ? "." : directory;
    auto entries = co_await io::list_directory_in_slices(loop, root_fd, listed);
    bool is_repository = std::any_of(entries.begin(), entries.end(), [](const auto& entry) {
        return entry.is_file && entry.name == layout::index_file;
    });
    if (is_repository && oci::valid_repository_name(directory)) {
        found.push_back(directory);
    }
    for (const io::DirectoryEntry& entry : entries) {
        bool hidden = entry.name.starts_with('_') || entry.name.starts_with('.');
        if (!entry.is_directory || hidden || (is_repository && entry.name == "blobs")) {
            continue;
        }
        // A named path: GCC 12 destroys a conditional temporary twice in a co_await.
        std::string child = directory.empty() ? entry.name : directory + "/" + entry.name;
        co_await loop.next_turn();
        co_await walk(loop, root_fd, child, found);
    }
}

} // namespace

io::Task<Expected<FileIdentity, int>> identify(io::Loop& loop, int dir_fd, std::string path) {
    struct statx info {};
    int result = co_await io::statx(loop, dir_fd, std::move(path), AT_SYMLINK_NOFOLLOW,
                                    identity_mask, &info);
    if (result < 0) {
        co_return Unexpected(-result);
    }
    if (!S_ISREG(info.stx_mode)) {
        co_return Unexpected(ENOENT);
    }
    co_return identity_of(info);
}

io::Task<Expected<HashedFile, int>> hash_file(io::Loop& loop, int dir_fd, std::string path,
                                              oci::DigestAlgorithm algorithm) {
    int fd = co_await io::openat(loop, dir_fd, std::move(path), O_RDONLY | O_NOFOLLOW);
    if (fd < 0) {
        co_return Unexpected(fd == -ELOOP ? ENOENT : -fd);
    }
    struct statx info {};
    int failure = -co_await io::statx(loop, fd, "", AT_EMPTY_PATH, identity_mask, &info);
    HashedFile hashed{identity_of(info), {}};
    Hasher hasher(algorithm);
    std::string buffer(static_cast<std::size_t>(std::min<std::uint64_t>(info.stx_size, read_bytes)),
                       '\0');
    std::uint64_t offset = 0;
    while (failure == 0 && offset < hashed.file.size) {
        int count = co_await io::read(loop, fd, buffer.data(), static_cast<unsigned>(buffer.size()),
                                      offset);
        if (count <= 0) {
            // A file shorter than its size a moment ago is being replaced; report it as such.
            failure = count < 0 ? -count : EIO;
            break;
        }
        co_await hash_in_slices(loop, hasher, buffer.data(), static_cast<std::size_t>(count));
        offset += static_cast<std::uint64_t>(count);
    }
    co_await io::close(loop, fd);
    if (failure != 0) {
        co_return Unexpected(failure);
    }
    hashed.digest = hasher.digest();
    co_return hashed;
}

io::Task<std::vector<std::string>> find_repositories(io::Loop& loop, int root_fd) {
    std::vector<std::string> found;
    co_await walk(loop, root_fd, "", found);
    std::sort(found.begin(), found.end());
    co_return found;
}

io::Task<std::vector<oci::Digest>> list_blobs(io::Loop& loop, int root_fd, std::string repository) {
    static constexpr std::array<oci::DigestAlgorithm, 2> algorithms = {
        oci::DigestAlgorithm::sha256, oci::DigestAlgorithm::sha512};
    std::vector<oci::Digest> digests;
    for (oci::DigestAlgorithm algorithm : algorithms) {
        std::vector<io::DirectoryEntry> entries = co_await io::list_directory_in_slices(
            loop, root_fd, layout::repository_blob_dir(repository, algorithm));
        for (const io::DirectoryEntry& entry : entries) {
            oci::Digest digest{algorithm, entry.name};
            auto parsed = oci::parse_digest(digest.str());
            if (entry.is_file && parsed) {
                digests.push_back(std::move(*parsed));
            }
        }
    }
    co_return digests;
}

} // namespace berth::storage::scan
