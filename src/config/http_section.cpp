#include "sections.h"

#include <limits>

namespace berth::config::detail {
namespace {

constexpr std::int64_t port_max = std::numeric_limits<std::uint16_t>::max();
// Requests per second per client; beyond a million the limit could never be reached.
constexpr std::int64_t rate_max = 1'000'000;

// Zot writes the port as a string ("8080"); a number is accepted too.
bool read_port(Reader& reader, Value value, std::uint16_t& out) {
    std::int64_t number = 0;
    std::string_view text;
    if (value.get_string().get(text)) {
        if (!value.is_number()) {
            return reader.fail("expected a port number (string or integer), got " +
                               std::string(type_name(value)));
        }
        if (!reader.integer(value, 0, port_max, number)) {
            return false;
        }
        out = static_cast<std::uint16_t>(number);
        return true;
    }
    bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
    if (!digits) {
        return reader.fail(quote(text) + " is not a port number");
    }
    std::size_t significant = text.find_first_not_of('0');
    std::string_view value_digits =
        significant == std::string_view::npos ? "0" : text.substr(significant);
    // Six significant digits already exceed the range, and stop the sum from overflowing.
    if (value_digits.size() > 5) {
        return reader.fail(std::string(text) + " is out of range 0.." + std::to_string(port_max));
    }
    for (char c : value_digits) {
        number = number * 10 + (c - '0');
    }
    if (number > port_max) {
        return reader.fail(std::string(text) + " is out of range 0.." + std::to_string(port_max));
    }
    out = static_cast<std::uint16_t>(number);
    return true;
}

bool has_control_character(std::string_view text) {
    for (char c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
            return true;
        }
    }
    return false;
}

// Values that end up in a response header may not break the header.
bool read_header_text(Reader& reader, Value value, std::string& out) {
    if (!reader.string(value, out)) {
        return false;
    }
    if (has_control_character(out)) {
        return reader.fail("must not contain control characters (it is sent in a header)");
    }
    return true;
}

// The realm is sent as a quoted string: WWW-Authenticate: Basic realm="<realm>".
bool read_realm(Reader& reader, Value value, std::string& out) {
    if (!read_header_text(reader, value, out)) {
        return false;
    }
    if (out.find_first_of("\"\\") != std::string::npos) {
        return reader.fail("must not contain '\"' or '\\' (it is sent as a quoted string)");
    }
    if (out.empty()) {
        out = "Authorization Required"; // what Zot sends for an empty realm
    }
    return true;
}

bool read_method_rate(Reader& reader, Value value, MethodRateLimit& out) {
    bool has_rate = false;
    if (!reader.fields(value, {
                                  {"method",
                                   [&](Value v) {
                                       return reader.string(v, out.method);
                                   }},
                                  {"rate",
                                   [&](Value v) {
                                       has_rate = true;
                                       return reader.integer(v, 1, rate_max, out.rate);
                                   }},
                              })) {
        return false;
    }
    if (!has_rate) {
        Reader::Scope scope = reader.key("rate");
        return reader.fail("required");
    }
    Reader::Scope scope = reader.key("method");
    if (out.method.empty()) {
        return reader.fail("required");
    }
    bool upper = out.method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string::npos;
    if (!upper) {
        return reader.fail(quote(out.method) + " is not an HTTP method (write it in upper case, "
                                               "such as \"GET\")");
    }
    return true;
}

bool read_rate_limit(Reader& reader, Value value, RateLimit& out) {
    return reader.fields(value, {
                                    {"rate",
                                     [&](Value v) {
                                         std::int64_t rate = 0;
                                         if (!reader.integer(v, 1, rate_max, rate)) {
                                             return false;
                                         }
                                         out.rate = rate;
                                         return true;
                                     }},
                                    {"methods",
                                     [&](Value v) {
                                         return reader.items(v, [&](Value item) {
                                             MethodRateLimit method;
                                             if (!read_method_rate(reader, item, method)) {
                                                 return false;
                                             }
                                             out.methods.push_back(std::move(method));
                                             return true;
                                         });
                                     }},
                                });
}

// "docker2s2" is the only value Zot knows; others are kept but have no effect.
bool read_compat(Reader& reader, Value value, HttpConfig& out) {
    return reader.items(value, [&](Value item) {
        std::string mode;
        if (!reader.string(item, mode)) {
            return false;
        }
        if (mode == "docker2s2") {
            out.compat_docker2s2 = true;
        } else {
            reader.warn("unknown value " + quote(mode) + " has no effect (known: \"docker2s2\")");
        }
        out.compat.push_back(std::move(mode));
        return true;
    });
}

// Kept, but berth's own progress timeouts (the "berth" object) govern instead.
bool read_replaced_timeout(Reader& reader, Value value, Duration& out) {
    reader.ignore();
    return reader.any_duration(value, out);
}

} // namespace

bool read_http(Reader& reader, Value value, HttpConfig& out) {
    std::vector<Field> known = {
        {"address",
         [&](Value v) {
             return reader.string(v, out.address);
         }},
        {"port",
         [&](Value v) {
             return read_port(reader, v, out.port);
         }},
        {"externalUrl",
         [&](Value v) {
             return read_header_text(reader, v, out.external_url);
         }},
        {"realm",
         [&](Value v) {
             return read_realm(reader, v, out.realm);
         }},
        {"allowOrigin",
         [&](Value v) {
             return read_header_text(reader, v, out.allow_origin);
         }},
        {"readTimeout",
         [&](Value v) {
             return read_replaced_timeout(reader, v, out.read_timeout);
         }},
        {"writeTimeout",
         [&](Value v) {
             return read_replaced_timeout(reader, v, out.write_timeout);
         }},
        {"tls",
         [&](Value v) {
             reader.refuse("berth does not terminate TLS and would serve plain HTTP where TLS is "
                           "expected; terminate TLS in a reverse proxy and remove http.tls");
             return reader.object(v);
         }},
        {"auth",
         [&](Value v) {
             return read_auth(reader, v, out.auth);
         }},
        {"accessControl",
         [&](Value v) {
             out.access_control.emplace();
             return read_access_control(reader, v, *out.access_control);
         }},
        {"ratelimit",
         [&](Value v) {
             out.rate_limit.emplace();
             return read_rate_limit(reader, v, *out.rate_limit);
         }},
        {"compat",
         [&](Value v) {
             return read_compat(reader, v, out);
         }},
    };
    return reader.fields(value, known);
}

} // namespace berth::config::detail
