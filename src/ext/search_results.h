// What the query resolvers compute from the index before writing: image and repository
// summaries with the derived facts (sizes, platforms, last update), filters, ordering and
// pages, as Zot's search defines them.
#pragma once

#include <berth/ext/graphql.h>
#include <berth/ext/search_index.h>
#include <berth/ext/search_query.h>

#include <algorithm>
#include <cstddef>
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
    int rank = 0;               // how well the repository matched a search
    std::uint32_t position = 0; // in the order images were found: ties keep it
    // From SearchSources::usage, read only for the images shown (or sorted by downloads).
    bool usage_known = false;
    std::uint64_t downloads = 0;
    std::optional<std::int64_t> pushed_ns;
    std::optional<std::int64_t> pulled_ns;
};

struct RepoRef {
    std::string_view name;
    const RepositoryFacts* facts = nullptr;
    const RepositorySummary* summary = nullptr;
    int rank = 0;
    std::uint32_t position = 0;
    // Read only for the repositories shown (or sorted by downloads): Facts::complete().
    bool complete = false;
    std::optional<ImageRef> newest;
    std::uint64_t downloads = 0;
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

    // An image of a tag, without its usage (fill_usage adds it).
    ImageRef image(std::string_view repository, const TagFact& tag) const;
    void fill_usage(ImageRef& image) const;
    std::optional<std::int64_t> updated(const ManifestFacts& facts) const;
    std::uint64_t total_size(const ManifestFacts& facts) const;
    void platforms(const ManifestFacts& facts, std::vector<std::pair<Sym, Sym>>& out) const;
    // The manifests an image stands for: itself, or the children of an index.
    std::vector<std::pair<Sym, const ManifestFacts*>> manifests(Sym digest,
                                                                const ManifestFacts& facts) const;
    bool passes(const ImageRef& image, const Filter& filter) const;
    // The repository's summary, computed now unless the index kept a current one.
    const RepositorySummary& summary(const RepositoryFacts& repository) const;
    RepoRef repository(std::string_view name, const RepositoryFacts& facts, int rank) const;
    // The newest image with its usage, and the downloads of every tag.
    void complete(RepoRef& repository) const;
    // Calls `visit(ImageRef)` for every tag of the readable repositories (one when named).
    template <class Visit>
    void each_image(std::string_view only_repository, Visit&& visit) const;

    const SearchIndex& index() const { return index_; }
    const SearchSources& sources() const { return sources_; }

private:
    void compute_summary(const RepositoryFacts& repository, RepositorySummary& out) const;

    const SearchIndex& index_;
    const SearchSources& sources_;
};

template <class Visit>
void Facts::each_image(std::string_view only_repository, Visit&& visit) const {
    auto one = [&](std::string_view name, const RepositoryFacts& repository) {
        if (repository.tags.empty() || !sources_.may_read(name)) {
            return;
        }
        for (const TagFact& tag : repository.tags) {
            visit(image(name, tag));
        }
    };
    if (!only_repository.empty()) {
        auto found = index_.repositories().find(only_repository);
        if (found != index_.repositories().end()) {
            one(found->first, found->second);
        }
        return;
    }
    for (const auto& [name, repository] : index_.repositories()) {
        one(name, repository);
    }
}

// Zot's ranking of a repository name against a search text: 0 for an exact match, higher for
// weaker ones, -1 for no match.
int rank_repository(std::string_view query, std::string_view name);

enum class SortKey : std::uint8_t {
    alphabetic_asc,
    alphabetic_dsc,
    update_time,
    downloads,
    relevance,
    stars
};
SortKey sort_key(std::string_view sort);

// Orders of images and repositories as Zot sorts them; equal items keep the order they were
// found in (`position`), so a partial sort gives the same page as a stable sort of all.
struct ImageOrder {
    SortKey key;
    const SearchIndex* index;
    bool operator()(const ImageRef& a, const ImageRef& b) const;
};
struct RepoOrder {
    SortKey key;
    bool operator()(const RepoRef& a, const RepoRef& b) const;
};

// Keeps the first `offset + limit` items of an order while they arrive, so a page of 15 out of
// 100,000 images costs a heap of 15, not a sort of 100,000.
template <class T, class Order>
class PageSelector {
public:
    PageSelector(const Page& page, Order order)
        : page_(page), order_(order),
          keep_(page.limit == 0 ? SIZE_MAX : page.offset + std::min(page.limit, SIZE_MAX / 2)) {}

    void add(T item) {
        item.position = static_cast<std::uint32_t>(total_++);
        if (items_.size() < keep_) {
            items_.push_back(std::move(item));
            if (keep_ != SIZE_MAX) {
                std::push_heap(items_.begin(), items_.end(), order_);
            }
        } else if (order_(item, items_.front())) {
            std::pop_heap(items_.begin(), items_.end(), order_);
            items_.back() = std::move(item);
            std::push_heap(items_.begin(), items_.end(), order_);
        }
    }
    // Whether the page is complete so far: an item must then beat worst() to get in.
    bool full() const { return keep_ != SIZE_MAX && items_.size() == keep_; }
    const T& worst() const { return items_.front(); }
    // The position the next item will have.
    std::uint32_t next_position() const { return static_cast<std::uint32_t>(total_); }
    // Counts an item that cannot make the page.
    void skip() { total_++; }
    std::size_t total() const { return total_; }
    const Page& page() const { return page_; }
    // The page, in order.
    std::vector<T> take() {
        if (keep_ != SIZE_MAX) {
            std::sort_heap(items_.begin(), items_.end(), order_);
        } else {
            std::sort(items_.begin(), items_.end(), order_);
        }
        std::size_t start = std::min(page_.offset, items_.size());
        items_.erase(items_.begin(), items_.begin() + static_cast<long>(start));
        return std::move(items_);
    }

private:
    Page page_;
    Order order_;
    std::size_t keep_;
    std::size_t total_ = 0;
    std::vector<T> items_;
};

using ImageSelector = PageSelector<ImageRef, ImageOrder>;
using RepoSelector = PageSelector<RepoRef, RepoOrder>;

} // namespace berth::ext::search
