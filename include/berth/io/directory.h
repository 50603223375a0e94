// Directory listing. io_uring has no getdents operation, so listing is the one filesystem
// call berth makes outside the ring. Once berth serves, it only runs in background tasks
// (loading the index, GC, scrub, dedupe), and through list_directory_in_slices: one bounded
// getdents64 call per turn of the loop, so a request never waits for more than one call's
// worth (a few hundred entries). `_blobs/sha256` can hold 100,000 files, whose listing in one
// piece held the loop for 100–200 ms.
#pragma once

#include <berth/io/task.h>

#include <cstdint>
#include <string>
#include <vector>

namespace berth::io {

class Loop;

struct DirectoryEntry {
    std::string name;
    bool is_directory = false;
    bool is_file = false;
};

// Reads a directory in bounded pieces.
class DirectoryReader {
public:
    // Opens `path` relative to `dir_fd`; a directory that cannot be opened reads as empty.
    DirectoryReader(int dir_fd, const std::string& path);
    ~DirectoryReader();
    DirectoryReader(const DirectoryReader&) = delete;
    DirectoryReader& operator=(const DirectoryReader&) = delete;

    // Appends the entries of one getdents64 call (without "." and ".."); false once the
    // directory is exhausted or a call failed.
    bool next(std::vector<DirectoryEntry>& out);

private:
    int fd_ = -1;
};

// Lists the directory `path` relative to `dir_fd` (without "." and ".."); empty on error.
// In one piece: only for start-up work done before berth serves.
std::vector<DirectoryEntry> list_directory(int dir_fd, const std::string& path);

// The same listing, a turn of the loop between two getdents64 calls.
Task<std::vector<DirectoryEntry>> list_directory_in_slices(Loop& loop, int dir_fd,
                                                           std::string path);

} // namespace berth::io
