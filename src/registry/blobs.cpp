// GET, HEAD and DELETE of /v2/<name>/blobs/<digest> (checklist end-2, end-10).
#include "handlers.h"

#include <berth/http/range.h>

#include <string>

namespace berth::registry::detail {
namespace {

// The headers a 200 and a 206 share; Content-Length is the connection's, from the announced
// length.
http::Response blob_response(int status, const std::string& digest) {
    http::Response response = api_response(status);
    response.header("Content-Type", "application/octet-stream");
    response.header("Docker-Content-Digest", digest);
    response.header("Accept-Ranges", "bytes");
    response.header("ETag", entity_tag(digest));
    return response;
}

http::Response unsatisfiable(std::uint64_t size) {
    std::string content_range;
    http::append_unsatisfied_content_range(content_range, size);
    http::Response response = api_response(416);
    response.header("Content-Range", content_range);
    return response;
}

// The response for a blob of `size` bytes given the request's Range; `range` receives the
// bytes to send.
http::Response sized_response(const Context& context, const std::string& digest, std::uint64_t size,
                              http::ByteRange& range) {
    const http::RangeDecision decision =
        http::evaluate_range(context.request().header("Range"), size);
    if (decision.outcome == http::RangeOutcome::unsatisfiable) {
        return unsatisfiable(size);
    }
    if (decision.outcome == http::RangeOutcome::partial) {
        range = decision.range;
        std::string content_range;
        http::append_content_range(content_range, range, size);
        http::Response response = blob_response(206, digest);
        response.header("Content-Range", content_range);
        response.content_length(range.length());
        return response;
    }
    range = http::ByteRange{0, size == 0 ? 0 : size - 1};
    http::Response response = blob_response(200, digest);
    response.content_length(size);
    return response;
}

// HEAD answers from the file's size alone: no descriptor is opened.
io::Task<void> head_blob(Context& context, const std::string& digest) {
    auto info = co_await context.store.stat_blob(context.route.name, *context.route.digest);
    if (!info) {
        context.exchange.respond(failure_response(context, info.error()));
        co_return;
    }
    http::ByteRange range;
    context.exchange.respond(sized_response(context, digest, info->size, range));
}

} // namespace

io::Task<void> get_blob(Context& context) {
    const std::string digest = context.route.digest->str();
    if (none_match(context.request(), entity_tag(digest))) {
        // Only blobs this repository holds are known to be unchanged.
        auto info = co_await context.store.stat_blob(context.route.name, *context.route.digest);
        context.exchange.respond(info ? not_modified(digest)
                                      : failure_response(context, info.error()));
        co_return;
    }
    if (context.head()) {
        co_await head_blob(context, digest);
        co_return;
    }
    auto blob = co_await context.store.open_blob(context.route.name, *context.route.digest);
    if (!blob) {
        context.exchange.respond(failure_response(context, blob.error()));
        co_return;
    }
    http::ByteRange range;
    http::Response response = sized_response(context, digest, blob->size, range);
    const int status = response.status();
    if (status == 416 || blob->size == 0) {
        context.exchange.respond(std::move(response));
    } else {
        context.exchange.respond_head(std::move(response));
        // A client that goes away mid-body closes the connection; nothing else to undo.
        const bool sent =
            co_await context.exchange.send_file(blob->fd, range.first, range.length());
        static_cast<void>(sent);
    }
    co_await context.store.close_blob(*blob);
}

io::Task<void> delete_blob(Context& context) {
    auto deleted = co_await context.store.delete_blob(context.route.name, *context.route.digest);
    if (!deleted) {
        context.exchange.respond(failure_response(context, deleted.error()));
        co_return;
    }
    context.exchange.respond(api_response(202));
}

} // namespace berth::registry::detail
