// The manifest validator: what real clients push is accepted and read correctly, and every way
// a body can be wrong (JSON, schema, type, descriptors) is refused with a message that names the
// field. The bodies below follow what podman/buildah, docker, oras and notation push.
#include <string>

#include <doctest/doctest.h>

#include <berth/oci/manifest.h>

using namespace berth::oci;

namespace {

constexpr std::string_view config_hex =
    "b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910";
constexpr std::string_view layer1_hex =
    "77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2";
constexpr std::string_view empty_json_digest =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

// podman push --format oci of a three-layer image built with buildah.
constexpr std::string_view podman_image = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": "sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910",
    "size": 1471
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2",
      "size": 3401967
    },
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": "sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06",
      "size": 1024
    },
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
      "digest": "sha256:a0e70458d19e37e14d6388030a017c587283e2fb6ef10c0744cad0294c47e8f8",
      "size": 5242880
    }
  ],
  "annotations": {
    "org.opencontainers.image.base.digest": "",
    "org.opencontainers.image.base.name": ""
  }
}
)";

// A two-architecture index as `podman manifest push` and `buildah manifest push` write it.
constexpr std::string_view two_arch_index = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:5861314d7fccb39c2192173240eab44fa35ca66426201ca2acd0630a6258dd51",
      "size": 1002,
      "platform": { "architecture": "amd64", "os": "linux" }
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:f69162950f235e3cdbbad33f1f912d1a504be90d8a37d002c735d6f3e3882265",
      "size": 1002,
      "platform": {
        "architecture": "arm64",
        "os": "linux",
        "variant": "v8",
        "os.version": "6.1",
        "os.features": ["f1"],
        "features": ["sse4"]
      }
    }
  ]
})";

// docker push of a classic image.
constexpr std::string_view docker_image = R"({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 7023,
      "digest": "sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 32654,
         "digest": "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2"
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
         "size": 73109,
         "digest": "sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06",
         "urls": ["https://mcr.microsoft.com/v2/windows/blobs/sha256:95cf"]
      }
   ]
})";

constexpr std::string_view docker_list = R"({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
   "manifests": [
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 7143,
         "digest": "sha256:5861314d7fccb39c2192173240eab44fa35ca66426201ca2acd0630a6258dd51",
         "platform": { "architecture": "ppc64le", "os": "linux" }
      },
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 7682,
         "digest": "sha256:f69162950f235e3cdbbad33f1f912d1a504be90d8a37d002c735d6f3e3882265",
         "platform": { "architecture": "amd64", "os": "windows",
                       "os.version": "10.0.14393.1066", "features": ["sse4"] }
      }
   ]
})";

// oras push of an SBOM artifact: artifactType and the empty config.
constexpr std::string_view oras_artifact = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "artifactType": "application/vnd.example.sbom.v1",
  "config": {
    "mediaType": "application/vnd.oci.empty.v1+json",
    "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    "size": 2,
    "data": "e30="
  },
  "layers": [
    {
      "mediaType": "application/spdx+json",
      "digest": "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2",
      "size": 8421,
      "annotations": { "org.opencontainers.image.title": "sbom.spdx.json" }
    }
  ],
  "annotations": { "org.opencontainers.image.created": "2024-05-01T10:00:00Z" }
})";

// notation sign: a referrer with a subject and no layers beyond the signature.
constexpr std::string_view notation_signature = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {
    "mediaType": "application/vnd.cncf.notary.signature",
    "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    "size": 2
  },
  "layers": [
    {
      "mediaType": "application/jose+json",
      "digest": "sha256:a543997d84f12798350c09bdef2cdb171bf41ed3e4a5f808af2feb0c56263009",
      "size": 2090
    }
  ],
  "subject": {
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": "sha256:a9491f4c1bf7b0cffbadcba2db8f028e4b3f2867cb59e1f3a0bc1968f3c51242",
    "size": 1788
  },
  "annotations": { "io.cncf.notary.x509chain.thumbprint#S256": "[\"9f5f\"]" }
})";

ManifestInfo accepted(std::string_view body, std::string_view content_type) {
    auto parsed = parse_manifest(body, content_type);
    if (!parsed) {
        FAIL("rejected: ", parsed.error().message);
    }
    return std::move(parsed).value();
}

