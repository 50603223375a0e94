"""The web UI (extensions.ui) against the built berth over real sockets.

* Assets: every file of src/ext/ui is served byte for byte with its content type, a strong
  ETag (If-None-Match → 304, also for a weak W/ tag), Cache-Control, a gzip form for clients
  that take it, HEAD without a body; `/` redirects to /ui/; nothing shadows /v2/, /metrics or
  the health checks. The security headers: the exact Content-Security-Policy, nosniff,
  no-referrer; index.html has no inline script or style.
* Login: /zot/auth/login checks Basic credentials through the same authentication as any
  request (failures are counted per address and throttled) and sets an HttpOnly, SameSite=Strict
  session cookie (Secure behind an https proxy); logout ends the session; the cookie stops
  working when the user's password changes. The session id never reaches the log.
* The cookie is the user for /v2/ and search and obeys access control; a cookie-authenticated
  change without the X-ZOT-API-CLIENT header is refused (CSRF), with it allowed.
* A manifest read by the UI is not counted as a pull.
* With extensions.ui off nothing of it is served.
"""

import base64
import gzip
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Berth, SOURCE_ROOT, bcrypt_line  # noqa: E402
from oci import (Client, OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, descriptor,  # noqa: E402
                 image_manifest, sha256)

UI_DIR = os.path.join(SOURCE_ROOT, "src", "ext", "ui")
UI_FILES = sorted(name for name in os.listdir(UI_DIR) if not name.endswith(".py"))
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
UI = {"X-ZOT-API-CLIENT": "zot-ui"}
USERS = {"alice": "alice-pw", "bob": "bob-pw"}
ACCESS = {"repositories": {
    "**": {"policies": [{"users": ["alice"], "actions": ["read", "create", "update", "delete"]}]},
    "public/**": {"policies": [{"users": ["alice"],
                                "actions": ["read", "create", "update", "delete"]}],
                  "defaultPolicy": ["read"]}}}
ON = {"extensions": {"search": {"enable": True}, "ui": {"enable": True},
                     "metrics": {"enable": True}}}
REPO_QUERY = '{"query": "{RepoListWithNewestImage {Results {Name}}}"}'


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def url_of(name):
    return "/ui/" if name == "index.html" else "/ui/" + name


def session_cookie(response):
    header = response.header("Set-Cookie") or ""
    match = re.match(r"berth_session=([^;]*)", header)
    return match.group(1) if match else None


class AssetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.berth = Berth(config=ON).start()
        cls.client = Client(cls.berth.port)

    @classmethod
    def tearDownClass(cls):
        cls.berth.__exit__(None, None, None)

    def get(self, path, headers=None, method="GET"):
        return self.client.request(method, path, headers=headers)

    def check_security_headers(self, response):
        self.assertEqual(response.header("Content-Security-Policy"), CSP)
        self.assertEqual(response.header("X-Content-Type-Options"), "nosniff")
        self.assertEqual(response.header("Referrer-Policy"), "no-referrer")

    def test_every_file_is_served_as_it_is(self):
        types = {".html": "text/html", ".css": "text/css", ".js": "text/javascript",
                 ".svg": "image/svg+xml"}
        total = 0
        for name in UI_FILES:
            with open(os.path.join(UI_DIR, name), "rb") as f:
                data = f.read()
            total += len(data)
            response = self.get(url_of(name))
            self.assertEqual(response.status, 200, name)
            self.assertEqual(response.body, data, name)
            self.assertTrue(response.header("Content-Type").startswith(
                types[os.path.splitext(name)[1]]), name)
            self.assertRegex(response.header("ETag"), r'^"[0-9a-f]{32}"$', name)
            self.assertEqual(response.header("Cache-Control"), "no-cache", name)
            self.check_security_headers(response)
        self.assertEqual(self.get("/ui/index.html").body, self.get("/ui/").body)
        # The README states the size; it must follow the files.
        print(f"web UI: {len(UI_FILES)} files, {total} bytes", file=sys.stderr)
        with open(os.path.join(SOURCE_ROOT, "README.md")) as f:
            self.assertIn(f"{total / 1000:.1f} KB in {len(UI_FILES)} files", f.read())

    def test_etag_and_conditional_requests(self):
        first = self.get("/ui/app.js")
        etag = first.header("ETag")
        for tag in (etag, "W/" + etag, f'"other", {etag}', "*"):
            again = self.get("/ui/app.js", {"If-None-Match": tag})
            self.assertEqual(again.status, 304, tag)
            self.assertEqual(again.body, b"")
            self.assertEqual(again.header("ETag"), etag)
            self.check_security_headers(again)
        self.assertEqual(self.get("/ui/app.js", {"If-None-Match": '"other"'}).status, 200)
        # Another file has another tag.
        self.assertNotEqual(self.get("/ui/style.css").header("ETag"), etag)

    def test_gzip_when_accepted(self):
        plain = self.get("/ui/views.js")
        packed = self.get("/ui/views.js", {"Accept-Encoding": "br, gzip"})
        self.assertEqual(packed.header("Content-Encoding"), "gzip")
        self.assertEqual(packed.header("Vary"), "Accept-Encoding")
        self.assertEqual(gzip.decompress(packed.body), plain.body)
        self.assertLess(len(packed.body), len(plain.body))
        self.assertNotEqual(packed.header("ETag"), plain.header("ETag"))
        self.assertEqual(self.get("/ui/views.js", {
            "Accept-Encoding": "gzip", "If-None-Match": packed.header("ETag")}).status, 304)
        refused = self.get("/ui/views.js", {"Accept-Encoding": "gzip;q=0"})
        self.assertIsNone(refused.header("Content-Encoding"))
        self.assertEqual(refused.body, plain.body)

    def test_head_redirect_and_errors(self):
        head = self.get("/ui/", method="HEAD")
        self.assertEqual(head.status, 200)
        self.assertEqual(head.body, b"")
        self.assertEqual(int(head.header("Content-Length")), len(self.get("/ui/").body))
        for path in ("/", "/ui"):
            moved = self.get(path)
            self.assertEqual(moved.status, 302, path)
            self.assertEqual(moved.header("Location"), "/ui/")
        missing = self.get("/ui/nope.js")
        self.assertEqual(missing.status, 404)
        self.check_security_headers(missing)
        self.assertEqual(self.client.request("POST", "/ui/", b"x").status, 405)

    def test_no_inline_script_or_style(self):
        page = self.get("/ui/").body.decode()
        scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.S)
        self.assertTrue(scripts)
        self.assertEqual([s for s in scripts if s.strip()], [])
        self.assertNotIn("<style", page)
        self.assertIsNone(re.search(r"\sstyle=", page))
        self.assertIsNone(re.search(r"\son[a-z]+=", page))
        for name in UI_FILES:
            if name.endswith(".js"):
                with open(os.path.join(UI_DIR, name)) as f:
                    self.assertNotIn("innerHTML", f.read(), name)

    def test_registry_routes_are_not_shadowed(self):
        self.assertEqual(self.get("/v2/").status, 200)
        self.assertEqual(self.get("/livez").body, b"ok")
        self.assertEqual(self.get("/metrics").status, 200)
        self.assertEqual(self.get("/v2/_catalog").status, 200)
        self.assertEqual(self.get("/v2/ui/tags/list").status, 404)
        # Without authentication the UI is told so and the session says nobody.
        mgmt = self.get("/v2/_zot/ext/mgmt").json()
        self.assertNotIn("auth", mgmt["http"])
        self.assertEqual(self.get("/zot/auth/session").json(), {"user": ""})
        self.assertEqual(self.client.request("POST", "/zot/auth/login", b"",
                                             {**UI, **basic("a", "b")}).status, 404)


