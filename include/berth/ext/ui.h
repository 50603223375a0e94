// The web UI (extensions.ui): static HTML, CSS and JavaScript compiled into the binary
// (src/ext/ui/, turned into a C++ source by src/ext/ui/embed.py at build time) and served
// under /ui/, with `/` redirecting there. Every response carries a strict Content-Security-Policy
// (no inline script or style, no framing) and a strong ETag; a matching If-None-Match is
// answered 304. The pages talk to berth only through the public APIs (search GraphQL, the
// OCI API, the login endpoints), so they see what the logged-in user may see.
#pragma once

#include <berth/http/server.h>

#include <span>
#include <string_view>

namespace berth::ext {

struct UiAsset {
    std::string_view path;         // "/ui/app.js"; the page itself is "/ui/"
    std::string_view content_type; // with charset for text
    std::string_view etag;         // quoted, strong
    std::string_view body;
    std::string_view gzip_body; // the same bytes gzip-compressed; empty when that is no gain
};

// Generated at build time.
std::span<const UiAsset> ui_assets();

// The header that the UI sends on every request. A request authenticated by the session
// cookie must carry it to change anything: other sites cannot add it to a cross-site request
// without a CORS preflight, which berth never grants. It is the header Zot's UI sends too.
constexpr std::string_view ui_client_header = "X-ZOT-API-CLIENT";

// Security headers for every UI response (pages, assets, login answers).
void add_ui_security_headers(http::Response& response);

// `/`, `/ui` and everything under `/ui/`.
bool ui_serves(std::string_view path);
void serve_ui(http::Exchange& exchange);

} // namespace berth::ext
