// The store against a real ring and a real directory: what a push leaves on disk, what a
// restart finds, and what a failed or interrupted operation must not leave behind.
#include <berth/storage/store.h>

#include <berth/io/loop.h>
#include <berth/storage/hasher.h>
#include <berth/storage/layout.h>

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace berth;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        char pattern[] = "/tmp/berth-store-test-XXXXXX";
        path = mkdtemp(pattern);
    }
    ~TempDir() { fs::remove_all(path); }
};

// Runs a task on the loop until it finishes.
template <class T>
T run(io::Loop& loop, io::Task<T> task) {
    std::optional<T> result;
    bool done = false;
    auto wrapper = [](io::Task<T> inner, std::optional<T>& out, bool& finished) -> io::Task<void> {
        out.emplace(co_await inner);
        finished = true;
    };
    io::spawn(wrapper(std::move(task), result, done));
    while (!done) {
        loop.turn();
    }
    return std::move(*result);
}

void run(io::Loop& loop, io::Task<void> task) {
    bool done = false;
    io::spawn(
        std::move(task), [](void* flag) { *static_cast<bool*>(flag) = true; }, &done);
    while (!done) {
        loop.turn();
    }
}

struct Fixture {
    TempDir dir;
    std::unique_ptr<io::Loop> loop;
    std::unique_ptr<storage::Store> store;
    storage::StoreOptions options;

    explicit Fixture(bool dedupe = true) {
        auto created = io::Loop::create(io::LoopOptions{256, 64 * 1024, 16});
        REQUIRE(created.has_value());
        loop = std::move(*created);
        options.root = dir.path.string();
        options.dedupe = dedupe;
        reopen();
    }

    void reopen() {
        store.reset();
        auto opened = storage::Store::open(*loop, options);
        REQUIRE(opened.has_value());
        store = std::move(*opened);
        run(*loop, store->load());
    }

    storage::Result<storage::BlobInfo> push_blob(std::string_view repository,
                                                 const std::string& bytes) {
        auto started = run(*loop, store->start_upload(repository, oci::DigestAlgorithm::sha256));
        REQUIRE(started.has_value());
        auto lease = store->lease_upload(repository, started->id);
        REQUIRE(lease.has_value());
        REQUIRE(run(*loop, lease->append(bytes)).has_value());
        return run(*loop,
                   store->finish_upload(std::move(*lease),
                                        storage::digest_of(bytes, oci::DigestAlgorithm::sha256)));
    }
};

oci::Digest sha256(std::string_view bytes) {
    return storage::digest_of(bytes, oci::DigestAlgorithm::sha256);
}

std::string manifest_for(const std::string& config, const std::string& layer) {
    std::ostringstream out;
    out << R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        << R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")"
        << sha256(config).str() << R"(","size":)" << config.size() << R"(},"layers":[)"
        << R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")"
        << sha256(layer).str() << R"(","size":)" << layer.size() << "}]}";
    return out.str();
}

std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

TEST_CASE("store: an uploaded blob is linked into its repository and the shared store") {
    Fixture f;
    auto info = f.push_blob("team/app", "layer bytes");
    REQUIRE(info.has_value());
    CHECK(info->size == 11);
    auto digest = sha256("layer bytes");
    fs::path linked = f.dir.path / storage::layout::repository_blob("team/app", digest);
    fs::path shared = f.dir.path / storage::layout::shared_blob(digest);
    CHECK(read(linked) == "layer bytes");
    CHECK(fs::hard_link_count(shared) == 2);
    CHECK(fs::exists(f.dir.path / "team/app/oci-layout"));
    CHECK(run(*f.loop, f.store->stat_blob("team/app", digest)).has_value());
    // Membership is per repository: another repository does not see it.
    auto elsewhere = run(*f.loop, f.store->stat_blob("other", digest));
    REQUIRE(!elsewhere.has_value());
    CHECK(elsewhere.error().failure == storage::Failure::blob_unknown);
    // Nothing is left in _uploads.
    CHECK(fs::is_empty(f.dir.path / "_uploads"));
}

