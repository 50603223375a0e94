// Incremental SHA-256 / SHA-512 whose midstate can be saved and restored.
//
// An upload that is interrupted (the client's connection drops, berth restarts) resumes
// where it stopped without re-reading what was already received, so the hash state is
// persisted beside the data. OpenSSL's EVP contexts cannot be exported, so this uses the
// SHA256_CTX / SHA512_CTX interface of the same libcrypto, which runs the same SHA-NI code.
#pragma once

#include <berth/oci/names.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::storage {

class Hasher {
public:
    explicit Hasher(oci::DigestAlgorithm algorithm);
    Hasher(const Hasher&);
    Hasher& operator=(const Hasher&);
    ~Hasher();

    void update(const void* data, std::size_t bytes);
    void update(std::string_view data) { update(data.data(), data.size()); }
    // The digest of everything so far; the hasher itself is left unchanged.
    oci::Digest digest() const;
    oci::DigestAlgorithm algorithm() const { return algorithm_; }

    // The midstate as bytes, and back; restore fails on bytes not made by save.
    std::string save() const;
    static std::optional<Hasher> restore(std::string_view saved);

private:
    oci::DigestAlgorithm algorithm_;
    struct State;
    State* state_;
};

// The digest of a whole buffer, for manifests.
oci::Digest digest_of(std::string_view data, oci::DigestAlgorithm algorithm);

} // namespace berth::storage
