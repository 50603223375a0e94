#include "sections.h"

#include <bit>

namespace berth::config::detail {
namespace {

constexpr std::int64_t kib = 1024;
constexpr std::int64_t mib = 1024 * kib;
constexpr std::int64_t gib = 1024 * mib;

// Below a page a buffer costs more in ring entries than it carries; above 1 MiB one
// connection could hold a large share of the pool with a single receive.
constexpr std::int64_t buffer_size_min = 4 * kib;
constexpr std::int64_t buffer_size_max = mib;
// Fewer than 8 buffers serialise even a handful of clients; 32768 is the most a
// provided-buffer ring holds.
constexpr std::int64_t buffer_count_min = 8;
constexpr std::int64_t buffer_count_max = 32768;
// Far above what one core serves; a bound keeps the connection table's size sane.
constexpr std::int64_t connections_max = 1'000'000;
// Every client sends heads of a few hundred bytes; 1 KiB leaves room for auth headers, and
// 1 MiB is far past any legitimate head.
constexpr std::int64_t header_bytes_min = kib;
constexpr std::int64_t header_bytes_max = mib;
// Repository name (≤ 255) + reference + query must fit.
constexpr std::int64_t url_bytes_min = 256;
// The OCI distribution spec asks registries to accept manifests of at least 4 MiB.
constexpr std::int64_t manifest_bytes_min = 4 * mib;
// Beyond this a "manifest" is not one; a bound keeps a bad client from filling memory.
constexpr std::int64_t manifest_bytes_max = 64 * mib;
// A cache larger than a small box's memory defeats its purpose; 0 turns it off.
constexpr std::int64_t manifest_cache_bytes_max = gib;
// 0 turns the cache off (every request pays a bcrypt check).
constexpr std::int64_t credential_entries_max = 1'000'000;

template <class T>
Field sized(Reader& reader, std::string_view name, std::int64_t min, std::int64_t max, T& out,
            bool power_of_two = false) {
    return {name, [&reader, min, max, &out, power_of_two](Value value) {
                std::int64_t number = 0;
                if (!reader.integer(value, min, max, number)) {
                    return false;
                }
                if (power_of_two && !std::has_single_bit(static_cast<std::uint64_t>(number))) {
                    return reader.fail(std::to_string(number) + " is not a power of two");
                }
                out = static_cast<T>(number);
                return true;
            }};
}

// A period that must be positive, or (allow_zero) at least zero.
Field period(Reader& reader, std::string_view name, Duration& out, bool allow_zero = false) {
    return {name, [&reader, &out, allow_zero](Value value) {
                Duration parsed{};
                if (!reader.duration(value, parsed)) {
                    return false;
                }
                if (parsed == Duration::zero() && !allow_zero) {
                    return reader.fail("must be greater than 0");
                }
                out = parsed;
                return true;
            }};
}

} // namespace

bool read_berth(Reader& reader, Value value, BerthConfig& out) {
    std::vector<Field> known = {
        sized(reader, "bufferSize", buffer_size_min, buffer_size_max, out.buffer_size, true),
        sized(reader, "bufferCount", buffer_count_min, buffer_count_max, out.buffer_count, true),
        sized(reader, "maxConnections", 1, connections_max, out.max_connections),
        period(reader, "headerTimeout", out.header_timeout),
        period(reader, "idleTimeout", out.idle_timeout),
        period(reader, "bodyTimeout", out.body_timeout),
        period(reader, "sendTimeout", out.send_timeout),
        period(reader, "drainTimeout", out.drain_timeout, true),
        sized(reader, "maxHeaderBytes", header_bytes_min, header_bytes_max, out.max_header_bytes),
        sized(reader, "maxUrlBytes", url_bytes_min, header_bytes_max, out.max_url_bytes),
        sized(reader, "maxManifestBytes", manifest_bytes_min, manifest_bytes_max,
              out.max_manifest_bytes),
        period(reader, "uploadSessionLifetime", out.upload_session_lifetime),
        sized(reader, "manifestCacheBytes", 0, manifest_cache_bytes_max, out.manifest_cache_bytes),
        sized(reader, "credentialCacheEntries", 0, credential_entries_max,
              out.credential_cache_entries),
        period(reader, "credentialCacheTtl", out.credential_cache_ttl),
    };
    if (!reader.fields(value, known)) {
        return false;
    }
    // The request line is part of the head, so it cannot be longer than the head.
    if (out.max_url_bytes > out.max_header_bytes) {
        Reader::Scope scope = reader.key("maxUrlBytes");
        return reader.fail(std::to_string(out.max_url_bytes) + " is larger than maxHeaderBytes (" +
                           std::to_string(out.max_header_bytes) + ")");
    }
    return true;
}

} // namespace berth::config::detail
