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

} // namespace berth::http
