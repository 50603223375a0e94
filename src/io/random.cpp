#include <berth/io/random.h>

#include <cerrno>
#include <cstdlib>
#include <sys/random.h>

namespace berth::io {

void fill_random(void* bytes, std::size_t size) {
    auto* out = static_cast<unsigned char*>(bytes);
    while (size > 0) {
        ssize_t got = getrandom(out, size, 0);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            // Only ENOSYS (a kernel older than 3.17) gets here; io_uring needs far newer.
            std::abort();
        }
        out += got;
        size -= static_cast<std::size_t>(got);
    }
}

} // namespace berth::io
