"""storage.subPaths against the built berth: each route is its own store, with its own
directory, dedupe and GC.

Two subPaths beside the default store: "/clean" (dedupe and GC on) and "/keep" (both off).

* Pushes land in the directory of their store, under their whole name (Zot's layout), and each
  store dedupes by its own setting; `clean` (no `/`) stays in the default store, as in Zot.
* The catalog lists the repositories of every store as one sorted list, page by page, also
  after a restart (which loads every store before /startupz says so); search and
  zot_repo_storage_bytes see them all.
* A cross-repository mount between stores answers 202 and the client's upload then works; a
  mount inside one store still links (201).
* skopeo copies an image into a subPath repository and back byte for byte.
* GC removes an unreferenced blob in the store with GC on, not in the one with GC off.
* `berth scrub <config>` reports damage in every store.
"""

import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Berth, berth_binary, gc_pass_lines, wait_passes  # noqa: E402
from oci import OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, Client, image_manifest, sha256  # noqa: E402
import realclients  # noqa: E402


def with_subpaths(clean_gc=None):
    """A Berth whose default store has GC off, with the subPaths /clean and /keep in its temp
    directory; `clean_gc` overrides the GC settings of /clean."""
    berth = Berth(config={"storage": {"gc": False}, "extensions": {
        "search": {"enable": True}, "metrics": {"enable": True}}})
    clean = {"rootDirectory": os.path.join(berth.dir, "clean-store"), "dedupe": True,
             "gc": True, "gcDelay": "1h", "gcInterval": "1h"}
    clean.update(clean_gc or {})
    keep = {"rootDirectory": os.path.join(berth.dir, "keep-store"), "dedupe": False}
    berth.config["storage"]["subPaths"] = {"/clean": clean, "/keep": keep}
    return berth


def store_root(berth, route):
    if route is None:
        return berth.root
    return berth.config["storage"]["subPaths"][route]["rootDirectory"]


def repo_blob(root, repo, digest):
    return os.path.join(root, repo, "blobs", "sha256", digest.split(":")[1])


def shared_blob(root, digest):
    return os.path.join(root, "_blobs", "sha256", digest.split(":")[1])


def catalog_pages(client, n):
    names, path = [], f"/v2/_catalog?n={n}"
    while path:
        response = client.request("GET", path)
        assert response.status == 200, response
        names += response.json()["repositories"]
        link = response.header("Link")
        path = link[1:link.index(">")] if link else None
    return names


def indexed(client):
    """The repositories with an image that search knows of."""
    query = "{RepoListWithNewestImage(requestedPage: {limit:50 offset:0}){Results {Name}}}"
    response = client.request("GET", "/v2/_zot/ext/search?query=" + urllib.parse.quote(query))
    assert response.status == 200, response
    return sorted(r["Name"] for r in response.json()["data"]["RepoListWithNewestImage"]["Results"])


def measured(client):
    """The repositories zot_repo_storage_bytes reports."""
    text = client.request("GET", "/metrics").body.decode()
    return sorted(re.findall(r'^zot_repo_storage_bytes\{repo="([^"]+)"\} [1-9]', text, re.M))


