#include <berth/server/app.h>

#include <berth/ext/ui.h>
#include <berth/registry/respond.h>
#include <berth/registry/routes.h>

#include <utility>

namespace berth::server {

namespace {

registry::RegistryOptions registry_options(const config::Config& config) {
    registry::RegistryOptions options;
    options.manifest_bytes_max = config.berth.max_manifest_bytes;
    return options;
}

} // namespace

App::App(const config::Config& config, storage::Stores stores, Access& access,
         const ext::BuildInfo& build)
    : stores_(std::move(stores)), access_(access), registry_(stores_, registry_options(config)) {
    registry_.set_authorizer(&access_);
    if (config.extensions.metrics.enable) {
        metrics_ = std::make_unique<ext::Metrics>(build);
        metrics_path_ = config.extensions.metrics.path;
        metrics_->set_sources(
            ext::MetricsSources{nullptr, nullptr, &stores_, access_.authenticator()});
    }
}

void App::attach(io::Loop& loop, const http::Server& server) {
    if (metrics_) {
        metrics_->set_sources(
            ext::MetricsSources{&loop, &server, &stores_, access_.authenticator()});
    }
}

void App::finished(const http::Request& request, int status, io::Clock::duration elapsed) {
    audit_.finished(request, status);
    // Scrapes are not counted, as in Zot.
    if (metrics_ && request.path != metrics_path_) {
        metrics_->observe(request, status, elapsed);
    }
}

io::Task<void> App::serve_metrics(http::Exchange& exchange) {
    if (!co_await access_.may_scrape_metrics(exchange)) {
        co_return;
    }
    std::string text = co_await metrics_->render();
    http::Response response(200);
    response.body(std::move(text), ext::Metrics::content_type);
    exchange.respond(std::move(response));
}

void App::health(http::Exchange& exchange, bool ok) {
    // As Zot's (controller-runtime) health checks answer: 200 "ok", or 500.
    http::Response response(ok ? 200 : 500);
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
    if (metrics_ && path == metrics_path_ && read_only) {
        co_await serve_metrics(exchange);
        co_return;
    }
    if (ui_ && ext::ui_serves(path)) {
        ext::serve_ui(exchange);
        co_return;
    }
    if (ui_ && Access::serves_session(path)) {
        co_await access_.session_endpoint(exchange);
        audit_.note_user(request, exchange.user()); // a login is audited with its user
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
    if (search_ != nullptr && route.kind == registry::RouteKind::registry_extension &&
        ext::Search::serves(route.extension_path)) {
        if (!stores_.loaded()) {
            co_await stores_.wait_loaded();
        }
        co_await search_->handle(exchange, route.extension_path);
        co_return;
    }
    if (path.starts_with("/v2/")) {
        // Until the index is loaded a repository's absence means nothing yet.
        if (!stores_.loaded()) {
            co_await stores_.wait_loaded();
        }
        co_await registry_.handle(exchange, route);
        audit_.note_user(request, exchange.user());
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
