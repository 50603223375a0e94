#include <berth/io/buffer_pool.h>

#include <sys/mman.h>

#include <cassert>
#include <cstring>
#include <memory>

namespace berth::io {

BufferRef::BufferRef(BufferPool* pool, std::uint16_t id) : pool_(pool), id_(id) {
    pool_->retain(id_);
}

BufferRef::BufferRef(const BufferRef& other) : pool_(other.pool_), id_(other.id_) {
    if (pool_ != nullptr) {
        pool_->retain(id_);
    }
}

BufferRef::BufferRef(BufferRef&& other) noexcept : pool_(other.pool_), id_(other.id_) {
    other.pool_ = nullptr;
}

BufferRef& BufferRef::operator=(BufferRef other) noexcept {
    std::swap(pool_, other.pool_);
    std::swap(id_, other.id_);
    return *this;
}

BufferRef::~BufferRef() {
    if (pool_ != nullptr) {
        pool_->release(id_);
    }
}

char* BufferRef::data() const {
    return pool_->data(id_);
}

Expected<BufferPool*, std::string> BufferPool::create(io_uring* ring, std::size_t buffer_bytes,
                                                      std::size_t buffer_count) {
    assert(buffer_count > 0 && buffer_count <= 32768 && (buffer_count & (buffer_count - 1)) == 0);
    std::unique_ptr<BufferPool> pool(new BufferPool());
    pool->ring_ = ring;
    pool->buffer_bytes_ = buffer_bytes;
    pool->buffer_count_ = buffer_count;
    pool->references_.assign(buffer_count, 0);
    // Anonymous mappings are backed by memory only once written, so an idle server's RSS does
    // not include buffers that were never used.
    pool->memory_bytes_ = buffer_bytes * buffer_count;
    void* memory = mmap(nullptr, pool->memory_bytes_, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
        return Unexpected("cannot map the buffer pool: " + std::string(std::strerror(errno)));
    }
    pool->memory_ = static_cast<char*>(memory);
    pool->ring_bytes_ = sizeof(io_uring_buf) * buffer_count;
    void* ring_memory = mmap(nullptr, pool->ring_bytes_, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ring_memory == MAP_FAILED) {
        return Unexpected("cannot map the buffer ring: " + std::string(std::strerror(errno)));
    }
    pool->buf_ring_ = static_cast<io_uring_buf_ring*>(ring_memory);
    io_uring_buf_ring_init(pool->buf_ring_);
    io_uring_buf_reg registration{};
    registration.ring_addr = reinterpret_cast<std::uint64_t>(pool->buf_ring_);
    registration.ring_entries = static_cast<std::uint32_t>(buffer_count);
    registration.bgid = group_id;
    int rc = io_uring_register_buf_ring(ring, &registration, 0);
    if (rc < 0) {
        return Unexpected("cannot register the buffer ring (kernel 5.19 or newer needed): " +
                          std::string(std::strerror(-rc)));
    }
    int mask = io_uring_buf_ring_mask(static_cast<std::uint32_t>(buffer_count));
    for (std::size_t id = 0; id < buffer_count; id++) {
        io_uring_buf_ring_add(pool->buf_ring_, pool->data(static_cast<std::uint16_t>(id)),
                              static_cast<unsigned>(buffer_bytes), static_cast<std::uint16_t>(id),
                              mask, static_cast<int>(id));
    }
    io_uring_buf_ring_advance(pool->buf_ring_, static_cast<int>(buffer_count));
    return pool.release();
}

BufferPool::~BufferPool() {
    if (buf_ring_ != nullptr) {
        io_uring_unregister_buf_ring(ring_, group_id);
        munmap(buf_ring_, ring_bytes_);
    }
    if (memory_ != nullptr) {
        munmap(memory_, memory_bytes_);
    }
}

BufferRef BufferPool::adopt(std::uint32_t cqe_flags) {
    assert(cqe_flags & IORING_CQE_F_BUFFER);
    auto id = static_cast<std::uint16_t>(cqe_flags >> IORING_CQE_BUFFER_SHIFT);
    assert(id < buffer_count_ && references_[id] == 0);
    in_use_++;
    return BufferRef(this, id);
}

void BufferPool::release(std::uint16_t id) {
    assert(references_[id] > 0);
    if (--references_[id] != 0) {
        return;
    }
    in_use_--;
    io_uring_buf_ring_add(buf_ring_, data(id), static_cast<unsigned>(buffer_bytes_), id,
                          io_uring_buf_ring_mask(static_cast<std::uint32_t>(buffer_count_)), 0);
    io_uring_buf_ring_advance(buf_ring_, 1);
    if (available_callback_ != nullptr) {
        auto callback = available_callback_;
        available_callback_ = nullptr;
        callback(available_context_);
    }
}

void BufferPool::on_available(void (*callback)(void*), void* context) {
    available_callback_ = callback;
    available_context_ = context;
}

} // namespace berth::io
