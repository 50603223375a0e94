// The SHA256_CTX interface is deprecated in OpenSSL 3 in favour of EVP, which cannot save
// a midstate; berth needs that (see the header), and the functions remain part of libcrypto.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <berth/storage/hasher.h>

#include <openssl/sha.h>

#include <cstring>

namespace berth::storage {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

std::string to_hex(const unsigned char* bytes, std::size_t count) {
    std::string hex(count * 2, '0');
    for (std::size_t i = 0; i < count; i++) {
        hex[2 * i] = hex_digits[bytes[i] >> 4];
        hex[2 * i + 1] = hex_digits[bytes[i] & 15];
    }
    return hex;
}

// Saved midstates start with this tag and the algorithm, so a state file from another
// version or for the other algorithm is refused rather than misread.
constexpr std::string_view save_tag = "berth-hash-v1:";

} // namespace

struct Hasher::State {
    SHA256_CTX sha256;
    SHA512_CTX sha512;
};

Hasher::Hasher(oci::DigestAlgorithm algorithm) : algorithm_(algorithm), state_(new State) {
    if (algorithm_ == oci::DigestAlgorithm::sha256) {
        SHA256_Init(&state_->sha256);
    } else {
        SHA512_Init(&state_->sha512);
    }
}

Hasher::Hasher(const Hasher& other)
    : algorithm_(other.algorithm_), state_(new State(*other.state_)) {}

Hasher& Hasher::operator=(const Hasher& other) {
    algorithm_ = other.algorithm_;
    *state_ = *other.state_;
    return *this;
}

Hasher::~Hasher() {
    delete state_;
}

void Hasher::update(const void* data, std::size_t bytes) {
    if (algorithm_ == oci::DigestAlgorithm::sha256) {
        SHA256_Update(&state_->sha256, data, bytes);
    } else {
        SHA512_Update(&state_->sha512, data, bytes);
    }
}

oci::Digest Hasher::digest() const {
    unsigned char out[SHA512_DIGEST_LENGTH];
    State copy = *state_;
    if (algorithm_ == oci::DigestAlgorithm::sha256) {
        SHA256_Final(out, &copy.sha256);
        return oci::Digest{algorithm_, to_hex(out, SHA256_DIGEST_LENGTH)};
    }
    SHA512_Final(out, &copy.sha512);
    return oci::Digest{algorithm_, to_hex(out, SHA512_DIGEST_LENGTH)};
}

std::string Hasher::save() const {
    std::string saved(save_tag);
    saved += algorithm_ == oci::DigestAlgorithm::sha256 ? '2' : '5';
    if (algorithm_ == oci::DigestAlgorithm::sha256) {
        saved.append(reinterpret_cast<const char*>(&state_->sha256), sizeof(SHA256_CTX));
    } else {
        saved.append(reinterpret_cast<const char*>(&state_->sha512), sizeof(SHA512_CTX));
    }
    return saved;
}

std::optional<Hasher> Hasher::restore(std::string_view saved) {
    if (saved.substr(0, save_tag.size()) != save_tag || saved.size() < save_tag.size() + 1) {
        return std::nullopt;
    }
    char kind = saved[save_tag.size()];
    std::string_view body = saved.substr(save_tag.size() + 1);
    if (kind == '2' && body.size() == sizeof(SHA256_CTX)) {
        Hasher hasher(oci::DigestAlgorithm::sha256);
        std::memcpy(&hasher.state_->sha256, body.data(), body.size());
        return hasher;
    }
    if (kind == '5' && body.size() == sizeof(SHA512_CTX)) {
        Hasher hasher(oci::DigestAlgorithm::sha512);
        std::memcpy(&hasher.state_->sha512, body.data(), body.size());
        return hasher;
    }
    return std::nullopt;
}

oci::Digest digest_of(std::string_view data, oci::DigestAlgorithm algorithm) {
    Hasher hasher(algorithm);
    hasher.update(data);
    return hasher.digest();
}

} // namespace berth::storage
