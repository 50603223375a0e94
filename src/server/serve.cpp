#include <berth/server/serve.h>

#include <berth/auth/authenticator.h>
#include <berth/http/server.h>
#include <berth/io/log_sink.h>
#include <berth/io/loop.h>
#include <berth/io/startup.h>
#include <berth/server/access.h>
#include <berth/server/app.h>
#include <berth/storage/store.h>
#include <berth/util/log.h>

#include <chrono>
#include <memory>

namespace berth::server {

namespace {

// Half-open connections waiting to be accepted; beyond it the kernel drops SYNs, which
// clients retry.
constexpr int listen_backlog = 4096;

template <class To>
To cast(config::Duration duration) {
    return std::chrono::duration_cast<To>(duration);
}

http::Limits limits_from(const config::BerthConfig& tunables) {
    using std::chrono::milliseconds;
    http::Limits limits;
    limits.header_bytes_max = tunables.max_header_bytes;
    limits.url_bytes_max = tunables.max_url_bytes;
    limits.connections_max = tunables.max_connections;
    limits.header_timeout = cast<milliseconds>(tunables.header_timeout);
    limits.idle_timeout = cast<milliseconds>(tunables.idle_timeout);
    limits.body_timeout = cast<milliseconds>(tunables.body_timeout);
    limits.send_timeout = cast<milliseconds>(tunables.send_timeout);
    return limits;
}

void log_config_notes(const config::Config& config) {
    for (const std::string& key : config.ignored_keys) {
        log::warn("configuration key not supported by berth; ignored").str("key", key);
    }
    for (const std::string& warning : config.warnings) {
        log::warn("configuration adjusted").str("detail", warning);
    }
}

struct Running {
    io::Loop* loop;
    http::Server* server;
    App* app;
    std::chrono::milliseconds drain_timeout;
    int signals = 0;
};

void on_signal(void* context, int signal_number) {
    auto* running = static_cast<Running*>(context);
    if (++running->signals > 1) {
        log::warn("second signal: stopping at once").num("signal", signal_number);
        running->loop->stop();
        return;
    }
    log::lifecycle("shutting down").num("signal", signal_number);
    running->app->set_ready(false);
    running->server->drain(
        running->drain_timeout, [](void* loop) { static_cast<io::Loop*>(loop)->stop(); },
        running->loop);
}

} // namespace

std::string startup_problem(const config::Config& config) {
    for (const config::RefusedKey& refused : config.refused_keys) {
        return refused.key + ": " + refused.reason;
    }
    auto usable = io::check_directory(config.storage.root_directory);
    if (!usable) {
        return usable.error();
    }
    return {};
}

storage::StoreOptions store_options(const config::Config& config, bool hard_links) {
    storage::StoreOptions options;
    options.root = config.storage.root_directory;
    options.dedupe = config.storage.dedupe && hard_links;
    options.hard_links = hard_links;
    options.commit = config.storage.commit;
    options.upload_lifetime = config.berth.upload_session_lifetime;
    options.manifest_cache_bytes = config.berth.manifest_cache_bytes;
    return options;
}

int serve(const config::Config& config) {
    log::Level level = log::Level::info;
    log::parse_level(config::to_string(config.log.level), level);
    log::set_level(level);
    std::string error;
    std::unique_ptr<io::LogSink> sink(io::LogSink::open(config.log.output, error));
    if (!sink) {
        sink.reset(new io::LogSink(2));
        log::set_sink(sink.get());
        log::fatal("cannot start").str("error", error);
        return 1;
    }
    log::set_sink(sink.get());
    log_config_notes(config);
    if (std::string problem = startup_problem(config); !problem.empty()) {
        log::fatal("cannot start").str("error", problem);
        return 1;
    }
    auto hard_links = io::prepare_directory(config.storage.root_directory);
    if (!hard_links) {
        log::fatal("cannot start").str("error", hard_links.error());
        return 1;
    }
    if (!*hard_links && config.storage.dedupe) {
        log::warn("the data directory has no hard links; deduplication is off");
    }
    io::raise_open_file_limit();
    auto listening = io::listen_tcp(config.http.address, config.http.port, listen_backlog);
    if (!listening) {
        log::fatal("cannot start").str("error", listening.error());
        return 1;
    }
    io::LoopOptions options;
    options.buffer_bytes = config.berth.buffer_size;
    options.buffer_count = config.berth.buffer_count;
    auto loop = io::Loop::create(options);
    if (!loop) {
        log::fatal("cannot start").str("error", loop.error());
        return 1;
    }
    auto store = storage::Store::open(**loop, store_options(config, *hard_links));
    if (!store) {
        log::fatal("cannot start").str("error", store.error());
        return 1;
    }
    std::unique_ptr<auth::Authenticator> authenticator;
    if (!config.http.auth.htpasswd_path.empty()) {
        auto created = auth::Authenticator::create(**loop, config);
        if (!created) {
            log::fatal("cannot start").str("error", created.error());
            return 1;
        }
        authenticator = std::move(*created);
    }
    Access access(**loop, config, std::move(authenticator));
    App app(config, **store, access);
    http::Server server(**loop, app, limits_from(config.berth), listening->fd);
    Running running{loop->get(), &server, &app,
                    cast<std::chrono::milliseconds>(config.berth.drain_timeout)};
    (*loop)->on_signal(&on_signal, &running);
    sink->attach(**loop);
    server.start();
    app.set_ready(true);
    // Requests are served while the index loads; /startupz turns 200 when it is done.
    io::spawn((*store)->load(), [](void* started) { static_cast<App*>(started)->set_started(); },
              &app);
    log::lifecycle("listening")
        .str("address", config.http.address)
        .num("port", listening->port)
        .unum("buffer_bytes", config.berth.receive_pool_bytes());
    (*loop)->run();
    log::lifecycle("stopped");
    sink->detach();
    log::set_sink(nullptr);
    return 0;
}

} // namespace berth::server
