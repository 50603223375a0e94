// `berth scrub <config>`: the scrub of the config's data directory, offline, as Zot's
// `zot scrub` prints it.
#pragma once

#include <berth/config/config.h>

#include <cstdio>

namespace berth::server {

// Checks every repository under storage.rootDirectory without changing anything, prints
// Zot's table to `out`, and returns the exit status: 0 when every image is intact, 1 when any
// is affected, 2 when the scrub could not run (the reason goes to `errors`).
int scrub_command(const config::Config& config, std::FILE* out, std::FILE* errors);

} // namespace berth::server
