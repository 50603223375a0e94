#include <berth/io/files.h>

#include <berth/io/ops.h>

#include <fcntl.h>

#include <cerrno>

namespace berth::io {

Task<Expected<std::string, int>> read_whole(Loop& loop, int dir_fd, std::string path,
                                            std::size_t bytes_max) {
    int fd = co_await openat(loop, dir_fd, path, O_RDONLY);
    if (fd < 0) {
        co_return Unexpected(-fd);
    }
    std::string content;
    int failure = 0;
    constexpr std::size_t piece = 64 * 1024;
    while (true) {
        std::size_t offset = content.size();
        if (offset >= bytes_max + 1) {
            failure = EFBIG;
            break;
        }
        content.resize(offset + piece);
        int count = co_await read(loop, fd, content.data() + offset, piece, offset);
        if (count < 0) {
            failure = -count;
            break;
        }
        content.resize(offset + static_cast<std::size_t>(count));
        if (count == 0) {
            break;
        }
    }
    co_await close(loop, fd);
    if (failure != 0) {
        co_return Unexpected(failure);
    }
    if (content.size() > bytes_max) {
        co_return Unexpected(EFBIG);
    }
    co_return content;
}

} // namespace berth::io
