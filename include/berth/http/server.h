// HTTP/1.1 over llhttp on the loop: accepts connections, parses requests, hands each one to
// the application as an Exchange, and sends what the application answers.
//
// One request per connection is in progress at a time; pipelined requests wait, unparsed, in
// the receive buffer until the response before them has been sent. A request body is read
// only when the application asks for it, a piece at a time, so an upload occupies at most a
// few pool buffers however large it is.
#pragma once

#include <berth/http/request.h>
#include <berth/http/response.h>
#include <berth/io/buffer_pool.h>
#include <berth/io/listener.h>
#include <berth/io/loop.h>
#include <berth/io/task.h>
#include <berth/io/timer.h>
#include <berth/util/expected.h>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth::http {

struct Limits {
    std::size_t header_bytes_max = 16 * 1024;
    std::size_t url_bytes_max = 8 * 1024;
    // A request head with more fields than this is not from a registry client.
    std::size_t header_count_max = 128;
    std::size_t connections_max = 8192;
    std::chrono::milliseconds header_timeout{30'000};
    std::chrono::milliseconds idle_timeout{75'000};
    std::chrono::milliseconds body_timeout{60'000};
    std::chrono::milliseconds send_timeout{60'000};
    // A body the application did not read is skipped up to this size to keep the connection;
    // beyond it the connection is closed after the response.
    std::uint64_t discard_bytes_max = 256 * 1024;
    // Bytes moved per splice when streaming a file.
    std::size_t splice_bytes = 1024 * 1024;
};

class Connection;
class Server;

struct BodyChunk {
    std::string_view data;
    io::BufferRef buffer; // keeps `data` alive for as long as it is held
};

enum class BodyState : std::uint8_t { chunk, end, failed };

struct BodyRead {
    BodyState state = BodyState::failed;
    BodyChunk chunk;
};

enum class BodyFailure : std::uint8_t { too_large, failed };

class Exchange {
public:
    const Request& request() const { return *request_; }
    io::Loop& loop() const;

    class BodyAwaiter {
    public:
        bool await_ready() const noexcept { return false; }
        bool await_suspend(std::coroutine_handle<> coroutine);
        BodyRead await_resume() { return std::move(result_); }

    private:
        friend class Connection;
        friend class Exchange;
        explicit BodyAwaiter(Connection* connection) : connection_(connection) {}
        Connection* connection_;
        std::coroutine_handle<> coroutine_;
        BodyRead result_;
    };
    // The next piece of the request body as it arrives; `end` once it is complete.
    BodyAwaiter next_body_chunk();

    // A small body whole (a manifest, a GraphQL query); fails when it exceeds `limit`.
    io::Task<Expected<std::string, BodyFailure>> read_body(std::size_t limit);

    // Sends a complete response. The exchange ends when it has been sent and the handler has
    // returned.
    void respond(Response response);

    // Sends the status line and headers of a response whose body follows with send_file.
    void respond_head(Response response);

    class SendAwaiter {
    public:
        bool await_ready() const noexcept { return false; }
        bool await_suspend(std::coroutine_handle<> coroutine);
        bool await_resume() const noexcept { return ok_; }

    private:
        friend class Connection;
        friend class Exchange;
        SendAwaiter(Connection* connection, int fd, std::uint64_t offset, std::uint64_t length)
            : connection_(connection), fd_(fd), offset_(offset), length_(length) {}
        Connection* connection_;
        int fd_;
        std::uint64_t offset_;
        std::uint64_t length_;
        std::coroutine_handle<> coroutine_;
        bool ok_ = false;
    };
    // Streams `length` bytes of the file from `offset` to the client without copying them
    // through user space. False when the client went away; the connection is then closed.
    SendAwaiter send_file(int fd, std::uint64_t offset, std::uint64_t length);

    bool responded() const;
    // The client went away or timed out; whatever the handler still sends is dropped.
    bool gone() const;
    // Who made the request (authenticated user name), for access checks and the access log.
    void set_user(std::string_view user);
    std::string_view user() const;
    // Bytes of request body received so far.
    std::uint64_t body_bytes() const;

private:
    friend class Connection;
    explicit Exchange(Connection* connection) : connection_(connection) {}
    Connection* connection_;
    const Request* request_ = nullptr;
};

class Application {
public:
    virtual ~Application() = default;
    virtual io::Task<void> handle(Exchange& exchange) = 0;
    // The response for a request the HTTP layer rejects itself (malformed, head too large).
    virtual Response protocol_error(int status, std::string_view reason) = 0;
    // Once per request handed to handle(), when its exchange has ended (sent, or cut off):
    // the status answered (0 when none was) and the time since the head began to arrive.
    // Runs on every request, so it must be cheap.
    virtual void finished(const Request&, int /*status*/, io::Clock::duration /*elapsed*/) {}
};

class Server {
public:
    Server(io::Loop& loop, Application& application, const Limits& limits, int listen_fd);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    void start();
    // Stops accepting, lets requests in flight finish until `deadline`, then closes what is
    // left; calls `done` once no connection remains.
    void drain(std::chrono::milliseconds deadline, void (*done)(void*), void* context);

    std::size_t connection_count() const { return connection_count_; }
    const Limits& limits() const { return limits_; }
    io::Loop& loop() { return loop_; }
    Application& application() { return application_; }
    // The Date header value, formatted at most once a second.
    std::string_view date();

private:
    friend class Connection;
    static void accepted(void* self, int fd);
    void release(Connection* connection);
    void wait_for_buffers(Connection* connection);
    void forget_buffer_waiter(Connection* connection);
    void wake_buffer_waiters();
    void drain_deadline();
    void maybe_drained();

    io::Loop& loop_;
    Application& application_;
    Limits limits_;
    io::Listener listener_;
    Connection* connections_ = nullptr; // intrusive list, for draining
    std::size_t connection_count_ = 0;
    std::vector<Connection*> buffer_waiters_;
    bool buffer_wake_scheduled_ = false;
    bool draining_ = false;
    void (*drained_)(void*) = nullptr;
    void* drained_context_ = nullptr;
    io::Timer drain_timer_;
    std::int64_t date_second_ = -1;
    std::string date_;
};

} // namespace berth::http
