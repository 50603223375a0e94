#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <berth/registry/routes.h>

using namespace berth::registry;

namespace {

const std::string hex64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string digest = "sha256:" + hex64;

void check_route(const std::string& path, RouteKind kind, std::string_view name = {},
                 std::string_view reference = {}, RouteError error = RouteError::none) {
    CAPTURE(path);
    const Route route = parse_route(path);
    CHECK(route_kind_name(route.kind) == route_kind_name(kind));
    CHECK(route.name == name);
    CHECK(route.reference == reference);
    CHECK(static_cast<int>(route.error) == static_cast<int>(error));
}

} // namespace

TEST_CASE("base and registry-level routes") {
    check_route("/v2/", RouteKind::base);
    check_route("/v2", RouteKind::base);
    check_route("/v2/_catalog", RouteKind::catalog);
    check_route("/v2/_%63atalog", RouteKind::catalog); // segments are decoded before matching
    const Route search = parse_route("/v2/_zot/ext/search");
    CHECK(search.kind == RouteKind::registry_extension);
    CHECK(search.extension_path == "_zot/ext/search");
    CHECK(search.name.empty());
    const Route discover = parse_route("/v2/_oci/ext/discover");
    CHECK(discover.kind == RouteKind::registry_extension);
    CHECK(discover.extension_path == "_oci/ext/discover");
    // `_catalog` only on its own; anything longer is some extension's business.
    CHECK(parse_route("/v2/_catalog/").kind == RouteKind::registry_extension);
    CHECK(parse_route("/v2/_catalog/x").extension_path == "_catalog/x");
}

TEST_CASE("paths outside /v2 are not found") {
    for (const char* path : {"", "/", "/v1/", "/v2x", "/v2x/", "/V2/", "/v3/_catalog", "v2/",
                             "//v2/", "/metrics", "/v2foo/bar/manifests/latest", "/home"}) {
        CAPTURE(path);
        const Route route = parse_route(path);
        CHECK(route.kind == RouteKind::not_found);
        CHECK(route.error == RouteError::none);
    }
}

TEST_CASE("manifests by tag and by digest") {
    check_route("/v2/foo/manifests/latest", RouteKind::manifest, "foo", "latest");
    check_route("/v2/library/ubuntu/manifests/22.04", RouteKind::manifest, "library/ubuntu",
                "22.04");
    check_route("/v2/a/b/c/d/manifests/Latest", RouteKind::manifest, "a/b/c/d", "Latest");
    check_route("/v2/foo/manifests/_latest", RouteKind::manifest, "foo", "_latest");
    CHECK_FALSE(parse_route("/v2/foo/manifests/latest").digest.has_value());
    const Route by_digest = parse_route("/v2/foo/manifests/" + digest);
    CHECK(by_digest.kind == RouteKind::manifest);
    CHECK(by_digest.reference == digest);
    REQUIRE(by_digest.digest);
    CHECK(by_digest.digest->str() == digest);
}

TEST_CASE("manifest references that are neither tag nor digest") {
    check_route("/v2/foo/manifests/.latest", RouteKind::manifest, "foo", ".latest",
                RouteError::reference_invalid);
    check_route("/v2/foo/manifests/-latest", RouteKind::manifest, "foo", "-latest",
                RouteError::reference_invalid);
    check_route("/v2/foo/manifests/" + std::string(128, 'a'), RouteKind::manifest, "foo",
                std::string(128, 'a'));
    check_route("/v2/foo/manifests/" + std::string(129, 'a'), RouteKind::manifest, "foo",
                std::string(129, 'a'), RouteError::reference_invalid);
    check_route("/v2/foo/manifests/", RouteKind::manifest, "foo", "",
                RouteError::reference_invalid);
    check_route("/v2/foo/manifests/a%20b", RouteKind::manifest, "foo", "a b",
                RouteError::reference_invalid);
    // With a `:` it is a digest, and its faults are digest faults.
    check_route("/v2/foo/manifests/sha256:" + hex64.substr(1), RouteKind::manifest, "foo",
                "sha256:" + hex64.substr(1), RouteError::digest_invalid);
    check_route("/v2/foo/manifests/blake3:" + hex64, RouteKind::manifest, "foo", "blake3:" + hex64,
                RouteError::digest_unsupported);
}

