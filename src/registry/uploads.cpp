// Blob uploads (checklist §4): POST to start (plain, single-request with ?digest=, or a mount),
// PATCH to append, PUT to finish, GET for the status, DELETE to cancel.
#include "handlers.h"

#include <berth/http/range.h>
#include <berth/registry/respond.h>
#include <berth/storage/hasher.h>

#include <optional>
#include <string>

namespace berth::registry::detail {
namespace {

// What became of a request body streamed into an upload.
struct Receipt {
    std::uint64_t bytes = 0;
    bool body_failed = false; // the client went away or broke the framing: no response is due
    std::optional<storage::StoreError> error;
};

// A session reached under a repository that does not exist is just as unknown.
storage::StoreError as_upload_error(storage::StoreError error) {
    if (error.failure == storage::Failure::repository_unknown) {
        error.failure = storage::Failure::upload_unknown;
    }
    return error;
}

std::string blob_location(std::string_view name, const std::string& digest) {
    std::string location = "/v2/";
    location += name;
    location += "/blobs/";
    location += digest;
    return location;
}

// 201 for a blob that is now part of the repository (finished upload, single POST, mount).
http::Response blob_created(std::string_view name, const oci::Digest& digest) {
    const std::string text = digest.str();
    http::Response response = api_response(201);
    response.header("Location", blob_location(name, text));
    response.header("Docker-Content-Digest", text);
    return response;
}

http::Response session_response(int status, const Context& context, std::string_view id,
                                std::uint64_t size) {
    http::Response response = api_response(status);
    add_upload_headers(response, context.route.name, id, size);
    return response;
}

// Streams the request body to the end of the upload, one received buffer at a time.
io::Task<Receipt> receive_body(Context& context, storage::UploadLease& lease) {
    Receipt receipt;
    while (true) {
        http::BodyRead read = co_await context.exchange.next_body_chunk();
        if (read.state == http::BodyState::end) {
            co_return receipt;
        }
        if (read.state == http::BodyState::failed) {
            receipt.body_failed = true;
            co_return receipt;
        }
        if (read.chunk.data.empty()) {
            continue;
        }
        receipt.bytes += read.chunk.data.size();
        auto appended = co_await lease.append(read.chunk.data);
        if (!appended) {
            receipt.error = appended.error();
            co_return receipt;
        }
    }
}

// The lease on a session, or nullopt once the failure has been answered.
std::optional<storage::UploadLease> lease_session(Context& context, std::string_view id) {
    auto lease = context.store.lease_upload(context.route.name, id);
    if (!lease) {
        context.exchange.respond(failure_response(context, as_upload_error(lease.error())));
        return std::nullopt;
    }
    return std::move(*lease);
}

// Checks a chunk's Content-Range against the upload. False once the refusal is answered:
// 416 with the session's Range and Location when the chunk does not start where the upload
// ends (or does not parse), 400 when the range and Content-Length disagree.
bool check_chunk(Context& context, const storage::UploadLease& lease,
                 std::optional<http::ByteRange>& range) {
    const http::Request& request = context.request();
    if (!request.has_header("Content-Range")) {
        return true;
    }
    auto parsed = http::parse_upload_content_range(request.header("Content-Range"));
    if (!parsed || parsed->first != lease.size()) {
        http::Response response = error_response(ErrorCode::range_invalid);
        add_upload_headers(response, context.route.name, lease.id(), lease.size());
        context.exchange.respond(std::move(response));
        return false;
    }
    if (request.content_length && *request.content_length != parsed->length()) {
        context.exchange.respond(
            error_response(ErrorCode::size_invalid, "Content-Range and Content-Length differ"));
        return false;
    }
    range = *parsed;
    return true;
}

// Receives the body into the leased session. False once a failure has been dealt with: a
// storage failure is answered; a broken body is left to the HTTP layer, which answers it or
// has lost the client already.
io::Task<bool> receive_chunk(Context& context, storage::UploadLease& lease,
                             const std::optional<http::ByteRange>& range) {
    Receipt receipt = co_await receive_body(context, lease);
    if (receipt.error) {
        context.exchange.respond(failure_response(context, *receipt.error));
        co_return false;
    }
    if (receipt.body_failed) {
        // Keep what arrived so that the client can resume from it.
        auto kept = co_await lease.flush();
        static_cast<void>(kept);
        co_return false;
    }
    if (range && receipt.bytes != range->length()) {
        auto kept = co_await lease.flush();
        static_cast<void>(kept);
        context.exchange.respond(
            error_response(ErrorCode::size_invalid, "body length differs from Content-Range"));
        co_return false;
    }
    co_return true;
}

bool is_empty_blob(const oci::Digest& digest) {
    return digest == storage::digest_of({}, digest.algorithm);
}

// A single POST ?digest= carrying the whole blob (checklist end-4b): a session of its own,
// finished at once.
io::Task<void> upload_whole(Context& context, const oci::Digest& digest) {
    auto started = co_await context.store.start_upload(context.route.name, digest.algorithm);
    if (!started) {
        context.exchange.respond(failure_response(context, started.error()));
        co_return;
    }
    std::optional<storage::UploadLease> lease = lease_session(context, started->id);
    if (!lease) {
        co_return;
    }
    const std::optional<http::ByteRange> whole; // the body is the blob: no Content-Range
    const bool received = co_await receive_chunk(context, *lease, whole);
    if (!received) {
        lease.reset(); // a session is cancelled only once no request holds it
        auto cancelled = co_await context.store.cancel_upload(context.route.name, started->id);
        static_cast<void>(cancelled);
        co_return;
    }
    auto finished = co_await context.store.finish_upload(std::move(*lease), digest);
    if (!finished) {
        context.exchange.respond(failure_response(context, finished.error()));
        co_return;
    }
    context.exchange.respond(blob_created(context.route.name, digest));
}

// Mounts the blob named by ?mount= (checklist end-11). True once the request is answered
// (201, or a fault); false to fall back to a plain session, which tells the client nothing
// about where the blob exists.
io::Task<bool> try_mount(Context& context, std::string_view mount) {
    auto digest = oci::parse_digest(mount);
    if (!digest) {
        context.exchange.respond(error_response(ErrorCode::digest_invalid, "invalid mount digest"));
        co_return true;
    }
    const std::string& name = context.route.name;
    auto from = util::query_first(context.query, "from");
    if (from && *from != name) {
        // A blob in another store (storage.subPaths) is on another filesystem, perhaps: the
        // client uploads it instead.
        if (!oci::valid_repository_name(*from) || !context.may_read(*from) ||
            !context.stores.same_store(name, *from)) {
            co_return false;
        }
        auto mounted = co_await context.store.mount_blob(name, *from, *digest);
        if (!mounted) {
            const storage::Failure failure = mounted.error().failure;
            if (failure != storage::Failure::io && failure != storage::Failure::no_space) {
                co_return false;
            }
            context.exchange.respond(failure_response(context, mounted.error()));
            co_return true;
        }
        if (*mounted) {
            context.exchange.respond(blob_created(name, *digest));
        }
        co_return *mounted;
    }
    // No other source: berth does not search other repositories, but the blob may be here.
    if (!context.may_read(name)) {
        co_return false;
    }
    auto info = co_await context.store.stat_blob(name, *digest);
    if (info) {
        context.exchange.respond(blob_created(name, *digest));
    }
    co_return info.has_value();
}

// The algorithm a new session hashes with: ?digest-algorithm=, else that of ?digest=, else
// sha256. nullopt once a bad value has been answered.
std::optional<oci::DigestAlgorithm> session_algorithm(Context& context,
                                                      const std::optional<oci::Digest>& digest) {
    auto announced = util::query_first(context.query, "digest-algorithm");
    if (!announced) {
        return digest ? digest->algorithm : oci::DigestAlgorithm::sha256;
    }
    auto algorithm = oci::parse_digest_algorithm(*announced);
    if (!algorithm || (digest && digest->algorithm != *algorithm)) {
        context.exchange.respond(
            error_response(ErrorCode::digest_invalid, "unsupported digest algorithm"));
        return std::nullopt;
    }
    return *algorithm;
}

// ?digest= of a POST, parsed; false once a malformed one has been answered.
bool posted_digest(Context& context, std::optional<oci::Digest>& digest) {
    auto text = util::query_first(context.query, "digest");
    if (!text) {
        return true;
    }
    auto parsed = oci::parse_digest(*text);
    if (!parsed) {
        context.exchange.respond(error_response(ErrorCode::digest_invalid));
        return false;
    }
    digest = std::move(*parsed);
    return true;
}

// ?digest= of a closing PUT; nullopt once its absence or malformation has been answered.
std::optional<oci::Digest> closing_digest(Context& context) {
    auto text = util::query_first(context.query, "digest");
    if (!text || text->empty()) {
        context.exchange.respond(
            error_response(ErrorCode::digest_invalid, "digest parameter missing"));
        return std::nullopt;
    }
    auto digest = oci::parse_digest(*text);
    if (!digest) {
        context.exchange.respond(error_response(ErrorCode::digest_invalid,
                                                digest.error() == oci::DigestError::unsupported
                                                    ? "unsupported digest algorithm"
                                                    : "invalid digest"));
        return std::nullopt;
    }
    return std::move(*digest);
}

} // namespace

io::Task<void> start_upload(Context& context) {
    if (auto mount = util::query_first(context.query, "mount")) {
        const bool answered = co_await try_mount(context, *mount);
        if (answered) {
            co_return;
        }
    }
    std::optional<oci::Digest> digest;
    if (!posted_digest(context, digest)) {
        co_return;
    }
    const std::optional<oci::DigestAlgorithm> algorithm = session_algorithm(context, digest);
    if (!algorithm) {
        co_return;
    }
    // A ?digest= POST without a body can only be the whole of an empty blob; for any other
    // digest the client is just opening a session (distribution ignores the parameter).
    if (digest && (context.request().has_body() || is_empty_blob(*digest))) {
        co_await upload_whole(context, *digest);
        co_return;
    }
    auto started = co_await context.store.start_upload(context.route.name, *algorithm);
    if (!started) {
        context.exchange.respond(failure_response(context, started.error()));
        co_return;
    }
    context.exchange.respond(session_response(202, context, started->id, started->size));
}

io::Task<void> upload_status(Context& context) {
    auto status = context.store.upload_status(context.route.name, context.route.reference);
    if (!status) {
        context.exchange.respond(failure_response(context, as_upload_error(status.error())));
        co_return;
    }
    context.exchange.respond(session_response(204, context, status->id, status->size));
}

io::Task<void> patch_upload(Context& context) {
    std::optional<storage::UploadLease> lease = lease_session(context, context.route.reference);
    if (!lease) {
        co_return;
    }
    std::optional<http::ByteRange> range;
    if (!check_chunk(context, *lease, range)) {
        co_return;
    }
    const bool received = co_await receive_chunk(context, *lease, range);
    if (!received) {
        co_return;
    }
    auto flushed = co_await lease->flush();
    if (!flushed) {
        context.exchange.respond(failure_response(context, flushed.error()));
        co_return;
    }
    context.exchange.respond(session_response(202, context, lease->id(), lease->size()));
}

io::Task<void> put_upload(Context& context) {
    const std::optional<oci::Digest> digest = closing_digest(context);
    if (!digest) {
        co_return;
    }
    std::optional<storage::UploadLease> lease = lease_session(context, context.route.reference);
    if (!lease) {
        co_return;
    }
    std::optional<http::ByteRange> range;
    if (!check_chunk(context, *lease, range)) {
        co_return;
    }
    const bool received = co_await receive_chunk(context, *lease, range);
    if (!received) {
        co_return;
    }
    auto finished = co_await context.store.finish_upload(std::move(*lease), *digest);
    if (!finished) {
        context.exchange.respond(failure_response(context, as_upload_error(finished.error())));
        co_return;
    }
    context.exchange.respond(blob_created(context.route.name, *digest));
}

io::Task<void> cancel_upload(Context& context) {
    auto cancelled =
        co_await context.store.cancel_upload(context.route.name, context.route.reference);
    if (!cancelled) {
        context.exchange.respond(failure_response(context, as_upload_error(cancelled.error())));
        co_return;
    }
    context.exchange.respond(api_response(204));
}

} // namespace berth::registry::detail
