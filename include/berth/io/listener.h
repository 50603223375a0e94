// Accepts connections with one multishot accept: a single submission yields a completion per
// new connection until it is cancelled.
#pragma once

#include <berth/io/completion.h>

#include <cstdint>
#include <string>

namespace berth::io {

class Loop;

class Listener {
public:
    using AcceptCallback = void (*)(void* context, int fd);

    Listener(Loop& loop, int listen_fd, AcceptCallback callback, void* context);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // Pausing (at the connection cap) cancels the accept; the kernel keeps queueing new
    // connections in the listen backlog until resume.
    void resume();
    void pause();
    // Stops for good and closes the listening socket (on shutdown).
    void close();

    bool accepting() const { return armed_ && !cancelling_; }

private:
    void accept_done(int result, std::uint32_t flags);
    void cancel_done(int result, std::uint32_t flags);

    Loop& loop_;
    int fd_;
    AcceptCallback callback_;
    void* context_;
    bool armed_ = false;
    bool cancelling_ = false;
    bool want_armed_ = false;
    Completion accept_;
    Completion cancel_;
};

// The peer's address as text ("192.0.2.1" or "2001:db8::1"), for logs and rate limits.
std::string peer_address(int fd);

} // namespace berth::io
