"""Scrub, dedupe and storage.commit against the real server.

Scrub: images are pushed, then damaged on disk (a flipped byte, a truncated blob, a missing
blob, a broken index.json); `berth scrub <config>` must print Zot's table row for each and exit
non-zero, exit 0 on a clean store, and the background scrub (extensions.scrub) must log the same.

Dedupe: with dedupe off, blobs pushed to two repositories are separate files; turned on again,
the copies are folded into links of the one file in _blobs; an adopted Zot-style directory is
served as it is and folded. Every image pulls byte-identical in each phase.
"""

import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Berth, berth_binary  # noqa: E402
from oci import OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, Client, sha256  # noqa: E402


def blob_path(root, repo, digest):
    algorithm, hex_digest = digest.split(":")
    return os.path.join(root, repo, "blobs", algorithm, hex_digest)


def run_scrub(berth):
    berth.write_config()
    result = subprocess.run([berth_binary(), "scrub", berth.config_path], capture_output=True,
                            text=True, timeout=120)
    lines = result.stdout.splitlines()
    header = lines[0]
    columns = ["REPOSITORY", "TAG", "STATUS", "AFFECTED BLOB", "ERROR"]
    starts = [header.index(name) for name in columns]
    rows = []
    for line in lines[1:]:
        cells = [line[start:(starts[i + 1] if i + 1 < len(starts) else None)].strip()
                 for i, start in enumerate(starts)]
        rows.append(tuple(cells))
    return result.returncode, rows


def wait_for_log(berth, predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in berth.log_lines() if predicate(line)]
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("log line not found:\n" + berth.log_text()[-3000:])


def pull_all(test, client, images):
    for repo, tag, manifest, blobs in images:
        got = client.get_manifest(repo, tag, headers={"Accept": OCI_MANIFEST})
        test.assertEqual(got.status, 200, (repo, tag))
        test.assertEqual(got.body, manifest)
        for digest, data in blobs:
            response = client.get_blob(repo, digest)
            test.assertEqual(response.status, 200, (repo, digest))
            test.assertEqual(response.body, data)


def push(client, repo, tag, layers, config=b'{"architecture":"amd64","os":"linux"}'):
    manifest, digest = client.push_image(repo, tag, layers=layers, config=config)
    return (repo, tag, manifest, [(sha256(config), config)] + [(sha256(x), x) for x in layers])


class ScrubTest(unittest.TestCase):
    def test_damage_is_reported_offline_and_in_the_background(self):
        berth = Berth().start()
        self.addCleanup(berth.__exit__)
        if True:
            client = Client(berth.port)
            layer = os.urandom(3 << 20)  # several hash slices
            push(client, "app/flip", "v1", [layer, b"small layer"])
            push(client, "app/trunc", "v1", [os.urandom(4096)])
            push(client, "app/missing", "v1", [b"missing layer"])
            push(client, "app/index", "v1", [b"index layer"])
            push(client, "clean", "v1", [b"clean layer"])
            push(client, "clean", "v2", [b"clean layer", b"second"])
            berth.stop()
        root = berth.root
        code, rows = run_scrub(berth)
        self.assertEqual(code, 0, rows)
        self.assertEqual(len(rows), 6, rows)
        self.assertTrue(all(row[2] == "ok" and row[3] == "" for row in rows), rows)

        flipped = sha256(layer)
        with open(blob_path(root, "app/flip", flipped), "r+b") as f:
            f.seek(2 << 20)
            byte = f.read(1)
            f.seek(2 << 20)
            f.write(bytes([byte[0] ^ 1]))
        truncated_blob = os.listdir(os.path.join(root, "app/trunc/blobs/sha256"))
        truncated = [name for name in truncated_blob
                     if os.path.getsize(os.path.join(root, "app/trunc/blobs/sha256", name)) == 4096]
        os.truncate(os.path.join(root, "app/trunc/blobs/sha256", truncated[0]), 100)
        os.unlink(blob_path(root, "app/missing", sha256(b"missing layer")))
        with open(os.path.join(root, "app/index", "index.json"), "w") as f:
            f.write('{"schemaVersion":2,"manifests":[')

        code, rows = run_scrub(berth)
        self.assertEqual(code, 1, rows)
        by_repo = {row[0]: row for row in rows if row[0] != "clean"}
        self.assertEqual(by_repo["app/flip"],
                         ("app/flip", "v1", "affected", flipped.split(":")[1], "bad blob digest"))
        self.assertEqual(by_repo["app/trunc"],
                         ("app/trunc", "v1", "affected", truncated[0], "bad blob digest"))
        self.assertEqual(by_repo["app/missing"],
                         ("app/missing", "v1", "affected", sha256(b"missing layer")[7:],
                          "blob not found"))
        self.assertEqual(by_repo["app/index"][:4], ("app/index", "", "affected", "index.json"))
        self.assertTrue(by_repo["app/index"][4].startswith("invalid repository layout"))
        self.assertEqual([row[2] for row in rows if row[0] == "clean"], ["ok", "ok"])

        # The same findings from the serving registry's background scrub, in Zot's log form.
        berth.config["extensions"] = {"scrub": {"enable": True, "interval": "24h"}}
        berth.start()
        affected = wait_for_log(berth, lambda l: l.get("msg") == "scrub finished")
        self.assertEqual(affected[0]["images_affected"], 4)
        warnings = {(l["image"], l["affected blob"], l["error"]) for l in berth.log_lines()
                    if l.get("msg") == "blobs/manifest affected"}
        self.assertIn(("app/flip", flipped[7:], "bad blob digest"), warnings)
        self.assertIn(("app/missing", sha256(b"missing layer")[7:], "blob not found"), warnings)
        oks = [l for l in berth.log_lines() if l.get("msg") == "blobs/manifest ok"]
        self.assertEqual({(l["image"], l["tag"]) for l in oks}, {("clean", "v1"), ("clean", "v2")})
        self.assertNotIn("extensions.scrub", berth.log_text())
        berth.stop()


