"""Garbage collection, retention, usage statistics and the audit log, against the built berth.

* GC (gcDelay 1s, gcInterval 1s) removes an untagged manifest, unlinks its blobs from the
  repository and frees the _blobs files (the bytes are really gone); a tagged image stays whole.
* Retention keepTags patterns delete tags they do not match; dryRun deletes nothing.
* Push and pull statistics survive a restart (<root>/_usage.log).
* log.audit gets one line per successful push request and per GC deletion.

A GC pass is waited for through its log line ("gc: pass done"), so no timing is asserted.
"""

import json
import os
import random
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Berth, wait_passes  # noqa: E402
from oci import OCI_CONFIG, OCI_LAYER, Client, image_manifest, sha256  # noqa: E402


def metric(text, series):
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0


def shared_blob(berth, digest):
    return os.path.join(berth.root, "_blobs", "sha256", digest.split(":")[1])


def repo_blob(berth, repo, digest):
    return os.path.join(berth.root, repo, "blobs", "sha256", digest.split(":")[1])


GC = {"storage": {"gc": True, "gcDelay": "1s", "gcInterval": "1s",
                  "retention": {"delay": "1s"}}}


class GarbageCollection(unittest.TestCase):
    def test_untagged_manifest_and_its_blobs_go(self):
        config = {"storage": GC["storage"], "extensions": {"metrics": {"enable": True}}}
        with Berth(config=config) as b:
            c = Client(b.port)
            _, kept = c.push_image("app", "v1", layers=[b"kept layer"])
            body, gone = c.push_image("app", "v2", layers=[b"doomed layer"])
            layer = json.loads(body)["layers"][0]["digest"]
            self.assertTrue(os.path.exists(shared_blob(b, layer)))
            self.assertEqual(c.request("DELETE", "/v2/app/manifests/v2").status, 202)
            # v2's manifest is untagged now; two passes: one sees it, the next is certain.
            time.sleep(1.1)
            wait_passes(b, 2)
            self.assertEqual(c.get_manifest("app", gone).status, 404)
            self.assertFalse(os.path.exists(repo_blob(b, "app", layer)))
            self.assertFalse(os.path.exists(shared_blob(b, layer)))
            self.assertEqual(c.get_manifest("app", "v1").status, 200)
            self.assertEqual(c.get_manifest("app", kept).status, 200)
            manifest = json.loads(c.get_manifest("app", "v1").body)
            for blob in [manifest["config"]] + manifest["layers"]:
                got = c.get_blob("app", blob["digest"])
                self.assertEqual(got.status, 200)
                self.assertEqual(sha256(got.body), blob["digest"])
            # zot_gc_*: the passes and what they deleted (manifest; layer and config links in
            # the repository and their _blobs files).
            text = c.request("GET", "/metrics").body.decode()
            self.assertGreaterEqual(metric(text, 'zot_gc_runs_total{error="false"}'), 2)
            self.assertEqual(metric(text, 'zot_gc_deleted_total{type="manifest"}'), 1)
            self.assertGreaterEqual(metric(text, 'zot_gc_deleted_total{type="blob"}'), 3)

    def test_fresh_blob_is_kept(self):
        config = {"storage": {"gc": True, "gcDelay": "1h", "gcInterval": "1s"}}
        with Berth(config=config) as b:
            c = Client(b.port)
            digest = c.push_blob("app", b"pushed moments ago")
            wait_passes(b, 2)
            self.assertEqual(c.get_blob("app", digest).status, 200)

    def test_pushes_racing_gc_pull_back_whole(self):
        with Berth(config=GC) as b:
            c = Client(b.port)
            pushed = []
            for i in range(40):
                body, digest = c.push_image("race", f"t{i}", layers=[f"layer {i}".encode(),
                                                                      b"shared layer"])
                pushed.append((f"t{i}", body))
                if i % 5 == 0:
                    c.request("DELETE", f"/v2/race/manifests/t{i}")
                    pushed.pop()
            wait_passes(b, 2)
            for tag, body in pushed:
                got = c.get_manifest("race", tag)
                self.assertEqual(got.status, 200, tag)
                for blob in json.loads(got.body)["layers"]:
                    self.assertEqual(c.get_blob("race", blob["digest"]).status, 200, tag)


def push_slowly(client, repo, tag, layers, pause):
    """Uploads the blobs, waits `pause`, then PUTs the manifest; returns (status, body)."""
    config = client.push_descriptor(repo, json.dumps({"tag": tag}).encode(), OCI_CONFIG)
    descriptors = [client.push_descriptor(repo, layer, OCI_LAYER) for layer in layers]
    time.sleep(pause)
    body = image_manifest(config, descriptors)
    return client.put_manifest(repo, tag, body), body


