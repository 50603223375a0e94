// Push and pull statistics per manifest, kept in memory and persisted in <root>/_usage.log.
//
// The hot path (a manifest GET) only updates a map entry and marks it dirty. A timer, armed
// by the first change, appends the dirty entries to the log every few seconds through the
// ring; when the log has grown well past what it describes, it is rewritten whole through a
// temporary file and a rename. A crash loses at most the last period's changes: a torn last
// line is skipped when the log is read back, and the log is rewritten whole after each start.
//
// Line format: "<repository> <digest> <pushed unix> <pulled unix> <pull count>\n"; later lines
// win; a line of zeros forgets the manifest (deleted).
#include "files.h"
#include "store_impl.h"

#include <berth/io/files.h>
#include <berth/io/ops.h>
#include <berth/storage/layout.h>
#include <berth/util/log.h>

#include <fcntl.h>
#include <linux/stat.h>

#include <algorithm>
#include <charconv>

namespace berth::storage {

namespace {

constexpr std::string_view usage_file = "_usage.log";
// Statistics of a million manifests stay well below this.
constexpr std::size_t usage_bytes_max = 256 << 20;
// How long changed statistics may wait in memory: what a crash can lose.
constexpr std::chrono::seconds flush_period{5};
// The log is rewritten whole once it exceeds both this and four times its live size.
constexpr std::uint64_t compact_bytes_min = 1 << 20;
constexpr std::uint64_t line_bytes_estimate = 120;

std::string key_of(std::string_view repository, std::string_view digest) {
    std::string key;
    key.reserve(repository.size() + 1 + digest.size());
    key.append(repository).append("@").append(digest);
    return key;
}

void append_line(std::string& text, const std::string& key, const ManifestUsage& usage) {
    std::string_view view = key;
    std::size_t at = view.rfind('@');
    text.append(view.substr(0, at)).append(" ").append(view.substr(at + 1));
    text.append(" ").append(std::to_string(usage.pushed_at_unix));
    text.append(" ").append(std::to_string(usage.pulled_at_unix));
    text.append(" ").append(std::to_string(usage.pull_count)).append("\n");
}

template <class T>
bool parse_number(std::string_view text, T& value) {
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc{} && end == text.data() + text.size();
}

// One line of the log; false for anything torn or foreign.
bool parse_line(std::string_view line, std::string& key, ManifestUsage& usage) {
    std::string_view fields[5];
    for (std::size_t i = 0; i < 5; i++) {
        std::size_t space = i < 4 ? line.find(' ') : line.size();
        if (space == std::string_view::npos) {
            return false;
        }
        fields[i] = line.substr(0, space);
        line.remove_prefix(std::min(line.size(), space + 1));
    }
    if (!oci::valid_repository_name(fields[0]) || !oci::parse_digest(fields[1])) {
        return false;
    }
    key = key_of(fields[0], fields[1]);
    return parse_number(fields[2], usage.pushed_at_unix) &&
           parse_number(fields[3], usage.pulled_at_unix) &&
           parse_number(fields[4], usage.pull_count);
}

} // namespace

std::int64_t wall_unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

ManifestUsage Store::usage(std::string_view repository, const oci::Digest& digest) const {
    auto found = impl_->lifecycle.usage.find(key_of(repository, digest.str()));
    return found == impl_->lifecycle.usage.end() ? ManifestUsage{} : found->second;
}

void Store::note_pull(std::string_view repository, const oci::Digest& digest) {
    LifecycleState& state = impl_->lifecycle;
    std::string key = key_of(repository, digest.str());
    ManifestUsage& usage = state.usage[key];
    usage.pulled_at_unix = wall_unix_now();
    usage.pull_count++;
    state.usage_dirty.insert(std::move(key));
    if (!state.usage_timer.armed()) {
        impl_->loop.arm(state.usage_timer, flush_period);
    }
}

void Store::Impl::note_push(std::string_view repository, const std::string& digest) {
    std::string key = key_of(repository, digest);
    lifecycle.usage[key].pushed_at_unix = wall_unix_now();
    lifecycle.usage_dirty.insert(std::move(key));
    if (!lifecycle.usage_timer.armed()) {
        loop.arm(lifecycle.usage_timer, flush_period);
    }
}

void Store::Impl::note_manifest_gone(std::string_view repository, const std::string& digest) {
    std::string key = key_of(repository, digest);
    lifecycle.usage[key] = ManifestUsage{};
    lifecycle.usage_dirty.insert(std::move(key));
    if (!lifecycle.usage_timer.armed()) {
        loop.arm(lifecycle.usage_timer, flush_period);
    }
}

io::Task<void> Store::Impl::load_usage() {
    lifecycle.usage_timer.bind<&Impl::usage_timer_fired>(this);
    auto text = co_await io::read_whole(loop, root_fd, std::string(usage_file), usage_bytes_max);
    std::unordered_map<std::string, ManifestUsage> stored;
    std::size_t skipped = 0;
    std::string_view rest = text ? std::string_view(*text) : std::string_view();
    while (!rest.empty()) {
        std::size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        std::string key;
        ManifestUsage usage;
        if (!parse_line(line, key, usage)) {
            skipped++;
            continue;
        }
        stored[key] = usage;
    }
    // Pulls noted while the log was read happened after everything in it.
    for (auto& [key, usage] : stored) {
        auto& live = lifecycle.usage[key];
        live.pushed_at_unix = std::max(live.pushed_at_unix, usage.pushed_at_unix);
        live.pulled_at_unix = std::max(live.pulled_at_unix, usage.pulled_at_unix);
        live.pull_count += usage.pull_count;
    }
    if (skipped > 0) {
        log::warn("usage statistics: unreadable lines skipped").unum("lines", skipped);
    }
    lifecycle.usage_loaded = true;
    lifecycle.usage_compact = true;
}

// Manifests pushed before statistics were kept: their push time is their file's.
io::Task<void> Store::Impl::fill_usage() {
    std::size_t examined = 0;
    for (const auto& [name, repository] : repositories) {
        std::int64_t index_unix = 0;
        for (const auto& [digest, entry] : repository->manifests) {
            ManifestUsage& usage = lifecycle.usage[key_of(name, digest)];
            if (usage.pushed_at_unix != 0) {
                continue;
            }
            struct statx info {};
            int result =
                co_await io::statx(loop, root_fd, layout::repository_blob(name, entry.digest),
                                   AT_SYMLINK_NOFOLLOW, STATX_MTIME, &info);
            if (result < 0 && index_unix == 0) {
                result = co_await io::statx(loop, root_fd, layout::repository_index(name),
                                            AT_SYMLINK_NOFOLLOW, STATX_MTIME, &info);
                index_unix = result == 0 ? info.stx_mtime.tv_sec : 1;
            }
            usage.pushed_at_unix = result == 0 ? info.stx_mtime.tv_sec : index_unix;
            if (++examined % 64 == 0) {
                co_await loop.next_turn();
            }
        }
    }
    if (!lifecycle.usage_timer.armed()) {
        loop.arm(lifecycle.usage_timer, flush_period);
    }
}

void Store::Impl::usage_timer_fired() {
    io::spawn(flush_usage());
}

io::Task<void> Store::Impl::flush_usage() {
    LifecycleState& state = lifecycle;
    if (state.usage_writing || !state.usage_loaded) {
        co_return;
    }
    std::uint64_t live_bytes = state.usage.size() * line_bytes_estimate;
    bool compact = state.usage_compact || (state.usage_log_bytes > compact_bytes_min &&
                                           state.usage_log_bytes > 4 * live_bytes);
    if (!compact && state.usage_dirty.empty()) {
        co_return;
    }
    state.usage_writing = true;
    auto manifest_present = [this](const std::string& key) {
        std::size_t at = key.rfind('@');
        const Repository* repository = find(std::string_view(key).substr(0, at));
        return repository != nullptr && repository->manifests.contains(key.substr(at + 1));
    };
    std::string text;
    if (compact) {
        std::erase_if(state.usage, [&](const auto& item) {
            return item.second.pushed_at_unix == 0 && item.second.pulled_at_unix == 0;
        });
        for (const auto& [key, usage] : state.usage) {
            if (manifest_present(key)) {
                append_line(text, key, usage);
            }
        }
    } else {
        for (const std::string& key : state.usage_dirty) {
            append_line(text, key, state.usage[key]);
        }
    }
    state.usage_dirty.clear();
    state.usage_compact = false;
    bool ok = co_await write_usage(std::move(text), compact);
    state.usage_compact = !ok;
    state.usage_writing = false;
}

io::Task<bool> Store::Impl::write_usage(std::string text, bool whole) {
    if (whole) {
        auto written =
            co_await files::replace_file(loop, root_fd, std::string(usage_file), text, true);
        if (written) {
            lifecycle.usage_log_bytes = text.size();
        }
        co_return written.has_value();
    }
    int fd = co_await io::openat(loop, root_fd, std::string(usage_file), O_WRONLY | O_CREAT, 0644);
    if (fd < 0) {
        co_return false;
    }
    auto written = co_await files::write_all(loop, fd, text, lifecycle.usage_log_bytes);
    co_await io::close(loop, fd);
    if (written) {
        lifecycle.usage_log_bytes += text.size();
    }
    co_return written.has_value();
}

io::Task<void> Store::flush_usage() {
    while (impl_->lifecycle.usage_writing) {
        co_await impl_->loop.next_turn();
    }
    co_await impl_->flush_usage();
}

} // namespace berth::storage
