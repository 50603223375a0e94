#include <berth/server/serve.h>

#include <berth/auth/authenticator.h>
#include <berth/auth/policy.h>
#include <berth/ext/search.h>
#include <berth/http/server.h>
#include <berth/io/log_sink.h>
#include <berth/io/loop.h>
#include <berth/io/startup.h>
#include <berth/server/access.h>
#include <berth/server/app.h>
#include <berth/storage/dedupe.h>
#include <berth/storage/scrub.h>
#include <berth/storage/store.h>
#include <berth/storage/stores.h>
#include <berth/util/log.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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
    for (const config::StoreLayout& layout : config::store_layouts(config.storage)) {
        auto usable = io::check_directory(layout.config->root_directory);
        if (!usable) {
            return usable.error();
        }
    }
    return {};
}

storage::StoreOptions store_options(const config::Config& config, bool hard_links) {
    return store_options(config, config.storage, hard_links);
}

storage::StoreOptions store_options(const config::Config& config,
                                    const config::StorageConfig& store, bool hard_links) {
    storage::StoreOptions options;
    options.root = store.root_directory;
    options.dedupe = store.dedupe && hard_links;
    options.hard_links = hard_links;
    options.commit = store.commit;
    options.upload_lifetime = config.berth.upload_session_lifetime;
    options.manifest_cache_bytes = config.berth.manifest_cache_bytes;
    return options;
}

