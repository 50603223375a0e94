// The web UI's login: a session cookie instead of a password kept in the browser.
#include <berth/server/access.h>

#include <berth/ext/ui.h>
#include <berth/registry/respond.h>
#include <berth/util/json_writer.h>

#include <chrono>

namespace berth::server {

namespace {

constexpr std::string_view session_cookie = "berth_session";
constexpr std::string_view login_path = "/zot/auth/login";
constexpr std::string_view logout_path = "/zot/auth/logout";
constexpr std::string_view session_path = "/zot/auth/session";

bool changes_something(const http::Request& request) {
    return request.method != http::Method::get && request.method != http::Method::head;
}

// Unless http.auth.secureSession says, Secure when the client reached berth over HTTPS, which
// only a TLS-terminating proxy in front of it can say (berth itself speaks plain HTTP).
bool secure_cookie(const http::Request& request, std::optional<bool> secure_session) {
    if (secure_session) {
        return *secure_session;
    }
    return http::equals_ignore_case(request.header("x-forwarded-proto"), "https");
}

std::string cookie_header(const http::Request& request, std::optional<bool> secure_session,
                          std::string_view id, std::chrono::seconds max_age) {
    std::string value(session_cookie);
    value += '=';
    value += id;
    value += "; Path=/; Max-Age=";
    value += std::to_string(max_age.count());
    value += "; HttpOnly; SameSite=Strict";
    if (secure_cookie(request, secure_session)) {
        value += "; Secure";
    }
    return value;
}

http::Response ui_json(int status, std::string body) {
    http::Response response = registry::json_response(status, std::move(body));
    ext::add_ui_security_headers(response);
    response.header("Cache-Control", "no-store");
    return response;
}

std::string user_body(std::string_view user) {
    std::string body;
    util::JsonWriter json(body);
    json.begin_object().member("user", user).end_object();
    return body;
}

} // namespace

bool Access::serves_session(std::string_view path) {
    return path == login_path || path == logout_path || path == session_path;
}

std::optional<std::string> Access::session_user(const http::Request& request) {
    std::string_view id = http::cookie(request, session_cookie);
    if (id.empty() || !sessions_) {
        return std::nullopt;
    }
    const auth::Session* session = sessions_->find(id, loop_.now());
    if (session == nullptr) {
        return std::nullopt;
    }
    // The password changed or the user was removed from htpasswd since the login.
    if (authenticator_->credential_stamp(session->user) != session->stamp) {
        sessions_->remove(id);
        return std::nullopt;
    }
    return session->user;
}

bool Access::cookie_request_allowed(http::Exchange& exchange) {
    const http::Request& request = exchange.request();
    if (!changes_something(request) || request.has_header(ext::ui_client_header)) {
        return true;
    }
    exchange.respond(registry::error_response(
        registry::ErrorCode::denied,
        "a change authenticated by the session cookie needs the X-ZOT-API-CLIENT header"));
    return false;
}

io::Task<void> Access::session_endpoint(http::Exchange& exchange) {
    const http::Request& request = exchange.request();
    const bool post = request.method == http::Method::post;
    if (request.path == session_path ? changes_something(request) : !post) {
        http::Response response = ui_json(405, "{}");
        response.header("Allow", request.path == session_path ? "GET, HEAD" : "POST");
        exchange.respond(std::move(response));
        co_return;
    }
    if (post && !request.has_header(ext::ui_client_header)) {
        // A login or logout another site's page could trigger, were it not for this.
        exchange.respond(ui_json(403, R"({"error":"the X-ZOT-API-CLIENT header is required"})"));
        co_return;
    }
    if (request.path == login_path) {
        co_await login(exchange);
    } else if (request.path == logout_path) {
        logout(exchange);
    } else {
        whoami(exchange);
    }
}

io::Task<void> Access::login(http::Exchange& exchange) {
    if (!sessions_) {
        exchange.respond(ui_json(404, R"({"error":"authentication is off"})"));
        co_return;
    }
    const http::Request& request = exchange.request();
    if (request.header("authorization").empty()) {
        exchange.respond(ui_json(401, R"({"error":"credentials required"})"));
        co_return;
    }
    // The same check as any request: credential cache, failDelay, per-address failure limit.
    std::optional<auth::Identity> identity = co_await identify(exchange);
    if (!identity) {
        co_return;
    }
    if (!identity->authenticated) {
        exchange.respond(ui_json(401, R"({"error":"credentials required"})"));
        co_return;
    }
    if (std::string_view old = http::cookie(request, session_cookie); !old.empty()) {
        sessions_->remove(old);
    }
    std::string id = sessions_->create(
        identity->user, authenticator_->credential_stamp(identity->user), loop_.now());
    http::Response response = ui_json(200, user_body(identity->user));
    const auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(sessions_->lifetime());
    response.header("Set-Cookie", cookie_header(request, secure_session_, id, lifetime));
    exchange.respond(std::move(response));
}

void Access::logout(http::Exchange& exchange) {
    const http::Request& request = exchange.request();
    if (std::string_view id = http::cookie(request, session_cookie); !id.empty() && sessions_) {
        sessions_->remove(id);
    }
    http::Response response = ui_json(200, "{}");
    response.header("Set-Cookie",
                    cookie_header(request, secure_session_, "", std::chrono::seconds{0}));
    exchange.respond(std::move(response));
}

void Access::whoami(http::Exchange& exchange) {
    std::optional<std::string> user = session_user(exchange.request());
    exchange.respond(ui_json(200, user_body(user.value_or(""))));
}

} // namespace berth::server
