// One client connection: the state machine between the socket, llhttp and the application.
// Internal to the HTTP layer; the application sees only Exchange.
#pragma once

#include <berth/http/server.h>

#include <llhttp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace berth::http {

class Connection {
public:
    Connection(Server& server, int fd);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    void start();
    // Shutdown: an idle connection closes now, a busy one after its response.
    void drain();
    void buffers_available();

    Connection* list_previous = nullptr;
    Connection* list_next = nullptr;

private:
    friend class Exchange;

    enum class Phase : std::uint8_t { idle, head, handling, lingering, closing };

    struct Span {
        std::uint32_t offset = 0;
        std::uint32_t length = 0;
    };

    // llhttp callbacks.
    static int on_message_begin(llhttp_t* parser);
    static int on_url(llhttp_t* parser, const char* at, std::size_t length);
    static int on_header_field(llhttp_t* parser, const char* at, std::size_t length);
    static int on_header_value(llhttp_t* parser, const char* at, std::size_t length);
    static int on_header_value_complete(llhttp_t* parser);
    static int on_headers_complete(llhttp_t* parser);
    static int on_body(llhttp_t* parser, const char* at, std::size_t length);
    static int on_message_complete(llhttp_t* parser);
    static const llhttp_settings_t parser_settings;
    int append_head(Span& span, const char* at, std::size_t length);
    void build_request();

    // The state machine.
    void step();
    void step_once();
    bool parse();
    void read_head();
    void dispatch();
    void feed_body();
    void discard_body();
    bool exchange_finished() const;
    void begin_linger();
    void arm_linger_recv();
    void finish_exchange();
    void reset_for_next_request();
    void protocol_error(int status, std::string_view reason);

    // Socket operations.
    void arm_recv();
    void recv_done(int result, std::uint32_t flags);
    void queue_output(std::string_view bytes);
    void send_output();
    void send_done(int result, std::uint32_t flags);
    void splice_next();
    void splice_in_done(int result, std::uint32_t flags);
    void splice_out_done(int result, std::uint32_t flags);
    void linger_done(int result, std::uint32_t flags);
    void cancel_done(int result, std::uint32_t flags);
    void close_done(int result, std::uint32_t flags);
    void timed_out();
    void set_deadline(std::chrono::milliseconds after);
    void clear_deadline();

    // Ending.
    void begin_close();

public:
    // Closes at once, dropping whatever is in flight (drain deadline, timeouts).
    void close_now();

private:
    void maybe_release();
    void finish_body_waiter(BodyState state);
    void finish_send_waiter(bool ok);
    void log_exchange(bool aborted);

    // Exchange's implementation.
    bool want_body(Exchange::BodyAwaiter* awaiter);
    void respond(Response response, bool complete);
    bool want_file(Exchange::SendAwaiter* awaiter);
    static void handler_done(void* self);

    Server& server_;
    io::Loop& loop_;
    int fd_;
    std::string peer_;
    llhttp_t parser_{};
    Exchange exchange_{this};
    Phase phase_ = Phase::idle;
    unsigned ops_in_flight_ = 0;
    bool stepping_ = false;
    bool step_again_ = false;

    // Received bytes not parsed yet.
    io::BufferRef input_;
    const char* input_position_ = nullptr;
    std::size_t input_left_ = 0;
    bool recv_armed_ = false;
    bool waiting_for_buffers_ = false;

    // The request being read or handled.
    std::string head_;
    Span url_;
    Span field_;
    Span value_;
    std::vector<std::pair<Span, Span>> header_spans_;
    std::vector<Header> headers_;
    Request request_;
    int head_error_status_ = 0;
    int body_error_status_ = 0;
    std::string body_error_reason_;
    bool http10_ = false;
    bool headers_complete_ = false;
    bool message_complete_ = false;
    bool chunk_ready_ = false;
    BodyChunk chunk_;
    bool discarding_ = false;
    std::uint64_t body_bytes_ = 0;
    std::uint64_t discarded_bytes_ = 0;
    bool continue_sent_ = false;
    Exchange::BodyAwaiter* body_waiter_ = nullptr;
    bool handler_running_ = false;

    // The response.
    bool responded_ = false;
    bool response_complete_ = false;
    bool close_after_response_ = false;
    bool gone_ = false;
    std::string output_;
    std::size_t output_sent_ = 0;
    bool send_armed_ = false;
    Exchange::SendAwaiter* send_waiter_ = nullptr;
    int pipe_[2] = {-1, -1};
    std::size_t pipe_fill_ = 0;
    bool splice_armed_ = false;
    int status_ = 0;
    std::uint64_t announced_bytes_ = 0;
    std::uint64_t body_bytes_sent_ = 0;
    std::string user_;
    bool logged_ = false;
    io::Clock::time_point request_started_{};

    io::Timer timer_;
    io::Completion recv_completion_;
    io::Completion send_completion_;
    io::Completion splice_in_completion_;
    io::Completion splice_out_completion_;
    io::Completion linger_completion_;
    io::Completion cancel_completion_;
    io::Completion close_completion_;
    std::unique_ptr<char[]> linger_buffer_; // only lingering connections need one
    bool released_ = false;
};

} // namespace berth::http