std::string rejected(std::string_view body, std::string_view content_type) {
    auto parsed = parse_manifest(body, content_type);
    if (parsed) {
        FAIL("accepted: ", body);
    }
    return parsed.error().message;
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

// An image manifest whose single layer descriptor has `members` as its body.
std::string with_layer(std::string_view members) {
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
           R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
           std::string(empty_json_digest) + R"(","size":2},"layers":[{)" + std::string(members) +
           "}]}";
}

// A layer descriptor body with one member replaced or added.
std::string layer_with(std::string_view media_type, std::string_view digest, std::string_view size,
                       std::string_view extra = {}) {
    std::string members = R"("mediaType":)" + std::string(media_type) + R"(,"digest":)" +
                          std::string(digest) + R"(,"size":)" + std::string(size);
    if (!extra.empty()) {
        members += "," + std::string(extra);
    }
    return with_layer(members);
}

std::string layer_digest(std::string_view digest) {
    return layer_with(R"("application/vnd.oci.image.layer.v1.tar")", digest, "10");
}

std::string layer_size(std::string_view size) {
    return layer_with(R"("application/vnd.oci.image.layer.v1.tar")",
                      "\"sha256:" + std::string(layer1_hex) + "\"", size);
}

std::string layer_extra(std::string_view extra) {
    return layer_with(R"("application/vnd.oci.image.layer.v1.tar")",
                      "\"sha256:" + std::string(layer1_hex) + "\"", "10", extra);
}

// A minimal valid image manifest with `members` added at the top level.
std::string image_with(std::string_view members) {
    std::string body = with_layer(R"("mediaType":"application/vnd.oci.image.layer.v1.tar",)"
                                  R"("digest":")" +
                                  std::string(empty_json_digest) + R"(","size":2)");
    body.pop_back();
    return body + "," + std::string(members) + "}";
}

} // namespace

TEST_CASE("manifest: a podman multi-layer OCI image is read in full") {
    ManifestInfo info = accepted(podman_image, oci_manifest_media_type);
    CHECK(info.kind == ManifestKind::oci_manifest);
    CHECK(info.media_type == oci_manifest_media_type);
    REQUIRE(info.config);
    CHECK(info.config->media_type == "application/vnd.oci.image.config.v1+json");
    CHECK(info.config->digest.str() == "sha256:" + std::string(config_hex));
    CHECK(info.config->size == 1471);
    REQUIRE(info.layers.size() == 3);
    CHECK(info.layers[0].digest.hex == layer1_hex);
    CHECK(info.layers[0].size == 3401967);
    CHECK(info.layers[2].media_type == "application/vnd.oci.image.layer.v1.tar+zstd");
    CHECK_FALSE(info.layers[0].has_urls);
    CHECK(info.manifests.empty());
    CHECK_FALSE(info.subject);
    REQUIRE(info.annotations.size() == 2);
    CHECK(info.annotations[0].first == "org.opencontainers.image.base.digest");
    CHECK(info.annotations[0].second.empty());
    CHECK(referrer_artifact_type(info) == "application/vnd.oci.image.config.v1+json");
}

TEST_CASE("manifest: a two-architecture OCI index keeps its platforms") {
    ManifestInfo info = accepted(two_arch_index, oci_index_media_type);
    CHECK(info.kind == ManifestKind::oci_index);
    CHECK(info.media_type == oci_index_media_type);
    CHECK_FALSE(info.config);
    REQUIRE(info.manifests.size() == 2);
    REQUIRE(info.manifests[0].platform);
    CHECK(info.manifests[0].platform->architecture == "amd64");
    CHECK(info.manifests[0].platform->os == "linux");
    const Platform& arm = *info.manifests[1].platform;
    CHECK(arm.architecture == "arm64");
    CHECK(arm.variant == "v8");
    CHECK(arm.os_version == "6.1");
    CHECK(arm.os_features == std::vector<std::string>{"f1"});
    CHECK(arm.features == std::vector<std::string>{"sse4"});
    CHECK(referrer_artifact_type(info).empty());
}

TEST_CASE("manifest: Docker schema 2 manifest and manifest list are accepted") {
    SUBCASE("manifest, with a foreign layer") {
        ManifestInfo info = accepted(docker_image, docker_manifest_media_type);
        CHECK(info.kind == ManifestKind::docker_manifest);
        CHECK(info.media_type == docker_manifest_media_type);
        REQUIRE(info.layers.size() == 2);
        CHECK_FALSE(info.layers[0].has_urls);
        CHECK(info.layers[1].has_urls);
    }
    SUBCASE("list") {
        ManifestInfo info = accepted(docker_list, docker_manifest_list_media_type);
        CHECK(info.kind == ManifestKind::docker_manifest_list);
        REQUIRE(info.manifests.size() == 2);
        CHECK(info.manifests[1].platform->os_version == "10.0.14393.1066");
    }
    SUBCASE("a Docker manifest carries no subject or artifactType") {
        std::string body(docker_image);
        body.insert(body.rfind('}'), R"(,"artifactType":"application/x.a","subject":{
            "mediaType":"application/vnd.oci.image.manifest.v1+json","size":2,
            "digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"})");
        ManifestInfo info = accepted(body, docker_manifest_media_type);
        CHECK_FALSE(info.subject);
        CHECK(info.artifact_type.empty());
    }
}

