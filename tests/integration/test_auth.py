"""Authentication and access control, black box (issue 4; Zot's behaviour per
/work/shared/reference/zot-compat.md §1.3 and §5).

* Matrix: every endpoint of the OCI API × {no credentials, wrong password, unknown user, a user
  lacking the action, a user holding only that action, the anonymous policy, admin}, each cell
  on a fresh repository with its own content; refused cells must leave the content as it was.
* Policies: doublestar globs, the most specific match, groups, defaultPolicy, adminPolicy, mounts,
  the filtered catalog, and /v2/ with anonymous and private repositories mixed (zot#1917), with
  skopeo keeping its credentials in an auth file.
* htpasswd: the hash kinds accepted and refused, reloads while berth runs.
* failDelay on a timer, failed logins limited per client address, http.ratelimit.
* No password and no Basic token ever reaches the logs or the data directory.

Every request comes from a loopback source address of its own (127.1.x.y) unless a test says
otherwise, so that the per-address limit on failed logins only acts where a test wants it.
"""

import base64
import http.client
import itertools
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Berth, bcrypt_line, berth_binary  # noqa: E402
from oci import OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, descriptor, image_manifest, sha256  # noqa: E402

ACTIONS = ("read", "create", "update", "delete")
REALM = "berth test realm"
# Failed logins one client address may make within a minute (authenticator.cpp failures_max).
FAILURES_MAX = 10
RELOAD_DEADLINE = 30  # seconds; berth looks at the htpasswd file every 2 s

_sources = itertools.count(1)


def fresh_source():
    n = next(_sources)
    return f"127.1.{n // 250 % 250}.{n % 250 + 1}"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def password_of(user):
    return f"pw-{user}-3x!"


class Response:
    def __init__(self, method, status, headers, body):
        self.method, self.status, self.headers, self.body = method, status, headers, body

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        return json.loads(self.body)

    def codes(self):
        return [error["code"] for error in self.json()["errors"]]

    def __repr__(self):
        return f"<{self.status} {dict(self.headers)} {self.body[:300]!r}>"


class Client:
    """Requests as one principal: an Authorization header (or none), each on a new connection
    from `source` (a fresh loopback address per request when None)."""

    def __init__(self, port, authorization=None, source=None):
        self.port, self.authorization, self.source = port, authorization, source

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.authorization:
            headers["Authorization"] = self.authorization
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""
        source = (self.source or fresh_source(), 0)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60, source_address=source)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return Response(method, response.status, response.headers, response.read())
        finally:
            conn.close()

    def push_blob(self, repo, data):
        digest = sha256(data)
        response = self.request("POST", f"/v2/{repo}/blobs/uploads/?digest={digest}", data,
                                {"Content-Type": "application/octet-stream"})
        assert response.status == 201, response
        return digest

    def push_manifest(self, repo, reference, body):
        response = self.request("PUT", f"/v2/{repo}/manifests/{reference}", body,
                                {"Content-Type": OCI_MANIFEST})
        assert response.status == 201, response

    def start_upload(self, repo):
        response = self.request("POST", f"/v2/{repo}/blobs/uploads/")
        assert response.status == 202, response
        return response.header("Location")


def user_client(berth, user, source=None):
    return Client(berth.port, basic(user, password_of(user)), source)


class Fixture:
    """What a cell's repository holds before the request: an image tagged v1 (config and layer
    blobs, manifest), a second manifest over the same blobs (pushed nowhere yet), an artifact
    that refers to v1, and an open upload session."""

    def __init__(self, admin, repo):
        self.repo = repo
        self.layer_data = b"layer of " + repo.encode()
        config = descriptor(OCI_CONFIG, b"{}", admin.push_blob(repo, b"{}"))
        layer = descriptor(OCI_LAYER, self.layer_data, admin.push_blob(repo, self.layer_data))
        self.layer = layer["digest"]
        self.manifest = image_manifest(config, [layer])
        self.digest = sha256(self.manifest)
        admin.push_manifest(repo, "v1", self.manifest)
        self.other = image_manifest(config, [layer], annotations={"second": repo})
        subject = {"mediaType": OCI_MANIFEST, "digest": self.digest, "size": len(self.manifest)}
        referrer = image_manifest(config, [layer], subject=subject, artifact_type="text/x-sig")
        admin.push_manifest(repo, sha256(referrer), referrer)
        self.session = admin.start_upload(repo)
        self.new_blob = b"new blob of " + repo.encode()


def state(admin, fixture):
    """What a refused request must not have changed."""
    repo = fixture.repo
    return (admin.request("GET", f"/v2/{repo}/tags/list").body,
            admin.request("GET", f"/v2/{repo}/manifests/v1").body,
            admin.request("HEAD", f"/v2/{repo}/blobs/{fixture.layer}").status,
            admin.request("GET", fixture.session).status)


