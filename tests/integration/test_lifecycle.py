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
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Berth  # noqa: E402
from oci import Client, sha256  # noqa: E402


def wait_passes(berth, count, limit=60):
    """Waits until `count` more GC passes are logged after now."""
    start = berth.log_text().count('"gc: pass done"')
    deadline = time.time() + limit
    while berth.log_text().count('"gc: pass done"') < start + count:
        if time.time() > deadline:
            raise AssertionError("no GC pass logged")
        time.sleep(0.2)


def shared_blob(berth, digest):
    return os.path.join(berth.root, "_blobs", "sha256", digest.split(":")[1])


def repo_blob(berth, repo, digest):
    return os.path.join(berth.root, repo, "blobs", "sha256", digest.split(":")[1])


GC = {"storage": {"gc": True, "gcDelay": "1s", "gcInterval": "1s",
                  "retention": {"delay": "1s"}}}


class GarbageCollection(unittest.TestCase):
    def test_untagged_manifest_and_its_blobs_go(self):
        with Berth(config=GC) as b:
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


if __name__ == "__main__":
    unittest.main()
