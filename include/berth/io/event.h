// Coordination between coroutines on the loop: an Event that waiters sleep on until it is
// notified, and a Mutex that serializes a sequence of awaits (one index.json writer per
// repository). Single-threaded, so neither needs atomics.
#pragma once

#include <berth/io/loop.h>

#include <coroutine>
#include <deque>

namespace berth::io {

class Event {
public:
    explicit Event(Loop& loop) : loop_(loop) {}
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;

    struct Waiter {
        Event& event;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> coroutine) {
            event.waiters_.push_back(coroutine);
        }
        void await_resume() const noexcept {}
    };
    Waiter wait() { return Waiter{*this}; }

    // Wakes everyone waiting now, from the next turn (never inside the notifier's frame).
    void notify_all() {
        for (std::coroutine_handle<> waiter : waiters_) {
            loop_.defer(waiter);
        }
        waiters_.clear();
    }
    bool has_waiters() const { return !waiters_.empty(); }

private:
    Loop& loop_;
    std::deque<std::coroutine_handle<>> waiters_;
};

class Mutex {
public:
    explicit Mutex(Loop& loop) : loop_(loop) {}
    Mutex(const Mutex&) = delete;
    Mutex& operator=(const Mutex&) = delete;

    class Guard {
    public:
        explicit Guard(Mutex* mutex) : mutex_(mutex) {}
        Guard(Guard&& other) noexcept : mutex_(other.mutex_) { other.mutex_ = nullptr; }
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;
        ~Guard() {
            if (mutex_ != nullptr) {
                mutex_->unlock();
            }
        }

    private:
        Mutex* mutex_;
    };

    struct Locker {
        Mutex& mutex;
        bool await_ready() noexcept {
            if (!mutex.locked_) {
                mutex.locked_ = true;
                return true;
            }
            return false;
        }
        void await_suspend(std::coroutine_handle<> coroutine) {
            mutex.waiters_.push_back(coroutine);
        }
        Guard await_resume() noexcept { return Guard(&mutex); }
    };
    // `auto guard = co_await mutex.lock();` holds it until the guard goes out of scope.
    Locker lock() { return Locker{*this}; }
    bool locked() const { return locked_; }

private:
    void unlock() {
        if (waiters_.empty()) {
            locked_ = false;
            return;
        }
        // Ownership passes straight to the next waiter, so nobody can barge in between.
        std::coroutine_handle<> next = waiters_.front();
        waiters_.pop_front();
        loop_.defer(next);
    }

    Loop& loop_;
    bool locked_ = false;
    std::deque<std::coroutine_handle<>> waiters_;
};

} // namespace berth::io
