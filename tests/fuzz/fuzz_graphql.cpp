// The GraphQL parser on hostile bytes: every input is a document or one error with a message,
// never a crash, a hang or unbounded recursion.
#include <berth/ext/graphql.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto document = berth::ext::graphql::parse(text);
    if (!document) {
        if (document.error().message.empty()) {
            __builtin_trap();
        }
        return 0;
    }
    auto operation = berth::ext::graphql::select_operation(*document, "");
    if (!operation && operation.error().message.empty()) {
        __builtin_trap();
    }
    return 0;
}