def manifest_put(reference, which="other", query=""):
    return lambda f: ("PUT", f"/v2/{f.repo}/manifests/{reference(f)}{query}",
                      getattr(f, which), {"Content-Type": OCI_MANIFEST})


def mount_request(f):
    source = f.repo.rsplit("/", 1)[0] + "/source"
    return ("POST", f"/v2/{f.repo}/blobs/uploads/?mount={f.mount}&from={source}", None, {})


# (name, action, request(fixture) -> (method, path, body, headers), status when allowed).
ENDPOINTS = [
    ("tags list", "read", lambda f: ("GET", f"/v2/{f.repo}/tags/list", None, {}), 200),
    ("manifest GET tag", "read", lambda f: ("GET", f"/v2/{f.repo}/manifests/v1", None, {}), 200),
    ("manifest GET digest", "read",
     lambda f: ("GET", f"/v2/{f.repo}/manifests/{f.digest}", None, {}), 200),
    ("manifest HEAD tag", "read", lambda f: ("HEAD", f"/v2/{f.repo}/manifests/v1", None, {}), 200),
    ("manifest HEAD digest", "read",
     lambda f: ("HEAD", f"/v2/{f.repo}/manifests/{f.digest}", None, {}), 200),
    ("manifest PUT new tag", "create", manifest_put(lambda f: "v2"), 201),
    ("manifest PUT moves a tag", "update", manifest_put(lambda f: "v1"), 201),
    ("manifest PUT same digest to its tag", "update", manifest_put(lambda f: "v1", "manifest"), 201),
    ("manifest PUT digest", "create", manifest_put(lambda f: sha256(f.other)), 201),
    ("manifest PUT digest ?tag=new", "create", manifest_put(lambda f: sha256(f.other),
                                                            query="?tag=v9"), 201),
    ("manifest PUT digest ?tag=existing", "update", manifest_put(lambda f: sha256(f.other),
                                                                 query="?tag=v1"), 201),
    ("manifest DELETE tag", "delete", lambda f: ("DELETE", f"/v2/{f.repo}/manifests/v1", None, {}),
     202),
    ("manifest DELETE digest", "delete",
     lambda f: ("DELETE", f"/v2/{f.repo}/manifests/{f.digest}", None, {}), 202),
    ("blob GET", "read", lambda f: ("GET", f"/v2/{f.repo}/blobs/{f.layer}", None, {}), 200),
    ("blob HEAD", "read", lambda f: ("HEAD", f"/v2/{f.repo}/blobs/{f.layer}", None, {}), 200),
    ("blob DELETE", "delete", lambda f: ("DELETE", f"/v2/{f.repo}/blobs/{f.layer}", None, {}), 202),
    ("upload POST", "create", lambda f: ("POST", f"/v2/{f.repo}/blobs/uploads/", None, {}), 202),
    ("upload POST monolithic", "create",
     lambda f: ("POST", f"/v2/{f.repo}/blobs/uploads/?digest={sha256(f.new_blob)}", f.new_blob,
                {"Content-Type": "application/octet-stream"}), 201),
    ("upload PATCH", "create", lambda f: ("PATCH", f.session, f.new_blob,
                                          {"Content-Type": "application/octet-stream"}), 202),
    ("upload PUT", "create",
     lambda f: ("PUT", f"{f.session}?digest={sha256(f.new_blob)}", f.new_blob,
                {"Content-Type": "application/octet-stream"}), 201),
    ("upload GET", "create", lambda f: ("GET", f.session, None, {}), 204),
    ("upload DELETE", "create", lambda f: ("DELETE", f.session, None, {}), 204),
    ("referrers", "read", lambda f: ("GET", f"/v2/{f.repo}/referrers/{f.digest}", None, {}), 200),
    # A mount also needs read on the source. The user holding only create gets a plain upload
    # session instead (202), which tells nothing about the source.
    ("mount from another repository", "create", mount_request,
     {"holding": 202, "anonymous policy": 201, "admin": 201}),
]

COLUMNS = ("no credentials", "wrong password", "unknown user", "lacking", "holding",
           "anonymous policy", "admin")

MATRIX_USERS = ["admin"] + [f"only-{a}" for a in ACTIONS] + [f"no-{a}" for a in ACTIONS]

MATRIX_CONFIG = {"http": {"realm": REALM, "accessControl": {
    "repositories": {
        "private/**": {"policies": [{"users": [f"only-{a}"], "actions": [a]} for a in ACTIONS]
                       + [{"users": [f"no-{a}"], "actions": [b for b in ACTIONS if b != a]}
                          for a in ACTIONS]},
        "public/**": {"anonymousPolicy": list(ACTIONS)},
    },
    "adminPolicy": {"users": ["admin"], "actions": list(ACTIONS)},
}}}


