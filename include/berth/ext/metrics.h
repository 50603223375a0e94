// The metrics extension (extensions.metrics): what /metrics shows, with Zot's families and
// labels so that a Zot dashboard keeps working, the standard process_* families, and berth's
// own berth_* gauges and counters.
//
// Counting a request is the hot part: observe() runs for every request and touches fixed
// arrays indexed by method and status code, plus, for paths under /v2/<repo>/, one lookup in
// a hash map keyed by the repository name (no allocation once the repository has an entry).
// Everything else is gathered when Prometheus scrapes.
#pragma once

#include <berth/auth/authenticator.h>
#include <berth/http/request.h>
#include <berth/http/server.h>
#include <berth/io/loop.h>
#include <berth/io/task.h>
#include <berth/storage/stores.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace berth::ext {

struct BuildInfo {
    std::string version; // berth's release
    std::string commit;  // the source revision it was built from
};

// Where the figures gathered at scrape time come from. Any pointer may be null.
struct MetricsSources {
    io::Loop* loop = nullptr;
    const http::Server* server = nullptr;
    const storage::Stores* store = nullptr; // every store (storage.subPaths)
    const auth::Authenticator* authenticator = nullptr;
};

class Metrics {
public:
    explicit Metrics(BuildInfo build);

    void set_sources(const MetricsSources& sources) { sources_ = sources; }

    // One finished request (http::Application::finished).
    void observe(const http::Request& request, int status, io::Clock::duration elapsed);

    // The exposition, in the Prometheus text format.
    io::Task<std::string> render();

    // The content type of render()'s text.
    static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

private:
    // Zot's buckets for zot_http_method_latency_seconds, in seconds.
    static constexpr std::array<double, 7> latency_bounds = {0.05, 0.5, 1, 5, 30, 60, 600};
    static constexpr std::size_t method_count = 8; // http::Method's values
    static constexpr int status_first = 100;
    static constexpr int status_count = 500; // 100 to 599
    // Per-repository entries, at most; past it, repositories are counted under "N/A".
    static constexpr std::size_t repositories_max = 10000;

    struct MethodLatency {
        std::array<std::uint64_t, latency_bounds.size()> buckets{}; // not cumulative
        std::uint64_t count = 0;
        double sum = 0;
    };
    struct RepositoryStats {
        std::uint64_t downloads = 0; // manifest GET/HEAD answered 200
        std::uint64_t uploads = 0;   // manifest PUT answered 201
        std::uint64_t latency_count = 0;
        double latency_sum = 0;
    };
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view name) const {
            return std::hash<std::string_view>{}(name);
        }
    };

    RepositoryStats* repository_stats(std::string_view name);
    void render_http(std::string& out) const;
    void render_repositories(std::string& out) const;
    io::Task<void> render_process(std::string& out);
    void render_berth(std::string& out) const;

    BuildInfo build_;
    MetricsSources sources_;
    std::array<std::array<std::uint64_t, status_count>, method_count> requests_{};
    std::array<MethodLatency, method_count> latency_{};
    std::unordered_map<std::string, RepositoryStats, NameHash, std::equal_to<>> repositories_;
    RepositoryStats unattributed_; // requests outside /v2/<repo>/…: Zot's repo="N/A"
    // The entry found last (entries never move: the map's nodes are stable).
    std::string last_name_;
    RepositoryStats* last_stats_ = nullptr;
};

// The repository of a path of the form /v2/<repo>/(blobs|tags|manifests)/…, as Zot's
// metrics attribute requests, and whether the route is a manifest; empty when the path has
// no such form.
struct PathRepository {
    std::string_view name;
    bool manifest = false;
};
PathRepository repository_of(std::string_view path);

} // namespace berth::ext
