"""The search extension against the built berth over real sockets.

* The exact GraphQL queries Zot's web UI (zui src/api.js) and CLI (zli) send, answered field by
  field from images pushed through the OCI API: repositories with their newest image, a
  repository's images, an image with its history and referrers, global search by name and by
  repo:tag, image lists (all, by digest, derived, base), referrers, the CLI's schema check.
  `zli image name repo:tag` has no Image query of its own: it sends ImageList for the repository
  and keeps the tag's results, whose every field its table printer reads is checked, index too.
* Access control: results hold only repositories the caller may read; anonymous requests are
  challenged when authentication is on.
* Malformed and hostile requests get GraphQL errors (422 with locations), never a crash.
* Stars and bookmarks per user, persisted across a restart; mgmt and discover.
* The index follows deletes, and is rebuilt from the store at startup.
"""

import base64
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Berth  # noqa: E402
from oci import (Client, OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST, descriptor,  # noqa
                 image_index, image_manifest, sha256)

USERS = {"alice": "alice-pw", "bob": "bob-pw"}
ACCESS = {
    "repositories": {
        "**": {"policies": [{"users": ["alice"],
                             "actions": ["read", "create", "update", "delete"]}]},
        "public/**": {"policies": [{"users": ["alice"],
                                    "actions": ["read", "create", "update", "delete"]}],
                      "defaultPolicy": ["read"]},
    }
}
CONFIG = {"http": {"accessControl": ACCESS}, "extensions": {"search": {"enable": True}}}

# ---- the queries, as Zot's UI and CLI send them ------------------------------------------

UI_REPO_LIST = (
    "{RepoListWithNewestImage(requestedPage: {limit:15 offset:0}){Results {Name LastUpdated "
    "Size Platforms {Os Arch}  NewestImage { Tag Vulnerabilities {MaxSeverity Count} "
    "Description  Licenses Title Source IsSigned SignatureInfo { Tool IsTrusted Author } "
    "Documentation Vendor Labels} IsStarred IsBookmarked StarCount DownloadCount}}}")
UI_REPO_INFO = (
    '{ExpandedRepoInfo(repo:"%s"){Images {Manifests {Digest Platform {Os Arch} Size} '
    "Vulnerabilities {MaxSeverity Count} Tag LastUpdated Vendor IsDeletable } Summary {Name "
    "LastUpdated Size Platforms {Os Arch} Vendors IsStarred IsBookmarked NewestImage {RepoName "
    "IsSigned SignatureInfo { Tool IsTrusted Author } Vulnerabilities {MaxSeverity Count} "
    "Manifests {Digest} Tag Vendor Title Documentation DownloadCount Source Description "
    "Licenses}}}}")
UI_IMAGE = (
    '{Image(image: "%s:%s"){RepoName IsSigned SignatureInfo { Tool IsTrusted Author } '
    "Vulnerabilities {MaxSeverity Count}  Referrers {MediaType ArtifactType Size Digest "
    "Annotations{Key Value}} Tag Manifests {History {Layer {Size Digest} HistoryDescription "
    "{CreatedBy EmptyLayer}} Digest ConfigDigest LastUpdated Size Platform {Os Arch}} Vendor "
    "Licenses }}")
UI_GLOBAL_SEARCH = (
    '{GlobalSearch(query:"%s", requestedPage: {limit:15 offset:0 sortBy: RELEVANCE} ) '
    "{Page {TotalCount ItemCount} Repos {Name LastUpdated Size Platforms { Os Arch } IsStarred "
    "IsBookmarked NewestImage { Tag Vulnerabilities {MaxSeverity Count} Description IsSigned "
    "SignatureInfo { Tool IsTrusted Author } Licenses Vendor Labels } StarCount "
    "DownloadCount}}}")
UI_SUGGESTIONS = ('{GlobalSearch(query:"%s", requestedPage: {limit:15 offset:0 '
                  "sortBy:RELEVANCE}) {Images {RepoName Tag}}}")
UI_REFERRERS = ('{Referrers(repo: "%s" digest: "%s" type: ""){MediaType ArtifactType Size '
                "Digest Annotations{Key Value}}}")
UI_DEPENDS_ON = (
    '{BaseImageList(image: "%s", requestedPage: {limit:15 offset:0}){Page {TotalCount '
    "ItemCount} Results { RepoName Tag Description Manifests {Digest Platform {Os Arch} Size} "
    "Vendor DownloadCount LastUpdated IsSigned SignatureInfo { Tool IsTrusted Author } "
    "Vulnerabilities {MaxSeverity Count}}}}")
UI_DERIVED = UI_DEPENDS_ON.replace("BaseImageList", "DerivedImageList")
UI_CVE = ('{CVEListForImage(image: "%s", requestedPage: {limit:15 offset:0}){Tag Page '
          "{TotalCount ItemCount} CVEList {Id Title Description Severity PackageList {Name "
          "InstalledVersion FixedVersion}} Summary {Count UnknownCount LowCount MediumCount "
          "HighCount CriticalCount}}}")
# zli's image queries (pkg/cli/client/service.go), byte for byte: tab-indented Go raw strings.
ZLI_FIELDS = ("RepoName Tag", "Digest", "MediaType", "Manifests {", "\tDigest", "\tConfigDigest",
              "\tSize", "\tPlatform {Os Arch}", "\tIsSigned", "\tLayers {Size Digest}",
              "\tLastUpdated", "}", "LastUpdated", "Size", "IsSigned")