TEST_CASE("manifest: an artifact with artifactType and the empty config") {
    ManifestInfo info = accepted(oras_artifact, oci_manifest_media_type);
    CHECK(info.artifact_type == "application/vnd.example.sbom.v1");
    CHECK(info.config->media_type == "application/vnd.oci.empty.v1+json");
    CHECK(info.config->digest.str() == empty_json_digest);
    CHECK(info.config->size == 2);
    CHECK(find_annotation(info.layers[0].annotations, "org.opencontainers.image.title") ==
          "sbom.spdx.json");
    CHECK_FALSE(find_annotation(info.layers[0].annotations, "missing"));
    CHECK(referrer_artifact_type(info) == "application/vnd.example.sbom.v1");
}

TEST_CASE("manifest: a referrer keeps its subject") {
    ManifestInfo info = accepted(notation_signature, oci_manifest_media_type);
    REQUIRE(info.subject);
    CHECK(info.subject->digest.hex ==
          "a9491f4c1bf7b0cffbadcba2db8f028e4b3f2867cb59e1f3a0bc1968f3c51242");
    CHECK(info.subject->media_type == oci_manifest_media_type);
    CHECK(info.subject->size == 1788);
    CHECK(referrer_artifact_type(info) == "application/vnd.cncf.notary.signature");
    CHECK(find_annotation(info.annotations, "io.cncf.notary.x509chain.thumbprint#S256") ==
          "[\"9f5f\"]");

    SUBCASE("an index referrer without artifactType has none") {
        std::string body(two_arch_index);
        body.insert(body.rfind('}'), R"(,"subject":{"mediaType":"application/vnd.oci.image.)"
                                     R"(index.v1+json","size":10,"digest":")" +
                                         std::string(empty_json_digest) + "\"}");
        ManifestInfo index = accepted(body, oci_index_media_type);
        REQUIRE(index.subject);
        CHECK(referrer_artifact_type(index).empty());
    }
    SUBCASE("an index referrer with artifactType has it") {
        std::string body(two_arch_index);
        body.insert(body.rfind('}'), R"(,"artifactType":"application/vnd.example+type")");
        CHECK(referrer_artifact_type(accepted(body, oci_index_media_type)) ==
              "application/vnd.example+type");
    }
}

TEST_CASE("manifest: empty layers, sha512 digests and unknown members are accepted") {
    std::string empty_layers =
        R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.empty.v1+json",)"
        R"("digest":")" +
        std::string(empty_json_digest) + R"(","size":2},"layers":[]})";
    CHECK(accepted(empty_layers, oci_manifest_media_type).layers.empty());

    ManifestInfo sha512 = accepted(
        layer_digest("\"sha512:a4abd4448c49562d828115d13a1fccea927f52b4d5459297f8b43e42da89238b"
                     "c13626e43dcb38ddb082488927ec904fb42057443983e88585179d50551afe62\""),
        oci_manifest_media_type);
    CHECK(sha512.layers[0].digest.algorithm == DigestAlgorithm::sha512);

    std::string extra = image_with(
        R"("x-future":{"a":[1,-2.5e+3,true,false,null,"\u00e9\ud83d\ude00",{}],"b":{"c":[]}})");
    CHECK(accepted(extra, oci_manifest_media_type).layers.size() == 1);
    CHECK(accepted(layer_extra(R"("x-new":[{"k":0}])"), oci_manifest_media_type).layers.size() ==
          1);
    CHECK(accepted(layer_extra(R"("data":"")"), oci_manifest_media_type).layers.size() == 1);
    CHECK(accepted(layer_extra(R"("urls":[])"), oci_manifest_media_type).layers[0].has_urls ==
          false);
    CHECK(accepted(layer_size("0"), oci_manifest_media_type).layers[0].size == 0);
    CHECK(accepted(layer_size("9223372036854775807"), oci_manifest_media_type).layers[0].size ==
          9223372036854775807);
}

TEST_CASE("manifest: Content-Type parameters, case and whitespace are ignored") {
    for (std::string_view content_type :
         {"application/vnd.oci.image.manifest.v1+json; charset=utf-8",
          " application/vnd.oci.image.manifest.v1+json ;charset=\"utf-8\"",
          "Application/VND.OCI.Image.Manifest.v1+JSON"}) {
        CAPTURE(content_type);
        ManifestInfo info = accepted(podman_image, content_type);
        CHECK(info.media_type == oci_manifest_media_type);
    }
}

