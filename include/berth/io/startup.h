// Blocking system calls that only run before the loop starts (or in offline commands):
// reading the config, binding the socket, preparing the data directory. Nothing here may be
// called from the loop.
#pragma once

#include <berth/util/expected.h>

#include <cstdint>
#include <optional>
#include <string>

namespace berth::io {

Expected<std::string, std::string> read_file(const std::string& path);

// Writes `content` to `path` with the given mode, creating or replacing it (startup only).
Expected<Ok, std::string> write_new_file(const std::string& path, const std::string& content,
                                         unsigned mode);

bool file_exists(const std::string& path);

struct ListenSocket {
    int fd;
    std::uint16_t port; // the bound port: the kernel picks one when asked for 0
};

Expected<ListenSocket, std::string> listen_tcp(const std::string& address, std::uint16_t port,
                                               int backlog);

// Creates the directory (and its parents) if needed and checks that berth can create and
// remove files in it. The value says whether the filesystem supports hard links, which
// deduplication needs.
Expected<bool, std::string> prepare_directory(const std::string& path);

// Checks, without changing anything, that prepare_directory could succeed: the directory is
// a writable directory, or could be created under its nearest existing ancestor.
Expected<Ok, std::string> check_directory(const std::string& path);

// Raises the soft limit on open files to the hard limit; returns the new soft limit.
std::uint64_t raise_open_file_limit();

} // namespace berth::io

// The same kind of calls, relative to a directory descriptor, for components that prepare
// their state before the loop runs (the store recovering upload sessions).
namespace berth::io::startup {

Expected<std::string, std::string> read_file_at(int dir_fd, const std::string& path);
std::optional<std::uint64_t> file_size_at(int dir_fd, const std::string& path);
int truncate_at(int dir_fd, const std::string& path, std::uint64_t size);
int unlink_at(int dir_fd, const std::string& path);
int open_for_writing_at(int dir_fd, const std::string& path, int extra_flags = 0);
int open_directory(const std::string& path);
int make_directory_at(int dir_fd, const std::string& path);
// For descriptors released after the loop has stopped.
void close_fd(int fd);

} // namespace berth::io::startup
