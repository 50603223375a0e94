// The manifest validator and the index.json reader on hostile bytes: every input either
// parses or is refused with a message, never a crash.
#include <berth/oci/manifest.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    constexpr std::string_view content_types[] = {
        "",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/json"};
    if (size == 0) {
        return 0;
    }
    std::string_view content_type = content_types[data[0] % std::size(content_types)];
    std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    auto manifest = berth::oci::parse_manifest(body, content_type);
    if (manifest) {
        (void)berth::oci::referrer_artifact_type(*manifest);
    }
    (void)berth::oci::parse_index_json(body);
    return 0;
}
