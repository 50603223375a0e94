// Unpredictable bytes for secrets berth makes itself (upload session ids, the seed of the
// credential cache), straight from the kernel.
#pragma once

#include <cstddef>

namespace berth::io {

// Fills `bytes` from getrandom(2). The kernel's pool is ready long before a service starts, so
// this never waits; it replaces OpenSSL's RAND_bytes, whose DRBG and provider set-up alone
// cost about 2 MB of resident memory.
void fill_random(void* bytes, std::size_t size);

} // namespace berth::io
