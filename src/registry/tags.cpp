// GET /v2/<name>/tags/list and GET /v2/_catalog (checklist end-8, §7): byte-ordered names,
// paged with `n` and `last`, and a Link to the next page only when more remain.
#include "handlers.h"

#include <berth/registry/respond.h>
#include <berth/util/json_writer.h>

#include <algorithm>
#include <string>
#include <vector>

namespace berth::registry::detail {
namespace {

struct Page {
    std::size_t size = 0;
    bool valid = true;
};

// `n`: absent means the server's maximum; a larger value is clamped to it (a Link then
// carries the rest); anything but decimal digits is refused.
Page requested_page(const Context& context) {
    const std::size_t page_max = context.options.page_entries_max;
    Page page{page_max, true};
    auto n = util::query_first(context.query, "n");
    if (!n) {
        return page;
    }
    if (n->empty()) {
        page.valid = false;
        return page;
    }
    std::size_t value = 0;
    for (const char ch : *n) {
        if (ch < '0' || ch > '9') {
            page.valid = false;
            return page;
        }
        // Saturates just above the maximum, so no count of digits can overflow.
        if (value <= page_max) {
            value = value * 10 + static_cast<std::size_t>(ch - '0');
        }
    }
    page.size = std::min(value, page_max);
    return page;
}

http::Response invalid_page() {
    // distribution's PAGINATION_NUMBER_INVALID is no OCI code; the status says enough.
    return error_response_with_status(400, ErrorCode::unsupported, "invalid page size n");
}

// `<path?n=<n>&last=<last>>; rel="next"` (RFC 8288).
std::string next_link(std::string_view path, std::size_t n, std::string_view last) {
    std::string link = "<";
    link += path;
    link += "?n=";
    link += std::to_string(n);
    link += "&last=";
    util::percent_encode_query_value_append(last, link);
    link += ">; rel=\"next\"";
    return link;
}

http::Response listing(std::string body, std::string_view path, std::size_t n,
                       std::string_view last, bool more) {
    http::Response response = json_response(200, std::move(body));
    if (more) {
        response.header("Link", next_link(path, n, last));
    }
    return response;
}

} // namespace

void list_tags(Context& context) {
    const Page page = requested_page(context);
    if (!page.valid) {
        context.exchange.respond(invalid_page());
        return;
    }
    const std::string& name = context.route.name;
    auto tags = context.store.tags(name);
    if (!tags) {
        context.exchange.respond(failure_response(context, tags.error()));
        return;
    }
    auto begin = tags->cbegin();
    if (auto last = util::query_first(context.query, "last")) {
        begin = std::upper_bound(tags->cbegin(), tags->cend(), *last);
    }
    const auto remaining = static_cast<std::size_t>(tags->cend() - begin);
    const std::size_t count = std::min(page.size, remaining);
    std::string body;
    util::JsonWriter json(body);
    json.begin_object().member("name", name).key("tags").begin_array();
    for (std::size_t i = 0; i < count; ++i) {
        json.string(begin[static_cast<std::ptrdiff_t>(i)]);
    }
    json.end_array().end_object();
    const bool more = count > 0 && count < remaining;
    const std::string path = "/v2/" + name + "/tags/list";
    std::string_view last = count > 0 ? std::string_view(begin[count - 1]) : std::string_view();
    context.exchange.respond(listing(std::move(body), path, page.size, last, more));
}

void list_catalog(Context& context) {
    const Page page = requested_page(context);
    if (!page.valid) {
        context.exchange.respond(invalid_page());
        return;
    }
    const std::string after(util::query_first(context.query, "last").value_or(""));
    std::vector<std::string> names;
    bool more = false;
    if (page.size > 0) {
        storage::Stores::NameFilter readable;
        if (context.authorizer != nullptr) {
            readable = [&context](std::string_view name) {
                return context.may_read(name);
            };
        }
        names = context.stores.repositories(after, page.size, more, readable);
    }
    std::string body;
    util::JsonWriter json(body);
    json.begin_object().key("repositories").begin_array();
    for (const std::string& name : names) {
        json.string(name);
    }
    json.end_array().end_object();
    more = more && !names.empty();
    std::string_view last = names.empty() ? std::string_view() : std::string_view(names.back());
    context.exchange.respond(listing(std::move(body), "/v2/_catalog", page.size, last, more));
}

} // namespace berth::registry::detail
