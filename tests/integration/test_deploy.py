"""The deployment files under deploy/, checked by the tools that will read them.

* Caddyfiles: `caddy validate` (inside an empty network namespace when possible, which proves
  that validating needs neither DNS nor ACME), `caddy fmt`, the adapted JSON (no deadlines, no
  body limit, no buffering, the right upstreams), and both Caddys run for real on loopback
  ports in front of a recording upstream: routes, prefix stripping, forwarded headers, and
  request and response bodies that stream instead of being buffered. Then berth itself behind
  both Caddys: skopeo and podman push and pull the ~200 MB four-layer test image through them
  (root only, as the real-client tests), a PATCH's bytes reach berth before the body is
  complete, and the relative Locations work through the proxies.
* berth.service: `systemd-analyze verify` on a copy whose ExecStart names the built binary
  (verify refuses a unit whose binary is missing), `systemd-analyze security --offline`, and
  every system call and address family berth makes under strace against the unit's filters.
* berth.container: Podman's Quadlet generator when installed (Debian 12's Podman 4.3 has
  none), else its keys against the ones Quadlet knows.
* Containerfile: its stages and instructions, the runtime packages against `ldd` of the built
  binary, and the health check script against a running berth.
* prometheus.yml: `promtool check config`. The Grafana dashboard: JSON, panels, and every
  metric and label it queries against METRICS below; its expressions parse as PromQL
  (`promtool check rules`). When berth serves /metrics, its families are checked against
  METRICS too, and `promtool check metrics` finds nothing but the camelCase labels of zot_info,
  which are Zot's.
* The WireGuard examples and config.json: the addresses, ports and users agree everywhere.

Tools that are absent make their tests skip with the reason.
"""

# The Debian packages these tests need, on one line for the install script.
APT_PACKAGES = "caddy systemd prometheus strace"

import hashlib
import http.client
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Berth, SOURCE_ROOT  # noqa: E402

DEPLOY = os.path.join(SOURCE_ROOT, "deploy")

# The metric families berth exposes at /metrics, with their type and labels: Zot's names and
# labels (so that Zot dashboards keep working), the standard process collector, and berth's own.
# The dashboard may query nothing else, and berth's /metrics must have all of them.
METRICS = {
    "zot_http_requests_total": ("counter", ("method", "code")),
    "zot_http_method_latency_seconds": ("histogram", ("method",)),
    "zot_http_repo_latency_seconds": ("summary", ("repo",)),
    "zot_repo_storage_bytes": ("gauge", ("repo",)),
    "zot_repo_uploads_total": ("counter", ("repo",)),
    "zot_repo_downloads_total": ("counter", ("repo",)),
    "zot_gc_runs_total": ("counter", ("error",)),
    "zot_gc_deleted_total": ("counter", ("type",)),
    "process_resident_memory_bytes": ("gauge", ()),
    "process_cpu_seconds_total": ("counter", ()),
    "process_open_fds": ("gauge", ()),
    "process_max_fds": ("gauge", ()),
    "process_start_time_seconds": ("gauge", ()),
    "berth_connections": ("gauge", ()),
    "berth_buffer_bytes_in_use": ("gauge", ()),
    "berth_uploads_in_flight": ("gauge", ()),
    "berth_credential_cache_hits_total": ("counter", ()),
    "berth_ring_submissions_total": ("counter", ()),
}
# Labels Prometheus adds to every scraped series.
TARGET_LABELS = ("instance", "job", "host")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}

# The keys Quadlet accepts in [Container] (Podman 5), for when its generator is not installed.
QUADLET_CONTAINER_KEYS = set("""
AddCapability AddDevice AddHost Annotation AutoUpdate CgroupsMode ContainerName
ContainersConfModule DNS DNSOption DNSSearch DropCapability Entrypoint Environment
EnvironmentFile EnvironmentHost Exec ExposeHostPort GIDMap GlobalArgs Group GroupAdd HealthCmd
HealthInterval HealthLogDestination HealthMaxLogCount HealthMaxLogSize HealthOnFailure
HealthRetries HealthStartPeriod HealthStartupCmd HealthStartupInterval HealthStartupRetries
HealthStartupSuccess HealthStartupTimeout HealthTimeout HostName IP IP6 Image Label LogDriver
LogOpt Mask Memory Mount Network NetworkAlias NoNewPrivileges Notify PidsLimit Pod PodmanArgs
PublishPort Pull ReadOnly ReadOnlyTmpfs ReloadCmd ReloadSignal Retry RetryDelay Rootfs RunInit
SeccompProfile Secret SecurityLabelDisable SecurityLabelFileType SecurityLabelLevel
SecurityLabelNested SecurityLabelType ServiceName ShmSize StartWithPod StopSignal StopTimeout
SubGIDMap SubUIDMap Sysctl Timezone Tmpfs UIDMap Ulimit Unmask User UserNS Volume WorkingDir
""".split())
QUADLET_GENERATORS = ("/usr/libexec/podman/quadlet",
                      "/usr/lib/systemd/system-generators/podman-system-generator")


def deploy_path(*parts):
    return os.path.join(DEPLOY, *parts)


def read(*parts):
    with open(deploy_path(*parts)) as f:
        return f.read()


def need(tool):
    path = shutil.which(tool)
    if not path:
        raise unittest.SkipTest(f"{tool} is not installed")
    return path


def built_berth():
    path = os.environ.get("BERTH_BIN") or os.path.join(SOURCE_ROOT, "build", "src", "berth")
    return path if os.access(path, os.X_OK) else None


def need_berth():
    path = built_berth()
    if not path:
        raise unittest.SkipTest("no built berth binary (set BERTH_BIN)")
    return path


