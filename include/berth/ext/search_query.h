// Answering one GraphQL request of Zot's search API over the index: parse, validate against
// Zot's schema, execute, and write the response in GraphQL's JSON format (gqlgen's, as Zot
// sends it: "errors" before "data", error locations and paths). Pure computation: what it
// needs from outside the index (access rights, stars, referrers, image histories) comes
// through SearchSources, so the same code serves the server, the unit tests and the bench.
#pragma once

#include <berth/ext/graphql.h>
#include <berth/ext/search_index.h>
#include <berth/storage/store.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::ext {

struct HistoryEntry {
    std::optional<std::int64_t> created_ns;
    std::string created_by;
    std::string author;
    std::string comment;
    bool empty_layer = false;
};

// The `history` of an image config; empty when it has none or is not JSON.
std::vector<HistoryEntry> parse_image_history(std::string_view json);

struct ImageUsage {
    std::optional<std::int64_t> pushed_ns;
    std::optional<std::int64_t> pulled_ns;
    std::uint64_t downloads = 0;
};

class SearchSources {
public:
    virtual ~SearchSources() = default;
    virtual bool may_read(std::string_view repository) const = 0;
    virtual bool may_delete(std::string_view repository) const = 0;
    virtual bool starred(std::string_view repository) const = 0;
    virtual bool bookmarked(std::string_view repository) const = 0;
    virtual std::vector<storage::Referrer> referrers(std::string_view repository,
                                                     const oci::Digest& subject) const = 0;
    // Push and pull statistics of a manifest in a repository, when they are kept.
    virtual std::optional<ImageUsage> usage(std::string_view repository,
                                            const oci::Digest& digest) const = 0;
    // The history of an image config, or null when it has not been read: the request then
    // lists it in QueryOutput::missing_history and is run again once it has been.
    virtual const std::vector<HistoryEntry>* history(Sym config_digest) const = 0;
};

struct QueryLimits {
    graphql::Limits document;
    // Fields visited while validating, fragments expanded: bounds the work a small document
    // full of fragment spreads can ask for.
    std::size_t validated_fields_max = 4096;
    // A response beyond this is refused with an error asking for pagination: 100,000 tags
    // listed with every field would otherwise be tens of megabytes in memory.
    std::size_t response_bytes_max = 16 * 1024 * 1024;
};

struct QueryInput {
    std::string_view query;
    std::string_view operation_name;
    const graphql::Value* variables = nullptr; // an object, or null for none
};

struct MissingHistory {
    std::string repository;
    Sym config_digest = 0;
};

struct QueryOutput {
    int status = 200;
    std::string body;
    std::vector<MissingHistory> missing_history;
};

QueryOutput run_query(const SearchIndex& index, const SearchSources& sources,
                      const QueryInput& input, const QueryLimits& limits = {});

// A GraphQL request as it arrives over HTTP.
struct GraphqlRequest {
    std::string query;
    std::string operation_name;
    graphql::Value variables; // an object, or null for none
};

// A POST body: {"query": ..., "operationName": ..., "variables": {...}}.
Expected<GraphqlRequest, std::string> parse_request_body(std::string_view body);
// The variables of a GET request (its `variables` parameter): a JSON object, or nothing.
Expected<graphql::Value, std::string> parse_variables(std::string_view json);

// The body of a GraphQL error response without data (a request that is no GraphQL request).
std::string graphql_error_body(std::string_view message);

} // namespace berth::ext
