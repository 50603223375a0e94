// Directory listing. io_uring has no getdents operation, so listing is the one filesystem
// call berth makes outside the ring. It only runs in background tasks (loading the index at
// startup, GC, scrub), one directory per call, so a request waits at most for one listing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace berth::io {

struct DirectoryEntry {
    std::string name;
    bool is_directory = false;
    bool is_file = false;
};

// Lists the directory `path` relative to `dir_fd` (without "." and ".."); empty on error.
std::vector<DirectoryEntry> list_directory(int dir_fd, const std::string& path);

} // namespace berth::io
