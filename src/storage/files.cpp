#include "files.h"

#include <berth/io/ops.h>
#include <berth/io/random.h>

#include <fcntl.h>

#include <cerrno>

namespace berth::storage::files {

io::Task<Expected<Ok, Errno>> write_all(io::Loop& loop, int fd, std::string_view data,
                                        std::uint64_t offset) {
    while (!data.empty()) {
        // One write moves at most 1 GiB; larger buffers go in pieces.
        auto bytes = static_cast<unsigned>(std::min<std::size_t>(data.size(), 1u << 30));
        int written = co_await io::write(loop, fd, data.data(), bytes, offset);
        if (written < 0) {
            co_return Unexpected(-written);
        }
        if (written == 0) {
            co_return Unexpected(ENOSPC);
        }
        data.remove_prefix(static_cast<std::size_t>(written));
        offset += static_cast<std::uint64_t>(written);
    }
    co_return Ok{};
}

io::Task<Expected<Ok, Errno>> fsync_directory(io::Loop& loop, int dir_fd, std::string path) {
    int fd = co_await io::openat(loop, dir_fd, path, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        co_return Unexpected(-fd);
    }
    int synced = co_await io::fsync(loop, fd);
    co_await io::close(loop, fd);
    if (synced < 0) {
        co_return Unexpected(-synced);
    }
    co_return Ok{};
}

io::Task<Expected<Ok, Errno>> replace_file(io::Loop& loop, int dir_fd, std::string path,
                                           std::string_view content, bool durable) {
    std::string temporary = path + ".tmp-" + random_id();
    int fd = co_await io::openat(loop, dir_fd, temporary, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        co_return Unexpected(-fd);
    }
    auto written = co_await write_all(loop, fd, content, 0);
    int synced = 0;
    if (written && durable) {
        synced = co_await io::fsync(loop, fd);
    }
    co_await io::close(loop, fd);
    int renamed = -EIO;
    if (written && synced == 0) {
        renamed = co_await io::renameat(loop, dir_fd, temporary, dir_fd, path);
    }
    if (!written || synced < 0 || renamed < 0) {
        co_await io::unlinkat(loop, dir_fd, temporary);
        co_return Unexpected(!written ? written.error() : synced < 0 ? -synced : -renamed);
    }
    if (durable) {
        auto directory_synced = co_await fsync_directory(loop, dir_fd, parent_of(path));
        if (!directory_synced) {
            co_return Unexpected(directory_synced.error());
        }
    }
    co_return Ok{};
}

io::Task<Expected<Ok, Errno>> make_directories(io::Loop& loop, int dir_fd, std::string path) {
    std::size_t slash = 0;
    while (true) {
        slash = path.find('/', slash + 1);
        std::string prefix = path.substr(0, slash);
        int made = co_await io::mkdirat(loop, dir_fd, prefix, 0755);
        if (made < 0 && made != -EEXIST) {
            co_return Unexpected(-made);
        }
        if (slash == std::string::npos) {
            co_return Ok{};
        }
    }
}

std::string random_id() {
    unsigned char bytes[16];
    io::fill_random(bytes, sizeof(bytes));
    // Version 4, variant 1, so clients that parse Docker-Upload-UUID see a real UUID.
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
    static constexpr char hex[] = "0123456789abcdef";
    std::string id;
    id.reserve(36);
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            id += '-';
        }
        id += hex[bytes[i] >> 4];
        id += hex[bytes[i] & 15];
    }
    return id;
}

std::string parent_of(std::string_view path) {
    std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string(".") : std::string(path.substr(0, slash));
}

} // namespace berth::storage::files
