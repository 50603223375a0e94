#include <berth/ext/search_index.h>
#include <berth/ext/search_query.h>
#include <berth/ext/search_time.h>

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

using namespace berth;
using namespace berth::ext;

namespace {

oci::Digest digest_of(char fill) {
    return oci::Digest{oci::DigestAlgorithm::sha256, std::string(64, fill)};
}

oci::ManifestInfo image_info(char config, std::initializer_list<char> layers) {
    oci::ManifestInfo info;
    info.media_type = std::string(oci::oci_manifest_media_type);
    oci::Descriptor descriptor;
    descriptor.media_type = "application/vnd.oci.image.config.v1+json";
    descriptor.digest = digest_of(config);
    descriptor.size = 100;
    info.config = descriptor;
    for (char layer : layers) {
        oci::Descriptor item;
        item.media_type = "application/vnd.oci.image.layer.v1.tar";
        item.digest = digest_of(layer);
        item.size = 1000;
        info.layers.push_back(item);
    }
    info.annotations = {{"org.opencontainers.image.title", "a title"}};
    return info;
}

struct Everyone final : SearchSources {
    bool may_read(std::string_view repository) const override {
        return !repository.starts_with("private");
    }
    bool may_delete(std::string_view) const override { return false; }
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

std::string run(const SearchIndex& index, std::string_view query) {
    Everyone sources;
    QueryOutput output = run_query(index, sources, QueryInput{query, "", nullptr});
    return output.body;
}

} // namespace

TEST_CASE("search time: RFC 3339 in and out, as Go writes it") {
    CHECK(format_rfc3339(parse_rfc3339("2024-01-02T03:04:05.5Z")) == "2024-01-02T03:04:05.5Z");
    CHECK(format_rfc3339(parse_rfc3339("2024-01-02T05:04:05+02:00")) == "2024-01-02T03:04:05Z");
    CHECK(format_rfc3339(parse_rfc3339("1969-12-31T23:59:59.000000001Z")) ==
          "1969-12-31T23:59:59.000000001Z");
    CHECK(format_rfc3339(std::nullopt) == "0001-01-01T00:00:00Z");
    CHECK_FALSE(parse_rfc3339("2024-01-02").has_value());
    CHECK_FALSE(parse_rfc3339("2024-13-02T00:00:00Z").has_value());
    CHECK_FALSE(parse_rfc3339("2024-01-02T00:00:00Zjunk").has_value());
}

TEST_CASE("search index: tags, shared manifests and removal keep the counts right") {
    SearchIndex index;
    CHECK(index.add_manifest("a/b", digest_of('1'), 500, image_info('c', {'d', 'e'})));
    index.set_tag("a/b", "v1", digest_of('1'));
    index.set_tag("a/b", "latest", digest_of('1'));
    // Known already, but its config is still unread.
    CHECK(index.add_manifest("x", digest_of('1'), 500, image_info('c', {'d', 'e'})));
    index.set_tag("x", "v1", digest_of('1'));
    CHECK(index.tag_count() == 3);
    CHECK(index.manifest_count() == 1);
    CHECK(index.manifest(digest_of('1'))->repositories == 2);
    ImageConfigFacts config;
    config.os = "linux";
    config.architecture = "arm64";
    config.created_ns = 1'700'000'000'000'000'000;
    config.labels = {{"org.opencontainers.image.vendor", "V"},
                     {"org.opencontainers.image.title", "label title"}};
    index.set_config(digest_of('1'), config);
    const ManifestFacts* facts = index.manifest(digest_of('1'));
    REQUIRE(facts != nullptr);
    CHECK(index.text(facts->arch) == "arm64");
    CHECK(index.text(facts->vendor) == "V");
    CHECK(index.text(facts->title) == "a title"); // the manifest's annotation wins
    index.remove_tag("a/b", "latest");
    CHECK(index.tag_count() == 2);
    index.remove_manifest("a/b", digest_of('1'));
    CHECK(index.repository("a/b") == nullptr);
    CHECK(index.manifest_count() == 1);
    index.remove_manifest("x", digest_of('1'));
    CHECK(index.manifest_count() == 0);
    CHECK(index.tag_count() == 0);
    CHECK(index.strings().find("linux") == std::nullopt); // released with the manifest
}

TEST_CASE("search query: answers, filters by access, and reports errors") {
    SearchIndex index;
    index.add_manifest("public/a", digest_of('1'), 500, image_info('c', {'d'}));
    index.set_tag("public/a", "v1", digest_of('1'));
    index.add_manifest("private/b", digest_of('2'), 500, image_info('c', {'d', 'e'}));
    index.set_tag("private/b", "v1", digest_of('2'));
    CHECK(run(index, R"({ImageList(repo: "") {Results {RepoName Tag Size Title}}})") ==
          R"({"data":{"ImageList":{"Results":[{"RepoName":"public/a","Tag":"v1",)"
          R"("Size":"1600","Title":"a title"}]}}})");
    CHECK(run(index, R"({a: Image(image: "private/b:v1") {Tag}})") ==
          R"({"errors":[{"message":"can't find image: private/b:v1","locations":)"
          R"([{"line":1,"column":2}],"path":["a"]}],"data":{"a":null}})");
    std::string error = run(index, "{ImageList(repo: \"\") {Results {Nope}}}");
    CHECK(error.find("Cannot query field \\\"Nope\\\" on type \\\"ImageSummary\\\".") !=
          std::string::npos);
    CHECK(error.find("\"data\":null") != std::string::npos);
    CHECK(run(index, "{__type(name: \"PageInfo\") {kind fields {name}}}") ==
          R"({"data":{"__type":{"kind":"OBJECT","fields":[{"name":"TotalCount"},)"
          R"({"name":"ItemCount"}]}}})");
}

// ---- summaries and pages ------------------------------------------------------------------

namespace {

// A deterministic mix of what the store tells the index: images (some whose config arrives
// late), multi-platform indexes, manifests shared between repositories, retags and deletes.
class Pushes {
public:
    explicit Pushes(std::uint64_t seed) : state_(seed) {}

