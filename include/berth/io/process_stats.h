// The figures of Prometheus's standard process collector (CPU time, memory, descriptors,
// start time), read from /proc through the ring like any other file.
#pragma once

#include <berth/io/loop.h>
#include <berth/io/task.h>

#include <cstdint>

namespace berth::io {

struct ProcessStats {
    bool ok = false; // false when /proc could not be read; the figures are then zero
    double cpu_seconds = 0;
    std::uint64_t resident_bytes = 0;
    std::uint64_t virtual_bytes = 0;
    double start_time_seconds = 0; // since the Unix epoch
    std::uint64_t open_fds = 0;
    std::uint64_t max_fds = 0;
};

// /proc/<pid>/stat for CPU, memory and start time (with the boot time from /proc/stat, read
// once), and the size of /proc/<pid>/fd, which Linux (6.2 and later) reports as the number of
// open descriptors.
Task<ProcessStats> read_process_stats(Loop& loop);

} // namespace berth::io
