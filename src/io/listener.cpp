#include <berth/io/listener.h>

#include <berth/io/loop.h>
#include <berth/util/log.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::io {

Listener::Listener(Loop& loop, int listen_fd, AcceptCallback callback, void* context)
    : loop_(loop), fd_(listen_fd), callback_(callback), context_(context) {
    bind<&Listener::accept_done>(accept_, this);
    bind<&Listener::cancel_done>(cancel_, this);
}

Listener::~Listener() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

void Listener::resume() {
    want_armed_ = true;
    if (armed_ || fd_ < 0) {
        return;
    }
    armed_ = true;
    io_uring_sqe* sqe = loop_.ring().sqe(&accept_);
    io_uring_prep_multishot_accept(sqe, fd_, nullptr, nullptr, SOCK_CLOEXEC);
}

void Listener::pause() {
    want_armed_ = false;
    if (!armed_ || cancelling_) {
        return;
    }
    cancelling_ = true;
    io_uring_sqe* sqe = loop_.ring().sqe(&cancel_);
    io_uring_prep_cancel(sqe, &accept_, 0);
}

void Listener::close() {
    pause();
    if (fd_ >= 0) {
        // The cancelled accept still holds a reference to the socket, so closing here only
        // drops ours; nothing new is accepted once the cancel completes.
        ::close(fd_);
        fd_ = -1;
    }
}

void Listener::accept_done(int result, std::uint32_t flags) {
    if (!(flags & IORING_CQE_F_MORE)) {
        armed_ = false;
    }
    if (result >= 0) {
        if (want_armed_) {
            callback_(context_, result);
        } else {
            // Accepted after pause was asked for: over the cap, so let it go at once.
            ::close(result);
        }
    } else if (result != -ECANCELED) {
        // EMFILE and ENFILE end the multishot; the next resume (a connection closing) re-arms.
        log::warn("accept failed").str("error", std::strerror(-result));
    }
    if (!armed_ && want_armed_ && !cancelling_ && result != -EMFILE && result != -ENFILE) {
        resume();
    }
}

void Listener::cancel_done(int, std::uint32_t) {
    cancelling_ = false;
    if (want_armed_ && !armed_) {
        resume();
    }
}

std::string peer_address(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        return "-";
    }
    char text[INET6_ADDRSTRLEN] = "-";
    if (address.ss_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address)->sin_addr, text, sizeof(text));
    } else if (address.ss_family == AF_INET6) {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
            inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], text, sizeof(text));
        } else {
            inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
        }
    }
    return text;
}

} // namespace berth::io