def slug(text):
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def authorization_for(column, action):
    return {
        "no credentials": None,
        "wrong password": basic(f"only-{action}", "not-the-password"),
        "unknown user": basic("nobody-here", "whatever"),
        "lacking": basic(f"no-{action}", password_of(f"no-{action}")),
        "holding": basic(f"only-{action}", password_of(f"only-{action}")),
        "anonymous policy": None,
        "admin": basic("admin", password_of("admin")),
    }[column]


class AuthTest(unittest.TestCase):
    def assertChallenge(self, response):
        self.assertEqual(response.status, 401, response)
        self.assertEqual(response.header("WWW-Authenticate"), f'Basic realm="{REALM}"', response)
        if response.method != "HEAD":
            self.assertIn("UNAUTHORIZED", response.codes(), response)

    def assertDenied(self, response):
        self.assertEqual(response.status, 403, response)
        self.assertIsNone(response.header("WWW-Authenticate"), response)
        if response.method != "HEAD":
            self.assertIn("DENIED", response.codes(), response)


class Matrix(AuthTest):
    @classmethod
    def setUpClass(cls):
        users = {user: password_of(user) for user in MATRIX_USERS}
        cls.berth = cls.enterClassContext(Berth(config=MATRIX_CONFIG, users=users))
        cls.admin = user_client(cls.berth, "admin")

    def cell(self, name, action, build, allowed, column):
        namespace = "public" if column == "anonymous policy" else "private"
        base = f"{namespace}/{slug(name)}/{slug(column)}"
        fixture = Fixture(self.admin, f"{base}/target")
        if build is mount_request:
            fixture.mount = self.admin.push_blob(f"{base}/source", b"mounted " + base.encode())
        before = state(self.admin, fixture)
        method, path, body, headers = build(fixture)
        client = Client(self.berth.port, authorization_for(column, action))
        response = client.request(method, path, body, headers)
        if column in ("no credentials", "wrong password", "unknown user"):
            self.assertChallenge(response)
        elif column == "lacking":
            self.assertDenied(response)
        else:
            expected = allowed.get(column) if isinstance(allowed, dict) else allowed
            self.assertEqual(response.status, expected, response)
            return
        self.assertEqual(state(self.admin, fixture), before, "a refused request changed something")

    def test_every_endpoint_for_every_principal(self):
        for name, action, build, allowed in ENDPOINTS:
            for column in COLUMNS:
                with self.subTest(endpoint=name, principal=column):
                    self.cell(name, action, build, allowed, column)

    def test_base_endpoint(self):
        """/v2/ challenges every request without valid credentials, even where anonymous access
        exists (zot#1917, see Policies.test_v2_with_anonymous_and_private_repositories)."""
        for column in COLUMNS:
            with self.subTest(principal=column):
                response = Client(self.berth.port, authorization_for(column, "read")).request(
                    "GET", "/v2/")
                if column in ("no credentials", "wrong password", "unknown user",
                              "anonymous policy"):
                    self.assertChallenge(response)
                else:
                    self.assertEqual(response.status, 200, response)
                    self.assertEqual(response.body, b"{}")

    def test_empty_basic_credentials_count_as_anonymous(self):
        """containers/image sends `Basic Og==` (":") when it holds no credentials."""
        fixture = Fixture(self.admin, "public/empty-basic/target")
        client = Client(self.berth.port, "Basic Og==")
        self.assertEqual(client.request("GET", f"/v2/{fixture.repo}/manifests/v1").status, 200)
        self.assertChallenge(client.request("GET", "/v2/private/empty-basic/tags/list"))

    def test_malformed_and_repeated_authorization_is_refused(self):
        good = basic("admin", password_of("admin"))
        for header in ("Bearer abc", "Basic", "Basic !!!!", basic("admin", "")[:-1],
                       "Basic " + base64.b64encode(b"no-colon").decode()):
            with self.subTest(header=header):
                response = Client(self.berth.port, header).request("GET", "/v2/")
                self.assertChallenge(response)
        conn = http.client.HTTPConnection("127.0.0.1", self.berth.port, timeout=30)
        conn.putrequest("GET", "/v2/")
        conn.putheader("Authorization", good)
        conn.putheader("Authorization", good)
        conn.endheaders()
        response = conn.getresponse()
        response.read()
        conn.close()
        self.assertEqual(response.status, 401)


POLICY_USERS = ["alice", "carol", "dev1", "dev2", "op1", "m-both", "m-create", "m-read"]

