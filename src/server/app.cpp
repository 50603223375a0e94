#include <berth/server/app.h>

#include <berth/registry/respond.h>
#include <berth/registry/routes.h>

namespace berth::server {

namespace {

registry::RegistryOptions registry_options(const config::Config& config) {
    registry::RegistryOptions options;
    options.manifest_bytes_max = config.berth.max_manifest_bytes;
    return options;
}

} // namespace

App::App(const config::Config& config, storage::Store& store, Access& access)
    : config_(config), store_(store), access_(access), registry_(store, registry_options(config)) {
    registry_.set_authorizer(&access_);
}

void App::health(http::Exchange& exchange, bool ok) {
    http::Response response(ok ? 200 : 503);
    response.body(ok ? "ok" : "not ready", "text/plain; charset=utf-8");
    exchange.respond(std::move(response));
}

io::Task<void> App::handle(http::Exchange& exchange) {
    const http::Request& request = exchange.request();
    std::string_view path = request.path;
    bool read_only = request.method == http::Method::get || request.method == http::Method::head;
    if (!access_.within_rate(exchange)) {
        co_return;
    }
    if (path == "/livez" && read_only) {
        health(exchange, true);
        co_return;
    }
    if (path == "/readyz" && read_only) {
        health(exchange, ready_);
        co_return;
    }
    if (path == "/startupz" && read_only) {
        health(exchange, started_);
        co_return;
    }
    registry::Route route = registry::parse_route(path);
    if (route.kind == registry::RouteKind::base) {
        if (!read_only) {
            exchange.respond(
                registry::error_response(registry::ErrorCode::unsupported, "method not allowed"));
            co_return;
        }
        co_await access_.base(exchange);
        co_return;
    }
    if (path.starts_with("/v2/")) {
        // Until the index is loaded a repository's absence means nothing yet.
        if (!store_.loaded()) {
            co_await store_.wait_loaded();
        }
        co_await registry_.handle(exchange, route);
        co_return;
    }
    exchange.respond(registry::error_response_with_status(404, registry::ErrorCode::unsupported,
                                                          "no such endpoint"));
    co_return;
}

http::Response App::protocol_error(int status, std::string_view reason) {
    // Not an OCI endpoint's failure, but clients print the message of an OCI body, so the
    // HTTP layer's own refusals use the same shape.
    return registry::error_response_with_status(status, registry::ErrorCode::unsupported,
                                                std::string(reason));
}

} // namespace berth::server
