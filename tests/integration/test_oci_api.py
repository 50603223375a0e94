"""The OCI distribution API, black box: every endpoint, every error path of the checklist
(/work/shared/reference/oci-checklist.md) and its §11 edge cases one by one. Tests named
test_caseNN_... are the checklist's §11 case NN.

Every response under /v2/ is checked for Docker-Distribution-API-Version by the client itself.
"""

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Berth  # noqa: E402
from httpclient import Connection  # noqa: E402
import oci  # noqa: E402
from oci import (DOCKER_CONFIG, DOCKER_LAYER, DOCKER_LIST, DOCKER_MANIFEST,  # noqa: E402
                 EMPTY_SHA256, EMPTY_SHA512, OCI_CONFIG, OCI_EMPTY, OCI_INDEX, OCI_LAYER,
                 OCI_MANIFEST, descriptor, image_index, image_manifest, link_target, sha256,
                 sha512)

MANIFEST_LIMIT = 4 * 1024 * 1024


class CheckedClient(oci.Client):
    """Asserts the API version header on every /v2/ response."""

    def request(self, method, path, body=None, headers=None, chunked=False):
        response = super().request(method, path, body, headers, chunked)
        if path.startswith("/v2"):
            assert response.header("Docker-Distribution-API-Version") == "registry/2.0", \
                (method, path, response)
        return response


SHARED = None


def setUpModule():
    global SHARED
    SHARED = Berth().start()


def tearDownModule():
    SHARED.__exit__(None, None, None)


class ApiTest(unittest.TestCase):
    """A test on the shared berth, with a repository name of its own."""

    def setUp(self):
        self.berth = SHARED
        self.client = CheckedClient(self.berth.port)
        self.repo = "t/" + self._testMethodName.replace("_", "-")

    def assertError(self, response, status, code=None):
        self.assertEqual(response.status, status, response)
        if code is not None:
            self.assertIn(code, response.error_codes(), response)

    def upload_location(self, repo=None, query=""):
        response = self.client.start_upload(repo or self.repo, query)
        self.assertEqual(response.status, 202, response)
        return response.header("Location")

    def patch(self, location, data, content_range=None, headers=None):
        headers = dict(headers or {})
        headers["Content-Type"] = "application/octet-stream"
        if content_range is not None:
            headers["Content-Range"] = content_range
        return self.client.request("PATCH", location, data, headers)


# ---- base ----------------------------------------------------------------------------------

class Base(ApiTest):
    def test_case01_base_endpoint(self):
        response = self.client.request("GET", "/v2/")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.body, b"{}")

    def test_case77_head_base(self):
        response = self.client.request("HEAD", "/v2/")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.header("Content-Length"), "2")
        self.assertEqual(response.body, b"")


# ---- blobs ---------------------------------------------------------------------------------