TEST_CASE("blobs") {
    check_route("/v2/foo/blobs/" + digest, RouteKind::blob, "foo", digest);
    REQUIRE(parse_route("/v2/foo/blobs/" + digest).digest);
    // §11 #35: a percent-encoded `:` is the same digest.
    const Route encoded = parse_route("/v2/foo/blobs/sha256%3A" + hex64);
    CHECK(encoded.kind == RouteKind::blob);
    CHECK(encoded.reference == digest);
    REQUIRE(encoded.digest);
    CHECK(encoded.digest->hex == hex64);
    CHECK(parse_route("/v2/foo/blobs/sha256%3a" + hex64).error == RouteError::none);
}

TEST_CASE("blob digests: §11 #14 and neighbours") {
    std::string upper = hex64;
    upper[0] = 'E';
    check_route("/v2/foo/blobs/sha256:" + upper, RouteKind::blob, "foo", "sha256:" + upper,
                RouteError::digest_invalid);
    check_route("/v2/foo/blobs/sha256:" + hex64.substr(0, 63), RouteKind::blob, "foo",
                "sha256:" + hex64.substr(0, 63), RouteError::digest_invalid);
    check_route("/v2/foo/blobs/sha256:" + hex64 + "0", RouteKind::blob, "foo",
                "sha256:" + hex64 + "0", RouteError::digest_invalid);
    check_route("/v2/foo/blobs/latest", RouteKind::blob, "foo", "latest",
                RouteError::digest_invalid);
    check_route("/v2/foo/blobs/", RouteKind::blob, "foo", "", RouteError::digest_invalid);
    check_route("/v2/foo/blobs/sha384:abc", RouteKind::blob, "foo", "sha384:abc",
                RouteError::digest_unsupported);
}

TEST_CASE("uploads") {
    check_route("/v2/foo/blobs/uploads/", RouteKind::upload_start, "foo");
    check_route("/v2/foo/blobs/uploads", RouteKind::upload_start, "foo");
    check_route("/v2/a/b/blobs/uploads/", RouteKind::upload_start, "a/b");
    const std::string id = "0f8e2a6c-3d5b-4e1a-9c7f-123456789abc";
    check_route("/v2/foo/blobs/uploads/" + id, RouteKind::upload, "foo", id);
    check_route("/v2/foo/bar/blobs/uploads/" + id, RouteKind::upload, "foo/bar", id);
    check_route("/v2/foo/blobs/uploads/a.b_c=d-E", RouteKind::upload, "foo", "a.b_c=d-E");
    check_route("/v2/foo/blobs/uploads/" + std::string(128, 'a'), RouteKind::upload, "foo",
                std::string(128, 'a'));
    check_route("/v2/foo/blobs/uploads/" + std::string(129, 'a'), RouteKind::upload, "foo",
                std::string(129, 'a'), RouteError::upload_id_invalid);
    check_route("/v2/foo/blobs/uploads/..", RouteKind::upload, "foo", "..",
                RouteError::upload_id_invalid);
    check_route("/v2/foo/blobs/uploads/a%20b", RouteKind::upload, "foo", "a b",
                RouteError::upload_id_invalid);
    check_route("/v2/foo/blobs/uploads/a+b", RouteKind::upload, "foo", "a+b",
                RouteError::upload_id_invalid);
    // A trailing slash after an id is no route at all.
    check_route("/v2/foo/blobs/uploads/" + id + "/", RouteKind::not_found);
    check_route("/v2/foo/blobs/uploads//", RouteKind::not_found);
}

TEST_CASE("tags list and referrers") {
    check_route("/v2/foo/tags/list", RouteKind::tags_list, "foo");
    check_route("/v2/a/b/c/tags/list", RouteKind::tags_list, "a/b/c");
    check_route("/v2/foo/tags/list/", RouteKind::not_found);
    check_route("/v2/foo/tags/", RouteKind::not_found);
    check_route("/v2/foo/tags", RouteKind::not_found);
    check_route("/v2/foo/referrers/" + digest, RouteKind::referrers, "foo", digest);
    REQUIRE(parse_route("/v2/foo/referrers/" + digest).digest);
    // §11 #64: a malformed referrers digest is a 400, not a 404.
    check_route("/v2/foo/referrers/sha256:abc", RouteKind::referrers, "foo", "sha256:abc",
                RouteError::digest_invalid);
    CHECK(route_error_code(parse_route("/v2/foo/referrers/sha256:abc").error) ==
          ErrorCode::digest_invalid);
}

