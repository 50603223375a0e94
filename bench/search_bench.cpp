// The search index and its queries in-process, at 10,000 repositories and 100,000 tags: how
// long GlobalSearch, ImageList and RepoListWithNewestImage take (p50/p99 of repeated runs)
// and what the index costs in memory (bytes per tag).
//
// Expectation before measuring: the index stores per tag a tag entry (8 bytes) and an
// interned name (~30 bytes with its table entry); per distinct manifest ~200 bytes of facts
// plus ~70 per unique layer digest. Queries walk every readable repository (GlobalSearch,
// RepoList) or every tag (ImageList over all repositories): linear scans of 10^4..10^5 items
// with a summary per repository, so tens of milliseconds, not microseconds.
//
//     build-search/tests/unit/ext/search_bench [repositories] [tags-per-repository] [runs]
#include <berth/ext/search_index.h>
#include <berth/ext/search_query.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
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

oci::Descriptor blob(const oci::Digest& digest, std::int64_t size, std::string media_type) {
    oci::Descriptor descriptor;
    descriptor.digest = digest;
    descriptor.size = size;
    descriptor.media_type = std::move(media_type);
    return descriptor;
}

struct Everyone final : SearchSources {
    bool may_read(std::string_view) const override { return true; }
    bool may_delete(std::string_view) const override { return true; }
    bool starred(std::string_view) const override { return false; }
    bool bookmarked(std::string_view) const override { return false; }
    std::vector<storage::Referrer> referrers(std::string_view, const oci::Digest&) const override {
        return {};
    }
    std::optional<ImageUsage> usage(std::string_view, const oci::Digest&) const override {
        return std::nullopt;
    }
    const std::vector<HistoryEntry>* history(Sym) const override { return nullptr; }
};

void fill(SearchIndex& index, int repositories, int tags) {
    std::uint64_t manifest_number = 0;
    for (int r = 0; r < repositories; ++r) {
        std::string name = "team" + std::to_string(r % 100) + "/app" + std::to_string(r);
        for (int t = 0; t < tags; ++t) {
            oci::ManifestInfo info;
            info.media_type = std::string(oci::oci_manifest_media_type);
            info.config = blob(numbered(1, manifest_number), 1500,
                               "application/vnd.oci.image.config.v1+json");
            for (std::uint64_t base = 0; base < 4; ++base) {
                info.layers.push_back(blob(numbered(2, base), 30'000'000,
                                           "application/vnd.oci.image.layer.v1.tar+gzip"));
            }
            info.layers.push_back(blob(numbered(3, manifest_number), 2'000'000,
                                       "application/vnd.oci.image.layer.v1.tar+gzip"));
            info.annotations = {{"org.opencontainers.image.source", "https://example.org/" + name},
                                {"org.opencontainers.image.licenses", "Apache-2.0"}};
            oci::Digest digest = numbered(4, manifest_number++);
            index.add_manifest(name, digest, 900, info);
            index.set_tag(name, "v1." + std::to_string(t), digest);
            ImageConfigFacts config;
            config.os = "linux";
            config.architecture = t % 2 == 0 ? "amd64" : "arm64";
            config.created_ns = 1'700'000'000'000'000'000 +
                                static_cast<std::int64_t>(manifest_number) * 1'000'000'000;
            config.labels = {{"org.opencontainers.image.vendor", "Example Corp"}};
            index.set_config(digest, config);
        }
    }
}

void measure(const SearchIndex& index, const char* label, const std::string& query, int runs) {
    Everyone sources;
    std::vector<double> times;
    std::size_t bytes = 0;
    for (int i = 0; i < runs; ++i) {
        auto start = std::chrono::steady_clock::now();
        QueryOutput output = run_query(index, sources, QueryInput{query, "", nullptr});
        auto elapsed = std::chrono::steady_clock::now() - start;
        times.push_back(std::chrono::duration<double, std::milli>(elapsed).count());
        bytes = output.body.size();
        if (output.body.find("\"errors\"") != std::string::npos) {
            std::printf("%s failed: %.300s\n", label, output.body.c_str());
            std::exit(1);
        }
    }
    std::sort(times.begin(), times.end());
    auto at = [&](double q) {
        return times[static_cast<std::size_t>(q * (times.size() - 1))];
    };
    std::printf("%-28s p50 %8.2f ms  p99 %8.2f ms  min %8.2f ms  response %zu bytes\n", label,
                at(0.5), at(0.99), times.front(), bytes);
}

} // namespace

int main(int argc, char** argv) {
    int repositories = argc > 1 ? std::atoi(argv[1]) : 10'000;
    int tags = argc > 2 ? std::atoi(argv[2]) : 10;
    int runs = argc > 3 ? std::atoi(argv[3]) : 30;
    SearchIndex index;
    auto start = std::chrono::steady_clock::now();
    fill(index, repositories, tags);
    double built = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("index: %zu repositories, %zu tags, %zu manifests, built in %.2f s\n",
                index.repositories().size(), index.tag_count(), index.manifest_count(), built);
    std::printf("index memory: %zu bytes, %.0f bytes per tag (string pool %zu bytes)\n",
                index.memory_bytes(),
                static_cast<double>(index.memory_bytes()) / static_cast<double>(index.tag_count()),
                index.strings().bytes());
    measure(index, "GlobalSearch (UI)",
            "{GlobalSearch(query:\"app12\", requestedPage: {limit:15 offset:0 sortBy: RELEVANCE}"
            " ) {Page {TotalCount ItemCount} Repos {Name LastUpdated Size Platforms { Os Arch }"
            " IsStarred IsBookmarked NewestImage { Tag Description IsSigned Licenses Vendor"
            " Labels } StarCount DownloadCount}}}",
            runs);
    measure(index, "GlobalSearch repo:tag",
            "{GlobalSearch(query:\"team7/app507:v1.\", requestedPage: {limit:15 offset:0"
            " sortBy:RELEVANCE}) {Images {RepoName Tag}}}",
            runs);
    measure(index, "ImageList one repo (zli)",
            "{ImageList(repo: \"team7/app507\", requestedPage: {sortBy: ALPHABETIC_ASC}) {"
            "Results {RepoName Tag Digest MediaType Manifests {Digest ConfigDigest Size "
            "Platform {Os Arch} IsSigned Layers {Size Digest} LastUpdated} LastUpdated Size "
            "IsSigned}}}",
            runs);
    measure(index, "ImageList all, page of 15",
            "{ImageList(repo: \"\", requestedPage: {limit: 15 offset: 0 sortBy: UPDATE_TIME}) {"
            "Page {TotalCount ItemCount} Results {RepoName Tag Size LastUpdated}}}",
            runs);
    measure(index, "RepoListWithNewestImage",
            "{RepoListWithNewestImage(requestedPage: {limit:15 offset:0}){Results {Name "
            "LastUpdated Size Platforms {Os Arch} NewestImage { Tag Description Licenses Title "
            "Source IsSigned Documentation Vendor Labels} StarCount DownloadCount}}}",
            runs);
    return 0;
}