POLICY_CONFIG = {"http": {"realm": REALM, "accessControl": {
    "groups": {"devs": {"users": ["dev1", "dev2"]}, "ops": {"users": ["op1"]}},
    "repositories": {
        "**": {"anonymousPolicy": ["read"], "defaultPolicy": ["read"]},
        "private/**": {"policies": [{"users": ["alice"], "actions": ["read", "create"]}]},
        "team/*": {"policies": [{"groups": ["devs"], "actions": ["read", "create", "update"]}]},
        "team/special": {"policies": [{"users": ["alice"], "actions": ["read", "create"]}]},
        "shared/**": {"defaultPolicy": ["read", "create"]},
        "mount/target/**": {"policies": [{"users": ["m-both", "m-create"], "actions": ["create"]}]},
        "mount/source/**": {"policies": [{"users": ["m-both", "m-read"], "actions": ["read"]}]},
    },
    "adminPolicy": {"groups": ["ops"], "actions": list(ACTIONS)},
}}}


class Policies(AuthTest):
    @classmethod
    def setUpClass(cls):
        users = {user: password_of(user) for user in POLICY_USERS}
        cls.berth = cls.enterClassContext(Berth(config=POLICY_CONFIG, users=users))
        cls.admin = user_client(cls.berth, "op1")

    def attempt(self, user, action, repo):
        """'ok' when the request got past access control, else its status (401, 403)."""
        client = user_client(self.berth, user) if user else Client(self.berth.port)
        if action == "read":
            response = client.request("GET", f"/v2/{repo}/tags/list")
        elif action == "create":
            response = client.request("POST", f"/v2/{repo}/blobs/uploads/")
        elif action == "update":
            fixture = Fixture(self.admin, repo)
            response = client.request("PUT", f"/v2/{repo}/manifests/v1", fixture.other,
                                      {"Content-Type": OCI_MANIFEST})
        else:
            response = client.request("DELETE", f"/v2/{repo}/manifests/{sha256(b'x')}")
        return response.status if response.status in (401, 403) else "ok"

    def check(self, cases):
        for user, action, repo, expected in cases:
            with self.subTest(user=user, action=action, repo=repo):
                self.assertEqual(self.attempt(user, action, repo), expected)

    def test_doublestar_globs_and_the_most_specific_match(self):
        self.check([
            # private/** reaches any depth and, being more specific than **, takes away the
            # read that ** gives everyone.
            ("alice", "create", "private/a", "ok"),
            ("alice", "create", "private/a/b/c", "ok"),
            ("carol", "read", "private/a/b", 403),
            (None, "read", "private/a", 401),
            # team/* is one segment deep: team/app/sub falls back to **.
            ("dev1", "create", "team/app", "ok"),
            ("dev1", "create", "team/app/sub", 403),
            ("dev1", "read", "team/app/sub", "ok"),
            # team/special beats team/*, so the devs group has nothing there.
            ("dev1", "read", "team/special", 403),
            ("alice", "create", "team/special", "ok"),
            (None, "read", "elsewhere/x", "ok"),
            (None, "create", "elsewhere/x", 401),
        ])

    def test_groups_default_policy_and_admin_policy(self):
        self.check([
            ("dev2", "update", "team/web", "ok"),
            ("dev2", "delete", "team/web", 403),
            ("carol", "update", "team/web", 403),
            ("carol", "create", "shared/x/y", "ok"),
            ("carol", "delete", "shared/x/y", 403),
            (None, "create", "shared/x", 401),
            # defaultPolicy on ** is for authenticated users; anonymousPolicy for the others.
            ("carol", "read", "anything", "ok"),
            ("carol", "create", "anything", 403),
            # adminPolicy by group: whatever the repository's own policy says.
            ("op1", "delete", "team/special", "ok"),
            ("op1", "update", "private/z", "ok"),
        ])

    def test_mount_needs_read_on_the_source(self):
        blob = b"a blob to mount"
        digest = self.admin.push_blob("mount/source/base", blob)
        query = f"?mount={digest}&from=mount/source/base"
        cases = [("m-both", "mount/target/both", 201), ("m-create", "mount/target/create", 202),
                 ("m-read", "mount/target/read", 403), (None, "mount/target/anon", 401)]
        for user, target, expected in cases:
            with self.subTest(user=user):
                client = user_client(self.berth, user) if user else Client(self.berth.port)
                response = client.request("POST", f"/v2/{target}/blobs/uploads/{query}")
                self.assertEqual(response.status, expected, response)
                present = self.admin.request("HEAD", f"/v2/{target}/blobs/{digest}").status
                self.assertEqual(present, 200 if expected == 201 else 404)

    def test_catalog_lists_only_readable_repositories(self):
        names = ["open/cat-a", "private/cat-b", "shared/cat-c", "team/cat-d", "team/special"]
        for repo in names:
            self.admin.push_blob(repo, b"catalog " + repo.encode())
        expected = {
            "op1": names,
            "alice": ["open/cat-a", "private/cat-b", "shared/cat-c", "team/special"],
            "dev1": ["open/cat-a", "shared/cat-c", "team/cat-d"],
            "carol": ["open/cat-a", "shared/cat-c"],
            None: ["open/cat-a"],
        }
        for user, readable in expected.items():
            with self.subTest(user=user):
                client = user_client(self.berth, user) if user else Client(self.berth.port)
                listed = self.catalog(client, "/v2/_catalog")
                self.assertEqual([name for name in listed if name in names], readable)
                # Pages count readable names only, and each Link leads to the rest.
                paged, path = [], "/v2/_catalog?n=1"
                while path:
                    response = client.request("GET", path)
                    page = response.json()["repositories"]
                    self.assertLessEqual(len(page), 1)
                    paged += page
                    link = response.header("Link")
                    path = link[1:link.index(">")] if link else None
                self.assertEqual(paged, listed)
        self.assertChallenge(Client(self.berth.port, basic("carol", "wrong")).request(
            "GET", "/v2/_catalog"))

    def catalog(self, client, path):
        response = client.request("GET", path)
        self.assertEqual(response.status, 200, response)
        return response.json()["repositories"]

    def test_v2_with_anonymous_and_private_repositories(self):
        """zot#1917: Docker and containers/image only send the credentials they hold once a
        request has been challenged, and they ask /v2/ first. Zot answers 200 to anonymous
        clients (401 to Docker's user agent only) when anonymous access exists somewhere; berth
        challenges every anonymous /v2/ whenever authentication is on, whatever the user agent,
        and lets anonymous requests through on the repositories that allow them. Clients
        without credentials go on anonymously after the challenge."""
        for agent in ("docker/24.0.7 go/go1.20.10", "containers/5.29 (github.com/containers/image)",
                      "curl/7.88.1"):
            with self.subTest(agent=agent):
                response = Client(self.berth.port).request("GET", "/v2/", headers={
                    "User-Agent": agent})
                self.assertChallenge(response)
        self.assertEqual(user_client(self.berth, "carol").request("GET", "/v2/").status, 200)
        if not shutil.which("skopeo"):
            self.skipTest("skopeo is not installed")
        with tempfile.TemporaryDirectory(prefix="berth-auth-skopeo-") as work:
            Skopeo(work, self.berth.url).stored_credentials_flow(self)


