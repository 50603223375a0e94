// Sections of zot-config.json for features berth does not implement. Their keys are still
// checked (Zot rejects unknown keys inside them too), but nothing is taken from them.
#pragma once

#include "json_reader.h"

namespace berth::config::detail {

enum class Section {
    any_object, // free-form maps: storageDriver, cacheDriver, sessionDriver
    scheduler,
    cluster,
    cve, // extensions.search.cve
    sync,
    lint,
    trust,
    events,
    enable_only, // extensions.mgmt, extensions.apikey
};

// Checks the keys of a section that berth accepts without using.
bool skim(Reader& reader, Value value, Section section);

} // namespace berth::config::detail