class Blobs(ApiTest):
    def test_blob_round_trip(self):
        data = os.urandom(100_000)
        digest = self.client.push_blob(self.repo, data)
        response = self.client.get_blob(self.repo, digest)
        self.assertEqual(response.status, 200)
        self.assertEqual(response.body, data)
        self.assertEqual(response.header("Content-Length"), str(len(data)))
        self.assertEqual(response.header("Docker-Content-Digest"), digest)
        self.assertEqual(response.header("Content-Type"), "application/octet-stream")
        self.assertEqual(response.header("Accept-Ranges"), "bytes")
        self.assertEqual(response.header("ETag"), f'"{digest}"')

    def test_case02_head_existing_blob(self):
        data = b"0123456789abcdef"
        digest = self.client.push_blob(self.repo, data)
        response = self.client.head_blob(self.repo, digest)
        self.assertEqual(response.status, 200)
        self.assertEqual(response.header("Content-Length"), str(len(data)))
        self.assertEqual(response.header("Docker-Content-Digest"), digest)
        self.assertEqual(response.body, b"")

    def test_case03_head_missing_blob_has_no_body(self):
        self.client.push_blob(self.repo, b"something")
        conn = Connection(self.berth.port)
        conn.send(f"HEAD /v2/{self.repo}/blobs/{sha256(b'absent')} HTTP/1.1\r\nHost: x\r\n"
                  "Connection: close\r\n\r\n".encode())
        response = conn.read_response(head_request=True)
        self.assertEqual(response.status, 404)
        rest = conn.buffer
        while True:
            data = conn.sock.recv(65536)
            if not data:
                break
            rest += data
        conn.close()
        self.assertEqual(rest, b"")

    def test_case04_range_first_ten_bytes(self):
        data = bytes(range(256)) * 4
        digest = self.client.push_blob(self.repo, data)
        response = self.client.get_blob(self.repo, digest, {"Range": "bytes=0-9"})
        self.assertEqual(response.status, 206)
        self.assertEqual(response.header("Content-Range"), f"bytes 0-9/{len(data)}")
        self.assertEqual(response.header("Content-Length"), "10")
        self.assertEqual(response.header("Docker-Content-Digest"), digest)
        self.assertEqual(response.body, data[:10])

    def test_case05_range_beyond_end_is_416(self):
        data = b"x" * 100
        digest = self.client.push_blob(self.repo, data)
        response = self.client.get_blob(self.repo, digest, {"Range": "bytes=100-"})
        self.assertEqual(response.status, 416)
        self.assertEqual(response.header("Content-Range"), "bytes */100")

    def test_case06_suffix_and_open_ranges(self):
        data = bytes(range(100))
        digest = self.client.push_blob(self.repo, data)
        suffix = self.client.get_blob(self.repo, digest, {"Range": "bytes=-5"})
        self.assertEqual(suffix.status, 206)
        self.assertEqual(suffix.body, data[-5:])
        self.assertEqual(suffix.header("Content-Range"), "bytes 95-99/100")
        opened = self.client.get_blob(self.repo, digest, {"Range": "bytes=5-"})
        self.assertEqual(opened.status, 206)
        self.assertEqual(opened.body, data[5:])
        clamped = self.client.get_blob(self.repo, digest, {"Range": "bytes=90-1000"})
        self.assertEqual(clamped.status, 206)
        self.assertEqual(clamped.body, data[90:])

    def test_case07_multi_range_gives_whole_body(self):
        data = bytes(range(50))
        digest = self.client.push_blob(self.repo, data)
        response = self.client.get_blob(self.repo, digest, {"Range": "bytes=0-1,4-5"})
        self.assertEqual(response.status, 200)
        self.assertEqual(response.body, data)

    def test_case08_blob_is_scoped_to_its_repository(self):
        digest = self.client.push_blob(self.repo, b"only in A")
        other = self.repo + "-b"
        self.client.push_blob(other, b"something else")
        self.assertEqual(self.client.head_blob(other, digest).status, 404)
        self.assertError(self.client.get_blob(other, digest), 404, "BLOB_UNKNOWN")

    def test_case09_repository_that_never_existed(self):
        digest = sha256(b"x")
        self.assertEqual(self.client.head_blob("never/existed", digest).status, 404)
        self.assertEqual(self.client.get_blob("never/existed", digest).status, 404)
        self.assertError(self.client.get_manifest("never/existed", "latest"), 404, "NAME_UNKNOWN")
        self.assertError(self.client.tags("never/existed"), 404, "NAME_UNKNOWN")

    def test_case10_uppercase_name(self):
        self.assertError(self.client.get_blob("MyRepo", sha256(b"x")), 400, "NAME_INVALID")
        self.assertError(self.client.start_upload("MyRepo"), 400, "NAME_INVALID")

    def test_case11_invalid_names(self):
        for name in ("a..b", "a___b", "-a", "a-", "a/", "a//b", "a" * 256, "a.-b", "a/.b"):
            response = self.client.start_upload(name)
            self.assertError(response, 400, "NAME_INVALID")
        # A leading `_` is an extension's namespace, not a repository.
        self.assertEqual(self.client.start_upload("_a").status, 404)
        self.assertEqual(self.client.start_upload("a" * 255).status, 202)

    def test_case14_malformed_digests(self):
        self.client.push_blob(self.repo, b"x")
        hexa = hashlib.sha256(b"x").hexdigest()
        for digest in ("sha256:" + hexa.upper(), "sha256:" + hexa[:63], "sha256:" + hexa + "0",
                       "sha256", "sha256:", "md5:" + hexa[:32], ":" + hexa):
            response = self.client.get_blob(self.repo, digest)
            self.assertError(response, 400, "DIGEST_INVALID")
            self.assertEqual(self.client.head_blob(self.repo, digest).status, 400)

    def test_blob_conditional_get(self):
        digest = self.client.push_blob(self.repo, b"cached")
        response = self.client.get_blob(self.repo, digest, {"If-None-Match": f'"{digest}"'})
        self.assertEqual(response.status, 304)
        self.assertEqual(response.body, b"")
        other = self.client.get_blob(self.repo, digest, {"If-None-Match": '"sha256:00"'})
        self.assertEqual(other.status, 200)

    def test_case61_delete_blob_then_head(self):
        digest = self.client.push_blob(self.repo, b"to be deleted")
        response = self.client.request("DELETE", f"/v2/{self.repo}/blobs/{digest}")
        self.assertEqual(response.status, 202)
        self.assertEqual(self.client.head_blob(self.repo, digest).status, 404)
        again = self.client.request("DELETE", f"/v2/{self.repo}/blobs/{digest}")
        self.assertError(again, 404, "BLOB_UNKNOWN")

    def test_case60_delete_missing_blob_and_manifest(self):
        self.client.push_blob(self.repo, b"x")
        missing = sha256(b"missing")
        self.assertError(self.client.request("DELETE", f"/v2/{self.repo}/blobs/{missing}"), 404,
                         "BLOB_UNKNOWN")
        self.assertError(self.client.request("DELETE", f"/v2/{self.repo}/manifests/{missing}"),
                         404, "MANIFEST_UNKNOWN")
        self.assertError(self.client.request("DELETE", f"/v2/{self.repo}/manifests/nope"), 404,
                         "MANIFEST_UNKNOWN")
        self.assertError(self.client.request("DELETE", f"/v2/never/there/manifests/{missing}"),
                         404, "NAME_UNKNOWN")

    def test_case72_blob_over_4_gib(self):
        if not os.environ.get("BERTH_TEST_HUGE"):
            self.skipTest("set BERTH_TEST_HUGE=1 to push and pull a 4 GiB + 1 blob")
        size = (4 << 30) + 1
        piece = os.urandom(1 << 20)
        hasher = hashlib.sha256()
        pieces = [piece] * (size // len(piece)) + [piece[:size % len(piece)]]
        for p in pieces:
            hasher.update(p)
        digest = "sha256:" + hasher.hexdigest()
        location = self.upload_location()
        response = self.client.request("PATCH", location, iter(pieces), chunked=True)
        self.assertEqual(response.header("Range"), f"0-{size - 1}")
        done = self.client.request("PUT", f"{location}?digest={digest}")
        self.assertEqual(done.status, 201)
        head = self.client.head_blob(self.repo, digest)
        self.assertEqual(head.header("Content-Length"), str(size))
        tail = self.client.get_blob(self.repo, digest, {"Range": "bytes=-1"})
        self.assertEqual(tail.header("Content-Range"), f"bytes {size - 1}-{size - 1}/{size}")


# ---- uploads -------------------------------------------------------------------------------

class Uploads(ApiTest):
    def test_post_starts_a_session(self):
        response = self.client.start_upload(self.repo)
        self.assertEqual(response.status, 202)
        location = response.header("Location")
        uuid = response.header("Docker-Upload-UUID")
        self.assertEqual(location, f"/v2/{self.repo}/blobs/uploads/{uuid}")
        self.assertEqual(response.header("Range"), "0-0")
        self.assertEqual(response.header("Content-Length"), "0")
        no_slash = self.client.request("POST", f"/v2/{self.repo}/blobs/uploads")
        self.assertEqual(no_slash.status, 202)

    def test_end13_upload_status_get_and_head(self):
        location = self.upload_location()
        for method in ("GET", "HEAD"):
            response = self.client.request(method, location)
            self.assertEqual(response.status, 204)
            self.assertEqual(response.header("Range"), "0-0")
            self.assertEqual(response.header("Location"), location)
            self.assertIsNotNone(response.header("Docker-Upload-UUID"))
            self.assertIsNone(response.header("Content-Length"))

    def test_case15_wrong_digest_leaves_no_blob(self):
        location = self.upload_location()
        data = b"the real bytes"
        wrong = sha256(b"other bytes")
        response = self.client.request("PUT", f"{location}?digest={wrong}", data)
        self.assertError(response, 400, "DIGEST_INVALID")
        self.assertEqual(self.client.head_blob(self.repo, wrong).status, 404)
        self.assertEqual(self.client.head_blob(self.repo, sha256(data)).status, 404)
        # A failed commit ends the session.
        self.assertError(self.client.request("GET", location), 404, "BLOB_UPLOAD_UNKNOWN")

    def test_case16_closing_put_without_or_with_bad_digest(self):
        location = self.upload_location()
        self.assertEqual(self.patch(location, b"abc").status, 202)
        self.assertError(self.client.request("PUT", location), 400, "DIGEST_INVALID")
        self.assertError(self.client.request("PUT", f"{location}?digest="), 400,
                         "DIGEST_INVALID")
        self.assertError(self.client.request("PUT", f"{location}?digest=sha256:abc"), 400,
                         "DIGEST_INVALID")
        self.assertError(self.client.request("PUT", f"{location}?digest=md5:abc"), 400,
                         "DIGEST_INVALID")
        # Nothing was committed, so the session goes on.
        done = self.client.request("PUT", f"{location}?digest={sha256(b'abc')}")
        self.assertEqual(done.status, 201)

    def test_case17_empty_blob(self):
        location = self.upload_location()
        response = self.client.request("PUT", f"{location}?digest={EMPTY_SHA256}")
        self.assertEqual(response.status, 201)
        self.assertEqual(response.header("Docker-Content-Digest"), EMPTY_SHA256)
        got = self.client.get_blob(self.repo, EMPTY_SHA256)
        self.assertEqual(got.status, 200)
        self.assertEqual(got.header("Content-Length"), "0")
        self.assertEqual(got.body, b"")
        head = self.client.head_blob(self.repo, EMPTY_SHA256)
        self.assertEqual(head.header("Content-Length"), "0")

    def test_case17_empty_blob_single_post(self):
        repo = self.repo
        response = self.client.request("POST", f"/v2/{repo}/blobs/uploads/?digest={EMPTY_SHA256}")
        self.assertEqual(response.status, 201)
        self.assertEqual(response.header("Location"), f"/v2/{repo}/blobs/{EMPTY_SHA256}")
        self.assertEqual(self.client.head_blob(repo, EMPTY_SHA256).status, 200)

    def test_case18_post_then_put_whole_blob(self):
        data = os.urandom(300_000)
        location = self.upload_location()
        response = self.client.request("PUT", f"{location}?digest={sha256(data)}", data,
                                       {"Content-Type": "application/octet-stream"})
        self.assertEqual(response.status, 201)
        self.assertEqual(response.header("Location"), f"/v2/{self.repo}/blobs/{sha256(data)}")
        self.assertEqual(response.header("Docker-Content-Digest"), sha256(data))
        self.assertEqual(response.header("Content-Length"), "0")
        self.assertEqual(self.client.get_blob(self.repo, sha256(data)).body, data)

    def test_case19_single_post_with_body(self):
        data = os.urandom(70_000)
        digest = sha256(data)
        response = self.client.request("POST", f"/v2/{self.repo}/blobs/uploads/?digest={digest}",
                                       data, {"Content-Type": "application/octet-stream"})
        self.assertEqual(response.status, 201)
        self.assertEqual(response.header("Location"), f"/v2/{self.repo}/blobs/{digest}")
        self.assertEqual(response.header("Docker-Content-Digest"), digest)
        self.assertEqual(self.client.get_blob(self.repo, digest).body, data)

    def test_single_post_with_wrong_digest(self):
        data = b"posted"
        wrong = sha256(b"not posted")
        response = self.client.request("POST", f"/v2/{self.repo}/blobs/uploads/?digest={wrong}",
                                       data)
        self.assertError(response, 400, "DIGEST_INVALID")
        self.assertEqual(self.client.head_blob(self.repo, wrong).status, 404)
        self.assertEqual(self.client.head_blob(self.repo, sha256(data)).status, 404)

    def test_post_with_digest_and_no_body_opens_a_session(self):
        # Only the empty blob can be the whole of an empty body; any other digest means the
        # client is opening a session it fills later.
        data = b"later"
        digest = sha256(data)
        response = self.client.request("POST", f"/v2/{self.repo}/blobs/uploads/?digest={digest}")
        self.assertEqual(response.status, 202)
        location = response.header("Location")
        self.assertEqual(self.patch(location, data).status, 202)
        self.assertEqual(self.client.request("PUT", f"{location}?digest={digest}").status, 201)

    def test_post_with_malformed_digest(self):
        response = self.client.request("POST", f"/v2/{self.repo}/blobs/uploads/?digest=sha256:x",
                                       b"data")
        self.assertError(response, 400, "DIGEST_INVALID")

    def test_case20_chunked_upload_in_order(self):
        data = os.urandom(3000)
        location = self.upload_location()
        for start in range(0, 3000, 1000):
            response = self.patch(location, data[start:start + 1000],
                                  f"{start}-{start + 999}")
            self.assertEqual(response.status, 202, response)
            self.assertEqual(response.header("Range"), f"0-{start + 999}")
            self.assertEqual(response.header("Content-Length"), "0")
            location = response.header("Location")
        done = self.client.request("PUT", f"{location}?digest={sha256(data)}")
        self.assertEqual(done.status, 201)
        self.assertEqual(self.client.get_blob(self.repo, sha256(data)).body, data)

    def test_case21_case22_out_of_order_chunk_then_resume(self):
        data = os.urandom(30)
        location = self.upload_location()
        self.assertEqual(self.patch(location, data[:10], "0-9").status, 202)
        gap = self.patch(location, data[20:], "20-29")
        self.assertEqual(gap.status, 416)
        self.assertEqual(gap.header("Range"), "0-9")
        self.assertEqual(gap.header("Location"), location)
        overlap = self.patch(location, data[:10], "0-9")
        self.assertEqual(overlap.status, 416)
        status = self.client.request("GET", location)
        self.assertEqual(status.status, 204)
        self.assertEqual(status.header("Range"), "0-9")
        self.assertEqual(status.header("Location"), location)
        self.assertEqual(self.patch(location, data[10:], "10-29").header("Range"), "0-29")
        done = self.client.request("PUT", f"{location}?digest={sha256(data)}")
        self.assertEqual(done.status, 201)
        self.assertEqual(self.client.get_blob(self.repo, sha256(data)).body, data)

    def test_case23_malformed_content_range(self):
        location = self.upload_location()
        self.assertEqual(self.patch(location, b"12345", "0-4").status, 202)
        for bad in ("abc", "9-5", "5-", "-4", "5-9/3", ""):
            response = self.patch(location, b"67890", bad)
            self.assertEqual(response.status, 416, (bad, response))
            self.assertEqual(response.header("Range"), "0-4")
        # Accepted forms of the same range.
        self.assertEqual(self.patch(location, b"678", "bytes 5-7/*").status, 202)
        self.assertEqual(self.patch(location, b"90", "bytes=8-9").header("Range"), "0-9")
        done = self.client.request("PUT", f"{location}?digest={sha256(b'1234567890')}")
        self.assertEqual(done.status, 201)

    def test_case24_content_length_differs_from_range(self):
        location = self.upload_location()
        response = self.patch(location, b"12345", "0-9")
        self.assertError(response, 400, "SIZE_INVALID")
        status = self.client.request("GET", location)
        self.assertEqual(status.status, 204)
        self.assertEqual(status.header("Range"), "0-0")

    def test_case25_streamed_chunked_patch(self):
        piece = os.urandom(65536)
        pieces = [piece] * 128 + [b"tail"]
        data = b"".join(pieces)
        location = self.upload_location()
        response = self.client.request("PATCH", location, iter(pieces),
                                       {"Content-Type": "application/octet-stream"},
                                       chunked=True)
        self.assertEqual(response.status, 202, response)
        self.assertEqual(response.header("Range"), f"0-{len(data) - 1}")
        done = self.client.request("PUT", f"{response.header('Location')}?digest={sha256(data)}")
        self.assertEqual(done.status, 201)
        got = self.client.get_blob(self.repo, sha256(data))
        self.assertEqual(hashlib.sha256(got.body).hexdigest(), sha256(data)[7:])

    def test_streamed_patch_with_content_length_no_range(self):
        data = os.urandom(200_000)
        location = self.upload_location()
        response = self.patch(location, data)
        self.assertEqual(response.header("Range"), f"0-{len(data) - 1}")
        more = self.patch(location, b"!")
        self.assertEqual(more.header("Range"), f"0-{len(data)}")
        done = self.client.request("PUT", f"{location}?digest={sha256(data + b'!')}")
        self.assertEqual(done.status, 201)

    def test_expect_continue_patch(self):
        location = self.upload_location()
        conn = Connection(self.berth.port)
        conn.send(f"PATCH {location} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  "Expect: 100-continue\r\n\r\n".encode())
        self.assertEqual(conn.read_response().status, 100)
        conn.send(b"hello")
        response = conn.read_response()
        conn.close()
        self.assertEqual(response.status, 202)
        self.assertEqual(response.header("Range"), "0-4")

    def test_case26_final_chunk_in_closing_put(self):
        data = os.urandom(20)
        location = self.upload_location()
        self.assertEqual(self.patch(location, data[:10], "0-9").status, 202)
        wrong = self.client.request("PUT", f"{location}?digest={sha256(data)}", data[10:],
                                    {"Content-Range": "11-20"})
        self.assertEqual(wrong.status, 416)
        self.assertEqual(wrong.header("Range"), "0-9")
        done = self.client.request("PUT", f"{location}?digest={sha256(data)}", data[10:],
                                   {"Content-Range": "10-19"})
        self.assertEqual(done.status, 201)
        self.assertEqual(self.client.get_blob(self.repo, sha256(data)).body, data)

    def test_case27_unknown_upload_id(self):
        self.client.push_blob(self.repo, b"x")
        location = f"/v2/{self.repo}/blobs/uploads/00000000-0000-0000-0000-000000000000"
        digest = sha256(b"x")
        self.assertError(self.client.request("GET", location), 404, "BLOB_UPLOAD_UNKNOWN")
        self.assertError(self.patch(location, b"x"), 404, "BLOB_UPLOAD_UNKNOWN")
        self.assertError(self.client.request("PUT", f"{location}?digest={digest}", b"x"), 404,
                         "BLOB_UPLOAD_UNKNOWN")
        self.assertError(self.client.request("DELETE", location), 404, "BLOB_UPLOAD_UNKNOWN")
        for bad in ("..", "a%2Fb", "x" * 129, "a~b"):
            response = self.client.request("GET", f"/v2/{self.repo}/blobs/uploads/{bad}")
            self.assertIn(response.status, (400, 404), (bad, response))

    def test_case28_reuse_of_finished_upload(self):
        location = self.upload_location()
        data = b"finished"
        self.assertEqual(self.client.request("PUT", f"{location}?digest={sha256(data)}",
                                             data).status, 201)
        self.assertError(self.patch(location, b"more"), 404, "BLOB_UPLOAD_UNKNOWN")
        self.assertError(self.client.request("PUT", f"{location}?digest={sha256(data)}"), 404,
                         "BLOB_UPLOAD_UNKNOWN")
        self.assertError(self.client.request("GET", location), 404, "BLOB_UPLOAD_UNKNOWN")

    def test_case29_cancel_upload(self):
        location = self.upload_location()
        self.patch(location, b"partial")
        response = self.client.request("DELETE", location)
        self.assertEqual(response.status, 204)
        self.assertError(self.client.request("GET", location), 404, "BLOB_UPLOAD_UNKNOWN")
        self.assertError(self.client.request("DELETE", location), 404, "BLOB_UPLOAD_UNKNOWN")

    def test_case30_upload_of_repo_a_used_under_repo_b(self):
        location = self.upload_location()
        other = self.repo + "-b"
        self.upload_location(other)
        uuid = location.rsplit("/", 1)[1]
        foreign = f"/v2/{other}/blobs/uploads/{uuid}"
        self.assertError(self.client.request("GET", foreign), 404, "BLOB_UPLOAD_UNKNOWN")
        self.assertError(self.patch(foreign, b"x"), 404, "BLOB_UPLOAD_UNKNOWN")
        self.assertError(self.client.request("PUT", f"{foreign}?digest={sha256(b'x')}", b"x"),
                         404, "BLOB_UPLOAD_UNKNOWN")
        self.assertError(self.client.request("DELETE", foreign), 404, "BLOB_UPLOAD_UNKNOWN")
        self.assertError(self.client.request("GET", f"/v2/never/made/blobs/uploads/{uuid}"), 404,
                         "BLOB_UPLOAD_UNKNOWN")
        # The session itself is untouched.
        self.assertEqual(self.client.request("GET", location).status, 204)

    def test_case31_mount_from_repository_with_blob(self):
        source = self.repo + "-src"
        digest = self.client.push_blob(source, b"mount me")
        response = self.client.request(
            "POST", f"/v2/{self.repo}/blobs/uploads/?mount={digest}&from={source}")
        self.assertEqual(response.status, 201, response)
        self.assertEqual(response.header("Location"), f"/v2/{self.repo}/blobs/{digest}")
        self.assertEqual(response.header("Docker-Content-Digest"), digest)
        self.assertEqual(self.client.head_blob(self.repo, digest).status, 200)
        self.assertEqual(self.client.get_blob(self.repo, digest).body, b"mount me")
        again = self.client.request(
            "POST", f"/v2/{self.repo}/blobs/uploads/?mount={digest}&from={source}")
        self.assertEqual(again.status, 201)

    def test_case32_case80_mount_without_source_blob_is_a_session(self):
        source = self.repo + "-src"
        self.client.push_blob(source, b"something")
        elsewhere = self.client.push_blob(self.repo + "-other", b"secret blob")
        for query in (f"?mount={sha256(b'absent')}&from={source}",
                      f"?mount={elsewhere}&from={source}",
                      f"?mount={elsewhere}&from=never/existed",
                      f"?mount={elsewhere}&from=Invalid..Name"):
            response = self.client.request("POST", f"/v2/{self.repo}/blobs/uploads/{query}")
            self.assertEqual(response.status, 202, (query, response))
            self.assertEqual(response.header("Range"), "0-0")
            location = response.header("Location")
            self.assertTrue(location.startswith(f"/v2/{self.repo}/blobs/uploads/"))
            self.assertEqual(self.client.request("DELETE", location).status, 204)
        self.assertEqual(self.client.head_blob(self.repo, elsewhere).status, 404)

    def test_case33_mount_without_from(self):
        digest = self.client.push_blob(self.repo + "-other", b"not searched")
        response = self.client.request("POST", f"/v2/{self.repo}/blobs/uploads/?mount={digest}")
        self.assertEqual(response.status, 202)
        here = self.client.push_blob(self.repo, b"already here")
        response = self.client.request("POST", f"/v2/{self.repo}/blobs/uploads/?mount={here}")
        self.assertEqual(response.status, 201)
        self.assertEqual(response.header("Docker-Content-Digest"), here)

    def test_mount_with_malformed_digest(self):
        response = self.client.request("POST", f"/v2/{self.repo}/blobs/uploads/?mount=sha256:1")
        self.assertError(response, 400, "DIGEST_INVALID")

    def test_case34_location_with_own_query_and_appended_digest(self):
        data = b"query strings"
        location = self.upload_location()
        patched = self.patch(location + "?_state=opaque", data)
        self.assertEqual(patched.status, 202)
        response = self.client.request(
            "PUT", f"{location}?_state=opaque&other=1&digest={sha256(data)}")
        self.assertEqual(response.status, 201)

    def test_case35_percent_encoded_digest(self):
        data = b"percent"
        encoded = sha256(data).replace(":", "%3A")
        location = self.upload_location()
        response = self.client.request("PUT", f"{location}?digest={encoded}", data)
        self.assertEqual(response.status, 201)
        self.assertEqual(response.header("Docker-Content-Digest"), sha256(data))
        self.assertEqual(self.client.get_blob(self.repo, encoded).status, 200)

    def test_case73_concurrent_uploads_of_the_same_blob(self):
        data = os.urandom(500_000)
        locations = [self.upload_location() for _ in range(4)]
        results = []

        def upload(location):
            client = CheckedClient(self.berth.port)
            results.append(client.request("PUT", f"{location}?digest={sha256(data)}", data).status)

        threads = [threading.Thread(target=upload, args=(loc,)) for loc in locations]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(results, [201] * 4)
        self.assertEqual(self.client.get_blob(self.repo, sha256(data)).body, data)
        blob_files = []
        for directory, _, files in os.walk(os.path.join(self.berth.root, "_blobs")):
            blob_files += [f for f in files if f == sha256(data)[7:]]
        self.assertLessEqual(len(blob_files), 1)

    def test_case79_sha512_upload_end_to_end(self):
        data = os.urandom(5000)
        digest = sha512(data)
        location = self.upload_location(query="?digest-algorithm=sha512")
        self.assertEqual(self.patch(location, data[:1000], "0-999").status, 202)
        self.assertEqual(self.patch(location, data[1000:]).status, 202)
        response = self.client.request("PUT", f"{location}?digest={digest}")
        self.assertEqual(response.status, 201)
        self.assertEqual(response.header("Docker-Content-Digest"), digest)
        got = self.client.get_blob(self.repo, digest)
        self.assertEqual(got.body, data)
        self.assertEqual(got.header("Docker-Content-Digest"), digest)
        empty = self.upload_location(query="?digest-algorithm=sha512")
        self.assertEqual(self.client.request("PUT", f"{empty}?digest={EMPTY_SHA512}").status, 201)

    def test_sha512_digest_without_announcing_it(self):
        data = os.urandom(3000)
        location = self.upload_location()
        response = self.client.request("PUT", f"{location}?digest={sha512(data)}", data)
        self.assertEqual(response.status, 201)
        self.assertEqual(self.client.get_blob(self.repo, sha512(data)).body, data)

    def test_unsupported_digest_algorithm(self):
        for value in ("md5", "blake3", "SHA256", ""):
            response = self.client.start_upload(self.repo, f"?digest-algorithm={value}")
            self.assertError(response, 400, "DIGEST_INVALID")

    def test_case76_every_201_carries_the_digest(self):
        data = b"digest headers"
        location = self.upload_location()
        put = self.client.request("PUT", f"{location}?digest={sha256(data)}", data)
        post = self.client.request(
            "POST", f"/v2/{self.repo}-post/blobs/uploads/?digest={sha256(data)}", data)
        mount = self.client.request(
            "POST", f"/v2/{self.repo}-mount/blobs/uploads/?mount={sha256(data)}&from={self.repo}")
        for response in (put, post, mount):
            self.assertEqual(response.status, 201)
            self.assertEqual(response.header("Docker-Content-Digest"), sha256(data))
        _, manifest_digest = self.client.push_image(self.repo, "v1")
        again = self.client.get_manifest(self.repo, "v1", method="HEAD")
        self.assertEqual(again.header("Docker-Content-Digest"), manifest_digest)


# ---- manifests -----------------------------------------------------------------------------

class Manifests(ApiTest):
    def image(self, repo=None, layers=(b"layer",), **kwargs):
        repo = repo or self.repo
        config = self.client.push_descriptor(repo, b'{"architecture":"amd64"}', OCI_CONFIG)
        blobs = [self.client.push_descriptor(repo, layer, OCI_LAYER) for layer in layers]
        return image_manifest(config, blobs, **kwargs)

    def test_case47_case71_put_get_head_byte_identical(self):
        config = self.client.push_descriptor(self.repo, b"{}", OCI_CONFIG)
        layer = self.client.push_descriptor(self.repo, b"layer bytes", OCI_LAYER)
        body = ('{\n  "schemaVersion" : 2,  "layers": [%s],\t"config": %s,'
                '"mediaType": "%s"\n}\n\n' % (json.dumps(layer), json.dumps(config),
                                              OCI_MANIFEST)).encode()
        digest = sha256(body)
        response = self.client.put_manifest(self.repo, "v1", body)
        self.assertEqual(response.status, 201, response)
        self.assertEqual(response.header("Location"), f"/v2/{self.repo}/manifests/{digest}")
        self.assertEqual(response.header("Docker-Content-Digest"), digest)
        self.assertEqual(response.header("Content-Length"), "0")
        self.assertIsNone(response.header("OCI-Subject"))
        for reference in ("v1", digest):
            got = self.client.get_manifest(self.repo, reference)
            self.assertEqual(got.status, 200)
            self.assertEqual(got.body, body)
            self.assertEqual(got.header("Content-Type"), OCI_MANIFEST)
            self.assertEqual(got.header("Docker-Content-Digest"), digest)
            self.assertEqual(got.header("ETag"), f'"{digest}"')
            head = self.client.get_manifest(self.repo, reference, method="HEAD")
            self.assertEqual(head.status, 200)
            self.assertEqual(head.body, b"")
            self.assertEqual(head.header("Content-Length"), str(len(body)))
            self.assertEqual(head.header("Content-Type"), OCI_MANIFEST)
            self.assertEqual(head.header("Docker-Content-Digest"), digest)

    def test_manifest_conditional_get(self):
        body = self.image()
        self.client.put_manifest(self.repo, "v1", body)
        etag = f'"{sha256(body)}"'
        for method in ("GET", "HEAD"):
            response = self.client.get_manifest(self.repo, "v1", {"If-None-Match": etag},
                                                method=method)
            self.assertEqual(response.status, 304)
        self.assertEqual(self.client.get_manifest(self.repo, "v1",
                                                  {"If-None-Match": '"x"'}).status, 200)

    def test_case36_missing_blobs_one_error_per_digest(self):
        config = descriptor(OCI_CONFIG, b"missing config")
        present = self.client.push_descriptor(self.repo, b"present layer", OCI_LAYER)
        missing = [descriptor(OCI_LAYER, b"missing layer %d" % i) for i in range(2)]
        body = image_manifest(config, [present] + missing)
        response = self.client.put_manifest(self.repo, "v1", body)
        self.assertError(response, 400, "MANIFEST_BLOB_UNKNOWN")
        errors = response.json()["errors"]
        self.assertEqual({e["code"] for e in errors}, {"MANIFEST_BLOB_UNKNOWN"})
        self.assertEqual(sorted(e["detail"] for e in errors),
                         sorted([config["digest"]] + [m["digest"] for m in missing]))
        self.assertEqual(self.client.get_manifest(self.repo, "v1").status, 404)

    def test_layer_with_urls_need_not_exist(self):
        config = self.client.push_descriptor(self.repo, b"{}", OCI_CONFIG)
        foreign = descriptor("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                             b"foreign", urls=["https://example.com/layer"])
        body = image_manifest(config, [foreign])
        self.assertEqual(self.client.put_manifest(self.repo, "v1", body).status, 201)

    def test_case37_index_with_missing_child(self):
        child = self.image()
        self.assertEqual(self.client.put_manifest(self.repo, sha256(child), child).status, 201)
        absent = b'{"schemaVersion":2}'
        index = image_index([descriptor(OCI_MANIFEST, child), descriptor(OCI_MANIFEST, absent)])
        response = self.client.put_manifest(self.repo, "multi", index, OCI_INDEX)
        self.assertError(response, 400, "MANIFEST_BLOB_UNKNOWN")
        self.assertEqual([e["detail"] for e in response.json()["errors"]], [sha256(absent)])
        good = image_index([descriptor(OCI_MANIFEST, child)])
        created = self.client.put_manifest(self.repo, "multi", good, OCI_INDEX)
        self.assertEqual(created.status, 201)
        got = self.client.get_manifest(self.repo, "multi")
        self.assertEqual(got.header("Content-Type"), OCI_INDEX)
        self.assertEqual(got.body, good)

    def test_case38_subject_that_does_not_exist(self):
        subject = descriptor(OCI_MANIFEST, b"never pushed")
        body = self.image(subject=subject)
        response = self.client.put_manifest(self.repo, sha256(body), body)
        self.assertEqual(response.status, 201, response)
        self.assertEqual(response.header("OCI-Subject"), subject["digest"])

    def test_case39_content_type_differs_from_media_type(self):
        body = self.image()
        response = self.client.put_manifest(self.repo, "v1", body, OCI_INDEX)
        self.assertError(response, 400, "MANIFEST_INVALID")
        docker = self.client.put_manifest(self.repo, "v1", body, DOCKER_MANIFEST)
        self.assertError(docker, 400, "MANIFEST_INVALID")

    def test_case40_artifact_with_unknown_types(self):
        config = self.client.push_descriptor(self.repo, b"{}", OCI_EMPTY)
        layer = self.client.push_descriptor(self.repo, b"sbom", "application/vnd.example.sbom")
        body = image_manifest(config, [layer], artifact_type="application/vnd.example.thing")
        self.assertEqual(self.client.put_manifest(self.repo, "artifact", body).status, 201)
        odd = self.client.push_descriptor(self.repo, b"cfg", "application/x-unknown-config")
        other = image_manifest(odd, [layer])
        self.assertEqual(self.client.put_manifest(self.repo, "odd", other).status, 201)

    def test_case41_empty_layers(self):
        config = self.client.push_descriptor(self.repo, b"{}", OCI_EMPTY)
        body = image_manifest(config, [])
        self.assertEqual(self.client.put_manifest(self.repo, "empty", body).status, 201)

    def test_case42_invalid_manifests(self):
        config = self.client.push_descriptor(self.repo, b"{}", OCI_CONFIG)
        cases = [
            b"not json",
            b"{",
            b"[]",
            json.dumps({"schemaVersion": 1, "mediaType": OCI_MANIFEST, "config": config,
                        "layers": []}).encode(),
            json.dumps({"mediaType": OCI_MANIFEST, "config": config, "layers": []}).encode(),
            json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "layers": []}).encode(),
            json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config,
                        "layers": [{"mediaType": OCI_LAYER, "digest": "sha256:x",
                                    "size": 1}]}).encode(),
        ]
        for body in cases:
            response = self.client.put_manifest(self.repo, "bad", body)
            self.assertError(response, 400, "MANIFEST_INVALID")
            self.assertTrue(response.json()["errors"][0].get("detail"), response)
        self.assertError(self.client.get_manifest(self.repo, "bad"), 404, "MANIFEST_UNKNOWN")

    def test_unknown_manifest_type_is_refused(self):
        body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.example+json"})
        response = self.client.put_manifest(self.repo, "x", body.encode(),
                                            "application/vnd.example+json")
        self.assertError(response, 400, "MANIFEST_INVALID")

    def padded_manifest(self, total):
        body = self.image()
        self.assertTrue(body.endswith(b"}"))
        return body[:-1] + b" " * (total - len(body)) + b"}"

    def test_case43_manifest_at_and_over_the_limit(self):
        exact = self.padded_manifest(MANIFEST_LIMIT)
        self.assertEqual(len(exact), MANIFEST_LIMIT)
        self.assertEqual(self.client.put_manifest(self.repo, "big", exact).status, 201)
        self.assertEqual(self.client.get_manifest(self.repo, "big").body, exact)
        over = self.padded_manifest(MANIFEST_LIMIT + 1)
        response = self.client.put_manifest(self.repo, "over", over)
        self.assertError(response, 413, "MANIFEST_INVALID")
        self.assertEqual(self.client.get_manifest(self.repo, "over").status, 404)

    def test_case43_oversized_chunked_manifest(self):
        over = self.padded_manifest(MANIFEST_LIMIT + 1)
        pieces = [over[i:i + 65536] for i in range(0, len(over), 65536)]
        try:
            response = self.client.request("PUT", f"/v2/{self.repo}/manifests/over", iter(pieces),
                                           {"Content-Type": OCI_MANIFEST}, chunked=True)
        except (ConnectionError, BrokenPipeError):
            return  # the server may close before the whole body is sent
        self.assertError(response, 413, "MANIFEST_INVALID")

    def test_case44_digest_reference_mismatch(self):
        body = self.image()
        response = self.client.put_manifest(self.repo, sha256(body + b" "), body)
        self.assertError(response, 400, "DIGEST_INVALID")
        self.assertEqual(self.client.get_manifest(self.repo, sha256(body)).status, 404)

    def test_case45_same_manifest_twice(self):
        body = self.image()
        first = self.client.put_manifest(self.repo, "v1", body)
        second = self.client.put_manifest(self.repo, "v1", body)
        by_digest = self.client.put_manifest(self.repo, sha256(body), body)
        for response in (first, second, by_digest):
            self.assertEqual(response.status, 201)
            self.assertEqual(response.header("Docker-Content-Digest"), sha256(body))
        self.assertEqual(self.client.tags(self.repo).json()["tags"], ["v1"])

    def test_case46_tag_moves(self):
        old = self.image(layers=(b"old",))
        new = self.image(layers=(b"new",))
        self.client.put_manifest(self.repo, "latest", old)
        self.client.put_manifest(self.repo, "latest", new)
        self.assertEqual(self.client.get_manifest(self.repo, "latest").body, new)
        self.assertEqual(self.client.get_manifest(self.repo, sha256(old)).body, old)

    def test_case48_accept_is_ignored(self):
        body = self.image()
        self.client.put_manifest(self.repo, "v1", body)
        for accept in (DOCKER_MANIFEST, "application/vnd.docker.distribution.manifest.v1+json",
                       "text/plain"):
            response = self.client.get_manifest(self.repo, "v1", {"Accept": accept})
            self.assertEqual(response.status, 200)
            self.assertEqual(response.header("Content-Type"), OCI_MANIFEST)
            self.assertEqual(response.body, body)

    def test_case49_content_type_with_parameters(self):
        body = self.image()
        response = self.client.put_manifest(self.repo, "v1", body,
                                            OCI_MANIFEST + "; charset=utf-8")
        self.assertEqual(response.status, 201)
        self.assertEqual(self.client.get_manifest(self.repo, "v1").header("Content-Type"),
                         OCI_MANIFEST)

    def test_manifest_without_media_type_or_content_type(self):
        config = self.client.push_descriptor(self.repo, b"{}", OCI_CONFIG)
        body = json.dumps({"schemaVersion": 2, "config": config, "layers": []}).encode()
        response = self.client.put_manifest(self.repo, "bare", body, None)
        self.assertEqual(response.status, 201, response)
        self.assertEqual(self.client.get_manifest(self.repo, "bare").header("Content-Type"),
                         OCI_MANIFEST)

    def test_case50_sha512_manifest(self):
        body = self.image()
        digest = sha512(body)
        response = self.client.put_manifest(self.repo, digest, body)
        self.assertEqual(response.status, 201, response)
        self.assertEqual(response.header("Docker-Content-Digest"), digest)
        self.assertEqual(response.header("Location"), f"/v2/{self.repo}/manifests/{digest}")
        got = self.client.get_manifest(self.repo, digest)
        self.assertEqual(got.body, body)
        self.assertEqual(got.header("Docker-Content-Digest"), digest)
        head = self.client.get_manifest(self.repo, digest, method="HEAD")
        self.assertEqual(head.header("Docker-Content-Digest"), digest)
        wrong = self.client.put_manifest(self.repo, sha512(body + b"\n"), body)
        self.assertError(wrong, 400, "DIGEST_INVALID")

    def test_case12_tags_are_case_sensitive(self):
        upper = self.image(layers=(b"upper",))
        lower = self.image(layers=(b"lower",))
        self.client.put_manifest(self.repo, "Latest", upper)
        self.client.put_manifest(self.repo, "latest", lower)
        self.assertEqual(self.client.get_manifest(self.repo, "Latest").body, upper)
        self.assertEqual(self.client.get_manifest(self.repo, "latest").body, lower)

    def test_case13_tag_lengths_and_first_characters(self):
        body = self.image()
        longest = "a" * 128
        self.assertEqual(self.client.put_manifest(self.repo, longest, body).status, 201)
        self.assertEqual(self.client.get_manifest(self.repo, longest).status, 200)
        self.assertEqual(self.client.put_manifest(self.repo, "_under", body).status, 201)
        for bad in ("a" * 129, ".dot", "-dash", "sp%20ace"):
            self.assertError(self.client.put_manifest(self.repo, bad, body), 400,
                             "MANIFEST_INVALID")
            self.assertEqual(self.client.get_manifest(self.repo, bad).status, 404)
            self.assertEqual(self.client.get_manifest(self.repo, bad, method="HEAD").status, 404)

    def test_case58_delete_by_digest_removes_tags(self):
        body = self.image()
        self.client.put_manifest(self.repo, "a", body)
        self.client.put_manifest(self.repo, "b", body)
        keep = self.image(layers=(b"other",))
        self.client.put_manifest(self.repo, "c", keep)
        response = self.client.request("DELETE", f"/v2/{self.repo}/manifests/{sha256(body)}")
        self.assertEqual(response.status, 202)
        for reference in (sha256(body), "a", "b"):
            self.assertError(self.client.get_manifest(self.repo, reference), 404,
                             "MANIFEST_UNKNOWN")
        self.assertEqual(self.client.tags(self.repo).json()["tags"], ["c"])

    def test_case59_delete_by_tag_keeps_manifest(self):
        body = self.image()
        self.client.put_manifest(self.repo, "a", body)
        self.client.put_manifest(self.repo, "b", body)
        response = self.client.request("DELETE", f"/v2/{self.repo}/manifests/a")
        self.assertEqual(response.status, 202)
        self.assertEqual(self.client.get_manifest(self.repo, "a").status, 404)
        self.assertEqual(self.client.get_manifest(self.repo, sha256(body)).status, 200)
        self.assertEqual(self.client.tags(self.repo).json()["tags"], ["b"])

    def test_docker_schema2_manifest_and_list(self):
        config = self.client.push_descriptor(self.repo, b"{}", DOCKER_CONFIG)
        layer = self.client.push_descriptor(self.repo, b"docker layer", DOCKER_LAYER)
        body = image_manifest(config, [layer], media_type=DOCKER_MANIFEST)
        response = self.client.put_manifest(self.repo, "docker", body, DOCKER_MANIFEST)
        self.assertEqual(response.status, 201, response)
        self.assertEqual(self.client.get_manifest(self.repo, "docker").header("Content-Type"),
                         DOCKER_MANIFEST)
        child = descriptor(DOCKER_MANIFEST, body, platform={"architecture": "amd64",
                                                           "os": "linux"})
        listed = image_index([child], media_type=DOCKER_LIST)
        response = self.client.put_manifest(self.repo, "list", listed, DOCKER_LIST)
        self.assertEqual(response.status, 201, response)
        self.assertEqual(self.client.get_manifest(self.repo, "list").header("Content-Type"),
                         DOCKER_LIST)

    def test_multi_tag_push_by_digest(self):
        body = self.image()
        response = self.client.put_manifest(self.repo, sha256(body), body,
                                            query="?tag=one&tag=two&tag=one")
        self.assertEqual(response.status, 201, response)
        self.assertEqual(response.headers.get_all("OCI-Tag"), ["one", "two"])
        self.assertEqual(self.client.tags(self.repo).json()["tags"], ["one", "two"])
        bad = self.client.put_manifest(self.repo, sha256(body), body, query="?tag=ok&tag=.bad")
        self.assertError(bad, 400, "MANIFEST_INVALID")
        self.assertNotIn("ok", self.client.tags(self.repo).json()["tags"])

    def test_manifest_unknown_tag_and_repository(self):
        self.client.put_manifest(self.repo, "v1", self.image())
        self.assertError(self.client.get_manifest(self.repo, "v2"), 404, "MANIFEST_UNKNOWN")
        self.assertEqual(self.client.get_manifest(self.repo, "v2", method="HEAD").status, 404)
        self.assertError(self.client.get_manifest(self.repo, sha256(b"x")), 404,
                         "MANIFEST_UNKNOWN")
        self.assertError(self.client.get_manifest("no/such/repo", "v1"), 404, "NAME_UNKNOWN")
        self.assertError(self.client.get_manifest(self.repo, "sha256:abc"), 400, "DIGEST_INVALID")

    def test_case78_conditional_tag_push(self):
        first = self.image(layers=(b"first",))
        second = self.image(layers=(b"second",))
        self.client.put_manifest(self.repo, "v1", first)
        refused = self.client.request("PUT", f"/v2/{self.repo}/manifests/v1", second,
                                      {"Content-Type": OCI_MANIFEST,
                                       "If-Match": f'"{sha256(second)}"'})
        self.assertEqual(refused.status, 412)
        self.assertEqual(self.client.get_manifest(self.repo, "v1").body, first)
        exists = self.client.request("PUT", f"/v2/{self.repo}/manifests/v1", second,
                                     {"Content-Type": OCI_MANIFEST, "If-None-Match": "*"})
        self.assertEqual(exists.status, 412)
        accepted = self.client.request("PUT", f"/v2/{self.repo}/manifests/v1", second,
                                       {"Content-Type": OCI_MANIFEST,
                                        "If-Match": f'"{sha256(first)}"'})
        self.assertEqual(accepted.status, 201)
        fresh = self.client.request("PUT", f"/v2/{self.repo}/manifests/v2", second,
                                    {"Content-Type": OCI_MANIFEST, "If-None-Match": "*"})
        self.assertEqual(fresh.status, 201)


