// The HTTP side of search: requests in, GraphQL responses out.
#include <berth/ext/search.h>

#include <berth/util/json_writer.h>
#include <berth/util/percent.h>

#include <simdjson.h>

namespace berth::ext {

namespace {

// A GraphQL request body: a query of at most 32 KiB and its variables.
constexpr std::size_t request_body_bytes_max = 64 * 1024;
// Variables nest like the input objects of the schema: two levels; a little more is allowed.
constexpr std::size_t variables_depth_max = 8;

http::Response json_response(int status, std::string body) {
    http::Response response(status);
    response.body(std::move(body), "application/json");
    return response;
}

bool to_value(simdjson::dom::element element, graphql::Value& out, std::size_t depth) {
    using simdjson::dom::element_type;
    if (depth > variables_depth_max) {
        return false;
    }
    switch (element.type()) {
    case element_type::ARRAY:
        out.kind = graphql::ValueKind::list;
        for (simdjson::dom::element item : element.get_array()) {
            out.items.emplace_back();
            if (!to_value(item, out.items.back(), depth + 1)) {
                return false;
            }
        }
        return true;
    case element_type::OBJECT:
        out.kind = graphql::ValueKind::object;
        for (simdjson::dom::key_value_pair member : element.get_object()) {
            out.members.emplace_back(std::string(member.key), graphql::Value{});
            if (!to_value(member.value, out.members.back().value, depth + 1)) {
                return false;
            }
        }
        return true;
    case element_type::INT64:
        out.kind = graphql::ValueKind::integer;
        out.integer = element.get_int64().value_unsafe();
        return true;
    case element_type::UINT64:
    case element_type::DOUBLE:
        out.kind = graphql::ValueKind::floating;
        out.floating = element.get_double().value_unsafe();
        return true;
    case element_type::STRING:
        out.kind = graphql::ValueKind::string;
        out.text = std::string(element.get_string().value_unsafe());
        return true;
    case element_type::BOOL:
        out.kind = graphql::ValueKind::boolean;
        out.boolean = element.get_bool().value_unsafe();
        return true;
    case element_type::NULL_VALUE:
        return true;
    }
    return false;
}

Expected<GraphqlRequest, std::string> request_from_query(std::string_view query_string) {
    util::QueryParams params = util::parse_query(query_string);
    GraphqlRequest request;
    request.query = std::string(util::query_first(params, "query").value_or(""));
    request.operation_name = std::string(util::query_first(params, "operationName").value_or(""));
    auto variables = parse_variables(util::query_first(params, "variables").value_or(""));
    if (!variables) {
        return Unexpected(variables.error());
    }
    request.variables = std::move(*variables);
    return request;
}

} // namespace

Expected<graphql::Value, std::string> parse_variables(std::string_view json) {
    graphql::Value out;
    if (json.empty()) {
        return out;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element element;
    if (parser.parse(json).get(element) != simdjson::SUCCESS || !to_value(element, out, 0) ||
        (out.kind != graphql::ValueKind::object && out.kind != graphql::ValueKind::null)) {
        return Unexpected(std::string("variables must be a JSON object"));
    }
    return out;
}

Expected<GraphqlRequest, std::string> parse_request_body(std::string_view body) {
    simdjson::dom::parser parser;
    simdjson::dom::element element;
    simdjson::dom::object object;
    if (parser.parse(body).get(element) != simdjson::SUCCESS ||
        element.get_object().get(object) != simdjson::SUCCESS) {
        return Unexpected(std::string("the body must be a JSON object with a \"query\""));
    }
    GraphqlRequest request;
    for (simdjson::dom::key_value_pair member : object) {
        std::string_view text;
        if (member.key == "query" && member.value.get_string().get(text) == simdjson::SUCCESS) {
            request.query = text;
        } else if (member.key == "operationName" &&
                   member.value.get_string().get(text) == simdjson::SUCCESS) {
            request.operation_name = text;
        } else if (member.key == "variables" && !to_value(member.value, request.variables, 0)) {
            return Unexpected(std::string("variables nest too deeply"));
        }
    }
    return request;
}

// What a query needs to know about the caller and the store.
class Search::Sources final : public SearchSources {
public:
    Sources(Search& search, http::Exchange& exchange) : search_(search), exchange_(exchange) {
        auto found = search.preferences_.find(exchange.user());
        preferences_ = found == search.preferences_.end() || exchange.user().empty()
                           ? nullptr
                           : &found->second;
    }
    bool may_read(std::string_view repository) const override {
        return search_.access_.may_read(exchange_, repository);
    }
    bool may_delete(std::string_view repository) const override {
        return search_.access_.may_delete(exchange_, repository);
    }
    bool starred(std::string_view repository) const override {
        return preferences_ != nullptr && preferences_->starred.contains(repository);
    }
    bool bookmarked(std::string_view repository) const override {
        return preferences_ != nullptr && preferences_->bookmarked.contains(repository);
    }
    std::vector<storage::Referrer> referrers(std::string_view repository,
                                             const oci::Digest& subject) const override {
        return search_.store_.referrers(repository, subject);
    }
    std::optional<ImageUsage> usage(std::string_view repository,
                                    const oci::Digest& digest) const override {
        storage::ManifestUsage kept = search_.store_.usage(repository, digest);
        constexpr std::int64_t ns = 1'000'000'000;
        ImageUsage usage;
        usage.downloads = kept.pull_count;
        if (kept.pushed_at_unix != 0) {
            usage.pushed_ns = kept.pushed_at_unix * ns;
        }
        if (kept.pulled_at_unix != 0) {
            usage.pulled_ns = kept.pulled_at_unix * ns;
        }
        return usage;
    }
    const std::vector<HistoryEntry>* history(Sym config_digest) const override {
        auto found = search_.history_index_.find(search_.index_.digest(config_digest));
        return found == search_.history_index_.end() ? nullptr : &found->second->second;
    }

private:
    Search& search_;
    http::Exchange& exchange_;
    const Preferences* preferences_ = nullptr;
};

bool Search::serves(std::string_view path) {
    return path == "_zot/ext/search" || path == "_zot/ext/mgmt" || path == "_zot/ext/userprefs" ||
           path == "_oci/ext/discover";
}

io::Task<void> Search::handle(http::Exchange& exchange, std::string_view path) {
    http::Method method = exchange.request().method;
    bool reading = method == http::Method::get || method == http::Method::head;
    if (path == "_zot/ext/mgmt" && reading) {
        mgmt(exchange);
    } else if (path == "_oci/ext/discover" && reading) {
        if (co_await access_.admit(exchange)) {
            discover(exchange);
        }
    } else if (path == "_zot/ext/search" && (reading || method == http::Method::post)) {
        co_await graphql(exchange);
    } else if (path == "_zot/ext/userprefs" && method == http::Method::put && options_.userprefs) {
        co_await userprefs(exchange);
    } else {
        http::Response response = json_response(405, graphql_error_body("method not allowed"));
        exchange.respond(std::move(response));
    }
}

io::Task<void> Search::graphql(http::Exchange& exchange) {
    if (!co_await access_.admit(exchange)) {
        co_return;
    }
    Expected<GraphqlRequest, std::string> request = Unexpected(std::string());
    if (exchange.request().method == http::Method::post) {
        auto body = co_await exchange.read_body(request_body_bytes_max);
        if (!body) {
            exchange.respond(json_response(413, graphql_error_body("request body too large")));
            co_return;
        }
        request = parse_request_body(*body);
    } else {
        request = request_from_query(exchange.request().query);
    }
    if (!request) {
        exchange.respond(json_response(400, graphql_error_body(request.error())));
        co_return;
    }
    if (request->query.empty()) {
        exchange.respond(json_response(422, graphql_error_body("no operation provided")));
        co_return;
    }
    if (!built_) {
        co_await built_event_.wait();
    }
    QueryInput input{request->query, request->operation_name, &request->variables};

    QueryOutput output = run_query(index_, Sources(*this, exchange), input);
    if (!output.missing_history.empty()) {
        // The image page asks for histories: read the configs, then answer with them.
        co_await load_histories(output.missing_history);
        if (exchange.gone()) {
            co_return;
        }
        output = run_query(index_, Sources(*this, exchange), input);
    }
    exchange.respond(json_response(output.status, std::move(output.body)));
}

void Search::mgmt(http::Exchange& exchange) {
    util::QueryParams params = util::parse_query(exchange.request().query);
    std::string_view resource = util::query_first(params, "resource").value_or("config");
    if (resource != "config") {
        exchange.respond(json_response(400, graphql_error_body("unknown resource")));
        return;
    }
    std::string body;
    util::JsonWriter json(body);
    json.begin_object()
        .member("distSpecVersion", "1.1.1")
        .member("commit", "")
        .member("releaseTag", options_.release)
        .member("binaryType", "berth")
        .key("http")
        .begin_object();
    if (options_.htpasswd) {
        json.key("auth").begin_object().key("htpasswd").begin_object().end_object().end_object();
    }
    json.end_object().end_object();
    exchange.respond(json_response(200, std::move(body)));
}

void Search::discover(http::Exchange& exchange) {
    std::string body;
    util::JsonWriter json(body);
    json.begin_object().key("extensions").begin_array().begin_object();
    json.member("name", "_zot")
        .member("url", "https://github.com/project-zot/zot/blob/main/pkg/extensions/_zot.md")
        .member("description", "zot registry extensions")
        .key("endpoints")
        .begin_array()
        .string("/v2/_zot/ext/search");
    if (options_.userprefs) {
        json.string("/v2/_zot/ext/userprefs");
    }
    json.string("/v2/_zot/ext/mgmt").end_array().end_object().end_array().end_object();
    exchange.respond(json_response(200, std::move(body)));
}

} // namespace berth::ext