class Skopeo:
    """skopeo with its own policy, registries.conf and auth file (credentials stored by
    `skopeo login`, as `docker login` or `podman login` store them)."""

    def __init__(self, work, registry):
        self.work, self.registry = work, registry
        self.auth_file = os.path.join(work, "auth.json")
        self.policy = os.path.join(work, "policy.json")
        self.registries = os.path.join(work, "registries.conf")
        with open(self.policy, "w") as f:
            json.dump({"default": [{"type": "insecureAcceptAnything"}]}, f)
        with open(self.registries, "w") as f:
            f.write(f'[[registry]]\nlocation = "{registry}"\ninsecure = true\n')
        self.layout = os.path.join(work, "layout")
        write_layout(self.layout)

    def run(self, *args, stdin=None, check=True):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.work,
               "TMPDIR": self.work, "REGISTRY_AUTH_FILE": self.auth_file}
        result = subprocess.run(["skopeo", "--registries-conf", self.registries, "--policy",
                                 self.policy, *args], env=env, input=stdin, capture_output=True,
                                timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"skopeo {' '.join(args)}: {result.stderr.decode()}")
        return result

    def stored_credentials_flow(self, test):
        private, public = f"{self.registry}/private/skopeo:v1", f"{self.registry}/open/skopeo:v1"
        refused = self.run("copy", "--quiet", "--dest-tls-verify=false", f"oci:{self.layout}:v1",
                           f"docker://{private}", check=False)
        test.assertNotEqual(refused.returncode, 0, "pushed to a private repository anonymously")
        self.run("login", "--tls-verify=false", "-u", "alice", "--password-stdin", self.registry,
                 stdin=password_of("alice").encode())
        self.run("copy", "--quiet", "--dest-tls-verify=false", f"oci:{self.layout}:v1",
                 f"docker://{private}")
        raw = self.run("inspect", "--raw", "--tls-verify=false", f"docker://{private}").stdout
        test.assertEqual(json.loads(raw)["schemaVersion"], 2)
        admin = user_client_for_registry(self.registry, "op1")
        pushed = admin.request("GET", "/v2/private/skopeo/manifests/v1",
                               headers={"Accept": OCI_MANIFEST})
        for blob in json.loads(pushed.body)["layers"] + [json.loads(pushed.body)["config"]]:
            data = admin.request("GET", f"/v2/private/skopeo/blobs/{blob['digest']}").body
            admin.push_blob("open/skopeo", data)
        admin.push_manifest("open/skopeo", "v1", pushed.body)
        self.run("logout", self.registry)
        anonymous = self.run("inspect", "--raw", "--tls-verify=false", f"docker://{public}").stdout
        test.assertEqual(anonymous, pushed.body)


