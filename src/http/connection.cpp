#include "connection.h"

#include <berth/util/log.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace berth::http {

namespace {

// How long a closing connection keeps reading (and dropping) what the client still sends, so
// that the kernel does not answer unread data with a reset that destroys our response.
constexpr std::chrono::milliseconds linger_time{2'000};
constexpr std::size_t linger_buffer_bytes = 4096;
// A connection keeps its head storage between requests only while it is this small, so
// thousands of idle connections cost little.
constexpr std::size_t head_capacity_kept = 4096;

Connection* owner(llhttp_t* parser) {
    return static_cast<Connection*>(parser->data);
}

Method method_from(std::uint8_t method) {
    switch (method) {
    case HTTP_GET:
        return Method::get;
    case HTTP_HEAD:
        return Method::head;
    case HTTP_POST:
        return Method::post;
    case HTTP_PUT:
        return Method::put;
    case HTTP_PATCH:
        return Method::patch;
    case HTTP_DELETE:
        return Method::delete_;
    case HTTP_OPTIONS:
        return Method::options;
    default:
        return Method::other;
    }
}

bool status_has_body(int status) {
    return status >= 200 && status != 204 && status != 304;
}

} // namespace

const llhttp_settings_t Connection::parser_settings = [] {
    llhttp_settings_t settings;
    llhttp_settings_init(&settings);
    settings.on_message_begin = &Connection::on_message_begin;
    settings.on_url = &Connection::on_url;
    settings.on_header_field = &Connection::on_header_field;
    settings.on_header_value = &Connection::on_header_value;
    settings.on_header_value_complete = &Connection::on_header_value_complete;
    settings.on_headers_complete = &Connection::on_headers_complete;
    settings.on_body = &Connection::on_body;
    settings.on_message_complete = &Connection::on_message_complete;
    return settings;
}();

Connection::Connection(Server& server, int fd)
    : server_(server), loop_(server.loop()), fd_(fd), peer_(io::peer_address(fd)) {
    llhttp_init(&parser_, HTTP_REQUEST, &parser_settings);
    parser_.data = this;
    io::bind<&Connection::recv_done>(recv_completion_, this);
    io::bind<&Connection::send_done>(send_completion_, this);
    io::bind<&Connection::splice_in_done>(splice_in_completion_, this);
    io::bind<&Connection::splice_out_done>(splice_out_completion_, this);
    io::bind<&Connection::linger_done>(linger_completion_, this);
    io::bind<&Connection::cancel_done>(cancel_completion_, this);
    io::bind<&Connection::close_done>(close_completion_, this);
    timer_.bind<&Connection::timed_out>(this);
}

Connection::~Connection() {
    assert(released_ && ops_in_flight_ == 0 && !handler_running_);
}

void Connection::start() {
    set_deadline(server_.limits().idle_timeout);
    arm_recv();
}

void Connection::drain() {
    if (phase_ == Phase::idle && input_left_ == 0) {
        close_now();
        return;
    }
    close_after_response_ = true;
}

// ---- llhttp callbacks --------------------------------------------------------------------

int Connection::on_message_begin(llhttp_t* parser) {
    Connection* self = owner(parser);
    self->phase_ = Phase::head;
    self->request_started_ = self->loop_.now();
    self->set_deadline(self->server_.limits().header_timeout);
    return 0;
}

int Connection::append_head(Span& span, const char* at, std::size_t length) {
    if (head_.size() + length > server_.limits().header_bytes_max) {
        head_error_status_ = 431;
        return HPE_USER;
    }
    if (span.length == 0) {
        span.offset = static_cast<std::uint32_t>(head_.size());
    }
    head_.append(at, length);
    span.length += static_cast<std::uint32_t>(length);
    return 0;
}

int Connection::on_url(llhttp_t* parser, const char* at, std::size_t length) {
    Connection* self = owner(parser);
    if (self->url_.length + length > self->server_.limits().url_bytes_max) {
        self->head_error_status_ = 414;
        return HPE_USER;
    }
    return self->append_head(self->url_, at, length);
}

int Connection::on_header_field(llhttp_t* parser, const char* at, std::size_t length) {
    Connection* self = owner(parser);
    if (self->header_spans_.size() >= self->server_.limits().header_count_max) {
        self->head_error_status_ = 431;
        return HPE_USER;
    }
    return self->append_head(self->field_, at, length);
}

int Connection::on_header_value(llhttp_t* parser, const char* at, std::size_t length) {
    Connection* self = owner(parser);
    return self->append_head(self->value_, at, length);
}

int Connection::on_header_value_complete(llhttp_t* parser) {
    Connection* self = owner(parser);
    self->header_spans_.emplace_back(self->field_, self->value_);
    self->field_ = Span{};
    self->value_ = Span{};
    return 0;
}

int Connection::on_headers_complete(llhttp_t* parser) {
    Connection* self = owner(parser);
    self->build_request();
    self->headers_complete_ = true;
    // Pausing hands the request to the application before a byte of its body is parsed: the
    // application decides whether and when to read it.
    return HPE_PAUSED;
}

int Connection::on_body(llhttp_t* parser, const char* at, std::size_t length) {
    Connection* self = owner(parser);
    if (length == 0) {
        // llhttp closes an open span at the end of every execute, even one given no bytes.
        return 0;
    }
    self->body_bytes_ += length;
    if (self->discarding_) {
        self->discarded_bytes_ += length;
        return 0;
    }
    self->chunk_.data = std::string_view(at, length);
    self->chunk_.buffer = self->input_;
    self->chunk_ready_ = true;
    return HPE_PAUSED;
}

int Connection::on_message_complete(llhttp_t* parser) {
    owner(parser)->message_complete_ = true;
    // The next pipelined request waits until this one's response has been sent.
    return HPE_PAUSED;
}

void Connection::build_request() {
    auto view = [this](Span span) {
        return std::string_view(head_).substr(span.offset, span.length);
    };
    headers_.clear();
    headers_.reserve(header_spans_.size());
    for (const auto& [field, value] : header_spans_) {
        headers_.push_back(Header{view(field), view(value)});
    }
    request_ = Request{};
    request_.method = method_from(parser_.method);
    request_.method_name = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
    request_.target = view(url_);
    std::size_t question = request_.target.find('?');
    request_.path = request_.target.substr(0, question);
    if (question != std::string_view::npos) {
        request_.query = request_.target.substr(question + 1);
    }
    request_.headers = headers_;
    if (parser_.flags & F_CONTENT_LENGTH) {
        request_.content_length = parser_.content_length;
    }
    request_.chunked = (parser_.flags & F_CHUNKED) != 0;
    request_.keep_alive = llhttp_should_keep_alive(&parser_) != 0;
    request_.expect_continue = equals_ignore_case(request_.header("expect"), "100-continue");
    request_.peer = peer_;
    http10_ = parser_.http_major == 1 && parser_.http_minor == 0;
}

// ---- the state machine -------------------------------------------------------------------

// Everything that changes the connection's state ends in step(). Handlers run inside it (a
// resumed coroutine may respond, finish, or ask for more body), so it never recurses: a nested
// call asks the running one to go round once more.
void Connection::step() {
    if (stepping_) {
        step_again_ = true;
        return;
    }
    stepping_ = true;
    do {
        step_again_ = false;
        step_once();
    } while (step_again_);
    stepping_ = false;
}

void Connection::step_once() {
    switch (phase_) {
    case Phase::idle:
    case Phase::head:
        read_head();
        break;
    case Phase::handling:
        if (discarding_) {
            discard_body();
        } else {
            feed_body();
            if (exchange_finished()) {
                finish_exchange();
            }
        }
        break;
    case Phase::lingering:
    case Phase::closing:
        break;
    }
}

bool Connection::parse() {
    // Even without new bytes the parser may have steps left: a request without a body is
    // complete right after its head, but that is only reported once it runs again.
    static const char nothing = 0;
    const char* data = input_left_ > 0 ? input_position_ : &nothing;
    llhttp_errno_t error = llhttp_execute(&parser_, data, input_left_);
    if (error == HPE_OK) {
        input_left_ = 0;
    } else if (error == HPE_PAUSED) {
        const char* stop = llhttp_get_error_pos(&parser_);
        input_left_ -= static_cast<std::size_t>(stop - data);
        input_position_ = stop;
        llhttp_resume(&parser_);
    } else if (error == HPE_PAUSED_UPGRADE) {
        // berth speaks HTTP/1.1 only; whatever follows an upgrade request is not for it.
        input_left_ = 0;
        close_after_response_ = true;
    } else {
        int status = head_error_status_ != 0 ? head_error_status_ : 400;
        const char* reason = llhttp_get_error_reason(&parser_);
        std::string_view text = status == 431   ? "request header fields too large"
                                : status == 414 ? "request URI too long"
                                : reason        ? reason
                                                : "malformed request";
        protocol_error(status, text);
        return false;
    }
    if (input_left_ == 0) {
        input_ = io::BufferRef();
    }
    return true;
}

void Connection::read_head() {
    if (!parse()) {
        return;
    }
    if (headers_complete_) {
        headers_complete_ = false;
        dispatch();
        return;
    }
    if (input_left_ == 0) {
        arm_recv();
    }
}

void Connection::dispatch() {
    phase_ = Phase::handling;
    // While the application works on the request nothing is expected from the client.
    clear_deadline();
    std::string_view expect = request_.header("expect");
    if (!expect.empty() && !request_.expect_continue) {
        close_after_response_ = true;
        respond(server_.application().protocol_error(417, "unsupported Expect"), true);
        return;
    }
    if (!request_.has_body() && !parse()) {
        return;
    }
    exchange_.request_ = &request_;
    handler_running_ = true;
    io::spawn(server_.application().handle(exchange_), &Connection::handler_done, this);
}

void Connection::handler_done(void* context) {
    auto* self = static_cast<Connection*>(context);
    self->handler_running_ = false;
    if (!self->responded_ && !self->gone_) {
        int status = self->body_error_status_ != 0 ? self->body_error_status_ : 500;
        std::string_view reason = self->body_error_status_ != 0
                                      ? std::string_view(self->body_error_reason_)
                                      : std::string_view("no response");
        self->close_after_response_ = true;
        self->respond(self->server_.application().protocol_error(status, reason), true);
    }
    if (self->phase_ == Phase::closing) {
        self->maybe_release();
        return;
    }
    self->step();
}

bool Connection::exchange_finished() const {
    return !handler_running_ && responded_ && !send_armed_ && !splice_armed_ &&
           output_sent_ == output_.size() && send_waiter_ == nullptr;
}

void Connection::feed_body() {
    if (body_waiter_ == nullptr) {
        return;
    }
    if (!chunk_ready_ && !message_complete_ && !parse()) {
        return;
    }
    if (chunk_ready_ || message_complete_) {
        Exchange::BodyAwaiter* waiter = body_waiter_;
        body_waiter_ = nullptr;
        clear_deadline();
        if (chunk_ready_) {
            chunk_ready_ = false;
            waiter->result_ = BodyRead{BodyState::chunk, std::move(chunk_)};
        } else {
            waiter->result_ = BodyRead{BodyState::end, {}};
        }
        waiter->coroutine_.resume();
        return;
    }
    arm_recv();
}

void Connection::discard_body() {
    if (!parse()) {
        return;
    }
    if (discarded_bytes_ > server_.limits().discard_bytes_max) {
        begin_close();
        return;
    }
    if (message_complete_) {
        reset_for_next_request();
        return;
    }
    if (input_left_ == 0) {
        arm_recv();
    }
}

void Connection::finish_exchange() {
    log_exchange(false);
    bool body_short = announced_bytes_ != body_bytes_sent_;
    if (close_after_response_ || !request_.keep_alive || gone_ || body_short) {
        begin_close();
        return;
    }
    if (!message_complete_) {
        // The handler answered without reading the body; skip it to keep the connection.
        discarding_ = true;
        chunk_ = BodyChunk{};
        chunk_ready_ = false;
        set_deadline(server_.limits().body_timeout);
        step_again_ = true;
        return;
    }
    reset_for_next_request();
}

void Connection::reset_for_next_request() {
    if (head_.capacity() > head_capacity_kept) {
        head_ = std::string();
    }
    head_.clear();
    url_ = field_ = value_ = Span{};
    header_spans_.clear();
    headers_.clear();
    request_ = Request{};
    exchange_.request_ = nullptr;
    head_error_status_ = body_error_status_ = 0;
    body_error_reason_.clear();
    headers_complete_ = message_complete_ = chunk_ready_ = discarding_ = false;
    chunk_ = BodyChunk{};
    body_bytes_ = discarded_bytes_ = 0;
    continue_sent_ = responded_ = logged_ = false;
    status_ = 0;
    announced_bytes_ = body_bytes_sent_ = 0;
    user_.clear();
    phase_ = Phase::idle;
    if (server_.draining_) {
        begin_close();
        return;
    }
    set_deadline(server_.limits().idle_timeout);
    step_again_ = true;
}

void Connection::protocol_error(int status, std::string_view reason) {
    if (phase_ == Phase::handling) {
        // A broken body: the handler learns that its read failed and answers, or, if it
        // does not, the connection answers for it.
        body_error_status_ = status;
        body_error_reason_ = reason;
        close_after_response_ = true;
        input_left_ = 0;
        input_ = io::BufferRef();
        if (body_waiter_ != nullptr) {
            finish_body_waiter(BodyState::failed);
        }
        if (discarding_) {
            begin_close();
        }
        return;
    }
    // A broken head: answer, then close; there is no handler.
    if (request_started_ == io::Clock::time_point{}) {
        request_started_ = loop_.now();
    }
    phase_ = Phase::handling;
    input_left_ = 0;
    input_ = io::BufferRef();
    close_after_response_ = true;
    respond(server_.application().protocol_error(status, reason), true);
}

// ---- socket operations -------------------------------------------------------------------

void Connection::set_deadline(std::chrono::milliseconds after) {
    loop_.arm(timer_, after);
}

void Connection::clear_deadline() {
    loop_.timers().disarm(timer_);
}

void Connection::arm_recv() {
    if (recv_armed_ || waiting_for_buffers_ || phase_ == Phase::lingering ||
        phase_ == Phase::closing) {
        return;
    }
    io_uring_sqe* sqe = loop_.ring().sqe(&recv_completion_);
    io_uring_prep_recv(sqe, fd_, nullptr, static_cast<unsigned>(loop_.buffers().buffer_bytes()), 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = io::BufferPool::group_id;
    recv_armed_ = true;
    ops_in_flight_++;
    if (phase_ == Phase::handling) {
        set_deadline(server_.limits().body_timeout);
    }
}

void Connection::recv_done(int result, std::uint32_t flags) {
    ops_in_flight_--;
    recv_armed_ = false;
    io::BufferRef buffer;
    if (flags & IORING_CQE_F_BUFFER) {
        buffer = loop_.buffers().adopt(flags);
    }
    if (phase_ == Phase::closing) {
        maybe_release();
        return;
    }
    if (result == -ENOBUFS) {
        // Every pool buffer is in use: stop reading until one comes back, and let TCP hold
        // the client back meanwhile.
        waiting_for_buffers_ = true;
        server_.wait_for_buffers(this);
        return;
    }
    if (result <= 0) {
        gone_ = true;
        if (phase_ == Phase::handling && handler_running_) {
            body_error_status_ = 400;
            body_error_reason_ = "client closed the connection";
        }
        close_now();
        return;
    }
    input_ = std::move(buffer);
    input_position_ = input_.data();
    input_left_ = static_cast<std::size_t>(result);
    step();
}

void Connection::buffers_available() {
    waiting_for_buffers_ = false;
    step();
}

void Connection::queue_output(std::string_view bytes) {
    output_ += bytes;
    send_output();
}

void Connection::send_output() {
    if (send_armed_ || output_sent_ == output_.size() || phase_ == Phase::closing) {
        return;
    }
    io_uring_sqe* sqe = loop_.ring().sqe(&send_completion_);
    io_uring_prep_send(sqe, fd_, output_.data() + output_sent_, output_.size() - output_sent_,
                       MSG_NOSIGNAL);
    send_armed_ = true;
    ops_in_flight_++;
    set_deadline(server_.limits().send_timeout);
}

void Connection::send_done(int result, std::uint32_t) {
    ops_in_flight_--;
    send_armed_ = false;
    if (phase_ == Phase::closing) {
        maybe_release();
        return;
    }
    if (result < 0) {
        gone_ = true;
        close_now();
        return;
    }
    output_sent_ += static_cast<std::size_t>(result);
    if (output_sent_ < output_.size()) {
        send_output();
        return;
    }
    output_.clear();
    output_sent_ = 0;
    clear_deadline();
    if (send_waiter_ != nullptr) {
        splice_next();
        return;
    }
    step();
}

void Connection::splice_next() {
    Exchange::SendAwaiter* waiter = send_waiter_;
    if (pipe_fill_ > 0) {
        io_uring_sqe* sqe = loop_.ring().sqe(&splice_out_completion_);
        unsigned more = waiter->length_ > 0 ? SPLICE_F_MORE : 0;
        io_uring_prep_splice(sqe, pipe_[0], -1, fd_, -1, static_cast<unsigned>(pipe_fill_), more);
        splice_armed_ = true;
        ops_in_flight_++;
        set_deadline(server_.limits().send_timeout);
        return;
    }
    if (waiter->length_ == 0) {
        finish_send_waiter(true);
        return;
    }
    if (pipe_[0] < 0) {
        if (pipe2(pipe_, O_CLOEXEC) != 0) {
            log::error("cannot create a pipe").str("error", std::strerror(errno));
            finish_send_waiter(false);
            close_now();
            return;
        }
        // A larger pipe moves a file in fewer round trips; the kernel may refuse, and then
        // the default 64 KiB still works.
        fcntl(pipe_[1], F_SETPIPE_SZ, static_cast<int>(server_.limits().splice_bytes));
    }
    auto bytes = std::min<std::uint64_t>(waiter->length_, server_.limits().splice_bytes);
    io_uring_sqe* sqe = loop_.ring().sqe(&splice_in_completion_);
    io_uring_prep_splice(sqe, waiter->fd_, static_cast<std::int64_t>(waiter->offset_), pipe_[1], -1,
                         static_cast<unsigned>(bytes), 0);
    splice_armed_ = true;
    ops_in_flight_++;
}

void Connection::splice_in_done(int result, std::uint32_t) {
    ops_in_flight_--;
    splice_armed_ = false;
    if (phase_ == Phase::closing) {
        maybe_release();
        return;
    }
    if (result <= 0) {
        log::error("cannot read a file being sent")
            .str("error", result == 0 ? "unexpected end of file" : std::strerror(-result));
        finish_send_waiter(false);
        close_now();
        return;
    }
    pipe_fill_ = static_cast<std::size_t>(result);
    send_waiter_->offset_ += static_cast<std::uint64_t>(result);
    send_waiter_->length_ -= static_cast<std::uint64_t>(result);
    splice_next();
}

void Connection::splice_out_done(int result, std::uint32_t) {
    ops_in_flight_--;
    splice_armed_ = false;
    if (phase_ == Phase::closing) {
        maybe_release();
        return;
    }
    if (result <= 0) {
        gone_ = true;
        finish_send_waiter(false);
        close_now();
        return;
    }
    pipe_fill_ -= static_cast<std::size_t>(result);
    body_bytes_sent_ += static_cast<std::uint64_t>(result);
    clear_deadline();
    splice_next();
}

void Connection::timed_out() {
    if (phase_ == Phase::handling && handler_running_) {
        body_error_status_ = 408;
        body_error_reason_ = "the request body stopped arriving";
    }
    gone_ = gone_ || phase_ != Phase::idle;
    close_now();
}

// ---- responding --------------------------------------------------------------------------

void Connection::respond(Response response, bool complete) {
    if (responded_ || gone_ || phase_ == Phase::closing || phase_ == Phase::lingering) {
        return;
    }
    responded_ = true;
    status_ = response.status();
    if (!message_complete_ && request_.has_body()) {
        std::uint64_t left = request_.content_length.value_or(0) -
                             std::min(request_.content_length.value_or(0), body_bytes_);
        bool client_waits = request_.expect_continue && !continue_sent_;
        if (client_waits || request_.chunked || left > server_.limits().discard_bytes_max) {
            close_after_response_ = true;
        }
    }
    if (!request_.keep_alive || server_.draining_) {
        close_after_response_ = true;
    }
    bool send_body = request_.method != Method::head && complete;
    std::string& out = output_;
    out.reserve(out.size() + 160 + response.fields().size() +
                (send_body ? response.body().size() : 0));
    out += "HTTP/1.1 ";
    out += std::to_string(status_);
    out += ' ';
    out += reason_phrase(status_);
    out += "\r\nDate: ";
    out += server_.date();
    out += "\r\n";
    out += response.fields();
    if (status_has_body(status_)) {
        out += "Content-Length: ";
        out += std::to_string(response.announced_length());
        out += "\r\n";
    }
    if (close_after_response_) {
        out += "Connection: close\r\n";
    } else if (http10_) {
        out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
    if (send_body) {
        out += response.body();
        body_bytes_sent_ = response.body().size();
        announced_bytes_ = body_bytes_sent_;
    } else if (!complete && request_.method != Method::head && status_has_body(status_)) {
        announced_bytes_ = response.announced_length();
    }
    send_output();
}

bool Connection::want_file(Exchange::SendAwaiter* awaiter) {
    if (gone_ || phase_ != Phase::handling || !responded_) {
        awaiter->ok_ = false;
        return false;
    }
    send_waiter_ = awaiter;
    if (!send_armed_) {
        splice_next();
    }
    return true;
}

bool Connection::want_body(Exchange::BodyAwaiter* awaiter) {
    if (gone_ || phase_ != Phase::handling || body_error_status_ != 0) {
        awaiter->result_ = BodyRead{BodyState::failed, {}};
        return false;
    }
    if (request_.expect_continue && !continue_sent_ && !message_complete_ && !responded_) {
        continue_sent_ = true;
        queue_output("HTTP/1.1 100 Continue\r\n\r\n");
    }
    if (!chunk_ready_ && !message_complete_ && !parse()) {
        awaiter->result_ = BodyRead{BodyState::failed, {}};
        return false;
    }
    if (chunk_ready_) {
        chunk_ready_ = false;
        awaiter->result_ = BodyRead{BodyState::chunk, std::move(chunk_)};
        return false;
    }
    if (message_complete_) {
        awaiter->result_ = BodyRead{BodyState::end, {}};
        return false;
    }
    body_waiter_ = awaiter;
    arm_recv();
    return true;
}

void Connection::finish_body_waiter(BodyState state) {
    Exchange::BodyAwaiter* waiter = body_waiter_;
    body_waiter_ = nullptr;
    waiter->result_ = BodyRead{state, {}};
    // Resumed from the next turn: the caller may be deep inside this connection's code.
    loop_.defer(waiter->coroutine_);
}

void Connection::finish_send_waiter(bool ok) {
    Exchange::SendAwaiter* waiter = send_waiter_;
    send_waiter_ = nullptr;
    waiter->ok_ = ok;
    loop_.defer(waiter->coroutine_);
}

void Connection::log_exchange(bool aborted) {
    if (logged_) {
        return;
    }
    logged_ = true;
    io::Clock::duration took = io::Clock::now() - request_started_;
    if (exchange_.request_ != nullptr) {
        server_.application().finished(request_, status_, took);
    }
    auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(took);
    log::info("request")
        .str("method", request_.method_name.empty() ? "-" : request_.method_name)
        .str("path", request_.target)
        .num("status", status_)
        .unum("bytes", body_bytes_sent_)
        .unum("received", body_bytes_)
        .num("duration_us", elapsed.count())
        .str("user", user_)
        .str("client", peer_)
        .boolean("aborted", aborted);
}

// ---- ending ------------------------------------------------------------------------------

void Connection::begin_close() {
    // Closing with unread data in the socket makes the kernel send a reset, which can destroy
    // the response before the client reads it; then linger instead.
    bool unread_input = input_left_ > 0 || (!message_complete_ && request_.has_body()) ||
                        head_error_status_ != 0 || body_error_status_ != 0;
    if (!unread_input || gone_) {
        close_now();
        return;
    }
    begin_linger();
}

void Connection::begin_linger() {
    phase_ = Phase::lingering;
    input_ = io::BufferRef();
    input_left_ = 0;
    chunk_ = BodyChunk{};
    // Half-close: the client sees the end of the response, and what it still sends is read
    // and dropped until it closes too or the linger time is over.
    ::shutdown(fd_, SHUT_WR);
    linger_buffer_ = std::make_unique<char[]>(linger_buffer_bytes);
    set_deadline(linger_time);
    arm_linger_recv();
}

void Connection::arm_linger_recv() {
    io_uring_sqe* sqe = loop_.ring().sqe(&linger_completion_);
    io_uring_prep_recv(sqe, fd_, linger_buffer_.get(), linger_buffer_bytes, 0);
    recv_armed_ = true;
    ops_in_flight_++;
}

void Connection::linger_done(int result, std::uint32_t) {
    ops_in_flight_--;
    recv_armed_ = false;
    if (phase_ == Phase::closing) {
        maybe_release();
        return;
    }
    if (result > 0) {
        arm_linger_recv();
        return;
    }
    close_now();
}

void Connection::close_now() {
    if (phase_ == Phase::closing) {
        return;
    }
    Phase phase_before = phase_;
    phase_ = Phase::closing;
    clear_deadline();
    if (waiting_for_buffers_) {
        server_.forget_buffer_waiter(this);
        waiting_for_buffers_ = false;
    }
    if (body_waiter_ != nullptr) {
        finish_body_waiter(BodyState::failed);
    }
    if (send_waiter_ != nullptr && !splice_armed_) {
        finish_send_waiter(false);
    }
    if (phase_before == Phase::handling) {
        log_exchange(true);
    }
    gone_ = true;
    if (recv_armed_ || send_armed_ || splice_armed_) {
        io_uring_sqe* sqe = loop_.ring().sqe(&cancel_completion_);
        io_uring_prep_cancel_fd(sqe, fd_, IORING_ASYNC_CANCEL_ALL);
        ops_in_flight_++;
    }
    maybe_release();
}

void Connection::cancel_done(int, std::uint32_t) {
    ops_in_flight_--;
    maybe_release();
}

void Connection::maybe_release() {
    if (released_ || ops_in_flight_ > 0 || handler_running_) {
        return;
    }
    if (send_waiter_ != nullptr) {
        finish_send_waiter(false);
        return;
    }
    released_ = true;
    input_ = io::BufferRef();
    chunk_ = BodyChunk{};
    for (int& end : pipe_) {
        if (end >= 0) {
            io_uring_prep_close(loop_.ring().sqe(nullptr), end);
            end = -1;
        }
    }
    io_uring_prep_close(loop_.ring().sqe(&close_completion_), fd_);
}

void Connection::close_done(int, std::uint32_t) {
    server_.release(this);
}

// ---- Exchange ----------------------------------------------------------------------------

io::Loop& Exchange::loop() const {
    return connection_->loop_;
}

bool Exchange::BodyAwaiter::await_suspend(std::coroutine_handle<> coroutine) {
    coroutine_ = coroutine;
    return connection_->want_body(this);
}

Exchange::BodyAwaiter Exchange::next_body_chunk() {
    return BodyAwaiter(connection_);
}

io::Task<Expected<std::string, BodyFailure>> Exchange::read_body(std::size_t limit) {
    std::string body;
    if (request().content_length && *request().content_length > limit) {
        co_return Unexpected(BodyFailure::too_large);
    }
    while (true) {
        BodyRead read = co_await next_body_chunk();
        if (read.state == BodyState::end) {
            co_return body;
        }
        if (read.state == BodyState::failed) {
            co_return Unexpected(BodyFailure::failed);
        }
        if (body.size() + read.chunk.data.size() > limit) {
            co_return Unexpected(BodyFailure::too_large);
        }
        body += read.chunk.data;
    }
}

void Exchange::respond(Response response) {
    connection_->respond(std::move(response), true);
}

void Exchange::respond_head(Response response) {
    connection_->respond(std::move(response), false);
}

bool Exchange::SendAwaiter::await_suspend(std::coroutine_handle<> coroutine) {
    coroutine_ = coroutine;
    return connection_->want_file(this);
}

Exchange::SendAwaiter Exchange::send_file(int fd, std::uint64_t offset, std::uint64_t length) {
    return SendAwaiter(connection_, fd, offset, length);
}

bool Exchange::responded() const {
    return connection_->responded_;
}
bool Exchange::gone() const {
    return connection_->gone_;
}
void Exchange::set_user(std::string_view user) {
    connection_->user_ = user;
}
std::string_view Exchange::user() const {
    return connection_->user_;
}
std::uint64_t Exchange::body_bytes() const {
    return connection_->body_bytes_;
}

} // namespace berth::http
