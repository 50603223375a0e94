#include <berth/io/process_stats.h>

#include <berth/io/files.h>
#include <berth/io/ops.h>

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <string>
#include <string_view>

namespace berth::io {

namespace {

// /proc/stat holds a line per CPU; this bounds it on any machine berth runs on.
constexpr std::size_t proc_stat_bytes_max = 1 << 20;
constexpr std::size_t pid_stat_bytes_max = 4096;

std::uint64_t number(std::string_view text) {
    std::uint64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

// The fields of /proc/<pid>/stat after the command name (which may hold spaces), so that
// field N of proc(5) is fields[N - 3].
std::vector<std::string_view> stat_fields(std::string_view text) {
    std::vector<std::string_view> fields;
    std::size_t close = text.rfind(')');
    if (close == std::string_view::npos) {
        return fields;
    }
    text.remove_prefix(close + 1);
    while (!text.empty()) {
        std::size_t start = text.find_first_not_of(' ');
        if (start == std::string_view::npos) {
            break;
        }
        text.remove_prefix(start);
        std::size_t end = std::min(text.find(' '), text.size());
        fields.push_back(text.substr(0, end));
        text.remove_prefix(end);
    }
    return fields;
}

Task<std::uint64_t> boot_time(Loop& loop) {
    static std::uint64_t seconds = 0;
    if (seconds != 0) {
        co_return seconds;
    }
    auto text = co_await read_whole(loop, AT_FDCWD, "/proc/stat", proc_stat_bytes_max);
    if (!text) {
        co_return 0;
    }
    std::string_view rest = *text;
    std::size_t at = rest.find("\nbtime ");
    if (at != std::string_view::npos) {
        rest.remove_prefix(at + 7);
        seconds = number(rest.substr(0, rest.find('\n')));
    }
    co_return seconds;
}

std::uint64_t descriptor_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
        return 0;
    }
    return limit.rlim_cur;
}

} // namespace

Task<ProcessStats> read_process_stats(Loop& loop) {
    ProcessStats stats;
    std::string directory = "/proc/" + std::to_string(getpid());
    auto text = co_await read_whole(loop, AT_FDCWD, directory + "/stat", pid_stat_bytes_max);
    if (!text) {
        co_return stats;
    }
    std::vector<std::string_view> fields = stat_fields(*text);
    if (fields.size() < 22) {
        co_return stats;
    }
    auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
    stats.cpu_seconds = static_cast<double>(number(fields[11]) + number(fields[12])) / ticks;
    stats.virtual_bytes = number(fields[20]);
    stats.resident_bytes = number(fields[21]) * page;
    std::uint64_t boot = co_await boot_time(loop);
    stats.start_time_seconds = static_cast<double>(boot) + number(fields[19]) / ticks;
    struct statx descriptors {};
    int result = co_await statx(loop, AT_FDCWD, directory + "/fd", 0, STATX_SIZE, &descriptors);
    stats.open_fds = result == 0 ? descriptors.stx_size : 0;
    stats.max_fds = descriptor_limit();
    stats.ok = true;
    co_return stats;
}

} // namespace berth::io
