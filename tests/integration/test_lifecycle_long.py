"""The long lifecycle test: random pushes, overwrites, pulls and deletes of images sharing
layers, for about a minute, while GC (gcDelay 2s, gcInterval 1s), scrub and the dedupe fold run.

Three phases, berth restarted between them: dedupe off (blobs are copies); dedupe on (the fold
turns the copies into links while GC collects and clients push); dedupe on again. Each start
begins a background scrub, which runs beside the clients. An upload left idle at the start
must be gone once the stale-upload delay (gcDelay, at least a minute) has passed.

Afterwards: every tag each client believes in pulls byte-identical, the tag lists match, every
scrub pass found nothing affected, `berth scrub` offline reports every image ok, and once the
delay has passed no blob file is left that nothing references (in a repository, a blob no
manifest of it names; in _blobs, a file no repository links).

Each client owns its tags (so it knows what each must hold) but shares repositories and layers
with the others. A push refused because a blob it uploaded was collected before its manifest
came (possible only past gcDelay) is not counted as pushed; every other failure fails the test.
"""

import json
import os
import random
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Berth, berth_binary  # noqa: E402
from oci import OCI_CONFIG, OCI_LAYER, Client, image_manifest, sha256  # noqa: E402

PHASE_SECONDS = (18, 24, 18)
CLIENTS = 4
REPOSITORIES = ["long/a", "long/b", "long/c", "other"]
SHARED = [os.urandom(size) for size in (1 << 10, 8 << 10, 64 << 10, 200 << 10, 300 << 10)]


class Worker:
    def __init__(self, number, port):
        self.number = number
        self.rng = random.Random(number)
        self.client = Client(port)
        self.images = {}  # (repo, tag) -> (manifest body, {digest: bytes})
        self.counter = 0
        self.refused = 0
        self.errors = []

    def push(self):
        repo = self.rng.choice(REPOSITORIES)
        tag = f"w{self.number}-{self.rng.randrange(6)}"
        self.counter += 1
        blobs = {}
        config_bytes = json.dumps({"worker": self.number, "n": self.counter}).encode()
        layers = self.rng.sample(SHARED, self.rng.randint(1, 3))
        if self.rng.random() < 0.5:
            layers.append(os.urandom(self.rng.randint(100, 5000)))
        c = self.client
        config = c.push_descriptor(repo, config_bytes, OCI_CONFIG)
        descriptors = [c.push_descriptor(repo, layer, OCI_LAYER) for layer in layers]
        for data in [config_bytes] + layers:
            blobs[sha256(data)] = data
        body = image_manifest(config, descriptors)
        response = c.put_manifest(repo, tag, body)
        if response.status == 201:
            self.images[(repo, tag)] = (body, blobs)
        elif response.status == 400 and b"MANIFEST_BLOB_UNKNOWN" in response.body:
            self.refused += 1
        else:
            self.errors.append(("push", repo, tag, response))

    def delete(self):
        if not self.images:
            return
        repo, tag = self.rng.choice(sorted(self.images))
        body, _ = self.images.pop((repo, tag))
        reference = sha256(body) if self.rng.random() < 0.5 else tag
        response = self.client.request("DELETE", f"/v2/{repo}/manifests/{reference}")
        if response.status != 202:
            self.errors.append(("delete", repo, reference, response))

    def pull(self):
        if not self.images:
            return
        repo, tag = self.rng.choice(sorted(self.images))
        body, blobs = self.images[(repo, tag)]
        got = self.client.get_manifest(repo, tag)
        if got.status != 200 or got.body != body:
            self.errors.append(("pull manifest", repo, tag, got))
            return
        digest, data = self.rng.choice(sorted(blobs.items()))
        blob = self.client.get_blob(repo, digest)
        if blob.status != 200 or blob.body != data:
            self.errors.append(("pull blob", repo, tag, digest, blob.status))

    def run(self, until):
        try:
            while time.monotonic() < until and len(self.errors) < 5:
                self.rng.choices([self.push, self.delete, self.pull], [5, 2, 3])[0]()
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.errors.append(("exception", repr(error)))


