#include "sections.h"

#include "skim.h"

namespace berth::config::detail {
namespace {

// An hour of delay on every failed login already locks a mistyped password out for the
// hour; a larger value can only be a slip (and would hold connections that long).
constexpr std::int64_t fail_delay_max_seconds = 3600;

// Authentication berth does not implement. Going on without it would leave the registry
// with less authentication than configured, and where no other method is left, open.
Field refused_method(Reader& reader, std::string_view name, std::string_view what) {
    return {name, [&reader, what](Value value) {
                reader.refuse(std::string(what) +
                              " is not supported; without it berth would not authenticate the "
                              "users it is meant to, and could admit everyone");
                return reader.object(value);
            }};
}

Field ignored(Reader& reader, std::string_view name, bool (*check)(Reader&, Value)) {
    return {name, [&reader, check](Value value) {
                reader.ignore();
                return check(reader, value);
            }};
}

bool check_string(Reader& reader, Value value) {
    std::string unused;
    return reader.string(value, unused);
}

bool check_object(Reader& reader, Value value) {
    return skim(reader, value, Section::any_object);
}

} // namespace

bool read_auth(Reader& reader, Value value, AuthConfig& out) {
    std::vector<Field> known = {
        {"htpasswd",
         [&](Value v) {
             return reader.fields(v, {{"path", [&](Value p) {
                                           return reader.string(p, out.htpasswd_path);
                                       }}});
         }},
        {"failDelay",
         [&](Value v) {
             std::int64_t seconds = 0;
             if (!reader.integer(v, 0, fail_delay_max_seconds, seconds)) {
                 return false;
             }
             out.fail_delay = std::chrono::seconds{seconds};
             return true;
         }},
        {"apikey",
         [&](Value v) {
             reader.ignore();
             return reader.boolean(v, out.api_key);
         }},
        refused_method(reader, "ldap", "LDAP authentication"),
        refused_method(reader, "bearer", "bearer token authentication"),
        refused_method(reader, "openid", "OpenID Connect / OAuth2 login"),
        refused_method(reader, "mtls", "client certificate (mTLS) identity"),
        ignored(reader, "sessionKeysFile", check_string),
        ignored(reader, "sessionDriver", check_object),
        {"secureSession",
         [&](Value v) {
             bool secure = false;
             if (!reader.boolean(v, secure)) {
                 return false;
             }
             out.secure_session = secure;
             return true;
         }},
    };
    return reader.fields(value, known);
}

} // namespace berth::config::detail
