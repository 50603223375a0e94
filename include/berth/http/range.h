// Byte ranges: the `Range` header of a blob GET (RFC 9110 §14) and the `Content-Range` header
// of an upload PATCH/PUT (distribution-spec chunked uploads). All offsets are 64-bit, so blobs
// beyond 4 GiB work, and every computation is checked against overflow.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <berth/util/expected.h>

namespace berth::http {

// An inclusive byte range [first, last].
struct ByteRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;

    // Callers hold ranges that lie inside a resource, so last < UINT64_MAX and this fits.
    std::uint64_t length() const { return last - first + 1; }
    bool operator==(const ByteRange&) const = default;
};

enum class RangeOutcome : std::uint8_t {
    full,          // no usable Range header: 200 with the whole body
    partial,       // 206 with `range`
    unsatisfiable, // 416 with `Content-Range: bytes */<size>`
};

struct RangeDecision {
    RangeOutcome outcome = RangeOutcome::full;
    ByteRange range; // meaningful for `partial` only
    bool operator==(const RangeDecision&) const = default;
};

// Decides how to answer a GET of a `size`-byte resource given its `Range` header value (empty
// when absent). One `bytes` range is honoured (clamped to the resource); several ranges, another
// unit, or a header that does not parse are ignored, as RFC 9110 §14.2 permits.
RangeDecision evaluate_range(std::string_view header, std::uint64_t size);

enum class ContentRangeError : std::uint8_t { invalid };

// Parses an upload chunk's `Content-Range`: `<start>-<end>` (inclusive), optionally preceded by
// `bytes ` or `bytes=` and followed by `/<total>` or `/*`. Rejects end < start, a total that
// does not exceed end, non-digits, and values that do not fit: `end` must stay below UINT64_MAX
// so that the upload size after the chunk (end + 1) is representable.
Expected<ByteRange, ContentRangeError> parse_upload_content_range(std::string_view header);

// `bytes <first>-<last>/<size>` for a 206.
void append_content_range(std::string& out, ByteRange range, std::uint64_t size);
// `bytes */<size>` for a 416.
void append_unsatisfied_content_range(std::string& out, std::uint64_t size);
// The upload progress header `0-<size-1>`, without a `bytes=` prefix (Docker parses it with
// "%d-%d"); `0-0` for an empty session, never `0--1`.
void append_upload_range(std::string& out, std::uint64_t size);

} // namespace berth::http