    void step(SearchIndex& index) {
        std::string repository =
            "team" + std::to_string(next() % 3) + "/app" + std::to_string(next() % 12);
        std::string tag = "v" + std::to_string(next() % 6);
        switch (next() % 9) {
        case 0:
            index.remove_tag(repository, tag);
            break;
        case 8:
            if (!pushed_.empty()) {
                // A tag moved to a manifest its repository holds already.
                auto& [from, manifest] = pushed_[next() % pushed_.size()];
                index.set_tag(from, tag, manifest);
            }
            break;
        case 1:
            if (!pushed_.empty()) {
                auto& [from, manifest] = pushed_[next() % pushed_.size()];
                index.remove_manifest(from, manifest);
            }
            break;
        case 2:
            if (!late_.empty() && next() % 2 == 0) {
                configure(index, late_.back());
                late_.pop_back();
            } else if (!pushed_.empty()) {
                // A config read a second time (two pushes raced the first read).
                configure(index, pushed_[next() % pushed_.size()].second);
            }
            break;
        case 3:
            index.set_tag(repository, tag, push_index(index, repository));
            break;
        default:
            index.set_tag(repository, tag, push_image(index, repository));
        }
    }

    // Configs read again, with other facts: repositories showing them must not keep answers.
    void reconfigure(SearchIndex& index) {
        for (const auto& [repository, manifest] : pushed_) {
            configure(index, manifest);
        }
    }

private:
    std::uint64_t next() {
        state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
        return state_ >> 33;
    }
    oci::Digest digest(std::uint64_t kind, std::uint64_t number) {
        std::string hex = std::to_string(kind) + std::to_string(number);
        return oci::Digest{oci::DigestAlgorithm::sha256, hex + std::string(64 - hex.size(), 'a')};
    }
    void configure(SearchIndex& index, const oci::Digest& manifest) {
        ImageConfigFacts config;
        config.os = "linux";
        config.architecture = next() % 2 == 0 ? "amd64" : "arm64";
        // Few distinct times, so that orders have ties to keep.
        config.created_ns = static_cast<std::int64_t>(next() % 5) * 1'000'000'000;
        if (next() % 3 == 0) {
            config.labels = {{"org.opencontainers.image.vendor", "V" + std::to_string(next() % 3)}};
        }
        index.set_config(manifest, config);
    }
    oci::Digest push_image(SearchIndex& index, const std::string& repository) {
        if (!pushed_.empty() && next() % 4 == 0) {
            // A manifest another repository holds too.
            oci::Digest shared = pushed_[next() % pushed_.size()].second;
            if (const ManifestFacts* facts = index.manifest(shared); facts && !facts->is_index()) {
                oci::ManifestInfo info = image_info('c', {'d'});
                index.add_manifest(repository, shared, facts->size, info);
                return shared;
            }
        }
        std::uint64_t number = ++count_;
        oci::ManifestInfo info = image_info('c', {'d'});
        info.config->digest = digest(1, number);
        info.layers.back().size = static_cast<std::int64_t>(next() % 4) * 100;
        oci::Digest manifest = digest(2, number);
        index.add_manifest(repository, manifest, 500, info);
        if (next() % 3 == 0) {
            late_.push_back(manifest);
        } else {
            configure(index, manifest);
        }
        pushed_.emplace_back(repository, manifest);
        return manifest;
    }
    oci::Digest push_index(SearchIndex& index, const std::string& repository) {
        oci::ManifestInfo info;
        info.kind = oci::ManifestKind::oci_index;
        info.media_type = std::string(oci::oci_index_media_type);
        for (std::uint64_t i = 0, n = 1 + next() % 2; i < n; ++i) {
            oci::Descriptor child;
            child.digest = push_image(index, repository);
            child.media_type = std::string(oci::oci_manifest_media_type);
            child.size = 500;
            info.manifests.push_back(child);
        }
        oci::Digest manifest = digest(3, ++count_);
        index.add_manifest(repository, manifest, 300, info);
        return manifest;
    }