TEST_CASE("§11 #74: names with route keywords route by the right-most suffix") {
    check_route("/v2/foo/blobs/bar/manifests/v1", RouteKind::manifest, "foo/blobs/bar", "v1");
    check_route("/v2/foo/manifests/bar/blobs/" + digest, RouteKind::blob, "foo/manifests/bar",
                digest);
    check_route("/v2/blobs/blobs/" + digest, RouteKind::blob, "blobs", digest);
    check_route("/v2/manifests/manifests/latest", RouteKind::manifest, "manifests", "latest");
    check_route("/v2/blobs/uploads/blobs/uploads/", RouteKind::upload_start, "blobs/uploads");
    check_route("/v2/x/blobs/uploads/blobs/uploads", RouteKind::upload_start, "x/blobs/uploads");
    check_route("/v2/uploads/blobs/uploads/abc", RouteKind::upload, "uploads", "abc");
    check_route("/v2/x/blobs/uploads/manifests/v1", RouteKind::manifest, "x/blobs/uploads", "v1");
    check_route("/v2/x/blobs/uploads/blobs/" + digest, RouteKind::blob, "x/blobs/uploads", digest);
    check_route("/v2/tags/list/tags/list", RouteKind::tags_list, "tags/list");
    check_route("/v2/referrers/referrers/" + digest, RouteKind::referrers, "referrers", digest);
    check_route("/v2/x/tags/list/manifests/list", RouteKind::manifest, "x/tags/list", "list");
    // The tag `uploads` under a name that ends in `blobs`... is a manifest, by the right-most rule.
    check_route("/v2/x/blobs/manifests/uploads", RouteKind::manifest, "x/blobs", "uploads");
}

TEST_CASE("suffixes need a name in front of them") {
    check_route("/v2/blobs/uploads/", RouteKind::not_found);
    check_route("/v2/blobs/uploads", RouteKind::not_found);
    check_route("/v2/tags/list", RouteKind::not_found);
    check_route("/v2/manifests/latest", RouteKind::not_found);
    check_route("/v2/blobs/" + digest, RouteKind::not_found);
    check_route("/v2/foo", RouteKind::not_found);
    check_route("/v2/foo/", RouteKind::not_found);
    check_route("/v2/foo/bar", RouteKind::not_found);
    check_route("/v2/foo/unknown/x", RouteKind::not_found);
}

TEST_CASE("§11 #10, #11: invalid names on every route") {
    const std::string name_256 = std::string(256, 'a');
    for (const std::string& name :
         std::vector<std::string>{std::string("MyRepo"), std::string("a..b"), std::string("a___b"),
                                  std::string("-a"), std::string("a/"), std::string("a//b"),
                                  std::string("a-"), std::string("a/B"), name_256}) {
        CAPTURE(name);
        for (const std::string& suffix : std::vector<std::string>{
                 "/manifests/latest", "/blobs/" + digest, "/blobs/uploads/", "/blobs/uploads/abc",
                 std::string("/tags/list"), "/referrers/" + digest}) {
            CAPTURE(suffix);
            const Route route = parse_route("/v2/" + name + suffix);
            CHECK(route.kind != RouteKind::not_found);
            CHECK(route.error == RouteError::name_invalid);
            CHECK(route.name == name);
            CHECK(route_error_code(route.error) == ErrorCode::name_invalid);
        }
    }
    // 255 bytes is still fine.
    check_route("/v2/" + std::string(255, 'a') + "/tags/list", RouteKind::tags_list,
                std::string(255, 'a'));
    // An empty name (`/v2//...`) is a name, and an invalid one.
    check_route("/v2//manifests/latest", RouteKind::manifest, "", "latest",
                RouteError::name_invalid);
}

TEST_CASE("the name is checked before the reference") {
    check_route("/v2/Foo/blobs/sha256:abc", RouteKind::blob, "Foo", "sha256:abc",
                RouteError::name_invalid);
    check_route("/v2/Foo/manifests/.x", RouteKind::manifest, "Foo", ".x", RouteError::name_invalid);
    CHECK_FALSE(parse_route("/v2/Foo/blobs/" + digest).digest.has_value());
}

