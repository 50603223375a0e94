"""A small OCI distribution client for black-box tests: requests over http.client, pushes of
blobs and manifests, and builders of image manifests, indexes and artifacts."""

import hashlib
import http.client
import json

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"

EMPTY_SHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
EMPTY_SHA512 = ("sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e")


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha512(data):
    return "sha512:" + hashlib.sha512(data).hexdigest()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # http.client.HTTPMessage: case-insensitive get/get_all
        self.body = body

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        return json.loads(self.body)

    def error_codes(self):
        return [error["code"] for error in self.json()["errors"]]

    def __repr__(self):
        return f"<{self.status} {dict(self.headers)} {self.body[:300]!r}>"


class Client:
    def __init__(self, port, timeout=60):
        self.port = port
        self.timeout = timeout

    def request(self, method, path, body=None, headers=None, chunked=False):
        """One request on a fresh connection. `body` is bytes, or an iterable of bytes sent
        with Transfer-Encoding: chunked when `chunked`."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            headers = dict(headers or {})
            if chunked:
                headers["Transfer-Encoding"] = "chunked"
                conn.request(method, path, body=body, headers=headers, encode_chunked=True)
            else:
                if body is None and method in ("POST", "PUT", "PATCH"):
                    body = b""
                conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            return Response(response.status, response.headers, data)
        finally:
            conn.close()

    # ---- blobs -------------------------------------------------------------------------

    def start_upload(self, repo, query=""):
        return self.request("POST", f"/v2/{repo}/blobs/uploads/{query}")

    def push_blob(self, repo, data, digest=None):
        """POST then PUT with the whole blob (the containerd flow); returns the digest."""
        digest = digest or sha256(data)
        started = self.start_upload(repo)
        assert started.status == 202, started
        location = started.header("Location")
        done = self.request("PUT", f"{location}?digest={digest}", data,
                            {"Content-Type": "application/octet-stream"})
        assert done.status == 201, done
        return digest

    def get_blob(self, repo, digest, headers=None):
        return self.request("GET", f"/v2/{repo}/blobs/{digest}", headers=headers)

    def head_blob(self, repo, digest):
        return self.request("HEAD", f"/v2/{repo}/blobs/{digest}")

    # ---- manifests ---------------------------------------------------------------------

    def put_manifest(self, repo, reference, body, media_type=OCI_MANIFEST, query=""):
        headers = {"Content-Type": media_type} if media_type else {}
        return self.request("PUT", f"/v2/{repo}/manifests/{reference}{query}", body, headers)

    def get_manifest(self, repo, reference, headers=None, method="GET"):
        return self.request(method, f"/v2/{repo}/manifests/{reference}", headers=headers)

    def push_image(self, repo, tag, layers=(b"layer",), config=b"{}", annotations=None,
                   subject=None, artifact_type=None, config_type=OCI_CONFIG):
        """Pushes the blobs and a manifest; returns (manifest bytes, manifest digest)."""
        body = image_manifest(self.push_descriptor(repo, config, config_type),
                              [self.push_descriptor(repo, layer, OCI_LAYER) for layer in layers],
                              annotations=annotations, subject=subject,
                              artifact_type=artifact_type)
        response = self.put_manifest(repo, tag, body)
        assert response.status == 201, response
        return body, sha256(body)

    def push_descriptor(self, repo, data, media_type):
        return descriptor(media_type, data, self.push_blob(repo, data))

    def tags(self, repo, query=""):
        return self.request("GET", f"/v2/{repo}/tags/list{query}")


def descriptor(media_type, data, digest=None, **extra):
    result = {"mediaType": media_type, "digest": digest or sha256(data), "size": len(data)}
    result.update(extra)
    return result


def image_manifest(config, layers, annotations=None, subject=None, artifact_type=None,
                   media_type=OCI_MANIFEST):
    manifest = {"schemaVersion": 2, "mediaType": media_type, "config": config,
                "layers": layers}
    if artifact_type:
        manifest["artifactType"] = artifact_type
    if subject:
        manifest["subject"] = subject
    if annotations:
        manifest["annotations"] = annotations
    return json.dumps(manifest, indent=1).encode()


def image_index(manifests, annotations=None, subject=None, artifact_type=None,
                media_type=OCI_INDEX):
    index = {"schemaVersion": 2, "mediaType": media_type, "manifests": manifests}
    if artifact_type:
        index["artifactType"] = artifact_type
    if subject:
        index["subject"] = subject
    if annotations:
        index["annotations"] = annotations
    return json.dumps(index).encode()


def link_target(link):
    """The URL of a `Link: <url>; rel="next"` header."""
    assert link.startswith("<") and link.endswith('>; rel="next"'), link
    return link[1:link.index(">")]
