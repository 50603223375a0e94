#include <berth/http/request.h>

namespace berth::http {

bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); i++) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z') {
            x = static_cast<char>(x + 32);
        }
        if (y >= 'A' && y <= 'Z') {
            y = static_cast<char>(y + 32);
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

std::string_view Request::header(std::string_view name) const {
    for (const Header& entry : headers) {
        if (equals_ignore_case(entry.name, name)) {
            return entry.value;
        }
    }
    return {};
}

bool Request::has_header(std::string_view name) const {
    for (const Header& entry : headers) {
        if (equals_ignore_case(entry.name, name)) {
            return true;
        }
    }
    return false;
}

std::string_view method_name(Method method) {
    switch (method) {
    case Method::get:
        return "GET";
    case Method::head:
        return "HEAD";
    case Method::post:
        return "POST";
    case Method::put:
        return "PUT";
    case Method::patch:
        return "PATCH";
    case Method::delete_:
        return "DELETE";
    case Method::options:
        return "OPTIONS";
    case Method::other:
        break;
    }
    return "OTHER";
}

bool etag_listed(const Request& request, std::string_view field, std::string_view etag) {
    bool matched = false;
    request.each_header(field, [&](std::string_view value) {
        while (!value.empty() && !matched) {
            const std::size_t comma = value.find(',');
            std::string_view item = value.substr(0, comma);
            value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
            while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
                item.remove_prefix(1);
            }
            while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
                item.remove_suffix(1);
            }
            // Weak comparison (RFC 9110 §13.1.2): a W/ prefix does not matter here.
            if (item.starts_with("W/")) {
                item.remove_prefix(2);
            }
            matched = item == "*" || item == etag;
        }
    });
    return matched;
}

std::string_view cookie(const Request& request, std::string_view name) {
    std::string_view found;
    request.each_header("cookie", [&](std::string_view value) {
        while (!value.empty() && found.empty()) {
            const std::size_t semicolon = value.find(';');
            std::string_view pair = value.substr(0, semicolon);
            value = semicolon == std::string_view::npos ? std::string_view{}
                                                        : value.substr(semicolon + 1);
            while (!pair.empty() && pair.front() == ' ') {
                pair.remove_prefix(1);
            }
            while (!pair.empty() && pair.back() == ' ') {
                pair.remove_suffix(1);
            }
            const std::size_t equals = pair.find('=');
            if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
                found = pair.substr(equals + 1);
            }
        }
    });
    return found;
}

} // namespace berth::http
