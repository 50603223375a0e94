// The receive buffers: a fixed pool shared with the kernel as a provided-buffer ring.
//
// The kernel picks a free buffer when data arrives on a socket, so an idle connection holds
// no buffer at all. A buffer goes back to the ring when the last BufferRef to it dies. When
// every buffer is taken, receives fail with ENOBUFS and the loop stops receiving until one
// comes back: TCP flow control then slows the clients down. The pool never grows; its size
// (count × bytes) is the memory budget for request data in flight.
#pragma once

#include <berth/util/expected.h>

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace berth::io {

class BufferPool;

// A counted reference to one pool buffer. Copying shares the buffer; it returns to the kernel
// when the last reference is destroyed.
class BufferRef {
public:
    BufferRef() = default;
    BufferRef(BufferPool* pool, std::uint16_t id);
    BufferRef(const BufferRef& other);
    BufferRef(BufferRef&& other) noexcept;
    BufferRef& operator=(BufferRef other) noexcept;
    ~BufferRef();

    explicit operator bool() const { return pool_ != nullptr; }
    char* data() const;
    std::uint16_t id() const { return id_; }

private:
    BufferPool* pool_ = nullptr;
    std::uint16_t id_ = 0;
};

class BufferPool {
public:
    static constexpr std::uint16_t group_id = 1;

    static Expected<BufferPool*, std::string> create(io_uring* ring, std::size_t buffer_bytes,
                                                     std::size_t buffer_count);
    ~BufferPool();
    BufferPool(const BufferPool&) = delete;
    BufferPool& operator=(const BufferPool&) = delete;

    // Takes ownership of the buffer the kernel filled for a completion with
    // IORING_CQE_F_BUFFER set.
    BufferRef adopt(std::uint32_t cqe_flags);

    std::size_t buffer_bytes() const { return buffer_bytes_; }
    std::size_t buffer_count() const { return buffer_count_; }
    std::size_t buffers_in_use() const { return in_use_; }
    char* data(std::uint16_t id) const { return memory_ + std::size_t{id} * buffer_bytes_; }

    // Registered when buffers run out; called (once) as soon as one is returned.
    void on_available(void (*callback)(void*), void* context);

private:
    friend class BufferRef;
    BufferPool() = default;
    void retain(std::uint16_t id) { references_[id]++; }
    void release(std::uint16_t id);

    io_uring* ring_ = nullptr;
    io_uring_buf_ring* buf_ring_ = nullptr;
    char* memory_ = nullptr;
    std::size_t memory_bytes_ = 0;
    std::size_t ring_bytes_ = 0;
    std::size_t buffer_bytes_ = 0;
    std::size_t buffer_count_ = 0;
    std::size_t in_use_ = 0;
    std::vector<std::uint32_t> references_;
    void (*available_callback_)(void*) = nullptr;
    void* available_context_ = nullptr;
};

} // namespace berth::io
