// File operations the store composes, each a short chain of ring operations. Failures are
// negated errno values, as the kernel reports them.
#pragma once

#include <berth/io/loop.h>
#include <berth/io/task.h>
#include <berth/util/expected.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace berth::storage::files {

using Errno = int; // positive errno

// Writes all of `data` at `offset`, continuing after short writes.
io::Task<Expected<Ok, Errno>> write_all(io::Loop& loop, int fd, std::string_view data,
                                        std::uint64_t offset);

// Replaces `path` with `content` through a temporary file and a rename; with `durable`, the
// file is fsynced before the rename and its directory after, so a crash leaves either the
// old content or the new one.
io::Task<Expected<Ok, Errno>> replace_file(io::Loop& loop, int dir_fd, std::string path,
                                           std::string_view content, bool durable);

io::Task<Expected<Ok, Errno>> fsync_directory(io::Loop& loop, int dir_fd, std::string path);

// Creates each missing directory along the relative `path`.
io::Task<Expected<Ok, Errno>> make_directories(io::Loop& loop, int dir_fd, std::string path);

// A random identifier in UUID form, for upload sessions and temporary files.
std::string random_id();

// The parent directory of a relative path ("a/b/c" → "a/b"; "a" → ".").
std::string parent_of(std::string_view path);

} // namespace berth::storage::files
