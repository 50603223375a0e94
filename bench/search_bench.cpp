// The search index and its queries in-process, at 10,000 repositories and 100,000 tags: how
// long the queries of Zot's UI and CLI take (p50/p99 of repeated runs, and the first run, which
// computes every repository's summary) and what the index costs in memory, measured.
//
// The index is filled the way the server fills it (Search::build and the store observer):
// each manifest's JSON through oci::parse_manifest and SearchIndex::add_manifest, each image
// config's JSON through parse_image_config and SearchIndex::set_config, then set_tag. Its
// memory is the heap in use after minus before (mallinfo2, so the parse temporaries, already
// freed, do not count) and, as a cross-check, the growth of the resident set.
//
// Expectation before measuring: per tag a tag entry (16 bytes) and an interned name (~40 bytes
// with its table entry); per distinct manifest ~250 bytes of facts plus ~80 per unique digest
// (manifest, config, own layer). Queries read one cached summary per repository
// (RepoListWithNewestImage, GlobalSearch) or one time per tag (ImageList over all), so a few
// milliseconds; the first query after a change recomputes the summaries it needs.
//
//     build-search/tests/unit/ext/search_bench [repositories] [tags-per-repository] [runs]
#include <berth/ext/search_index.h>
#include <berth/ext/search_query.h>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

using namespace berth;
using namespace berth::ext;

namespace {

oci::Digest numbered(std::uint64_t kind, std::uint64_t number) {
    char hex[65];
    std::snprintf(hex, sizeof hex, "%016llx%048llx", static_cast<unsigned long long>(kind),
                  static_cast<unsigned long long>(number));
    return oci::Digest{oci::DigestAlgorithm::sha256, hex};
}

// What a tag costs the server's statistics: the store keeps usage in a hash map keyed by
// "repository@digest"; the bench's sources look it up the same way.
struct Everyone final : SearchSources {
    std::unordered_map<std::string, ImageUsage> usage_by_key;

    bool may_read(std::string_view) const override { return true; }
    bool may_delete(std::string_view) const override { return true; }
    bool starred(std::string_view) const override { return false; }
    bool bookmarked(std::string_view) const override { return false; }
    std::vector<storage::Referrer> referrers(std::string_view, const oci::Digest&) const override {
        return {};
    }
    std::optional<ImageUsage> usage(std::string_view repository,
                                    const oci::Digest& digest) const override {
        std::string key;
        key.append(repository).append("@").append(digest.str());
        auto found = usage_by_key.find(key);
        return found == usage_by_key.end() ? std::nullopt
                                           : std::optional<ImageUsage>(found->second);
    }
    const std::vector<HistoryEntry>* history(Sym) const override { return nullptr; }
};

std::string manifest_json(const std::string& name, std::uint64_t number) {
    auto descriptor = [](const char* media_type, const oci::Digest& digest, std::uint64_t size) {
        return std::string("{\"mediaType\":\"") + media_type + "\",\"digest\":\"" + digest.str() +
               "\",\"size\":" + std::to_string(size) + "}";
    };
    constexpr const char* layer_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    std::string json = "{\"schemaVersion\":2,\"mediaType\":\"";
    json.append(oci::oci_manifest_media_type).append("\",\"config\":");
    json += descriptor("application/vnd.oci.image.config.v1+json", numbered(1, number), 1500);
    json += ",\"layers\":[";
    for (std::uint64_t base = 0; base < 4; ++base) {
        json += descriptor(layer_type, numbered(2, base), 30'000'000) + ",";
    }
    json += descriptor(layer_type, numbered(3, number), 2'000'000);
    json += "],\"annotations\":{\"org.opencontainers.image.source\":\"https://example.org/" + name +
            "\",\"org.opencontainers.image.licenses\":\"Apache-2.0\"}}";
    return json;
}

std::string config_json(std::uint64_t number, int tag) {
    std::int64_t created = 1'700'000'000 + static_cast<std::int64_t>(number);
    char date[64];
    std::time_t seconds = created;
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&seconds));
    return std::string("{\"os\":\"linux\",\"architecture\":\"") +
           (tag % 2 == 0 ? "amd64" : "arm64") + "\",\"created\":\"" + date +
           "\",\"config\":{\"Labels\":{\"org.opencontainers.image.vendor\":\"Example Corp\"}},"
           "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[]}";
}