class SubPaths(unittest.TestCase):
    def test_routing_files_catalog_and_mounts(self):
        with with_subpaths() as b:
            c = Client(b.port)
            layer = b"a layer in every store"
            digest = sha256(layer)
            for repo in ("app", "clean", "clean/app", "keep/app"):
                c.push_image(repo, "v1", layers=[layer, repo.encode()])
            self.assertNotIn("not available", b.log_text())
            default, clean, keep = (store_root(b, r) for r in (None, "/clean", "/keep"))
            # Whole names under each store's root; `clean` has no `/`, so it is the default's.
            for root, repo in ((default, "app"), (default, "clean"), (clean, "clean/app"),
                               (keep, "keep/app")):
                self.assertTrue(os.path.exists(os.path.join(root, repo, "index.json")), repo)
            self.assertFalse(os.path.exists(os.path.join(default, "clean", "app")))
            self.assertFalse(os.path.exists(os.path.join(default, "keep")))
            # Each store's own dedupe: links into _blobs in clean, plain copies in keep.
            self.assertEqual(os.stat(shared_blob(clean, digest)).st_nlink, 2)
            self.assertEqual(os.stat(repo_blob(clean, "clean/app", digest)).st_nlink, 2)
            self.assertEqual(os.stat(repo_blob(keep, "keep/app", digest)).st_nlink, 1)
            self.assertFalse(os.path.exists(shared_blob(keep, digest)))
            for repo in ("app", "clean", "clean/app", "keep/app"):
                got = c.get_blob(repo, digest)
                self.assertEqual((got.status, got.body), (200, layer), repo)
            everything = ["app", "clean", "clean/app", "keep/app"]
            self.assertEqual(c.request("GET", "/v2/_catalog").json()["repositories"], everything)
            self.assertEqual(catalog_pages(c, 1), everything)
            self.assertEqual(catalog_pages(c, 3), everything)
            self.assertEqual(indexed(c), everything)
            self.assertEqual(measured(c), everything)
            self.check_mounts(c, b)
            before = catalog_pages(c, 1000)
            self.assertLess(set(everything + ["keep/mounted", "clean/other"]), set(before))
            b.restart()
            c = Client(b.port)
            # The catalog waits for every store to load; then /startupz follows.
            self.assertEqual(catalog_pages(c, 2), before)
            wait_started(c)
            self.assertEqual(c.get_blob("keep/app", digest).body, layer)
            self.assertEqual(indexed(c), everything)

    def check_mounts(self, c, b):
        data = b"only in the default store"
        digest = c.push_blob("app", data)
        # Another store: no link across directories; the client gets a session and uploads.
        started = c.start_upload("keep/mounted", f"?mount={digest}&from=app")
        self.assertEqual(started.status, 202, started)
        done = c.request("PUT", f"{started.header('Location')}?digest={digest}", data,
                         {"Content-Type": "application/octet-stream"})
        self.assertEqual(done.status, 201, done)
        self.assertEqual(c.get_blob("keep/mounted", digest).body, data)
        self.assertTrue(os.path.exists(repo_blob(store_root(b, "/keep"), "keep/mounted",
                                                 digest)))
        # From a subPath to the default store, the same.
        self.assertEqual(c.start_upload("app2", f"?mount={digest}&from=keep/mounted").status,
                         202)
        # Inside one store a mount still links.
        inner = c.push_blob("clean/app", b"clean data")
        mounted = c.start_upload("clean/other", f"?mount={inner}&from=clean/app")
        self.assertEqual(mounted.status, 201, mounted)
        self.assertEqual(c.get_blob("clean/other", inner).body, b"clean data")

    def test_gc_runs_per_store_with_its_own_settings(self):
        gc = {"gcDelay": "1s", "gcInterval": "1s"}
        with with_subpaths(clean_gc=gc) as b:
            c = Client(b.port)
            clean, keep = store_root(b, "/clean"), store_root(b, "/keep")
            doomed = c.push_blob("clean/app", b"unreferenced in clean")
            kept = c.push_blob("keep/app", b"unreferenced in keep")
            self.assertTrue(os.path.exists(shared_blob(clean, doomed)))
            time.sleep(1.1)
            # Only /clean collects: every pass logged is its, and names its directory.
            wait_passes(b, 2)
            self.assertEqual({line.get("root") for line in gc_pass_lines(b)}, {clean})
            self.assertEqual(c.get_blob("clean/app", doomed).status, 404)
            self.assertFalse(os.path.exists(repo_blob(clean, "clean/app", doomed)))
            self.assertFalse(os.path.exists(shared_blob(clean, doomed)))
            self.assertEqual(c.get_blob("keep/app", kept).status, 200)
            self.assertTrue(os.path.exists(repo_blob(keep, "keep/app", kept)))

    def test_offline_scrub_covers_every_store(self):
        images = {}
        b = with_subpaths().start()
        try:
            c = Client(b.port)
            for repo in ("app", "clean/app", "keep/app"):
                layer = f"layer of {repo}".encode()
                c.push_image(repo, "v1", layers=[layer])
                images[repo] = sha256(layer)
        finally:
            b.stop()
        for route, repo in (("/clean", "clean/app"), ("/keep", "keep/app")):
            path = repo_blob(store_root(b, route), repo, images[repo])
            with open(path, "r+b") as f:
                first = f.read(1)
                f.seek(0)
                f.write(bytes([first[0] ^ 1]))
        result = subprocess.run([berth_binary(), "scrub", b.config_path], capture_output=True,
                                text=True, timeout=120)
        shutil.rmtree(b.dir, ignore_errors=True)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
        self.assertEqual(sorted(rows), ["app", "clean/app", "keep/app"], result.stdout)
        self.assertIn("ok", rows["app"])
        for repo in ("clean/app", "keep/app"):
            self.assertIn("affected", rows[repo])
            self.assertIn(images[repo].split(":")[1], rows[repo])

    @unittest.skipIf(shutil.which("skopeo") is None, "skopeo is not installed")
    def test_skopeo_copies_into_a_subpath_and_back(self):
        with with_subpaths() as b, tempfile.TemporaryDirectory(prefix="berth-subpaths-") as work:
            source, back = os.path.join(work, "source"), os.path.join(work, "back")
            raw = write_layout(source)
            ref = f"docker://{b.url}/clean/skopeo:v1"
            skopeo(work, "copy", "--dest-tls-verify=false", f"oci:{source}:v1", ref)
            manifest = json.loads(raw)
            clean = store_root(b, "/clean")
            self.assertTrue(os.path.exists(os.path.join(clean, "clean", "skopeo", "index.json")))
            for blob in realclients.image_blobs(manifest):
                path = repo_blob(clean, "clean/skopeo", blob["digest"])
                self.assertTrue(os.path.exists(path), (blob, os.listdir(os.path.dirname(path))))
            skopeo(work, "copy", "--src-tls-verify=false", ref, f"oci:{back}:v1")
            back_raw, _ = realclients.layout_manifest(back, "v1")
            self.assertEqual(back_raw, raw)
            realclients.check_layout_image(back, manifest, "pulled from a subPath")
            for blob in realclients.image_blobs(manifest):
                with open(realclients.layout_blob(back, blob["digest"]), "rb") as got, \
                        open(realclients.layout_blob(source, blob["digest"]), "rb") as sent:
                    self.assertEqual(got.read(), sent.read())


