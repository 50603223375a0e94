// Coroutines for sequences of I/O: `auto fd = co_await io::openat(...)`.
//
// Storage work is a chain of dependent operations (open, write, fsync, rename, fsync the
// directory); written as callbacks it becomes a maze of small states. A coroutine keeps the
// chain readable while every suspension point stays visible as a `co_await`. The hot path of
// the server (accept, receive, parse, send) does not use them.
//
// Rules: a Task starts when awaited (or spawned) and is never destroyed while suspended on an
// I/O operation; every operation it waits for completes (or is cancelled and completes with
// an error) and resumes it.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

namespace berth::io {

namespace detail {

struct PromiseBase {
    std::coroutine_handle<> continuation = std::noop_coroutine();

    std::suspend_always initial_suspend() noexcept { return {}; }
    struct FinalAwaiter {
        bool await_ready() noexcept { return false; }
        template <class Promise>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> self) noexcept {
            return self.promise().continuation;
        }
        void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { std::terminate(); }
};

} // namespace detail

template <class T = void>
class [[nodiscard]] Task {
public:
    struct promise_type : detail::PromiseBase {
        std::optional<T> value;
        Task get_return_object() { return Task(Handle::from_promise(*this)); }
        template <class U>
        void return_value(U&& result) {
            value.emplace(std::forward<U>(result));
        }
    };
    using Handle = std::coroutine_handle<promise_type>;

    Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    Task& operator=(Task&& other) noexcept {
        std::swap(handle_, other.handle_);
        return *this;
    }
    ~Task() {
        if (handle_) {
            handle_.destroy();
        }
    }

    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        handle_.promise().continuation = awaiting;
        return handle_;
    }
    T await_resume() { return std::move(*handle_.promise().value); }

private:
    explicit Task(Handle handle) : handle_(handle) {}
    Handle handle_;
};

template <>
class [[nodiscard]] Task<void> {
public:
    struct promise_type : detail::PromiseBase {
        Task get_return_object() { return Task(Handle::from_promise(*this)); }
        void return_void() {}
    };
    using Handle = std::coroutine_handle<promise_type>;

    Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    Task& operator=(Task&& other) noexcept {
        std::swap(handle_, other.handle_);
        return *this;
    }
    ~Task() {
        if (handle_) {
            handle_.destroy();
        }
    }

    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        handle_.promise().continuation = awaiting;
        return handle_;
    }
    void await_resume() {}

private:
    explicit Task(Handle handle) : handle_(handle) {}
    Handle handle_;
};

namespace detail {

struct Detached {
    struct promise_type {
        Detached get_return_object() { return {}; }
        std::suspend_never initial_suspend() noexcept { return {}; }
        std::suspend_never final_suspend() noexcept { return {}; }
        void return_void() {}
        void unhandled_exception() noexcept { std::terminate(); }
    };
};

inline Detached run_detached(Task<void> task, void (*done)(void*), void* context) {
    co_await task;
    if (done != nullptr) {
        done(context);
    }
}

} // namespace detail

// Runs a task to completion on its own; `done` is called when it finishes.
inline void spawn(Task<void> task, void (*done)(void*) = nullptr, void* context = nullptr) {
    detail::run_detached(std::move(task), done, context);
}

} // namespace berth::io
