// Directory listing in bounded pieces: every entry once, whatever the directory's size.
#include <berth/io/directory.h>

#include <berth/io/loop.h>
#include <berth/io/task.h>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

using namespace berth;

namespace {

// A directory with `files` files named like blobs (64 hex digits) and one subdirectory.
std::string make_directory(std::size_t files) {
    char pattern[] = "/tmp/berth-directory-test-XXXXXX";
    std::string directory = mkdtemp(pattern);
    for (std::size_t i = 0; i < files; i++) {
        char name[65];
        std::snprintf(name, sizeof name, "%064zx", i);
        std::ofstream(directory + "/" + name).put('x');
    }
    std::filesystem::create_directory(directory + "/sub");
    return directory;
}

io::Task<void> list_in_slices(io::Loop& loop, std::string directory,
                              std::vector<io::DirectoryEntry>& out, bool& listing) {
    out = co_await io::list_directory_in_slices(loop, AT_FDCWD, directory);
    listing = false;
}

// Counts the turns the loop takes while the listing runs.
io::Task<void> count_turns(io::Loop& loop, const bool& listing, int& turns) {
    while (listing) {
        turns++;
        co_await loop.next_turn();
    }
}

void mark_done(void* flag) {
    *static_cast<bool*>(flag) = true;
}

} // namespace

TEST_CASE("directory: a large directory reads in several calls, every entry once") {
    const std::size_t files = 3000; // about 260 KB of entries: several 32 KiB calls
    std::string directory = make_directory(files);

    io::DirectoryReader reader(AT_FDCWD, directory);
    std::vector<io::DirectoryEntry> entries;
    int calls = 0;
    while (reader.next(entries)) {
        calls++;
    }
    CHECK(calls > 1);
    CHECK(entries.size() == files + 1);
    std::set<std::string> names;
    for (const io::DirectoryEntry& entry : entries) {
        CHECK(names.insert(entry.name).second);
        CHECK(entry.name != ".");
        CHECK(entry.name != "..");
        CHECK(entry.is_file == (entry.name != "sub"));
        CHECK(entry.is_directory == (entry.name == "sub"));
    }
    CHECK(io::list_directory(AT_FDCWD, directory).size() == files + 1);
    std::filesystem::remove_all(directory);
}

TEST_CASE("directory: the sliced listing gives the loop turns between calls") {
    auto created = io::Loop::create(io::LoopOptions{64, 4096, 8});
    REQUIRE(created.has_value());
    io::Loop& loop = **created;
    std::string directory = make_directory(3000);
    std::vector<io::DirectoryEntry> entries;
    int turns = 0;
    bool listing = true;
    bool listed = false;
    bool counted = false;
    io::spawn(list_in_slices(loop, directory, entries, listing), mark_done, &listed);
    io::spawn(count_turns(loop, listing, turns), mark_done, &counted);
    while (!listed || !counted) {
        loop.turn();
    }
    CHECK(entries.size() == 3001);
    CHECK(turns > 1);
    std::filesystem::remove_all(directory);
}

TEST_CASE("directory: a missing directory lists as empty") {
    io::DirectoryReader reader(AT_FDCWD, "/nonexistent/berth-directory-test");
    std::vector<io::DirectoryEntry> entries;
    CHECK_FALSE(reader.next(entries));
    CHECK(entries.empty());
    CHECK(io::list_directory(AT_FDCWD, "/nonexistent/berth-directory-test").empty());
}
