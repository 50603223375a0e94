// What the storage tests share: a temporary directory, and running a task on a real loop.
#pragma once

#include <berth/io/loop.h>
#include <berth/io/task.h>

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <utility>

namespace berth::test {

struct TempDir {
    std::filesystem::path path;
    explicit TempDir(const std::string& prefix = "berth-storage-test") {
        std::string pattern = "/tmp/" + prefix + "-XXXXXX";
        path = mkdtemp(pattern.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

// Turns the loop until `task` is done.
inline void run_task(io::Loop& loop, io::Task<void> task) {
    bool done = false;
    io::spawn(
        std::move(task), [](void* flag) { *static_cast<bool*>(flag) = true; }, &done);
    while (!done) {
        loop.turn();
    }
}

} // namespace berth::test