class DedupeTest(unittest.TestCase):
    def test_off_copies_on_folds_and_pulls_stay_identical(self):
        shared = os.urandom(1 << 20)
        images = []
        with Berth(config={"storage": {"dedupe": False}}) as berth:
            client = Client(berth.port)
            images.append(push(client, "one", "v1", [shared, b"only one"]))
            images.append(push(client, "two", "v1", [shared, b"only two"]))
            # A mount without dedupe is answered with an upload, never a link.
            mounted = client.request(
                "POST", f"/v2/three/blobs/uploads/?mount={sha256(shared)}&from=one")
            self.assertEqual(mounted.status, 202, mounted)
            pull_all(self, client, images)
            root = berth.root
            first = os.stat(blob_path(root, "one", sha256(shared)))
            second = os.stat(blob_path(root, "two", sha256(shared)))
            self.assertNotEqual(first.st_ino, second.st_ino)
            self.assertEqual((first.st_nlink, second.st_nlink), (1, 1))

            berth.config["storage"]["dedupe"] = True
            berth.restart()
            client = Client(berth.port)
            wait_for_log(berth, lambda l: l.get("msg") == "dedupe pass finished")
            kept = os.stat(os.path.join(root, "_blobs", "sha256", sha256(shared)[7:]))
            for repo in ("one", "two"):
                self.assertEqual(os.stat(blob_path(root, repo, sha256(shared))).st_ino,
                                 kept.st_ino)
            self.assertEqual(kept.st_nlink, 3)
            pull_all(self, client, images)
            images.append(push(client, "four", "v1", [shared]))
            self.assertEqual(os.stat(blob_path(root, "four", sha256(shared))).st_ino, kept.st_ino)
            pull_all(self, client, images)
            code, rows = run_scrub(berth)
            self.assertEqual(code, 0, rows)

    def test_zot_directory_is_served_and_folded(self):
        with Berth() as berth:
            root = berth.root
            layer, config = os.urandom(65536), b'{"os":"linux"}'
            images = []
            for repo in ("zot/a", "zot/b"):
                blobs = os.path.join(root, repo, "blobs", "sha256")
                os.makedirs(blobs)
                os.makedirs(os.path.join(root, repo, ".uploads"))
                manifest = json.dumps({
                    "schemaVersion": 2, "mediaType": OCI_MANIFEST,
                    "config": {"mediaType": OCI_CONFIG, "digest": sha256(config),
                               "size": len(config)},
                    "layers": [{"mediaType": OCI_LAYER, "digest": sha256(layer),
                                "size": len(layer)}]}).encode()
                for data in (layer, config, manifest):
                    with open(os.path.join(blobs, sha256(data)[7:]), "wb") as f:
                        f.write(data)
                index = {"schemaVersion": 2, "manifests": [{
                    "mediaType": OCI_MANIFEST, "digest": sha256(manifest),
                    "size": len(manifest),
                    "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}
                with open(os.path.join(root, repo, "index.json"), "w") as f:
                    json.dump(index, f)
                with open(os.path.join(root, repo, "oci-layout"), "w") as f:
                    f.write('{"imageLayoutVersion":"1.0.0"}')
                images.append((repo, "latest", manifest,
                               [(sha256(layer), layer), (sha256(config), config)]))
            open(os.path.join(root, "cache.db"), "wb").close()
            berth.restart()
            wait_for_log(berth, lambda l: l.get("msg") == "dedupe pass finished")
            client = Client(berth.port)
            pull_all(self, client, images)
            kept = os.stat(os.path.join(root, "_blobs", "sha256", sha256(layer)[7:]))
            self.assertEqual(kept.st_nlink, 3)
            for repo in ("zot/a", "zot/b"):
                self.assertEqual(os.stat(blob_path(root, repo, sha256(layer))).st_ino,
                                 kept.st_ino)
            self.assertTrue(os.path.isdir(os.path.join(root, "zot/a/.uploads")))


class CommitTest(unittest.TestCase):
    def test_commit_keeps_acknowledged_chunks_across_a_kill(self):
        with Berth(config={"storage": {"commit": True}}) as berth:
            client = Client(berth.port)
            started = client.start_upload("c")
            location = started.header("Location")
            chunk = os.urandom(10000)
            patched = client.request("PATCH", location, chunk, {
                "Content-Type": "application/octet-stream", "Content-Range": "0-9999",
                "Content-Length": "10000"})
            self.assertEqual(patched.status, 202, patched)
            berth.kill()
            berth.start()
            client = Client(berth.port)
            status = client.request("GET", location)
            self.assertEqual(status.status, 204, status)
            self.assertEqual(status.header("Range"), "0-9999")
            rest = os.urandom(500)
            done = client.request("PUT", f"{location}?digest={sha256(chunk + rest)}", rest, {
                "Content-Type": "application/octet-stream", "Content-Range": "10000-10499",
                "Content-Length": "500"})
            self.assertEqual(done.status, 201, done)
            self.assertEqual(client.get_blob("c", sha256(chunk + rest)).body, chunk + rest)


if __name__ == "__main__":
    unittest.main()
