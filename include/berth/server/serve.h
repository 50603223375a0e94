// `berth serve`: from a validated config to a running server, and back out on SIGTERM.
#pragma once

#include <berth/config/config.h>
#include <berth/ext/metrics.h>
#include <berth/storage/store.h>

namespace berth::server {

// Blocks until the server has shut down; returns the process exit code. `build` names the
// binary in zot_info.
int serve(const config::Config& config, const ext::BuildInfo& build = {});

// Problems that stop the server from starting with this config, beyond what parsing finds:
// refused keys, an unusable data directory. Empty when it can start.
std::string startup_problem(const config::Config& config);

// The options of the top level's store, or of `store` (one of storage.subPaths).
storage::StoreOptions store_options(const config::Config& config, bool hard_links);
storage::StoreOptions store_options(const config::Config& config,
                                    const config::StorageConfig& store, bool hard_links);

} // namespace berth::server
