// What the search extension knows of the registry: repositories, their tags and manifests, and
// the facts of each manifest and its image config that Zot's GraphQL API reports (platform,
// sizes, layers, created time, vendor, description, licenses, title, source, documentation,
// authors, labels). It is kept in memory and updated on every push and delete; nothing here
// reads a file.
//
// Memory follows the metadata, not the traffic: every string (tag names, digests, annotation
// values) is interned once in a pool with reference counts, and a manifest's facts are stored
// once however many repositories and tags share its digest. A sha256 digest is interned as
// its 32 raw bytes. bench/search_bench.cpp measures what a tag costs.
#pragma once

#include <berth/oci/manifest.h>
#include <berth/oci/names.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace berth::ext {

using Sym = std::uint32_t; // an interned string; 0 is the empty string

class StringPool {
public:
    StringPool();
    // The symbol for `text`, with one more reference to it.
    Sym intern(std::string_view text);
    void retain(Sym sym);
    void release(Sym sym);
    std::string_view view(Sym sym) const;
    std::optional<Sym> find(std::string_view text) const;
    // Bytes held: text, entries and the lookup table.
    std::size_t bytes() const;

private:
    struct Entry {
        std::uint32_t offset = 0;
        std::uint32_t length = 0;
        std::uint32_t refs = 0;
    };
    struct Hash {
        using is_transparent = void;
        const StringPool* pool;
        std::size_t operator()(Sym sym) const { return (*this)(pool->view(sym)); }
        std::size_t operator()(std::string_view text) const;
    };
    struct Equal {
        using is_transparent = void;
        const StringPool* pool;
        bool operator()(Sym a, Sym b) const { return a == b; }
        bool operator()(std::string_view a, Sym b) const { return a == pool->view(b); }
        bool operator()(Sym a, std::string_view b) const { return pool->view(a) == b; }
    };
    // Rewrites the text without the strings no longer referenced; symbols stay the same.
    void compact();

    std::string text_;
    std::vector<Entry> entries_;
    std::vector<Sym> free_;
    std::size_t dead_bytes_ = 0;
    std::unordered_set<Sym, Hash, Equal> lookup_;
};

// Digests are interned in a compact form (sha256 as its raw bytes).
std::string digest_key(const oci::Digest& digest);
std::string digest_text(std::string_view key);

struct ImageConfigFacts {
    std::string os;
    std::string architecture;
    std::optional<std::int64_t> created_ns; // nanoseconds since the Unix epoch, UTC
    oci::Annotations labels;
};

// Reads the facts of an image config (a JSON blob); nothing when it is no JSON object.
std::optional<ImageConfigFacts> parse_image_config(std::string_view json);

struct LayerFact {
    Sym digest = 0;
    std::uint64_t size = 0;
};

enum class FactsState : std::uint8_t {
    manifest_only, // the config has not been read (yet)
    complete,      // config read, or there is none to read (an index)
};

struct ManifestFacts {
    Sym media_type = 0;
    Sym artifact_type = 0;
    Sym config_digest = 0;
    Sym config_media_type = 0;
    std::uint64_t size = 0; // the manifest's own bytes
    std::uint64_t config_size = 0;
    Sym os = 0;
    Sym arch = 0;
    bool has_created = false;
    std::int64_t created_ns = 0;
    Sym description = 0;
    Sym licenses = 0;
    Sym title = 0;
    Sym source = 0;
    Sym documentation = 0;
    Sym vendor = 0;
    Sym authors = 0;
    Sym labels = 0;
    std::vector<LayerFact> layers;
    std::vector<Sym> children;      // the manifests of an index
    std::uint32_t repositories = 0; // how many repositories hold it (its reference count)
    FactsState state = FactsState::manifest_only;

    bool is_index() const { return !children.empty() || config_digest == 0; }
};

struct TagFact {
    Sym name = 0;
    Sym digest = 0;
    // The facts of `digest`: a tag points at a manifest of its own repository, whose facts live
    // as long as the repository holds it (map nodes do not move).
    const ManifestFacts* facts = nullptr;
};