def wait_started(client, limit=60):
    deadline = time.time() + limit
    while client.request("GET", "/startupz").status != 200:
        if time.time() > deadline:
            raise AssertionError("/startupz never answered 200")
        time.sleep(0.05)


def skopeo(work, *args):
    policy = os.path.join(work, "policy.json")
    if not os.path.exists(policy):
        with open(policy, "w") as f:
            json.dump({"default": [{"type": "insecureAcceptAnything"}]}, f)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work, "TMPDIR": work}
    result = subprocess.run(["skopeo", "--policy", policy, *args], env=env,
                            capture_output=True, timeout=300)
    if result.returncode != 0:
        raise AssertionError(f"skopeo {' '.join(args)}: {result.stderr.decode()}")


def layer_tar(name, data):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def write_layout(path):
    """A two-layer OCI image layout tagged v1 (random files); returns the manifest bytes."""
    blobs = os.path.join(path, "blobs", "sha256")
    os.makedirs(blobs)

    def blob(data, media_type):
        digest = sha256(data)
        with open(os.path.join(blobs, digest.split(":", 1)[1]), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    # gzip layers, as clients push them: skopeo keeps them as they are.
    tars = [layer_tar(f"file{i}", os.urandom(size)) for i, size in enumerate((300000, 5000))]
    layers = [blob(gzip.compress(tar), OCI_LAYER) for tar in tars]
    config = blob(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {
        "type": "layers", "diff_ids": [sha256(tar) for tar in tars]}}).encode(), OCI_CONFIG)
    raw = image_manifest(config, layers)
    manifest = blob(raw, OCI_MANIFEST)
    manifest["annotations"] = {"org.opencontainers.image.ref.name": "v1"}
    with open(os.path.join(path, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [manifest]}, f)
    with open(os.path.join(path, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    return raw


if __name__ == "__main__":
    unittest.main()