def zli_results(depth, opening=" {"):
    inner = "".join("\n" + "\t" * (depth + 1) + field for field in ZLI_FIELDS)
    return "\t" * depth + "Results" + opening + inner + "\n" + "\t" * depth + "}"


# `zli image list` and `zli image name repo:tag` (which keeps the tag's results itself).
ZLI_IMAGE_LIST = ('\n\t{\n\t\tImageList(repo: "%s", requestedPage: {sortBy: %s}) {\n'
                  + zli_results(3) + "\n\t\t}\n\t}")
ZLI_FOR_DIGEST = ('\n\t{\n\t\tImageListForDigest(id: "%s", '
                  'requestedPage: {sortBy: ALPHABETIC_ASC}) {\n' + zli_results(3) + "\n\t\t}\n\t}")
ZLI_DERIVED = ('\n\t\t{\n\t\t\tDerivedImageList(image:"%s", requestedPage: {sortBy: %s}){\n'
               + zli_results(4, "{") + "\n\t\t\t}\n\t\t}")
ZLI_BASE = ZLI_DERIVED.replace("DerivedImageList", "BaseImageList")
ZLI_REFERRERS = ('\n\t\t{\n\t\t\tReferrers( repo: "%s", digest: "%s" ){\n\t\t\t\tArtifactType,'
                 "\n\t\t\t\tDigest,\n\t\t\t\tMediaType,\n\t\t\t\tSize,\n\t\t\t\tAnnotations{"
                 "\n\t\t\t\t\tKey\n\t\t\t\t\tValue\n\t\t\t\t}\n\t\t\t}\n\t\t}")
ZLI_GLOBAL_SEARCH = """
\t\t{
\t\t\tGlobalSearch(query:"%s", requestedPage: {sortBy: %s}){
\t\t\t\tImages {
\t\t\t\t\tRepoName
\t\t\t\t\tTag
\t\t\t\t\tMediaType
\t\t\t\t\tDigest
\t\t\t\t\tSize
\t\t\t\t\tIsSigned
\t\t\t\t\tLastUpdated
\t\t\t\t\tManifests {
\t\t\t\t\t\tDigest
\t\t\t\t\t\tConfigDigest
\t\t\t\t\t\tPlatform {Os Arch}
\t\t\t\t\t\tSize
\t\t\t\t\t\tIsSigned
\t\t\t\t\t\tLayers {Size Digest}
\t\t\t\t\t\tLastUpdated
\t\t\t\t\t}
\t\t\t\t}
\t\t\t\tRepos {
\t\t\t\t\tName
\t\t\t\t\tPlatforms { Os Arch }
\t\t\t\t\tLastUpdated
\t\t\t\t\tSize
\t\t\t\t\tDownloadCount
\t\t\t\t\tStarCount
\t\t\t\t}
\t\t\t}
\t\t}"""
ZLI_SCHEMA = """
    {
        __schema() {
            queryType {
                fields {
                    name
                    args {
                        name
                    }
                    type {
                        name
                        kind
                    }
                }
                __typename
            }
            types {
                name
                fields {
                    name
                }
            }
        }
    }"""

# ---- the images --------------------------------------------------------------------------

LAYER1, LAYER2, LAYER3 = b"base layer one", b"base layer two", b"application layer"
ALPINE_CONFIG = json.dumps({
    "os": "linux", "architecture": "amd64", "created": "2024-01-02T03:04:05.5Z",
    "config": {"Labels": {"org.opencontainers.image.vendor": "Alpine Vendor",
                          "org.opencontainers.image.description": "from a label"}},
    "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "ADD rootfs"},
                {"created_by": "CMD [\"sh\"]", "empty_layer": True},
                {"created_by": "RUN apk add x"}],
    "rootfs": {"type": "layers", "diff_ids": []}}).encode()
ALPINE_ANNOTATIONS = {"org.opencontainers.image.title": "Alpine Title",
                      "org.opencontainers.image.licenses": "MIT",
                      "org.opencontainers.image.source": "https://example.org/alpine",
                      "org.opencontainers.image.documentation": "https://example.org/docs"}
APP_CONFIG = json.dumps({"os": "linux", "architecture": "amd64",
                         "created": "2024-06-01T00:00:00Z"}).encode()
SECRET_CONFIG = json.dumps({"os": "linux", "architecture": "arm64",
                            "created": "2023-01-01T00:00:00Z"}).encode()