TEST_CASE("manifest: the type is sniffed when Content-Type declares none") {
    std::string image_without_type(podman_image);
    image_without_type.replace(
        image_without_type.find(R"("mediaType": "application/vnd.oci.)"),
        std::string_view(R"("mediaType": ")").size() + oci_manifest_media_type.size() + 2, "");
    std::string index_without_type(two_arch_index);
    index_without_type.replace(
        index_without_type.find(R"("mediaType": "application/vnd.oci.)"),
        std::string_view(R"("mediaType": ")").size() + oci_index_media_type.size() + 2, "");
    for (std::string_view content_type :
         {"", "application/json", "application/octet-stream", "application/json; charset=utf-8"}) {
        CAPTURE(content_type);
        CHECK(accepted(image_without_type, content_type).kind == ManifestKind::oci_manifest);
        CHECK(accepted(index_without_type, content_type).kind == ManifestKind::oci_index);
        // The body's mediaType decides when the header is generic.
        CHECK(accepted(docker_list, content_type).kind == ManifestKind::docker_manifest_list);
        CHECK(accepted(podman_image, content_type).media_type == oci_manifest_media_type);
    }
    SUBCASE("a body without mediaType takes a declaring Content-Type") {
        CHECK(accepted(index_without_type, oci_index_media_type).kind == ManifestKind::oci_index);
    }
    SUBCASE("nothing to go on") {
        CHECK(contains(rejected(R"({"schemaVersion":2})", ""), "cannot tell"));
        CHECK(contains(rejected(R"({"schemaVersion":2,"annotations":{}})", "application/json"),
                       "cannot tell"));
    }
    SUBCASE("layers without config is sniffed as an image manifest missing its config") {
        CHECK(rejected(R"({"schemaVersion":2,"layers":[]})", "") == "config: required");
    }
    SUBCASE("config and manifests together") {
        std::string body = image_without_type;
        body.insert(body.rfind('}'), R"(,"manifests":[])");
        CHECK(rejected(body, "") == "manifests: not allowed in an image manifest");
    }
}

TEST_CASE("manifest: Content-Type and mediaType must agree") {
    CHECK(contains(rejected(podman_image, oci_index_media_type), "does not match mediaType"));
    CHECK(contains(rejected(two_arch_index, oci_manifest_media_type), "does not match"));
    CHECK(contains(rejected(docker_image, oci_manifest_media_type), "does not match"));
    CHECK(contains(rejected(podman_image, docker_manifest_media_type), "does not match"));
    CHECK(contains(rejected(podman_image, "text/plain"), "unsupported Content-Type text/plain"));
    CHECK(rejected(podman_image, "not a media type") == "Content-Type is not a media type");
    std::string artifact_manifest(podman_image);
    artifact_manifest.replace(artifact_manifest.find("vnd.oci.image.manifest.v1+json"),
                              std::string_view("vnd.oci.image.manifest.v1+json").size(),
                              "vnd.oci.artifact.manifest.v1+json");
    CHECK(contains(rejected(artifact_manifest, ""), "mediaType: unsupported manifest media type"));
    CHECK(contains(rejected(image_with(R"("mediaType":"")"), ""), "mediaType"));
}

TEST_CASE("manifest: the shape must fit the type") {
    SUBCASE("an index with config or layers") {
        std::string body(two_arch_index);
        body.insert(body.rfind('}'), R"(,"layers":[])");
        CHECK(rejected(body, oci_index_media_type) == "layers: not allowed in an image index");
    }
    SUBCASE("an image manifest with manifests") {
        std::string body(podman_image);
        body.insert(body.rfind('}'), R"(,"manifests":[])");
        CHECK(rejected(body, "") == "manifests: not allowed in an image manifest");
    }
    SUBCASE("missing config, layers or manifests") {
        std::string no_config =
            R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
            R"("layers":[]})";
        CHECK(rejected(no_config, oci_manifest_media_type) == "config: required");
        std::string no_layers(podman_image);
        no_layers.replace(no_layers.find(R"("layers")"), 8, R"("x-layers")");
        CHECK(rejected(no_layers, oci_manifest_media_type) == "layers: required");
        CHECK(rejected(R"({"schemaVersion":2})", oci_index_media_type) == "manifests: required");
    }
    SUBCASE("Docker manifests must state their mediaType") {
        std::string body(docker_list);
        body.replace(body.find(R"("mediaType")"), 11, R"("x-mediaType")");
        CHECK(contains(rejected(body, docker_manifest_list_media_type), "mediaType: required"));
    }
    SUBCASE("config and layers have the wrong JSON type") {
        CHECK(rejected(image_with(R"("x":1)").replace(1, 0, R"("config":[],)"), "") ==
              "config: must be an object");
        std::string layers_object =
            R"({"schemaVersion":2,"config":{"mediaType":"a/b","size":1,"digest":")" +
            std::string(empty_json_digest) + R"("},"layers":{}})";
        CHECK(rejected(layers_object, "") == "layers: must be an array");
        CHECK(rejected(R"({"schemaVersion":2,"manifests":null})", oci_index_media_type) ==
              "manifests: must be an array");
    }
}