// What repository lists show of a repository, derived from its tags and their manifests:
// computed by the first query that needs it and kept until the repository changes. Listing
// 10,000 repositories then reads 10,000 summaries instead of walking 100,000 tags.
struct RepositorySummary {
    static constexpr std::uint32_t none = UINT32_MAX;
    std::uint64_t generation = 0; // SearchIndex::generation() when computed; 0: not computed
    std::uint32_t newest = none;  // the position in `tags` of the newest image
    std::optional<std::int64_t> updated_ns;
    std::uint64_t size = 0;                     // distinct blobs and manifests, each counted once
    std::vector<std::pair<Sym, Sym>> platforms; // (os, arch), distinct, in tag order
    std::vector<Sym> vendors;                   // distinct, non-empty
    // Per tag, what image lists sort by: the LastUpdated time (INT64_MIN when unknown). A
    // page of images sorted by time then reads facts only for the images that make the page.
    std::vector<std::int64_t> tag_updated_ns;
};

struct RepositoryFacts {
    std::vector<TagFact> tags;  // ordered by name
    std::vector<Sym> manifests; // every manifest, ordered by symbol
    std::uint32_t stars = 0;
    // Filled by queries (search_results.cpp); every change to the repository drops it.
    mutable RepositorySummary summary;

    bool holds(Sym manifest) const {
        return std::binary_search(manifests.begin(), manifests.end(), manifest);
    }
};

class SearchIndex {
public:
    SearchIndex() = default;
    SearchIndex(const SearchIndex&) = delete;
    SearchIndex& operator=(const SearchIndex&) = delete;
    ~SearchIndex();

    // Records that the repository holds the manifest; its facts come from `info` the first
    // time the digest is seen. True when the manifest's config still has to be read.
    bool add_manifest(std::string_view repository, const oci::Digest& digest, std::uint64_t size,
                      const oci::ManifestInfo& info);
    // The repository must hold the manifest already (add_manifest); a tag on anything else is
    // ignored.
    void set_tag(std::string_view repository, std::string_view tag, const oci::Digest& digest);
    void remove_tag(std::string_view repository, std::string_view tag);
    // The manifest leaves the repository with every tag that pointed at it.
    void remove_manifest(std::string_view repository, const oci::Digest& digest);
    void set_config(const oci::Digest& manifest, const ImageConfigFacts& config);
    void set_stars(std::string_view repository, std::uint32_t stars);

    const std::map<std::string, RepositoryFacts, std::less<>>& repositories() const {
        return repositories_;
    }
    const RepositoryFacts* repository(std::string_view name) const;
    const ManifestFacts* manifest(Sym digest) const;
    const ManifestFacts* manifest(const oci::Digest& digest) const;
    std::optional<Sym> find_digest(const oci::Digest& digest) const;
    std::string_view text(Sym sym) const { return strings_.view(sym); }
    std::string digest(Sym sym) const { return digest_text(strings_.view(sym)); }
    const StringPool& strings() const { return strings_; }

    // Summaries computed at another generation are stale. It changes when facts change that
    // any repository may show (a manifest's config read again); changes to one repository
    // drop only that repository's summary.
    std::uint64_t generation() const { return generation_; }

    std::size_t tag_count() const { return tag_count_; }
    std::size_t manifest_count() const { return manifests_.size(); }
    // An estimate of the bytes the index holds (containers counted at their capacity).
    std::size_t memory_bytes() const;

private:
    ManifestFacts& facts_for(Sym digest, std::uint64_t size, const oci::ManifestInfo& info);
    void release_facts(Sym digest);
    void release_annotations(ManifestFacts& facts);
    void set_annotation_facts(ManifestFacts& facts, const oci::Annotations& annotations,
                              const oci::Annotations& labels);

    StringPool strings_;
    std::map<std::string, RepositoryFacts, std::less<>> repositories_;
    std::unordered_map<Sym, ManifestFacts> manifests_;
    std::size_t tag_count_ = 0;
    std::uint64_t generation_ = 1;
};

} // namespace berth::ext
