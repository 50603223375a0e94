// Deadlines: a min-heap of intrusive timers, so the loop can sleep exactly until the next one
// and an idle server wakes up for nothing.
//
// A Timer belongs to its owner (a connection, a sleeping task); destroying it disarms it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace berth::io {

using Clock = std::chrono::steady_clock;

class TimerHeap;

class Timer {
public:
    Timer() = default;
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    ~Timer();

    template <auto Method, class Owner>
    void bind(Owner* owner) {
        context_ = owner;
        callback_ = [](void* context) {
            (static_cast<Owner*>(context)->*Method)();
        };
    }
    void bind(void (*callback)(void*), void* context) {
        callback_ = callback;
        context_ = context;
    }

    bool armed() const { return heap_ != nullptr; }
    Clock::time_point deadline() const { return deadline_; }

private:
    friend class TimerHeap;
    TimerHeap* heap_ = nullptr;
    std::size_t index_ = 0;
    Clock::time_point deadline_{};
    void (*callback_)(void*) = nullptr;
    void* context_ = nullptr;
};

class TimerHeap {
public:
    void arm(Timer& timer, Clock::time_point deadline);
    void disarm(Timer& timer);

    // Time until the earliest deadline, or nothing when no timer is armed.
    std::optional<Clock::duration> until_next(Clock::time_point now) const;

    // Fires every timer whose deadline has passed. A callback may arm or disarm timers.
    void fire_expired(Clock::time_point now);

    std::size_t size() const { return heap_.size(); }

private:
    void sift_up(std::size_t index);
    void sift_down(std::size_t index);
    void place(std::size_t index, Timer* timer);
    void remove_at(std::size_t index);

    std::vector<Timer*> heap_;
};

} // namespace berth::io
