// Folding copies into links: with storage.dedupe on, every blob file of every repository
// should be a hard link of the one copy in _blobs. New pushes are stored that way; this task
// brings the rest in line, in the background, after the store has loaded:
//
// - blobs stored while dedupe was off (plain copies, one per repository);
// - an adopted Zot data directory (repositories with their own blobs/, no _blobs).
//
// A file is only ever replaced by content verified to hash to its name: the copy kept in
// _blobs is hashed (once per pass) before any repository file is swapped for a link to it,
// and a repository file is hashed before it becomes the shared copy. A shared copy that went
// bad is replaced by an intact repository copy. The swap is atomic (a link under a temporary
// name, exchanged with the repository's file), and a blob deleted meanwhile is not revived.
// Nothing is lost either way: turning dedupe off again just stops making links.
#pragma once

#include <berth/io/loop.h>
#include <berth/io/task.h>
#include <berth/util/expected.h>

#include <cstdint>
#include <memory>
#include <string>

namespace berth::storage {

class Store;

struct FoldTotals {
    std::uint64_t repositories = 0;
    std::uint64_t blobs = 0;          // repository blob files looked at
    std::uint64_t already_linked = 0; // already the shared copy
    std::uint64_t shared = 0;         // became the shared copy (there was none)
    std::uint64_t folded = 0;         // copies replaced by a link to the shared copy
    std::uint64_t repaired = 0;       // shared copies that went bad, replaced by a good copy
    std::uint64_t refused = 0;        // left alone: content does not match the digest
    std::uint64_t bytes_freed = 0;    // copies whose last link went
};

// One pass over every repository under the root.
io::Task<FoldTotals> fold_copies(io::Loop& loop, int root_fd);

// Runs fold_copies once the store has loaded, and logs what it did.
class Deduper {
public:
    static Expected<std::unique_ptr<Deduper>, std::string> create(io::Loop& loop, Store& store,
                                                                  const std::string& root);
    ~Deduper();
    Deduper(const Deduper&) = delete;
    Deduper& operator=(const Deduper&) = delete;

    void start();
    bool running() const { return running_; }
    const FoldTotals& totals() const { return totals_; }

private:
    Deduper(io::Loop& loop, Store& store, int root_fd)
        : loop_(loop), store_(store), root_fd_(root_fd) {}
    io::Task<void> run();

    io::Loop& loop_;
    Store& store_;
    int root_fd_;
    bool running_ = false;
    FoldTotals totals_;
};

} // namespace berth::storage
