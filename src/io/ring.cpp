#include <berth/io/ring.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace berth::io {

namespace {

// Kernel 6.1 is the floor: it has every opcode below, multishot accept, provided buffer
// rings and DEFER_TASKRUN.
constexpr unsigned required_opcodes[] = {
    IORING_OP_ACCEPT,          IORING_OP_RECV,     IORING_OP_SEND,
    IORING_OP_SENDMSG,         IORING_OP_SPLICE,   IORING_OP_OPENAT,
    IORING_OP_STATX,           IORING_OP_READ,     IORING_OP_WRITE,
    IORING_OP_FSYNC,           IORING_OP_RENAMEAT, IORING_OP_UNLINKAT,
    IORING_OP_MKDIRAT,         IORING_OP_LINKAT,   IORING_OP_CLOSE,
    IORING_OP_TIMEOUT,         IORING_OP_SHUTDOWN, IORING_OP_ASYNC_CANCEL,
    IORING_OP_PROVIDE_BUFFERS,
};

std::string missing_opcodes(io_uring_probe* probe) {
    std::string missing;
    for (unsigned opcode : required_opcodes) {
        if (!io_uring_opcode_supported(probe, static_cast<int>(opcode))) {
            missing += (missing.empty() ? "" : ", ") + std::to_string(opcode);
        }
    }
    return missing;
}

} // namespace

Expected<Ring*, std::string> Ring::create(unsigned entries) {
    std::unique_ptr<Ring> ring(new Ring());
    io_uring_params params{};
    // SINGLE_ISSUER and DEFER_TASKRUN keep the kernel from interrupting the loop to run
    // completion work: it runs when the loop asks for events, on the loop's own time.
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE |
                   IORING_SETUP_CLAMP;
    params.cq_entries = entries * 4;
    int rc = io_uring_queue_init_params(entries, &ring->ring_, &params);
    if (rc < 0) {
        return Unexpected(std::string("io_uring setup failed (kernel 6.1 or newer needed): ") +
                          std::strerror(-rc));
    }
    if (!(params.features & IORING_FEAT_NODROP) || !(params.features & IORING_FEAT_EXT_ARG)) {
        return Unexpected(std::string("io_uring lacks NODROP or EXT_ARG (kernel too old)"));
    }
    io_uring_probe* probe = io_uring_get_probe_ring(&ring->ring_);
    if (probe == nullptr) {
        return Unexpected(std::string("io_uring opcode probe failed"));
    }
    std::string missing = missing_opcodes(probe);
    io_uring_free_probe(probe);
    if (!missing.empty()) {
        return Unexpected("io_uring lacks opcodes " + missing + " (kernel too old)");
    }
    return ring.release();
}

Ring::~Ring() {
    io_uring_queue_exit(&ring_);
}

io_uring_sqe* Ring::sqe(Completion* completion) {
    io_uring_sqe* entry = io_uring_get_sqe(&ring_);
    while (entry == nullptr) {
        submit();
        entry = io_uring_get_sqe(&ring_);
    }
    io_uring_sqe_set_data(entry, completion);
    submissions_++;
    return entry;
}

void Ring::submit() {
    int rc;
    do {
        rc = io_uring_submit(&ring_);
    } while (rc == -EINTR || rc == -EAGAIN || rc == -EBUSY);
}

void Ring::submit_and_wait(std::optional<std::chrono::nanoseconds> timeout) {
    io_uring_cqe* cqe = nullptr;
    if (!timeout) {
        io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, nullptr, nullptr);
        return;
    }
    auto ns = timeout->count() < 0 ? 0 : timeout->count();
    __kernel_timespec ts{.tv_sec = ns / 1'000'000'000, .tv_nsec = ns % 1'000'000'000};
    io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
}

unsigned Ring::reap(Event* events, unsigned count) {
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
        if (seen == count) {
            break;
        }
        events[seen++] =
            Event{static_cast<Completion*>(io_uring_cqe_get_data(cqe)), cqe->res, cqe->flags};
    }
    io_uring_cq_advance(&ring_, seen);
    return seen;
}

} // namespace berth::io
