#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <berth/oci/names.h>

using namespace berth::oci;

namespace {

const std::string hex64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string hex128 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                           "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

// `n` bytes of a valid name made of 4-byte components (`abc/abc/...`), ending in letters.
std::string name_of_length(std::size_t n) {
    std::string name;
    while (name.size() < n) {
        name += name.empty() ? "a" : (name.size() % 4 == 0 ? "/" : "a");
    }
    if (name.back() == '/') {
        name.back() = 'b';
    }
    return name;
}

} // namespace

TEST_CASE("repository names: valid") {
    for (const char* name : {"a",
                             "0",
                             "library/ubuntu",
                             "a/b/c/d/e",
                             "a.b",
                             "a_b",
                             "a__b",
                             "a-b",
                             "a--b",
                             "a---------b",
                             "a.b-c_d",
                             "a1/b2.c3__d4---e5",
                             "123",
                             "my-org/my-team/my-image",
                             "foo/blobs/bar",
                             "x/manifests/y",
                             "tags/list",
                             "blobs/uploads",
                             "referrers",
                             "uploads/uploads"}) {
        CAPTURE(name);
        CHECK(valid_repository_name(name));
    }
}

TEST_CASE("repository names: invalid") {
    for (const char* name :
         {"",     "/",     "a/",   "/a",   "a//b", "A",    "MyRepo", "myRepo/x", "a..b",
          "a._b", "a___b", "a-_b", "a_-b", "a_.b", "-a",   "a-",     ".a",       "a.",
          "_a",   "a_",    "__a",  "a/-b", "a/.b", "a/_b", "a b",    "a\tb",     "a:b",
          "a@b",  "a%2fb", "a+b",  "a\\b", "é",    "a/ÿ",  "a\nb"}) {
        CAPTURE(name);
        CHECK_FALSE(valid_repository_name(name));
    }
    CHECK_FALSE(valid_repository_name(std::string("a\0b", 3)));
    CHECK_FALSE(valid_repository_name(std::string(1, '\0')));
}

TEST_CASE("repository names: path traversal attempts are all invalid") {
    for (const char* name :
         {"..", ".", "../a", "a/..", "a/../b", "a/./b", "./a", "a/.", "../../etc/passwd",
          "/etc/passwd", "a//..//b", "..%2f", "a/...", "...", "a/..b", "a/b..", "a\\..\\b"}) {
        CAPTURE(name);
        CHECK_FALSE(valid_repository_name(name));
    }
}

TEST_CASE("repository names: 255 bytes is the limit") {
    const std::string at_limit = name_of_length(repository_name_bytes_max);
    REQUIRE(at_limit.size() == 255);
    CHECK(valid_repository_name(at_limit));
    const std::string over = name_of_length(repository_name_bytes_max + 1);
    REQUIRE(over.size() == 256);
    CHECK_FALSE(valid_repository_name(over));
    CHECK(valid_repository_name(std::string(255, 'a')));
    CHECK_FALSE(valid_repository_name(std::string(256, 'a')));
    CHECK_FALSE(valid_repository_name(std::string(100000, 'a')));
}

TEST_CASE("repository names: long hostile input is linear, not a crash") {
    std::string hostile;
    for (int i = 0; i < 100000; ++i) {
        hostile += "a-";
    }
    CHECK_FALSE(valid_repository_name(hostile));
}

TEST_CASE("tags") {
    for (const char* tag : {"latest", "Latest", "LATEST", "v1.0.0", "1", "_", "_latest", "a-b_c.d",
                            "sha256-" /* fallback tag prefix */, "A__--..9"}) {
        CAPTURE(tag);
        CHECK(valid_tag(tag));
    }
    for (const char* tag : {"", ".", "-", ".latest", "-latest", "lat:est", "sha256:abc", "a/b",
                            "a b", "a+b", "a@b", "é", "a%20"}) {
        CAPTURE(tag);
        CHECK_FALSE(valid_tag(tag));
    }
    CHECK_FALSE(valid_tag(std::string("a\0", 2)));
    // Upper-case is allowed in tags, and `Latest` is not `latest`: validity never folds case.
    CHECK(valid_tag("Latest"));
}

