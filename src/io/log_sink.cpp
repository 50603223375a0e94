#include <berth/io/log_sink.h>

#include <berth/io/loop.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::io {

LogSink::~LogSink() {
    detach();
    if (fd_ > STDERR_FILENO) {
        ::close(fd_);
    }
}

LogSink* LogSink::open(const std::string& path, std::string& error) {
    if (path.empty()) {
        return new LogSink(STDOUT_FILENO);
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        error = "cannot open log output " + path + ": " + std::strerror(errno);
        return nullptr;
    }
    return new LogSink(fd);
}

void LogSink::write(std::string_view line) {
    if (loop_ == nullptr) {
        write_directly(line);
        return;
    }
    if (pending_.size() + line.size() > pending_bytes_max) {
        dropped_++;
        return;
    }
    pending_ += line;
    schedule_flush();
}

void LogSink::attach(Loop& loop) {
    loop_ = &loop;
    bind<&LogSink::write_done>(write_completion_, this);
}

void LogSink::detach() {
    if (loop_ == nullptr) {
        return;
    }
    // The write in flight finishes first, so that nothing is written twice or out of order.
    while (writing_) {
        loop_->turn();
    }
    loop_ = nullptr;
    write_directly(pending_);
    in_flight_.clear();
    pending_.clear();
}

void LogSink::schedule_flush() {
    if (flush_scheduled_ || writing_) {
        return;
    }
    flush_scheduled_ = true;
    loop_->defer([](void* self) { static_cast<LogSink*>(self)->flush(); }, this);
}

void LogSink::flush() {
    flush_scheduled_ = false;
    if (loop_ == nullptr || writing_ || pending_.empty()) {
        return;
    }
    in_flight_.swap(pending_);
    in_flight_offset_ = 0;
    writing_ = true;
    io_uring_sqe* sqe = loop_->ring().sqe(&write_completion_);
    io_uring_prep_write(sqe, fd_, in_flight_.data(), static_cast<unsigned>(in_flight_.size()),
                        static_cast<std::uint64_t>(-1));
}

void LogSink::write_done(int result, std::uint32_t) {
    writing_ = false;
    if (loop_ == nullptr) {
        return;
    }
    if (result > 0 && in_flight_offset_ + static_cast<std::size_t>(result) < in_flight_.size()) {
        // A short write (a pipe that filled up): write the rest before anything newer.
        in_flight_offset_ += static_cast<std::size_t>(result);
        writing_ = true;
        io_uring_sqe* sqe = loop_->ring().sqe(&write_completion_);
        io_uring_prep_write(sqe, fd_, in_flight_.data() + in_flight_offset_,
                            static_cast<unsigned>(in_flight_.size() - in_flight_offset_),
                            static_cast<std::uint64_t>(-1));
        return;
    }
    in_flight_.clear();
    if (!pending_.empty()) {
        schedule_flush();
    }
}

void LogSink::write_directly(std::string_view text) {
    while (!text.empty()) {
        ssize_t written = ::write(fd_, text.data(), text.size());
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            return;
        }
        text.remove_prefix(static_cast<std::size_t>(written));
    }
}

} // namespace berth::io