# ---- tags ----------------------------------------------------------------------------------

class Tags(ApiTest):
    def tag_all(self, tags):
        body = Manifests.image(self)
        for tag in tags:
            self.assertEqual(self.client.put_manifest(self.repo, tag, body).status, 201)

    def test_case51_repository_without_tags(self):
        self.client.push_blob(self.repo, b"only a blob")
        response = self.client.tags(self.repo)
        self.assertEqual(response.status, 200)
        self.assertEqual(response.header("Content-Type"), "application/json")
        self.assertEqual(response.json(), {"name": self.repo, "tags": []})
        body = Manifests.image(self)
        self.client.put_manifest(self.repo, sha256(body), body)
        self.assertEqual(self.client.tags(self.repo).json()["tags"], [])

    def test_tags_of_unknown_repository(self):
        self.assertError(self.client.tags("no/such/repository"), 404, "NAME_UNKNOWN")

    def test_case52_n_zero(self):
        self.tag_all(["a", "b"])
        response = self.client.tags(self.repo, "?n=0")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.json()["tags"], [])
        self.assertIsNone(response.header("Link"))

    def test_case53_pagination_following_links(self):
        tags = ["t1", "t2", "t3", "t4", "t5"]
        self.tag_all(tags)
        response = self.client.tags(self.repo, "?n=2")
        self.assertEqual(response.json()["tags"], ["t1", "t2"])
        seen = list(response.json()["tags"])
        pages = 1
        while response.header("Link"):
            response = self.client.request("GET", link_target(response.header("Link")))
            self.assertEqual(response.status, 200)
            seen += response.json()["tags"]
            pages += 1
        self.assertEqual(seen, tags)
        self.assertEqual(pages, 3)
        self.assertEqual(self.client.tags(self.repo, "?n=2&last=t4").header("Link"), None)

    def test_case54_n_larger_than_the_list(self):
        self.tag_all(["x", "y", "z"])
        response = self.client.tags(self.repo, "?n=10")
        self.assertEqual(response.json()["tags"], ["x", "y", "z"])
        self.assertIsNone(response.header("Link"))
        exact = self.client.tags(self.repo, "?n=3")
        self.assertIsNone(exact.header("Link"))

    def test_case55_last(self):
        self.tag_all(["a", "b", "c", "d"])
        self.assertEqual(self.client.tags(self.repo, "?last=b").json()["tags"], ["c", "d"])
        self.assertEqual(self.client.tags(self.repo, "?last=bb&n=1").json()["tags"], ["c"])
        self.assertEqual(self.client.tags(self.repo, "?last=d").json()["tags"], [])
        self.assertEqual(self.client.tags(self.repo, "?last=0").json()["tags"],
                         ["a", "b", "c", "d"])

    def test_case56_invalid_n(self):
        self.tag_all(["a"])
        for n in ("-1", "abc", "", "1.5", "+1", "0x10"):
            self.assertEqual(self.client.tags(self.repo, f"?n={n}").status, 400, n)

    def test_huge_n_is_clamped(self):
        self.tag_all(["a", "b"])
        response = self.client.tags(self.repo, "?n=99999999999999999999999999")
        self.assertEqual(response.json()["tags"], ["a", "b"])
        self.assertIsNone(response.header("Link"))

    def test_case57_mixed_case_byte_order(self):
        self.tag_all(["b", "A", "C", "a", "B", "_x", "9"])
        expected = ["9", "A", "B", "C", "_x", "a", "b"]
        self.assertEqual(self.client.tags(self.repo).json()["tags"], expected)
        seen = []
        response = self.client.tags(self.repo, "?n=3")
        seen += response.json()["tags"]
        while response.header("Link"):
            response = self.client.request("GET", link_target(response.header("Link")))
            seen += response.json()["tags"]
        self.assertEqual(seen, expected)

    def test_server_page_maximum_sends_link(self):
        tags = ["t%04d" % i for i in range(1001)]
        body = Manifests.image(self)
        self.client.put_manifest(self.repo, sha256(body), body)
        for start in range(0, len(tags), 50):
            query = "?" + "&".join(f"tag={t}" for t in tags[start:start + 50])
            response = self.client.put_manifest(self.repo, sha256(body), body, query=query)
            self.assertEqual(response.status, 201, response)
        first = self.client.tags(self.repo)
        self.assertEqual(len(first.json()["tags"]), 1000)
        self.assertIsNotNone(first.header("Link"))
        rest = self.client.request("GET", link_target(first.header("Link")))
        self.assertEqual(rest.json()["tags"], ["t1000"])
        self.assertIsNone(rest.header("Link"))


