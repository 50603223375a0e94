#include <berth/io/worker.h>

#include <berth/io/loop.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::io {

Expected<std::unique_ptr<Worker>, std::string> Worker::create(Loop& loop, std::size_t queue_max) {
    std::unique_ptr<Worker> worker(new Worker(loop, queue_max));
    worker->wakeup_fd_ = ::eventfd(0, EFD_CLOEXEC);
    if (worker->wakeup_fd_ < 0) {
        return Unexpected("eventfd: " + std::string(std::strerror(errno)));
    }
    bind<&Worker::woken>(worker->wakeup_, worker.get());
    worker->arm_wakeup();
    worker->thread_ = std::thread([raw = worker.get()] { raw->thread_main(); });
    return worker;
}

Worker::~Worker() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wanted_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
    // The wakeup read may still be armed in a ring that is going away with the loop; the
    // descriptor stays open until the process ends rather than be reused under it.
}

std::size_t Worker::queued() const {
    std::lock_guard lock(mutex_);
    return pending_.size() + in_progress_;
}

bool Worker::Submit::await_suspend(std::coroutine_handle<> coroutine) {
    std::lock_guard lock(worker_.mutex_);
    if (worker_.pending_.size() + worker_.in_progress_ >= worker_.queue_max_ || worker_.stopping_) {
        accepted_ = false;
        return false;
    }
    accepted_ = true;
    job_.resume_ = coroutine;
    worker_.pending_.push_back(&job_);
    worker_.wanted_.notify_one();
    return true;
}

void Worker::thread_main() {
    while (true) {
        Job* job;
        {
            std::unique_lock lock(mutex_);
            wanted_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
            if (stopping_) {
                return;
            }
            job = pending_.front();
            pending_.pop_front();
            in_progress_++;
        }
        job->run();
        {
            std::lock_guard lock(mutex_);
            in_progress_--;
            finished_.push_back(job);
        }
        std::uint64_t one = 1;
        [[maybe_unused]] auto written = ::write(wakeup_fd_, &one, sizeof(one));
    }
}

void Worker::arm_wakeup() {
    io_uring_sqe* sqe = loop_.ring().sqe(&wakeup_);
    io_uring_prep_read(sqe, wakeup_fd_, &wakeup_value_, sizeof(wakeup_value_), 0);
}

void Worker::woken(int result, std::uint32_t) {
    if (result == -ECANCELED) {
        return;
    }
    std::deque<Job*> done;
    {
        std::lock_guard lock(mutex_);
        done.swap(finished_);
    }
    arm_wakeup();
    for (Job* job : done) {
        loop_.defer(job->resume_);
    }
}

} // namespace berth::io
