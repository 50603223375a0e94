// The config loader on hostile bytes: every input is a Config or one clear error.
#include <berth/config/config.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto config = berth::config::parse_config(text);
    if (!config && config.error().message.empty()) {
        __builtin_trap();
    }
    return 0;
}