TEST_CASE("store: the same blob pushed to two repositories is stored once") {
    Fixture f;
    REQUIRE(f.push_blob("a", "shared layer").has_value());
    REQUIRE(f.push_blob("b", "shared layer").has_value());
    auto digest = sha256("shared layer");
    CHECK(fs::hard_link_count(f.dir.path / storage::layout::shared_blob(digest)) == 3);
}

TEST_CASE("store: without dedupe a blob is a plain file of its repository") {
    Fixture f(false);
    REQUIRE(f.push_blob("a", "plain").has_value());
    auto digest = sha256("plain");
    CHECK(fs::hard_link_count(f.dir.path / storage::layout::repository_blob("a", digest)) == 1);
    CHECK(!fs::exists(f.dir.path / storage::layout::shared_blob(digest)));
}

TEST_CASE("store: a digest mismatch leaves no blob and ends the session") {
    Fixture f;
    auto started = run(*f.loop, f.store->start_upload("a", oci::DigestAlgorithm::sha256));
    auto lease = f.store->lease_upload("a", started->id);
    REQUIRE(run(*f.loop, lease->append("actual")).has_value());
    auto finished = run(*f.loop, f.store->finish_upload(std::move(*lease), sha256("claimed")));
    REQUIRE(!finished.has_value());
    CHECK(finished.error().failure == storage::Failure::digest_mismatch);
    CHECK(!run(*f.loop, f.store->stat_blob("a", sha256("actual"))).has_value());
    CHECK(!run(*f.loop, f.store->stat_blob("a", sha256("claimed"))).has_value());
    CHECK(!f.store->upload_status("a", started->id).has_value());
    CHECK(fs::is_empty(f.dir.path / "_uploads"));
}

TEST_CASE("store: an upload resumes after a restart, hash state included") {
    Fixture f;
    auto started = run(*f.loop, f.store->start_upload("a", oci::DigestAlgorithm::sha256));
    {
        auto lease = f.store->lease_upload("a", started->id);
        REQUIRE(run(*f.loop, lease->append("first half, ")).has_value());
        REQUIRE(run(*f.loop, lease->flush()).has_value());
    }
    f.reopen();
    auto status = f.store->upload_status("a", started->id);
    REQUIRE(status.has_value());
    CHECK(status->size == 12);
    auto lease = f.store->lease_upload("a", started->id);
    REQUIRE(run(*f.loop, lease->append("second half")).has_value());
    auto finished =
        run(*f.loop, f.store->finish_upload(std::move(*lease), sha256("first half, second half")));
    REQUIRE(finished.has_value());
    CHECK(finished->size == 23);
}

