// One helper thread for work that cannot be cut into slices: a bcrypt check takes tens of
// milliseconds of CPU in one call. The loop hands a job over and goes on serving; the job's
// coroutine resumes on the loop once the thread is done.
//
// A job touches nothing but its own fields. The queue is bounded: when it is full the job is
// refused at once, so a burst of logins cannot pile up unbounded work.
#pragma once

#include <berth/io/completion.h>
#include <berth/util/expected.h>

#include <condition_variable>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace berth::io {

class Loop;

class Job {
public:
    virtual ~Job() = default;
    // Runs on the worker thread.
    virtual void run() = 0;

private:
    friend class Worker;
    std::coroutine_handle<> resume_;
};

class Worker {
public:
    static Expected<std::unique_ptr<Worker>, std::string> create(Loop& loop, std::size_t queue_max);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    class Submit {
    public:
        bool await_ready() const noexcept { return false; }
        bool await_suspend(std::coroutine_handle<> coroutine);
        // False when the queue was full and the job did not run.
        bool await_resume() const noexcept { return accepted_; }

    private:
        friend class Worker;
        Submit(Worker& worker, Job& job) : worker_(worker), job_(job) {}
        Worker& worker_;
        Job& job_;
        bool accepted_ = false;
    };
    // `bool ran = co_await worker.submit(job);` — the job must live until then.
    Submit submit(Job& job) { return Submit(*this, job); }

    std::size_t queued() const;

private:
    explicit Worker(Loop& loop, std::size_t queue_max) : loop_(loop), queue_max_(queue_max) {}
    void thread_main();
    void arm_wakeup();
    void woken(int result, std::uint32_t flags);

    Loop& loop_;
    std::size_t queue_max_;
    mutable std::mutex mutex_;
    std::condition_variable wanted_;
    std::deque<Job*> pending_;
    std::deque<Job*> finished_;
    std::size_t in_progress_ = 0;
    bool stopping_ = false;
    std::thread thread_;
    int wakeup_fd_ = -1;
    std::uint64_t wakeup_value_ = 0;
    Completion wakeup_;
};

} // namespace berth::io
