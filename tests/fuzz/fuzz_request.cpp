// The request path on hostile bytes: llhttp with berth's strict settings, then everything
// berth derives from a request head (route, query, ranges). Nothing may crash or read out of
// bounds, whatever arrives on the socket.
#include <berth/http/range.h>
#include <berth/registry/routes.h>
#include <berth/util/percent.h>

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

struct Head {
    std::string url;
    std::string field;
    std::string value;
    std::vector<std::pair<std::string, std::string>> headers;
};

void examine(const Head& head) {
    std::string_view target = head.url;
    std::size_t question = target.find('?');
    auto route = berth::registry::parse_route(target.substr(0, question));
    (void)berth::registry::route_kind_name(route.kind);
    if (question != std::string_view::npos) {
        auto query = berth::util::parse_query(target.substr(question + 1));
        (void)berth::util::query_first(query, "digest");
        for (const auto& [key, value] : query) {
            (void)berth::util::percent_encode_query_value(value);
        }
    }
    for (const auto& [name, value] : head.headers) {
        (void)berth::http::evaluate_range(value, 1 << 20);
        (void)berth::http::evaluate_range(value, 0);
        (void)berth::http::parse_upload_content_range(value);
    }
}

int on_url(llhttp_t* parser, const char* at, std::size_t length) {
    static_cast<Head*>(parser->data)->url.append(at, length);
    return 0;
}

int on_field(llhttp_t* parser, const char* at, std::size_t length) {
    static_cast<Head*>(parser->data)->field.append(at, length);
    return 0;
}

int on_value(llhttp_t* parser, const char* at, std::size_t length) {
    static_cast<Head*>(parser->data)->value.append(at, length);
    return 0;
}

int on_value_complete(llhttp_t* parser) {
    auto* head = static_cast<Head*>(parser->data);
    head->headers.emplace_back(std::move(head->field), std::move(head->value));
    head->field.clear();
    head->value.clear();
    return 0;
}

int on_headers_complete(llhttp_t* parser) {
    auto* head = static_cast<Head*>(parser->data);
    examine(*head);
    *head = Head{};
    return 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    llhttp_settings_t settings;
    llhttp_settings_init(&settings);
    settings.on_url = on_url;
    settings.on_header_field = on_field;
    settings.on_header_value = on_value;
    settings.on_header_value_complete = on_value_complete;
    settings.on_headers_complete = on_headers_complete;
    llhttp_t parser;
    llhttp_init(&parser, HTTP_REQUEST, &settings);
    Head head;
    parser.data = &head;
    // Split the input in two to exercise the callbacks that resume across pieces.
    std::size_t half = size / 2;
    auto* text = reinterpret_cast<const char*>(data);
    if (llhttp_execute(&parser, text, half) == HPE_OK) {
        llhttp_execute(&parser, text + half, size - half);
    }
    return 0;
}
