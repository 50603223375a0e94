// The one io_uring of the process. Every socket and file operation after startup is a
// submission here; the loop thread never makes a blocking system call.
#pragma once

#include <berth/io/completion.h>
#include <berth/util/expected.h>

#include <liburing.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace berth::io {

class Ring {
public:
    // Probes the kernel for every opcode and setup flag berth relies on and refuses to start
    // without them, rather than carrying fallbacks nobody tests.
    static Expected<Ring*, std::string> create(unsigned entries);
    ~Ring();
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;

    // A free submission slot; when the queue is full it is flushed first, never failing.
    io_uring_sqe* sqe(Completion* completion);

    // Submits what is queued and waits for at least one completion, or until the timeout.
    void submit_and_wait(std::optional<std::chrono::nanoseconds> timeout);
    void submit();

    // Moves up to `count` completions out of the queue so that their callbacks run after the
    // queue walk, never inside it: a callback may submit, and submitting may flush.
    struct Event {
        Completion* completion;
        int result;
        std::uint32_t flags;
    };
    unsigned reap(Event* events, unsigned count);

    io_uring* raw() { return &ring_; }
    std::uint64_t submissions() const { return submissions_; }

private:
    Ring() = default;
    io_uring ring_{};
    std::uint64_t submissions_ = 0;
};

} // namespace berth::io
