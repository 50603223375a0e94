// Writes log lines to a file or to standard output without ever blocking the loop: lines
// collect in a buffer that is written through the ring once per turn. While the loop is not
// running (startup, shutdown) the sink writes directly.
#pragma once

#include <berth/io/completion.h>
#include <berth/util/log.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace berth::io {

class Loop;

class LogSink final : public log::Sink {
public:
    // Takes ownership of `fd` unless it is standard output or standard error.
    explicit LogSink(int fd) : fd_(fd) {}
    ~LogSink() override;
    LogSink(const LogSink&) = delete;
    LogSink& operator=(const LogSink&) = delete;

    // Opens (creating, appending) the file at `path`; empty means standard output.
    static LogSink* open(const std::string& path, std::string& error);

    void write(std::string_view line) override;

    // From now on lines go through `loop`'s ring; `detach` goes back to direct writes and
    // flushes what is pending.
    void attach(Loop& loop);
    void detach();

    std::uint64_t dropped_lines() const { return dropped_; }

private:
    // A log that cannot keep up must not eat the memory budget: beyond this much pending
    // text, lines are counted and dropped.
    static constexpr std::size_t pending_bytes_max = 1 << 20;

    void schedule_flush();
    void flush();
    void write_done(int result, std::uint32_t flags);
    void write_directly(std::string_view text);

    int fd_;
    Loop* loop_ = nullptr;
    std::string pending_;
    std::string in_flight_;
    std::size_t in_flight_offset_ = 0;
    bool flush_scheduled_ = false;
    bool writing_ = false;
    std::uint64_t dropped_ = 0;
    Completion write_completion_;
};

} // namespace berth::io
