// Awaitable io_uring operations for coroutines. Each returns the operation's result as the
// kernel gives it: a non-negative value on success, a negated errno on failure.
//
//     int fd = co_await io::openat(loop, dir_fd, "index.json", O_RDONLY);
//     if (fd < 0) { ... -fd is the errno ... }
#pragma once

#include <berth/io/completion.h>
#include <berth/io/loop.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <liburing.h>

#include <coroutine>
#include <cstdint>
#include <string>
#include <utility>

namespace berth::io {

// One submission; `Prepare` fills the SQE once the coroutine is suspended, so everything it
// points to lives in the suspended frame until the completion arrives.
template <class Prepare>
class Operation {
public:
    Operation(Loop& loop, Prepare prepare) : loop_(loop), prepare_(std::move(prepare)) {}

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> coroutine) {
        coroutine_ = coroutine;
        bind<&Operation::done>(completion_, this);
        prepare_(loop_.ring().sqe(&completion_));
    }
    int await_resume() const noexcept { return result_; }

private:
    void done(int result, std::uint32_t) {
        result_ = result;
        coroutine_.resume();
    }

    Loop& loop_;
    Prepare prepare_;
    Completion completion_;
    std::coroutine_handle<> coroutine_;
    int result_ = 0;
};

inline auto openat(Loop& loop, int dir_fd, std::string path, int flags, mode_t mode = 0) {
    return Operation(loop, [=, path = std::move(path)](io_uring_sqe* sqe) {
        io_uring_prep_openat(sqe, dir_fd, path.c_str(), flags | O_CLOEXEC, mode);
    });
}

inline auto close(Loop& loop, int fd) {
    return Operation(loop, [=](io_uring_sqe* sqe) { io_uring_prep_close(sqe, fd); });
}

inline auto read(Loop& loop, int fd, void* buffer, unsigned bytes, std::uint64_t offset) {
    return Operation(
        loop, [=](io_uring_sqe* sqe) { io_uring_prep_read(sqe, fd, buffer, bytes, offset); });
}

inline auto write(Loop& loop, int fd, const void* buffer, unsigned bytes, std::uint64_t offset) {
    return Operation(
        loop, [=](io_uring_sqe* sqe) { io_uring_prep_write(sqe, fd, buffer, bytes, offset); });
}

inline auto fsync(Loop& loop, int fd, bool data_only = false) {
    return Operation(loop, [=](io_uring_sqe* sqe) {
        io_uring_prep_fsync(sqe, fd, data_only ? IORING_FSYNC_DATASYNC : 0);
    });
}

inline auto renameat(Loop& loop, int old_dir, std::string old_path, int new_dir,
                     std::string new_path, unsigned flags = 0) {
    return Operation(loop, [=, old_path = std::move(old_path),
                            new_path = std::move(new_path)](io_uring_sqe* sqe) {
        io_uring_prep_renameat(sqe, old_dir, old_path.c_str(), new_dir, new_path.c_str(), flags);
    });
}

inline auto linkat(Loop& loop, int old_dir, std::string old_path, int new_dir,
                   std::string new_path) {
    return Operation(loop, [=, old_path = std::move(old_path),
                            new_path = std::move(new_path)](io_uring_sqe* sqe) {
        io_uring_prep_linkat(sqe, old_dir, old_path.c_str(), new_dir, new_path.c_str(), 0);
    });
}

inline auto unlinkat(Loop& loop, int dir_fd, std::string path, int flags = 0) {
    return Operation(loop, [=, path = std::move(path)](io_uring_sqe* sqe) {
        io_uring_prep_unlinkat(sqe, dir_fd, path.c_str(), flags);
    });
}

inline auto mkdirat(Loop& loop, int dir_fd, std::string path, mode_t mode = 0755) {
    return Operation(loop, [=, path = std::move(path)](io_uring_sqe* sqe) {
        io_uring_prep_mkdirat(sqe, dir_fd, path.c_str(), mode);
    });
}

// `result` must outlive the operation; it usually lives in the awaiting frame.
inline auto statx(Loop& loop, int dir_fd, std::string path, int flags, unsigned mask,
                  struct statx* result) {
    return Operation(loop, [=, path = std::move(path)](io_uring_sqe* sqe) {
        io_uring_prep_statx(sqe, dir_fd, path.c_str(), flags, mask, result);
    });
}

inline auto splice(Loop& loop, int fd_in, std::int64_t offset_in, int fd_out,
                   std::int64_t offset_out, unsigned bytes, unsigned flags = 0) {
    return Operation(loop, [=](io_uring_sqe* sqe) {
        io_uring_prep_splice(sqe, fd_in, offset_in, fd_out, offset_out, bytes, flags);
    });
}

inline auto send(Loop& loop, int fd, const void* buffer, std::size_t bytes, int flags) {
    return Operation(loop, [=](io_uring_sqe* sqe) {
        io_uring_prep_send(sqe, fd, buffer, bytes, flags | MSG_NOSIGNAL);
    });
}

// Suspends the coroutine for a while without holding up the loop.
class Sleep {
public:
    Sleep(Loop& loop, Clock::duration duration) : loop_(loop), duration_(duration) {}
    bool await_ready() const noexcept { return duration_ <= Clock::duration::zero(); }
    void await_suspend(std::coroutine_handle<> coroutine) {
        coroutine_ = coroutine;
        timer_.bind<&Sleep::done>(this);
        loop_.arm(timer_, duration_);
    }
    void await_resume() const noexcept {}

private:
    void done() { coroutine_.resume(); }
    Loop& loop_;
    Clock::duration duration_;
    Timer timer_;
    std::coroutine_handle<> coroutine_;
};

inline Sleep sleep(Loop& loop, Clock::duration duration) {
    return Sleep(loop, duration);
}

} // namespace berth::io