TEST_CASE("tags: 128 characters is the limit") {
    CHECK(valid_tag(std::string(tag_bytes_max, 'a')));
    CHECK(valid_tag(std::string(127, 'a')));
    CHECK_FALSE(valid_tag(std::string(129, 'a')));
    CHECK(valid_tag("sha256-" + hex64)); // a referrers fallback tag is 71 characters
    CHECK(valid_tag("sha512-" + hex128.substr(0, 64)));
}

TEST_CASE("digests: sha256") {
    const auto d = parse_digest("sha256:" + hex64);
    REQUIRE(d);
    CHECK(d->algorithm == DigestAlgorithm::sha256);
    CHECK(d->hex == hex64);
    CHECK(d->algorithm_name() == "sha256");
    CHECK(d->str() == "sha256:" + hex64);
    CHECK(digest_hex_length(DigestAlgorithm::sha256) == 64);
}

TEST_CASE("digests: sha512") {
    const auto d = parse_digest("sha512:" + hex128);
    REQUIRE(d);
    CHECK(d->algorithm == DigestAlgorithm::sha512);
    CHECK(d->hex == hex128);
    CHECK(d->str() == "sha512:" + hex128);
    CHECK(digest_hex_length(DigestAlgorithm::sha512) == 128);
}

TEST_CASE("digests: wrong length and case are malformed") {
    const auto malformed = [](const std::string& text) {
        const auto d = parse_digest(text);
        return !d && d.error() == DigestError::malformed;
    };
    CHECK(malformed("sha256:" + hex64.substr(0, 63)));
    CHECK(malformed("sha256:" + hex64 + "0"));
    CHECK(malformed("sha256:" + hex128));
    CHECK(malformed("sha512:" + hex64));
    CHECK(malformed("sha512:" + hex128.substr(0, 127)));
    CHECK(malformed("sha512:" + hex128 + "a"));
    std::string upper = hex64;
    upper[10] = 'C';
    CHECK(malformed("sha256:" + upper));
    std::string all_upper;
    for (const char c : hex64) {
        all_upper += (c >= 'a' && c <= 'f') ? static_cast<char>(c - 'a' + 'A') : c;
    }
    CHECK(malformed("sha256:" + all_upper));
    std::string non_hex = hex64;
    non_hex[0] = 'g';
    CHECK(malformed("sha256:" + non_hex)); // fits the generic grammar, not sha256's
    CHECK(malformed("SHA256:" + hex64));
    CHECK(malformed("Sha256:" + hex64));
}

TEST_CASE("digests: broken syntax is malformed") {
    for (const std::string& text : std::vector<std::string>{std::string(),
                                                            std::string(":"),
                                                            std::string("sha256"),
                                                            std::string("sha256:"),
                                                            std::string(":") + hex64,
                                                            hex64,
                                                            "sha256::" + hex64,
                                                            "sha256:" + hex64 + ":",
                                                            " sha256:" + hex64,
                                                            "sha256:" + hex64 + " ",
                                                            "sha256:" + hex64 + "\n",
                                                            "sha256 :" + hex64,
                                                            "sha256:/" + hex64.substr(1),
                                                            "sha256:" + hex64.substr(1) + "/",
                                                            "sha256:../" + hex64.substr(3),
                                                            "-sha256:" + hex64,
                                                            "sha+:abc",
                                                            "+sha:abc",
                                                            "sh--a:abc",
                                                            "s.:abc",
                                                            "a:b c",
                                                            "a:b/c",
                                                            "a:b+c",
                                                            "a:b.c",
                                                            std::string("sha256:\0", 8) + hex64}) {
        CAPTURE(text);
        const auto d = parse_digest(text);
        REQUIRE_FALSE(d);
        CHECK(d.error() == DigestError::malformed);
    }
}

