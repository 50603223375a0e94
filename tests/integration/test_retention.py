"""Retention rules, one test each, against the built berth (Zot's pkg/retention semantics).

Each test pushes (and pulls) with GC off, stops berth, may backdate push and pull times in
<root>/_usage.log (the statistics berth keeps across restarts; later lines win), then starts
it again with the policy under test, gcInterval 1s and retention.delay 1s, and waits for GC
passes through their log line. No timing is asserted: a pass either has or has not run.

What each test shows:
* keepTags: the first entry whose patterns match a tag is its only rule; patterns match
  anywhere in the tag (Go's MatchString); tags matching no entry go.
* mostRecentlyPushedCount keeps the newest pushes, by the push times kept across a restart
  (not by file times: the manifest file of the kept tag is backdated).
* mostRecentlyPulledCount keeps the newest pulls; a GET counts, a HEAD does not; the pull
  time survives the restart.
* pushedWithin keeps only what was pushed in the window; pulledWithin keeps what was pulled
  or pushed in it.
* deleteUntagged false keeps untagged manifests, true removes them; keepUntagged's rules keep
  some of them.
* deleteReferrers removes a referrer whose subject is gone; without it (and in a repository
  no policy matches) the referrer stays, as in Zot.
* dryRun deletes nothing and logs each decision it would have made.
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Berth, wait_passes  # noqa: E402
from oci import (OCI_CONFIG, OCI_EMPTY, OCI_LAYER, OCI_MANIFEST, Client, descriptor,  # noqa: E402
                 image_manifest, sha256)

DAY = 24 * 3600


def backdate(berth, repo, digest, pushed_ago, pulled_ago=None, count=0):
    """Appends a usage line (berth stopped): pushed and pulled that many seconds ago."""
    now = int(time.time())
    pulled = 0 if pulled_ago is None else now - pulled_ago
    with open(os.path.join(berth.root, "_usage.log"), "a") as f:
        f.write(f"{repo} {digest} {now - pushed_ago} {pulled} {count}\n")


def manifest_file(berth, repo, digest):
    return os.path.join(berth.root, repo, "blobs", "sha256", digest.split(":")[1])


def policy_config(policies, dry_run=False):
    return {"gc": True, "gcDelay": "1s", "gcInterval": "1s",
            "retention": {"dryRun": dry_run, "delay": "1s", "policies": policies}}


class RetentionRules(unittest.TestCase):
    def setUp(self):
        self.berth = Berth(config={"storage": {"gc": False}}).start()
        self.client = Client(self.berth.port)

    def tearDown(self):
        self.berth.__exit__(None, None, None)

    def push(self, repo, tag, layer=None):
        layer = layer or f"{repo}:{tag}".encode()
        _, digest = self.client.push_image(repo, tag, layers=[layer])
        return digest

    def restart_with(self, policies, dry_run=False, passes=2):
        self.berth.config["storage"].update(policy_config(policies, dry_run))
        self.berth.start()
        self.client = Client(self.berth.port)
        wait_passes(self.berth, passes, limit=90)

    def tags(self, repo):
        response = self.client.tags(repo)
        if response.status == 404:
            return []
        self.assertEqual(response.status, 200, response)
        return response.json()["tags"]

    def test_keep_tags_first_matching_entry_rules(self):
        old = self.push("app", "v1.0")
        self.push("app", "v2.0")
        self.push("app", "prerelease")
        self.push("app", "dev")
        self.berth.stop()
        backdate(self.berth, "app", old, 3 * DAY)
        # v1.0 matches both entries: the first, with its count rule, decides (v2.0 is newer).
        self.restart_with([{"repositories": ["app"], "keepTags": [
            {"patterns": ["^v"], "mostRecentlyPushedCount": 1},
            {"patterns": ["v1", "release"]}]}])
        self.assertEqual(self.tags("app"), ["prerelease", "v2.0"])

    def test_most_recently_pushed_count_by_kept_push_times(self):
        kept = self.push("app", "a")
        older = self.push("app", "b")
        oldest = self.push("app", "c")
        self.berth.stop()
        backdate(self.berth, "app", older, 2 * DAY)
        backdate(self.berth, "app", oldest, 3 * DAY)
        # Were the push time of `a` lost, its file time (4 days ago) would make it the oldest.
        past = time.time() - 4 * DAY
        os.utime(manifest_file(self.berth, "app", kept), (past, past))
        self.restart_with([{"repositories": ["**"], "keepTags": [
            {"patterns": [".*"], "mostRecentlyPushedCount": 2}]}])
        self.assertEqual(self.tags("app"), ["a", "b"])

    def test_most_recently_pulled_count_counts_gets_not_heads(self):
        pulled_long_ago = self.push("app", "a")
        self.push("app", "b")
        self.push("app", "c")
        self.assertEqual(self.client.get_manifest("app", "b").status, 200)
        time.sleep(1.1)  # pull times are in seconds: a HEAD counted would make `c` newer
        self.assertEqual(self.client.get_manifest("app", "c", method="HEAD").status, 200)
        self.berth.stop()
        backdate(self.berth, "app", pulled_long_ago, 3 * DAY, pulled_ago=2 * DAY, count=5)
        self.restart_with([{"repositories": ["**"], "keepTags": [
            {"patterns": [".*"], "mostRecentlyPulledCount": 1}]}])
        self.assertEqual(self.tags("app"), ["b"])

    def test_pushed_within(self):
        old = self.push("app", "old")
        self.push("app", "new")
        self.berth.stop()
        backdate(self.berth, "app", old, 2 * DAY, pulled_ago=10, count=1)
        self.restart_with([{"repositories": ["**"], "keepTags": [
            {"patterns": [".*"], "pushedWithin": "1h"}]}])
        self.assertEqual(self.tags("app"), ["new"])

    def test_pulled_within_keeps_pulled_or_pushed_in_the_window(self):
        pulled = self.push("app", "pulled")
        stale = self.push("app", "stale")
        self.push("app", "fresh")  # never pulled, but pushed inside the window
        self.berth.stop()
        backdate(self.berth, "app", pulled, 3 * DAY, pulled_ago=60, count=1)
        backdate(self.berth, "app", stale, 3 * DAY, pulled_ago=2 * DAY, count=1)
        self.restart_with([{"repositories": ["**"], "keepTags": [
            {"patterns": [".*"], "pulledWithin": "1h"}]}])
        self.assertEqual(self.tags("app"), ["fresh", "pulled"])

    def push_untagged(self, repo, name):
        config = self.client.push_descriptor(repo, b"{}", OCI_CONFIG)
        layer = self.client.push_descriptor(repo, name.encode(), OCI_LAYER)
        body = image_manifest(config, [layer])
        digest = sha256(body)
        self.assertEqual(self.client.put_manifest(repo, digest, body).status, 201)
        return digest

    def test_delete_untagged_true_and_false(self):
        kept = self.push_untagged("keep/app", "k")
        dropped = self.push_untagged("drop/app", "d")
        self.push("drop/app", "v1")
        self.berth.stop()
        backdate(self.berth, "keep/app", kept, 2 * DAY)
        backdate(self.berth, "drop/app", dropped, 2 * DAY)
        self.restart_with([{"repositories": ["keep/**"], "deleteUntagged": False},
                           {"repositories": ["drop/**"], "deleteUntagged": True}])
        self.assertEqual(self.client.get_manifest("keep/app", kept).status, 200)
        self.assertEqual(self.client.get_manifest("drop/app", dropped).status, 404)
        self.assertEqual(self.tags("drop/app"), ["v1"])

    def test_keep_untagged_rules(self):
        older = self.push_untagged("app", "older")
        newer = self.push_untagged("app", "newer")
        self.berth.stop()
        backdate(self.berth, "app", older, 2 * DAY)
        self.restart_with([{"repositories": ["**"],
                            "keepUntagged": {"mostRecentlyPushedCount": 1}}])
        self.assertEqual(self.client.get_manifest("app", newer).status, 200)
        self.assertEqual(self.client.get_manifest("app", older).status, 404)

    def push_referrer(self, repo, subject_body):
        config = self.client.push_descriptor(repo, b"{}", OCI_EMPTY)
        layer = self.client.push_descriptor(repo, b"signature of " + repo.encode(), OCI_LAYER)
        subject = descriptor(OCI_MANIFEST, subject_body)
        body = image_manifest(config, [layer], subject=subject,
                              artifact_type="application/example.sig")
        digest = sha256(body)
        self.assertEqual(self.client.put_manifest(repo, digest, body).status, 201)
        return digest

    def test_delete_referrers(self):
        referrers = {}
        for repo in ("on/app", "off/app", "none/app"):
            body, subject = self.client.push_image(repo, "v1", layers=[repo.encode()])
            referrers[repo] = self.push_referrer(repo, body)
            deleted = self.client.request("DELETE", f"/v2/{repo}/manifests/{subject}")
            self.assertEqual(deleted.status, 202, deleted)
        self.berth.stop()
        for repo, digest in referrers.items():
            backdate(self.berth, repo, digest, 2 * DAY)
        self.restart_with([{"repositories": ["on/**"], "deleteReferrers": True},
                           {"repositories": ["off/**"], "deleteReferrers": False}])
        self.assertEqual(self.client.get_manifest("on/app", referrers["on/app"]).status, 404)
        self.assertEqual(self.client.get_manifest("off/app", referrers["off/app"]).status, 200)
        self.assertEqual(self.client.get_manifest("none/app", referrers["none/app"]).status, 200)

    def test_dry_run_deletes_nothing_and_logs_decisions(self):
        self.push("app", "release-1")
        self.push("app", "dev-1")
        untagged = self.push_untagged("app", "u")
        orphan = self.client.push_blob("app", b"orphan blob")
        self.berth.stop()
        backdate(self.berth, "app", untagged, 2 * DAY)
        self.restart_with([{"repositories": ["**"], "keepTags": [{"patterns": ["^release"]}]}],
                          dry_run=True)
        self.assertEqual(self.tags("app"), ["dev-1", "release-1"])
        self.assertEqual(self.client.get_manifest("app", untagged).status, 200)
        self.assertEqual(self.client.get_blob("app", orphan).status, 200)
        decisions = [line for line in self.berth.log_lines() if line.get("msg") == "retention"]
        would = {(line.get("tag") or line.get("digest")) for line in decisions
                 if line.get("decision") == "delete" and line.get("dry_run") is True}
        self.assertIn("dev-1", would)
        self.assertIn(untagged, would)
        self.assertNotIn("release-1", would)


if __name__ == "__main__":
    unittest.main()