def auth(user):
    token = base64.b64encode(f"{user}:{USERS[user]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class Registry:
    """Pushes the test images as alice and remembers their digests."""

    def __init__(self, port):
        self.client = Client(port)
        self.port = port

    def push(self, repo, tag, config, layers, annotations=None, subject=None,
             artifact_type=None):
        body = image_manifest(self.blob(repo, config, OCI_CONFIG),
                              [self.blob(repo, layer, OCI_LAYER) for layer in layers],
                              annotations=annotations, subject=subject,
                              artifact_type=artifact_type)
        response = self.client.request("PUT", f"/v2/{repo}/manifests/{tag}", body,
                                       {"Content-Type": OCI_MANIFEST, **auth("alice")})
        assert response.status == 201, response
        return body, sha256(body)

    def blob(self, repo, data, media_type):
        started = self.client.request("POST", f"/v2/{repo}/blobs/uploads/", b"", auth("alice"))
        assert started.status == 202, started
        location = started.header("Location")
        digest = sha256(data)
        done = self.client.request("PUT", f"{location}?digest={digest}", data,
                                   {"Content-Type": "application/octet-stream", **auth("alice")})
        assert done.status == 201, done
        return descriptor(media_type, data, digest)

    def push_all(self):
        self.alpine, self.alpine_digest = self.push("public/alpine", "3.19", ALPINE_CONFIG,
                                                    [LAYER1, LAYER2], ALPINE_ANNOTATIONS)
        self.push("public/alpine", "latest", ALPINE_CONFIG, [LAYER1, LAYER2], ALPINE_ANNOTATIONS)
        self.app, self.app_digest = self.push("public/app", "1.0", APP_CONFIG,
                                              [LAYER1, LAYER2, LAYER3])
        self.secret, self.secret_digest = self.push("private/secret", "v1", SECRET_CONFIG,
                                                    [LAYER1])
        subject = {"mediaType": OCI_MANIFEST, "digest": self.alpine_digest,
                   "size": len(self.alpine)}
        self.signature, self.signature_digest = self.push(
            "public/alpine", sha256(b"x")[7:20], b"{}", [b"signature"],
            {"org.example.signer": "alice"}, subject, "application/vnd.example.signature")
        # A multi-platform image: two manifests pushed by digest, then the index.
        children, self.child_blobs = [], []
        for arch in ("amd64", "arm64"):
            config = json.dumps({"os": "linux", "architecture": arch,
                                 "created": "2024-03-0%dT00:00:00Z" % (1 if arch == "amd64"
                                                                       else 2)}).encode()
            self.child_blobs.append((config, arch.encode() * 10))
            body, digest = self.push("multi/arch", sha256(arch.encode())[7:20], config,
                                     [arch.encode() * 10])
            children.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": len(body),
                             "platform": {"os": "linux", "architecture": arch}})
        self.index = image_index(children)
        response = self.client.request("PUT", "/v2/multi/arch/manifests/1", self.index,
                                       {"Content-Type": OCI_INDEX, **auth("alice")})
        assert response.status == 201, response
        self.children = children


class SearchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.berth = Berth(config=CONFIG, users=USERS)
        cls.berth.start()
        cls.registry = Registry(cls.berth.port)
        cls.registry.push_all()
        cls.client = Client(cls.berth.port)

    @classmethod
    def tearDownClass(cls):
        cls.berth.stop()

    def get(self, query, user="alice"):
        headers = auth(user) if user else {}
        return self.client.request(
            "GET", "/v2/_zot/ext/search?query=" + urllib.parse.quote(query, safe=""),
            headers=headers)

    def data(self, query, user="alice"):
        response = self.get(query, user)
        self.assertEqual(response.status, 200, response)
        body = response.json()
        self.assertNotIn("errors", body, body)
        return body["data"]

    def test_repo_list_as_the_ui_asks(self):
        results = self.data(UI_REPO_LIST)["RepoListWithNewestImage"]["Results"]
        # Newest image first: app (June), multi/arch (March), alpine (January), secret (2023).
        self.assertEqual([r["Name"] for r in results],
                         ["public/app", "multi/arch", "public/alpine", "private/secret"])
        alpine = results[2]
        self.assertEqual(alpine["LastUpdated"], "2024-01-02T03:04:05.5Z")
        size = len(self.registry.alpine) + len(ALPINE_CONFIG) + len(LAYER1) + len(LAYER2)
        size += len(self.registry.signature) + 2 + len(b"signature")
        self.assertEqual(alpine["Size"], str(size))
        self.assertEqual(alpine["Platforms"], [{"Os": "linux", "Arch": "amd64"}])
        newest = alpine["NewestImage"]
        self.assertIn(newest["Tag"], ("3.19", "latest"))
        self.assertEqual(newest["Vulnerabilities"], {"MaxSeverity": "", "Count": 0})
        self.assertEqual(newest["Description"], "from a label")
        self.assertEqual(newest["Licenses"], "MIT")
        self.assertEqual(newest["Title"], "Alpine Title")
        self.assertEqual(newest["Source"], "https://example.org/alpine")
        self.assertEqual(newest["Documentation"], "https://example.org/docs")
        self.assertEqual(newest["Vendor"], "Alpine Vendor")
        self.assertEqual(newest["Labels"], "")
        self.assertIs(newest["IsSigned"], False)
        self.assertEqual(newest["SignatureInfo"], [])
        self.assertIs(alpine["IsStarred"], False)
        self.assertIs(alpine["IsBookmarked"], False)
        self.assertEqual(alpine["StarCount"], 0)
        self.assertIsInstance(alpine["DownloadCount"], int)
        multi = results[1]
        self.assertEqual(multi["Platforms"], [{"Os": "linux", "Arch": "amd64"},
                                              {"Os": "linux", "Arch": "arm64"}])
        self.assertEqual(multi["LastUpdated"], "2024-03-02T00:00:00Z")

    def test_expanded_repo_info_as_the_ui_asks(self):
        info = self.data(UI_REPO_INFO % "public/alpine")["ExpandedRepoInfo"]
        images = {image["Tag"]: image for image in info["Images"]}
        self.assertIn("3.19", images)
        self.assertIn("latest", images)
        image = images["3.19"]
        self.assertEqual(image["LastUpdated"], "2024-01-02T03:04:05.5Z")
        self.assertEqual(image["Vendor"], "Alpine Vendor")
        self.assertIs(image["IsDeletable"], True)
        self.assertEqual(image["Vulnerabilities"], {"MaxSeverity": "", "Count": 0})
        manifest_size = (len(self.registry.alpine) + len(ALPINE_CONFIG) + len(LAYER1)
                         + len(LAYER2))
        self.assertEqual(image["Manifests"], [{
            "Digest": self.registry.alpine_digest,
            "Platform": {"Os": "linux", "Arch": "amd64"}, "Size": str(manifest_size)}])
        summary = info["Summary"]
        self.assertEqual(summary["Name"], "public/alpine")
        self.assertEqual(summary["Vendors"], ["Alpine Vendor"])
        self.assertEqual(summary["Platforms"], [{"Os": "linux", "Arch": "amd64"}])
        newest = summary["NewestImage"]
        self.assertEqual(newest["RepoName"], "public/alpine")
        self.assertEqual(newest["Manifests"], [{"Digest": self.registry.alpine_digest}])
        self.assertEqual(newest["Title"], "Alpine Title")
        # bob reads public repositories but may not delete in them.
        info = self.data(UI_REPO_INFO % "public/alpine", "bob")["ExpandedRepoInfo"]
        self.assertEqual({image["IsDeletable"] for image in info["Images"]}, {False})

    def test_image_as_the_ui_asks(self):
        image = self.data(UI_IMAGE % ("public/alpine", "3.19"))["Image"]
        self.assertEqual(image["RepoName"], "public/alpine")
        self.assertEqual(image["Tag"], "3.19")
        self.assertIs(image["IsSigned"], False)
        self.assertEqual(image["Vendor"], "Alpine Vendor")
        self.assertEqual(image["Licenses"], "MIT")
        self.assertEqual(image["Referrers"], [{
            "MediaType": OCI_MANIFEST, "ArtifactType": "application/vnd.example.signature",
            "Size": len(self.registry.signature), "Digest": self.registry.signature_digest,
            "Annotations": [{"Key": "org.example.signer", "Value": "alice"}]}])
        [manifest] = image["Manifests"]
        self.assertEqual(manifest["Digest"], self.registry.alpine_digest)
        self.assertEqual(manifest["ConfigDigest"], sha256(ALPINE_CONFIG))
        self.assertEqual(manifest["LastUpdated"], "2024-01-02T03:04:05.5Z")
        self.assertEqual(manifest["Platform"], {"Os": "linux", "Arch": "amd64"})
        self.assertEqual(manifest["History"], [
            {"Layer": {"Size": str(len(LAYER1)), "Digest": sha256(LAYER1)},
             "HistoryDescription": {"CreatedBy": "ADD rootfs", "EmptyLayer": False}},
            {"Layer": None, "HistoryDescription": {"CreatedBy": 'CMD ["sh"]',
                                                   "EmptyLayer": True}},
            {"Layer": {"Size": str(len(LAYER2)), "Digest": sha256(LAYER2)},
             "HistoryDescription": {"CreatedBy": "RUN apk add x", "EmptyLayer": False}}])
        # An unknown tag is an error on a null Image, as Zot answers.
        body = self.get(UI_IMAGE % ("public/alpine", "nope")).json()
        self.assertIsNone(body["data"]["Image"])
        self.assertEqual(body["errors"][0]["path"], ["Image"])

    def test_global_search_as_the_ui_asks(self):
        found = self.data(UI_GLOBAL_SEARCH % "alp")["GlobalSearch"]
        self.assertEqual(found["Page"], {"TotalCount": 1, "ItemCount": 1})
        [repo] = found["Repos"]
        self.assertEqual(repo["Name"], "public/alpine")
        self.assertEqual(repo["NewestImage"]["Licenses"], "MIT")
        # An empty query lists every readable repository, best matches first.
        every = self.data(UI_GLOBAL_SEARCH % "")["GlobalSearch"]
        self.assertEqual(every["Page"]["TotalCount"], 4)
        ranked = self.data(UI_GLOBAL_SEARCH % "app")["GlobalSearch"]["Repos"]
        self.assertEqual([r["Name"] for r in ranked], ["public/app"])
        suggestions = self.data(UI_SUGGESTIONS % "public/alpine:3")["GlobalSearch"]
        self.assertEqual(suggestions["Images"], [{"RepoName": "public/alpine", "Tag": "3.19"}])
        filtered = self.data('{GlobalSearch(query:"", filter: {Arch: "arm64"}) '
                             "{Repos {Name}}}")["GlobalSearch"]["Repos"]
        self.assertEqual(sorted(r["Name"] for r in filtered), ["multi/arch", "private/secret"])

    def test_image_list_as_the_cli_asks(self):
        results = self.data(ZLI_IMAGE_LIST % ("public/app", "ALPHABETIC_ASC"))["ImageList"]
        [image] = results["Results"]
        self.assertEqual(image["RepoName"], "public/app")
        self.assertEqual(image["Tag"], "1.0")
        self.assertEqual(image["Digest"], self.registry.app_digest)
        self.assertEqual(image["MediaType"], OCI_MANIFEST)
        self.assertEqual(image["LastUpdated"], "2024-06-01T00:00:00Z")
        size = (len(self.registry.app) + len(APP_CONFIG) + len(LAYER1) + len(LAYER2)
                + len(LAYER3))
        self.assertEqual(image["Size"], str(size))
        self.assertIs(image["IsSigned"], False)
        [manifest] = image["Manifests"]
        self.assertEqual(manifest["ConfigDigest"], sha256(APP_CONFIG))
        self.assertEqual(manifest["Size"], str(size))
        self.assertEqual(manifest["Layers"], [{"Size": str(len(layer)), "Digest": sha256(layer)}
                                              for layer in (LAYER1, LAYER2, LAYER3)])
        # Every repository, paged.
        everything = self.data('{ImageList(repo: "", requestedPage: {limit: 2 offset: 1 '
                               "sortBy: ALPHABETIC_ASC}) {Page {TotalCount ItemCount} "
                               "Results {RepoName Tag}}}")["ImageList"]
        self.assertEqual(everything["Page"]["ItemCount"], 2)
        self.assertEqual(everything["Results"][0]["RepoName"], "multi/arch")
        total = everything["Page"]["TotalCount"]
        self.assertGreaterEqual(total, 8)

    def test_search_referrers_and_lineage_as_the_cli_asks(self):
        manifest_size = (len(self.registry.alpine) + len(ALPINE_CONFIG) + len(LAYER1)
                         + len(LAYER2))
        found = self.data(ZLI_GLOBAL_SEARCH % ("alp", "RELEVANCE"))["GlobalSearch"]
        self.assertEqual(found["Images"], [])
        [repo] = found["Repos"]
        repo_size = manifest_size + len(self.registry.signature) + len(b"{}") + len(b"signature")
        self.assertEqual(repo, {"Name": "public/alpine",
                                "Platforms": [{"Os": "linux", "Arch": "amd64"}],
                                "LastUpdated": "2024-01-02T03:04:05.5Z", "Size": str(repo_size),
                                "DownloadCount": repo["DownloadCount"], "StarCount": 0})
        self.assertIsInstance(repo["DownloadCount"], int)
        tags = self.data(ZLI_GLOBAL_SEARCH % ("public/alpine:3", "RELEVANCE"))["GlobalSearch"]
        self.assertEqual(tags["Repos"], [])
        self.assertEqual(tags["Images"], [{
            "RepoName": "public/alpine", "Tag": "3.19", "MediaType": OCI_MANIFEST,
            "Digest": self.registry.alpine_digest, "Size": str(manifest_size), "IsSigned": False,
            "LastUpdated": "2024-01-02T03:04:05.5Z",
            "Manifests": [{"Digest": self.registry.alpine_digest,
                           "ConfigDigest": sha256(ALPINE_CONFIG),
                           "Platform": {"Os": "linux", "Arch": "amd64"},
                           "Size": str(manifest_size), "IsSigned": False,
                           "Layers": [{"Size": str(len(layer)), "Digest": sha256(layer)}
                                      for layer in (LAYER1, LAYER2)],
                           "LastUpdated": "2024-01-02T03:04:05.5Z"}]}])
        referrers = self.data(ZLI_REFERRERS % ("public/alpine", self.registry.alpine_digest))
        self.assertEqual(referrers["Referrers"], [{
            "ArtifactType": "application/vnd.example.signature",
            "Digest": self.registry.signature_digest, "MediaType": OCI_MANIFEST,
            "Size": len(self.registry.signature),
            "Annotations": [{"Key": "org.example.signer", "Value": "alice"}]}])
        derived = self.data(ZLI_DERIVED % ("public/alpine:3.19", "ALPHABETIC_ASC"))
        [image] = derived["DerivedImageList"]["Results"]
        self.assertEqual((image["RepoName"], image["Tag"], image["Digest"]),
                         ("public/app", "1.0", self.registry.app_digest))
        self.assertEqual(image["Manifests"][0]["ConfigDigest"], sha256(APP_CONFIG))
        base = self.data(ZLI_BASE % ("public/app:1.0", "ALPHABETIC_ASC"))["BaseImageList"]
        self.assertEqual([(i["RepoName"], i["Tag"]) for i in base["Results"]],
                         [("private/secret", "v1"), ("public/alpine", "3.19"),
                          ("public/alpine", "latest")])

    def zli_image_name(self, repo, tag):
        """What `zli image name repo:tag` shows: ImageList of the repository, its tag kept."""
        results = self.data(ZLI_IMAGE_LIST % (repo, "ALPHABETIC_ASC"))["ImageList"]["Results"]
        return [image for image in results if image["Tag"] == tag]

    def test_image_name_as_the_cli_asks(self):
        # zli has no Image(image:) query: `zli image name` sends ImageList and filters by tag.
        [image] = self.zli_image_name("public/alpine", "3.19")
        size = len(self.registry.alpine) + len(ALPINE_CONFIG) + len(LAYER1) + len(LAYER2)
        layers = [{"Size": str(len(layer)), "Digest": sha256(layer)} for layer in (LAYER1, LAYER2)]
        manifest = {"Digest": self.registry.alpine_digest, "ConfigDigest": sha256(ALPINE_CONFIG),
                    "Size": str(size), "Platform": {"Os": "linux", "Arch": "amd64"},
                    "IsSigned": False, "Layers": layers, "LastUpdated": "2024-01-02T03:04:05.5Z"}
        self.assertEqual(image, {"RepoName": "public/alpine", "Tag": "3.19",
                                 "Digest": self.registry.alpine_digest, "MediaType": OCI_MANIFEST,
                                 "Manifests": [manifest], "LastUpdated": manifest["LastUpdated"],
                                 "Size": str(size), "IsSigned": False})
        # An index: zli prints its digest and size, then parses each manifest's digest, config
        # digest and size, and shows its platform and layers.
        [index] = self.zli_image_name("multi/arch", "1")
        self.assertEqual((index["RepoName"], index["MediaType"], index["Digest"]),
                         ("multi/arch", OCI_INDEX, sha256(self.registry.index)))
        children = self.registry.children
        expected = []
        for child, (config, layer) in zip(children, self.registry.child_blobs):
            expected.append({
                "Digest": child["digest"], "ConfigDigest": sha256(config),
                "Size": str(child["size"] + len(config) + len(layer)),
                "Platform": {"Os": "linux", "Arch": child["platform"]["architecture"]},
                "IsSigned": False, "Layers": [{"Size": str(len(layer)), "Digest": sha256(layer)}],
                "LastUpdated": json.loads(config)["created"]})
        self.assertEqual(index["Manifests"], expected)
        total = len(self.registry.index) + sum(int(m["Size"]) for m in expected)
        self.assertEqual((index["Size"], index["IsSigned"], index["LastUpdated"]),
                         (str(total), False, "2024-03-02T00:00:00Z"))
        self.assertEqual(self.zli_image_name("multi/arch", "2"), [])

    def test_multi_platform_image(self):
        results = self.data(ZLI_IMAGE_LIST % ("multi/arch", "ALPHABETIC_DSC"))["ImageList"]
        index = [image for image in results["Results"] if image["Tag"] == "1"][0]
        self.assertEqual(index["MediaType"], OCI_INDEX)
        self.assertEqual(index["Digest"], sha256(self.registry.index))
        self.assertEqual([m["Platform"] for m in index["Manifests"]],
                         [{"Os": "linux", "Arch": "amd64"}, {"Os": "linux", "Arch": "arm64"}])
        self.assertEqual([m["Digest"] for m in index["Manifests"]],
                         [child["digest"] for child in self.registry.children])
        self.assertEqual(index["LastUpdated"], "2024-03-02T00:00:00Z")

    def test_lists_by_digest_and_lineage(self):
        by_layer = self.data(ZLI_FOR_DIGEST % sha256(LAYER3))["ImageListForDigest"]["Results"]
        self.assertEqual([(i["RepoName"], i["Tag"]) for i in by_layer], [("public/app", "1.0")])
        by_config = self.data(ZLI_FOR_DIGEST % sha256(SECRET_CONFIG))["ImageListForDigest"]
        self.assertEqual([i["RepoName"] for i in by_config["Results"]], ["private/secret"])
        derived = self.data(UI_DERIVED % "public/alpine:3.19")["DerivedImageList"]
        self.assertEqual(derived["Page"], {"TotalCount": 1, "ItemCount": 1})
        self.assertEqual(derived["Results"][0]["RepoName"], "public/app")
        self.assertEqual(derived["Results"][0]["Manifests"][0]["Digest"], self.registry.app_digest)
        base = self.data(UI_DEPENDS_ON % "public/app:1.0")["BaseImageList"]["Results"]
        # Every image whose layers begin app's: alpine's two, and secret's one.
        self.assertEqual(sorted((i["RepoName"], i["Tag"]) for i in base),
                         [("private/secret", "v1"), ("public/alpine", "3.19"),
                          ("public/alpine", "latest")])

    def test_referrers_and_cve(self):
        referrers = self.data(UI_REFERRERS % ("public/alpine", self.registry.alpine_digest))
        self.assertEqual([r["Digest"] for r in referrers["Referrers"]],
                         [self.registry.signature_digest])
        other = self.data('{Referrers(repo: "public/alpine", digest: "%s", type: ["a/b"]) '
                          "{Digest}}" % self.registry.alpine_digest)
        self.assertEqual(other["Referrers"], [])
        body = self.get(UI_CVE % "public/alpine:3.19").json()
        self.assertIsNone(body["data"])
        self.assertIn("CVE scanning is not enabled", body["errors"][0]["message"])
        self.assertEqual(body["errors"][0]["path"], ["CVEListForImage"])

    def test_schema_as_the_cli_checks_it(self):
        schema = self.data(ZLI_SCHEMA)["__schema"]
        fields = {f["name"]: f for f in schema["queryType"]["fields"]}
        self.assertEqual(schema["queryType"]["__typename"], "__Type")
        expected = {"ImageList": ["repo", "requestedPage"],
                    "ImageListForDigest": ["id", "requestedPage"],
                    "BaseImageList": ["image", "digest", "requestedPage"],
                    "DerivedImageList": ["image", "digest", "requestedPage"],
                    "GlobalSearch": ["query", "filter", "requestedPage"],
                    "Referrers": ["repo", "digest", "type"],
                    "CVEListForImage": ["image", "requestedPage", "searchedCVE", "excludedCVE",
                                        "severity"]}
        for name, args in expected.items():
            self.assertEqual([a["name"] for a in fields[name]["args"]], args, name)
        self.assertEqual(fields["ImageList"]["type"], {"name": None, "kind": "NON_NULL"})
        types = {t["name"] for t in schema["types"]}
        for name in ("PaginatedImagesResult", "Referrer", "GlobalSearchResult",
                     "CVEResultForImage", "CVEDiffResult"):
            self.assertIn(name, types)

    def test_post_with_variables_aliases_and_fragments(self):
        query = ("query Images($repo: String!, $page: PageInput = {limit: 1}) {\n"
                 "  first: ImageList(repo: $repo, requestedPage: $page) { ...Listed }\n"
                 "  all: ImageList(repo: $repo) { Page { TotalCount } }\n"
                 "}\n"
                 "query Other { __typename }\n"
                 "fragment Listed on PaginatedImagesResult {\n"
                 "  Page { ItemCount } Results { ... on ImageSummary { Tag __typename } }\n"
                 "}")
        payload = json.dumps({"query": query, "operationName": "Images",
                              "variables": {"repo": "public/alpine"}}).encode()
        response = self.client.request("POST", "/v2/_zot/ext/search", payload,
                                       {"Content-Type": "application/json", **auth("alice")})
        self.assertEqual(response.status, 200, response)
        data = response.json()["data"]
        self.assertEqual(list(data), ["first", "all"])
        self.assertEqual(data["first"]["Page"], {"ItemCount": 1})
        self.assertEqual(data["first"]["Results"][0]["__typename"], "ImageSummary")
        self.assertEqual(data["all"]["Page"]["TotalCount"], 3)

    def test_results_hold_only_readable_repositories(self):
        names = [r["Name"] for r in
                 self.data(UI_REPO_LIST, "bob")["RepoListWithNewestImage"]["Results"]]
        self.assertEqual(sorted(names), ["public/alpine", "public/app"])
        self.assertEqual(self.data(UI_GLOBAL_SEARCH % "secret", "bob")["GlobalSearch"]["Repos"],
                         [])
        body = self.get(UI_IMAGE % ("private/secret", "v1"), "bob").json()
        self.assertIsNone(body["data"]["Image"])
        info = self.data(UI_REPO_INFO % "private/secret", "bob")["ExpandedRepoInfo"]
        self.assertEqual(info, {"Images": [], "Summary": None})
        listed = self.data('{ImageList(repo: "") {Results {RepoName}}}', "bob")["ImageList"]
        self.assertEqual({r["RepoName"] for r in listed["Results"]}, {"public/alpine",
                                                                      "public/app"})
        digest = self.data(ZLI_FOR_DIGEST % sha256(LAYER1), "bob")["ImageListForDigest"]
        self.assertNotIn("private/secret", {r["RepoName"] for r in digest["Results"]})
        self.assertEqual(self.data(UI_REFERRERS % ("private/secret",
                                                   self.registry.secret_digest), "bob"),
                         {"Referrers": []})
        # Anonymous requests are challenged: authentication is on and grants them nothing.
        self.assertEqual(self.get(UI_REPO_LIST, None).status, 401)

    def test_malformed_and_hostile_queries(self):
        response = self.get("{\n  ImageList(repo: ) { Page }\n}")
        self.assertEqual(response.status, 422)
        error = response.json()["errors"][0]
        self.assertEqual(error["locations"], [{"line": 2, "column": 19}])
        self.assertIsNone(response.json()["data"])
        unknown = self.get('{ImageList(repo: "a") {Nope}}').json()["errors"][0]
        self.assertEqual(unknown["message"],
                         'Cannot query field "Nope" on type "PaginatedImagesResult".')
        for query in ('{ImageList {Page {TotalCount}}}',           # required argument
                      '{ImageList(repo: 1) {Page {TotalCount}}}',  # wrong type
                      '{ImageList(repo: "a")}',                    # object without selection
                      '{Image(image: "a:b") {Tag {x}}}',           # leaf with selection
                      '{...F} fragment F on Query {...F}',         # a fragment cycle
                      'mutation { ImageList(repo: "a") { Page { TotalCount } } }',
                      '{ImageList(repo: "a", requestedPage: {sortBy: NEWEST}) {Page '
                      '{TotalCount}}}',
                      "{" + "Image(image: \"a:b\") {" * 20 + "Tag" + "}" * 21,
                      "{" + " a" * 2000 + "}", "x" * 40000, ""):
            # POST: the longest of these would not fit in a request line.
            response = self.client.request("POST", "/v2/_zot/ext/search",
                                           json.dumps({"query": query}).encode(),
                                           {"Content-Type": "application/json",
                                            **auth("alice")})
            self.assertEqual(response.status, 422, query[:80])
            self.assertTrue(response.json()["errors"][0]["message"], query[:80])
        negative = self.get('{ImageList(repo: "", requestedPage: {limit: -1}) '
                            "{Page {TotalCount}}}").json()
        self.assertIn("negative", negative["errors"][0]["message"])
        response = self.client.request("POST", "/v2/_zot/ext/search", b"{not json",
                                       {"Content-Type": "application/json", **auth("alice")})
        self.assertEqual(response.status, 400)
        self.assertTrue(response.json()["errors"][0]["message"])
        # The server is still there.
        self.data("{__typename}")

    def test_mgmt_and_discover(self):
        response = self.client.request("GET", "/v2/_zot/ext/mgmt")
        self.assertEqual(response.status, 200)
        body = response.json()
        self.assertEqual(body["http"], {"auth": {"htpasswd": {}}})
        self.assertEqual(body["distSpecVersion"], "1.1.1")
        discover = self.client.request("GET", "/v2/_oci/ext/discover", headers=auth("bob"))
        self.assertEqual(discover.status, 200)
        [extension] = discover.json()["extensions"]
        self.assertEqual(extension["name"], "_zot")
        self.assertIn("/v2/_zot/ext/search", extension["endpoints"])


