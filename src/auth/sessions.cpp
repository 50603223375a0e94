// The SHA256_CTX calls are deprecated in OpenSSL 3 but are the same code without an EVP
// fetch; EVP_Digest (and even the one-shot SHA256(), built on it) links OpenSSL's whole
// provider machinery: 2 MB of text in a 1.8 MB program.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <berth/auth/sessions.h>

#include <berth/io/random.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <cassert>

namespace berth::auth {

namespace {

constexpr std::size_t id_bytes = 32;

} // namespace

Sessions::Sessions(std::size_t sessions_max, io::Clock::duration lifetime)
    : sessions_max_(sessions_max), lifetime_(lifetime) {
    assert(sessions_max_ > 0);
}

bool Sessions::well_formed(std::string_view id) {
    if (id.size() != id_bytes * 2) {
        return false;
    }
    for (char c : id) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

Sessions::Hash Sessions::hash_of(std::string_view id) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256_CTX context;
    SHA256_Init(&context);
    SHA256_Update(&context, id.data(), id.size());
    SHA256_Final(digest.data(), &context);
    return Hash(reinterpret_cast<const char*>(digest.data()), digest.size());
}

std::string Sessions::create(std::string user, std::uint64_t stamp, io::Clock::time_point now) {
    forget_expired(now);
    while (by_hash_.size() >= sessions_max_) {
        erase(by_hash_.find(by_expiry_.begin()->second));
    }
    std::array<unsigned char, id_bytes> random{};
    io::fill_random(random.data(), random.size());
    static constexpr char digits[] = "0123456789abcdef";
    std::string id;
    id.reserve(id_bytes * 2);
    for (unsigned char byte : random) {
        id += digits[byte >> 4];
        id += digits[byte & 0xF];
    }
    OPENSSL_cleanse(random.data(), random.size());
    Hash hash = hash_of(id);
    const io::Clock::time_point expires = now + lifetime_;
    by_expiry_.emplace(expires, hash);
    by_hash_.insert_or_assign(std::move(hash), Session{std::move(user), stamp, expires});
    return id;
}

const Session* Sessions::find(std::string_view id, io::Clock::time_point now) {
    if (!well_formed(id)) {
        return nullptr;
    }
    auto found = by_hash_.find(hash_of(id));
    if (found == by_hash_.end()) {
        return nullptr;
    }
    if (found->second.expires <= now) {
        erase(found);
        return nullptr;
    }
    return &found->second;
}

void Sessions::remove(std::string_view id) {
    if (!well_formed(id)) {
        return;
    }
    auto found = by_hash_.find(hash_of(id));
    if (found != by_hash_.end()) {
        erase(found);
    }
}

void Sessions::erase(std::unordered_map<Hash, Session>::iterator found) {
    assert(found != by_hash_.end());
    auto [first, last] = by_expiry_.equal_range(found->second.expires);
    for (auto entry = first; entry != last; ++entry) {
        if (entry->second == found->first) {
            by_expiry_.erase(entry);
            break;
        }
    }
    by_hash_.erase(found);
    assert(by_hash_.size() == by_expiry_.size());
}

void Sessions::forget_expired(io::Clock::time_point now) {
    while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
        erase(by_hash_.find(by_expiry_.begin()->second));
    }
}

} // namespace berth::auth