// As the server: parse the manifest, add it, read its config, then tag it.
void fill(SearchIndex& index, int repositories, int tags) {
    std::uint64_t manifest_number = 0;
    for (int r = 0; r < repositories; ++r) {
        std::string name = "team" + std::to_string(r % 100) + "/app" + std::to_string(r);
        for (int t = 0; t < tags; ++t) {
            std::uint64_t number = manifest_number++;
            std::string body = manifest_json(name, number);
            auto info = oci::parse_manifest(body, oci::oci_manifest_media_type);
            if (!info) {
                std::printf("manifest refused: %s\n", info.error().message.c_str());
                std::exit(1);
            }
            oci::Digest digest = numbered(4, number);
            if (index.add_manifest(name, digest, body.size(), *info)) {
                auto config = parse_image_config(config_json(number, t));
                index.set_config(digest, config.value_or(ImageConfigFacts{}));
            }
            index.set_tag(name, "v1." + std::to_string(t), digest);
        }
    }
}

// Push time and downloads of every image, as the store keeps them.
void fill_usage(Everyone& sources, int repositories, int tags) {
    std::uint64_t number = 0;
    for (int r = 0; r < repositories; ++r) {
        std::string name = "team" + std::to_string(r % 100) + "/app" + std::to_string(r);
        for (int t = 0; t < tags; ++t, ++number) {
            sources.usage_by_key[name + "@" + numbered(4, number).str()] =
                ImageUsage{1'700'000'000'000'000'000, std::nullopt, number % 7};
        }
    }
}

std::size_t heap_in_use() {
    return mallinfo2().uordblks;
}

std::size_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t pages = 0;
    std::size_t resident = 0;
    statm >> pages >> resident;
    return resident * 4096;
}

double thread_cpu_ms() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

// Wall time, and the CPU time of the thread: on a machine shared with other work the second
// moves less.
void measure(const SearchIndex& index, const Everyone& sources, const char* label,
             const std::string& query, int runs) {
    std::vector<double> times;
    std::vector<double> cpu_times;
    std::size_t bytes = 0;
    double first = 0;
    for (int i = 0; i < runs; ++i) {
        double cpu_start = thread_cpu_ms();
        auto start = std::chrono::steady_clock::now();
        QueryOutput output = run_query(index, sources, QueryInput{query, "", nullptr});
        auto elapsed = std::chrono::steady_clock::now() - start;
        double ms = std::chrono::duration<double, std::milli>(elapsed).count();
        if (i == 0) {
            first = ms;
        } else {
            times.push_back(ms);
            cpu_times.push_back(thread_cpu_ms() - cpu_start);
        }
        bytes = output.body.size();
        if (output.body.find("\"errors\"") != std::string::npos) {
            std::printf("%s failed: %.300s\n", label, output.body.c_str());
            std::exit(1);
        }
    }
    std::sort(times.begin(), times.end());
    std::sort(cpu_times.begin(), cpu_times.end());
    auto at = [&](const std::vector<double>& items, double q) {
        return items.empty() ? first : items[static_cast<std::size_t>(q * (items.size() - 1))];
    };
    std::printf("%-30s p50 %8.2f ms  p99 %8.2f ms  cpu p50 %8.2f ms  first %8.2f ms  "
                "response %zu bytes\n",
                label, at(times, 0.5), at(times, 0.99), at(cpu_times, 0.5), first, bytes);
}

} // namespace

