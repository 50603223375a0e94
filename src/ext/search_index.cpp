#include <berth/ext/search_index.h>

#include <simdjson.h>
#include <xxhash.h>

#include <algorithm>
#include <cassert>

namespace berth::ext {

// ---- the string pool ---------------------------------------------------------------------

StringPool::StringPool() : lookup_(64, Hash{this}, Equal{this}) {
    entries_.push_back(Entry{0, 0, 1}); // symbol 0: the empty string, never released
}

std::size_t StringPool::Hash::operator()(std::string_view text) const {
    return static_cast<std::size_t>(XXH3_64bits(text.data(), text.size()));
}

std::string_view StringPool::view(Sym sym) const {
    const Entry& entry = entries_[sym];
    return std::string_view(text_).substr(entry.offset, entry.length);
}

std::optional<Sym> StringPool::find(std::string_view text) const {
    if (text.empty()) {
        return Sym{0};
    }
    auto found = lookup_.find(text);
    if (found == lookup_.end()) {
        return std::nullopt;
    }
    return *found;
}

Sym StringPool::intern(std::string_view text) {
    if (auto existing = find(text)) {
        retain(*existing);
        return *existing;
    }
    Sym sym = 0;
    if (!free_.empty()) {
        sym = free_.back();
        free_.pop_back();
    } else {
        sym = static_cast<Sym>(entries_.size());
        entries_.emplace_back();
    }
    entries_[sym] =
        Entry{static_cast<std::uint32_t>(text_.size()), static_cast<std::uint32_t>(text.size()), 1};
    text_.append(text);
    lookup_.insert(sym);
    return sym;
}

void StringPool::retain(Sym sym) {
    if (sym != 0) {
        entries_[sym].refs++;
    }
}

void StringPool::release(Sym sym) {
    if (sym == 0) {
        return;
    }
    Entry& entry = entries_[sym];
    assert(entry.refs > 0);
    if (--entry.refs > 0) {
        return;
    }
    lookup_.erase(sym);
    dead_bytes_ += entry.length;
    entry = Entry{};
    free_.push_back(sym);
    // Text of released strings is reclaimed once it is most of the buffer: each byte is
    // copied at most once per time it was freed, so the cost stays linear in the churn.
    if (dead_bytes_ > 4096 && dead_bytes_ * 2 > text_.size()) {
        compact();
    }
}

void StringPool::compact() {
    std::string text;
    text.reserve(text_.size() - dead_bytes_);
    for (Entry& entry : entries_) {
        if (entry.refs == 0 || entry.length == 0) {
            continue;
        }
        std::uint32_t offset = static_cast<std::uint32_t>(text.size());
        text.append(text_, entry.offset, entry.length);
        entry.offset = offset;
    }
    text_ = std::move(text);
    dead_bytes_ = 0;
}

std::size_t StringPool::bytes() const {
    // A node of the set: the symbol, the cached hash and the next pointer.
    constexpr std::size_t node_bytes = 24;
    return text_.capacity() + entries_.capacity() * sizeof(Entry) + free_.capacity() * sizeof(Sym) +
           lookup_.bucket_count() * sizeof(void*) + lookup_.size() * node_bytes;
}

// ---- digests -----------------------------------------------------------------------------

namespace {

constexpr char sha256_marker = '\x01';

int hex_digit(char c) {
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

} // namespace

std::string digest_key(const oci::Digest& digest) {
    if (digest.algorithm != oci::DigestAlgorithm::sha256 || digest.hex.size() != 64) {
        return digest.str();
    }
    std::string key(33, sha256_marker);
    for (std::size_t i = 0; i < 32; ++i) {
        key[i + 1] =
            static_cast<char>(hex_digit(digest.hex[2 * i]) * 16 + hex_digit(digest.hex[2 * i + 1]));
    }
    return key;
}

std::string digest_text(std::string_view key) {
    if (key.size() != 33 || key.front() != sha256_marker) {
        return std::string(key);
    }
    constexpr std::string_view hex = "0123456789abcdef";
    std::string text = "sha256:";
    for (std::size_t i = 1; i < key.size(); ++i) {
        auto byte = static_cast<unsigned char>(key[i]);
        text.push_back(hex[byte >> 4]);
        text.push_back(hex[byte & 0xF]);
    }
    return text;
}

// ---- the index ---------------------------------------------------------------------------

namespace {

constexpr std::string_view annotation_keys[][2] = {
    {"org.opencontainers.image.description", "org.label-schema.description"},
    {"org.opencontainers.image.licenses", "org.label-schema.license"},
    {"org.opencontainers.image.title", "org.label-schema.name"},
    {"org.opencontainers.image.source", "org.label-schema.vcs-url"},
    {"org.opencontainers.image.documentation", "org.label-schema.usage"},
    {"org.opencontainers.image.vendor", "org.label-schema.vendor"},
    {"org.opencontainers.image.authors", ""},
    {"org.label-schema.labels", ""},
};

// Zot's rule: the OCI annotation, else its label-schema twin; the manifest's annotations
// first, then the config's labels.
std::string_view fact_value(const oci::Annotations& annotations, const oci::Annotations& labels,
                            std::size_t which) {
    for (const oci::Annotations* source : {&annotations, &labels}) {
        for (std::string_view key : annotation_keys[which]) {
            if (key.empty()) {
                continue;
            }
            auto value = oci::find_annotation(*source, key);
            if (value && !value->empty()) {
                return *value;
            }
        }
    }
    return {};
}

template <class T, class Less>
auto lower(std::vector<T>& items, const Less& less_than_key) {
    return std::partition_point(items.begin(), items.end(), less_than_key);
}

} // namespace

SearchIndex::~SearchIndex() = default;

void SearchIndex::release_annotations(ManifestFacts& facts) {
    for (Sym* field : {&facts.description, &facts.licenses, &facts.title, &facts.source,
                       &facts.documentation, &facts.vendor, &facts.authors, &facts.labels}) {
        strings_.release(*field);
        *field = 0;
    }
}

void SearchIndex::set_annotation_facts(ManifestFacts& facts, const oci::Annotations& annotations,
                                       const oci::Annotations& labels) {
    release_annotations(facts);
    Sym* fields[] = {&facts.description,   &facts.licenses, &facts.title,   &facts.source,
                     &facts.documentation, &facts.vendor,   &facts.authors, &facts.labels};
    for (std::size_t i = 0; i < std::size(fields); ++i) {
        *fields[i] = strings_.intern(fact_value(annotations, labels, i));
    }
}

ManifestFacts& SearchIndex::facts_for(Sym digest, std::uint64_t size,
                                      const oci::ManifestInfo& info) {
    auto [found, added] = manifests_.try_emplace(digest);
    ManifestFacts& facts = found->second;
    if (!added) {
        strings_.release(digest); // the map holds one reference already
        return facts;
    }
    facts.media_type = strings_.intern(info.media_type);
    facts.artifact_type = strings_.intern(oci::referrer_artifact_type(info));
    facts.size = size;
    if (info.config) {
        facts.config_digest = strings_.intern(digest_key(info.config->digest));
        facts.config_media_type = strings_.intern(info.config->media_type);
        facts.config_size =
            static_cast<std::uint64_t>(std::max<std::int64_t>(0, info.config->size));
    }
    for (const oci::Descriptor& layer : info.layers) {
        facts.layers.push_back(
            LayerFact{strings_.intern(digest_key(layer.digest)),
                      static_cast<std::uint64_t>(std::max<std::int64_t>(0, layer.size))});
    }
    for (const oci::Descriptor& child : info.manifests) {
        facts.children.push_back(strings_.intern(digest_key(child.digest)));
    }
    set_annotation_facts(facts, info.annotations, {});
    facts.state = info.config ? FactsState::manifest_only : FactsState::complete;
    return facts;
}

bool SearchIndex::add_manifest(std::string_view repository, const oci::Digest& digest,
                               std::uint64_t size, const oci::ManifestInfo& info) {
    auto [position, created] = repositories_.try_emplace(std::string(repository));
    RepositoryFacts& facts_of_repository = position->second;
    Sym sym = strings_.intern(digest_key(digest));
    ManifestFacts& facts = facts_for(sym, size, info);
    auto at = std::lower_bound(facts_of_repository.manifests.begin(),
                               facts_of_repository.manifests.end(), sym);
    if (at == facts_of_repository.manifests.end() || *at != sym) {
        facts_of_repository.manifests.insert(at, sym);
        facts.repositories++;
        facts_of_repository.summary.generation = 0;
    }
    return facts.state == FactsState::manifest_only;
}

void SearchIndex::release_facts(Sym digest) {
    auto found = manifests_.find(digest);
    if (found == manifests_.end() || --found->second.repositories > 0) {
        return;
    }
    ManifestFacts& facts = found->second;
    release_annotations(facts);
    for (Sym sym : {facts.media_type, facts.artifact_type, facts.config_digest,
                    facts.config_media_type, facts.os, facts.arch}) {
        strings_.release(sym);
    }
    for (const LayerFact& layer : facts.layers) {
        strings_.release(layer.digest);
    }
    for (Sym child : facts.children) {
        strings_.release(child);
    }
    manifests_.erase(found);
    strings_.release(digest);
}

void SearchIndex::set_tag(std::string_view repository, std::string_view tag,
                          const oci::Digest& digest) {
    auto found_repository = repositories_.find(repository);
    auto sym = strings_.find(digest_key(digest));
    if (found_repository == repositories_.end() || !sym || !found_repository->second.holds(*sym)) {
        return; // a tag on a manifest the repository does not have: nothing to point at
    }
    const ManifestFacts* facts = &manifests_.at(*sym);
    found_repository->second.summary.generation = 0;
    std::vector<TagFact>& tags = found_repository->second.tags;
    auto at = lower(tags, [&](const TagFact& item) { return strings_.view(item.name) < tag; });
    if (at != tags.end() && strings_.view(at->name) == tag) {
        strings_.retain(*sym);
        strings_.release(at->digest);
        at->digest = *sym;
        at->facts = facts;
        return;
    }
    strings_.retain(*sym);
    tags.insert(at, TagFact{strings_.intern(tag), *sym, facts});
    tag_count_++;
}

void SearchIndex::remove_tag(std::string_view repository, std::string_view tag) {
    auto found_repository = repositories_.find(repository);
    if (found_repository == repositories_.end()) {
        return;
    }
    std::vector<TagFact>& tags = found_repository->second.tags;
    auto at = lower(tags, [&](const TagFact& item) { return strings_.view(item.name) < tag; });
    if (at != tags.end() && strings_.view(at->name) == tag) {
        found_repository->second.summary.generation = 0;
        strings_.release(at->name);
        strings_.release(at->digest);
        tags.erase(at);
        tag_count_--;
    }
}

void SearchIndex::remove_manifest(std::string_view repository, const oci::Digest& digest) {
    auto found_repository = repositories_.find(repository);
    auto sym = strings_.find(digest_key(digest));
    if (found_repository == repositories_.end() || !sym) {
        return;
    }
    RepositoryFacts& facts = found_repository->second;
    facts.summary.generation = 0;
    std::erase_if(facts.tags, [&](const TagFact& tag) {
        if (tag.digest != *sym) {
            return false;
        }
        strings_.release(tag.name);
        strings_.release(tag.digest);
        tag_count_--;
        return true;
    });
    auto at = std::lower_bound(facts.manifests.begin(), facts.manifests.end(), *sym);
    if (at != facts.manifests.end() && *at == *sym) {
        facts.manifests.erase(at);
        release_facts(*sym);
    }
    if (facts.manifests.empty() && facts.tags.empty() && facts.stars == 0) {
        repositories_.erase(found_repository);
    }
}

void SearchIndex::set_config(const oci::Digest& manifest, const ImageConfigFacts& config) {
    auto sym = strings_.find(digest_key(manifest));
    auto found = sym ? manifests_.find(*sym) : manifests_.end();
    if (found == manifests_.end()) {
        return;
    }
    ManifestFacts& facts = found->second;
    if (facts.state == FactsState::complete) {
        // Read again (two pushes raced the first read): summaries may show the old facts.
        // Summaries of manifests not yet complete were never kept.
        generation_++;
    }
    Sym os = strings_.intern(config.os);
    Sym arch = strings_.intern(config.architecture);
    strings_.release(facts.os);
    strings_.release(facts.arch);
    facts.os = os;
    facts.arch = arch;
    facts.has_created = config.created_ns.has_value();
    facts.created_ns = config.created_ns.value_or(0);
    // Facts from the manifest's annotations win over the config's labels; both are kept in
    // the derived fields only, so recompute them from what the manifest said first.
    oci::Annotations annotations;
    Sym* fields[] = {&facts.description,   &facts.licenses, &facts.title,   &facts.source,
                     &facts.documentation, &facts.vendor,   &facts.authors, &facts.labels};
    for (std::size_t i = 0; i < std::size(fields); ++i) {
        if (*fields[i] != 0) {
            annotations.emplace_back(annotation_keys[i][0], strings_.view(*fields[i]));
        }
    }
    set_annotation_facts(facts, annotations, config.labels);
    facts.state = FactsState::complete;
}

void SearchIndex::set_stars(std::string_view repository, std::uint32_t stars) {
    auto found = repositories_.find(repository);
    if (found != repositories_.end()) {
        found->second.stars = stars;
    }
}

const RepositoryFacts* SearchIndex::repository(std::string_view name) const {
    auto found = repositories_.find(name);
    return found == repositories_.end() ? nullptr : &found->second;
}

const ManifestFacts* SearchIndex::manifest(Sym digest) const {
    auto found = manifests_.find(digest);
    return found == manifests_.end() ? nullptr : &found->second;
}

std::optional<Sym> SearchIndex::find_digest(const oci::Digest& digest) const {
    return strings_.find(digest_key(digest));
}

const ManifestFacts* SearchIndex::manifest(const oci::Digest& digest) const {
    auto sym = find_digest(digest);
    return sym ? manifest(*sym) : nullptr;
}

std::size_t SearchIndex::memory_bytes() const {
    // Per map node: the red-black or hash node links next to the payload.
    constexpr std::size_t tree_node_bytes = 32;
    constexpr std::size_t hash_node_bytes = 16;
    std::size_t bytes = strings_.bytes();
    for (const auto& [name, facts] : repositories_) {
        bytes += tree_node_bytes + sizeof(name) + sizeof(facts) + name.capacity() + 1;
        bytes += facts.tags.capacity() * sizeof(TagFact);
        bytes += facts.manifests.capacity() * sizeof(Sym);
    }
    bytes += manifests_.bucket_count() * sizeof(void*);
    for (const auto& [sym, facts] : manifests_) {
        bytes += hash_node_bytes + sizeof(sym) + sizeof(facts);
        bytes += facts.layers.capacity() * sizeof(LayerFact);
        bytes += facts.children.capacity() * sizeof(Sym);
    }
    return bytes;
}

} // namespace berth::ext
