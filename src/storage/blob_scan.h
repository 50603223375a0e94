// What scrub and dedupe share: reading whole blobs back through the ring and hashing them in
// slices, so that a pass over 10 GB never holds the loop for longer than one slice, and the
// walk that finds every repository on disk (including those the index could not load).
//
// Everything here runs in background tasks on the loop thread.
#pragma once

#include <berth/io/loop.h>
#include <berth/io/task.h>
#include <berth/oci/names.h>
#include <berth/util/expected.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth::storage::scan {

// Bytes hashed per loop turn. SHA-256 runs at about 2 GB/s per core with SHA-NI, so a slice
// costs about 0.1 ms: a request arriving during a scrub waits at most that long for the loop.
constexpr std::size_t hash_slice_bytes = 256 << 10;
// Bytes per read: large enough that reading a big layer costs few ring round trips, small
// enough that the buffer (one per task hashing) stays a small part of the memory budget.
constexpr std::size_t read_bytes = 1 << 20;

struct FileIdentity {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::uint64_t size = 0;
    std::uint32_t links = 0;

    bool same_file(const FileIdentity& other) const {
        return device == other.device && inode == other.inode;
    }
};

// The regular file at `path` (symbolic links not followed); ENOENT for anything else.
io::Task<Expected<FileIdentity, int>> identify(io::Loop& loop, int dir_fd, std::string path);

struct HashedFile {
    FileIdentity file;
    oci::Digest digest;
};

// Reads the whole file and hashes it, one slice per loop turn; the errno that stopped it.
io::Task<Expected<HashedFile, int>> hash_file(io::Loop& loop, int dir_fd, std::string path,
                                              oci::DigestAlgorithm algorithm);

// Every repository under the root (a directory with an index.json and a valid name), in byte
// order. One directory is listed per loop turn.
io::Task<std::vector<std::string>> find_repositories(io::Loop& loop, int root_fd);

// The blobs a repository's blobs/<algorithm>/ directories hold, by their file names; names
// that are not digests are left out. Listed a getdents64 call per loop turn.
io::Task<std::vector<oci::Digest>> list_blobs(io::Loop& loop, int root_fd, std::string repository);

} // namespace berth::storage::scan
