// Where things live under the data directory. Paths are data, built in one place, from
// values the registry layer has validated; every path is relative to the root's descriptor.
#pragma once

#include <berth/oci/names.h>

#include <string>
#include <string_view>

namespace berth::storage::layout {

constexpr std::string_view blobs_dir = "_blobs";
constexpr std::string_view uploads_dir = "_uploads";
constexpr std::string_view index_file = "index.json";
constexpr std::string_view oci_layout_file = "oci-layout";
constexpr std::string_view oci_layout_content = "{\"imageLayoutVersion\":\"1.0.0\"}";

// _blobs/sha256/<hex>: the one copy of a blob when dedupe is on.
std::string shared_blob(const oci::Digest& digest);
// _blobs/sha256
std::string shared_blob_dir(oci::DigestAlgorithm algorithm);
// <repository>/blobs/sha256/<hex>
std::string repository_blob(std::string_view repository, const oci::Digest& digest);
// <repository>/blobs/sha256
std::string repository_blob_dir(std::string_view repository, oci::DigestAlgorithm algorithm);
// <repository>/index.json
std::string repository_index(std::string_view repository);
// _uploads/<id> and _uploads/<id>.state
std::string upload_data(std::string_view id);
std::string upload_state(std::string_view id);

} // namespace berth::storage::layout