# ---- referrers -----------------------------------------------------------------------------

class Referrers(ApiTest):
    def setUp(self):
        super().setUp()
        _, self.subject_digest = self.client.push_image(self.repo, "base")
        self.subject = {"mediaType": OCI_MANIFEST, "digest": self.subject_digest,
                        "size": len(self.client.get_manifest(self.repo, "base").body)}
        self.empty = self.client.push_descriptor(self.repo, b"{}", OCI_EMPTY)

    def referrers(self, digest=None, query="", repo=None):
        response = self.client.request(
            "GET", f"/v2/{repo or self.repo}/referrers/{digest or self.subject_digest}{query}")
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.header("Content-Type"), OCI_INDEX)
        index = response.json()
        self.assertEqual(index["schemaVersion"], 2)
        self.assertEqual(index["mediaType"], OCI_INDEX)
        return response, index["manifests"]

    def push_sbom(self):
        layer = self.client.push_descriptor(self.repo, b"sbom data", "application/spdx+json")
        body = image_manifest(self.empty, [layer], subject=self.subject,
                              artifact_type="application/vnd.example.sbom",
                              annotations={"org.example.kind": "sbom", "empty": ""})
        response = self.client.put_manifest(self.repo, sha256(body), body)
        self.assertEqual(response.status, 201, response)
        self.assertEqual(response.header("OCI-Subject"), self.subject_digest)
        return body

    def push_signature(self):
        config = self.client.push_descriptor(self.repo, b"sig config",
                                             "application/vnd.example.sig.config")
        body = image_manifest(config, [], subject=self.subject)
        self.assertEqual(self.client.put_manifest(self.repo, sha256(body), body).status, 201)
        return body

    def push_index_referrer(self):
        body = image_index([], subject=self.subject)
        response = self.client.put_manifest(self.repo, sha256(body), body, OCI_INDEX)
        self.assertEqual(response.status, 201, response)
        self.assertEqual(response.header("OCI-Subject"), self.subject_digest)
        return body

    def test_case63_no_referrers(self):
        response, manifests = self.referrers()
        self.assertEqual(manifests, [])
        self.assertIsNone(response.header("OCI-Filters-Applied"))
        _, unknown_subject = self.referrers(sha256(b"nothing"))
        self.assertEqual(unknown_subject, [])
        _, unknown_repo = self.referrers(repo="never/pushed")
        self.assertEqual(unknown_repo, [])

    def test_case64_malformed_digest(self):
        for digest in ("sha256:abc", "notadigest", "sha256:" + "A" * 64):
            response = self.client.request("GET", f"/v2/{self.repo}/referrers/{digest}")
            self.assertError(response, 400, "DIGEST_INVALID")
        self.assertError(self.client.request("GET", f"/v2/Bad/referrers/{self.subject_digest}"),
                         400, "NAME_INVALID")

    def test_case66_case67_descriptors(self):
        sbom = self.push_sbom()
        signature = self.push_signature()
        index = self.push_index_referrer()
        _, manifests = self.referrers()
        by_digest = {m["digest"]: m for m in manifests}
        self.assertEqual(len(manifests), 3)
        self.assertEqual(by_digest[sha256(sbom)], {
            "mediaType": OCI_MANIFEST, "digest": sha256(sbom), "size": len(sbom),
            "artifactType": "application/vnd.example.sbom",
            "annotations": {"org.example.kind": "sbom", "empty": ""}})
        self.assertEqual(by_digest[sha256(signature)]["artifactType"],
                         "application/vnd.example.sig.config")
        self.assertNotIn("annotations", by_digest[sha256(signature)])
        self.assertEqual(by_digest[sha256(index)]["mediaType"], OCI_INDEX)
        self.assertNotIn("artifactType", by_digest[sha256(index)])

    def test_case65_artifact_type_filter(self):
        sbom = self.push_sbom()
        self.push_signature()
        response, manifests = self.referrers(query="?artifactType=application/vnd.example.sbom")
        self.assertEqual(response.header("OCI-Filters-Applied"), "artifactType")
        self.assertEqual([m["digest"] for m in manifests], [sha256(sbom)])
        response, manifests = self.referrers(query="?artifactType=application/none")
        self.assertEqual(response.header("OCI-Filters-Applied"), "artifactType")
        self.assertEqual(manifests, [])
        encoded = "?artifactType=application%2Fvnd.example.sig.config"
        _, manifests = self.referrers(query=encoded)
        self.assertEqual(len(manifests), 1)

    def test_case68_deleted_referrer_disappears(self):
        sbom = self.push_sbom()
        signature = self.push_signature()
        response = self.client.request("DELETE", f"/v2/{self.repo}/manifests/{sha256(signature)}")
        self.assertEqual(response.status, 202)
        _, manifests = self.referrers()
        self.assertEqual([m["digest"] for m in manifests], [sha256(sbom)])

    def test_case69_referrer_pushed_twice_listed_once(self):
        self.push_sbom()
        self.push_sbom()
        _, manifests = self.referrers()
        self.assertEqual(len(manifests), 1)

    def test_referrers_are_per_repository(self):
        self.push_sbom()
        _, manifests = self.referrers(repo=self.repo + "-other")
        self.assertEqual(manifests, [])


