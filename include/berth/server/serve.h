// `berth serve`: from a validated config to a running server, and back out on SIGTERM.
#pragma once

#include <berth/config/config.h>

namespace berth::server {

// Blocks until the server has shut down; returns the process exit code.
int serve(const config::Config& config);

// Problems that stop the server from starting with this config, beyond what parsing finds:
// refused keys, an unusable data directory. Empty when it can start.
std::string startup_problem(const config::Config& config);

} // namespace berth::server
