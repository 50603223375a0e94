// run_query: parse, validate, execute each root field, and assemble the response.
#include "search_exec.h"
#include "search_write.h"

#include <berth/ext/search_query.h>
#include <berth/ext/search_time.h>

#include <algorithm>

namespace berth::ext::search {

// ---- repositories --------------------------------------------------------------------------

void Writer::repository(RepoRef& repository, const SelectionSets& sets) {
    json_.begin_object();
    for (const CollectedField& field : collector_.fields("RepoSummary", sets)) {
        json_.key(field.key);
        if (!repository_field(repository, field)) {
            json_.null();
        }
    }
    json_.end_object();
}

bool Writer::repository_field(RepoRef& repository, const CollectedField& field) {
    std::string_view name = field.field->name;
    const SearchSources& sources = facts_.sources();
    if (name == "Name") {
        json_.string(repository.name);
    } else if (name == "LastUpdated") {
        time(repository.summary->updated_ns);
    } else if (name == "Size") {
        size(repository.summary->size);
    } else if (name == "Platforms") {
        json_.begin_array();
        for (const auto& [os, arch] : repository.summary->platforms) {
            platform(os, arch, field.children);
        }
        json_.end_array();
    } else if (name == "Vendors") {
        json_.begin_array();
        for (Sym vendor : repository.summary->vendors) {
            text(vendor);
        }
        json_.end_array();
    } else if (name == "NewestImage" && repository.summary->newest != RepositorySummary::none) {
        facts_.complete(repository);
        image(*repository.newest, field.children);
    } else if (name == "DownloadCount") {
        facts_.complete(repository);
        json_.uint64(repository.downloads);
    } else if (name == "StarCount") {
        json_.uint64(repository.facts->stars);
    } else if (name == "IsBookmarked") {
        json_.boolean(sources.bookmarked(repository.name));
    } else if (name == "IsStarred") {
        json_.boolean(sources.starred(repository.name));
    } else if (name == "Rank") {
        json_.int64(repository.rank);
    } else if (name == "__typename") {
        json_.string("RepoSummary");
    } else {
        return false;
    }
    return true;
}

void Writer::repositories(std::vector<RepoRef>& items, const SelectionSets& sets) {
    json_.begin_array();
    for (RepoRef& item : items) {
        repository(item, sets);
    }
    json_.end_array();
}

void Writer::repositories_page(std::size_t total, std::vector<RepoRef> shown,
                               const SelectionSets& sets) {
    json_.begin_object();
    for (const CollectedField& field : collector_.fields("PaginatedReposResult", sets)) {
        json_.key(field.key);
        if (field.field->name == "Page") {
            page_info(total, shown.size(), field.children);
        } else if (field.field->name == "Results") {
            repositories(shown, field.children);
        } else {
            json_.string("PaginatedReposResult");
        }
    }
    json_.end_object();
}

namespace {

using graphql::Value;

// One request's execution of its root fields.
class Executor {
public:
    Executor(const Facts& facts, FieldCollector& collector, const Variables& variables,
             std::vector<MissingHistory>& missing, util::JsonWriter& json)
        : facts_(facts), collector_(collector), variables_(variables), json_(json),
          writer_(json, collector, facts, missing) {}

    // Writes the field's value; an error message (and nothing written) when it fails.
    std::optional<std::string> resolve(const CollectedField& field);

private:
    Value arg(const CollectedField& field, std::string_view name) const {
        return argument(*field.field, name, variables_);
    }
    std::optional<std::string> image_list(const CollectedField& field);
    std::optional<std::string> image_for_digest(const CollectedField& field);
    std::optional<std::string> repo_list(const CollectedField& field, int which);
    std::optional<std::string> expanded_repo(const CollectedField& field);
    std::optional<std::string> global_search(const CollectedField& field);
    std::optional<std::string> lineage(const CollectedField& field, bool derived);
    std::optional<std::string> single_image(const CollectedField& field);
    std::optional<std::string> referrers(const CollectedField& field);
    std::optional<ImageRef> find_image(std::string_view reference) const;
    RepoSelector readable_repositories(std::string_view query, const Filter& filter,
                                       const Page& page);
    // ImageList over every repository, ordered by anything but downloads.
    void every_image(ImageSelector& selected) const;
    void write_search_result(const CollectedField& field, std::size_t total,
                             std::vector<RepoRef>& repositories,
                             const std::vector<ImageRef>& images);
    ImageSelector images_for(const Page& page) const {
        return ImageSelector(page, ImageOrder{sort_key(page.sort), &facts_.index()});
    }
    // Sorting by downloads needs every image's usage; the other orders only the page's.
    void add(ImageSelector& selected, ImageRef image) const {
        if (sort_key(selected.page().sort) == SortKey::downloads) {
            facts_.fill_usage(image);
        }
        selected.add(std::move(image));
    }