TEST_CASE("path traversal never yields a valid name") {
    for (const char* path :
         {"/v2/../manifests/latest", "/v2/a/../b/manifests/latest", "/v2/./a/manifests/latest",
          "/v2/%2e%2e/manifests/latest", "/v2/a/%2E%2E/manifests/latest",
          "/v2/%2e%2e/%2e%2e/etc/blobs/uploads/", "/v2/a/./tags/list"}) {
        CAPTURE(path);
        const Route route = parse_route(path);
        CHECK(route.error == RouteError::name_invalid);
    }
    for (const char* path :
         {"/v2/a%2F..%2F..%2Fetc/manifests/latest", "/v2/a/b%2fc/tags/list",
          "/v2/foo/blobs/uploads/..%2F..%2Fx", "/v2/foo/manifests/a%2fb", "/v2/foo%00/tags/list",
          "/v2/foo/manifests/latest%00", "/v2/foo/tags/list%", "/v2/foo/manifests/%zz",
          "/v2/foo%2/tags/list", "/v2/%/tags/list", "/v2/_zot/ext%2Fsearch"}) {
        CAPTURE(path);
        const Route route = parse_route(path);
        CHECK(route.kind == RouteKind::not_found);
        CHECK(route.error == RouteError::path_invalid);
        CHECK_FALSE(route_error_code(route.error).has_value());
    }
}

TEST_CASE("percent-decoding is per segment") {
    check_route("/v2/foo%2Dbar/manifests/v%31", RouteKind::manifest, "foo-bar", "v1");
    check_route("/v2/foo/%6Danifests/latest", RouteKind::manifest, "foo", "latest");
    // `+` is not a space in a path: it stays, and makes the name invalid.
    check_route("/v2/a+b/tags/list", RouteKind::tags_list, "a+b", "", RouteError::name_invalid);
}

TEST_CASE("repository extensions") {
    const Route discover = parse_route("/v2/foo/bar/_oci/ext/discover");
    CHECK(discover.kind == RouteKind::repository_extension);
    CHECK(discover.name == "foo/bar");
    CHECK(discover.extension_path == "_oci/ext/discover");
    CHECK(discover.error == RouteError::none);
    // A `_` segment inside what would be a name wins over a later suffix: names never hold one.
    const Route inner = parse_route("/v2/foo/_zot/ext/manifests/latest");
    CHECK(inner.kind == RouteKind::repository_extension);
    CHECK(inner.name == "foo");
    CHECK(inner.extension_path == "_zot/ext/manifests/latest");
    const Route bad_name = parse_route("/v2/Foo/_oci/ext/discover");
    CHECK(bad_name.kind == RouteKind::repository_extension);
    CHECK(bad_name.error == RouteError::name_invalid);
    CHECK(parse_route("/v2/foo/_x").extension_path == "_x");
    CHECK(parse_route("/v2/foo/_x/").extension_path == "_x/");
}

TEST_CASE("route error codes") {
    CHECK_FALSE(route_error_code(RouteError::none).has_value());
    CHECK(route_error_code(RouteError::name_invalid) == ErrorCode::name_invalid);
    CHECK(route_error_code(RouteError::reference_invalid) == ErrorCode::manifest_invalid);
    CHECK(route_error_code(RouteError::digest_invalid) == ErrorCode::digest_invalid);
    CHECK(route_error_code(RouteError::digest_unsupported) == ErrorCode::digest_invalid);
    CHECK(route_error_code(RouteError::upload_id_invalid) == ErrorCode::blob_upload_unknown);
}

TEST_CASE("long hostile paths") {
    std::string many = "/v2";
    for (int i = 0; i < 20000; ++i) {
        many += "/blobs";
    }
    // `.../blobs/blobs` has the blob shape; the name is far beyond 255 bytes.
    CHECK(parse_route(many).kind == RouteKind::blob);
    CHECK(parse_route(many).error == RouteError::name_invalid);
    CHECK(parse_route(many + "/" + digest).error == RouteError::name_invalid); // > 255 bytes
    std::string percent = "/v2/";
    for (int i = 0; i < 20000; ++i) {
        percent += "%61";
    }
    CHECK(parse_route(percent + "/tags/list").error == RouteError::name_invalid);
}