class DisabledTest(unittest.TestCase):
    def test_nothing_is_served_with_the_ui_off(self):
        config = {"extensions": {"search": {"enable": True}, "ui": {"enable": False}}}
        with Berth(config=config, users=USERS) as berth:
            client = Client(berth.port)
            for path in ("/", "/ui", "/ui/", "/ui/app.js", "/zot/auth/session"):
                self.assertEqual(client.request("GET", path).status, 404, path)
            login = client.request("POST", "/zot/auth/login", b"", {**UI, **basic(
                "alice", USERS["alice"])})
            self.assertEqual(login.status, 404)
            self.assertIsNone(login.header("Set-Cookie"))


class LoginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        config = {**ON, "http": {"accessControl": ACCESS}}
        cls.berth = Berth(config=config, users=USERS)
        cls.audit = os.path.join(cls.berth.dir, "audit.log")
        cls.berth.config["log"]["audit"] = cls.audit
        cls.berth.start()
        cls.client = Client(cls.berth.port)
        for repo in ("public/app", "private/secret", "private/other"):
            for tag in ("v1", "v2"):
                cls.push(repo, tag)

    @classmethod
    def push(cls, repo, tag):
        # Pushed with Basic credentials, as a registry client would.
        headers = basic("alice", USERS["alice"])

        def blob(data):
            started = cls.client.request("POST", f"/v2/{repo}/blobs/uploads/", b"", headers)
            location = started.header("Location")
            done = cls.client.request("PUT", f"{location}?digest={sha256(data)}", data,
                                      {"Content-Type": "application/octet-stream", **headers})
            assert done.status == 201, done
            return sha256(data)

        config = json.dumps({"os": "linux", "architecture": "amd64",
                             "config": {"Labels": {"tag": tag}}}).encode()
        layer = f"{repo}:{tag}".encode()
        body = image_manifest(descriptor(OCI_CONFIG, config, blob(config)),
                              [descriptor(OCI_LAYER, layer, blob(layer))])
        response = cls.client.request("PUT", f"/v2/{repo}/manifests/{tag}", body,
                                      {"Content-Type": OCI_MANIFEST, **headers})
        assert response.status == 201, response

    @classmethod
    def tearDownClass(cls):
        cls.berth.__exit__(None, None, None)

    def login(self, user, password=None, extra=None):
        headers = {**UI, **basic(user, password or USERS[user]), **(extra or {})}
        return self.client.request("POST", "/zot/auth/login", b"", headers)

    def session(self, user):
        response = self.login(user)
        self.assertEqual(response.status, 200, response)
        cookie = session_cookie(response)
        self.assertRegex(cookie, r"^[0-9a-f]{64}$")
        return {"Cookie": f"berth_session={cookie}"}

    def repos(self, headers):
        response = self.client.request("POST", "/v2/_zot/ext/search", REPO_QUERY.encode(),
                                       {**headers, **UI, "Content-Type": "application/json"})
        if response.status != 200:
            return response.status
        results = response.json()["data"]["RepoListWithNewestImage"]["Results"]
        return sorted(r["Name"] for r in results)

    def test_mgmt_says_authentication_is_on(self):
        self.assertEqual(self.client.request("GET", "/v2/_zot/ext/mgmt").json()["http"]["auth"],
                         {"htpasswd": {}})

    def test_login_sets_a_strict_cookie(self):
        response = self.login("alice")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.json(), {"user": "alice"})
        self.assertEqual(response.header("Cache-Control"), "no-store")
        self.assertEqual(response.header("Content-Security-Policy"), CSP)
        cookie = response.header("Set-Cookie")
        parts = [part.strip() for part in cookie.split(";")]
        self.assertIn("HttpOnly", parts)
        self.assertIn("SameSite=Strict", parts)
        self.assertIn("Path=/", parts)
        self.assertIn("Max-Age=43200", parts)
        self.assertNotIn("Secure", parts)
        behind_proxy = self.login("alice", extra={"X-Forwarded-Proto": "https"})
        self.assertIn("Secure", [p.strip() for p in behind_proxy.header("Set-Cookie").split(";")])
        # Every login is a new session.
        self.assertNotEqual(session_cookie(behind_proxy), session_cookie(response))
        cookie = {"Cookie": "theme=dark; berth_session=" + session_cookie(response)}
        self.assertEqual(self.client.request("GET", "/zot/auth/session", headers=cookie).json(),
                         {"user": "alice"})

    def test_secure_session_overrides_the_proxy_header(self):
        for secure, proxied, expected in ((True, False, True), (False, True, False)):
            config = {**ON, "http": {"accessControl": ACCESS, "auth": {"secureSession": secure}}}
            with Berth(config=config, users=USERS) as berth:
                client = Client(berth.port)
                extra = {"X-Forwarded-Proto": "https"} if proxied else {}
                headers = {**UI, **basic("alice", USERS["alice"]), **extra}
                response = client.request("POST", "/zot/auth/login", b"", headers)
                self.assertEqual(response.status, 200, response)
                parts = [p.strip() for p in response.header("Set-Cookie").split(";")]
                self.assertEqual("Secure" in parts, expected, (secure, proxied, parts))
                logout = client.request("POST", "/zot/auth/logout", b"", headers)
                parts = [p.strip() for p in logout.header("Set-Cookie").split(";")]
                self.assertEqual("Secure" in parts, expected, ("logout", secure, parts))

    def test_logins_are_audited_with_their_user(self):
        self.session("bob")
        with open(self.audit) as f:
            entries = [json.loads(line) for line in f]
        logins = [e for e in entries if e["object"] == "/zot/auth/login"]
        self.assertIn("bob", [e["subject"] for e in logins])
        self.assertEqual({e["status"] for e in logins}, {200})

    def test_refused_logins(self):
        # Without the UI's header (a form another site posts) and without credentials.
        no_header = self.client.request("POST", "/zot/auth/login", b"",
                                        basic("alice", USERS["alice"]))
        self.assertEqual(no_header.status, 403)
        self.assertIsNone(no_header.header("Set-Cookie"))
        bare = self.client.request("POST", "/zot/auth/login", b"", UI)
        self.assertEqual(bare.status, 401)
        wrong = self.login("alice", "wrong")
        self.assertEqual(wrong.status, 401)
        self.assertIsNone(wrong.header("Set-Cookie"))
        # No Basic challenge for the UI, or the browser would show its own dialog.
        self.assertIsNone(wrong.header("WWW-Authenticate"))
        self.assertEqual(self.client.request("GET", "/zot/auth/login").status, 405)

    def test_cookie_obeys_access_control(self):
        alice, bob = self.session("alice"), self.session("bob")
        self.assertEqual(self.repos(alice), ["private/other", "private/secret", "public/app"])
        self.assertEqual(self.repos(bob), ["public/app"])
        self.assertEqual(self.repos({}), 401)
        self.assertEqual(self.repos({"Cookie": "berth_session=" + "0" * 64}), 401)
        self.assertEqual(self.repos({"Cookie": "berth_session=nonsense"}), 401)
        tags = self.client.request("GET", "/v2/private/secret/tags/list", headers=bob)
        self.assertEqual(tags.status, 403)
        self.assertEqual(self.client.request("GET", "/v2/private/secret/tags/list",
                                             headers=alice).json()["tags"], ["v1", "v2"])
        # Credentials in the header win over the cookie.
        both = {**bob, **basic("alice", USERS["alice"])}
        self.assertEqual(self.client.request("GET", "/v2/private/secret/tags/list",
                                             headers=both).status, 200)

    def test_changes_with_the_cookie_need_the_ui_header(self):
        alice, bob = self.session("alice"), self.session("bob")
        path = "/v2/private/other/manifests/v1"
        refused = self.client.request("DELETE", path, headers=alice)
        self.assertEqual(refused.status, 403)
        self.assertIn("X-ZOT-API-CLIENT", refused.body.decode())
        graphql = self.client.request("POST", "/v2/_zot/ext/search", REPO_QUERY.encode(),
                                      {**alice, "Content-Type": "application/json"})
        self.assertEqual(graphql.status, 403)
        self.assertEqual(self.client.request("GET", "/v2/private/other/tags/list",
                                             headers=alice).json()["tags"], ["v1", "v2"])
        self.assertEqual(self.client.request("DELETE", path, headers={**bob, **UI}).status, 403)
        self.assertEqual(self.client.request("DELETE", path, headers={**alice, **UI}).status, 202)
        self.assertEqual(self.client.request("GET", "/v2/private/other/tags/list",
                                             headers=alice).json()["tags"], ["v2"])

    def test_logout_ends_the_session(self):
        alice = self.session("alice")
        self.assertEqual(self.client.request("POST", "/zot/auth/logout", b"", alice).status, 403)
        out = self.client.request("POST", "/zot/auth/logout", b"", {**alice, **UI})
        self.assertEqual(out.status, 200)
        self.assertIn("Max-Age=0", out.header("Set-Cookie"))
        self.assertEqual(session_cookie(out), "")
        self.assertEqual(self.repos(alice), 401)
        self.assertEqual(self.client.request("GET", "/zot/auth/session", headers=alice).json(),
                         {"user": ""})

    def test_ui_reads_are_not_pulls(self):
        alice = self.session("alice")
        query = json.dumps({"query": '{Image(image: "public/app:v2") {DownloadCount}}'})

        def downloads():
            response = self.client.request("POST", "/v2/_zot/ext/search", query.encode(),
                                           {**alice, **UI, "Content-Type": "application/json"})
            return response.json()["data"]["Image"]["DownloadCount"]

        before = downloads()
        for _ in range(2):
            shown = self.client.request("GET", "/v2/public/app/manifests/v2",
                                        headers={**alice, **UI})
            self.assertEqual(shown.status, 200)
        self.assertEqual(downloads(), before)
        pulled = self.client.request("GET", "/v2/public/app/manifests/v2", headers=alice)
        self.assertEqual(pulled.status, 200)
        self.assertEqual(downloads(), before + 1)

    def test_session_id_is_not_logged(self):
        alice = self.session("alice")
        self.repos(alice)
        self.client.request("POST", "/zot/auth/logout", b"", {**alice, **UI})
        self.assertNotIn(alice["Cookie"].split("=", 1)[1], self.berth.log_text())