    const Facts& facts_;
    FieldCollector& collector_;
    const Variables& variables_;
    util::JsonWriter& json_;
    Writer writer_;
};

std::optional<std::string> Executor::resolve(const CollectedField& field) {
    std::string_view name = field.field->name;
    if (is_cve_query(name)) {
        return std::string("CVE scanning is not enabled: berth has no vulnerability scanner");
    }
    if (name == "ImageList") {
        return image_list(field);
    }
    if (name == "ImageListForDigest") {
        return image_for_digest(field);
    }
    if (name == "RepoListWithNewestImage" || name == "StarredRepos" || name == "BookmarkedRepos") {
        return repo_list(field, name == "StarredRepos" ? 1 : name == "BookmarkedRepos" ? 2 : 0);
    }
    if (name == "ExpandedRepoInfo") {
        return expanded_repo(field);
    }
    if (name == "GlobalSearch") {
        return global_search(field);
    }
    if (name == "DerivedImageList" || name == "BaseImageList") {
        return lineage(field, name == "DerivedImageList");
    }
    if (name == "Image") {
        return single_image(field);
    }
    if (name == "Referrers") {
        return referrers(field);
    }
    if (name == "__schema") {
        write_schema(json_, collector_, field.children);
    } else if (name == "__type") {
        write_type_named(json_, collector_, arg(field, "name").text, field.children);
    } else {
        json_.string("Query");
    }
    return std::nullopt;
}

std::optional<std::string> Executor::image_list(const CollectedField& field) {
    auto page = read_page(arg(field, "requestedPage"), "ALPHABETIC_ASC");
    if (!page) {
        return page.error();
    }
    // Zot answers an unknown repository with an empty page, as for one the caller cannot read.
    ImageSelector selected = images_for(*page);
    std::string repository = arg(field, "repo").text;
    if (!repository.empty() || sort_key(page->sort) == SortKey::downloads) {
        facts_.each_image(repository, [&](ImageRef image) {
            if (image.facts != nullptr) {
                add(selected, std::move(image));
            }
        });
    } else {
        every_image(selected);
    }
    writer_.images_page(selected.total(), selected.take(), field.children);
    return std::nullopt;
}

void Executor::every_image(ImageSelector& selected) const {
    // What the order compares, from the repositories' summaries: an image that cannot make the
    // page is counted without reading its facts.
    ImageOrder order{sort_key(selected.page().sort), &facts_.index()};
    for (const auto& [name, repository] : facts_.index().repositories()) {
        if (repository.tags.empty() || !facts_.sources().may_read(name)) {
            continue;
        }
        const RepositorySummary& summary = facts_.summary(repository);
        for (std::size_t i = 0; i < repository.tags.size(); ++i) {
            const TagFact& tag = repository.tags[i];
            if (tag.facts == nullptr) {
                continue;
            }
            if (selected.full()) {
                ImageRef probe;
                probe.repository = name;
                probe.tag = tag.name;
                std::int64_t updated_ns = summary.tag_updated_ns[i];
                probe.updated_ns = updated_ns == INT64_MIN
                                       ? std::nullopt
                                       : std::optional<std::int64_t>(updated_ns);
                probe.position = selected.next_position();
                if (!order(probe, selected.worst())) {
                    selected.skip();
                    continue;
                }
            }
            selected.add(facts_.image(name, tag));
        }
    }
}

std::optional<std::string> Executor::image_for_digest(const CollectedField& field) {
    auto page = read_page(arg(field, "requestedPage"), "ALPHABETIC_ASC");
    if (!page) {
        return page.error();
    }
    auto digest = oci::parse_digest(arg(field, "id").text);
    std::optional<Sym> wanted = digest ? facts_.index().find_digest(*digest) : std::nullopt;
    ImageSelector selected = images_for(*page);
    auto holds = [&](const ImageRef& image) {
        bool found = image.digest == *wanted;
        for (const auto& [manifest_digest, facts] : facts_.manifests(image.digest, *image.facts)) {
            found = found || manifest_digest == *wanted || facts->config_digest == *wanted ||
                    std::any_of(facts->layers.begin(), facts->layers.end(),
                                [&](const LayerFact& layer) { return layer.digest == *wanted; });
        }
        return found;
    };
    if (wanted) {
        facts_.each_image({}, [&](ImageRef image) {
            if (image.facts != nullptr && holds(image)) {
                add(selected, std::move(image));
            }
        });
    }
    writer_.images_page(selected.total(), selected.take(), field.children);
    return std::nullopt;
}

RepoSelector Executor::readable_repositories(std::string_view query, const Filter& filter,
                                             const Page& page) {
    SortKey key = sort_key(page.sort);
    RepoSelector selected(page, RepoOrder{key});
    const SearchSources& sources = facts_.sources();
    for (const auto& [name, facts] : facts_.index().repositories()) {
        int rank = rank_repository(query, name);
        if (facts.tags.empty() || rank < 0 || !sources.may_read(name)) {
            continue;
        }
        RepoRef repository = facts_.repository(name, facts, rank);
        std::uint32_t newest = repository.summary->newest;
        if (newest == RepositorySummary::none ||
            !facts_.passes(facts_.image(name, facts.tags[newest]), filter)) {
            bool any = false;
            for (const TagFact& tag : facts.tags) {
                any = any || facts_.passes(facts_.image(name, tag), filter);
            }
            if (!any) {
                continue;
            }
        }
        if (key == SortKey::downloads) {
            facts_.complete(repository);
        }
        selected.add(std::move(repository));
    }
    return selected;
}

std::optional<std::string> Executor::repo_list(const CollectedField& field, int which) {
    auto page =
        read_page(arg(field, "requestedPage"), which == 0 ? "UPDATE_TIME" : "ALPHABETIC_ASC");
    if (!page) {
        return page.error();
    }
    Filter filter;
    if (which == 1) {
        filter.starred = true;
    } else if (which == 2) {
        filter.bookmarked = true;
    }
    RepoSelector selected = readable_repositories("", filter, *page);
    writer_.repositories_page(selected.total(), selected.take(), field.children);
    return std::nullopt;
}

std::optional<std::string> Executor::expanded_repo(const CollectedField& field) {
    std::string name = arg(field, "repo").text;
    auto found = facts_.index().repositories().find(name);
    bool visible = found != facts_.index().repositories().end() && !found->second.tags.empty() &&
                   facts_.sources().may_read(name);
    ImageSelector selected(Page{}, ImageOrder{SortKey::update_time, &facts_.index()});
    if (visible) {
        facts_.each_image(name, [&](ImageRef image) {
            if (image.facts != nullptr) {
                selected.add(std::move(image));
            }
        });
    }
    std::vector<ImageRef> images = selected.take();
    json_.begin_object();
    for (const CollectedField& item : collector_.fields("RepoInfo", field.children)) {
        json_.key(item.key);
        if (item.field->name == "Images") {
            writer_.images(images, item.children);
        } else if (item.field->name == "Summary" && visible) {
            RepoRef repository = facts_.repository(found->first, found->second, 0);
            writer_.repository(repository, item.children);
        } else if (item.field->name == "__typename") {
            json_.string("RepoInfo");
        } else {
            json_.null();
        }
    }
    json_.end_object();
    return std::nullopt;
}

std::optional<std::string> Executor::global_search(const CollectedField& field) {
    auto page = read_page(arg(field, "requestedPage"), "RELEVANCE");
    if (!page) {
        return page.error();
    }
    std::string query = arg(field, "query").text;
    Filter filter = read_filter(arg(field, "filter"));
    // "repo:tag" searches the tags of one repository (by prefix); anything else, names.
    std::size_t colon = query.find(':');
    std::vector<RepoRef> repositories;
    std::vector<ImageRef> images;
    std::size_t total = 0;
    if (colon == std::string::npos) {
        RepoSelector selected = readable_repositories(query, filter, *page);
        total = selected.total();
        repositories = selected.take();
    } else {
        std::string_view repository = std::string_view(query).substr(0, colon);
        std::string_view prefix = std::string_view(query).substr(colon + 1);
        ImageSelector selected = images_for(*page);
        if (!repository.empty()) {
            facts_.each_image(repository, [&](ImageRef image) {
                if (image.facts != nullptr && facts_.index().text(image.tag).starts_with(prefix) &&
                    facts_.passes(image, filter)) {
                    add(selected, std::move(image));
                }
            });
        }
        total = selected.total();
        images = selected.take();
    }
    write_search_result(field, total, repositories, images);
    return std::nullopt;
}

void Executor::write_search_result(const CollectedField& field, std::size_t total,
                                   std::vector<RepoRef>& repositories,
                                   const std::vector<ImageRef>& images) {
    json_.begin_object();
    for (const CollectedField& item : collector_.fields("GlobalSearchResult", field.children)) {
        json_.key(item.key);
        std::string_view name = item.field->name;
        if (name == "Page") {
            writer_.page_info(total, repositories.size() + images.size(), item.children);
        } else if (name == "Images") {
            writer_.images(images, item.children);
        } else if (name == "Repos") {
            writer_.repositories(repositories, item.children);
        } else if (name == "Layers") {
            writer_.empty_list();
        } else {
            json_.string("GlobalSearchResult");
        }
    }
    json_.end_object();
}

std::optional<ImageRef> Executor::find_image(std::string_view reference) const {
    std::size_t colon = reference.rfind(':');
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view name = reference.substr(0, colon);
    std::string_view tag = reference.substr(colon + 1);
    const RepositoryFacts* facts = facts_.index().repository(name);
    if (facts == nullptr || !facts_.sources().may_read(name)) {
        return std::nullopt;
    }
    for (const TagFact& item : facts->tags) {
        if (facts_.index().text(item.name) == tag) {
            auto found = facts_.index().repositories().find(name);
            ImageRef image = facts_.image(found->first, item);
            return image.facts != nullptr ? std::optional<ImageRef>(image) : std::nullopt;
        }
    }
    return std::nullopt;
}

namespace {

// Whether `base` (a layer list) is a strict, non-empty prefix of `image`.
bool layers_extend(const std::vector<LayerFact>& base, const std::vector<LayerFact>& image) {
    if (base.empty() || image.size() <= base.size()) {
        return false;
    }
    return std::equal(base.begin(), base.end(), image.begin(),
                      [](const LayerFact& a, const LayerFact& b) { return a.digest == b.digest; });
}

} // namespace

std::optional<std::string> Executor::lineage(const CollectedField& field, bool derived) {
    auto page = read_page(arg(field, "requestedPage"), "ALPHABETIC_ASC");
    if (!page) {
        return page.error();
    }
    std::string reference = arg(field, "image").text;
    auto target = find_image(reference);
    if (!target) {
        return "image not found: " + reference;
    }
    std::string digest = arg(field, "digest").text;
    auto chosen = facts_.manifests(target->digest, *target->facts);
    std::erase_if(chosen, [&](const auto& item) {
        return !digest.empty() && facts_.index().digest(item.first) != digest;
    });
    ImageSelector selected = images_for(*page);
    facts_.each_image({}, [&](ImageRef image) {
        if (image.facts == nullptr ||
            (image.repository == target->repository && image.tag == target->tag)) {
            return;
        }
        bool related = false;
        for (const auto& [ignored, candidate] : facts_.manifests(image.digest, *image.facts)) {
            for (const auto& [unused, mine] : chosen) {
                related = related || (derived ? layers_extend(mine->layers, candidate->layers)
                                              : layers_extend(candidate->layers, mine->layers));
            }
        }
        if (related) {
            add(selected, std::move(image));
        }
    });
    writer_.images_page(selected.total(), selected.take(), field.children);
    return std::nullopt;
}

std::optional<std::string> Executor::single_image(const CollectedField& field) {
    std::string reference = arg(field, "image").text;
    auto image = find_image(reference);
    if (!image) {
        return "can't find image: " + reference;
    }
    writer_.image(*image, field.children);
    return std::nullopt;
}

std::optional<std::string> Executor::referrers(const CollectedField& field) {
    std::string repository = arg(field, "repo").text;
    auto subject = oci::parse_digest(arg(field, "digest").text);
    if (!subject) {
        return std::string("invalid digest: ") + arg(field, "digest").text;
    }
    std::vector<std::string> types;
    for (const Value& item : arg(field, "type").items) {
        if (!item.text.empty()) {
            types.push_back(item.text);
        }
    }
    json_.begin_array();
    if (!facts_.sources().may_read(repository)) {
        json_.end_array();
        return std::nullopt;
    }
    for (const storage::Referrer& referrer : facts_.sources().referrers(repository, *subject)) {
        if (!types.empty() &&
            std::find(types.begin(), types.end(), referrer.artifact_type) == types.end()) {
            continue;
        }
        writer_.referrer(referrer, field.children);
    }
    json_.end_array();
    return std::nullopt;
}

} // namespace

} // namespace berth::ext::search

