// Writing Zot's output types (ImageSummary, ManifestSummary, RepoSummary and their parts) for
// the fields a query selected.
#pragma once

#include "search_exec.h"
#include "search_results.h"

#include <berth/util/json_writer.h>

namespace berth::ext::search {

class Writer {
public:
    Writer(util::JsonWriter& json, FieldCollector& collector, const Facts& facts,
           std::vector<MissingHistory>& missing)
        : json_(json), collector_(collector), facts_(facts), missing_(missing) {}

    void image(const ImageRef& image, const SelectionSets& sets);
    void images(const std::vector<ImageRef>& images, const SelectionSets& sets);
    // A PaginatedImagesResult: `total` images found, `shown` the page of them.
    void images_page(std::size_t total, const std::vector<ImageRef>& shown,
                     const SelectionSets& sets);
    void repository(RepoRef& repository, const SelectionSets& sets);
    void repositories(std::vector<RepoRef>& repositories, const SelectionSets& sets);
    void repositories_page(std::size_t total, std::vector<RepoRef> shown,
                           const SelectionSets& sets);
    void page_info(std::size_t total, std::size_t count, const SelectionSets& sets);
    void referrers(std::string_view repository, Sym digest, const SelectionSets& sets);
    void referrer(const storage::Referrer& referrer, const SelectionSets& sets);
    void empty_list() { json_.begin_array().end_array(); }

private:
    bool image_field(const ImageRef& image, const CollectedField& field);
    void manifest(std::string_view repository, Sym digest, const ManifestFacts& facts,
                  const SelectionSets& sets);
    bool manifest_field(std::string_view repository, Sym digest, const ManifestFacts& facts,
                        const CollectedField& field);
    bool repository_field(RepoRef& repository, const CollectedField& field);
    void platform(Sym os, Sym arch, const SelectionSets& sets);
    void layers(const std::vector<LayerFact>& layers, const SelectionSets& sets);
    void layer(const LayerFact& layer, const SelectionSets& sets);
    void history(std::string_view repository, const ManifestFacts& facts,
                 const SelectionSets& sets);
    void history_description(const HistoryEntry& entry, const SelectionSets& sets);
    void vulnerabilities(const SelectionSets& sets);
    void time(std::optional<std::int64_t> unix_ns);
    void text(Sym sym);
    void size(std::uint64_t bytes) { json_.string(std::to_string(bytes)); }
    // A fact of an image: its own, else (for an index) its first manifest's.
    Sym inherited(const ManifestFacts& facts, Sym ManifestFacts::*member) const;

    util::JsonWriter& json_;
    FieldCollector& collector_;
    const Facts& facts_;
    std::vector<MissingHistory>& missing_;
};

} // namespace berth::ext::search
