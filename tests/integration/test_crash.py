"""Crash safety: berth is SIGKILLed at random moments while many pushes run concurrently,
restarted on the same data directory, and the store is checked.

After every kill and at the end: each blob file hashes to its name; each index.json parses;
each tagged manifest is complete (every blob it names is in its repository); every push that
was answered 201 is still there; and pushes that were interrupted complete when retried.
"""

import hashlib
import http.client
import json
import os
import random
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Berth  # noqa: E402

WORKERS = 8
KILLS = int(os.environ.get("BERTH_CRASH_KILLS", "8"))
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Target:
    """Where the server is now; workers wait here while it restarts."""

    def __init__(self):
        self.port = None
        self.up = threading.Event()
        self.stop = threading.Event()

    def connection(self):
        while not self.up.wait(0.1):
            if self.stop.is_set():
                raise ConnectionError("stopping")
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)


def call(target, method, path, body=None, headers=None):
    conn = target.connection()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def push_blob(target, repo, data, rng):
    """POST, then one streamed PATCH or several PATCHes with Content-Range, then PUT."""
    status, headers, _ = call(target, "POST", f"/v2/{repo}/blobs/uploads/")
    assert status == 202, status
    location = headers["Location"]
    pieces = rng.choice([1, 2, 3])
    step = max(1, len(data) // pieces)
    offset = 0
    while offset < len(data):
        chunk = data[offset:offset + step]
        extra = {"Content-Range": f"{offset}-{offset + len(chunk) - 1}"} if pieces > 1 else {}
        status, headers, _ = call(target, "PATCH", location, chunk,
                                  {"Content-Type": "application/octet-stream", **extra})
        assert status == 202, status
        location = headers["Location"]
        offset += len(chunk)
    separator = "&" if "?" in location else "?"
    status, _, _ = call(target, "PUT", f"{location}{separator}digest={sha256(data)}")
    assert status == 201, status


def image(rng):
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "nonce": rng.random()}).encode()
    layers = [rng.randbytes(rng.choice([1, 5000, 200_000, 1_500_000])) for _ in range(2)]
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha256(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": sha256(layer), "size": len(layer)} for layer in layers],
    }, indent=1).encode()
    return config, layers, manifest


class Ledger:
    """What the server acknowledged, and what was interrupted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = []        # (repo, tag, manifest digest)
        self.interrupted = []  # (repo, tag, config, layers, manifest)


def push_image(target, repo, tag, config, layers, manifest, rng):
    for blob in [config] + layers:
        push_blob(target, repo, blob, rng)
    status, headers, _ = call(target, "PUT", f"/v2/{repo}/manifests/{tag}", manifest,
                              {"Content-Type": MANIFEST_TYPE})
    assert status == 201, status
    assert headers["Docker-Content-Digest"] == sha256(manifest)


def worker(target, ledger, number):
    rng = random.Random(number)
    count = 0
    while not target.stop.is_set():
        repo = f"crash/w{number % 3}"
        tag = f"w{number}-{count}"
        count += 1
        config, layers, manifest = image(rng)
        try:
            push_image(target, repo, tag, config, layers, manifest, rng)
        except (OSError, AssertionError, KeyError, http.client.HTTPException):
            if target.stop.is_set():
                return
            with ledger.lock:
                ledger.interrupted.append((repo, tag, config, layers, manifest))
            continue
        with ledger.lock:
            ledger.acked.append((repo, tag, sha256(manifest)))


def check_store(test, root):
    """The store on disk, without the server: blobs hash right, index files parse, tagged
    manifests are complete."""
    for directory, _, names in os.walk(root):
        if os.path.basename(directory) not in ("sha256",) or "_uploads" in directory:
            continue
        for name in names:
            with open(os.path.join(directory, name), "rb") as blob:
                digest = hashlib.sha256(blob.read()).hexdigest()
            test.assertEqual(digest, name, os.path.join(directory, name))
    for directory, _, names in os.walk(root):
        if "index.json" not in names or "_" in os.path.relpath(directory, root)[:1]:
            continue
        with open(os.path.join(directory, "index.json")) as handle:
            index = json.load(handle)
        for descriptor in index["manifests"]:
            digest = descriptor["digest"].split(":")[1]
            path = os.path.join(directory, "blobs", "sha256", digest)
            test.assertTrue(os.path.exists(path), f"manifest {digest} of {directory} is missing")
            with open(path, "rb") as handle:
                manifest = json.load(handle)
            for blob in [manifest["config"]] + manifest["layers"]:
                blob_path = os.path.join(directory, "blobs", "sha256",
                                         blob["digest"].split(":")[1])
                test.assertTrue(os.path.exists(blob_path), f"{blob['digest']} of {directory}")
                test.assertEqual(os.path.getsize(blob_path), blob["size"])


class CrashSafety(unittest.TestCase):
    def test_sigkill_during_concurrent_pushes(self):
        target = Target()
        ledger = Ledger()
        with Berth(config={"storage": {"gc": False}}) as berth:
            target.port = berth.port
            target.up.set()
            threads = [threading.Thread(target=worker, args=(target, ledger, n), daemon=True)
                       for n in range(WORKERS)]
            for thread in threads:
                thread.start()
            rng = random.Random(2026)
            for kill in range(KILLS):
                time.sleep(rng.uniform(0.3, 1.5))
                target.up.clear()
                berth.kill()
                check_store(self, berth.root)
                berth.start()
                target.port = berth.port
                target.up.set()
            time.sleep(1.0)
            target.stop.set()
            for thread in threads:
                thread.join(60)
            berth.kill()
            check_store(self, berth.root)
            berth.start()
            target.port = berth.port
            target.stop.clear()
            target.up.set()
            self.assertGreater(len(ledger.acked), 0, "no push completed at all")
            for repo, tag, digest in ledger.acked:
                status, headers, body = call(target, "GET", f"/v2/{repo}/manifests/{tag}",
                                             headers={"Accept": MANIFEST_TYPE})
                self.assertEqual(status, 200, f"{repo}:{tag} was acknowledged, then lost")
                self.assertEqual(sha256(body), digest)
            rng = random.Random(7)
            for repo, tag, config, layers, manifest in ledger.interrupted:
                push_image(target, repo, tag, config, layers, manifest, rng)
                status, _, body = call(target, "GET", f"/v2/{repo}/manifests/{tag}")
                self.assertEqual((status, body), (200, manifest))
            print(f"\n{len(ledger.acked)} pushes acknowledged, {len(ledger.interrupted)} "
                  f"interrupted and retried, {KILLS} kills", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