TEST_CASE("manifest: Docker schema 1 is refused with a clear message") {
    std::string schema1 = R"({"schemaVersion":1,"name":"a","tag":"b","architecture":"amd64",)"
                          R"("fsLayers":[],"history":[],"signatures":[]})";
    for (std::string_view content_type :
         {"application/vnd.docker.distribution.manifest.v1+json",
          "application/vnd.docker.distribution.manifest.v1+prettyjws", "", "application/json"}) {
        CAPTURE(content_type);
        CHECK(contains(rejected(schema1, content_type), "Docker schema 1"));
    }
    std::string stated = R"({"schemaVersion":2,"mediaType":)"
                         R"("application/vnd.docker.distribution.manifest.v1+json"})";
    CHECK(contains(rejected(stated, ""), "Docker schema 1"));
}

TEST_CASE("manifest: schemaVersion must be the integer 2") {
    auto with_version = [](std::string_view version) {
        std::string body(podman_image);
        body.replace(body.find("\"schemaVersion\": 2"), 18,
                     "\"schemaVersion\": " + std::string(version));
        return body;
    };
    CHECK(rejected(with_version("\"2\""), "") == "schemaVersion: must be an integer");
    CHECK(rejected(with_version("2.0"), "") == "schemaVersion: must be an integer");
    CHECK(rejected(with_version("2e0"), "") == "schemaVersion: must be an integer");
    CHECK(rejected(with_version("3"), "") == "schemaVersion: must be 2");
    CHECK(rejected(with_version("-2"), "") == "schemaVersion: must be 2");
    CHECK(rejected(with_version("null"), "") == "schemaVersion: must be an integer");
    CHECK(rejected(with_version("99999999999999999999"), "") ==
          "schemaVersion: must be an integer that fits in 64 bits");
    CHECK(contains(rejected(with_version("02"), ""), "schemaVersion: invalid JSON"));
    CHECK(contains(rejected(with_version("1"), oci_manifest_media_type), "Docker schema 1"));
    std::string missing(podman_image);
    missing.replace(missing.find("\"schemaVersion\": 2"), 18, "\"x-schemaVersion\": 2");
    CHECK(rejected(missing, "") == "schemaVersion: required");
    CHECK(contains(rejected(with_version("2, \"schemaVersion\": 2"), ""), "duplicate key"));
}

TEST_CASE("manifest: malformed JSON is refused wherever it is") {
    std::string body(podman_image);
    CHECK(contains(rejected(body.substr(0, body.size() / 2), ""), "invalid JSON"));
    CHECK(contains(rejected(body.substr(0, body.rfind('}')), ""), "invalid JSON"));
    CHECK(contains(rejected(body + "x", ""), "invalid JSON"));
    CHECK(contains(rejected(body + "{}", ""), "invalid JSON"));
    CHECK(contains(rejected(body + "}", ""), "invalid JSON"));
    CHECK(accepted(body + "\n\n  \t", "").layers.size() == 3);
    CHECK(rejected("", "") == "empty document");
    CHECK(rejected("   ", "") == "empty document");

    SUBCASE("invalid UTF-8 in a string") {
        std::string bad = image_with("\"x-note\":\"caf\xC3\"");
        CHECK(contains(rejected(bad, ""), "UTF-8"));
        std::string overlong = image_with("\"x-note\":\"\xC0\xAF\"");
        CHECK(contains(rejected(overlong, ""), "UTF-8"));
        std::string in_annotation(oras_artifact);
        in_annotation.replace(in_annotation.find("sbom.spdx.json"), 4, "\xFF\xFE");
        CHECK(contains(rejected(in_annotation, ""), "UTF-8"));
    }
    SUBCASE("broken values inside members berth does not read") {
        for (std::string_view member :
             {R"("x":nul)", R"("x":tru)", R"("x":falsey)", R"("x":01)", R"("x":1.)", R"("x":-)",
              R"("x":.5)", R"("x":1e)", R"("x":"\q")", R"("x":"\u12")", R"("x":[1,])",
              R"("x":{"a" 1})", R"("x":{"a":1,})", R"("x":"\ud800")", "\"x\":\"a\tb\"",
              R"("x":[1 2])", R"("x":NaN)", R"("x":Infinity)", R"("x":'a')"}) {
            CAPTURE(member);
            CHECK(contains(rejected(image_with(member), ""), "invalid JSON"));
        }
    }
    SUBCASE("not an object") {
        for (std::string_view top : {"[]", "[{}]", "\"manifest\"", "2", "null", "true"}) {
            CAPTURE(top);
            CHECK(rejected(top, "") == "must be a JSON object");
        }
    }
}

