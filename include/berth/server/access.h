// Authentication and access control in front of every request: who is asking (htpasswd Basic
// credentials, checked by the Authenticator) and whether the config lets them (Policy). It
// answers the refusals itself: 401 with a Basic challenge, 403 DENIED, 429 for a client over
// its failure or rate limit, 503 when password checks are backed up.
#pragma once

#include <berth/auth/authenticator.h>
#include <berth/auth/policy.h>
#include <berth/auth/rate_limiter.h>
#include <berth/auth/sessions.h>
#include <berth/config/config.h>
#include <berth/ext/search.h>
#include <berth/http/server.h>
#include <berth/io/task.h>
#include <berth/registry/registry.h>

#include <memory>
#include <optional>
#include <string>

namespace berth::server {

class Access final : public registry::Authorizer, public ext::SearchAccess {
public:
    // `authenticator` is null when the config has no authentication.
    Access(io::Loop& loop, const config::Config& config,
           std::unique_ptr<auth::Authenticator> authenticator);

    // The requester, once their credentials (if any) check out; nothing when the request has
    // been answered (401, 429, 503).
    io::Task<std::optional<auth::Identity>> identify(http::Exchange& exchange);

    io::Task<bool> authorize(http::Exchange& exchange, const registry::AccessNeed& need) override;
    bool may_read(const http::Exchange& exchange, std::string_view repository) override;
    // Search: authenticated as for any /v2/ request; results filtered with may_read.
    io::Task<bool> admit(http::Exchange& exchange) override;
    bool may_delete(const http::Exchange& exchange, std::string_view repository) override;

    // http.ratelimit; true when the request may go on (else it has been answered 429).
    bool within_rate(http::Exchange& exchange);
    // GET /v2/: 200 for anyone allowed in; a challenge for anonymous requests when
    // authentication is on, so that clients send the credentials they hold.
    io::Task<void> base(http::Exchange& exchange);
    io::Task<bool> may_scrape_metrics(http::Exchange& exchange);

    // The web UI's login (extensions.ui): POST /zot/auth/login checks Basic credentials like any
    // request and answers with a session cookie, POST /zot/auth/logout ends the session, GET
    // /zot/auth/session names the user the cookie stands for. Requests carrying the cookie are
    // then that user (access_session.cpp).
    static bool serves_session(std::string_view path);
    io::Task<void> session_endpoint(http::Exchange& exchange);

    bool authentication_on() const { return authenticator_ != nullptr; }
    const auth::Authenticator* authenticator() const { return authenticator_.get(); }

private:
    void challenge(http::Exchange& exchange, std::string message);
    void deny(http::Exchange& exchange, const std::string& repository);
    io::Task<void> fail_delay();
    static auth::Identity identity_of(const http::Exchange& exchange);
    // The user of a live session cookie on the request, or nothing.
    std::optional<std::string> session_user(const http::Request& request);
    // For a cookie-authenticated request: false (and answered 403) when it would change
    // something without the UI's header.
    bool cookie_request_allowed(http::Exchange& exchange);
    io::Task<void> login(http::Exchange& exchange);
    void logout(http::Exchange& exchange);
    void whoami(http::Exchange& exchange);

    io::Loop& loop_;
    std::string realm_;
    std::optional<bool> secure_session_;
    std::unique_ptr<auth::Authenticator> authenticator_;
    auth::Policy policy_;
    std::optional<auth::RateLimiter> rate_limiter_;
    std::unique_ptr<auth::Sessions> sessions_; // web UI with authentication on; else null
};

} // namespace berth::server