    std::uint64_t state_;
    std::uint64_t count_ = 0;
    std::vector<std::pair<std::string, oci::Digest>> pushed_;
    std::vector<oci::Digest> late_;
};

const std::vector<std::string>& listing_queries() {
    static const std::vector<std::string> queries = [] {
        std::string repo = "Name LastUpdated Size Platforms {Os Arch} Vendors DownloadCount "
                           "NewestImage {Tag Digest LastUpdated Size}";
        std::string image = "RepoName Tag Digest LastUpdated Size Manifests {Digest Platform "
                            "{Os Arch}}";
        std::vector<std::string> out;
        for (std::string sort : {"UPDATE_TIME", "ALPHABETIC_ASC", "ALPHABETIC_DSC", "RELEVANCE",
                                 "DOWNLOADS", "STARS"}) {
            for (std::string page : {"limit: 0", "limit: 3 offset: 2", "limit: 1000"}) {
                std::string args = "requestedPage: {" + page + " sortBy: " + sort + "}";
                out.push_back("{RepoListWithNewestImage(" + args +
                              ") {Page {TotalCount} "
                              "Results {" +
                              repo + "}}}");
                out.push_back("{ImageList(repo: \"\", " + args +
                              ") {Page {TotalCount "
                              "ItemCount} Results {" +
                              image + "}}}");
                out.push_back("{GlobalSearch(query: \"app1\", " + args + ") {Repos {" + repo +
                              "}}}");
            }
        }
        for (int app = 0; app < 12; app += 5) {
            out.push_back("{ExpandedRepoInfo(repo: \"team1/app" + std::to_string(app) +
                          "\") {Images {" + image + "} Summary {" + repo + "}}}");
        }
        return out;
    }();
    return queries;
}

// "[{...},{...}]" of a page's results, one entry per item.
std::vector<std::string> results_of(const std::string& body) {
    std::vector<std::string> items;
    std::size_t start = body.find("\"Results\":[");
    REQUIRE(start != std::string::npos);
    start += 11;
    std::size_t end = body.find("]}}}", start);
    std::string list = body.substr(start, end - start);
    for (std::size_t at = 0; at < list.size();) {
        std::size_t next = list.find("},{", at);
        items.push_back(list.substr(at, next == std::string::npos ? next : next + 1 - at));
        at = next == std::string::npos ? list.size() : next + 2;
    }
    return items;
}

} // namespace

TEST_CASE("search summaries: kept answers equal those of an index that never answered before") {
    // `kept` answers the listings after every few changes, so its repository summaries are
    // computed early and must be dropped by every change that matters; `fresh` sees the same
    // changes and answers once at the end.
    SearchIndex kept;
    SearchIndex fresh;
    Pushes kept_pushes(7);
    Pushes fresh_pushes(7);
    for (int round = 0; round < 12; ++round) {
        for (int i = 0; i < 25; ++i) {
            kept_pushes.step(kept);
            fresh_pushes.step(fresh);
        }
        for (const std::string& query : listing_queries()) {
            run(kept, query);
        }
    }
    CHECK(kept.tag_count() == fresh.tag_count());
    for (const std::string& query : listing_queries()) {
        INFO(query);
        CHECK(run(kept, query) == run(fresh, query));
    }
    // Configs read again: `cold` sees everything and answers only now.
    SearchIndex cold;
    Pushes cold_pushes(7);
    for (int i = 0; i < 12 * 25; ++i) {
        cold_pushes.step(cold);
    }
    kept_pushes.reconfigure(kept);
    cold_pushes.reconfigure(cold);
    for (const std::string& query : listing_queries()) {
        INFO(query);
        CHECK(run(kept, query) == run(cold, query));
    }
}

TEST_CASE("search pages: a page equals the same slice of the whole sorted list") {
    SearchIndex index;
    Pushes pushes(11);
    for (int i = 0; i < 300; ++i) {
        pushes.step(index);
    }
    for (std::string sort : {"UPDATE_TIME", "ALPHABETIC_ASC", "ALPHABETIC_DSC", "DOWNLOADS"}) {
        for (std::string list : {"ImageList(repo: \"\", ", "RepoListWithNewestImage("}) {
            std::string fields = list.starts_with("Image") ? "RepoName Tag" : "Name";
            auto query = [&](const std::string& page) {
                return "{" + list + "requestedPage: {" + page + " sortBy: " + sort +
                       "}) {Results {" + fields + "}}}";
            };
            std::vector<std::string> all = results_of(run(index, query("limit: 0")));
            REQUIRE(all.size() > 10);
            for (std::size_t offset : {0u, 1u, 7u}) {
                std::vector<std::string> page =
                    results_of(run(index, query("limit: 4 offset: " + std::to_string(offset))));
                std::string context = sort + " " + list + std::to_string(offset);
                INFO(context);
                CHECK(page ==
                      std::vector<std::string>(all.begin() + offset, all.begin() + offset + 4));
            }
        }
    }
}

TEST_CASE("search pages: equal times keep the order of names") {
    SearchIndex index;
    ImageConfigFacts config;
    config.created_ns = 5;
    for (std::string repository : {"c", "a", "b"}) {
        index.add_manifest(repository, digest_of('1'), 500, image_info('c', {'d'}));
        index.set_tag(repository, "t2", digest_of('1'));
        index.set_tag(repository, "t1", digest_of('1'));
    }
    index.add_manifest("b", digest_of('2'), 500, image_info('e', {'d'}));
    index.set_tag("b", "newer", digest_of('2'));
    index.set_config(digest_of('1'), config);
    config.created_ns = 6;
    index.set_config(digest_of('2'), config);
    CHECK(run(index, R"({ImageList(repo: "", requestedPage: {limit: 4 offset: 1 sortBy:)"
                     R"( UPDATE_TIME}) {Results {RepoName Tag}}})") ==
          R"({"data":{"ImageList":{"Results":[{"RepoName":"a","Tag":"t1"},)"
          R"({"RepoName":"a","Tag":"t2"},{"RepoName":"b","Tag":"t1"},)"
          R"({"RepoName":"b","Tag":"t2"}]}}})");
    // A tag on a manifest the repository does not hold points nowhere.
    index.set_tag("a", "elsewhere", digest_of('2'));
    CHECK(index.tag_count() == 7);
}
