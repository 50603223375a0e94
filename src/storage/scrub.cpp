#include <berth/storage/scrub.h>

#include "blob_scan.h"

#include <berth/io/files.h>
#include <berth/io/startup.h>
#include <berth/oci/manifest.h>
#include <berth/storage/hasher.h>
#include <berth/storage/layout.h>
#include <berth/storage/store.h>
#include <berth/util/log.h>
#include <berth/util/metrics.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <unordered_map>
#include <utility>

namespace berth::storage {

namespace {

// An index.json larger than this is not one berth or Zot would write.
constexpr std::size_t index_bytes_max = 64 << 20;
// Pushes are refused above 4 MiB; a larger manifest on disk was not pushed through berth.
constexpr std::size_t manifest_bytes_max = 4 << 20;
// Indexes nested deeper than this are a cycle (or a hostile layout), not an image.
constexpr int manifest_depth_max = 8;

// Zot's wording (its errors package), so that scripts reading either table agree.
constexpr std::string_view blob_not_found = "blob not found";
constexpr std::string_view bad_blob_digest = "bad blob digest";
constexpr std::string_view invalid_manifest = "invalid manifest content";
constexpr std::string_view invalid_layout = "invalid repository layout";

struct Problem {
    std::string blob;
    std::string error;
    bool ok() const { return error.empty(); }
};

Problem problem(const oci::Digest& digest, std::string_view error) {
    return Problem{digest.hex, std::string(error)};
}

Problem read_problem(const oci::Digest& digest, int error_number) {
    if (error_number == ENOENT || error_number == ENOTDIR) {
        return problem(digest, blob_not_found);
    }
    return problem(digest, std::strerror(error_number));
}

class Pass {
public:
    Pass(io::Loop& loop, int root_fd, const Store* store, const ScrubSink& sink)
        : loop_(loop), root_fd_(root_fd), store_(store), sink_(sink) {}

    io::Task<ScrubTotals> run() {
        auto started = io::Clock::now();
        auto repositories = co_await scan::find_repositories(loop_, root_fd_);
        for (const std::string& name : repositories) {
            co_await scrub_repository(name);
        }
        totals_.duration = io::Clock::now() - started;
        co_return totals_;
    }

private:
    io::Task<void> scrub_repository(const std::string& name);
    io::Task<Problem> check_manifest(const std::string& repository,
                                     const oci::Descriptor& descriptor, int depth);
    io::Task<Problem> check_references(const std::string& repository, const oci::ManifestInfo& info,
                                       int depth);
    io::Task<Problem> check_blob(const std::string& repository, const oci::Descriptor& descriptor);

    bool deleted_meanwhile(const std::string& repository, const oci::Digest& digest) const {
        return store_ != nullptr && store_->repository_exists(repository) &&
               !store_->head_manifest(repository, digest.str());
    }

    void report(ScrubFinding finding) {
        (finding.ok() ? totals_.images_ok : totals_.images_affected)++;
        sink_(finding);
    }

