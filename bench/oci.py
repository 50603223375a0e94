"""Plain-HTTP OCI client pieces the benchmarks need: the test image, blob generation, pushes (monolithic
and in PATCH chunks), raw response probes and a pool of idle keep-alive connections.

Written with http.client and sockets only, so that what is sent is exactly what the spec says and
nothing a client library adds (redirect handling, retries, compression) blurs a figure.
"""

import gzip
import hashlib
import http.client
import io
import json
import socket
import subprocess
import tarfile
import time
import urllib.parse
from dataclasses import dataclass

from loadgen import MeasurementError
from peers import HOST

REPO = "bench"
TAG = "v1"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
CHUNK_BYTES = 10 * 1024 * 1024
HTTP_TIMEOUT = 120


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Blob:
    path: str
    size: int
    digest: str


def generate_blob(path, size):
    """An incompressible blob from openssl's DRBG (about 4 times faster than /dev/urandom here)."""
    subprocess.run(["openssl", "rand", "-out", path, str(size)], check=True)
    with open(path, "rb") as f:
        digest = "sha256:" + hashlib.file_digest(f, "sha256").hexdigest()
    return Blob(path, size, digest)


def _descriptor(media_type, data):
    return {"mediaType": media_type, "digest": sha256_digest(data), "size": len(data)}


@dataclass
class TestImage:
    """A one-layer OCI image whose manifest is about 400 bytes, like the one of real-clients.md §8."""
    config: bytes
    layer: bytes
    manifest: bytes

    @property
    def manifest_digest(self):
        return sha256_digest(self.manifest)

    @classmethod
    def build(cls):
        payload = b"hello from the berth benchmark\n"
        tar_bytes = io.BytesIO()
        with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo("hello.txt")
            info.size, info.mtime, info.mode = len(payload), 0, 0o644
            tar.addfile(info, io.BytesIO(payload))
        layer = gzip.compress(tar_bytes.getvalue(), mtime=0)
        config = json.dumps({
            "architecture": "amd64", "os": "linux",
            "config": {"Entrypoint": ["/hello.txt"]},
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(tar_bytes.getvalue())]},
        }, separators=(",", ":")).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
            "config": _descriptor(CONFIG_TYPE, config),
            "layers": [_descriptor(LAYER_TYPE, layer)],
        }, separators=(",", ":")).encode()
        return cls(config, layer, manifest)


def with_digest(location, digest):
    return location + ("&" if "?" in location else "?") + "digest=" + digest