namespace berth::ext {

namespace {

struct PlacedError {
    std::string message;
    graphql::Location location;
    std::string path; // the root field's response key, empty for request errors
};

std::string error_body(const std::vector<PlacedError>& errors, std::string_view code,
                       const std::string* data) {
    std::string body;
    util::JsonWriter json(body);
    json.begin_object().key("errors").begin_array();
    for (const PlacedError& error : errors) {
        json.begin_object().member("message", error.message);
        if (error.location.line != 0) {
            json.key("locations").begin_array().begin_object();
            json.member_uint64("line", error.location.line)
                .member_uint64("column", error.location.column)
                .end_object()
                .end_array();
        }
        if (!error.path.empty()) {
            json.key("path").begin_array().string(error.path).end_array();
        }
        if (!code.empty()) {
            json.key("extensions").begin_object().member("code", code).end_object();
        }
        json.end_object();
    }
    json.end_array().key("data");
    if (data != nullptr) {
        json.raw(*data);
    } else {
        json.null();
    }
    json.end_object();
    return body;
}

// gqlgen answers documents it cannot parse or validate with 422 and no data.
QueryOutput rejected(std::vector<PlacedError> errors, std::string_view code) {
    return QueryOutput{422, error_body(errors, code, nullptr), {}};
}

} // namespace

std::string graphql_error_body(std::string_view message) {
    return error_body({PlacedError{std::string(message), {}, {}}}, "", nullptr);
}

QueryOutput run_query(const SearchIndex& index, const SearchSources& sources,
                      const QueryInput& input, const QueryLimits& limits) {
    auto document = graphql::parse(input.query, limits.document);
    if (!document) {
        return rejected({{document.error().message, document.error().location, {}}},
                        "GRAPHQL_PARSE_FAILED");
    }
    auto operation = graphql::select_operation(*document, input.operation_name);
    if (!operation) {
        return rejected({{operation.error().message, {}, {}}}, "GRAPHQL_VALIDATION_FAILED");
    }
    auto variables = search::coerce_variables(**operation, input.variables);
    if (!variables) {
        return rejected({{variables.error().message, variables.error().location, {}}},
                        "GRAPHQL_VALIDATION_FAILED");
    }
    auto problems =
        search::validate(*document, **operation, *variables, limits.validated_fields_max);
    if (!problems.empty()) {
        std::vector<PlacedError> errors;
        for (search::QueryError& problem : problems) {
            errors.push_back(PlacedError{std::move(problem.message), problem.location, {}});
        }
        return rejected(std::move(errors), "GRAPHQL_VALIDATION_FAILED");
    }
    QueryOutput output;
    std::string data;
    std::vector<PlacedError> errors;
    bool data_null = false;
    {
        search::FieldCollector collector(*document, *variables);
        search::Facts facts(index, sources);
        util::JsonWriter json(data);
        search::Executor executor(facts, collector, *variables, output.missing_history, json);
        json.begin_object();
        for (const auto& field : collector.fields("Query", {&(*operation)->selections})) {
            json.key(field.key);
            auto failure = executor.resolve(field);
            if (failure) {
                json.null();
                errors.push_back(
                    PlacedError{*failure, field.field->location, std::string(field.key)});
                const search::FieldSpec* spec =
                    search::find_field(search::query_type(), field.field->name);
                data_null = data_null || (spec != nullptr && search::shape_of(spec->type).non_null);
            }
            if (data.size() > limits.response_bytes_max) {
                return QueryOutput{
                    200,
                    graphql_error_body("response is larger than " +
                                       std::to_string(limits.response_bytes_max) +
                                       " bytes: ask for fewer results with requestedPage"),
                    {}};
            }
        }
        json.end_object();
    }
    if (errors.empty()) {
        output.body = "{\"data\":" + data + "}";
        return output;
    }
    output.body = error_body(errors, "", data_null ? nullptr : &data);
    return output;
}

} // namespace berth::ext
