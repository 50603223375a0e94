#include <berth/http/server.h>

#include "connection.h"

#include <chrono>
#include <ctime>
#include <unistd.h>

namespace berth::http {

Server::Server(io::Loop& loop, Application& application, const Limits& limits, int listen_fd)
    : loop_(loop), application_(application), limits_(limits),
      listener_(loop, listen_fd, &Server::accepted, this) {
    drain_timer_.bind<&Server::drain_deadline>(this);
}

Server::~Server() = default;

void Server::start() {
    listener_.resume();
}

void Server::accepted(void* context, int fd) {
    auto* self = static_cast<Server*>(context);
    auto* connection = new Connection(*self, fd);
    connection->list_next = self->connections_;
    if (self->connections_ != nullptr) {
        self->connections_->list_previous = connection;
    }
    self->connections_ = connection;
    self->connection_count_++;
    if (self->connection_count_ >= self->limits_.connections_max) {
        // At the cap new connections wait in the kernel's listen backlog.
        self->listener_.pause();
    }
    connection->start();
}

void Server::release(Connection* connection) {
    if (connection->list_previous != nullptr) {
        connection->list_previous->list_next = connection->list_next;
    } else {
        connections_ = connection->list_next;
    }
    if (connection->list_next != nullptr) {
        connection->list_next->list_previous = connection->list_previous;
    }
    delete connection;
    connection_count_--;
    if (!draining_ && connection_count_ < limits_.connections_max) {
        listener_.resume();
    }
    maybe_drained();
}

void Server::wait_for_buffers(Connection* connection) {
    buffer_waiters_.push_back(connection);
    loop_.buffers().on_available(
        [](void* self) {
            auto* server = static_cast<Server*>(self);
            if (!server->buffer_wake_scheduled_) {
                server->buffer_wake_scheduled_ = true;
                server->loop_.defer([](void* s) { static_cast<Server*>(s)->wake_buffer_waiters(); },
                                    server);
            }
        },
        this);
}

void Server::forget_buffer_waiter(Connection* connection) {
    std::erase(buffer_waiters_, connection);
}

void Server::wake_buffer_waiters() {
    buffer_wake_scheduled_ = false;
    std::vector<Connection*> waiters;
    waiters.swap(buffer_waiters_);
    for (Connection* connection : waiters) {
        connection->buffers_available();
    }
}

void Server::drain(std::chrono::milliseconds deadline, void (*done)(void*), void* context) {
    draining_ = true;
    drained_ = done;
    drained_context_ = context;
    listener_.close();
    loop_.arm(drain_timer_, deadline);
    for (Connection* connection = connections_; connection != nullptr;) {
        Connection* next = connection->list_next;
        connection->drain();
        connection = next;
    }
    maybe_drained();
}

void Server::drain_deadline() {
    for (Connection* connection = connections_; connection != nullptr;) {
        Connection* next = connection->list_next;
        connection->close_now();
        connection = next;
    }
}

void Server::maybe_drained() {
    if (draining_ && connection_count_ == 0 && drained_ != nullptr) {
        auto done = drained_;
        drained_ = nullptr;
        loop_.timers().disarm(drain_timer_);
        done(drained_context_);
    }
}

std::string_view Server::date() {
    auto now = std::chrono::system_clock::now();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    if (seconds != date_second_) {
        date_second_ = seconds;
        std::tm parts{};
        gmtime_r(&seconds, &parts);
        char text[64];
        std::size_t length = std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &parts);
        date_.assign(text, length);
    }
    return date_;
}

} // namespace berth::http