# ---- routing and security ------------------------------------------------------------------

class Routing(ApiTest):
    def test_case70_wrong_method_is_405(self):
        digest = sha256(b"x")
        location = self.upload_location()
        for method, path in (("POST", f"/v2/{self.repo}/manifests/latest"),
                             ("PATCH", f"/v2/{self.repo}/manifests/latest"),
                             ("PUT", f"/v2/{self.repo}/blobs/{digest}"),
                             ("POST", f"/v2/{self.repo}/blobs/{digest}"),
                             ("GET", f"/v2/{self.repo}/blobs/uploads/"),
                             ("PUT", f"/v2/{self.repo}/blobs/uploads/"),
                             ("POST", location),
                             ("DELETE", f"/v2/{self.repo}/tags/list"),
                             ("POST", f"/v2/{self.repo}/referrers/{digest}"),
                             ("DELETE", "/v2/_catalog"),
                             ("OPTIONS", f"/v2/{self.repo}/manifests/latest")):
            response = self.client.request(method, path)
            self.assertError(response, 405, "UNSUPPORTED")
            self.assertIsNotNone(response.header("Allow"), (method, path))

    def test_unknown_routes_are_404(self):
        for path in (f"/v2/{self.repo}/nothing", f"/v2/{self.repo}/blobs",
                     f"/v2/{self.repo}/_ext/x", "/v2/_unknown"):
            self.assertEqual(self.client.request("GET", path).status, 404, path)

    def test_case74_names_with_route_words(self):
        for repo in ("a/blobs/b", "x/manifests/y", "u/uploads/v", "blobs/uploads",
                     "tags/list/manifests", "referrers/blobs/uploads/x"):
            digest = self.client.push_blob(repo, b"named " + repo.encode())
            self.assertEqual(self.client.get_blob(repo, digest).body, b"named " + repo.encode())
            _, manifest = self.client.push_image(repo, "v1")
            self.assertEqual(self.client.get_manifest(repo, manifest).status, 200)
            self.assertEqual(self.client.tags(repo).json(), {"name": repo, "tags": ["v1"]})
            referrers = self.client.request("GET", f"/v2/{repo}/referrers/{manifest}")
            self.assertEqual(referrers.status, 200)
            self.assertTrue(os.path.isdir(os.path.join(self.berth.root, repo)))

    def test_path_traversal_is_rejected(self):
        marker = "evilmarker"
        digest = sha256(b"x")
        paths = [
            f"/v2/../{marker}/blobs/uploads/",
            f"/v2/{marker}/../../blobs/uploads/",
            f"/v2/%2e%2e/{marker}/blobs/uploads/",
            f"/v2/%2E%2E/%2e%2e/{marker}/blobs/uploads/",
            f"/v2/{marker}%2F..%2F..%2F{marker}/blobs/uploads/",
            f"/v2/{marker}%2f..%2f..%2f{marker}/blobs/uploads/",
            f"//v2/{marker}/blobs/uploads/",
            f"/v2//tmp/{marker}/blobs/uploads/",
            f"/v2/{marker}%00/blobs/uploads/",
            f"/v2/{marker}/x%00y/blobs/uploads/",
            f"/v2/{'a' * 250}/{marker}/blobs/uploads/",
            f"/v2/{marker}/blobs/uploads/..",
            f"/v2/{marker}/blobs/uploads/%2e%2e",
            f"/v2/{marker}/blobs/uploads/..%2F..%2F{marker}",
            f"/v2/{marker}/manifests/..",
            f"/v2/{marker}/manifests/..%2F..%2F{marker}",
            f"/v2/{marker}/blobs/sha256:..%2F..%2F{marker}",
            f"/v2/{marker}/blobs/..%2F..%2F{marker}",
            f"/v2/.{marker}/blobs/uploads/",
            f"/v2/_{marker}/blobs/uploads/",
            f"/v2/{marker}/../blobs/uploads/",
            f"/v2/{marker}/./blobs/uploads/",
        ]
        before = self.snapshot()
        for path in paths:
            for method in ("POST", "PUT", "PATCH", "GET", "DELETE"):
                response = self.client.request(method, path, b"x" if method != "GET" else None,
                                               {"Content-Type": OCI_MANIFEST})
                self.assertIn(response.status, (400, 404, 405), (method, path, response))
        for raw in (b"/v2/" + marker.encode() + b"\x00/blobs/uploads/",
                    b"/v2/" + marker.encode() + b"/../../x/blobs/uploads/ extra"):
            conn = Connection(self.berth.port)
            conn.send(b"POST " + raw + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            try:
                self.assertIn(conn.read_response().status, (400, 404))
            except ConnectionError:
                pass
            conn.close()
        self.assertEqual(self.snapshot(), before)
        self.assertNoMarker(marker)
        del digest

    def snapshot(self):
        """Every path under the test directory, outside the data root's own repositories."""
        found = set()
        for directory, dirs, files in os.walk(self.berth.dir):
            for name in dirs + files:
                path = os.path.join(directory, name)
                if not path.startswith(self.berth.root + os.sep) and name != "berth.log":
                    found.add(path)
        return found

    def assertNoMarker(self, marker):
        for top in (self.berth.dir, os.path.dirname(self.berth.dir)):
            for directory, dirs, files in os.walk(top):
                if directory.count(os.sep) - top.count(os.sep) > 6:
                    dirs[:] = []
                    continue
                for name in dirs + files:
                    self.assertNotIn(marker, name, os.path.join(directory, name))


# ---- catalog (a berth of its own, so that the list is known) ------------------------------

class Catalog(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.berth = Berth().start()
        cls.client = CheckedClient(cls.berth.port)
        cls.names = ["alpha", "beta/one", "beta/two", "gamma", "zeta-z"]
        for name in reversed(cls.names):
            cls.client.push_blob(name, b"catalog " + name.encode())

    @classmethod
    def tearDownClass(cls):
        cls.berth.__exit__(None, None, None)

    def test_catalog_lists_everything(self):
        response = self.client.request("GET", "/v2/_catalog")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.header("Content-Type"), "application/json")
        self.assertEqual(response.json(), {"repositories": self.names})
        self.assertIsNone(response.header("Link"))

    def test_catalog_pagination(self):
        response = self.client.request("GET", "/v2/_catalog?n=2")
        seen = response.json()["repositories"]
        self.assertEqual(seen, self.names[:2])
        while response.header("Link"):
            target = link_target(response.header("Link"))
            self.assertTrue(target.startswith("/v2/_catalog?"), target)
            response = self.client.request("GET", target)
            seen += response.json()["repositories"]
        self.assertEqual(seen, self.names)

    def test_catalog_n_zero_last_and_invalid_n(self):
        zero = self.client.request("GET", "/v2/_catalog?n=0")
        self.assertEqual(zero.json(), {"repositories": []})
        self.assertIsNone(zero.header("Link"))
        after = self.client.request("GET", "/v2/_catalog?last=beta/one")
        self.assertEqual(after.json()["repositories"], ["beta/two", "gamma", "zeta-z"])
        encoded = self.client.request("GET", "/v2/_catalog?last=beta%2Ftwo&n=1")
        self.assertEqual(encoded.json()["repositories"], ["gamma"])
        self.assertIsNotNone(encoded.header("Link"))
        for n in ("-1", "x"):
            self.assertEqual(self.client.request("GET", f"/v2/_catalog?n={n}").status, 400)

    def test_catalog_head(self):
        response = self.client.request("HEAD", "/v2/_catalog")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.body, b"")


