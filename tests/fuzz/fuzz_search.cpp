// The search executor on hostile requests: query text and variables JSON run through parse,
// validation and execution against a small index (repositories with tags, a multi-arch index
// with one config still unread, an index of indexes, an image built on another, an artifact
// with referrers, a repository the caller may not read). Every request gets a response that is
// JSON with `data` or `errors`, with status 200 or 422; never a crash, a hang or a sanitizer
// report.
//
// Input: the query, then optionally a NUL byte and the variables JSON, then optionally a NUL
// byte and the operation name.
#include <berth/ext/search_index.h>
#include <berth/ext/search_query.h>

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace berth;
using namespace berth::ext;

namespace {

oci::Digest digest_of(char fill) {
    return oci::Digest{oci::DigestAlgorithm::sha256, std::string(64, fill)};
}

oci::Descriptor descriptor(char fill, std::int64_t size, std::string media_type) {
    oci::Descriptor item;
    item.digest = digest_of(fill);
    item.size = size;
    item.media_type = std::move(media_type);
    return item;
}

oci::ManifestInfo image(char config, std::string_view layers) {
    oci::ManifestInfo info;
    info.media_type = std::string(oci::oci_manifest_media_type);
    info.config = descriptor(config, 300, "application/vnd.oci.image.config.v1+json");
    for (char layer : layers) {
        info.layers.push_back(descriptor(layer, 1000, "application/vnd.oci.image.layer.v1.tar"));
    }
    info.annotations = {{"org.opencontainers.image.description", "an image"},
                        {"org.opencontainers.image.vendor", "Vendor \"Q\"\n"}};
    return info;
}

oci::ManifestInfo index_of(std::string_view children) {
    oci::ManifestInfo info;
    info.kind = oci::ManifestKind::oci_index;
    info.media_type = std::string(oci::oci_index_media_type);
    for (char child : children) {
        info.manifests.push_back(descriptor(child, 500, std::string(oci::oci_manifest_media_type)));
    }
    return info;
}

void configure(SearchIndex& index, char manifest, std::string os, std::string arch,
               std::int64_t created_s) {
    ImageConfigFacts config;
    config.os = std::move(os);
    config.architecture = std::move(arch);
    config.created_ns = created_s * 1'000'000'000;
    config.labels = {{"org.opencontainers.image.title", "title \xc3\xa9"}};
    index.set_config(digest_of(manifest), config);
}

void add(SearchIndex& index, std::string_view repository, char digest,
         const oci::ManifestInfo& info, std::string_view tag) {
    index.add_manifest(repository, digest_of(digest), 700, info);
    if (!tag.empty()) {
        index.set_tag(repository, tag, digest_of(digest));
    }
}

const SearchIndex& small_index() {
    static SearchIndex* index = [] {
        auto* built = new SearchIndex;
        add(*built, "alpine", '1', image('a', "bc"), "3.18");
        add(*built, "alpine", '2', image('d', "be"), "3.19");
        built->set_tag("alpine", "latest", digest_of('2'));
        configure(*built, '1', "linux", "amd64", 1'700'000'000);
        configure(*built, '2', "linux", "amd64", 1'700'000'100);
        add(*built, "derived/app", '3', image('f', "beg"), "v1");
        configure(*built, '3', "linux", "amd64", 1'700'000'200);
        // A multi-arch image: one child's config is never read.
        add(*built, "multi/app", '4', image('h', "i"), "");
        add(*built, "multi/app", '5', image('j', "k"), "arm64-only");
        add(*built, "multi/app", '6', index_of("45"), "v2");
        configure(*built, '4', "linux", "amd64", 1'600'000'000);
        add(*built, "multi/app", '7', index_of("6"), "nested"); // an index of an index
        add(*built, "multi/app", '8', image('a', ""), "");      // untagged
        oci::ManifestInfo artifact = image('l', "m");
        artifact.artifact_type = "application/vnd.example.sbom";
        artifact.subject = descriptor('2', 700, std::string(oci::oci_manifest_media_type));
        add(*built, "alpine", '9', artifact, "sbom");
        add(*built, "private/secret", '1', image('a', "bc"), "hidden");
        return built;
    }();
    return *index;
}

struct Sources final : SearchSources {
    bool may_read(std::string_view repository) const override {
        return !repository.starts_with("private");
    }
    bool may_delete(std::string_view repository) const override { return repository == "alpine"; }
    bool starred(std::string_view repository) const override { return repository == "alpine"; }
    bool bookmarked(std::string_view repository) const override {
        return repository.starts_with("multi");
    }
    std::vector<storage::Referrer> referrers(std::string_view repository,
                                             const oci::Digest& subject) const override {
        if (repository != "alpine" || subject != digest_of('2')) {
            return {};
        }
        storage::Referrer referrer;
        referrer.digest = digest_of('9');
        referrer.media_type = oci::oci_manifest_media_type;
        referrer.artifact_type = "application/vnd.example.sbom";
        referrer.size = 700;
        referrer.annotations = {{"created", "now"}, {"", "\x01"}};
        return {referrer};
    }
    std::optional<ImageUsage> usage(std::string_view repository,
                                    const oci::Digest& digest) const override {
        if (repository != "alpine") {
            return std::nullopt;
        }
        return ImageUsage{1'700'000'000'000'000'000, std::nullopt, digest.hex[0] == '1' ? 3u : 0u};
    }
    const std::vector<HistoryEntry>* history(Sym config_digest) const override {
        static const std::vector<HistoryEntry> entries = {
            {1'700'000'000'000'000'000, "ADD rootfs", "", "", false},
            {std::nullopt, "CMD sh", "someone", "a comment", true},
            {std::nullopt, "RUN more layers than the manifest has", "", "", false},
            {std::nullopt, "RUN again", "", "", false},
        };
        // Some histories are known, the others "not read yet".
        return small_index().digest(config_digest).ends_with("aaaa") ? &entries : nullptr;
    }
};

void check_json(const std::string& body) {
    simdjson::dom::parser parser;
    simdjson::dom::element element;
    simdjson::dom::object object;
    if (parser.parse(body).get(element) != simdjson::SUCCESS ||
        element.get_object().get(object) != simdjson::SUCCESS) {
        __builtin_trap();
    }
    simdjson::dom::element ignored;
    if (object["data"].get(ignored) != simdjson::SUCCESS &&
        object["errors"].get(ignored) != simdjson::SUCCESS) {
        __builtin_trap();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string_view query = input.substr(0, input.find('\0'));
    std::string_view rest = input.substr(std::min(input.size(), query.size() + 1));
    std::string_view variables_json = rest.substr(0, rest.find('\0'));
    std::string_view operation = rest.substr(std::min(rest.size(), variables_json.size() + 1));
    auto variables = parse_variables(variables_json);
    if (!variables) {
        if (variables.error().empty()) {
            __builtin_trap();
        }
        return 0;
    }
    QueryLimits limits;
    limits.response_bytes_max = 256 * 1024;
    Sources sources;
    QueryOutput output =
        run_query(small_index(), sources, QueryInput{query, operation, &*variables}, limits);
    if (output.status != 200 && output.status != 422) {
        __builtin_trap();
    }
    check_json(output.body);
    return 0;
}
