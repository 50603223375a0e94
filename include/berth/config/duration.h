// Go duration strings ("90s", "1h30m", "300ms"), the form zot-config.json uses for every
// period. Parsing follows Go's time.ParseDuration exactly, so a file Zot accepts means the
// same span here, to the nanosecond.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <berth/util/expected.h>

namespace berth::config {

// Nanoseconds because that is Go's unit: every value a Go duration can hold fits without
// rounding, and ±292 years is far beyond any period a registry schedules.
using Duration = std::chrono::nanoseconds;

// Go's grammar: an optional sign, then one or more decimal numbers, each with an optional
// fraction and a unit (ns, us, µs, ms, s, m, h); "0" alone needs no unit. Negative values are
// returned as such (the caller decides whether they make sense). The error names the reason.
Expected<Duration, std::string> parse_go_duration(std::string_view text);

// Go's Duration.String(): "1h30m0s", "1m30s", "300ms", "1.5µs", "0s". Used to show the value
// berth settled on when it differs from the one written.
std::string format_go_duration(Duration duration);

} // namespace berth::config