def run(args, **kwargs):
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 120)
    return subprocess.run(args, **kwargs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def substitute(text, replacements):
    for old, new in replacements:
        if old not in text:
            raise AssertionError(f"{old!r} not found")
        text = text.replace(old, new)
    return text


def without_admin(caddyfile):
    """The Caddyfile with `admin off` in its global options, so that two Caddys can run
    side by side without fighting over the admin port."""
    head, brace, rest = caddyfile.partition("\n{\n")
    assert brace, "no global options block"
    return head + brace + "\tadmin off\n" + rest


def caddy_env(directory):
    env = dict(os.environ)
    env.update(HOME=directory, XDG_DATA_HOME=os.path.join(directory, "data"),
               XDG_CONFIG_HOME=os.path.join(directory, "config"))
    return env


def no_network_prefix():
    """`unshare --net` when this process may create a network namespace, else nothing."""
    if shutil.which("unshare") and run(["unshare", "--net", "true"]).returncode == 0:
        return ["unshare", "--net"]
    return []


def unit_sections(text):
    """systemd/Quadlet unit text → {section: [(key, value), ...]} (continuation lines joined)."""
    sections, current, pending = {}, None, ""
    for raw in text.splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections.setdefault(current, [])
            continue
        key, _, value = line.partition("=")
        sections[current].append((key.strip(), value.strip()))
    return sections


def values(section, key):
    return [value for k, value in section if k == key]


def header(headers, name):
    """A response header from a dict of them, whatever the case of its name."""
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def walk(node):
    """Every dict inside a JSON document."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


# ---------------------------------------------------------------------------------------------
# Caddy


class RecordingUpstream:
    """An HTTP/1.1 server standing in for berth: records each request and answers it.

    .../slow/...   a 2 MiB body of which the first 64 KiB is sent at once and the rest only
                   after the test has seen that first part arrive (self.client_got_start).
    anything else  200 with the request's path as body, or 202 with a relative Location for
                   PATCH; request bodies are read in pieces, and self.body_started is set as soon
                   as the first piece is in.
    """

    SLOW_FIRST = 64 * 1024
    SLOW_TOTAL = 2 * 1024 * 1024

    def __init__(self):
        self.requests = []
        self.body_started = threading.Event()
        self.client_got_start = threading.Event()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.closing = False
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def close(self):
        self.closing = True
        self.sock.close()

    def accept_loop(self):
        while not self.closing:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        conn.settimeout(30)
        stream = conn.makefile("rb")
        try:
            while True:
                line = stream.readline()
                if not line:
                    return
                method, target, _ = line.decode("latin-1").split(" ", 2)
                headers = {}
                while True:
                    line = stream.readline().decode("latin-1").rstrip("\r\n")
                    if not line:
                        break
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                received = self.read_body(stream, int(headers.get("content-length", "0")))
                self.requests.append((method, target, headers, received))
                self.respond(conn, method, target)
        except (OSError, ValueError):
            return
        finally:
            conn.close()

    def read_body(self, stream, length):
        received = 0
        while received < length:
            piece = stream.read1(min(65536, length - received))
            if not piece:
                break
            received += len(piece)
            self.body_started.set()
        return received

    def respond(self, conn, method, target):
        if "/slow/" in target:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                         b"Content-Length: %d\r\n\r\n" % self.SLOW_TOTAL)
            conn.sendall(b"a" * self.SLOW_FIRST)
            self.client_got_start.wait(15)
            conn.sendall(b"b" * (self.SLOW_TOTAL - self.SLOW_FIRST))
            return
        if method == "PATCH":
            conn.sendall(b"HTTP/1.1 202 Accepted\r\nLocation: /v2/app/blobs/uploads/u1\r\n"
                         b"Content-Length: 0\r\n\r\n")
            return
        body = target.encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
                     % len(body) + body)

    def last(self, path_prefix):
        for request in reversed(self.requests):
            if request[1].startswith(path_prefix):
                return request
        return None


class CaddyfileTest(unittest.TestCase):
    def setUp(self):
        self.caddy = need("caddy")
        self.dir = tempfile.mkdtemp(prefix="berth-deploy-caddy-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.env = caddy_env(self.dir)

    def adapt(self, name, text=None):
        path = deploy_path("caddy", name)
        if text is not None:
            path = os.path.join(self.dir, name)
            with open(path, "w") as f:
                f.write(text)
        result = run([self.caddy, "adapt", "--adapter", "caddyfile", "--config", path],
                     env=self.env)
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def check_streaming(self, config):
        """No server deadline on bodies, no body limit, no buffering, flush at once."""
        servers = config["apps"]["http"]["servers"]
        for name, server in servers.items():
            self.assertNotIn("read_timeout", server, name)
            self.assertNotIn("write_timeout", server, name)
            self.assertIn("read_header_timeout", server, name)
        handlers = [d for d in walk(config) if "handler" in d]
        self.assertFalse([h for h in handlers if h["handler"] == "request_body"])
        proxies = [h for h in handlers if h["handler"] == "reverse_proxy"]
        self.assertTrue(proxies)
        for proxy in proxies:
            self.assertEqual(proxy.get("flush_interval"), -1)
            for key in ("buffer_requests", "buffer_responses", "max_buffer_size",
                        "request_buffers", "response_buffers"):
                self.assertNotIn(key, proxy)
            transport = proxy.get("transport", {})
            self.assertNotIn("read_timeout", transport)
            self.assertNotIn("write_timeout", transport)
        return proxies

    def test_validate_offline(self):
        # The VPS site has automatic HTTPS; validating provisions the TLS app but obtains no
        # certificate, so it works without any network (checked in an empty network namespace).
        prefix = no_network_prefix()
        for name in ("vps.Caddyfile", "nuc.Caddyfile"):
            with self.subTest(name):
                result = run(prefix + [self.caddy, "validate", "--adapter", "caddyfile",
                                       "--config", deploy_path("caddy", name)], env=self.env)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn("Valid configuration", result.stdout + result.stderr)

    def test_formatted(self):
        for name in ("vps.Caddyfile", "nuc.Caddyfile"):
            with self.subTest(name):
                result = run([self.caddy, "fmt", deploy_path("caddy", name)], env=self.env)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(result.stdout.strip(), read("caddy", name).strip(),
                                 "run caddy fmt --overwrite")

    def test_vps_adapted(self):
        config = self.adapt("vps.Caddyfile")
        proxies = self.check_streaming(config)
        upstreams = {u["dial"] for p in proxies for u in p["upstreams"]}
        self.assertEqual(upstreams, {"10.8.0.2:8080"})
        self.assertIn("registry.example.com", json.dumps(config))
        refusals = [d for d in walk(config) if d.get("handler") == "static_response"
                    and str(d.get("status_code")) == "404"]
        metrics = [d for d in walk(config) if d.get("path") == ["/metrics"]]
        self.assertTrue(refusals and metrics, "/metrics is answered 404 on the VPS")

    def test_nuc_adapted(self):
        config = self.adapt("nuc.Caddyfile")
        proxies = self.check_streaming(config)
        servers = config["apps"]["http"]["servers"]
        # The timeouts are scoped to this listener; a mismatch would silently drop them.
        [server] = [s for s in servers.values() if s["listen"] == ["10.8.0.2:8080"]]
        self.assertIn("read_header_timeout", server)
        for proxy in proxies:
            self.assertEqual([u["dial"] for u in proxy["upstreams"]], ["127.0.0.1:3000"])
            self.assertEqual(proxy.get("trusted_proxies"), ["10.8.0.1/32"])
            keepalive = proxy["transport"]["keep_alive"]["idle_timeout"] / 1e9
            self.assertLess(keepalive, 75, "must end before berth's idleTimeout (75 s)")

    def start_caddy(self, name, text, port):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        log = open(os.path.join(self.dir, name + ".log"), "w")
        self.addCleanup(log.close)
        proc = subprocess.Popen([self.caddy, "run", "--adapter", "caddyfile", "--config", path],
                                stdout=log, stderr=subprocess.STDOUT, env=self.env)

        def stop():
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.addCleanup(stop)
        try:
            wait_for_port(port, proc)
        except RuntimeError as error:
            with open(os.path.join(self.dir, name + ".log")) as f:
                self.fail(f"caddy {name}: {error}\n{f.read()[-3000:]}")

    def start_chain(self, upstream_port):
        """Both Caddyfiles run, with their addresses moved to loopback ports, in front of the
        upstream: laptop → vps → nuc → upstream. Returns (vps_port, nuc_port)."""
        vps_port, nuc_port = free_port(), free_port()
        nuc = substitute(without_admin(read("caddy", "nuc.Caddyfile")), [
            ("servers 10.8.0.2:8080", f"servers 127.0.0.1:{nuc_port}"),
            ("http://:8080", f"http://:{nuc_port}"),
            ("bind 10.8.0.2", "bind 127.0.0.1"),
            ("127.0.0.1:3000", f"127.0.0.1:{upstream_port}"),
            ("trusted_proxies 10.8.0.1/32", "trusted_proxies 127.0.0.1/32"),
        ])
        # The site name becomes a plain-HTTP loopback site: certificates are not the point here.
        vps = substitute(without_admin(read("caddy", "vps.Caddyfile")), [
            ("registry.example.com {", f"http://:{vps_port} {{\n\tbind 127.0.0.1"),
            ("10.8.0.2:8080", f"127.0.0.1:{nuc_port}"),
        ])
        self.start_caddy("nuc.Caddyfile", nuc, nuc_port)
        self.start_caddy("vps.Caddyfile", vps, vps_port)
        return vps_port, nuc_port

    def test_chain_on_loopback(self):
        """The chain in front of a recording upstream: routes, headers, streaming both ways."""
        upstream = RecordingUpstream()
        self.addCleanup(upstream.close)
        vps_port, nuc_port = self.start_chain(upstream.port)
        self.check_routes(upstream, vps_port, nuc_port)
        self.check_forwarded_headers(upstream, vps_port, nuc_port)
        self.check_request_streams(upstream, vps_port)
        self.check_response_streams(upstream, vps_port)

    def get(self, port, path, headers=None, method="GET", body=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def check_routes(self, upstream, vps_port, nuc_port):
        status, _, body = self.get(vps_port, "/v2/")
        self.assertEqual((status, body), (200, b"/v2/"))
        status, _, body = self.get(vps_port, "/v2/team/app/manifests/1.0")
        self.assertEqual((status, body), (200, b"/v2/team/app/manifests/1.0"))
        for path in ("/livez", "/readyz", "/startupz"):
            self.assertEqual(self.get(vps_port, path)[2], path.encode())
        # The /registry/ prefix is stripped; /registry alone is sent to /registry/.
        self.assertEqual(self.get(vps_port, "/registry/home")[2], b"/home")
        status, headers, _ = self.get(vps_port, "/registry")
        self.assertEqual((status, headers.get("Location")), (308, "/registry/"))
        # Anything else ends at the NUC's Caddy.
        before = len(upstream.requests)
        self.assertEqual(self.get(vps_port, "/elsewhere")[0], 404)
        # /metrics is refused on the VPS and served on the tunnel side.
        self.assertEqual(self.get(vps_port, "/metrics")[0], 404)
        self.assertEqual(len(upstream.requests), before)
        self.assertEqual(self.get(nuc_port, "/metrics")[2], b"/metrics")
        # Relative Locations come back untouched.
        status, headers, _ = self.get(vps_port, "/v2/app/blobs/uploads/u1", method="PATCH",
                                      body=b"x" * 10)
        self.assertEqual((status, headers.get("Location")), (202, "/v2/app/blobs/uploads/u1"))

    def check_forwarded_headers(self, upstream, vps_port, nuc_port):
        # A client's own X-Forwarded-For is not believed by the VPS...
        self.get(vps_port, "/v2/a", headers={"X-Forwarded-For": "203.0.113.9"})
        headers = upstream.last("/v2/a")[2]
        self.assertNotIn("203.0.113.9", headers.get("x-forwarded-for", ""))
        self.assertTrue(headers.get("x-forwarded-for", "").startswith("127.0.0.1"), headers)
        self.assertEqual(headers.get("x-forwarded-proto"), "http")  # the test VPS site is http
        # ...but what the VPS sets is kept by the NUC, which trusts it.
        self.get(nuc_port, "/v2/b", headers={"X-Forwarded-For": "198.51.100.4",
                                             "X-Forwarded-Proto": "https"})
        headers = upstream.last("/v2/b")[2]
        self.assertEqual(headers.get("x-forwarded-proto"), "https")
        self.assertEqual(headers.get("x-forwarded-for"), "198.51.100.4, 127.0.0.1")

    def check_request_streams(self, upstream, vps_port):
        """The upstream sees the start of a body whose end the client has not sent yet."""
        total, first = 8 * 1024 * 1024, 256 * 1024
        upstream.body_started.clear()
        conn = socket.create_connection(("127.0.0.1", vps_port), timeout=20)
        try:
            conn.sendall(b"PATCH /v2/app/blobs/uploads/u1 HTTP/1.1\r\nHost: registry\r\n"
                         b"Content-Type: application/octet-stream\r\n"
                         b"Content-Length: %d\r\n\r\n" % total)
            conn.sendall(b"x" * first)
            self.assertTrue(upstream.body_started.wait(10),
                            "the body was held back until complete (buffered)")
            conn.sendall(b"x" * (total - first))
            reply = conn.recv(4096)
            self.assertTrue(reply.startswith(b"HTTP/1.1 202"), reply)
        finally:
            conn.close()
        self.assertEqual(upstream.last("/v2/app/blobs/uploads/u1")[3], total)

    def check_response_streams(self, upstream, vps_port):
        """The client gets the start of a response whose end the upstream has not sent yet."""
        upstream.client_got_start.clear()
        conn = http.client.HTTPConnection("127.0.0.1", vps_port, timeout=20)
        try:
            conn.request("GET", "/v2/app/slow/blob")
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            start = response.read(RecordingUpstream.SLOW_FIRST)
            self.assertEqual(start, b"a" * RecordingUpstream.SLOW_FIRST)
            upstream.client_got_start.set()
            rest = response.read()
            self.assertEqual(len(start) + len(rest), RecordingUpstream.SLOW_TOTAL)
        finally:
            upstream.client_got_start.set()
            conn.close()


class BerthBehindCaddyTest(unittest.TestCase):
    """berth itself behind the two Caddys, driven by the real clients through the VPS side:
    skopeo pushes the ~200 MB four-layer test image and pulls it back, podman logs in, pushes
    it under another name, pulls it again after removing it locally; a raw PATCH shows that
    berth receives an upload's bytes before the client has sent them all, and the relative
    Locations work through both proxies. (Needs root, skopeo and podman, as the real-client
    tests do; the image comes from their cache.)"""

    USER = ("homelab", "homelab-secret")
    start_caddy = CaddyfileTest.start_caddy
    start_chain = CaddyfileTest.start_chain
    get = CaddyfileTest.get

    def setUp(self):
        self.caddy = need("caddy")
        need_berth()
        self.dir = tempfile.mkdtemp(prefix="berth-deploy-chain-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.env = caddy_env(self.dir)
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import realclients
        self.rc = realclients
        problem = realclients.isolation_problem() or (
            "client binary not installed: " + ", ".join(realclients.missing_binaries(
                ["skopeo", "podman", "buildah", "umoci"]))
            if realclients.missing_binaries(["skopeo", "podman", "buildah", "umoci"]) else None)
        if problem:
            self.skipTest(problem)
        images = realclients.ImageCache()
        images.ensure()
        self.clients = realclients.ClientEnv(images)
        self.addCleanup(self.clients.close)

    def test_real_clients_through_the_chain(self):
        berth = Berth(users=dict([self.USER]))
        berth.start()
        self.addCleanup(berth.__exit__, None, None, None)
        vps_port, _ = self.start_chain(berth.port)
        registry = f"127.0.0.1:{vps_port}"
        result = self.rc.flow_big_roundtrip(self.clients, registry, self.USER)
        self.assertGreater(result["bytes"], self.rc.BIG_LAYER_COUNT * self.rc.BIG_LAYER_BYTES)
        self.podman_big(registry)
        self.check_upload_streams(berth, vps_port)

    def podman_big(self, registry):
        env, rc = self.clients, self.rc
        env.use_registry(registry)
        env.podman("login", "-u", self.USER[0], "--password-stdin", registry,
                   stdin=self.USER[1].encode())
        local = env.image("big")
        config_bytes, config_digest = env.local_config(local)
        ref = f"{registry}/{env.namespace}/podbig:v1"
        env.podman("push", "-q", local, ref)
        registry_raw, manifest = env.registry_manifest(ref, self.USER)
        self.assertEqual(len(manifest["layers"]), rc.BIG_LAYER_COUNT)
        env.remove_image("big")
        pull = env.podman("pull", "--log-level=debug", ref).stderr.decode(errors="replace")
        rc.check_downloaded(pull, manifest, "podman pull through Caddy")
        inspected = env.podman("image", "inspect", "--format", "{{.Id}} {{json .RootFS.Layers}}",
                               ref).stdout.decode().strip()
        image_id, layers = inspected.split(" ", 1)
        self.assertEqual("sha256:" + image_id, config_digest)
        self.assertEqual(json.loads(layers), json.loads(config_bytes)["rootfs"]["diff_ids"])
        env.podman("logout", registry)

    def check_upload_streams(self, berth, vps_port):
        """A PATCH through both Caddys: berth (asked directly) has bytes of the body while the
        client still holds the rest back; then the PUT, following the relative Locations."""
        import base64
        auth = "Basic " + base64.b64encode(":".join(self.USER).encode()).decode()
        blob = os.urandom(16 * 1024 * 1024)
        first = 4 * 1024 * 1024
        status, headers, _ = self.get(vps_port, "/v2/chain/stream/blobs/uploads/", method="POST",
                                      headers={"Authorization": auth}, body=b"")
        self.assertEqual(status, 202)
        location = header(headers, "Location")
        self.assertTrue(location.startswith("/v2/chain/stream/blobs/uploads/"), location)
        conn = socket.create_connection(("127.0.0.1", vps_port), timeout=30)
        try:
            conn.sendall(f"PATCH {location} HTTP/1.1\r\nHost: registry\r\n"
                         f"Authorization: {auth}\r\nContent-Type: application/octet-stream\r\n"
                         f"Content-Length: {len(blob)}\r\n\r\n".encode() + blob[:first])
            deadline = time.monotonic() + 30
            received = 0
            while received == 0 and time.monotonic() < deadline:
                _, direct, _ = self.get(berth.port, location, headers={"Authorization": auth})
                span = header(direct, "Range") or "0-0"
                received = 0 if span == "0-0" else int(span.split("-")[1]) + 1
                time.sleep(0.05)
            self.assertGreater(received, 0, "berth saw no byte before the body was complete")
            self.assertLess(received, len(blob))
            conn.sendall(blob[first:])
            reply = conn.recv(65536).decode("latin-1")
        finally:
            conn.close()
        self.assertTrue(reply.startswith("HTTP/1.1 202"), reply)
        after = re.search(r"(?im)^Location: (\S+)", reply).group(1)
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        separator = "&" if "?" in after else "?"
        status, headers, _ = self.get(vps_port, f"{after}{separator}digest={digest}",
                                      method="PUT", headers={"Authorization": auth}, body=b"")
        self.assertEqual(status, 201)
        self.assertEqual(header(headers, "Location"), f"/v2/chain/stream/blobs/{digest}")
        status, _, body = self.get(vps_port, header(headers, "Location"),
                                   headers={"Authorization": auth})
        self.assertEqual((status, hashlib.sha256(body).hexdigest()), (200, digest[7:]))


# ---------------------------------------------------------------------------------------------
# systemd


class SystemdUnitTest(unittest.TestCase):
    def setUp(self):
        self.analyze = need("systemd-analyze")
        self.dir = tempfile.mkdtemp(prefix="berth-deploy-unit-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.text = read("berth.service")
        self.unit = unit_sections(self.text)

    def unit_copy(self):
        """The unit with ExecStart pointing at a binary that exists here: verify rejects a
        unit whose binary is missing, and /usr/local/bin/berth is not installed on a build
        machine. The built berth when there is one, else a stub."""
        binary = built_berth()
        if not binary:
            binary = os.path.join(self.dir, "berth-stub")
            with open(binary, "w") as f:
                f.write("#!/bin/sh\nexit 0\n")
            os.chmod(binary, 0o755)
        text = substitute(self.text, [("ExecStart=/usr/local/bin/berth ",
                                       f"ExecStart={binary} ")])
        path = os.path.join(self.dir, "berth.service")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_verify(self):
        # Offline: verify loads the unit and its dependencies from disk and needs no running
        # systemd. It exits 0 on unknown keys and bad values, so any message is a failure.
        result = run([self.analyze, "verify", "--man=no", self.unit_copy()])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr.strip() + result.stdout.strip(), "")

    def test_security_exposure(self):
        # "0.9 SAFE" when written; a change that weakens the sandbox past 1.5 fails here.
        result = run([self.analyze, "security", "--offline=true", "--threshold=15",
                      "--no-pager", self.unit_copy()])
        self.assertEqual(result.returncode, 0, result.stdout[-2000:] + result.stderr)

    def test_settings(self):
        service = self.unit["Service"]
        self.assertEqual(values(service, "User"), ["berth"])
        self.assertEqual(values(service, "StateDirectory"), ["berth"])
        self.assertEqual(values(service, "MemoryMax"), ["128M"])
        config = json.loads(read("config.json"))
        self.assertEqual(values(service, "ReadWritePaths"), [config["storage"]["rootDirectory"]])
        self.assertEqual(values(service, "ExecStart"),
                         ["/usr/local/bin/berth serve /etc/berth/config.json"])
        families = set(" ".join(values(service, "RestrictAddressFamilies")).split())
        self.assertEqual(families, {"AF_INET", "AF_INET6", "AF_UNIX"})

    def allowed_syscalls(self):
        groups = {}

        def expand(item):
            if not item.startswith("@"):
                return {item}
            if item not in groups:
                result = run([self.analyze, "syscall-filter", item])
                self.assertEqual(result.returncode, 0, result.stderr)
                names = set()
                for line in result.stdout.splitlines()[1:]:
                    line = line.strip()
                    if line and not line.startswith("#"):
                        names |= expand(line)
                groups[item] = names
            return groups[item]

        allowed = set()
        for line in values(self.unit["Service"], "SystemCallFilter"):
            deny = line.startswith("~")
            names = set().union(*(expand(item) for item in line.lstrip("~").split()))
            allowed = allowed - names if deny else allowed | names
        return allowed

    def test_io_uring_allowed(self):
        allowed = self.allowed_syscalls()
        for name in ("io_uring_setup", "io_uring_enter", "io_uring_register"):
            self.assertIn(name, allowed)

    def test_berth_stays_inside_the_filters(self):
        """Every system call and socket family berth uses while serving, traced with strace,
        is allowed by SystemCallFilter and RestrictAddressFamilies."""
        strace = need("strace")
        binary = need_berth()
        trace = os.path.join(self.dir, "trace")
        wrapper = os.path.join(self.dir, "berth-traced")
        with open(wrapper, "w") as f:
            f.write(f'#!/bin/sh\nexec {strace} -f -qq -o {trace} {binary} "$@"\n')
        os.chmod(wrapper, 0o755)
        config = {"extensions": {"metrics": {"enable": True}}}
        with mock.patch.dict(os.environ, {"BERTH_BIN": wrapper}):
            with Berth(config=config, startup_timeout=60) as berth:
                try:
                    exercise(berth.port)
                finally:
                    stop_traced(berth.proc)
        calls, families = read_trace(trace)
        self.assertIn("io_uring_setup", calls)
        outside = calls - self.allowed_syscalls()
        self.assertFalse(outside, f"system calls outside SystemCallFilter: {sorted(outside)}")
        permitted = set(" ".join(values(self.unit["Service"], "RestrictAddressFamilies")).split())
        self.assertFalse(families - permitted, f"socket families: {sorted(families)}")


def exercise(port):
    """Drive the paths a registry uses (health, pushes, pulls, tags, metrics); the answers
    are the business of the API tests, only the system calls made matter here."""
    def request(method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.getheader("Location"), response.read()
        except (OSError, http.client.HTTPException) as error:
            raise AssertionError(f"berth did not answer {method} {path}: {error!r}") from None
        finally:
            conn.close()

    status, _, _ = request("GET", "/livez")
    assert status == 200, status
    request("GET", "/v2/")
    blob = os.urandom(3 * 1024 * 1024)  # many receive buffers
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    octets = {"Content-Type": "application/octet-stream"}
    status, location, _ = request("POST", "/v2/deploy/app/blobs/uploads/")
    if status == 202 and location:
        status, location, _ = request("PATCH", location, blob, octets)
        if location:
            separator = "&" if "?" in location else "?"
            request("PUT", f"{location}{separator}digest={digest}")
    config = b"{}"
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    request("POST", f"/v2/deploy/app/blobs/uploads/?digest={config_digest}", config, octets)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": digest, "size": len(blob)}]}).encode()
    request("PUT", "/v2/deploy/app/manifests/v1", manifest,
            {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    request("GET", "/v2/deploy/app/manifests/v1")
    request("HEAD", f"/v2/deploy/app/blobs/{digest}")
    request("GET", f"/v2/deploy/app/blobs/{digest}")
    request("GET", f"/v2/deploy/app/blobs/{digest}", headers={"Range": "bytes=0-99"})
    request("GET", "/v2/deploy/app/tags/list")
    request("GET", "/v2/_catalog")
    request("GET", "/metrics")


def stop_traced(proc):
    """SIGTERM to berth itself (strace's child), so that its shutdown is traced too; SIGKILL
    if it has not stopped after 30 s, so that no berth outlives the test."""
    try:
        with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
            children = [int(pid) for pid in f.read().split()]
    except OSError:
        children = []
    for pid in children:
        os.kill(pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(30)
        raise AssertionError("berth did not stop within 30 s of SIGTERM")


def read_trace(path):
    calls, families = set(), set()
    call = re.compile(r"^(?:\d+\s+)?([a-z_][a-z0-9_]*)\(")
    family = re.compile(r"\bsocket\((AF_[A-Z0-9]+)")
    with open(path, errors="replace") as f:
        for line in f:
            match = call.match(line)
            if match:
                calls.add(match.group(1))
            match = family.search(line)
            if match:
                families.add(match.group(1))
    return calls, families


# ---------------------------------------------------------------------------------------------
# Quadlet


class QuadletTest(unittest.TestCase):
    def setUp(self):
        self.unit = unit_sections(read("berth.container"))

    def test_generator(self):
        generator = next((g for g in QUADLET_GENERATORS if os.access(g, os.X_OK)), None)
        if not generator:
            self.skipTest("Podman's Quadlet generator is not installed (Podman < 4.4)")
        with tempfile.TemporaryDirectory() as units:
            shutil.copy(deploy_path("berth.container"), units)
            env = dict(os.environ, QUADLET_UNIT_DIRS=units)
            result = run([generator, "-dryrun"], env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("---berth.service---", result.stdout)
        for piece in ("--publish 127.0.0.1:3000:3000", "--user 10001:10001",
                      "-v /var/lib/berth:/var/lib/berth:Z", "--health-cmd",
                      "localhost/berth:latest", "MemoryMax=128M"):
            self.assertIn(piece, result.stdout)

    def test_keys(self):
        self.assertLessEqual(set(self.unit), {"Unit", "Container", "Service", "Install"})
        container = self.unit["Container"]
        unknown = {k for k, _ in container} - QUADLET_CONTAINER_KEYS
        self.assertFalse(unknown, f"keys Quadlet does not know: {unknown}")
        self.assertEqual(values(container, "Image"), ["localhost/berth:latest"])
        self.assertEqual(values(container, "PublishPort"), ["127.0.0.1:3000:3000"])
        for volume in values(container, "Volume"):
            host, inside = volume.split(":")[:2]
            self.assertTrue(host.startswith("/") and inside.startswith("/"), volume)
        self.assertEqual({v.split(":")[1] for v in values(container, "Volume")},
                         {"/var/lib/berth", "/etc/berth"})
        [user] = values(container, "User")
        self.assertNotIn(user, ("0", "root"))
        uid = re.search(r"--uid (\d+)", read("Containerfile")).group(1)
        self.assertEqual(user, uid)
        [health] = values(container, "HealthCmd")
        self.assertTrue(health.startswith("/usr/local/bin/berth-healthcheck"))
        # Quadlet's services are Type=notify (set by itself) or oneshot, and KillMode mixed.
        service = self.unit["Service"]
        self.assertFalse(values(service, "Type"))
        self.assertFalse(values(service, "KillMode"))
        self.assertTrue(values(service, "Restart"))
        self.assertTrue(values(self.unit["Install"], "WantedBy"))


# ---------------------------------------------------------------------------------------------
# Containerfile and image


class ContainerfileTest(unittest.TestCase):
    # In debian:bookworm-slim already: libc6, and apt's own libstdc++6 and libgcc-s1.
    BASE_PACKAGES = {"libc6", "libstdc++6", "libgcc-s1"}

    def setUp(self):
        text = read("Containerfile")
        # One instruction per logical line: continuation lines joined, comments dropped.
        lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        self.instructions = [re.sub(r"\s+", " ", i).strip()
                             for i in "\n".join(lines).replace("\\\n", " ").splitlines()
                             if i.strip()]
        starts = [n for n, i in enumerate(self.instructions) if i.startswith("FROM ")]
        self.assertEqual(len(starts), 2, "a build stage and a runtime stage")
        self.build = self.instructions[starts[0]:starts[1]]
        self.runtime = self.instructions[starts[1]:]

    def runtime_packages(self):
        [install] = [i for i in self.runtime if "apt-get install" in i]
        words = install.split("--no-install-recommends", 1)[1].split("&&")[0].split()
        return set(words)

    def test_stages(self):
        for stage in (self.build, self.runtime):
            self.assertRegex(stage[0], r"^FROM (docker\.io/library/)?debian:bookworm-slim")
        build = " ".join(self.build)
        self.assertIn("deploy/install-deps.sh build", build)
        self.assertIn("meson setup build --buildtype=minsize", build)
        self.assertIn("meson compile -C build", build)
        runtime = self.runtime
        self.assertIn("USER berth", runtime)
        self.assertIn("EXPOSE 3000", runtime)
        self.assertIn("VOLUME /var/lib/berth", runtime)
        self.assertIn('ENTRYPOINT ["/usr/local/bin/berth"]', runtime)
        self.assertIn('CMD ["serve", "/etc/berth/config.json"]', runtime)
        [health] = [i for i in runtime if i.startswith("HEALTHCHECK")]
        self.assertIn("/usr/local/bin/berth-healthcheck", health)
        self.assertFalse([i for i in runtime if "meson" in i or "install-deps" in i])

    def test_copied_files_exist(self):
        for instruction in self.instructions:
            if instruction.startswith("COPY ") and "--from=" not in instruction:
                for source in instruction.split()[1:-1]:
                    self.assertTrue(os.path.exists(os.path.join(SOURCE_ROOT, source)), source)
        self.assertTrue(os.access(deploy_path("berth-healthcheck"), os.X_OK))

    def test_address_rewrite_matches_config(self):
        # The image's configuration is config.json with the listen address replaced by sed.
        self.assertEqual(read("config.json").count('"address": "127.0.0.1"'), 1)
        self.assertIn("s/\"address\": \"127.0.0.1\"/\"address\": \"0.0.0.0\"/",
                      read("Containerfile"))

    def test_runtime_libraries(self):
        """Every library the built berth loads comes from a package the runtime stage installs
        (or the base image has)."""
        binary = need_berth()
        need("ldd")
        need("dpkg")
        result = run(["ldd", binary])
        self.assertEqual(result.returncode, 0, result.stderr)
        packages = set()
        for line in result.stdout.splitlines():
            match = re.search(r"=> (/\S+)", line)
            if not match:
                continue
            path = os.path.realpath(match.group(1))
            candidates = {match.group(1), path}
            for p in list(candidates):
                if p.startswith("/usr/"):
                    candidates.add(p[4:])
                else:
                    candidates.add("/usr" + p)
            owner = run(["dpkg", "-S"] + sorted(candidates))
            names = {entry.split(":")[0] for entry in owner.stdout.splitlines() if ":" in entry}
            self.assertTrue(names, f"no package owns {match.group(1)}")
            packages |= names
        missing = packages - self.runtime_packages() - self.BASE_PACKAGES
        self.assertFalse(missing, f"libraries berth loads from packages not installed: {missing}")

    def test_healthcheck_script(self):
        need_berth()
        script = deploy_path("berth-healthcheck")
        with Berth() as berth:
            self.assertEqual(run([script, str(berth.port)]).returncode, 0)
        self.assertNotEqual(run([script, str(free_port())]).returncode, 0)


# ---------------------------------------------------------------------------------------------
# Configuration, WireGuard, Prometheus, Grafana


def wireguard(name):
    sections = {}
    current = None
    for raw in read("wireguard", name).splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = {}
        else:
            key, _, value = line.partition("=")
            sections[current][key.strip()] = value.strip()
    return sections


class ConfigurationTest(unittest.TestCase):
    def test_config_json(self):
        config = json.loads(read("config.json"))
        self.assertEqual(config["storage"]["rootDirectory"], "/var/lib/berth")
        self.assertEqual(config["http"]["port"], "3000")
        self.assertEqual(config["http"]["address"], "127.0.0.1")
        self.assertTrue(config["http"]["auth"]["htpasswd"]["path"].startswith("/etc/berth/"))
        self.assertEqual(config["extensions"]["metrics"]["prometheus"]["path"], "/metrics")
        prometheus = read("prometheus", "prometheus.yml")
        [user] = config["http"]["accessControl"]["metrics"]["users"]
        self.assertRegex(prometheus, rf"username:\s*{user}\b")

    def test_berth_accepts_config(self):
        binary = need_berth()
        result = run([binary, "verify", deploy_path("config.json")])
        message = result.stdout + result.stderr
        if result.returncode != 0 and "not available in this build" in message:
            self.skipTest(message.strip())
        self.assertEqual(result.returncode, 0, message)

    def test_wireguard(self):
        vps, nuc = wireguard("wg0-vps.conf.example"), wireguard("wg0-nuc.conf.example")
        vps_address = ipaddress.ip_interface(vps["Interface"]["Address"])
        nuc_address = ipaddress.ip_interface(nuc["Interface"]["Address"])
        self.assertEqual(str(vps_address.ip), "10.8.0.1")
        self.assertEqual(str(nuc_address.ip), "10.8.0.2")
        self.assertEqual(ipaddress.ip_network(vps["Peer"]["AllowedIPs"]),
                         ipaddress.ip_network(f"{nuc_address.ip}/32"))
        self.assertEqual(ipaddress.ip_network(nuc["Peer"]["AllowedIPs"]),
                         ipaddress.ip_network(f"{vps_address.ip}/32"))
        self.assertTrue(nuc["Peer"]["Endpoint"].endswith(":" + vps["Interface"]["ListenPort"]))
        self.assertGreater(int(nuc["Peer"]["PersistentKeepalive"]), 0)
        for side in (vps, nuc):
            for key in (side["Interface"]["PrivateKey"], side["Peer"]["PublicKey"]):
                self.assertRegex(key, r"^<[A-Z_]+>$", "keys stay placeholders")
        # The Caddys use the same addresses.
        self.assertIn(f"bind {nuc_address.ip}", read("caddy", "nuc.Caddyfile"))
        self.assertIn(f"trusted_proxies {vps_address.ip}/32", read("caddy", "nuc.Caddyfile"))
        self.assertIn(f"reverse_proxy {nuc_address.ip}:8080", read("caddy", "vps.Caddyfile"))

    def test_promtool_check_config(self):
        promtool = need("promtool")
        result = run([promtool, "check", "config", deploy_path("prometheus", "prometheus.yml")])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        text = read("prometheus", "prometheus.yml")
        self.assertRegex(text, r"scrape_interval:\s*15s")
        self.assertRegex(text, r"metrics_path:\s*/metrics")
        self.assertIn('"127.0.0.1:3000"', text)


class DashboardTest(unittest.TestCase):
    def setUp(self):
        self.dashboard = json.loads(read("grafana", "berth-dashboard.json"))
        self.panels = [p for p in self.dashboard["panels"] if p["type"] != "row"]
        self.exprs = [t["expr"] for p in self.panels for t in p["targets"]]
        for variable in self.dashboard["templating"]["list"]:
            if variable["type"] == "query":
                self.exprs.append(variable["definition"])

    def test_structure(self):
        d = self.dashboard
        self.assertIn(d["schemaVersion"], range(36, 40))
        self.assertTrue(d["uid"] and d["title"])
        ids = [p["id"] for p in d["panels"]]
        self.assertEqual(len(ids), len(set(ids)))
        for panel in d["panels"]:
            grid = panel["gridPos"]
            self.assertLessEqual(grid["x"] + grid["w"], 24, panel["title"])
        [source] = [v for v in d["templating"]["list"] if v["type"] == "datasource"]
        self.assertEqual(source["query"], "prometheus")
        reference = {"type": "prometheus", "uid": "${" + source["name"] + "}"}
        for panel in self.panels:
            self.assertEqual(panel["datasource"], reference, panel["title"])
            self.assertTrue(panel["targets"], panel["title"])
            for target in panel["targets"]:
                self.assertEqual(target["datasource"], reference, panel["title"])

    def test_metrics_and_labels(self):
        """Every metric the dashboard queries is in METRICS, with its suffixes and labels, and
        every name in METRICS is shown somewhere."""
        name = re.compile(r"\b((?:zot|process|berth)_[a-z0-9_]+)")
        families_used = set()
        for expr in self.exprs:
            used = []
            for token in name.findall(expr):
                family = self.family(token)
                self.assertIsNotNone(family, f"{token} in {expr}")
                used.append(family)
            families_used |= set(used)
            allowed = set(TARGET_LABELS)
            for family in used:
                kind, labels = METRICS[family]
                allowed |= set(labels) | ({"le"} if kind == "histogram" else set())
            for group in re.findall(r"\bby \(([^)]*)\)", expr):
                for label in group.split(","):
                    self.assertIn(label.strip(), allowed, expr)
            for selector in re.findall(r"\{([^}]*)\}", expr):
                for label in re.findall(r"([a-z_]+)\s*[=!]", selector):
                    self.assertIn(label, allowed, expr)
            for label in re.findall(r"label_values\([^,]*,\s*([a-z_]+)\)", expr):
                self.assertIn(label, allowed, expr)
        self.assertEqual(families_used, set(METRICS))

    @staticmethod
    def family(token):
        if token in METRICS:
            kind = METRICS[token][0]
            return token if kind not in SUFFIXES else None
        for name, (kind, _) in METRICS.items():
            for suffix in SUFFIXES.get(kind, ()):
                if token == name + suffix:
                    return name
        return None

    def test_expressions_parse(self):
        """promtool parses each query as PromQL (Grafana's variables given plain values)."""
        promtool = need("promtool")
        rules = []
        for n, expr in enumerate(e for e in self.exprs if not e.startswith("label_values")):
            expr = (expr.replace("$__rate_interval", "5m").replace("$__range", "1h")
                    .replace("$instance", ".*").replace("$repo", ".*"))
            self.assertNotIn("$", expr)
            rules.append({"record": f"dashboard:query_{n}", "expr": expr})
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
            json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
            f.flush()
            result = run([promtool, "check", "rules", f.name])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


class MetricsEndpointTest(unittest.TestCase):
    def test_families(self):
        """berth's /metrics has every family of METRICS with its type (a `# TYPE` line even
        before the first sample), and promtool finds nothing wrong with it."""
        need_berth()
        config = {"extensions": {"metrics": {"enable": True}}}
        with Berth(config=config) as berth:
            exercise(berth.port)
            conn = http.client.HTTPConnection("127.0.0.1", berth.port, timeout=20)
            conn.request("GET", "/metrics")
            response = conn.getresponse()
            body = response.read().decode()
            conn.close()
        if response.status == 404:
            self.skipTest("berth does not serve /metrics yet")
        self.assertEqual(response.status, 200, body[:500])
        types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", body, re.M))
        for name, (kind, _) in METRICS.items():
            self.assertEqual(types.get(name), kind, name)
        promtool = shutil.which("promtool")
        if promtool:
            # Zot's zot_info labels are camelCase (binaryType, goVersion), which promtool's
            # linter reports (exit 3); berth keeps them for Zot's dashboards. Nothing else.
            result = run([promtool, "check", "metrics"], input=body)
            findings = [line for line in (result.stdout + result.stderr).splitlines()
                        if line.strip() and not line.startswith("zot_info label names ")]
            self.assertIn(result.returncode, (0, 3), result.stdout + result.stderr)
            self.assertEqual(findings, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
