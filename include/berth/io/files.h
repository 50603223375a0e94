// Reading a whole (small) file through the ring: an index.json, a manifest, an htpasswd file.
#pragma once

#include <berth/io/loop.h>
#include <berth/io/task.h>
#include <berth/util/expected.h>

#include <cstddef>
#include <string>

namespace berth::io {

// The content of `path` (relative to `dir_fd`), or the errno that stopped the read; EFBIG when
// it holds more than `bytes_max` bytes.
Task<Expected<std::string, int>> read_whole(Loop& loop, int dir_fd, std::string path,
                                            std::size_t bytes_max);

} // namespace berth::io
