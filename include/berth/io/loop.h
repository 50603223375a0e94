// The event loop: one thread, one ring, the receive buffer pool, timers, signals, and a queue
// of work deferred to the next turn (how long CPU-bound jobs yield between slices).
#pragma once

#include <berth/io/buffer_pool.h>
#include <berth/io/completion.h>
#include <berth/io/ring.h>
#include <berth/io/timer.h>
#include <berth/util/expected.h>

#include <signal.h>
#include <sys/signalfd.h>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace berth::io {

struct LoopOptions {
    unsigned ring_entries = 1024;
    std::size_t buffer_bytes = 64 * 1024;
    std::size_t buffer_count = 128;
};

class Loop {
public:
    static Expected<std::unique_ptr<Loop>, std::string> create(const LoopOptions& options);
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    Ring& ring() { return *ring_; }
    BufferPool& buffers() { return *buffers_; }
    TimerHeap& timers() { return timers_; }

    // The time at the start of this turn; cheap, and the same for everything in one turn.
    Clock::time_point now() const { return now_; }

    void arm(Timer& timer, Clock::duration after) { timers_.arm(timer, now_ + after); }

    // Runs `callback(context)` at the start of the next turn, after this turn's completions.
    void defer(void (*callback)(void*), void* context);
    void defer(std::coroutine_handle<> coroutine);

    // `co_await loop.next_turn()` lets the completions that arrived meanwhile run first.
    struct NextTurn {
        Loop& loop;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> coroutine) { loop.defer(coroutine); }
        void await_resume() const noexcept {}
    };
    NextTurn next_turn() { return NextTurn{*this}; }

    // SIGINT and SIGTERM arrive through the ring (a signalfd read) and call this.
    void on_signal(void (*callback)(void*, int signal), void* context);

    void run();
    void stop() { stopped_ = true; }
    // One turn: submit, wait for completions or the next timer, run their callbacks, then the
    // deferred work.
    void turn();

private:
    Loop() = default;
    void arm_signal_read();
    void signal_read_done(int result, std::uint32_t flags);
    void run_deferred();

    std::unique_ptr<Ring> ring_;
    std::unique_ptr<BufferPool> buffers_;
    TimerHeap timers_;
    Clock::time_point now_ = Clock::now();
    bool stopped_ = false;

    struct Deferred {
        void (*callback)(void*);
        void* context;
    };
    std::vector<Deferred> deferred_;
    std::vector<Deferred> running_;

    int signal_fd_ = -1;
    signalfd_siginfo signal_info_{};
    Completion signal_read_;
    void (*signal_callback_)(void*, int) = nullptr;
    void* signal_context_ = nullptr;
};

} // namespace berth::io
