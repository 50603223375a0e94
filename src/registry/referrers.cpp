// GET /v2/<name>/referrers/<digest> (checklist end-12, §6.2): always a 200 image index, empty
// for an unknown repository or subject, since a 404 would tell clients the API is missing.
#include "handlers.h"

#include <berth/oci/manifest.h>
#include <berth/registry/respond.h>
#include <berth/util/json_writer.h>

#include <algorithm>
#include <string>
#include <vector>

namespace berth::registry::detail {
namespace {

void append_descriptor(util::JsonWriter& json, const storage::Referrer& referrer) {
    json.begin_object();
    json.member("mediaType", referrer.media_type);
    json.member("digest", referrer.digest.str());
    json.member_uint64("size", referrer.size);
    // Empty for an index without its own artifactType: the field is then omitted.
    if (!referrer.artifact_type.empty()) {
        json.member("artifactType", referrer.artifact_type);
    }
    if (!referrer.annotations.empty()) {
        json.key("annotations").begin_object();
        for (const auto& [key, value] : referrer.annotations) {
            json.member(key, value);
        }
        json.end_object();
    }
    json.end_object();
}

} // namespace

void list_referrers(Context& context) {
    // Several values select any of them, as Zot does; an empty value is no filter.
    std::vector<std::string_view> filters;
    for (std::string_view value : util::query_all(context.query, "artifactType")) {
        if (!value.empty()) {
            filters.push_back(value);
        }
    }
    const std::vector<storage::Referrer> referrers =
        context.store.referrers(context.route.name, *context.route.digest);
    std::string body;
    util::JsonWriter json(body);
    json.begin_object();
    json.member_int64("schemaVersion", 2);
    json.member("mediaType", oci::oci_index_media_type);
    json.key("manifests").begin_array();
    for (const storage::Referrer& referrer : referrers) {
        if (filters.empty() ||
            std::find(filters.begin(), filters.end(), referrer.artifact_type) != filters.end()) {
            append_descriptor(json, referrer);
        }
    }
    json.end_array().end_object();
    http::Response response = api_response(200);
    response.body(std::move(body), oci::oci_index_media_type);
    if (!filters.empty()) {
        response.header("OCI-Filters-Applied", "artifactType");
    }
    context.exchange.respond(std::move(response));
}

} // namespace berth::registry::detail
