#include <berth/io/timer.h>

#include <cassert>

namespace berth::io {

Timer::~Timer() {
    if (heap_ != nullptr) {
        heap_->disarm(*this);
    }
}

void TimerHeap::arm(Timer& timer, Clock::time_point deadline) {
    assert(timer.callback_ != nullptr);
    if (timer.heap_ == this) {
        bool earlier = deadline < timer.deadline_;
        timer.deadline_ = deadline;
        earlier ? sift_up(timer.index_) : sift_down(timer.index_);
        return;
    }
    assert(timer.heap_ == nullptr);
    timer.heap_ = this;
    timer.deadline_ = deadline;
    heap_.push_back(&timer);
    timer.index_ = heap_.size() - 1;
    sift_up(timer.index_);
}

void TimerHeap::disarm(Timer& timer) {
    if (timer.heap_ != this) {
        return;
    }
    remove_at(timer.index_);
}

std::optional<Clock::duration> TimerHeap::until_next(Clock::time_point now) const {
    if (heap_.empty()) {
        return std::nullopt;
    }
    auto wait = heap_.front()->deadline_ - now;
    return wait < Clock::duration::zero() ? Clock::duration::zero() : wait;
}

void TimerHeap::fire_expired(Clock::time_point now) {
    while (!heap_.empty() && heap_.front()->deadline_ <= now) {
        Timer* timer = heap_.front();
        remove_at(0);
        timer->callback_(timer->context_);
    }
}

void TimerHeap::place(std::size_t index, Timer* timer) {
    heap_[index] = timer;
    timer->index_ = index;
}

void TimerHeap::sift_up(std::size_t index) {
    Timer* timer = heap_[index];
    while (index > 0) {
        std::size_t parent = (index - 1) / 2;
        if (heap_[parent]->deadline_ <= timer->deadline_) {
            break;
        }
        place(index, heap_[parent]);
        index = parent;
    }
    place(index, timer);
}

void TimerHeap::sift_down(std::size_t index) {
    Timer* timer = heap_[index];
    std::size_t count = heap_.size();
    while (true) {
        std::size_t child = 2 * index + 1;
        if (child >= count) {
            break;
        }
        if (child + 1 < count && heap_[child + 1]->deadline_ < heap_[child]->deadline_) {
            child++;
        }
        if (timer->deadline_ <= heap_[child]->deadline_) {
            break;
        }
        place(index, heap_[child]);
        index = child;
    }
    place(index, timer);
}

void TimerHeap::remove_at(std::size_t index) {
    Timer* removed = heap_[index];
    Timer* last = heap_.back();
    heap_.pop_back();
    removed->heap_ = nullptr;
    if (removed == last) {
        return;
    }
    place(index, last);
    sift_up(index);
    sift_down(last->index_);
}

} // namespace berth::io
