// The store's state for usage statistics, garbage collection and retention (gc.cpp,
// usage.cpp), and the blob pins that keep GC away from blobs a request is committing.
#pragma once

#include <berth/io/event.h>
#include <berth/io/timer.h>
#include <berth/storage/lifecycle.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace berth::storage {

class Store;

// Wall-clock time in Unix seconds, for push and pull times and file ages.
std::int64_t wall_unix_now();

struct LifecycleState {
    explicit LifecycleState(io::Loop& loop_ref) : loop(loop_ref), blob_released(loop_ref) {}

    io::Loop& loop;
    Store* owner = nullptr; // for its observer, set by start_lifecycle

    // ---- usage statistics ----
    // "<repository>@<digest>" → times; persisted in <root>/_usage.log.
    std::unordered_map<std::string, ManifestUsage> usage;
    std::unordered_set<std::string> usage_dirty; // changed since the last flush
    std::uint64_t usage_log_bytes = 0;           // size of _usage.log as berth wrote it
    bool usage_loaded = false;
    bool usage_writing = false;
    bool usage_compact = true; // rewrite the whole log at the next flush
    io::Timer usage_timer;

    // ---- blob pins ----
    // Digests a request is committing or mounting right now (count), and digests GC is
    // unlinking right now. A commit waits for an unlink of its digest to finish; GC skips a
    // pinned digest. Both are checked on the loop thread right before the operation is
    // submitted, so neither can slip between the other's decision and its operation.
    std::unordered_map<std::string, unsigned> blobs_pinned;
    std::unordered_set<std::string> blobs_deleting;
    io::Event blob_released;
    // Digests recently committed or mounted (loop time), kept from GC for gcDelay even when
    // the commit found the file already there and so changed none of its times.
    std::unordered_map<std::string, io::Clock::time_point> blobs_recent;

    // ---- garbage collection ----
    LifecycleOptions options;
    std::unique_ptr<lifecycle::Policies> policies;
    GcStats stats;
    io::Timer gc_timer;
    bool gc_scheduled = false;
    bool gc_running = false;
};

// Held while a blob is being committed into a repository; see LifecycleState.
class BlobPin {
public:
    BlobPin(LifecycleState* state, std::string digest);
    BlobPin(BlobPin&& other) noexcept;
    BlobPin(const BlobPin&) = delete;
    BlobPin& operator=(const BlobPin&) = delete;
    BlobPin& operator=(BlobPin&&) = delete;
    ~BlobPin();

private:
    LifecycleState* state_;
    std::string digest_;
};

} // namespace berth::storage
