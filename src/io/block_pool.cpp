#include <berth/io/block_pool.h>

#include <sys/mman.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <utility>

namespace berth::io {

Block::Block(Block&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), index_(other.index_) {}

Block& Block::operator=(Block&& other) noexcept {
    if (this != &other) {
        reset();
        pool_ = std::exchange(other.pool_, nullptr);
        index_ = other.index_;
    }
    return *this;
}

Block::~Block() {
    reset();
}

void Block::reset() {
    if (pool_ != nullptr) {
        std::exchange(pool_, nullptr)->release(index_);
    }
}

char* Block::data() const {
    return pool_->memory_ + std::size_t{index_} * pool_->block_bytes_;
}

std::size_t Block::capacity() const {
    return pool_->block_bytes_;
}

Expected<std::unique_ptr<BlockPool>, std::string>
BlockPool::create(Loop& loop, std::size_t block_bytes, std::size_t block_count) {
    assert(block_bytes > 0 && block_bytes % alignment == 0 && block_count > 0);
    std::unique_ptr<BlockPool> pool(new BlockPool(loop));
    void* memory = mmap(nullptr, block_bytes * block_count, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
        return Unexpected("cannot map the write blocks: " + std::string(std::strerror(errno)));
    }
    pool->memory_ = static_cast<char*>(memory);
    pool->block_bytes_ = block_bytes;
    pool->block_count_ = block_count;
    // Handed out from the back: the lowest blocks first, so that a light load keeps touching
    // the same few pages.
    for (std::size_t index = block_count; index > 0; index--) {
        pool->free_.push_back(static_cast<std::uint32_t>(index - 1));
    }
    return pool;
}

BlockPool::~BlockPool() {
    assert(free_.size() == block_count_);
    munmap(memory_, block_bytes_ * block_count_);
}

Task<Block> BlockPool::acquire() {
    while (free_.empty()) {
        co_await returned_.wait();
    }
    std::uint32_t index = free_.back();
    free_.pop_back();
    co_return Block(this, index);
}

void BlockPool::release(std::uint32_t index) {
    free_.push_back(index);
    if (returned_.has_waiters()) {
        returned_.notify_all();
    }
}

} // namespace berth::io