def request_target(location):
    """The path and query of a Location header: distribution sends absolute URLs, berth relative ones."""
    parts = urllib.parse.urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Client:
    """One keep-alive connection to a registry, with its credentials on every request."""

    def __init__(self, port, credentials):
        self.auth = credentials.header() if credentials else {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=HTTP_TIMEOUT)

    def close(self):
        self.conn.close()

    def request(self, method, target, body=None, headers=None):
        self.conn.request(method, target, body=body, headers={**self.auth, **(headers or {})})
        response = self.conn.getresponse()
        return response.status, response.headers, response.read()

    def expect(self, wanted, method, target, body=None, headers=None):
        status, response_headers, data = self.request(method, target, body, headers)
        if status != wanted:
            raise MeasurementError(f"{method} {target.split('?')[0]} answered {status} (wanted {wanted}): "
                                   f"{data[:200].decode(errors='replace')}")
        return response_headers

    def start_upload(self, repo=REPO):
        """POST /v2/<repo>/blobs/uploads/ and the request target of the session it opens."""
        headers = self.expect(202, "POST", f"/v2/{repo}/blobs/uploads/", body=b"",
                              headers={"Content-Length": "0"})
        location = headers.get("Location")
        if not location:
            raise MeasurementError("POST /blobs/uploads/ answered 202 without a Location")
        return request_target(location)

    def put_small_blob(self, data, repo=REPO):
        location = self.start_upload(repo)
        self.expect(201, "PUT", with_digest(location, sha256_digest(data)), body=data,
                    headers={"Content-Type": "application/octet-stream"})

    def push_image(self, image, repo=REPO, tag=TAG):
        self.put_small_blob(image.config, repo)
        self.put_small_blob(image.layer, repo)
        self.expect(201, "PUT", f"/v2/{repo}/manifests/{tag}", body=image.manifest,
                    headers={"Content-Type": MANIFEST_TYPE})

    def check_manifest(self, image, repo=REPO, tag=TAG):
        """Fails unless the manifest comes back byte for byte: a benchmark of wrong answers is worthless."""
        status, _, data = self.request("GET", f"/v2/{repo}/manifests/{tag}", headers={"Accept": MANIFEST_TYPE})
        if status != 200 or data != image.manifest:
            raise MeasurementError(f"GET manifest answered {status} with {len(data)} bytes "
                                   f"(pushed {len(image.manifest)})")

    def chunked_push(self, blob, repo=REPO, chunk=CHUNK_BYTES):
        """POST, one PATCH per chunk (Content-Range), then PUT ?digest=; returns the seconds it all took.
        The Location of each answer is followed, as clients do."""
        started = time.perf_counter()
        location = self.start_upload(repo)
        buffer = bytearray(chunk)
        offset = 0
        with open(blob.path, "rb") as f:
            while offset < blob.size:
                n = f.readinto(buffer)
                headers = self.expect(202, "PATCH", location, body=memoryview(buffer)[:n], headers={
                    "Content-Type": "application/octet-stream", "Content-Length": str(n),
                    "Content-Range": f"{offset}-{offset + n - 1}"})
                location = request_target(headers.get("Location") or location)
                offset += n
        self.expect(201, "PUT", with_digest(location, blob.digest), body=b"", headers={"Content-Length": "0"})
        return time.perf_counter() - started


@dataclass
class Probe:
    """What a server sends for one request: how `nginx serves the same bytes` is checked, not assumed."""
    status_line: str
    header_bytes: int
    body_bytes: int


def read_response(sock):
    """Reads one HTTP/1.1 response to a GET (with a Content-Length); returns the head and the body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise MeasurementError("connection closed before the response headers ended")
        data += chunk
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head_bytes.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head_bytes + b"\r\n\r\n", body


def raw_request(path, headers, method="GET", keep_alive=True):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def probe(port, path, headers):
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(raw_request(path, headers, keep_alive=False))
        head, body = read_response(sock)
    return Probe(head.split(b"\r\n", 1)[0].decode(errors="replace"), len(head), len(body))


def open_idle_connections(port, count, path, headers):
    """Opens `count` keep-alive connections, each past one complete request, and returns them open.
    One request each, so the server holds them as idle HTTP connections, not merely accepted sockets."""
    request = raw_request(path, headers)
    sockets = []
    try:
        for _ in range(count):
            sock = socket.create_connection((HOST, port), timeout=10)
            sockets.append(sock)
            sock.sendall(request)
            head, _ = read_response(sock)
            if not head.startswith(b"HTTP/1.1 2"):
                status_line = head.split(b"\r\n", 1)[0].decode(errors="replace")
                raise MeasurementError(f"GET {path} answered {status_line}")
    except BaseException:
        close_all(sockets)
        raise
    return sockets


def still_open(sockets):
    """How many connections the server has not closed: a closed one peeks EOF (or a reset), an open
    idle one would block. (Not select(): these descriptors run past FD_SETSIZE.)"""
    count = 0
    for sock in sockets:
        sock.setblocking(False)
        try:
            if sock.recv(1, socket.MSG_PEEK) != b"":
                count += 1
        except BlockingIOError:
            count += 1
        except ConnectionError:
            pass
    return count


def close_all(sockets):
    for sock in sockets:
        sock.close()
