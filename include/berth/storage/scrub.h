// Scrub: re-reads every blob the repositories' manifests reference and checks it against its
// digest, so that a byte that went bad on disk is reported before a client pulls it.
//
// Per repository, index.json must parse; per entry of it (an image, tagged or not), the
// manifest, its config and layers, and for an index every child manifest, must exist at the
// size their descriptors give and hash to their digests. One finding per entry: ok, or the
// first affected blob and the error, worded as Zot words it ("blob not found", "bad blob
// digest", "invalid manifest content", "invalid repository layout"). Nothing is repaired or
// deleted.
//
// Hashing is sliced (see blob_scan.h): a pass over 10 GB runs beside requests without
// stalling them. A file shared by hard links is hashed once per pass.
#pragma once

#include <berth/io/loop.h>
#include <berth/io/task.h>
#include <berth/io/timer.h>
#include <berth/util/expected.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace berth::storage {

class Store;

struct ScrubFinding {
    std::string repository;
    std::string tag;           // empty for an untagged manifest (pushed by digest, a referrer)
    std::string affected_blob; // the digest's hex as Zot prints it, or "index.json"
    std::string error;         // empty when the image is ok

    bool ok() const { return error.empty(); }
};

struct ScrubTotals {
    std::uint64_t repositories = 0;
    std::uint64_t images_ok = 0;
    std::uint64_t images_affected = 0;
    std::uint64_t blobs_hashed = 0;
    std::uint64_t bytes_hashed = 0;
    std::chrono::nanoseconds duration{};
};

using ScrubSink = std::function<void(const ScrubFinding&)>;

// One pass over every repository under the root, each finding handed to `sink` as it is made.
// `store`, when given, is the store serving this root: a problem with a manifest that its
// index no longer lists was a deletion during the pass, and is not reported.
io::Task<ScrubTotals> scrub(io::Loop& loop, int root_fd, const Store* store, const ScrubSink& sink);

// Zot's table: REPOSITORY TAG STATUS AFFECTED BLOB ERROR, one line per finding, columns
// separated by two spaces.
std::string format_scrub_table(const std::vector<ScrubFinding>& findings);

// The periodic scrub of a serving store (extensions.scrub): a first pass once the store has
// loaded, then one every `interval` after the previous one ends. Findings are logged as Zot
// logs them; the last pass's totals and problems are kept for the metrics.
class Scrubber {
public:
    static Expected<std::unique_ptr<Scrubber>, std::string>
    create(io::Loop& loop, Store& store, const std::string& root, io::Clock::duration interval);
    ~Scrubber();
    Scrubber(const Scrubber&) = delete;
    Scrubber& operator=(const Scrubber&) = delete;

    void start();

    // Affected findings kept from the last pass; more are counted, not kept.
    static constexpr std::size_t kept_findings_max = 1000;

    struct Status {
        bool running = false;
        std::uint64_t passes = 0; // completed
        ScrubTotals last;
        std::vector<ScrubFinding> affected;
        std::int64_t last_finished_unix = 0;
    };
    const Status& status() const { return status_; }

private:
    Scrubber(io::Loop& loop, Store& store, int root_fd, io::Clock::duration interval)
        : loop_(loop), store_(store), root_fd_(root_fd), interval_(interval) {}
    io::Task<void> pass();
    void pass_done();
    void timer_fired();

    io::Loop& loop_;
    Store& store_;
    int root_fd_;
    io::Clock::duration interval_;
    io::Timer timer_;
    Status status_;
};

} // namespace berth::storage