# ---- a full disk (a small tmpfs as the data directory; needs the right to mount) ---------

class DiskFull(unittest.TestCase):
    def setUp(self):
        self.mountpoint = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                       f"berth-full-{os.getpid()}")
        os.makedirs(self.mountpoint, exist_ok=True)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs",
                                  self.mountpoint], capture_output=True)
        if mounted.returncode != 0:
            os.rmdir(self.mountpoint)
            self.skipTest("cannot mount a tmpfs here")
        self.addCleanup(self.unmount)

    def unmount(self):
        subprocess.run(["umount", self.mountpoint], check=False)
        os.rmdir(self.mountpoint)

    def test_no_space_is_507_and_the_store_goes_on(self):
        with Berth(root=os.path.join(self.mountpoint, "data")) as berth:
            client = CheckedClient(berth.port)
            location = client.start_upload("full/disk").header("Location")
            data = os.urandom(1536 * 1024)
            try:
                response = client.request("PATCH", location, data)
            except (ConnectionError, BrokenPipeError):
                self.fail("the connection broke before the 507 arrived")
            self.assertEqual(response.status, 507, response)
            self.assertEqual(response.error_codes(), ["UNKNOWN"])
            self.assertEqual(response.json()["errors"][0]["message"], "insufficient storage")
            deadline = time.monotonic() + 5
            while not any(line.get("msg") == "storage failure" for line in berth.log_lines()):
                self.assertLess(time.monotonic(), deadline, "no storage failure logged")
                time.sleep(0.05)
            failure = [line for line in berth.log_lines() if line.get("msg") == "storage failure"]
            self.assertEqual(failure[0]["errno"], 28)  # ENOSPC
            self.assertIn(client.request("DELETE", location).status, (204, 404))
            small = b"fits"
            self.assertEqual(client.push_blob("full/disk", small), sha256(small))
            self.assertEqual(client.get_blob("full/disk", sha256(small)).body, small)


