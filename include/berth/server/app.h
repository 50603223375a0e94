// The top of berth: what each request path is for. `/v2/…` goes to the registry, health and
// metrics paths to their handlers, anything else is a 404 with an OCI error body.
#pragma once

#include <berth/config/config.h>
#include <berth/http/server.h>
#include <berth/registry/registry.h>
#include <berth/server/access.h>
#include <berth/storage/store.h>

namespace berth::server {

class App final : public http::Application {
public:
    App(const config::Config& config, storage::Store& store, Access& access);

    io::Task<void> handle(http::Exchange& exchange) override;
    http::Response protocol_error(int status, std::string_view reason) override;

    // Set once the repository index is loaded (Zot's /startupz meaning).
    void set_started() { started_ = true; }
    // Cleared when the server begins to shut down, so load balancers stop sending traffic.
    void set_ready(bool ready) { ready_ = ready; }

private:
    void health(http::Exchange& exchange, bool ok);

    const config::Config& config_;
    storage::Store& store_;
    Access& access_;
    registry::Registry registry_;
    bool started_ = false;
    bool ready_ = false;
};

} // namespace berth::server
