#include <berth/server/access.h>

#include <berth/ext/ui.h>
#include <berth/io/ops.h>
#include <berth/registry/respond.h>

namespace berth::server {

namespace {

config::Action action_of(registry::RepositoryAction action) {
    switch (action) {
    case registry::RepositoryAction::read:
        return config::Action::read;
    case registry::RepositoryAction::create:
        return config::Action::create;
    case registry::RepositoryAction::update:
        return config::Action::update;
    case registry::RepositoryAction::remove:
        return config::Action::remove;
    case registry::RepositoryAction::none:
        break;
    }
    return config::Action::read;
}

// Web UI sessions at once; beyond it the one closest to expiry ends. A login from every
// device of a household many times over.
constexpr std::size_t sessions_max = 1024;
// A session ends this long after its login, whatever happens meanwhile.
constexpr std::chrono::hours session_lifetime{12};

std::size_t authorization_headers(const http::Request& request) {
    std::size_t count = 0;
    request.each_header("authorization", [&](std::string_view) { count++; });
    return count;
}

} // namespace

Access::Access(io::Loop& loop, const config::Config& config,
               std::unique_ptr<auth::Authenticator> authenticator)
    : loop_(loop), realm_(config.http.realm), secure_session_(config.http.auth.secure_session),
      authenticator_(std::move(authenticator)),
      policy_(config.http.access_control, authenticator_ != nullptr) {
    if (config.http.rate_limit) {
        rate_limiter_.emplace(*config.http.rate_limit);
    }
    if (authenticator_ != nullptr && config.extensions.ui.enable &&
        config.extensions.search.enable) {
        sessions_ = std::make_unique<auth::Sessions>(sessions_max, session_lifetime);
    }
}

auth::Identity Access::identity_of(const http::Exchange& exchange) {
    std::string_view user = exchange.user();
    return auth::Identity{!user.empty(), std::string(user)};
}

void Access::challenge(http::Exchange& exchange, std::string message) {
    http::Response response =
        registry::error_response(registry::ErrorCode::unauthorized, std::move(message));
    // Not to the web UI: a browser answers a Basic challenge with its own login dialog.
    if (!exchange.request().has_header(ext::ui_client_header)) {
        response.header("WWW-Authenticate", "Basic realm=\"" + realm_ + "\"");
    }
    exchange.respond(std::move(response));
}

void Access::deny(http::Exchange& exchange, const std::string& repository) {
    exchange.respond(
        registry::error_response(registry::ErrorCode::denied, {}, "repository: " + repository));
}

io::Task<void> Access::fail_delay() {
    // As Zot: failDelay before answering a request that sent credentials and failed, whether
    // they were wrong or lack the right. It runs on a timer: other clients are served meanwhile.
    if (authenticator_ != nullptr && authenticator_->fail_delay().count() > 0) {
        co_await io::sleep(loop_, authenticator_->fail_delay());
    }
}

bool Access::within_rate(http::Exchange& exchange) {
    const http::Request& request = exchange.request();
    if (!rate_limiter_ || rate_limiter_->allow(request.peer, request.method_name, loop_.now())) {
        return true;
    }
    http::Response response = registry::error_response(registry::ErrorCode::too_many_requests);
    response.header("Retry-After", "1");
    exchange.respond(std::move(response));
    return false;
}

io::Task<std::optional<auth::Identity>> Access::identify(http::Exchange& exchange) {
    if (authenticator_ == nullptr) {
        co_return auth::Identity{};
    }
    const http::Request& request = exchange.request();
    const std::size_t authorizations = authorization_headers(request);
    if (authorizations > 1) {
        challenge(exchange, "more than one Authorization header");
        co_return std::nullopt;
    }
    if (authorizations == 0 && sessions_) {
        if (std::optional<std::string> user = session_user(request)) {
            if (!cookie_request_allowed(exchange)) {
                co_return std::nullopt;
            }
            exchange.set_user(*user);
            co_return auth::Identity{true, std::move(*user)};
        }
    }
    auth::Verdict verdict =
        co_await authenticator_->authenticate(request.header("authorization"), request.peer);
    switch (verdict.outcome) {
    case auth::Outcome::anonymous:
        co_return auth::Identity{};
    case auth::Outcome::authenticated:
        exchange.set_user(verdict.user);
        co_return auth::Identity{true, verdict.user};
    case auth::Outcome::rejected:
        co_await fail_delay();
        challenge(exchange, "authentication failed");
        co_return std::nullopt;
    case auth::Outcome::throttled: {
        http::Response response = registry::error_response(
            registry::ErrorCode::too_many_requests, "too many failed logins from this address");
        response.header("Retry-After", "60");
        exchange.respond(std::move(response));
        co_return std::nullopt;
    }
    case auth::Outcome::overloaded:
        break;
    }
    http::Response response =
        registry::error_response(registry::ErrorCode::unavailable, "too many logins at once");
    response.header("Retry-After", "1");
    exchange.respond(std::move(response));
    co_return std::nullopt;
}

io::Task<bool> Access::authorize(http::Exchange& exchange, const registry::AccessNeed& need) {
    auto identity = co_await identify(exchange);
    if (!identity) {
        co_return false;
    }
    if (need.action == registry::RepositoryAction::none) {
        // Registry-level routes (the catalog) are filtered per repository instead; anonymous
        // requests still need some access somewhere.
        if (!identity->authenticated && authentication_on() && !policy_.anonymous_has_access()) {
            challenge(exchange, "authentication required");
            co_return false;
        }
        co_return true;
    }
    if (policy_.allows(*identity, need.repository, action_of(need.action))) {
        co_return true;
    }
    if (!identity->authenticated) {
        challenge(exchange, "authentication required");
    } else {
        co_await fail_delay();
        deny(exchange, need.repository);
    }
    co_return false;
}

bool Access::may_read(const http::Exchange& exchange, std::string_view repository) {
    return policy_.allows(identity_of(exchange), repository, config::Action::read);
}

io::Task<bool> Access::admit(http::Exchange& exchange) {
    // A named need: GCC 12 mishandles the lifetime of a temporary inside `co_return co_await`.
    registry::AccessNeed need;
    bool admitted = co_await authorize(exchange, need);
    co_return admitted;
}

bool Access::may_delete(const http::Exchange& exchange, std::string_view repository) {
    return policy_.allows(identity_of(exchange), repository, config::Action::remove);
}

io::Task<void> Access::base(http::Exchange& exchange) {
    auto identity = co_await identify(exchange);
    if (!identity) {
        co_return;
    }
    if (authentication_on() && !identity->authenticated) {
        challenge(exchange, "authentication required");
        co_return;
    }
    exchange.respond(registry::json_response(200, "{}"));
}

io::Task<bool> Access::may_scrape_metrics(http::Exchange& exchange) {
    auto identity = co_await identify(exchange);
    if (!identity) {
        co_return false;
    }
    if (policy_.may_scrape_metrics(*identity)) {
        co_return true;
    }
    if (!identity->authenticated) {
        challenge(exchange, "authentication required");
    } else {
        co_await fail_delay();
        deny(exchange, "metrics");
    }
    co_return false;
}

} // namespace berth::server