def user_client_for_registry(registry, user):
    return Client(int(registry.rsplit(":", 1)[1]), basic(user, password_of(user)))


def write_layout(path):
    """A one-layer OCI image layout tagged v1."""
    blobs = os.path.join(path, "blobs", "sha256")
    os.makedirs(blobs)

    def blob(data):
        digest = sha256(data)
        with open(os.path.join(blobs, digest.split(":", 1)[1]), "wb") as f:
            f.write(data)
        return digest

    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    layer = os.urandom(512)
    manifest = image_manifest(descriptor(OCI_CONFIG, config, blob(config)),
                              [descriptor("application/vnd.oci.image.layer.v1.tar", layer,
                                          blob(layer))])
    index = {"schemaVersion": 2, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": blob(manifest), "size": len(manifest),
         "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}
    with open(os.path.join(path, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(path, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


class AuthOffAnonymousPolicy(AuthTest):
    def test_access_control_without_authentication(self):
        """Without htpasswd only anonymousPolicy applies: what it does not grant is refused."""
        config = {"http": {"realm": REALM, "accessControl": {"repositories": {
            "**": {"anonymousPolicy": ["read"]}, "drop/**": {"anonymousPolicy": ["read", "create"]}}}}}
        with Berth(config=config) as berth:
            client = Client(berth.port)
            self.assertEqual(client.request("GET", "/v2/").status, 200)
            self.assertEqual(client.push_blob("drop/box", b"dropped"), sha256(b"dropped"))
            self.assertEqual(client.request("GET", f"/v2/drop/box/blobs/{sha256(b'dropped')}").body,
                             b"dropped")
            self.assertChallenge(client.request("POST", "/v2/other/box/blobs/uploads/"))
            self.assertChallenge(client.request("DELETE", f"/v2/drop/box/blobs/{sha256(b'x')}"))


# ---- htpasswd ------------------------------------------------------------------------------

def openssl_passwd(flag, password):
    return subprocess.run(["openssl", "passwd", flag, password], check=True, capture_output=True,
                          text=True).stdout.strip()


def htpasswd_flag(flag, user, password):
    return subprocess.run(["htpasswd", "-nb", flag, user, password], check=True,
                          capture_output=True, text=True).stdout.strip()


class Htpasswd(AuthTest):
    def test_bcrypt_and_sha_crypt_are_accepted(self):
        bcrypt = bcrypt_line("b2y", password_of("b2y")).split(":", 1)[1]
        self.assertTrue(bcrypt.startswith("$2y$"))
        lines = {
            "b2y": bcrypt,
            # The same bcrypt with the older prefixes: identical for ASCII passwords.
            "b2a": bcrypt_line("b2a", password_of("b2a")).split(":", 1)[1].replace("$2y$", "$2a$"),
            "b2b": bcrypt_line("b2b", password_of("b2b")).split(":", 1)[1].replace("$2y$", "$2b$"),
            "sha256": openssl_passwd("-5", password_of("sha256")),
            "sha512": openssl_passwd("-6", password_of("sha512")),
        }
        with tempfile.TemporaryDirectory(prefix="berth-auth-") as work:
            path = os.path.join(work, "htpasswd")
            with open(path, "w") as f:
                f.write("# comment\n\n" + "".join(f"{u}:{h}\n" for u, h in lines.items()))
            config = {"http": {"realm": REALM, "auth": {"htpasswd": {"path": path}}}}
            with Berth(config=config) as berth:
                for user in lines:
                    with self.subTest(user=user):
                        self.assertEqual(user_client(berth, user).request("GET", "/v2/").status,
                                         200)
                        wrong = Client(berth.port, basic(user, password_of(user) + "x"))
                        self.assertChallenge(wrong.request("GET", "/v2/"))

    def test_other_hash_kinds_are_refused_at_load_with_the_line_number(self):
        good = bcrypt_line("good", "pw")
        refused = {
            "apr1": openssl_passwd("-apr1", "pw"),
            "md5-crypt": openssl_passwd("-1", "pw"),
            "sha1": htpasswd_flag("-s", "x", "pw").split(":", 1)[1],
            "des-crypt": htpasswd_flag("-d", "x", "pw").split(":", 1)[1],
            "plain": "pw",
        }
        for kind, hash_text in refused.items():
            with self.subTest(kind=kind), tempfile.TemporaryDirectory() as work:
                path = os.path.join(work, "htpasswd")
                with open(path, "w") as f:
                    f.write(f"{good}\n# users below\n{kind}:{hash_text}\n")
                berth = Berth(config={"http": {"auth": {"htpasswd": {"path": path}}}})
                try:
                    with self.assertRaises(RuntimeError) as failed:
                        berth.start()
                    message = str(failed.exception) + berth.log_text() if os.path.exists(
                        berth.log_path) else str(failed.exception)
                    self.assertIn("line 3", message)
                    self.assertIn(kind, message)
                finally:
                    berth.__exit__(None, None, None)

    def test_file_reloaded_while_berth_runs(self):
        with Berth(config={"http": {"realm": REALM}}, users={"alice": password_of("alice")}) as b:
            path = b.config["http"]["auth"]["htpasswd"]["path"]
            alice = user_client(b, "alice")
            self.assertEqual(alice.request("GET", "/v2/").status, 200)
            self.assertChallenge(user_client(b, "bob").request("GET", "/v2/"))
            # A user added by replacing the file (what editors and `mv` do).
            replace_file(path, bcrypt_line("alice", password_of("alice")) + "\n"
                         + bcrypt_line("bob", password_of("bob")) + "\n")
            self.wait_for(b, "bob", password_of("bob"), 200)
            self.assertEqual(alice.request("GET", "/v2/").status, 200)
            # A password changed in place (what `htpasswd -b file user pw` does): the old one,
            # although it was verified and remembered, stops working.
            with open(path, "w") as f:
                f.write(bcrypt_line("alice", "a-new-password") + "\n"
                        + bcrypt_line("bob", password_of("bob")) + "\n")
            self.wait_for(b, "alice", "a-new-password", 200)
            self.assertChallenge(alice.request("GET", "/v2/"))
            # A broken file is not loaded: the users stay as they were.
            with open(path, "a") as f:
                f.write("mallory:$apr1$abcdefgh$0123456789abcdefghijkl\n")
            deadline = time.monotonic() + RELOAD_DEADLINE
            while "not reloaded" not in b.log_text() and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertIn("line 3", [line for line in b.log_lines()
                                     if line.get("msg", "").startswith("htpasswd file not")][-1]
                          ["error"])
            self.assertEqual(Client(b.port, basic("bob", password_of("bob"))).request(
                "GET", "/v2/").status, 200)
            # A removed user is refused.
            replace_file(path, bcrypt_line("alice", "a-new-password") + "\n")
            self.wait_for(b, "bob", password_of("bob"), 401)

    def wait_for(self, berth, user, password, status):
        client = Client(berth.port, basic(user, password))
        deadline = time.monotonic() + RELOAD_DEADLINE
        while True:
            response = client.request("GET", "/v2/")
            if response.status == status or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(response.status, status, response)


def replace_file(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.rename(path + ".new", path)


# ---- failDelay, failure limit, rate limits -------------------------------------------------

class Throttling(AuthTest):
    def test_fail_delay_runs_on_a_timer(self):
        """A failed login is answered failDelay seconds later; meanwhile other clients are
        served, on the same berth thread. As in Zot, a refusal of a known user (403) waits too,
        a request without credentials does not."""
        delay = 3
        config = {"http": {"realm": REALM, "auth": {"failDelay": delay}, "accessControl": {
            "repositories": {"**": {"defaultPolicy": ["read"]}}}}}
        with Berth(config=config, users={"alice": password_of("alice")}) as berth:
            alice = user_client(berth, "alice")
            self.assertEqual(alice.request("GET", "/v2/").status, 200)  # now remembered
            wrong = http.client.HTTPConnection("127.0.0.1", berth.port, timeout=60)
            sent = time.monotonic()
            wrong.request("GET", "/v2/", headers={"Authorization": basic("alice", "nope")})
            served = [alice.request("GET", "/v2/").status for _ in range(5)]
            pending = not select.select([wrong.sock], [], [], 0)[0]
            response = wrong.getresponse()
            elapsed = time.monotonic() - sent
            response.read()
            wrong.close()
            self.assertEqual(served, [200] * 5)
            self.assertTrue(pending, "the failed login was answered before the others")
            self.assertEqual(response.status, 401)
            self.assertGreaterEqual(elapsed, delay)
            sent = time.monotonic()
            self.assertDenied(alice.request("POST", "/v2/repo/blobs/uploads/"))
            self.assertGreaterEqual(time.monotonic() - sent, delay)

    def test_failed_logins_are_limited_per_client_address(self):
        with Berth(config={"http": {"realm": REALM}},
                   users={"alice": password_of("alice"), "bob": password_of("bob")}) as berth:
            attacker = "127.2.0.1"
            remembered = user_client(berth, "alice", source=attacker)
            self.assertEqual(remembered.request("GET", "/v2/").status, 200)
            for attempt in range(FAILURES_MAX):
                response = Client(berth.port, basic("alice", f"guess-{attempt}"),
                                  attacker).request("GET", "/v2/")
                self.assertChallenge(response)
            for client in (Client(berth.port, basic("alice", "guess-x"), attacker),
                           user_client(berth, "bob", source=attacker)):
                response = client.request("GET", "/v2/")
                self.assertEqual(response.status, 429, response)
                self.assertIn("TOOMANYREQUESTS", response.codes())
                self.assertGreater(int(response.header("Retry-After")), 0)
            # Credentials verified before go on working from there; other addresses are not
            # concerned.
            self.assertEqual(remembered.request("GET", "/v2/").status, 200)
            self.assertEqual(user_client(berth, "bob").request("GET", "/v2/").status, 200)

    def test_guesses_sent_at_once_count_at_once(self):
        with Berth(config={"http": {"realm": REALM}}, users={"alice": password_of("alice")}) as b:
            statuses = [None] * 3 * FAILURES_MAX

            def guess(i):
                client = Client(b.port, basic("alice", f"at-once-{i}"), "127.2.0.2")
                statuses[i] = client.request("GET", "/v2/").status

            threads = [threading.Thread(target=guess, args=(i,)) for i in range(len(statuses))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.assertLessEqual(statuses.count(401), FAILURES_MAX, statuses)
            self.assertEqual(len(statuses), sum(statuses.count(s) for s in (401, 429, 503)))

    def test_rate_limits(self):
        config = {"http": {"ratelimit": {"rate": 5, "methods": [{"method": "GET", "rate": 1}]}}}
        with Berth(config=config) as berth:
            getter = Client(berth.port, source="127.3.0.1")
            gets = [getter.request("GET", "/v2/") for _ in range(10)]
            self.assertEqual(gets[0].status, 200)
            self.assertIn(429, [r.status for r in gets])
            self.assertIn("TOOMANYREQUESTS", [r for r in gets if r.status == 429][0].codes())
            header = Client(berth.port, source="127.3.0.2")
            heads = [header.request("HEAD", "/v2/") for _ in range(40)]
            self.assertEqual([r.status for r in heads[:5]], [200] * 5)
            limited = [r for r in heads if r.status == 429]
            self.assertTrue(limited, "the global rate did not apply to HEAD")
            self.assertGreater(int(limited[0].header("Retry-After")), 0)
            self.assertEqual(Client(berth.port, source="127.3.0.3").request("GET", "/v2/").status,
                             200)


# ---- secrets stay out of logs and files ----------------------------------------------------

class NoSecretsInLogs(AuthTest):
    def test_passwords_and_tokens_are_never_written(self):
        users = {"alice": "Alice-Secret-7f3e9a", "bob": "Bob-Secret-51c0d2"}
        wrong = ["Wrong-Guess-aa11bb", "Wrong-Guess-cc22dd", "Unknown-User-ee33ff"]
        config = {"log": {"level": "debug"}, "http": {"realm": REALM, "auth": {"failDelay": 0}}}
        with Berth(config=config, users=users) as berth:
            secrets = list(users.values()) + wrong
            tokens = []
            for user, password in list(users.items()) + [("alice", wrong[0]), ("bob", wrong[1]),
                                                        ("nobody", wrong[2])]:
                header = basic(user, password)
                tokens.append(header.split(" ", 1)[1])
                client = Client(berth.port, header)
                client.request("GET", "/v2/")
                client.request("POST", "/v2/secret/repo/blobs/uploads/")
                client.request("GET", "/v2/secret/repo/tags/list")
            alice = Client(berth.port, basic("alice", users["alice"]))
            alice.push_blob("secret/repo", b"some data")
            alice.request("GET", f"/v2/secret/repo/blobs/{sha256(b'some data')}")
            berth.stop()
            written = {}
            for path in [berth.log_path, os.path.join(berth.dir, "stdout"),
                         os.path.join(berth.dir, "stderr")] + files_under(berth.root):
                with open(path, "rb") as f:
                    written[path] = f.read()
            self.assertIn(b"secret/repo", written[berth.log_path])  # requests were logged
            for secret in secrets + tokens:
                for path, data in written.items():
                    self.assertNotIn(secret.encode(), data, f"{secret} found in {path}")


def files_under(root):
    found = []
    for directory, _, names in os.walk(root):
        found += [os.path.join(directory, name) for name in names]
    return found


if __name__ == "__main__":
    berth_binary()
    unittest.main()