def run_phase(berth, workers, seconds):
    until = time.monotonic() + seconds
    for worker in workers:
        worker.client = Client(berth.port)
    threads = [threading.Thread(target=worker.run, args=(until,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def blob_files(directory):
    found = {}
    if not os.path.isdir(directory):
        return found
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            found["sha256:" + name] = path
    return found


def unreferenced(root, expected):
    """Blob files nothing references: per repository, digests no kept manifest names; in
    _blobs, files with no other link."""
    referenced = {repo: set() for repo in REPOSITORIES}
    for (repo, _), (body, blobs) in expected.items():
        referenced[repo].add(sha256(body))
        referenced[repo].update(blobs)
    left = []
    for repo in REPOSITORIES:
        for digest in blob_files(os.path.join(root, repo, "blobs", "sha256")):
            if digest not in referenced[repo]:
                left.append((repo, digest))
    for digest, path in blob_files(os.path.join(root, "_blobs", "sha256")).items():
        try:
            if os.stat(path).st_nlink < 2:
                left.append(("_blobs", digest))
        except FileNotFoundError:
            pass  # collected since the listing
    return left


def scrub_passes(berth):
    return [line for line in berth.log_lines() if line.get("msg") == "scrub finished"]


class LongRandomLifecycle(unittest.TestCase):
    def test_random_pushes_and_deletes_under_gc_scrub_and_dedupe(self):
        config = {"storage": {"dedupe": False, "gc": True, "gcDelay": "2s", "gcInterval": "1s",
                              "retention": {"delay": "2s"}},
                  "extensions": {"scrub": {"enable": True, "interval": "2h"}}}
        with Berth(config=config) as b:
            started = time.monotonic()
            idle = Client(b.port).start_upload("long/a")
            self.assertEqual(idle.status, 202, idle)
            location = idle.header("Location")
            patched = Client(b.port).request("PATCH", location, b"never finished",
                                             {"Content-Type": "application/octet-stream"})
            self.assertEqual(patched.status, 202, patched)

            workers = [Worker(n, b.port) for n in range(CLIENTS)]
            for phase, seconds in enumerate(PHASE_SECONDS):
                if phase > 0:
                    b.config["storage"]["dedupe"] = True
                    b.restart()
                run_phase(b, workers, seconds)
                for worker in workers:
                    self.assertEqual(worker.errors, [], f"phase {phase}")

            expected = {}
            for worker in workers:
                expected.update(worker.images)
            c = Client(b.port)
            self.assertGreater(len(expected), 10)
            for (repo, tag), (body, blobs) in sorted(expected.items()):
                got = c.get_manifest(repo, tag)
                self.assertEqual((got.status, got.body), (200, body), (repo, tag))
                for digest, data in blobs.items():
                    blob = c.get_blob(repo, digest)
                    self.assertEqual((blob.status, blob.body == data), (200, True), digest)
            for repo in REPOSITORIES:
                listed = c.tags(repo)
                tags = listed.json()["tags"] if listed.status == 200 else []
                self.assertEqual(sorted(tags), sorted(t for r, t in expected if r == repo))

            # Past the delay, GC leaves nothing unreferenced; the idle upload is gone too.
            deadline = time.monotonic() + 90
            while unreferenced(b.root, expected) or c.request("GET", location).status != 404:
                if time.monotonic() > deadline:
                    self.fail(f"left after the delay: {unreferenced(b.root, expected)}, "
                              f"upload {c.request('GET', location).status}")
                time.sleep(0.5)
            self.assertGreaterEqual(time.monotonic() - started, 60)  # not before its delay

            passes = scrub_passes(b)
            self.assertEqual(len(passes), len(PHASE_SECONDS))
            self.assertEqual([p["images_affected"] for p in passes], [0] * len(passes))
            folds = [line for line in b.log_lines() if line.get("msg") == "dedupe pass finished"]
            self.assertEqual(len(folds), 2)  # the two starts with dedupe on
            gc_done = [line for line in b.log_lines() if line.get("msg") == "gc: pass done"]
            print(f"\n{len(expected)} tags kept, {sum(w.counter for w in workers)} pushes, "
                  f"{sum(w.refused for w in workers)} refused; folded "
                  f"{[f['folded'] for f in folds]}; gc passes {len(gc_done)}, last deleted "
                  f"{gc_done[-1]['deleted_manifests']} manifests, "
                  f"{gc_done[-1]['deleted_blobs']} blobs", file=sys.stderr)
            b.stop()
            result = subprocess.run([berth_binary(), "scrub", b.config_path],
                                    capture_output=True, text=True, timeout=120)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            rows = result.stdout.splitlines()[1:]
            self.assertEqual(len(rows), len(expected), result.stdout)
            self.assertTrue(all(" ok" in row for row in rows), result.stdout)


if __name__ == "__main__":
    unittest.main()
