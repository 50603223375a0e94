// Aligned blocks for writes that bypass the page cache (O_DIRECT): a fixed number, shared by
// every upload, so that the memory they take is a budget like the receive buffers'.
//
// Direct writes need the buffer, the file offset and the length aligned to the device's
// block; a pool block is page-aligned and its size a multiple of the page. The memory is
// mapped once and backed only when first written, so an idle server pays nothing for it.
#pragma once

#include <berth/io/event.h>
#include <berth/io/task.h>
#include <berth/util/expected.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace berth::io {

class BlockPool;

// One block, owned: it goes back to the pool when the handle dies.
class Block {
public:
    Block() = default;
    Block(Block&& other) noexcept;
    Block& operator=(Block&& other) noexcept;
    Block(const Block&) = delete;
    Block& operator=(const Block&) = delete;
    ~Block();

    explicit operator bool() const { return pool_ != nullptr; }
    char* data() const;
    std::size_t capacity() const;

private:
    friend class BlockPool;
    Block(BlockPool* pool, std::uint32_t index) : pool_(pool), index_(index) {}
    void reset();

    BlockPool* pool_ = nullptr;
    std::uint32_t index_ = 0;
};

class BlockPool {
public:
    // The alignment every direct write keeps (offsets and lengths are multiples of it).
    static constexpr std::size_t alignment = 4096;

    static Expected<std::unique_ptr<BlockPool>, std::string>
    create(Loop& loop, std::size_t block_bytes, std::size_t block_count);
    ~BlockPool();
    BlockPool(const BlockPool&) = delete;
    BlockPool& operator=(const BlockPool&) = delete;

    // A free block, waiting for one to come back when all are taken.
    Task<Block> acquire();
    std::size_t block_bytes() const { return block_bytes_; }

private:
    friend class Block;
    explicit BlockPool(Loop& loop) : returned_(loop) {}
    void release(std::uint32_t index);

    char* memory_ = nullptr;
    std::size_t block_bytes_ = 0;
    std::size_t block_count_ = 0;
    std::vector<std::uint32_t> free_;
    Event returned_;
};

} // namespace berth::io