class StatefulSearchTest(unittest.TestCase):
    """Stars and bookmarks, deletes and restarts: each test has a server of its own."""

    def query(self, client, query, user):
        response = client.request(
            "GET", "/v2/_zot/ext/search?query=" + urllib.parse.quote(query, safe=""),
            headers=auth(user))
        self.assertEqual(response.status, 200, response)
        return response.json()["data"]

    def prefs(self, client, repo, action, user):
        headers = auth(user) if user else {}
        return client.request("PUT", f"/v2/_zot/ext/userprefs?repo={repo}&action={action}",
                              b"", headers).status

    def test_stars_and_bookmarks_persist(self):
        with Berth(config=CONFIG, users=USERS) as berth:
            registry = Registry(berth.port)
            registry.push("public/alpine", "3.19", ALPINE_CONFIG, [LAYER1])
            registry.push("private/secret", "v1", SECRET_CONFIG, [LAYER1])
            client = Client(berth.port)
            self.assertEqual(self.prefs(client, "public/alpine", "toggleStar", "alice"), 200)
            self.assertEqual(self.prefs(client, "public/alpine", "toggleStar", "bob"), 200)
            self.assertEqual(self.prefs(client, "public/alpine", "toggleBookmark", "bob"), 200)
            self.assertEqual(self.prefs(client, "public/alpine", "toggleStar", "bob"), 200)
            self.assertEqual(self.prefs(client, "private/secret", "toggleStar", "bob"), 404)
            self.assertEqual(self.prefs(client, "public/nothing", "toggleStar", "alice"), 404)
            self.assertEqual(self.prefs(client, "public/alpine", "explode", "alice"), 400)
            self.assertEqual(self.prefs(client, "public/alpine", "toggleStar", None), 401)
            berth.restart()
            client = Client(berth.port)
            for user, starred, bookmarked in (("alice", True, False), ("bob", False, True)):
                repos = self.query(client, UI_REPO_LIST, user)["RepoListWithNewestImage"]
                alpine = [r for r in repos["Results"] if r["Name"] == "public/alpine"][0]
                self.assertEqual((alpine["StarCount"], alpine["IsStarred"],
                                  alpine["IsBookmarked"]), (1, starred, bookmarked), user)
            starred = self.query(client, '{StarredRepos {Results {Name}}}', "alice")
            self.assertEqual(starred["StarredRepos"]["Results"], [{"Name": "public/alpine"}])
            filtered = self.query(client, '{GlobalSearch(query: "", filter: {IsBookmarked: '
                                  'true}) {Repos {Name}}}', "bob")
            self.assertEqual(filtered["GlobalSearch"]["Repos"], [{"Name": "public/alpine"}])

    def test_index_follows_deletes_and_restarts(self):
        with Berth(config=CONFIG, users=USERS) as berth:
            registry = Registry(berth.port)
            _, alpine_digest = registry.push("public/alpine", "3.19", ALPINE_CONFIG, [LAYER1])
            registry.push("public/alpine", "edge", APP_CONFIG, [LAYER2])
            _, app_digest = registry.push("public/app", "1.0", APP_CONFIG, [LAYER1, LAYER3])
            client = Client(berth.port)
            for _ in range(2):
                pulled = client.request("GET", "/v2/public/alpine/manifests/3.19",
                                        headers={"Accept": OCI_MANIFEST, **auth("alice")})
                self.assertEqual(pulled.status, 200)
            usage = self.query(client, '{Image(image: "public/alpine:3.19") {DownloadCount '
                               "PushTimestamp LastPullTimestamp Manifests {DownloadCount}}}",
                               "alice")["Image"]
            self.assertEqual(usage["DownloadCount"], 2)
            self.assertEqual(usage["Manifests"], [{"DownloadCount": 2}])
            self.assertRegex(usage["PushTimestamp"], r"^20\d\d-\d\d-\d\dT.*Z$")
            self.assertRegex(usage["LastPullTimestamp"], r"^20\d\d-\d\d-\d\dT.*Z$")
            tags = '{ImageList(repo: "") {Results {RepoName Tag Digest LastUpdated}}}'
            before = self.query(client, tags, "alice")["ImageList"]["Results"]
            self.assertEqual(len(before), 3)
            self.assertEqual(client.request("DELETE", "/v2/public/alpine/manifests/edge",
                                            headers=auth("alice")).status, 202)
            self.assertEqual(client.request("DELETE", f"/v2/public/app/manifests/{app_digest}",
                                            headers=auth("alice")).status, 202)
            after = self.query(client, tags, "alice")["ImageList"]["Results"]
            self.assertEqual([(r["RepoName"], r["Tag"]) for r in after],
                             [("public/alpine", "3.19")])
            derived = self.query(client, '{DerivedImageList(image: "public/alpine:3.19") '
                                 "{Results {Tag}}}", "alice")
            self.assertEqual(derived["DerivedImageList"]["Results"], [])
            berth.restart()
            client = Client(berth.port)
            rebuilt = self.query(client, tags, "alice")["ImageList"]["Results"]
            self.assertEqual(rebuilt, after)
            self.assertEqual(rebuilt[0]["Digest"], alpine_digest)
            self.assertEqual(rebuilt[0]["LastUpdated"], "2024-01-02T03:04:05.5Z")

    def test_off_unless_configured(self):
        with Berth() as berth:
            client = Client(berth.port)
            self.assertEqual(client.request("GET", "/v2/_zot/ext/search?query=%7B__typename%7D")
                             .status, 404)
            self.assertEqual(client.request("GET", "/v2/_zot/ext/mgmt").status, 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
