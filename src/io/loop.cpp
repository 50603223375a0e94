#include <berth/io/loop.h>

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace berth::io {

Expected<std::unique_ptr<Loop>, std::string> Loop::create(const LoopOptions& options) {
    std::unique_ptr<Loop> loop(new Loop());
    auto ring = Ring::create(options.ring_entries);
    if (!ring) {
        return Unexpected(ring.error());
    }
    loop->ring_.reset(*ring);
    auto pool = BufferPool::create(loop->ring_->raw(), options.buffer_bytes, options.buffer_count);
    if (!pool) {
        return Unexpected(pool.error());
    }
    loop->buffers_.reset(*pool);

    // A peer that goes away mid-splice must be an error code, not a process-killing signal.
    signal(SIGPIPE, SIG_IGN);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    loop->signal_fd_ = signalfd(-1, &signals, SFD_CLOEXEC);
    if (loop->signal_fd_ < 0) {
        return Unexpected("signalfd: " + std::string(std::strerror(errno)));
    }
    bind<&Loop::signal_read_done>(loop->signal_read_, loop.get());
    loop->arm_signal_read();
    return loop;
}

Loop::~Loop() {
    if (signal_fd_ >= 0) {
        ::close(signal_fd_);
    }
    // The pool unregisters itself from the ring, so it must go first.
    buffers_.reset();
    ring_.reset();
}

void Loop::defer(void (*callback)(void*), void* context) {
    deferred_.push_back(Deferred{callback, context});
}

void Loop::defer(std::coroutine_handle<> coroutine) {
    defer([](void* address) { std::coroutine_handle<>::from_address(address).resume(); },
          coroutine.address());
}

void Loop::on_signal(void (*callback)(void*, int), void* context) {
    signal_callback_ = callback;
    signal_context_ = context;
}

void Loop::arm_signal_read() {
    io_uring_sqe* sqe = ring_->sqe(&signal_read_);
    io_uring_prep_read(sqe, signal_fd_, &signal_info_, sizeof(signal_info_), 0);
}

void Loop::signal_read_done(int result, std::uint32_t) {
    if (result == sizeof(signal_info_) && signal_callback_ != nullptr) {
        signal_callback_(signal_context_, static_cast<int>(signal_info_.ssi_signo));
    }
    if (result != -ECANCELED) {
        arm_signal_read();
    }
}

void Loop::run_deferred() {
    // Work deferred while running deferred work waits for the next turn, so a task that keeps
    // yielding cannot starve the network.
    running_.swap(deferred_);
    for (const Deferred& item : running_) {
        item.callback(item.context);
    }
    running_.clear();
}

void Loop::run() {
    stopped_ = false;
    while (!stopped_) {
        turn();
    }
}

void Loop::turn() {
    constexpr unsigned batch = 256;
    std::array<Ring::Event, batch> events;
    auto wait = timers_.until_next(Clock::now());
    if (!deferred_.empty()) {
        wait = Clock::duration::zero();
    }
    ring_->submit_and_wait(wait);
    now_ = Clock::now();
    unsigned count;
    do {
        count = ring_->reap(events.data(), batch);
        for (unsigned i = 0; i < count; i++) {
            if (events[i].completion != nullptr) {
                events[i].completion->complete(events[i].result, events[i].flags);
            }
        }
    } while (count == batch);
    timers_.fire_expired(now_);
    run_deferred();
}

} // namespace berth::io
