#include "search_schema.h"

#include <array>

namespace berth::ext::search {

namespace {

using A = ArgSpec;
using F = FieldSpec;

// ---- arguments (in Zot's order: its CLI compares the lists) -----------------------------

constexpr A cve_list_args[] = {{"image", "String!"},
                               {"requestedPage", "PageInput"},
                               {"searchedCVE", "String"},
                               {"excludedCVE", "String"},
                               {"severity", "String"}};
constexpr A cve_diff_args[] = {{"minuend", "ImageInput!"},
                               {"subtrahend", "ImageInput!"},
                               {"requestedPage", "PageInput"},
                               {"searchedCVE", "String"},
                               {"excludedCVE", "String"}};
constexpr A for_cve_args[] = {
    {"id", "String!"}, {"filter", "Filter"}, {"requestedPage", "PageInput"}};
constexpr A cve_fixed_args[] = {
    {"id", "String!"}, {"image", "String!"}, {"filter", "Filter"}, {"requestedPage", "PageInput"}};
constexpr A for_digest_args[] = {{"id", "String!"}, {"requestedPage", "PageInput"}};
constexpr A page_args[] = {{"requestedPage", "PageInput"}};
constexpr A image_list_args[] = {{"repo", "String!"}, {"requestedPage", "PageInput"}};
constexpr A repo_args[] = {{"repo", "String!"}};
constexpr A global_search_args[] = {
    {"query", "String!"}, {"filter", "Filter"}, {"requestedPage", "PageInput"}};
constexpr A lineage_args[] = {
    {"image", "String!"}, {"digest", "String"}, {"requestedPage", "PageInput"}};
constexpr A image_args[] = {{"image", "String!"}};
constexpr A referrers_args[] = {{"repo", "String!"}, {"digest", "String!"}, {"type", "[String!]"}};
constexpr A type_args[] = {{"name", "String!"}};
constexpr A deprecated_args[] = {{"includeDeprecated", "Boolean"}};

// ---- object types -------------------------------------------------------------------------

constexpr F query_fields[] = {
    {"CVEListForImage", "CVEResultForImage!", cve_list_args},
    {"CVEDiffListForImages", "CVEDiffResult!", cve_diff_args},
    {"ImageListForCVE", "PaginatedImagesResult!", for_cve_args},
    {"ImageListWithCVEFixed", "PaginatedImagesResult!", cve_fixed_args},
    {"ImageListForDigest", "PaginatedImagesResult!", for_digest_args},
    {"RepoListWithNewestImage", "PaginatedReposResult!", page_args},
    {"ImageList", "PaginatedImagesResult!", image_list_args},
    {"ExpandedRepoInfo", "RepoInfo!", repo_args},
    {"GlobalSearch", "GlobalSearchResult!", global_search_args},
    {"DerivedImageList", "PaginatedImagesResult!", lineage_args},
    {"BaseImageList", "PaginatedImagesResult!", lineage_args},
    {"Image", "ImageSummary", image_args},
    {"Referrers", "[Referrer]!", referrers_args},
    {"StarredRepos", "PaginatedReposResult!", page_args},
    {"BookmarkedRepos", "PaginatedReposResult!", page_args},
    {"__schema", "__Schema!", {}},
    {"__type", "__Type", type_args},
};

constexpr F cve_result_fields[] = {{"Tag", "String", {}},
                                   {"CVEList", "[CVE]", {}},
                                   {"Summary", "ImageVulnerabilitySummary", {}},
                                   {"Page", "PageInfo", {}}};
constexpr F cve_diff_fields[] = {{"Minuend", "ImageIdentifier!", {}},
                                 {"Subtrahend", "ImageIdentifier!", {}},
                                 {"CVEList", "[CVE]", {}},
                                 {"Summary", "ImageVulnerabilitySummary", {}},
                                 {"Page", "PageInfo", {}}};
constexpr F image_identifier_fields[] = {{"Repo", "String!", {}},
                                         {"Tag", "String!", {}},
                                         {"Digest", "String", {}},
                                         {"Platform", "Platform", {}}};
constexpr F cve_fields[] = {{"Id", "String", {}},          {"Title", "String", {}},
                            {"Description", "String", {}}, {"Reference", "String", {}},
                            {"Severity", "String", {}},    {"PackageList", "[PackageInfo]", {}}};
constexpr F package_fields[] = {{"Name", "String", {}},
                                {"PackagePath", "String", {}},
                                {"InstalledVersion", "String", {}},
                                {"FixedVersion", "String", {}}};
constexpr F images_page_fields[] = {{"Page", "PageInfo", {}}, {"Results", "[ImageSummary!]!", {}}};
constexpr F repos_page_fields[] = {{"Page", "PageInfo", {}}, {"Results", "[RepoSummary!]!", {}}};
constexpr F page_info_fields[] = {{"TotalCount", "Int!", {}}, {"ItemCount", "Int!", {}}};
constexpr F repo_info_fields[] = {{"Images", "[ImageSummary]", {}}, {"Summary", "RepoSummary", {}}};
constexpr F global_search_fields[] = {{"Page", "PageInfo", {}},
                                      {"Images", "[ImageSummary]", {}},
                                      {"Repos", "[RepoSummary]", {}},
                                      {"Layers", "[LayerSummary]", {}}};
constexpr F image_summary_fields[] = {
    {"RepoName", "String", {}},
    {"Tag", "String", {}},
    {"Digest", "String", {}},
    {"MediaType", "String", {}},
    {"Manifests", "[ManifestSummary]", {}},
    {"Size", "String", {}},
    {"DownloadCount", "Int", {}},
    {"LastPullTimestamp", "Time", {}},
    {"PushTimestamp", "Time", {}},
    {"LastUpdated", "Time", {}},
    {"Description", "String", {}},
    {"IsSigned", "Boolean", {}},
    {"SignatureInfo", "[SignatureSummary]", {}},
    {"Licenses", "String", {}},
    {"Labels", "String", {}},
    {"Title", "String", {}},
    {"Source", "String", {}},
    {"Documentation", "String", {}},
    {"Vendor", "String", {}},
    {"Authors", "String", {}},
    {"Vulnerabilities", "ImageVulnerabilitySummary", {}},
    {"Referrers", "[Referrer]", {}},
    {"IsDeletable", "Boolean", {}},
};
constexpr F manifest_summary_fields[] = {
    {"Digest", "String", {}},
    {"ConfigDigest", "String", {}},
    {"LastUpdated", "Time", {}},
    {"Size", "String", {}},
    {"IsSigned", "Boolean", {}},
    {"SignatureInfo", "[SignatureSummary]", {}},
    {"Platform", "Platform", {}},
    {"DownloadCount", "Int", {}},
    {"Layers", "[LayerSummary]", {}},
    {"History", "[LayerHistory]", {}},
    {"Vulnerabilities", "ImageVulnerabilitySummary", {}},
    {"Referrers", "[Referrer]", {}},
    {"ArtifactType", "String", {}},
};
constexpr F layer_fields[] = {{"Size", "String", {}}, {"Digest", "String", {}}};
constexpr F layer_history_fields[] = {{"Layer", "LayerSummary", {}},
                                      {"HistoryDescription", "HistoryDescription", {}}};
constexpr F history_fields[] = {{"Created", "Time", {}},
                                {"CreatedBy", "String", {}},
                                {"Author", "String", {}},
                                {"Comment", "String", {}},
                                {"EmptyLayer", "Boolean", {}}};
constexpr F signature_fields[] = {
    {"Tool", "String", {}}, {"IsTrusted", "Boolean", {}}, {"Author", "String", {}}};
constexpr F vulnerability_fields[] = {{"MaxSeverity", "String", {}}, {"Count", "Int", {}},
                                      {"UnknownCount", "Int", {}},   {"LowCount", "Int", {}},
                                      {"MediumCount", "Int", {}},    {"HighCount", "Int", {}},
                                      {"CriticalCount", "Int", {}}};
constexpr F referrer_fields[] = {{"MediaType", "String", {}},
                                 {"ArtifactType", "String", {}},
                                 {"Size", "Int", {}},
                                 {"Digest", "String", {}},
                                 {"Annotations", "[Annotation]!", {}}};
constexpr F annotation_fields[] = {{"Key", "String", {}}, {"Value", "String", {}}};
constexpr F platform_fields[] = {{"Os", "String", {}}, {"Arch", "String", {}}};
constexpr F repo_summary_fields[] = {
    {"Name", "String", {}},
    {"LastUpdated", "Time", {}},
    {"Size", "String", {}},
    {"Platforms", "[Platform]", {}},
    {"Vendors", "[String]", {}},
    {"NewestImage", "ImageSummary", {}},
    {"DownloadCount", "Int", {}},
    {"StarCount", "Int", {}},
    {"IsBookmarked", "Boolean", {}},
    {"IsStarred", "Boolean", {}},
    {"Rank", "Int", {}},
};

// ---- input objects and enums -------------------------------------------------------------

constexpr F page_input_fields[] = {
    {"limit", "Int", {}}, {"offset", "Int", {}}, {"sortBy", "SortCriteria", {}}};
constexpr F filter_fields[] = {{"Os", "[String]", {}},
                               {"Arch", "[String]", {}},
                               {"HasToBeSigned", "Boolean", {}},
                               {"IsBookmarked", "Boolean", {}},
                               {"IsStarred", "Boolean", {}}};
constexpr F image_input_fields[] = {{"Repo", "String!", {}},
                                    {"Tag", "String!", {}},
                                    {"Digest", "String", {}},
                                    {"Platform", "PlatformInput", {}}};
constexpr std::string_view sort_values[] = {"RELEVANCE",      "UPDATE_TIME", "ALPHABETIC_ASC",
                                            "ALPHABETIC_DSC", "SEVERITY",    "STARS",
                                            "DOWNLOADS"};

// ---- introspection -----------------------------------------------------------------------

constexpr F schema_fields[] = {
    {"queryType", "__Type!", {}},          {"mutationType", "__Type", {}},
    {"subscriptionType", "__Type", {}},    {"types", "[__Type!]!", {}},
    {"directives", "[__Directive!]!", {}}, {"description", "String", {}}};
constexpr F type_fields[] = {{"kind", "__TypeKind!", {}},
                             {"name", "String", {}},
                             {"description", "String", {}},
                             {"fields", "[__Field!]", deprecated_args},
                             {"interfaces", "[__Type!]", {}},
                             {"possibleTypes", "[__Type!]", {}},
                             {"enumValues", "[__EnumValue!]", deprecated_args},
                             {"inputFields", "[__InputValue!]", {}},
                             {"ofType", "__Type", {}},
                             {"specifiedByURL", "String", {}}};
constexpr F field_fields[] = {
    {"name", "String!", {}}, {"description", "String", {}},    {"args", "[__InputValue!]!", {}},
    {"type", "__Type!", {}}, {"isDeprecated", "Boolean!", {}}, {"deprecationReason", "String", {}}};
constexpr F input_value_fields[] = {{"name", "String!", {}},
                                    {"description", "String", {}},
                                    {"type", "__Type!", {}},
                                    {"defaultValue", "String", {}}};
constexpr F enum_value_fields[] = {{"name", "String!", {}},
                                   {"description", "String", {}},
                                   {"isDeprecated", "Boolean!", {}},
                                   {"deprecationReason", "String", {}}};
constexpr F directive_fields[] = {{"name", "String!", {}},
                                  {"description", "String", {}},
                                  {"locations", "[String!]!", {}},
                                  {"args", "[__InputValue!]!", {}}};
constexpr std::string_view type_kind_values[] = {"SCALAR", "OBJECT",       "INTERFACE", "UNION",
                                                 "ENUM",   "INPUT_OBJECT", "LIST",      "NON_NULL"};

constexpr TypeSpec object(std::string_view name, std::span<const FieldSpec> fields) {
    return TypeSpec{name, TypeKind::object, fields, {}};
}

constexpr TypeSpec scalar(std::string_view name) {
    return TypeSpec{name, TypeKind::scalar, {}, {}};
}

const TypeSpec types[] = {
    object("Query", query_fields),
    object("CVEResultForImage", cve_result_fields),
    object("CVEDiffResult", cve_diff_fields),
    object("ImageIdentifier", image_identifier_fields),
    object("CVE", cve_fields),
    object("PackageInfo", package_fields),
    object("PaginatedImagesResult", images_page_fields),
    object("PaginatedReposResult", repos_page_fields),
    object("PageInfo", page_info_fields),
    object("RepoInfo", repo_info_fields),
    object("GlobalSearchResult", global_search_fields),
    object("ImageSummary", image_summary_fields),
    object("ManifestSummary", manifest_summary_fields),
    object("LayerSummary", layer_fields),
    object("LayerHistory", layer_history_fields),
    object("HistoryDescription", history_fields),
    object("SignatureSummary", signature_fields),
    object("ImageVulnerabilitySummary", vulnerability_fields),
    object("Referrer", referrer_fields),
    object("Annotation", annotation_fields),
    object("Platform", platform_fields),
    object("RepoSummary", repo_summary_fields),
    TypeSpec{"PageInput", TypeKind::input_object, page_input_fields, {}},
    TypeSpec{"Filter", TypeKind::input_object, filter_fields, {}},
    TypeSpec{"ImageInput", TypeKind::input_object, image_input_fields, {}},
    TypeSpec{"PlatformInput", TypeKind::input_object, platform_fields, {}},
    TypeSpec{"SortCriteria", TypeKind::enumeration, {}, sort_values},
    scalar("String"),
    scalar("Int"),
    scalar("Float"),
    scalar("Boolean"),
    scalar("ID"),
    scalar("Time"),
    object("__Schema", schema_fields),
    object("__Type", type_fields),
    object("__Field", field_fields),
    object("__InputValue", input_value_fields),
    object("__EnumValue", enum_value_fields),
    object("__Directive", directive_fields),
    TypeSpec{"__TypeKind", TypeKind::enumeration, {}, type_kind_values},
};

} // namespace

Shape shape_of(std::string_view type) {
    Shape shape;
    if (type.ends_with('!')) {
        shape.non_null = true;
        type.remove_suffix(1);
    }
    if (type.starts_with('[') && type.ends_with(']')) {
        shape.list = true;
        type = type.substr(1, type.size() - 2);
        if (type.ends_with('!')) {
            shape.item_non_null = true;
            type.remove_suffix(1);
        }
    }
    shape.name = type;
    return shape;
}

std::span<const TypeSpec> all_types() {
    return types;
}

const TypeSpec* find_type(std::string_view name) {
    for (const TypeSpec& type : types) {
        if (type.name == name) {
            return &type;
        }
    }
    return nullptr;
}

const FieldSpec* find_field(const TypeSpec& type, std::string_view name) {
    for (const FieldSpec& field : type.fields) {
        if (field.name == name) {
            return &field;
        }
    }
    return nullptr;
}

const TypeSpec& query_type() {
    return types[0];
}

bool is_cve_query(std::string_view field) {
    return field == "CVEListForImage" || field == "CVEDiffListForImages" ||
           field == "ImageListForCVE" || field == "ImageListWithCVEFixed";
}

} // namespace berth::ext::search
