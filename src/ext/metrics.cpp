#include <berth/ext/metrics.h>

#include <berth/io/process_stats.h>
#include <berth/util/metrics.h>

#include <chrono>
#include <vector>

namespace berth::ext {

namespace {

using metrics::Kind;
using metrics::TextWriter;

constexpr std::string_view segments[] = {"blobs/", "tags/", "manifests/"};

// Label values of http::Method in enum order; "other" stands for every method berth does
// not serve.
constexpr std::string_view method_labels[] = {"GET",   "HEAD",   "POST",    "PUT",
                                              "PATCH", "DELETE", "OPTIONS", "other"};

double seconds_of(io::Clock::duration elapsed) {
    return std::chrono::duration<double>(elapsed).count();
}

std::string bound_label(double bound) {
    std::string text;
    metrics::append_number(text, bound);
    return text;
}

} // namespace

PathRepository repository_of(std::string_view path) {
    constexpr std::string_view prefix = "/v2/";
    if (!path.starts_with(prefix)) {
        return {};
    }
    // The shortest name followed by one of the segments, as Zot's lazy regular expression
    // `/v2/(.*?)/(blobs|tags|manifests)/` picks it. The first letter picks the one segment
    // worth comparing: this runs on every request.
    for (std::size_t slash = path.find('/', prefix.size()); slash != std::string_view::npos;
         slash = path.find('/', slash + 1)) {
        std::string_view rest = path.substr(slash + 1);
        std::string_view segment;
        switch (rest.empty() ? '\0' : rest.front()) {
        case 'b':
            segment = segments[0];
            break;
        case 't':
            segment = segments[1];
            break;
        case 'm':
            segment = segments[2];
            break;
        default:
            continue;
        }
        if (slash > prefix.size() && rest.starts_with(segment)) {
            return {path.substr(prefix.size(), slash - prefix.size()), segment == segments[2]};
        }
    }
    return {};
}

Metrics::Metrics(BuildInfo build) : build_(std::move(build)) {}

Metrics::RepositoryStats* Metrics::repository_stats(std::string_view name) {
    // Requests come in runs for one repository (a pull, a push): the last one is remembered.
    if (last_stats_ != nullptr && name == last_name_) {
        return last_stats_;
    }
    auto found = repositories_.find(name);
    if (found != repositories_.end()) {
        last_name_ = name;
        last_stats_ = &found->second;
        return last_stats_;
    }
    // Only repositories that exist get an entry: requests for made-up names must not grow
    // the table.
    if (sources_.store == nullptr || repositories_.size() >= repositories_max ||
        !sources_.store->repository_exists(name)) {
        return nullptr;
    }
    return &repositories_.emplace(std::string(name), RepositoryStats{}).first->second;
}

void Metrics::observe(const http::Request& request, int status, io::Clock::duration elapsed) {
    auto method = static_cast<std::size_t>(request.method);
    if (method >= method_count || status < status_first || status >= status_first + status_count) {
        return;
    }
    requests_[method][static_cast<std::size_t>(status - status_first)]++;
    double seconds = seconds_of(elapsed);
    MethodLatency& latency = latency_[method];
    std::size_t bucket = 0;
    while (bucket < latency_bounds.size() && seconds > latency_bounds[bucket]) {
        bucket++;
    }
    if (bucket < latency_bounds.size()) {
        latency.buckets[bucket]++;
    }
    latency.count++;
    latency.sum += seconds;

    PathRepository path = repository_of(request.path);
    RepositoryStats* stats = path.name.empty() ? nullptr : repository_stats(path.name);
    if (stats == nullptr) {
        stats = &unattributed_;
    } else if (path.manifest) {
        bool read = request.method == http::Method::get || request.method == http::Method::head;
        stats->downloads += read && status == 200 ? 1 : 0;
        stats->uploads += request.method == http::Method::put && status == 201 ? 1 : 0;
    }
    stats->latency_count++;
    stats->latency_sum += seconds;
}

void Metrics::render_http(std::string& out) const {
    TextWriter writer(out);
    writer.family("zot_http_requests_total", Kind::counter, "Total number of http request in zot");
    for (std::size_t method = 0; method < method_count; method++) {
        for (std::size_t status = 0; status < requests_[method].size(); status++) {
            if (requests_[method][status] != 0) {
                std::string code = std::to_string(status + status_first);
                writer.sample("zot_http_requests_total",
                              {{"method", method_labels[method]}, {"code", code}},
                              requests_[method][status]);
            }
        }
    }
    writer.family("zot_http_method_latency_seconds", "histogram",
                  "Latency of serving HTTP requests");
    for (std::size_t method = 0; method < method_count; method++) {
        const MethodLatency& latency = latency_[method];
        if (latency.count == 0) {
            continue;
        }
        std::uint64_t cumulative = 0;
        std::string_view label = method_labels[method];
        for (std::size_t bucket = 0; bucket < latency_bounds.size(); bucket++) {
            cumulative += latency.buckets[bucket];
            std::string bound = bound_label(latency_bounds[bucket]);
            writer.sample("zot_http_method_latency_seconds_bucket",
                          {{"method", label}, {"le", bound}}, cumulative);
        }
        writer.sample("zot_http_method_latency_seconds_bucket", {{"method", label}, {"le", "+Inf"}},
                      latency.count);
        writer.sample("zot_http_method_latency_seconds_sum", {{"method", label}}, latency.sum);
        writer.sample("zot_http_method_latency_seconds_count", {{"method", label}}, latency.count);
    }
}

void Metrics::render_repositories(std::string& out) const {
    TextWriter writer(out);
    writer.family("zot_http_repo_latency_seconds", Kind::summary,
                  "Latency of serving HTTP requests");
    auto latency = [&](std::string_view repo, const RepositoryStats& stats) {
        writer.sample("zot_http_repo_latency_seconds_sum", {{"repo", repo}}, stats.latency_sum);
        writer.sample("zot_http_repo_latency_seconds_count", {{"repo", repo}}, stats.latency_count);
    };
    if (unattributed_.latency_count != 0) {
        latency("N/A", unattributed_);
    }
    for (const auto& [name, stats] : repositories_) {
        latency(name, stats);
    }
    writer.family("zot_repo_uploads_total", Kind::counter,
                  "Total number times an image was uploaded");
    for (const auto& [name, stats] : repositories_) {
        writer.sample("zot_repo_uploads_total", {{"repo", name}}, stats.uploads);
    }
    writer.family("zot_repo_downloads_total", Kind::counter,
                  "Total number times an image was downloaded");
    for (const auto& [name, stats] : repositories_) {
        writer.sample("zot_repo_downloads_total", {{"repo", name}}, stats.downloads);
    }
    writer.family("zot_repo_storage_bytes", Kind::gauge, "Storage used per zot repo");
    if (sources_.store == nullptr) {
        return;
    }
    bool more = true;
    std::string last;
    while (more) {
        // In pages, so that a scrape of a large registry does not copy every name at once.
        std::vector<std::string> names = sources_.store->repositories(last, 256, more);
        for (const std::string& name : names) {
            writer.sample("zot_repo_storage_bytes", {{"repo", name}},
                          sources_.store->repository_bytes(name));
        }
        if (names.empty()) {
            break;
        }
        last = names.back();
    }
}

io::Task<void> Metrics::render_process(std::string& out) {
    io::ProcessStats stats;
    if (sources_.loop != nullptr) {
        stats = co_await io::read_process_stats(*sources_.loop);
    }
    TextWriter writer(out);
    writer.family("process_cpu_seconds_total", Kind::counter,
                  "Total user and system CPU time spent in seconds.");
    writer.sample("process_cpu_seconds_total", {}, stats.cpu_seconds);
    writer.family("process_resident_memory_bytes", Kind::gauge, "Resident memory size in bytes.");
    writer.sample("process_resident_memory_bytes", {}, stats.resident_bytes);
    writer.family("process_virtual_memory_bytes", Kind::gauge, "Virtual memory size in bytes.");
    writer.sample("process_virtual_memory_bytes", {}, stats.virtual_bytes);
    writer.family("process_open_fds", Kind::gauge, "Number of open file descriptors.");
    writer.sample("process_open_fds", {}, stats.open_fds);
    writer.family("process_max_fds", Kind::gauge, "Maximum number of open file descriptors.");
    writer.sample("process_max_fds", {}, stats.max_fds);
    writer.family("process_start_time_seconds", Kind::gauge,
                  "Start time of the process since unix epoch in seconds.");
    writer.sample("process_start_time_seconds", {}, stats.start_time_seconds);
}

void Metrics::render_berth(std::string& out) const {
    TextWriter writer(out);
    std::uint64_t connections = sources_.server ? sources_.server->connection_count() : 0;
    writer.family("berth_connections", Kind::gauge, "Client connections open");
    writer.sample("berth_connections", {}, connections);
    std::uint64_t in_use = 0;
    std::uint64_t budget = 0;
    std::uint64_t submissions = 0;
    if (sources_.loop != nullptr) {
        io::BufferPool& pool = sources_.loop->buffers();
        in_use = pool.buffers_in_use() * pool.buffer_bytes();
        budget = pool.buffer_count() * pool.buffer_bytes();
        submissions = sources_.loop->ring().submissions();
    }
    writer.family("berth_buffer_bytes_in_use", Kind::gauge,
                  "Bytes of the receive buffer pool holding request data now");
    writer.sample("berth_buffer_bytes_in_use", {}, in_use);
    writer.family("berth_buffer_bytes", Kind::gauge,
                  "Bytes of the receive buffer pool (berth.bufferSize x berth.bufferCount)");
    writer.sample("berth_buffer_bytes", {}, budget);
    writer.family("berth_uploads_in_flight", Kind::gauge, "Upload sessions open");
    writer.sample("berth_uploads_in_flight", {},
                  std::uint64_t{sources_.store ? sources_.store->upload_sessions() : 0});
    auth::AuthenticatorStats credentials;
    if (sources_.authenticator != nullptr) {
        credentials = sources_.authenticator->stats();
    }
    writer.family("berth_credential_cache_hits_total", Kind::counter,
                  "Credential checks answered from the verified-credential cache");
    writer.sample("berth_credential_cache_hits_total", {}, credentials.cache_hits);
    writer.family("berth_credential_cache_misses_total", Kind::counter,
                  "Credential checks that needed a password hash");
    writer.sample("berth_credential_cache_misses_total", {}, credentials.cache_misses);
    writer.family("berth_ring_submissions_total", Kind::counter,
                  "Operations submitted to the io_uring");
    writer.sample("berth_ring_submissions_total", {}, submissions);
}

io::Task<std::string> Metrics::render() {
    std::string out;
    out.reserve(16 * 1024);
    TextWriter writer(out);
    writer.family("zot_info", Kind::gauge, "Server general information");
    writer.sample("zot_info",
                  {{"commit", build_.commit},
                   {"binaryType", "berth"},
                   {"goVersion", "none (C++)"},
                   {"version", build_.version}},
                  0.0);
    render_http(out);
    render_repositories(out);
    metrics::registry().render(out);
    co_await render_process(out);
    render_berth(out);
    co_return out;
}

} // namespace berth::ext
