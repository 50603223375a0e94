#include <berth/ext/search_index.h>
#include <berth/ext/search_query.h>
#include <berth/ext/search_time.h>

#include <doctest/doctest.h>

#include <string>

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