TEST_CASE("store: bytes staged in aligned blocks land in order, whatever the piece sizes") {
    // Pieces of awkward sizes, requests that end at unaligned offsets (flushed, or ended
    // without a flush after a failure) and a restart in the middle: the blob must still be
    // exactly the bytes sent, in order, with the direct and the buffered writes interleaved.
    Fixture f;
    std::string blob(3 * 1024 * 1024 + 123, '\0');
    std::uint32_t state = 12345;
    for (char& byte : blob) {
        state = state * 1103515245 + 12345;
        byte = static_cast<char>(state >> 24);
    }
    const std::size_t pieces[] = {1, 4095, 70000, 524288, 3, 600000, 8192, 131071};
    auto started = run(*f.loop, f.store->start_upload("a", oci::DigestAlgorithm::sha256));
    std::size_t sent = 0;
    for (int request = 0; sent < blob.size(); request++) {
        if (request == 3) {
            f.reopen();
        }
        auto lease = f.store->lease_upload("a", started->id);
        REQUIRE(lease.has_value());
        REQUIRE(lease->size() == sent);
        for (std::size_t piece = 0; piece < 3 && sent < blob.size(); piece++) {
            std::size_t size = std::min(pieces[(request + piece) % 8], blob.size() - sent);
            REQUIRE(run(*f.loop, lease->append(std::string_view(blob).substr(sent, size))));
            sent += size;
        }
        if (request % 2 == 0) {
            REQUIRE(run(*f.loop, lease->flush()).has_value());
        }
        // else: the lease ends without a flush; what it staged must still be written.
        if (sent == blob.size()) {
            auto finished = run(*f.loop, f.store->finish_upload(std::move(*lease), sha256(blob)));
            REQUIRE(finished.has_value());
            CHECK(finished->size == blob.size());
        }
    }
    std::ifstream in(f.dir.path / storage::layout::shared_blob(sha256(blob)), std::ios::binary);
    std::string stored((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(stored == blob);
}

TEST_CASE("store: bytes past the saved state are cut back on restart") {
    Fixture f;
    auto started = run(*f.loop, f.store->start_upload("a", oci::DigestAlgorithm::sha256));
    {
        auto lease = f.store->lease_upload("a", started->id);
        REQUIRE(run(*f.loop, lease->append("saved")).has_value());
        REQUIRE(run(*f.loop, lease->flush()).has_value());
    }
    // A request that crashed after writing but before saving the state.
    {
        std::ofstream out(f.dir.path / storage::layout::upload_data(started->id),
                          std::ios::binary | std::ios::app);
        out << "garbage";
    }
    f.reopen();
    CHECK(f.store->upload_status("a", started->id)->size == 5);
    CHECK(fs::file_size(f.dir.path / storage::layout::upload_data(started->id)) == 5);
}

TEST_CASE("store: a finished upload can also be verified with sha512") {
    Fixture f;
    auto started = run(*f.loop, f.store->start_upload("a", oci::DigestAlgorithm::sha256));
    auto lease = f.store->lease_upload("a", started->id);
    REQUIRE(run(*f.loop, lease->append("hash me twice")).has_value());
    auto digest = storage::digest_of("hash me twice", oci::DigestAlgorithm::sha512);
    auto finished = run(*f.loop, f.store->finish_upload(std::move(*lease), digest));
    REQUIRE(finished.has_value());
    CHECK(run(*f.loop, f.store->stat_blob("a", digest)).has_value());
}

TEST_CASE("store: a manifest needs its blobs, then is tagged, listed and survives restart") {
    Fixture f;
    std::string config = "{}";
    std::string layer = "layer";
    std::string body = manifest_for(config, layer);
    auto info = oci::parse_manifest(body, "application/vnd.oci.image.manifest.v1+json");
    REQUIRE(info.has_value());
    auto digest = sha256(body);
    auto refused =
        run(*f.loop, f.store->put_manifest("app", std::string("v1"), digest, body, *info));
    REQUIRE(!refused.has_value());
    CHECK(refused.error().failure == storage::Failure::references_missing);
    CHECK(refused.error().missing.size() == 2);
    REQUIRE(f.push_blob("app", config).has_value());
    REQUIRE(f.push_blob("app", layer).has_value());
    auto stored =
        run(*f.loop, f.store->put_manifest("app", std::string("v1"), digest, body, *info));
    REQUIRE(stored.has_value());
    CHECK(!stored->tag_moved);
    f.reopen();
    CHECK(f.store->tags("app").value() == std::vector<std::string>{"v1"});
    auto fetched = run(*f.loop, f.store->get_manifest("app", "v1"));
    REQUIRE(fetched.has_value());
    CHECK(fetched->body == body);
    CHECK(fetched->digest == digest);
    CHECK(fetched->media_type == "application/vnd.oci.image.manifest.v1+json");
    auto by_digest = f.store->head_manifest("app", digest.str());
    REQUIRE(by_digest.has_value());
    CHECK(by_digest->size == body.size());
    std::string index = read(f.dir.path / "app/index.json");
    CHECK(index.find("\"org.opencontainers.image.ref.name\":\"v1\"") != std::string::npos);
}

TEST_CASE("store: deleting a manifest removes its tags; deleting a tag keeps the manifest") {
    Fixture f;
    REQUIRE(f.push_blob("app", "{}").has_value());
    REQUIRE(f.push_blob("app", "l").has_value());
    std::string body = manifest_for("{}", "l");
    auto info = oci::parse_manifest(body, "");
    auto digest = sha256(body);
    REQUIRE(run(*f.loop, f.store->put_manifest("app", std::string("a"), digest, body, *info)));
    REQUIRE(run(*f.loop, f.store->put_manifest("app", std::string("b"), digest, body, *info)));
    REQUIRE(run(*f.loop, f.store->delete_tag("app", "a")).has_value());
    CHECK(f.store->tags("app").value() == std::vector<std::string>{"b"});
    CHECK(f.store->head_manifest("app", digest.str()).has_value());
    REQUIRE(run(*f.loop, f.store->delete_manifest("app", digest)).has_value());
    CHECK(f.store->tags("app").value().empty());
    CHECK(!f.store->head_manifest("app", digest.str()).has_value());
    f.reopen();
    CHECK(f.store->tags("app").value().empty());
    CHECK(!f.store->head_manifest("app", digest.str()).has_value());
}

TEST_CASE("store: a mount links the source's blob; a missing one is refused") {
    Fixture f;
    REQUIRE(f.push_blob("source", "mount me").has_value());
    auto digest = sha256("mount me");
    CHECK(run(*f.loop, f.store->mount_blob("target", "source", digest)).value());
    CHECK(run(*f.loop, f.store->stat_blob("target", digest)).has_value());
    CHECK(!run(*f.loop, f.store->mount_blob("target", "source", sha256("absent"))).value());
    CHECK(!run(*f.loop, f.store->mount_blob("target", "nowhere", digest)).value());
}

TEST_CASE("store: concurrent mounts into a new repository all succeed") {
    // A client mounts its layers in parallel; each mount may be the one that creates the
    // repository, and none of them may fail because another is creating it.
    Fixture f;
    std::vector<oci::Digest> digests;
    for (int layer = 0; layer < 8; layer++) {
        std::string bytes = "layer " + std::to_string(layer);
        REQUIRE(f.push_blob("source", bytes).has_value());
        digests.push_back(sha256(bytes));
    }
    for (int round = 0; round < 20; round++) {
        std::string target = "target" + std::to_string(round);
        int finished = 0;
        int mounted = 0;
        auto mount = [](storage::Store& store, std::string repository, oci::Digest digest,
                        int& done, int& linked) -> io::Task<void> {
            auto result = co_await store.mount_blob(repository, "source", digest);
            linked += (result && *result) ? 1 : 0;
            done++;
        };
        for (const oci::Digest& digest : digests) {
            io::spawn(mount(*f.store, target, digest, finished, mounted));
        }
        while (finished < static_cast<int>(digests.size())) {
            f.loop->turn();
        }
        CHECK(mounted == static_cast<int>(digests.size()));
    }
}

TEST_CASE("store: a cancelled upload leaves nothing behind") {
    Fixture f;
    auto started = run(*f.loop, f.store->start_upload("a", oci::DigestAlgorithm::sha256));
    {
        auto lease = f.store->lease_upload("a", started->id);
        REQUIRE(run(*f.loop, lease->append("partial")).has_value());
        REQUIRE(run(*f.loop, lease->flush()).has_value());
    }
    REQUIRE(run(*f.loop, f.store->cancel_upload("a", started->id)).has_value());
    CHECK(fs::is_empty(f.dir.path / "_uploads"));
    CHECK(!f.store->upload_status("a", started->id).has_value());
}

TEST_CASE("store: an upload is leased to one request at a time and only in its repository") {
    Fixture f;
    auto started = run(*f.loop, f.store->start_upload("a", oci::DigestAlgorithm::sha256));
    auto first = f.store->lease_upload("a", started->id);
    REQUIRE(first.has_value());
    auto second = f.store->lease_upload("a", started->id);
    REQUIRE(!second.has_value());
    CHECK(second.error().failure == storage::Failure::upload_busy);
    auto other = f.store->lease_upload("b", started->id);
    REQUIRE(!other.has_value());
    CHECK(other.error().failure == storage::Failure::upload_unknown);
}
