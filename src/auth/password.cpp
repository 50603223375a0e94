#include <berth/auth/password.h>

#include <crypt.h>
#include <openssl/crypto.h>

#include <memory>

namespace berth::auth {

bool verify_password(std::string_view password, const std::string& hash) {
    // crypt_data is 32 KiB; the one thread that verifies keeps its own.
    thread_local std::unique_ptr<crypt_data> scratch = std::make_unique<crypt_data>();
    std::string phrase(password);
    const char* computed = crypt_r(phrase.c_str(), hash.c_str(), scratch.get());
    OPENSSL_cleanse(phrase.data(), phrase.size());
    if (computed == nullptr || computed[0] == '*') {
        return false;
    }
    std::string_view result(computed);
    return result.size() == hash.size() &&
           CRYPTO_memcmp(result.data(), hash.data(), hash.size()) == 0;
}

std::string hash_password(std::string_view password, unsigned cost) {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn("$2y$", cost, nullptr, 0, salt, sizeof(salt)) == nullptr) {
        return {};
    }
    auto scratch = std::make_unique<crypt_data>();
    std::string phrase(password);
    const char* computed = crypt_r(phrase.c_str(), salt, scratch.get());
    OPENSSL_cleanse(phrase.data(), phrase.size());
    if (computed == nullptr || computed[0] == '*') {
        return {};
    }
    return computed;
}

} // namespace berth::auth