TEST_CASE("manifest: descriptor digests are checked") {
    std::string hex(layer1_hex);
    std::string upper = hex;
    upper[0] = 'A';
    upper[1] = 'B';
    CHECK(rejected(layer_digest("\"sha256:" + upper + "\""), "") ==
          "layers[0].digest: invalid digest");
    CHECK(rejected(layer_digest("\"sha256:" + hex.substr(1) + "\""), "") ==
          "layers[0].digest: invalid digest");
    CHECK(rejected(layer_digest("\"sha256:" + hex + "0\""), "") ==
          "layers[0].digest: invalid digest");
    CHECK(rejected(layer_digest("\"" + hex + "\""), "") == "layers[0].digest: invalid digest");
    CHECK(contains(rejected(layer_digest("\"sha384:" + hex + hex.substr(0, 32) + "\""), ""),
                   "layers[0].digest: unsupported digest algorithm"));
    CHECK(rejected(layer_digest("7"), "") == "layers[0].digest: must be a string");
    CHECK(rejected(with_layer(R"("mediaType":"a/b","size":1)"), "") ==
          "layers[0].digest: required");
}

TEST_CASE("manifest: descriptor sizes are non-negative 64-bit integers") {
    CHECK(rejected(layer_size("-1"), "") == "layers[0].size: must not be negative");
    CHECK(rejected(layer_size("1.5"), "") == "layers[0].size: must be an integer");
    CHECK(rejected(layer_size("10.0"), "") == "layers[0].size: must be an integer");
    CHECK(rejected(layer_size("1e3"), "") == "layers[0].size: must be an integer");
    CHECK(rejected(layer_size("\"10\""), "") == "layers[0].size: must be an integer");
    CHECK(rejected(layer_size("9223372036854775808"), "") ==
          "layers[0].size: must be an integer that fits in 64 bits");
    CHECK(rejected(
              with_layer(R"("mediaType":"a/b","digest":")" + std::string(empty_json_digest) + "\""),
              "") == "layers[0].size: required");
}

