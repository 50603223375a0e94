// What the query resolvers compute from the index before writing: image and repository
// summaries with the derived facts (sizes, platforms, last update), filters, ordering and
// pages, as Zot's search defines them.
#pragma once

#include <berth/ext/graphql.h>
#include <berth/ext/search_index.h>
#include <berth/ext/search_query.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::ext::search {

struct ImageRef {
    std::string_view repository;
    Sym tag = 0;
    Sym digest = 0;
    const ManifestFacts* facts = nullptr;
    std::optional<std::int64_t> updated_ns;
    std::uint64_t downloads = 0;
    int rank = 0; // how well the repository matched a search
    std::optional<std::int64_t> pushed_ns;
    std::optional<std::int64_t> pulled_ns;
};

struct RepoRef {
    std::string_view name;
    const RepositoryFacts* facts = nullptr;
    int rank = 0;
    // Derived from the repository's tagged images, filled by summarize().
    std::optional<ImageRef> newest;
    std::optional<std::int64_t> updated_ns;
    std::uint64_t size = 0;
    std::uint64_t downloads = 0;
    std::vector<std::pair<Sym, Sym>> platforms; // (os, arch), distinct
    std::vector<Sym> vendors;                   // distinct, non-empty
};

struct Page {
    std::size_t limit = 0; // 0: everything
    std::size_t offset = 0;
    std::string sort;
};

struct Filter {
    std::vector<std::string> os;
    std::vector<std::string> arch;
    std::optional<bool> signed_only;
    std::optional<bool> bookmarked;
    std::optional<bool> starred;
};

// Reads requestedPage; an error message for negative numbers.
Expected<Page, std::string> read_page(const graphql::Value& value, std::string_view default_sort);
Filter read_filter(const graphql::Value& value);

class Facts {
public:
    Facts(const SearchIndex& index, const SearchSources& sources)
        : index_(index), sources_(sources) {}

    ImageRef image(std::string_view repository, const TagFact& tag) const;
    std::optional<std::int64_t> updated(const ManifestFacts& facts) const;
    std::uint64_t total_size(const ManifestFacts& facts) const;
    void platforms(const ManifestFacts& facts, std::vector<std::pair<Sym, Sym>>& out) const;
    // The manifests an image stands for: itself, or the children of an index.
    std::vector<std::pair<Sym, const ManifestFacts*>> manifests(Sym digest,
                                                                const ManifestFacts& facts) const;
    bool passes(const ImageRef& image, const Filter& filter) const;
    void summarize(RepoRef& repository) const;
    // Images of readable repositories, every tag.
    std::vector<ImageRef> all_images(std::string_view only_repository) const;

    const SearchIndex& index() const { return index_; }
    const SearchSources& sources() const { return sources_; }

private:
    const SearchIndex& index_;
    const SearchSources& sources_;
};

// Zot's ranking of a repository name against a search text: 0 for an exact match, higher for
// weaker ones, -1 for no match.
int rank_repository(std::string_view query, std::string_view name);

void sort_images(std::vector<ImageRef>& images, std::string_view sort, const SearchIndex& index);
void sort_repositories(std::vector<RepoRef>& repositories, std::string_view sort);

// The part of `items` a page asks for.
template <class T>
std::vector<T> page_of(std::vector<T> items, const Page& page) {
    std::size_t start = std::min(page.offset, items.size());
    std::size_t end = page.limit == 0 ? items.size() : std::min(items.size(), start + page.limit);
    return std::vector<T>(std::make_move_iterator(items.begin() + static_cast<long>(start)),
                          std::make_move_iterator(items.begin() + static_cast<long>(end)));
}

} // namespace berth::ext::search