class PasswordChangeTest(unittest.TestCase):
    def test_failures_are_throttled_and_a_new_password_ends_sessions(self):
        with Berth(config=ON, users=USERS) as berth:
            client = Client(berth.port)

            def login(user, password):
                return client.request("POST", "/zot/auth/login", b"",
                                      {**UI, **basic(user, password)})

            cookie = {"Cookie": "berth_session=" + session_cookie(login("alice", "alice-pw"))}
            # Failed logins count against the address like any failed request.
            statuses = [login("bob", "wrong").status for _ in range(11)]
            self.assertEqual(statuses[:10], [401] * 10)
            self.assertEqual(statuses[10], 429)
            with open(os.path.join(berth.dir, "htpasswd"), "w") as f:
                f.write(bcrypt_line("alice", "changed") + "\n" + bcrypt_line("bob", "bob-pw") + "\n")
            # The file is watched; once reloaded, the session made with the old password ends.
            deadline = time.monotonic() + 30
            status = None
            while time.monotonic() < deadline:
                status = client.request("GET", "/zot/auth/session", headers=cookie).json()
                if status == {"user": ""}:
                    break
                time.sleep(0.2)
            self.assertEqual(status, {"user": ""})


if __name__ == "__main__":
    unittest.main(verbosity=2)