    io::Loop& loop_;
    int root_fd_;
    const Store* store_;
    const ScrubSink& sink_;
    ScrubTotals totals_;
    // Manifests of the current repository already checked (an index's children are usually
    // also entries of index.json), by digest.
    std::unordered_map<std::string, Problem> manifests_;
    // Files found intact this pass, by (device, inode), with the digest they hashed to: a
    // layer shared by hard links across repositories is read once.
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> verified_;
};

io::Task<void> Pass::scrub_repository(const std::string& name) {
    totals_.repositories++;
    manifests_.clear();
    auto text =
        co_await io::read_whole(loop_, root_fd_, layout::repository_index(name), index_bytes_max);
    Expected<std::vector<oci::Descriptor>, oci::ManifestError> descriptors =
        Unexpected(oci::ManifestError{text ? "" : std::strerror(text.error())});
    if (text) {
        descriptors = oci::parse_index_json(*text);
    }
    if (!descriptors) {
        report(ScrubFinding{name, "", std::string(layout::index_file),
                            std::string(invalid_layout) + ": " + descriptors.error().message});
        co_return;
    }
    for (const oci::Descriptor& descriptor : *descriptors) {
        auto tag = oci::find_annotation(descriptor.annotations, oci::ref_name_annotation);
        Problem found = co_await check_manifest(name, descriptor, 0);
        if (!found.ok() && deleted_meanwhile(name, descriptor.digest)) {
            continue;
        }
        report(ScrubFinding{name, std::string(tag.value_or("")), std::move(found.blob),
                            std::move(found.error)});
    }
}

io::Task<Problem> Pass::check_manifest(const std::string& repository,
                                       const oci::Descriptor& descriptor, int depth) {
    std::string key = descriptor.digest.str();
    if (auto known = manifests_.find(key); known != manifests_.end()) {
        co_return known->second;
    }
    if (depth > manifest_depth_max) {
        co_return problem(descriptor.digest, invalid_manifest);
    }
    auto body = co_await io::read_whole(loop_, root_fd_,
                                        layout::repository_blob(repository, descriptor.digest),
                                        manifest_bytes_max);
    Problem result;
    if (!body) {
        result = body.error() == EFBIG ? problem(descriptor.digest, invalid_manifest)
                                       : read_problem(descriptor.digest, body.error());
    } else {
        totals_.blobs_hashed++;
        totals_.bytes_hashed += body->size();
        if (body->size() != static_cast<std::uint64_t>(descriptor.size) ||
            !(digest_of(*body, descriptor.digest.algorithm) == descriptor.digest)) {
            result = problem(descriptor.digest, bad_blob_digest);
        } else if (auto info = oci::parse_manifest(*body, descriptor.media_type); !info) {
            result = problem(descriptor.digest, invalid_manifest);
        } else {
            result = co_await check_references(repository, *info, depth);
        }
    }
    manifests_[key] = result;
    co_return result;
}

io::Task<Problem> Pass::check_references(const std::string& repository,
                                         const oci::ManifestInfo& info, int depth) {
    for (const oci::Descriptor& child : info.manifests) {
        Problem found = co_await check_manifest(repository, child, depth + 1);
        if (!found.ok()) {
            co_return found;
        }
    }
    if (info.config) {
        Problem found = co_await check_blob(repository, *info.config);
        if (!found.ok()) {
            co_return found;
        }
    }
    for (const oci::Descriptor& layer : info.layers) {
        // A foreign layer lives at its urls; the registry never held it.
        if (layer.has_urls) {
            continue;
        }
        Problem found = co_await check_blob(repository, layer);
        if (!found.ok()) {
            co_return found;
        }
    }
    co_return Problem{};
}

io::Task<Problem> Pass::check_blob(const std::string& repository,
                                   const oci::Descriptor& descriptor) {
    const oci::Digest& digest = descriptor.digest;
    std::string path = layout::repository_blob(repository, digest);
    auto file = co_await scan::identify(loop_, root_fd_, path);
    if (!file) {
        co_return read_problem(digest, file.error());
    }
    // A truncated or extended file cannot hash to its digest; no need to read it.
    if (file->size != static_cast<std::uint64_t>(descriptor.size)) {
        co_return problem(digest, bad_blob_digest);
    }
    auto key = std::make_pair(file->device, file->inode);
    if (auto known = verified_.find(key); known != verified_.end() && known->second == digest.hex) {
        co_return Problem{};
    }
    auto hashed = co_await scan::hash_file(loop_, root_fd_, path, digest.algorithm);
    if (!hashed) {
        co_return read_problem(digest, hashed.error());
    }
    totals_.blobs_hashed++;
    totals_.bytes_hashed += hashed->file.size;
    if (!(hashed->digest == digest)) {
        co_return problem(digest, bad_blob_digest);
    }
    verified_[key] = digest.hex;
    co_return Problem{};
}

void log_finding(const ScrubFinding& finding) {
    if (finding.ok()) {
        log::info("blobs/manifest ok")
            .str("image", finding.repository)
            .str("tag", finding.tag)
            .str("status", "ok")
            .str("component", "scrub");
        return;
    }
    log::warn("blobs/manifest affected")
        .str("image", finding.repository)
        .str("tag", finding.tag)
        .str("status", "affected")
        .str("affected blob", finding.affected_blob)
        .str("error", finding.error)
        .str("component", "scrub");
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

io::Task<ScrubTotals> scrub(io::Loop& loop, int root_fd, const Store* store,
                            const ScrubSink& sink) {
    Pass pass(loop, root_fd, store, sink);
    co_return co_await pass.run();
}

std::string format_scrub_table(const std::vector<ScrubFinding>& findings) {
    // Zot's minimum column widths; a longer value widens its column for every line.
    std::array<std::size_t, 5> widths{32, 24, 8, 24, 8};
    auto cells = [](const ScrubFinding& finding) {
        return std::array<std::string_view, 5>{finding.repository, finding.tag,
                                               finding.ok() ? "ok" : "affected",
                                               finding.affected_blob, finding.error};
    };
    for (const ScrubFinding& finding : findings) {
        auto row = cells(finding);
        for (std::size_t i = 0; i < row.size(); i++) {
            widths[i] = std::max(widths[i], row[i].size());
        }
    }
    std::string table;
    auto line = [&](const std::array<std::string_view, 5>& row) {
        std::string text;
        for (std::size_t i = 0; i < row.size(); i++) {
            text += row[i];
            text.append(i + 1 < row.size() ? widths[i] - row[i].size() + 2 : 0, ' ');
        }
        text.erase(text.find_last_not_of(' ') + 1);
        table += text + "\n";
    };
    line({"REPOSITORY", "TAG", "STATUS", "AFFECTED BLOB", "ERROR"});
    for (const ScrubFinding& finding : findings) {
        line(cells(finding));
    }
    return table;
}

// ---- the periodic scrub ------------------------------------------------------------------

Expected<std::unique_ptr<Scrubber>, std::string> Scrubber::create(io::Loop& loop, Store& store,
                                                                  const std::string& root,
                                                                  io::Clock::duration interval) {
    int root_fd = io::startup::open_directory(root);
    if (root_fd < 0) {
        return Unexpected("cannot open " + root + ": " + std::strerror(-root_fd));
    }
    return std::unique_ptr<Scrubber>(new Scrubber(loop, store, root_fd, interval));
}

Scrubber::~Scrubber() {
    io::startup::close_fd(root_fd_);
}

void Scrubber::start() {
    status_.running = true;
    io::spawn(
        pass(), [](void* self) { static_cast<Scrubber*>(self)->pass_done(); }, this);
}

io::Task<void> Scrubber::pass() {
    co_await store_.wait_loaded();
    log::info("scrub started").str("component", "scrub");
    std::vector<ScrubFinding> affected;
    ScrubSink sink = [&affected](const ScrubFinding& finding) {
        log_finding(finding);
        metrics::scrub_checked(!finding.ok());
        if (!finding.ok() && affected.size() < kept_findings_max) {
            affected.push_back(finding);
        }
    };
    ScrubTotals totals = co_await scrub(loop_, root_fd_, &store_, sink);
    status_.last = totals;
    status_.affected = std::move(affected);
    status_.passes++;
    status_.last_finished_unix = unix_now();
    // A pass that found damage counts as failed, so that an alert can watch the runs alone.
    metrics::scrub_run(totals.images_affected > 0,
                       std::chrono::duration<double>(totals.duration).count());
    log::info("scrub finished")
        .str("component", "scrub")
        .unum("repositories", totals.repositories)
        .unum("images_ok", totals.images_ok)
        .unum("images_affected", totals.images_affected)
        .unum("blobs_hashed", totals.blobs_hashed)
        .unum("bytes_hashed", totals.bytes_hashed)
        .num("duration_ms",
             std::chrono::duration_cast<std::chrono::milliseconds>(totals.duration).count());
}

void Scrubber::pass_done() {
    status_.running = false;
    timer_.bind<&Scrubber::timer_fired>(this);
    loop_.arm(timer_, interval_);
}

void Scrubber::timer_fired() {
    start();
}

} // namespace berth::storage
