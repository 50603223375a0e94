#include <berth/ext/ui.h>

#include <string>

namespace berth::ext {

namespace {

constexpr std::string_view ui_prefix = "/ui/";

constexpr std::string_view content_security_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const UiAsset* find_asset(std::string_view path) {
    if (path == "/ui/index.html") {
        path = ui_prefix;
    }
    for (const UiAsset& asset : ui_assets()) {
        if (asset.path == path) {
            return &asset;
        }
    }
    return nullptr;
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

// An Accept-Encoding item such as "gzip" or "gzip;q=0.5": is it gzip with a q above zero?
bool gzip_item(std::string_view item) {
    const std::size_t semicolon = item.find(';');
    if (!http::equals_ignore_case(trimmed(item.substr(0, semicolon)), "gzip")) {
        return false;
    }
    if (semicolon == std::string_view::npos) {
        return true;
    }
    std::string_view parameter = trimmed(item.substr(semicolon + 1));
    if (!parameter.starts_with("q=") && !parameter.starts_with("Q=")) {
        return true;
    }
    // q=0, q=0.0, q=0.000 refuse it.
    return parameter.substr(2).find_first_not_of("0.") != std::string_view::npos;
}

bool accepts_gzip(const http::Request& request) {
    bool accepted = false;
    request.each_header("accept-encoding", [&](std::string_view value) {
        while (!value.empty() && !accepted) {
            const std::size_t comma = value.find(',');
            accepted = gzip_item(value.substr(0, comma));
            value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
        }
    });
    return accepted;
}

http::Response plain(int status, std::string_view text) {
    http::Response response(status);
    add_ui_security_headers(response);
    response.header("Cache-Control", "no-store");
    response.body(std::string(text), "text/plain; charset=utf-8");
    return response;
}

// The gzip form of an asset has its own ETag: a strong tag names one representation.
std::string representation_tag(const UiAsset& asset, bool gzip) {
    std::string tag(asset.etag);
    if (gzip) {
        tag.insert(tag.size() - 1, "-gzip");
    }
    return tag;
}

} // namespace

void add_ui_security_headers(http::Response& response) {
    response.header("Content-Security-Policy", content_security_policy);
    response.header("X-Content-Type-Options", "nosniff");
    response.header("Referrer-Policy", "no-referrer");
    response.header("X-Frame-Options", "DENY");
}

bool ui_serves(std::string_view path) {
    return path == "/" || path == "/ui" || path.starts_with(ui_prefix);
}

void serve_ui(http::Exchange& exchange) {
    const http::Request& request = exchange.request();
    if (request.method != http::Method::get && request.method != http::Method::head) {
        http::Response response = plain(405, "method not allowed\n");
        response.header("Allow", "GET, HEAD");
        exchange.respond(std::move(response));
        return;
    }
    if (request.path == "/" || request.path == "/ui") {
        http::Response response = plain(302, "the web UI is at /ui/\n");
        response.header("Location", ui_prefix);
        exchange.respond(std::move(response));
        return;
    }
    const UiAsset* asset = find_asset(request.path);
    if (asset == nullptr) {
        exchange.respond(plain(404, "no such page\n"));
        return;
    }
    const bool gzip = !asset->gzip_body.empty() && accepts_gzip(request);
    const std::string etag = representation_tag(*asset, gzip);
    const bool unchanged = http::etag_listed(request, "If-None-Match", etag);
    http::Response response(unchanged ? 304 : 200);
    add_ui_security_headers(response);
    // Revalidated on every use (a 304 costs a few bytes), so an upgraded berth is seen at once.
    response.header("Cache-Control", "no-cache");
    response.header("ETag", etag);
    if (!asset->gzip_body.empty()) {
        response.header("Vary", "Accept-Encoding");
    }
    if (!unchanged) {
        if (gzip) {
            response.header("Content-Encoding", "gzip");
        }
        response.body(std::string(gzip ? asset->gzip_body : asset->body), asset->content_type);
    }
    exchange.respond(std::move(response));
}

} // namespace berth::ext