# ---- restart -------------------------------------------------------------------------------

class Restart(unittest.TestCase):
    def test_upload_session_survives_restart(self):
        with Berth() as berth:
            client = CheckedClient(berth.port)
            data = os.urandom(100_000)
            started = client.start_upload("keep/me")
            location = started.header("Location")
            first = client.request("PATCH", location, data[:40_000],
                                   {"Content-Range": "0-39999"})
            self.assertEqual(first.status, 202)
            sha512_session = client.start_upload("keep/me", "?digest-algorithm=sha512")
            sha512_location = sha512_session.header("Location")
            client.request("PATCH", sha512_location, data[:10])
            _, manifest = client.push_image("keep/me", "v1")

            berth.restart()
            client = CheckedClient(berth.port)
            status = client.request("GET", location)
            self.assertEqual(status.status, 204)
            self.assertEqual(status.header("Range"), "0-39999")
            gap = client.request("PATCH", location, data[50_000:], {"Content-Range": "50000-99999"})
            self.assertEqual(gap.status, 416)
            rest = client.request("PATCH", location, data[40_000:],
                                  {"Content-Range": "40000-99999"})
            self.assertEqual(rest.header("Range"), "0-99999")
            done = client.request("PUT", f"{location}?digest={sha256(data)}")
            self.assertEqual(done.status, 201)
            self.assertEqual(client.get_blob("keep/me", sha256(data)).body, data)
            finished = client.request("PUT", f"{sha512_location}?digest={sha512(data[:10])}")
            self.assertEqual(finished.status, 201)
            self.assertEqual(client.get_manifest("keep/me", "v1").header("Docker-Content-Digest"),
                             manifest)
            self.assertEqual(client.tags("keep/me").json()["tags"], ["v1"])


if __name__ == "__main__":
    unittest.main()
