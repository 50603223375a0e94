#include <berth/storage/layout.h>

namespace berth::storage::layout {

namespace {

std::string join(std::string_view a, std::string_view b) {
    std::string path;
    path.reserve(a.size() + 1 + b.size());
    path += a;
    path += '/';
    path += b;
    return path;
}

} // namespace

std::string shared_blob_dir(oci::DigestAlgorithm algorithm) {
    return join(blobs_dir, oci::Digest{algorithm, {}}.algorithm_name());
}

std::string shared_blob(const oci::Digest& digest) {
    return join(shared_blob_dir(digest.algorithm), digest.hex);
}

std::string repository_blob_dir(std::string_view repository, oci::DigestAlgorithm algorithm) {
    return join(join(repository, "blobs"), oci::Digest{algorithm, {}}.algorithm_name());
}

std::string repository_blob(std::string_view repository, const oci::Digest& digest) {
    return join(repository_blob_dir(repository, digest.algorithm), digest.hex);
}

std::string repository_index(std::string_view repository) {
    return join(repository, index_file);
}

std::string upload_data(std::string_view id) {
    return join(uploads_dir, id);
}

std::string upload_state(std::string_view id) {
    return join(uploads_dir, std::string(id) + ".state");
}

} // namespace berth::storage::layout