namespace {

int cannot_start(const std::string& error) {
    log::fatal("cannot start").str("error", error);
    return 1;
}

// Everything that may block happens here, before the loop exists.
struct Prepared {
    io::ListenSocket listening;
    std::vector<bool> hard_links; // per store, in the order of config::store_layouts
};

Expected<Prepared, std::string> prepare(const config::Config& config) {
    if (std::string problem = startup_problem(config); !problem.empty()) {
        return Unexpected(problem);
    }
    Prepared prepared;
    for (const config::StoreLayout& layout : config::store_layouts(config.storage)) {
        auto hard_links = io::prepare_directory(layout.config->root_directory);
        if (!hard_links) {
            return Unexpected(hard_links.error());
        }
        if (!*hard_links && layout.config->dedupe) {
            log::warn("the data directory has no hard links; deduplication is off")
                .str("root", layout.config->root_directory);
        }
        prepared.hard_links.push_back(*hard_links);
    }
    io::raise_open_file_limit();
    auto listening = io::listen_tcp(config.http.address, config.http.port, listen_backlog);
    if (!listening) {
        return Unexpected(listening.error());
    }
    prepared.listening = *listening;
    return prepared;
}

ext::SearchOptions search_options(const config::Config& config, const ext::BuildInfo& build) {
    ext::SearchOptions options;
    options.root = config.storage.root_directory;
    options.htpasswd = !config.http.auth.htpasswd_path.empty();
    options.release = build.version;
    return options;
}

// Every store's repository index first, then (with extensions.search) the search index over
// them all.
io::Task<void> load_and_index(storage::Stores stores, ext::Search* search) {
    for (storage::Store* store : stores.all()) {
        co_await store->load();
    }
    if (search != nullptr) {
        co_await search->build();
    }
}

io::Task<void> flush_usage(storage::Stores stores) {
    for (storage::Store* store : stores.all()) {
        co_await store->flush_usage();
    }
}

// A store's background tasks beside GC: scrub (extensions.scrub) and, with dedupe on, the
// folding of copies into links.
struct Lifecycle {
    std::unique_ptr<storage::Scrubber> scrubber;
    std::unique_ptr<storage::Deduper> deduper;
};

Expected<Lifecycle, std::string> start_lifecycle(io::Loop& loop, storage::Store& store,
                                                 const config::Config& config,
                                                 const std::string& root, bool dedupe) {
    Lifecycle lifecycle;
    if (config.extensions.scrub.enable) {
        auto scrubber = storage::Scrubber::create(
            loop, store, root, cast<io::Clock::duration>(config.extensions.scrub.interval));
        if (!scrubber) {
            return Unexpected(scrubber.error());
        }
        lifecycle.scrubber = std::move(*scrubber);
        lifecycle.scrubber->start();
    }
    if (dedupe) {
        auto deduper = storage::Deduper::create(loop, store, root);
        if (!deduper) {
            return Unexpected(deduper.error());
        }
        lifecycle.deduper = std::move(*deduper);
        lifecycle.deduper->start();
    }
    return lifecycle;
}

storage::KeepRules keep_rules(const config::KeepRules& rules) {
    return storage::KeepRules{rules.most_recently_pushed_count, rules.most_recently_pulled_count,
                              rules.pulled_within, rules.pushed_within};
}

storage::Retention retention_options(const config::Retention& retention) {
    storage::Retention copied;
    copied.dry_run = retention.dry_run;
    copied.delay = retention.delay;
    for (const config::RetentionPolicy& policy : retention.policies) {
        storage::RetentionPolicy& target = copied.policies.emplace_back();
        target.repositories = policy.repositories;
        target.delete_referrers = policy.delete_referrers;
        target.delete_untagged = policy.delete_untagged;
        for (const config::KeepTagsRule& rule : policy.keep_tags) {
            target.keep_tags.push_back(
                storage::KeepTagsRule{rule.patterns, keep_rules(rule.rules)});
        }
        if (policy.keep_untagged) {
            target.keep_untagged = keep_rules(*policy.keep_untagged);
        }
    }
    return copied;
}

storage::LifecycleOptions gc_options(const config::StorageConfig& store, log::Sink* audit) {
    storage::LifecycleOptions options;
    options.gc = store.gc;
    options.gc_delay = store.gc_delay;
    options.gc_interval = store.gc_interval;
    if (const auto& window = store.gc_time_window) {
        options.gc_time_window = storage::TimeWindow{window->start_minute, window->end_minute};
    }
    options.retention = retention_options(store.retention);
    options.glob_match = &auth::glob_match;
    options.audit = audit;
    return options;
}

// Runs the loop until `task` is done: the usage statistics' last flush, after the loop stopped.
void finish(io::Loop& loop, io::Task<void> task) {
    bool done = false;
    io::spawn(
        std::move(task), [](void* flag) { *static_cast<bool*>(flag) = true; }, &done);
    while (!done) {
        loop.turn();
    }
}

// One store per distinct data directory (config::store_layouts), the top level's first, and
// the background tasks each runs with its own settings.
struct OpenedStore {
    config::StoreLayout layout;
    bool dedupe = false;
    std::unique_ptr<storage::Store> store;
    Lifecycle lifecycle;
};

Expected<std::vector<OpenedStore>, std::string>
open_stores(io::Loop& loop, const config::Config& config, const Prepared& prepared) {
    std::vector<config::StoreLayout> layouts = config::store_layouts(config.storage);
    std::vector<OpenedStore> opened;
    for (std::size_t i = 0; i < layouts.size(); ++i) {
        const storage::StoreOptions options =
            store_options(config, *layouts[i].config, prepared.hard_links[i]);
        auto store = storage::Store::open(loop, options);
        if (!store) {
            return Unexpected(store.error());
        }
        opened.push_back(OpenedStore{layouts[i], options.dedupe, std::move(*store), {}});
    }
    return opened;
}

storage::Stores route_stores(const std::vector<OpenedStore>& opened) {
    storage::Stores stores(*opened.front().store);
    for (const OpenedStore& entry : opened) {
        for (const std::string& route : entry.layout.routes) {
            stores.add_route(route, *entry.store);
        }
    }
    return stores;
}

// GC and retention, scrub and dedupe of every store, each with its own settings.
Expected<Ok, std::string> start_lifecycles(io::Loop& loop, std::vector<OpenedStore>& opened,
                                           const config::Config& config, log::Sink* audit) {
    for (OpenedStore& entry : opened) {
        const config::StorageConfig& settings = *entry.layout.config;
        auto lifecycle =
            start_lifecycle(loop, *entry.store, config, settings.root_directory, entry.dedupe);
        if (!lifecycle) {
            return Unexpected(lifecycle.error());
        }
        entry.lifecycle = std::move(*lifecycle);
        entry.store->start_lifecycle(gc_options(settings, audit));
        if (!entry.layout.routes.empty()) {
            std::string routes;
            for (const std::string& route : entry.layout.routes) {
                routes += (routes.empty() ? "" : ",") + route;
            }
            log::info("subPath store")
                .str("routes", routes)
                .str("root", settings.root_directory)
                .boolean("dedupe", entry.dedupe)
                .boolean("gc", settings.gc);
        }
    }
    return Ok{};
}

// 1,024 submission entries (and four times as many for completions) hold a turn of a thousand
// busy connections; the rings are kernel memory mapped into berth, resident from the start,
// so 4,096 would cost 400 KB more of an idle server's 5 MB.
constexpr unsigned ring_entries = 1024;

int run(const config::Config& config, io::LogSink& sink, const Prepared& prepared,
        const ext::BuildInfo& build) {
    auto loop = io::Loop::create(
        io::LoopOptions{ring_entries, config.berth.buffer_size, config.berth.buffer_count});
    if (!loop) {
        return cannot_start(loop.error());
    }
    auto opened = open_stores(**loop, config, prepared);
    if (!opened) {
        return cannot_start(opened.error());
    }
    const storage::Stores stores = route_stores(*opened);
    std::unique_ptr<auth::Authenticator> authenticator;
    if (!config.http.auth.htpasswd_path.empty()) {
        auto created = auth::Authenticator::create(**loop, config);
        if (!created) {
            return cannot_start(created.error());
        }
        authenticator = std::move(*created);
    }
    Access access(**loop, config, std::move(authenticator));
    std::unique_ptr<io::LogSink> audit_sink;
    if (!config.log.audit.empty()) {
        std::string error;
        audit_sink.reset(io::LogSink::open(config.log.audit, error));
        if (!audit_sink) {
            return cannot_start(error);
        }
        audit_sink->attach(**loop);
    }
    log::Sink* audit = audit_sink.get();
    App app(config, stores, access, build);
    app.set_audit(audit);
    http::Server server(**loop, app, limits_from(config.berth), prepared.listening.fd);
    app.attach(**loop, server);
    Running running{loop->get(), &server, &app,
                    cast<std::chrono::milliseconds>(config.berth.drain_timeout)};
    (*loop)->on_signal(&on_signal, &running);
    sink.attach(**loop);
    server.start();
    app.set_ready(true);
    std::unique_ptr<ext::Search> search;
    if (config.extensions.search.enable) {
        search =
            std::make_unique<ext::Search>(**loop, stores, access, search_options(config, build));
        app.set_search(search.get());
        app.set_ui(config.extensions.ui.enable); // the config requires search for it
    }
    // Requests are served while the index loads; /startupz turns 200 when it is done.
    io::spawn(
        load_and_index(stores, search.get()),
        [](void* started) { static_cast<App*>(started)->set_started(); }, &app);
    auto lifecycles = start_lifecycles(**loop, *opened, config, audit);
    if (!lifecycles) {
        return cannot_start(lifecycles.error());
    }
    log::lifecycle("listening")
        .str("address", config.http.address)
        .num("port", prepared.listening.port)
        .unum("buffer_bytes", config.berth.receive_pool_bytes());
    (*loop)->run();
    finish(**loop, flush_usage(stores));
    log::lifecycle("stopped");
    if (audit_sink) {
        audit_sink->detach();
    }
    sink.detach();
    return 0;
}

} // namespace

int serve(const config::Config& config, const ext::BuildInfo& build) {
    log::Level level = log::Level::info;
    log::parse_level(config::to_string(config.log.level), level);
    log::set_level(level);
    std::string error;
    std::unique_ptr<io::LogSink> sink(io::LogSink::open(config.log.output, error));
    if (!sink) {
        sink.reset(new io::LogSink(2));
        log::set_sink(sink.get());
        return cannot_start(error);
    }
    log::set_sink(sink.get());
    log_config_notes(config);
    auto prepared = prepare(config);
    int code = prepared ? run(config, *sink, *prepared, build) : cannot_start(prepared.error());
    log::set_sink(nullptr);
    return code;
}

} // namespace berth::server