class ConcurrentPushesAgainstGc(unittest.TestCase):
    """Eight clients push at once into three repositories sharing layers, some pausing longer
    than gcDelay between their blobs and their manifest, some deleting what they pushed, while
    GC runs every second with a 1 s delay. A push may be refused (a blob it paused too long
    over was collected), but every push answered 201 and not deleted pulls whole afterwards."""

    def test_every_accepted_push_pulls_back_whole(self):
        shared = [os.urandom(4096 + i * 1000) for i in range(4)]
        accepted = {}
        refused = []
        lock = threading.Lock()

        def client_thread(number):
            rng = random.Random(number)
            c = Client(b.port)
            mine = []
            for i in range(10):
                repo = f"race/{rng.choice('abc')}"
                tag = f"c{number}-{i}"
                layers = [os.urandom(512), rng.choice(shared)]
                response, body = push_slowly(c, repo, tag, layers, rng.choice([0, 0, 0.3, 1.5]))
                if response.status != 201:
                    with lock:
                        refused.append((repo, tag, response.status, response.body))
                    continue
                mine.append((repo, tag))
                with lock:
                    accepted[(repo, tag)] = (body, {sha256(x): x for x in layers})
                if rng.random() < 0.25:
                    gone = mine.pop(rng.randrange(len(mine)))
                    deleted = c.request("DELETE", f"/v2/{gone[0]}/manifests/{gone[1]}")
                    assert deleted.status == 202, deleted
                    with lock:
                        del accepted[gone]

        with Berth(config=GC) as b:
            threads = [threading.Thread(target=client_thread, args=(n,)) for n in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            time.sleep(1.1)
            wait_passes(b, 2)
            c = Client(b.port)
            self.assertGreater(len(accepted), 20)
            for status in {r[2] for r in refused}:
                self.assertEqual(status, 400, refused)  # MANIFEST_BLOB_UNKNOWN, nothing else
            for (repo, tag), (body, layers) in accepted.items():
                got = c.get_manifest(repo, tag)
                self.assertEqual(got.status, 200, (repo, tag))
                self.assertEqual(got.body, body)
                for blob in json.loads(body)["layers"] + [json.loads(body)["config"]]:
                    data = c.get_blob(repo, blob["digest"])
                    self.assertEqual(data.status, 200, (repo, tag, blob))
                    self.assertEqual(sha256(data.body), blob["digest"])
                    if blob["digest"] in layers:
                        self.assertEqual(data.body, layers[blob["digest"]])


class Retention(unittest.TestCase):
    def policy(self, dry_run=False):
        return {"storage": {"gc": True, "gcDelay": "1s", "gcInterval": "1s", "retention": {
            "dryRun": dry_run, "delay": "1s",
            "policies": [{"repositories": ["infra/**"],
                          "keepTags": [{"patterns": ["^release-.*"]}]}]}}}

    def test_keep_tags_patterns(self):
        with Berth(config=self.policy()) as b:
            c = Client(b.port)
            c.push_image("infra/app", "release-1", layers=[b"r1"])
            c.push_image("infra/app", "dev-1", layers=[b"d1"])
            c.push_image("other", "dev-1", layers=[b"o1"])
            time.sleep(1.1)
            wait_passes(b, 2)
            self.assertEqual(c.tags("infra/app").json()["tags"], ["release-1"])
            self.assertEqual(c.tags("other").json()["tags"], ["dev-1"])

    def test_dry_run_deletes_nothing(self):
        with Berth(config=self.policy(dry_run=True)) as b:
            c = Client(b.port)
            c.push_image("infra/app", "dev-1", layers=[b"d1"])
            digest = c.push_blob("infra/app", b"orphan")
            time.sleep(1.1)
            wait_passes(b, 2)
            self.assertEqual(c.tags("infra/app").json()["tags"], ["dev-1"])
            self.assertEqual(c.get_blob("infra/app", digest).status, 200)
            self.assertIn('"dry_run":true', b.log_text())


class UsageAndAudit(unittest.TestCase):
    def test_usage_survives_restart_and_audit_has_lines(self):
        with Berth(config={"storage": {"gc": False}}) as b:
            audit = os.path.join(b.dir, "audit.log")
            b.config["log"]["audit"] = audit
            b.restart()
            c = Client(b.port)
            c.push_image("app", "v1")
            for _ in range(3):
                self.assertEqual(c.get_manifest("app", "v1").status, 200)
            b.restart()
            with open(os.path.join(b.root, "_usage.log")) as f:
                lines = [line.split() for line in f if line.startswith("app ")]
            self.assertTrue(lines)
            pushed, pulled, count = (int(x) for x in lines[-1][2:])
            self.assertGreater(pushed, 0)
            self.assertGreater(pulled, 0)
            self.assertEqual(count, 3)
            with open(audit) as f:
                records = [json.loads(line) for line in f]
            puts = [r for r in records if r.get("action") == "PUT" and r["repository"] == "app"]
            self.assertTrue(any(r["reference"] == "v1" and r["status"] == 201 for r in puts))

    def test_audit_lines_for_push_delete_and_gc(self):
        with Berth(config=GC) as b:
            audit = os.path.join(b.dir, "audit.log")
            b.config["log"]["audit"] = audit
            b.restart()
            c = Client(b.port)
            body, digest = c.push_image("app", "v1", layers=[b"audited layer"])
            layer = json.loads(body)["layers"][0]["digest"]
            self.assertEqual(c.request("DELETE", "/v2/app/manifests/v1").status, 202)
            deadline = time.monotonic() + 60
            records = []
            while time.monotonic() < deadline:
                with open(audit) as f:
                    records = [json.loads(line) for line in f]
                freed = [r for r in records if r.get("module") == "gc" and r.get("repository")
                         == "" and r.get("digest") == layer]
                if freed:
                    break
                time.sleep(0.2)

            def has(**fields):
                return any(all(r.get(k) == v for k, v in fields.items()) for r in records)

            self.assertTrue(has(module="http", action="PUT", repository="app", reference="v1",
                                status=201), records)
            self.assertTrue(has(module="http", action="DELETE", repository="app",
                                reference="v1", status=202), records)
            # The untagged manifest, its layer's link in the repository and the _blobs file.
            self.assertTrue(has(module="gc", action="delete", repository="app", digest=digest))
            self.assertTrue(has(module="gc", action="delete", repository="app", digest=layer))
            self.assertTrue(has(module="gc", action="delete", repository="", digest=layer),
                            records)


if __name__ == "__main__":
    unittest.main()
