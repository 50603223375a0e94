"""berth's web UI end to end in Debian's Chromium (tests/ui/e2e.mjs, playwright-core from npm).

Starts berth with authentication, search and the UI on; pushes real images with skopeo (the
cached test images of tests/integration/realclients.py) and, through the OCI API, one with
hostile labels and a referrer; then runs e2e.mjs, which walks the pages and saves a screenshot
of each in $BERTH_UI_ARTIFACTS (the build directory's tests/ui-artifacts when meson runs it).

Skips (exit 77) only when Chromium, node or the container clients are not installed or it
cannot run as root; deploy/install-deps.sh installs them and runs `npm ci` here.
"""

import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import realclients  # noqa: E402
from harness import Berth  # noqa: E402
from oci import (Client, OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, descriptor,  # noqa: E402
                 image_manifest, sha256)
from test_ui import basic  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SKIP = 77
USERS = {"alice": "alice-pw", "bob": "bob-pw"}
ALL = ["read", "create", "update", "delete"]
CONFIG = {
    "http": {"accessControl": {"repositories": {
        "**": {"anonymousPolicy": ["read"], "policies": [{"users": ["alice"], "actions": ALL}]},
        "private/**": {"policies": [{"users": ["alice"], "actions": ALL}]},
    }}},
    "extensions": {"search": {"enable": True}, "ui": {"enable": True}},
}
HOSTILE = '<img id="injected" src=x onerror="document.title=1">'


def missing():
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium not installed at {CHROMIUM}"
    if shutil.which("node") is None:
        return "node not installed"
    if realclients.missing_binaries(["skopeo", "buildah"]):
        return "skopeo or buildah not installed"
    if not realclients.ImageCache().complete():
        absent = realclients.missing_binaries(["podman", "umoci"])
        if absent:
            return f"cannot build the test images without {', '.join(absent)}"
    return realclients.isolation_problem()


def ensure_playwright():
    if os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        return
    # install-deps.sh does this; a checkout that skipped it gets it here.
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)


def push_labelled(port, repo, tag):
    """An image with a hostile label, annotations and a signature-like referrer."""
    client = Client(port)
    headers = basic("alice", USERS["alice"])

    def blob(data, media_type):
        started = client.request("POST", f"/v2/{repo}/blobs/uploads/", b"", headers)
        done = client.request("PUT", f"{started.header('Location')}?digest={sha256(data)}", data,
                              {"Content-Type": "application/octet-stream", **headers})
        assert done.status == 201, done
        return descriptor(media_type, data, sha256(data))

    config = json.dumps({"os": "linux", "architecture": "amd64",
                         "created": "2026-01-02T03:04:05Z",
                         "config": {"Entrypoint": ["/bin/tool", "--serve"],
                                    "Env": ["PATH=/usr/bin"],
                                    "Labels": {"org.example.note": HOSTILE}},
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    layers = [blob(b"first layer" * 50, OCI_LAYER), blob(b"second layer" * 80, OCI_LAYER)]
    body = image_manifest(blob(config, OCI_CONFIG), layers,
                          annotations={"org.opencontainers.image.description": "a tool"})
    put = client.request("PUT", f"/v2/{repo}/manifests/{tag}", body,
                         {"Content-Type": OCI_MANIFEST, **headers})
    assert put.status == 201, put
    subject = {"mediaType": OCI_MANIFEST, "digest": sha256(body), "size": len(body)}
    signature = image_manifest(blob(b"{}", "application/vnd.oci.empty.v1+json"),
                               [blob(b"signature", OCI_LAYER)], subject=subject,
                               artifact_type="application/vnd.example.signature")
    put = client.request("PUT", f"/v2/{repo}/manifests/{sha256(signature)}", signature,
                         {"Content-Type": OCI_MANIFEST, **headers})
    assert put.status == 201, put


def push_images(berth, env):
    registry = berth.url
    env.use_registry(registry)
    layout = env.images.layout
    creds = ["--dest-creds", f"alice:{USERS['alice']}"]
    pushes = [("small", "apps/hello", "1.0"), ("small", "apps/hello", "latest"),
              ("small-arm64", "apps/hello-arm", "1.0"), ("small", "private/internal", "1.0"),
              ("small", "scratch/doomed", "old"), ("small", "scratch/doomed", "new")]
    for name, repo, tag in pushes:
        env.skopeo("copy", "--quiet", *creds, f"oci:{layout}:{name}",
                   f"docker://{registry}/{repo}:{tag}")
    push_labelled(berth.port, "tools/labelled", "2.1")


def main():
    problem = missing()
    if problem:
        print(f"SKIP: {problem}", file=sys.stderr)
        return SKIP
    ensure_playwright()
    images = realclients.ImageCache()
    images.ensure()
    env = realclients.ClientEnv(images)
    artifacts = os.environ.get("BERTH_UI_ARTIFACTS") or os.path.join(
        os.path.dirname(os.path.dirname(HERE)), "build", "tests", "ui-artifacts")
    try:
        with Berth(config=CONFIG, users=USERS) as berth:
            push_images(berth, env)
            expect = {
                "public": ["apps/hello", "apps/hello-arm", "scratch/doomed", "tools/labelled"],
                "private": ["private/internal"],
                "search": {"query": "hello", "results": ["apps/hello", "apps/hello-arm"]},
                "browse": {"repo": "apps/hello", "tags": ["1.0", "latest"]},
                "image": {"repo": "tools/labelled", "tag": "2.1", "layers": 2,
                          "label": {"value": HOSTILE},
                          "annotation": {"key": "org.opencontainers.image.description"},
                          "referrer": "application/vnd.example.signature",
                          "entrypoint": "/bin/tool --serve"},
                "remove": {"repo": "scratch/doomed", "tag": "old", "keep": "new"},
            }
            environ = dict(os.environ, BERTH_URL=f"http://{berth.url}", BERTH_USER="alice",
                           BERTH_PASSWORD=USERS["alice"], BERTH_UI_ARTIFACTS=artifacts,
                           BERTH_UI_EXPECT=json.dumps(expect), CHROMIUM=CHROMIUM)
            result = subprocess.run(["node", os.path.join(HERE, "e2e.mjs")], env=environ,
                                    cwd=HERE, timeout=900)
            print(f"screenshots in {artifacts}", file=sys.stderr)
            return result.returncode
    finally:
        env.close()


if __name__ == "__main__":
    sys.exit(main())