int main(int argc, char** argv) {
    int repositories = argc > 1 ? std::atoi(argv[1]) : 10'000;
    int tags = argc > 2 ? std::atoi(argv[2]) : 10;
    int runs = argc > 3 ? std::atoi(argv[3]) : 30;
    Everyone sources;
    fill_usage(sources, repositories, tags);
    malloc_trim(0);
    std::size_t heap_before = heap_in_use();
    std::size_t resident_before = resident_bytes();
    auto index = std::make_unique<SearchIndex>();
    auto start = std::chrono::steady_clock::now();
    fill(*index, repositories, tags);
    double built = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    malloc_trim(0);
    std::size_t index_bytes = heap_in_use() - heap_before;
    std::size_t resident_growth = resident_bytes() - resident_before;
    auto per_tag = [&](std::size_t bytes) {
        return static_cast<double>(bytes) / static_cast<double>(index->tag_count());
    };
    std::printf("index: %zu repositories, %zu tags, %zu manifests, built in %.2f s\n",
                index->repositories().size(), index->tag_count(), index->manifest_count(), built);
    std::printf("index memory, measured: %zu bytes of heap in use (mallinfo2), %.0f bytes per "
                "tag; resident set grew %zu bytes (%.0f per tag); the index's own estimate %.0f "
                "per tag\n",
                index_bytes, per_tag(index_bytes), resident_growth, per_tag(resident_growth),
                per_tag(index->memory_bytes()));
    measure(*index, sources, "GlobalSearch (UI)",
            "{GlobalSearch(query:\"app12\", requestedPage: {limit:15 offset:0 sortBy: RELEVANCE}"
            " ) {Page {TotalCount ItemCount} Repos {Name LastUpdated Size Platforms { Os Arch }"
            " IsStarred IsBookmarked NewestImage { Tag Vulnerabilities {MaxSeverity Count} "
            "Description IsSigned SignatureInfo { Tool IsTrusted Author } Licenses Vendor "
            "Labels } StarCount DownloadCount}}}",
            runs);
    measure(*index, sources, "GlobalSearch repo:tag (UI)",
            "{GlobalSearch(query:\"team7/app507:v1.\", requestedPage: {limit:15 offset:0"
            " sortBy:RELEVANCE}) {Images {RepoName Tag}}}",
            runs);
    measure(*index, sources, "ImageList one repo (zli)",
            "{ImageList(repo: \"team7/app507\", requestedPage: {sortBy: ALPHABETIC_ASC}) {"
            "Results {RepoName Tag Digest MediaType Manifests {Digest ConfigDigest Size "
            "Platform {Os Arch} IsSigned Layers {Size Digest} LastUpdated} LastUpdated Size "
            "IsSigned}}}",
            runs);
    measure(*index, sources, "ImageList all, page of 15",
            "{ImageList(repo: \"\", requestedPage: {limit: 15 offset: 0 sortBy: UPDATE_TIME}) {"
            "Page {TotalCount ItemCount} Results {RepoName Tag Size LastUpdated}}}",
            runs);
    measure(*index, sources, "ImageList all by downloads",
            "{ImageList(repo: \"\", requestedPage: {limit: 15 offset: 0 sortBy: DOWNLOADS}) {"
            "Page {TotalCount ItemCount} Results {RepoName Tag DownloadCount}}}",
            runs);
    measure(*index, sources, "RepoListWithNewestImage (UI)",
            "{RepoListWithNewestImage(requestedPage: {limit:15 offset:0}){Results {Name "
            "LastUpdated Size Platforms {Os Arch}  NewestImage { Tag Vulnerabilities "
            "{MaxSeverity Count} Description  Licenses Title Source IsSigned SignatureInfo { "
            "Tool IsTrusted Author } Documentation Vendor Labels} IsStarred IsBookmarked "
            "StarCount DownloadCount}}}",
            runs);
    measure(*index, sources, "ExpandedRepoInfo (UI)",
            "{ExpandedRepoInfo(repo:\"team7/app507\"){Images {Manifests {Digest Platform {Os "
            "Arch} Size} Vulnerabilities {MaxSeverity Count} Tag LastUpdated Vendor "
            "IsDeletable } Summary {Name LastUpdated Size Platforms {Os Arch} Vendors IsStarred "
            "IsBookmarked NewestImage {RepoName IsSigned Tag Vendor Title Documentation "
            "DownloadCount Source Description Licenses}}}}",
            runs);
    malloc_trim(0);
    std::printf("index memory with every repository's summary computed: %.0f bytes per tag\n",
                per_tag(heap_in_use() - heap_before));
    return 0;
}
