// The top of berth: what each request path is for. `/v2/…` goes to the registry, health and
// metrics paths to their handlers, the web UI's to it, anything else is a 404 with an OCI error
// body.
#pragma once

#include <berth/config/config.h>
#include <berth/ext/metrics.h>
#include <berth/ext/search.h>
#include <berth/http/server.h>
#include <berth/registry/registry.h>
#include <berth/server/access.h>
#include <berth/server/audit.h>
#include <berth/storage/stores.h>

#include <memory>
#include <string>

namespace berth::server {

class App final : public http::Application {
public:
    // `stores`: the default store and those of storage.subPaths.
    App(const config::Config& config, storage::Stores stores, Access& access,
        const ext::BuildInfo& build = {});

    io::Task<void> handle(http::Exchange& exchange) override;
    http::Response protocol_error(int status, std::string_view reason) override;
    void finished(const http::Request& request, int status, io::Clock::duration elapsed) override;

    // What /metrics reads at scrape time besides the store: the loop and the HTTP server.
    void attach(io::Loop& loop, const http::Server& server);

    // Answers /v2/_zot/ext/{search,mgmt,userprefs} and /v2/_oci/ext/discover (search on).
    void set_search(ext::Search* search) { search_ = search; }
    // extensions.ui: the web UI at /ui/ and its login endpoints under /zot/auth/.
    void set_ui(bool on) { ui_ = on; }

    // log.audit: successful mutating requests go there (null: off).
    void set_audit(log::Sink* sink) { audit_.set_sink(sink); }

    // Set once the repository index is loaded (Zot's /startupz meaning).
    void set_started() { started_ = true; }
    // Cleared when the server begins to shut down, so load balancers stop sending traffic.
    void set_ready(bool ready) { ready_ = ready; }

private:
    void health(http::Exchange& exchange, bool ok);
    io::Task<void> serve_metrics(http::Exchange& exchange);

    storage::Stores stores_;
    Access& access_;
    registry::Registry registry_;
    std::unique_ptr<ext::Metrics> metrics_; // null when extensions.metrics is off
    std::string metrics_path_;
    ext::Search* search_ = nullptr;
    AuditLog audit_;
    bool ui_ = false;
    bool started_ = false;
    bool ready_ = false;
};

} // namespace berth::server