TEST_CASE("manifest: descriptor members have their types") {
    CHECK(rejected(layer_with("\"tar\"", "\"" + std::string(empty_json_digest) + "\"", "2"), "") ==
          "layers[0].mediaType: must be a media type (type/subtype, RFC 6838)");
    CHECK(rejected(layer_with("null", "\"" + std::string(empty_json_digest) + "\"", "2"), "") ==
          "layers[0].mediaType: must be a string");
    CHECK(rejected(layer_extra(R"("urls":"https://a")"), "") == "layers[0].urls: must be an array");
    CHECK(rejected(layer_extra(R"("urls":["https://a",1])"), "") ==
          "layers[0].urls[1]: must be a string");
    CHECK(rejected(layer_extra(R"("data":"e30")"), "") ==
          "layers[0].data: must be base64 (RFC 4648, with padding)");
    CHECK(rejected(layer_extra(R"("data":"e3-=")"), "") ==
          "layers[0].data: must be base64 (RFC 4648, with padding)");
    CHECK(rejected(layer_extra(R"("data":"e===")"), "") ==
          "layers[0].data: must be base64 (RFC 4648, with padding)");
    CHECK(rejected(layer_extra(R"("artifactType":"x")"), "") ==
          "layers[0].artifactType: must be a media type (type/subtype, RFC 6838)");
    CHECK(rejected(layer_extra(R"("size":3)"), "") == "layers[0].size: duplicate key");
    CHECK(accepted(layer_extra(R"("artifactType":"application/vnd.a+b","data":"YWJjZA==")"), "")
              .layers[0]
              .artifact_type == "application/vnd.a+b");
}

TEST_CASE("manifest: annotations are objects of strings") {
    CHECK(rejected(image_with(R"("annotations":{"a":"1","b":2})"), "") ==
          R"(annotations["b"]: must be a string)");
    CHECK(rejected(image_with(R"("annotations":{"a":null})"), "") ==
          R"(annotations["a"]: must be a string)");
    CHECK(rejected(image_with(R"("annotations":{"a":true})"), "") ==
          R"(annotations["a"]: must be a string)");
    CHECK(rejected(image_with(R"("annotations":["a"])"), "") == "annotations: must be an object");
    CHECK(rejected(layer_extra(R"("annotations":{"t":{"x":"y"}})"), "") ==
          R"(layers[0].annotations["t"]: must be a string)");
    CHECK(rejected(image_with(R"("annotations":{"a":"1","a":"2"})"), "") ==
          R"(annotations["a"]: duplicate key)");
    ManifestInfo info = accepted(image_with(R"("annotations":{"e\u0301":"\"q\"\n","":""})"), "");
    REQUIRE(info.annotations.size() == 2);
    CHECK(info.annotations[0].first == "e\xCC\x81");
    CHECK(info.annotations[0].second == "\"q\"\n");
    CHECK(rejected(image_with(R"("artifactType":7)"), "") == "artifactType: must be a string");
}

TEST_CASE("manifest: platforms need architecture and os") {
    auto with_platform = [](std::string_view platform) {
        std::string body(two_arch_index);
        body.replace(body.find(R"({ "architecture": "amd64", "os": "linux" })"), 42, platform);
        return body;
    };
    CHECK(rejected(with_platform(R"({"architecture":"amd64"})"), "") ==
          "manifests[0].platform.os: required");
    CHECK(rejected(with_platform(R"({"os":"linux"})"), "") ==
          "manifests[0].platform.architecture: required");
    CHECK(rejected(with_platform(R"({"os":"linux","architecture":1})"), "") ==
          "manifests[0].platform.architecture: must be a string");
    CHECK(rejected(with_platform(R"({"os":"linux","architecture":"a","features":"x"})"), "") ==
          "manifests[0].platform.features: must be an array");
    CHECK(rejected(with_platform(R"("linux/amd64")"), "") ==
          "manifests[0].platform: must be an object");
    CHECK(accepted(with_platform(R"({"os":"linux","architecture":"a","x-new":[]})"), "")
              .manifests[0]
              .platform->architecture == "a");
}

TEST_CASE("manifest: keys a Go client would fold onto a known key are refused") {
    // encoding/json matches keys case-insensitively (with two Unicode folds); berth must not
    // read another document than the clients that pull it.
    CHECK(rejected(image_with(R"("Layers":[])"), "") ==
          R"(["Layers"]: ambiguous spelling of layers)");
    CHECK(rejected(image_with(R"("MEDIATYPE":"application/vnd.oci.image.index.v1+json")"), "") ==
          R"(["MEDIATYPE"]: ambiguous spelling of mediaType)");
    CHECK(rejected(layer_extra("\"\xC5\xBFize\":1"), "") ==
          "layers[0][\"\xC5\xBFize\"]: ambiguous spelling of size");
    CHECK(rejected(image_with("\"\xC5\xBFubject\":{}"), "") ==
          "[\"\xC5\xBFubject\"]: ambiguous spelling of subject");
    CHECK(contains(rejected(R"({"schemaVersion":2,"manifests":[{"mediaType":"a/b","size":1,)"
                            R"("Digest":"sha256:ab"}]})",
                            ""),
                   "ambiguous spelling of digest"));
    // Near but not equal is an ordinary unknown member.
    CHECK(accepted(image_with(R"("layer":1,"mediaTypes":2)"), "").layers.size() == 1);
}

TEST_CASE("manifest: deep nesting and huge arrays do not hurt") {
    SUBCASE("nesting inside an unknown member") {
        std::string deep(100000, '[');
        deep += std::string(100000, ']');
        CHECK(contains(rejected(image_with("\"x\":" + deep), ""), "nested too deeply"));
        std::string objects;
        for (int i = 0; i < 5000; ++i) {
            objects += R"({"a":)";
        }
        objects += "1" + std::string(5000, '}');
        CHECK(contains(rejected(image_with("\"x\":" + objects), ""), "nested too deeply"));
    }
    SUBCASE("nesting within the limit is fine") {
        std::string deep = std::string(60, '[') + std::string(60, ']');
        CHECK(accepted(image_with("\"x\":" + deep), "").layers.size() == 1);
    }
    SUBCASE("nesting where a descriptor belongs") {
        std::string deep = std::string(100000, '[') + std::string(100000, ']');
        std::string body = R"({"schemaVersion":2,"manifests":)" + deep + "}";
        CHECK(rejected(body, "") == "manifests[0]: must be an object");
    }
    SUBCASE("a large unknown array and many layers") {
        std::string numbers = "[0";
        for (int i = 0; i < 200000; ++i) {
            numbers += ",1";
        }
        numbers += "]";
        CHECK(accepted(image_with("\"x\":" + numbers), "").layers.size() == 1);

        std::string layer = R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","size":1,)"
                            R"("digest":"sha256:)" +
                            std::string(layer1_hex) + "\"}";
        std::string body = R"({"schemaVersion":2,"config":)" + layer + R"(,"layers":[)" + layer;
        for (int i = 0; i < 20000; ++i) {
            body += "," + layer;
        }
        body += "]}";
        CHECK(accepted(body, "").layers.size() == 20001);
    }
}

TEST_CASE("manifest: parse_manifest_padded reads a buffer with slack in place") {
    std::string buffer(podman_image);
    std::size_t size = buffer.size();
    buffer.append(json_padding_bytes, 'x');
    auto parsed = parse_manifest_padded(std::string_view(buffer.data(), size), "");
    REQUIRE(parsed);
    CHECK(parsed->layers.size() == 3);
    auto trailing = parse_manifest_padded(std::string_view(buffer.data(), size + 1), "");
    CHECK_FALSE(trailing);
}

TEST_CASE("manifest: media type helpers") {
    CHECK(is_manifest_media_type(oci_manifest_media_type));
    CHECK(is_manifest_media_type(oci_index_media_type));
    CHECK(is_manifest_media_type(docker_manifest_media_type));
    CHECK(is_manifest_media_type(docker_manifest_list_media_type));
    CHECK_FALSE(is_manifest_media_type("application/vnd.docker.distribution.manifest.v1+json"));
    CHECK_FALSE(is_manifest_media_type("application/vnd.oci.image.manifest.v1+json; x=y"));
    CHECK_FALSE(is_manifest_media_type("application/json"));
    CHECK(manifest_kind_of(docker_manifest_list_media_type) == ManifestKind::docker_manifest_list);
    CHECK(media_type_of(ManifestKind::oci_index) == oci_index_media_type);
    CHECK(is_index_kind(ManifestKind::docker_manifest_list));
    CHECK_FALSE(is_index_kind(ManifestKind::docker_manifest));
}

TEST_CASE("index.json: a layout written by Zot is read") {
    // Zot's index.json: one descriptor per tag, untagged manifests without annotations.
    constexpr std::string_view zot =
        R"({"schemaVersion":2,"manifests":[)"
        R"({"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("digest":"sha256:5861314d7fccb39c2192173240eab44fa35ca66426201ca2acd0630a6258dd51",)"
        R"("size":1002,"annotations":{"org.opencontainers.image.ref.name":"v1.0"}},)"
        R"({"mediaType":"application/vnd.oci.image.index.v1+json",)"
        R"("digest":"sha256:1bc04b5291c26a46d918139138b992d2de976d6851d0893b0476b85bfbdfc6e6",)"
        R"("size":743,"annotations":{"org.opencontainers.image.ref.name":"latest"}},)"
        R"({"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("digest":"sha256:a543997d84f12798350c09bdef2cdb171bf41ed3e4a5f808af2feb0c56263009",)"
        R"("size":770,"artifactType":"application/vnd.cncf.notary.signature"}]})";
    auto parsed = parse_index_json(zot);
    REQUIRE(parsed);
    const std::vector<Descriptor>& descriptors = *parsed;
    REQUIRE(descriptors.size() == 3);
    CHECK(find_annotation(descriptors[0].annotations, ref_name_annotation) == "v1.0");
    CHECK(descriptors[0].size == 1002);
    CHECK(descriptors[1].media_type == oci_index_media_type);
    CHECK(find_annotation(descriptors[1].annotations, ref_name_annotation) == "latest");
    CHECK_FALSE(find_annotation(descriptors[2].annotations, ref_name_annotation));
    CHECK(descriptors[2].artifact_type == "application/vnd.cncf.notary.signature");
}

TEST_CASE("index.json: lenient at the top, strict in each descriptor") {
    auto read = [](std::string_view body) {
        return parse_index_json(body);
    };
    CHECK(read(R"({"schemaVersion":2,"manifests":null})")->empty());
    CHECK(read(R"({"schemaVersion":2})")->empty());
    CHECK(read(R"({})")->empty());
    CHECK(read(R"({"schemaVersion":2,"mediaType":"","manifests":[]})")->empty());
    CHECK(read(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
               R"("manifests":[],"annotations":{"a":"b"},"x-extra":[1]})")
              ->empty());
    CHECK(read(R"({"schemaVersion":3,"manifests":[]})").error().message ==
          "schemaVersion: must be 2");
    CHECK(contains(
        read(R"({"mediaType":"application/vnd.oci.image.manifest.v1+json"})").error().message,
        "mediaType: must be"));
    CHECK(read(R"({"manifests":[{"mediaType":"a/b","size":1,"digest":"sha256:ab"}]})")
              .error()
              .message == "manifests[0].digest: invalid digest");
    CHECK(read(R"({"manifests":[{"mediaType":"a/b","size":1}]})").error().message ==
          "manifests[0].digest: required");
    CHECK(contains(read(R"({"manifests":[]} x)").error().message, "invalid JSON"));
    CHECK(contains(read(R"({"manifests":[)").error().message, "invalid JSON"));
    CHECK(read("[]").error().message == "must be a JSON object");
}
