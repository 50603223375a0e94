#include "search_results.h"

#include <algorithm>

namespace berth::ext::search {

using graphql::Value;
using graphql::ValueKind;

Expected<Page, std::string> read_page(const Value& value, std::string_view default_sort) {
    Page page;
    page.sort = default_sort;
    if (value.kind != ValueKind::object) {
        return page;
    }
    const Value* limit = value.member("limit");
    const Value* offset = value.member("offset");
    const Value* sort = value.member("sortBy");
    if ((limit != nullptr && limit->kind == ValueKind::integer && limit->integer < 0) ||
        (offset != nullptr && offset->kind == ValueKind::integer && offset->integer < 0)) {
        return Unexpected(std::string("pagination: limit and offset must not be negative"));
    }
    if (limit != nullptr && limit->kind == ValueKind::integer) {
        page.limit = static_cast<std::size_t>(limit->integer);
    }
    if (offset != nullptr && offset->kind == ValueKind::integer) {
        page.offset = static_cast<std::size_t>(offset->integer);
    }
    if (sort != nullptr && sort->kind == ValueKind::enumeration) {
        page.sort = sort->text;
    }
    return page;
}

Filter read_filter(const Value& value) {
    Filter filter;
    if (value.kind != ValueKind::object) {
        return filter;
    }
    auto strings = [&](std::string_view name, std::vector<std::string>& out) {
        if (const Value* list = value.member(name); list != nullptr) {
            for (const Value& item : list->items) {
                if (item.kind == ValueKind::string && !item.text.empty()) {
                    out.push_back(item.text);
                }
            }
        }
    };
    auto flag = [&](std::string_view name, std::optional<bool>& out) {
        if (const Value* item = value.member(name);
            item != nullptr && item->kind == ValueKind::boolean) {
            out = item->boolean;
        }
    };
    strings("Os", filter.os);
    strings("Arch", filter.arch);
    flag("HasToBeSigned", filter.signed_only);
    flag("IsBookmarked", filter.bookmarked);
    flag("IsStarred", filter.starred);
    return filter;
}

std::optional<std::int64_t> Facts::updated(const ManifestFacts& facts) const {
    if (facts.children.empty()) {
        return facts.has_created ? std::optional<std::int64_t>(facts.created_ns) : std::nullopt;
    }
    std::optional<std::int64_t> newest;
    for (Sym child : facts.children) {
        const ManifestFacts* child_facts = index_.manifest(child);
        if (child_facts != nullptr && child_facts->children.empty() && child_facts->has_created &&
            (!newest || child_facts->created_ns > *newest)) {
            newest = child_facts->created_ns;
        }
    }
    return newest;
}

std::uint64_t Facts::total_size(const ManifestFacts& facts) const {
    std::uint64_t size = facts.size + facts.config_size;
    for (const LayerFact& layer : facts.layers) {
        size += layer.size;
    }
    for (Sym child : facts.children) {
        const ManifestFacts* child_facts = index_.manifest(child);
        // One level: an index of indexes is counted by its own bytes only.
        if (child_facts != nullptr && child_facts->children.empty()) {
            size += total_size(*child_facts);
        }
    }
    return size;
}

void Facts::platforms(const ManifestFacts& facts, std::vector<std::pair<Sym, Sym>>& out) const {
    auto add = [&](const ManifestFacts& item) {
        if (item.os == 0 && item.arch == 0) {
            return;
        }
        std::pair<Sym, Sym> platform{item.os, item.arch};
        if (std::find(out.begin(), out.end(), platform) == out.end()) {
            out.push_back(platform);
        }
    };
    if (facts.children.empty()) {
        add(facts);
    }
    for (Sym child : facts.children) {
        if (const ManifestFacts* child_facts = index_.manifest(child)) {
            add(*child_facts);
        }
    }
}

std::vector<std::pair<Sym, const ManifestFacts*>>
Facts::manifests(Sym digest, const ManifestFacts& facts) const {
    std::vector<std::pair<Sym, const ManifestFacts*>> out;
    if (facts.children.empty()) {
        out.emplace_back(digest, &facts);
        return out;
    }
    for (Sym child : facts.children) {
        const ManifestFacts* child_facts = index_.manifest(child);
        if (child_facts != nullptr && child_facts->children.empty()) {
            out.emplace_back(child, child_facts);
        }
    }
    return out;
}

ImageRef Facts::image(std::string_view repository, const TagFact& tag) const {
    ImageRef image;
    image.repository = repository;
    image.tag = tag.name;
    image.digest = tag.digest;
    image.facts = tag.facts;
    if (image.facts != nullptr) {
        image.updated_ns = updated(*image.facts);
    }
    return image;
}

void Facts::fill_usage(ImageRef& image) const {
    if (image.usage_known) {
        return;
    }
    image.usage_known = true;
    if (image.facts == nullptr) {
        return;
    }
    auto digest = oci::parse_digest(index_.digest(image.digest));
    if (!digest) {
        return;
    }
    if (auto usage = sources_.usage(image.repository, *digest)) {
        image.downloads = usage->downloads;
        image.pushed_ns = usage->pushed_ns;
        image.pulled_ns = usage->pulled_ns;
    }
}

bool Facts::passes(const ImageRef& image, const Filter& filter) const {
    if (image.facts == nullptr || filter.signed_only.value_or(false)) {
        return image.facts != nullptr && !filter.signed_only.value_or(false);
    }
    if (filter.bookmarked && sources_.bookmarked(image.repository) != *filter.bookmarked) {
        return false;
    }
    if (filter.starred && sources_.starred(image.repository) != *filter.starred) {
        return false;
    }
    if (filter.os.empty() && filter.arch.empty()) {
        return true;
    }
    std::vector<std::pair<Sym, Sym>> found;
    platforms(*image.facts, found);
    auto listed = [](const std::vector<std::string>& wanted, std::string_view value) {
        return wanted.empty() || std::find(wanted.begin(), wanted.end(), value) != wanted.end();
    };
    return std::any_of(found.begin(), found.end(), [&](const auto& platform) {
        return listed(filter.os, index_.text(platform.first)) &&
               listed(filter.arch, index_.text(platform.second));
    });
}

namespace {

// Whether a summary that used these facts may be kept: facts whose config is still being
// read change without the repository changing, and so would an index's child that the
// repository does not hold itself.
bool settled(const RepositoryFacts& repository, const SearchIndex& index,
             const ManifestFacts& facts) {
    if (facts.state != FactsState::complete) {
        return false;
    }
    for (Sym child : facts.children) {
        const ManifestFacts* child_facts = index.manifest(child);
        if (child_facts == nullptr || child_facts->state != FactsState::complete ||
            !repository.holds(child)) {
            return false;
        }
    }
    return true;
}

} // namespace

const RepositorySummary& Facts::summary(const RepositoryFacts& repository) const {
    RepositorySummary& kept = repository.summary;
    if (kept.generation != index_.generation()) {
        compute_summary(repository, kept);
    }
    return kept;
}

void Facts::compute_summary(const RepositoryFacts& repository, RepositorySummary& out) const {
    out = RepositorySummary{};
    out.tag_updated_ns.assign(repository.tags.size(), INT64_MIN);
    bool keep = true;
    // Every blob and manifest counts once, at the size it was first seen with.
    std::vector<std::pair<Sym, std::uint64_t>> counted;
    auto count = [&](Sym digest, std::uint64_t size) {
        if (digest != 0) {
            counted.emplace_back(digest, size);
        }
    };
    for (std::size_t position = 0; position < repository.tags.size(); ++position) {
        const TagFact& tag = repository.tags[position];
        if (tag.facts == nullptr) {
            continue;
        }
        keep = keep && settled(repository, index_, *tag.facts);
        std::optional<std::int64_t> updated_ns = updated(*tag.facts);
        out.tag_updated_ns[position] = updated_ns.value_or(INT64_MIN);
        bool newer = out.newest == RepositorySummary::none ||
                     (updated_ns && (!out.updated_ns || *updated_ns > *out.updated_ns));
        if (newer) {
            out.newest = static_cast<std::uint32_t>(position);
            out.updated_ns = updated_ns;
        }
        platforms(*tag.facts, out.platforms);
        count(tag.digest, tag.facts->size);
        for (const auto& [digest, facts] : manifests(tag.digest, *tag.facts)) {
            count(digest, facts->size);
            count(facts->config_digest, facts->config_size);
            for (const LayerFact& layer : facts->layers) {
                count(layer.digest, layer.size);
            }
            if (facts->vendor != 0 && std::find(out.vendors.begin(), out.vendors.end(),
                                                facts->vendor) == out.vendors.end()) {
                out.vendors.push_back(facts->vendor);
            }
        }
    }
    std::stable_sort(counted.begin(), counted.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < counted.size(); ++i) {
        if (i == 0 || counted[i].first != counted[i - 1].first) {
            out.size += counted[i].second;
        }
    }
    out.platforms.shrink_to_fit();
    out.vendors.shrink_to_fit();
    out.generation = keep ? index_.generation() : 0;
}

RepoRef Facts::repository(std::string_view name, const RepositoryFacts& facts, int rank) const {
    RepoRef repository;
    repository.name = name;
    repository.facts = &facts;
    repository.summary = &summary(facts);
    repository.rank = rank;
    return repository;
}

void Facts::complete(RepoRef& repository) const {
    if (repository.complete) {
        return;
    }
    repository.complete = true;
    const std::vector<TagFact>& tags = repository.facts->tags;
    for (std::size_t position = 0; position < tags.size(); ++position) {
        ImageRef image = this->image(repository.name, tags[position]);
        if (image.facts == nullptr) {
            continue;
        }
        fill_usage(image);
        repository.downloads += image.downloads;
        if (position == repository.summary->newest) {
            repository.newest = image;
        }
    }
}

int rank_repository(std::string_view query, std::string_view name) {
    while (query.starts_with('/')) {
        query.remove_prefix(1);
    }
    while (query.ends_with('/')) {
        query.remove_suffix(1);
    }
    if (query == name) {
        return 0;
    }
    std::size_t slash = name.rfind('/');
    std::string_view last = slash == std::string_view::npos ? name : name.substr(slash + 1);
    if (std::size_t at = last.find(query); at != std::string_view::npos) {
        return static_cast<int>(at) + 1;
    }
    if (std::size_t at = name.find(query); at != std::string_view::npos) {
        // A match outside the last component ranks behind any match within it.
        return static_cast<int>(name.size() + at) + 1;
    }
    return -1;
}

SortKey sort_key(std::string_view sort) {
    if (sort == "ALPHABETIC_DSC") {
        return SortKey::alphabetic_dsc;
    }
    if (sort == "UPDATE_TIME") {
        return SortKey::update_time;
    }
    if (sort == "DOWNLOADS") {
        return SortKey::downloads;
    }
    if (sort == "RELEVANCE") {
        return SortKey::relevance;
    }
    if (sort == "STARS") {
        return SortKey::stars;
    }
    return SortKey::alphabetic_asc;
}

namespace {

// -1, 0, 1 as a is before, level with or after b by name (repository, then tag).
int compare_names(const ImageRef& a, const ImageRef& b, const SearchIndex& index) {
    if (a.repository != b.repository) {
        return a.repository < b.repository ? -1 : 1;
    }
    std::string_view a_tag = index.text(a.tag);
    std::string_view b_tag = index.text(b.tag);
    return a_tag == b_tag ? 0 : a_tag < b_tag ? -1 : 1;
}

template <class T>
int compare(const T& a, const T& b) {
    return a == b ? 0 : a < b ? -1 : 1;
}

} // namespace

bool ImageOrder::operator()(const ImageRef& a, const ImageRef& b) const {
    int order = 0;
    switch (key) {
    case SortKey::alphabetic_dsc:
        order = compare_names(b, a, *index);
        break;
    case SortKey::update_time:
        order = compare(b.updated_ns.value_or(INT64_MIN), a.updated_ns.value_or(INT64_MIN));
        break;
    case SortKey::downloads:
        order = compare(b.downloads, a.downloads);
        break;
    case SortKey::relevance:
        order = a.rank != b.rank ? compare(a.rank, b.rank) : compare_names(a, b, *index);
        break;
    case SortKey::alphabetic_asc:
    case SortKey::stars: // images have no stars: by name, as Zot
        order = compare_names(a, b, *index);
        break;
    }
    return order != 0 ? order < 0 : a.position < b.position;
}

bool RepoOrder::operator()(const RepoRef& a, const RepoRef& b) const {
    int order = 0;
    switch (key) {
    case SortKey::alphabetic_dsc:
        order = compare(b.name, a.name);
        break;
    case SortKey::update_time:
        order = compare(b.summary->updated_ns.value_or(INT64_MIN),
                        a.summary->updated_ns.value_or(INT64_MIN));
        break;
    case SortKey::downloads:
        order = compare(b.downloads, a.downloads);
        break;
    case SortKey::stars:
        order = compare(b.facts->stars, a.facts->stars);
        break;
    case SortKey::relevance:
        order = a.rank != b.rank ? compare(a.rank, b.rank) : compare(a.name, b.name);
        break;
    case SortKey::alphabetic_asc:
        order = compare(a.name, b.name);
        break;
    }
    return order != 0 ? order < 0 : a.position < b.position;
}

} // namespace berth::ext::search
