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
    image.facts = index_.manifest(tag.digest);
    if (image.facts != nullptr) {
        image.updated_ns = updated(*image.facts);
        auto digest = oci::parse_digest(index_.digest(tag.digest));
        if (digest) {
            if (auto usage = sources_.usage(repository, *digest)) {
                image.downloads = usage->downloads;
                image.pushed_ns = usage->pushed_ns;
                image.pulled_ns = usage->pulled_ns;
            }
        }
    }
    return image;
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

std::vector<ImageRef> Facts::all_images(std::string_view only_repository) const {
    std::vector<ImageRef> images;
    for (const auto& [name, repository] : index_.repositories()) {
        if ((!only_repository.empty() && name != only_repository) || repository.tags.empty() ||
            !sources_.may_read(name)) {
            continue;
        }
        for (const TagFact& tag : repository.tags) {
            ImageRef image = this->image(name, tag);
            if (image.facts != nullptr) {
                images.push_back(image);
            }
        }
    }
    return images;
}

void Facts::summarize(RepoRef& repository) const {
    std::vector<Sym> counted;
    auto count = [&](Sym digest, std::uint64_t size) {
        if (digest != 0 && std::find(counted.begin(), counted.end(), digest) == counted.end()) {
            counted.push_back(digest);
            repository.size += size;
        }
    };
    for (const TagFact& tag : repository.facts->tags) {
        ImageRef image = this->image(repository.name, tag);
        if (image.facts == nullptr) {
            continue;
        }
        repository.downloads += image.downloads;
        bool newer = !repository.newest ||
                     (image.updated_ns && (!repository.newest->updated_ns ||
                                           *image.updated_ns > *repository.newest->updated_ns));
        if (newer) {
            repository.newest = image;
            repository.updated_ns = image.updated_ns;
        }
        platforms(*image.facts, repository.platforms);
        count(tag.digest, image.facts->size);
        for (const auto& [digest, facts] : manifests(tag.digest, *image.facts)) {
            count(digest, facts->size);
            count(facts->config_digest, facts->config_size);
            for (const LayerFact& layer : facts->layers) {
                count(layer.digest, layer.size);
            }
            if (facts->vendor != 0 &&
                std::find(repository.vendors.begin(), repository.vendors.end(), facts->vendor) ==
                    repository.vendors.end()) {
                repository.vendors.push_back(facts->vendor);
            }
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

namespace {

bool alphabetic_less(const ImageRef& a, const ImageRef& b, const SearchIndex& index) {
    if (a.repository != b.repository) {
        return a.repository < b.repository;
    }
    return index.text(a.tag) < index.text(b.tag);
}

} // namespace

void sort_images(std::vector<ImageRef>& images, std::string_view sort, const SearchIndex& index) {
    auto by = [&](auto&& less) {
        std::stable_sort(images.begin(), images.end(), less);
    };
    auto alphabetic = [&](const ImageRef& a, const ImageRef& b) {
        return alphabetic_less(a, b, index);
    };
    if (sort == "ALPHABETIC_DSC") {
        by([&](const ImageRef& a, const ImageRef& b) { return alphabetic(b, a); });
    } else if (sort == "UPDATE_TIME") {
        by([](const ImageRef& a, const ImageRef& b) {
            return a.updated_ns.value_or(INT64_MIN) > b.updated_ns.value_or(INT64_MIN);
        });
    } else if (sort == "DOWNLOADS") {
        by([](const ImageRef& a, const ImageRef& b) { return a.downloads > b.downloads; });
    } else if (sort == "RELEVANCE") {
        by([&](const ImageRef& a, const ImageRef& b) {
            return a.rank != b.rank ? a.rank < b.rank : alphabetic(a, b);
        });
    } else {
        by(alphabetic);
    }
}

void sort_repositories(std::vector<RepoRef>& repositories, std::string_view sort) {
    auto by = [&](auto&& less) {
        std::stable_sort(repositories.begin(), repositories.end(), less);
    };
    if (sort == "ALPHABETIC_DSC") {
        by([](const RepoRef& a, const RepoRef& b) { return a.name > b.name; });
    } else if (sort == "UPDATE_TIME") {
        by([](const RepoRef& a, const RepoRef& b) {
            return a.updated_ns.value_or(INT64_MIN) > b.updated_ns.value_or(INT64_MIN);
        });
    } else if (sort == "DOWNLOADS") {
        by([](const RepoRef& a, const RepoRef& b) { return a.downloads > b.downloads; });
    } else if (sort == "STARS") {
        by([](const RepoRef& a, const RepoRef& b) { return a.facts->stars > b.facts->stars; });
    } else if (sort == "RELEVANCE") {
        by([](const RepoRef& a, const RepoRef& b) {
            return a.rank != b.rank ? a.rank < b.rank : a.name < b.name;
        });
    } else {
        by([](const RepoRef& a, const RepoRef& b) { return a.name < b.name; });
    }
}

} // namespace berth::ext::search
