// One reader per top-level section of zot-config.json, and the checks that span sections.
// Internal to the config layer; read_x is defined in x_section.cpp.
#pragma once

#include "json_reader.h"

namespace berth::config::detail {

bool read_storage(Reader& reader, Value value, Storage& out);
// `delay_set` tells whether retention.delay was written (its default depends on gc).
bool read_retention(Reader& reader, Value value, Retention& out, bool& delay_set);
bool read_http(Reader& reader, Value value, HttpConfig& out);
bool read_auth(Reader& reader, Value value, AuthConfig& out);
bool read_access_control(Reader& reader, Value value, AccessControl& out);
bool read_log(Reader& reader, Value value, LogConfig& out);
bool read_extensions(Reader& reader, Value value, Extensions& out);
bool read_berth(Reader& reader, Value value, BerthConfig& out);

// Rules between keys of different sections, run once everything was read (validate.cpp).
bool validate(Reader& reader, const Config& config);

} // namespace berth::config::detail