TEST_CASE("digests: other algorithms under the generic grammar are unsupported") {
    for (const std::string& text : std::vector<std::string>{
             "blake3:" + hex64, "md5:d41d8cd98f00b204e9800998ecf8427e", "sha384:abc",
             std::string("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"),
             std::string("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564"),
             std::string("a.b_c-d:x=y_z-1"), std::string("sha1:A")}) {
        CAPTURE(text);
        const auto d = parse_digest(text);
        REQUIRE_FALSE(d);
        CHECK(d.error() == DigestError::unsupported);
    }
}

TEST_CASE("digest algorithms") {
    CHECK(*parse_digest_algorithm("sha256") == DigestAlgorithm::sha256);
    CHECK(*parse_digest_algorithm("sha512") == DigestAlgorithm::sha512);
    CHECK(parse_digest_algorithm("blake3").error() == DigestError::unsupported);
    CHECK(parse_digest_algorithm("sha384").error() == DigestError::unsupported);
    CHECK(parse_digest_algorithm("").error() == DigestError::malformed);
    CHECK(parse_digest_algorithm("SHA256").error() == DigestError::malformed);
    CHECK(parse_digest_algorithm("sha256-").error() == DigestError::malformed);
    CHECK(parse_digest_algorithm("sha 256").error() == DigestError::malformed);
}

TEST_CASE("digests compare by value") {
    CHECK(*parse_digest("sha256:" + hex64) == *parse_digest("sha256:" + hex64));
    Digest other = *parse_digest("sha256:" + hex64);
    other.hex[0] = 'f';
    CHECK_FALSE(other == *parse_digest("sha256:" + hex64));
}

TEST_CASE("media types (RFC 6838)") {
    for (const char* type :
         {"application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
          "application/vnd.docker.distribution.manifest.v2+json",
          "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.empty.v1+json",
          "application/octet-stream", "text/plain", "A/B", "0/0", "a/b!#$&^_.+-",
          "application/vnd.in-toto+json", "application/vnd.buildkit.cacheconfig.v0"}) {
        CAPTURE(type);
        CHECK(valid_media_type(type));
    }
    for (const char* type : {"",
                             "/",
                             "a/",
                             "/b",
                             "application",
                             "a/b/c",
                             "a//b",
                             "+a/b",
                             "a/-b",
                             ".a/b",
                             "a b/c",
                             "a/b c",
                             "a/b;charset=utf-8",
                             "a/b ",
                             " a/b",
                             "a/b\n",
                             "a/b*",
                             "*/*",
                             "a/b,c",
                             "é/b",
                             "a/b=c",
                             "a/(b)"}) {
        CAPTURE(type);
        CHECK_FALSE(valid_media_type(type));
    }
}

TEST_CASE("media types: each half is at most 127 characters") {
    const std::string half127 = std::string(127, 'a');
    CHECK(valid_media_type(half127 + "/" + half127));
    CHECK_FALSE(valid_media_type(std::string(128, 'a') + "/b"));
    CHECK_FALSE(valid_media_type("a/" + std::string(128, 'b')));
}

TEST_CASE("upload ids") {
    for (const char* id : {"a", "0f8e2a6c-3d5b-4e1a-9c7f-123456789abc", "A.b_c=d-e", "x..y", "=",
                           "_", "-", "...", ".a"}) {
        CAPTURE(id);
        CHECK(valid_upload_id(id));
    }
    for (const char* id : {"", ".", "..", "a/b", "../x", "a b", "a%2F", "a:b", "a+b", "é"}) {
        CAPTURE(id);
        CHECK_FALSE(valid_upload_id(id));
    }
    CHECK(valid_upload_id(std::string(upload_id_bytes_max, 'a')));
    CHECK_FALSE(valid_upload_id(std::string(upload_id_bytes_max + 1, 'a')));
    CHECK_FALSE(valid_upload_id(std::string("a\0", 2)));
}
