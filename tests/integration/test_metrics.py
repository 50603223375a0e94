"""/metrics and the health endpoints, against the built berth over real sockets.

* The counters move with real traffic: pushes and pulls through the OCI API change Zot's
  families (requests by method and code, latency histogram and summary, uploads, downloads,
  storage bytes) and berth's own (uploads in flight, connections, ring submissions).
* `promtool check metrics` (Debian `prometheus`) finds nothing wrong with the text.
* A real Prometheus on loopback scrapes berth every second, with Basic credentials as the
  homelab's does, and its HTTP API returns a counter's value.
* accessControl.metrics: only its users (and anonymous requests when its anonymousPolicy has
  "read") may scrape; others get 401 or 403.
* /livez, /readyz, /startupz with Zot's meaning: live while the process serves, ready while it
  accepts requests, started once the repository index is loaded (held back here by a manifest
  that is a FIFO until the test writes it), all without credentials.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Berth  # noqa: E402
from oci import Client, OCI_MANIFEST, image_manifest, descriptor, OCI_CONFIG, sha256  # noqa
import httpclient  # noqa: E402

METRICS_ON = {"extensions": {"metrics": {"enable": True}}}
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"')


def parse(text):
    """Prometheus text → {(name, frozenset(labels)): value}, and {name: type}."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        labels = frozenset(LABEL.findall(match.group(2) or ""))
        samples[(match.group(1), labels)] = float(match.group(3))
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(port, path="/metrics", auth=None):
    headers = {}
    if auth:
        import base64
        headers["Authorization"] = "Basic " + base64.b64encode(
            f"{auth[0]}:{auth[1]}".encode()).decode()
    response = Client(port).request("GET", path, headers=headers)
    return response


def metrics(port, **kwargs):
    response = scrape(port, **kwargs)
    assert response.status == 200, response
    return parse(response.body.decode())


# Zot's own label names for zot_info (kept for its dashboards) are camelCase, which promtool's
# linter reports; nothing else may be reported.
ZOT_INFO_LINT = "zot_info label names should be written in 'snake_case' not 'camelCase'"


def promtool_problems(promtool, text):
    """What `promtool check metrics` finds in the text, less the zot_info lint above; a text it
    cannot parse is one problem."""
    result = subprocess.run([promtool, "check", "metrics"], input=text, text=True,
                            capture_output=True, timeout=60)
    if result.returncode not in (0, 3):  # 3: parsed, with lint findings
        return [f"exit {result.returncode}: {result.stdout}{result.stderr}"]
    lines = (result.stdout + result.stderr).splitlines()
    return [line for line in lines if line.strip() and line.strip() != ZOT_INFO_LINT]


class CountersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.berth = Berth(config=METRICS_ON).start()
        cls.client = Client(cls.berth.port)

    @classmethod
    def tearDownClass(cls):
        cls.berth.stop()
        shutil.rmtree(cls.berth.dir, ignore_errors=True)

    def test_format_and_promtool(self):
        response = scrape(self.berth.port)
        self.assertEqual(response.status, 200)
        self.assertTrue(response.header("Content-Type").startswith("text/plain; version=0.0.4"))
        text = response.body.decode()
        samples, types = parse(text)
        for name, kind in (("zot_http_requests_total", "counter"),
                           ("zot_http_method_latency_seconds", "histogram"),
                           ("zot_http_repo_latency_seconds", "summary"),
                           ("zot_repo_storage_bytes", "gauge"), ("zot_info", "gauge"),
                           ("zot_gc_runs_total", "counter"), ("zot_gc_deleted_total", "counter"),
                           ("zot_gc_duration_seconds", "summary"),
                           ("berth_scrub_runs_total", "counter"),
                           ("process_cpu_seconds_total", "counter"),
                           ("berth_ring_submissions_total", "counter")):
            self.assertEqual(types.get(name), kind, name)
        info = [labels for (name, labels) in samples if name == "zot_info"]
        self.assertEqual(len(info), 1)
        info = dict(info[0])
        self.assertEqual(set(info), {"commit", "binaryType", "goVersion", "version"})
        self.assertEqual(info["binaryType"], "berth")
        self.assertRegex(info["version"], r"^\d+\.\d+\.\d+")
        self.assertEqual(value(samples, "zot_gc_deleted_total", type="blob"), 0)
        promtool = shutil.which("promtool")
        if not promtool:
            self.skipTest("promtool is not installed (Debian prometheus)")
        self.assertEqual(promtool_problems(promtool, text), [])

    def test_push_and_pull_move_the_counters(self):
        port = self.berth.port
        before, _ = metrics(port)
        layers = [os.urandom(200 * 1024), os.urandom(1000)]
        body, digest = self.client.push_image("team/app", "v1", layers=layers)
        for _ in range(2):
            self.assertEqual(self.client.get_manifest("team/app", "v1").status, 200)
        self.assertEqual(self.client.get_manifest("team/app", digest, method="HEAD").status, 200)
        self.assertEqual(self.client.get_blob("team/app", sha256(layers[0])).status, 200)
        self.assertEqual(self.client.get_manifest("team/app", "nope").status, 404)
        after, _ = metrics(port)

        def moved(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        self.assertEqual(moved("zot_repo_uploads_total", repo="team/app"), 1)
        self.assertEqual(moved("zot_repo_downloads_total", repo="team/app"), 3)
        # Three blobs (config and two layers), each a POST answered 202 and a PUT 201, and
        # the manifest PUT.
        self.assertEqual(moved("zot_http_requests_total", method="POST", code="202"), 3)
        self.assertEqual(moved("zot_http_requests_total", method="PUT", code="201"), 4)
        self.assertEqual(moved("zot_http_requests_total", method="GET", code="200"), 3)
        self.assertEqual(moved("zot_http_requests_total", method="GET", code="404"), 1)
        self.assertEqual(moved("zot_http_requests_total", method="HEAD", code="200"), 1)
        self.assertEqual(moved("zot_http_method_latency_seconds_count", method="GET"), 4)
        self.assertEqual(moved("zot_http_method_latency_seconds_bucket", method="GET",
                               le="+Inf"), 4)
        self.assertGreater(moved("zot_http_method_latency_seconds_sum", method="GET"), 0)
        self.assertEqual(moved("zot_http_repo_latency_seconds_count", repo="team/app"), 12)
        expected = len(body) + 2 + sum(len(layer) for layer in layers)  # config is b"{}"
        self.assertEqual(value(after, "zot_repo_storage_bytes", repo="team/app"), expected)
        self.assertGreater(moved("berth_ring_submissions_total"), 0)
        # The histogram is cumulative.
        buckets = sorted((float(dict(labels)["le"]), v) for (name, labels), v in after.items()
                         if name == "zot_http_method_latency_seconds_bucket"
                         and dict(labels)["method"] == "GET")
        self.assertEqual([b for b, _ in buckets], [0.05, 0.5, 1, 5, 30, 60, 600, float("inf")])
        counts = [v for _, v in buckets]
        self.assertEqual(counts, sorted(counts))

    def test_scrapes_are_not_counted(self):
        first, _ = metrics(self.berth.port)
        second, _ = metrics(self.berth.port)
        for name in ("zot_http_requests_total", "zot_http_method_latency_seconds_count"):
            self.assertEqual(
                {k: v for k, v in first.items() if k[0] == name},
                {k: v for k, v in second.items() if k[0] == name})

    def test_unknown_repositories_get_no_series(self):
        self.assertEqual(self.client.get_manifest("made/up", "x").status, 404)
        samples, _ = metrics(self.berth.port)
        repos = {dict(labels).get("repo") for (name, labels) in samples if name.startswith("zot_")}
        self.assertNotIn("made/up", repos)
        self.assertGreater(value(samples, "zot_http_repo_latency_seconds_count", repo="N/A"), 0)

    def test_uploads_in_flight_and_connections(self):
        port = self.berth.port
        started = self.client.start_upload("team/open")
        self.assertEqual(started.status, 202)
        idle = socket.create_connection(("127.0.0.1", port))
        try:
            samples, _ = metrics(port)
            self.assertEqual(value(samples, "berth_uploads_in_flight"), 1)
            # The scrape's own connection and the idle one.
            self.assertGreaterEqual(value(samples, "berth_connections"), 2)
            self.assertGreater(value(samples, "process_resident_memory_bytes"), 0)
            self.assertGreater(value(samples, "process_open_fds"), 3)
            self.assertGreater(value(samples, "process_max_fds"), value(samples, "process_open_fds"))
            start = value(samples, "process_start_time_seconds")
            self.assertLessEqual(start, time.time())
            self.assertGreater(start, time.time() - 24 * 3600)
            self.assertGreater(value(samples, "berth_buffer_bytes"), 0)
        finally:
            idle.close()
        cancelled = self.client.request("DELETE", started.header("Location"))
        self.assertEqual(cancelled.status, 204)
        samples, _ = metrics(port)
        self.assertEqual(value(samples, "berth_uploads_in_flight"), 0)


class EndpointTest(unittest.TestCase):
    def test_off_by_default(self):
        with Berth() as berth:
            self.assertEqual(scrape(berth.port).status, 404)

    def test_disabled(self):
        with Berth(config={"extensions": {"metrics": {"enable": False}}}) as berth:
            self.assertEqual(scrape(berth.port).status, 404)

    def test_configured_path(self):
        config = {"extensions": {"metrics": {"enable": True,
                                             "prometheus": {"path": "/internal/prom"}}}}
        with Berth(config=config) as berth:
            self.assertEqual(scrape(berth.port).status, 404)
            response = scrape(berth.port, path="/internal/prom")
            self.assertEqual(response.status, 200)
            self.assertIn(b"# TYPE zot_http_requests_total counter", response.body)


USERS = {"prom": "scrape-secret", "alice": "alice-secret"}
ACCESS = {"repositories": {"**": {"policies": [{"users": ["alice", "prom"],
                                                "actions": ["read", "create"]}]}},
          "metrics": {"users": ["prom"]}}


class AccessTest(unittest.TestCase):
    def check(self, port, auth, status):
        response = scrape(port, auth=auth)
        self.assertEqual(response.status, status, (auth, response))
        return response

    def test_metrics_users(self):
        config = dict(METRICS_ON, http={"accessControl": ACCESS})
        with Berth(config=config, users=USERS) as berth:
            denied = self.check(berth.port, None, 401)
            self.assertIn("Basic realm=", denied.header("WWW-Authenticate"))
            self.check(berth.port, ("prom", "wrong"), 401)
            self.assertEqual(self.check(berth.port, ("alice", "alice-secret"), 403)
                             .json()["errors"][0]["code"], "DENIED")
            self.check(berth.port, ("prom", "scrape-secret"), 200)
            # The second check of the same credentials comes from the cache.
            samples, _ = metrics(berth.port, auth=("prom", "scrape-secret"))
            self.assertGreaterEqual(value(samples, "berth_credential_cache_hits_total"), 1)

    def test_anonymous_policy(self):
        access = dict(ACCESS, metrics={"users": [], "anonymousPolicy": ["read"]})
        config = dict(METRICS_ON, http={"accessControl": access})
        with Berth(config=config, users=USERS) as berth:
            self.check(berth.port, None, 200)
            # An empty users list lets no authenticated user in.
            self.check(berth.port, ("prom", "scrape-secret"), 403)

    def test_authentication_without_access_control(self):
        with Berth(config=METRICS_ON, users=USERS) as berth:
            self.check(berth.port, None, 401)
            self.check(berth.port, ("alice", "alice-secret"), 200)


class PrometheusTest(unittest.TestCase):
    """A real Prometheus scrapes berth (with Basic credentials) and answers a query."""

    def test_scrape_and_query(self):
        prometheus = shutil.which("prometheus")
        if not prometheus:
            self.skipTest("prometheus is not installed")
        config = dict(METRICS_ON, http={"accessControl": ACCESS})
        with Berth(config=config, users=USERS) as berth:
            client = Client(berth.port)
            import base64
            auth = {"Authorization": "Basic " + base64.b64encode(b"alice:alice-secret").decode()}
            for tag in ("a", "b"):
                body, _ = push_image_with_auth(client, "homelab/web", tag, auth)
            self.run_prometheus(prometheus, berth)

    def run_prometheus(self, prometheus, berth):
        directory = tempfile.mkdtemp(prefix="berth-prometheus-")
        self.addCleanup(shutil.rmtree, directory, True)
        password = os.path.join(directory, "password")
        with open(password, "w") as f:
            f.write(USERS["prom"])
        config = os.path.join(directory, "prometheus.yml")
        with open(config, "w") as f:
            json.dump({"global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
                       "scrape_configs": [{
                           "job_name": "berth", "metrics_path": "/metrics",
                           "basic_auth": {"username": "prom", "password_file": password},
                           "static_configs": [{"targets": [berth.url]}]}]}, f)
        web = free_port()
        log = open(os.path.join(directory, "log"), "w")
        self.addCleanup(log.close)
        proc = subprocess.Popen([prometheus, f"--config.file={config}",
                                 f"--storage.tsdb.path={os.path.join(directory, 'data')}",
                                 f"--web.listen-address=127.0.0.1:{web}",
                                 "--storage.tsdb.retention.time=1h"],
                                stdout=log, stderr=subprocess.STDOUT)

        def stop():
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.addCleanup(stop)
        query = 'zot_repo_uploads_total{job="berth",repo="homelab/web"}'
        deadline = time.monotonic() + 90
        result = None
        while time.monotonic() < deadline and proc.poll() is None:
            result = query_prometheus(web, query)
            if result:
                break
            time.sleep(0.5)
        if not result:
            with open(os.path.join(directory, "log")) as f:
                self.fail(f"no result for {query}: {result}\n{f.read()[-3000:]}")
        [series] = result
        self.assertEqual(series["value"][1], "2")
        self.assertEqual(series["metric"]["instance"], berth.url)
        up = query_prometheus(web, 'up{job="berth"}')
        self.assertEqual(up[0]["value"][1], "1")


def push_image_with_auth(client, repo, tag, auth):
    def request(method, path, body=None, headers=None):
        return client.request(method, path, body, dict(auth, **(headers or {})))
    descriptors = []
    for data, media_type in ((b"{}", OCI_CONFIG), (os.urandom(4096), "application/octet-stream")):
        started = request("POST", f"/v2/{repo}/blobs/uploads/")
        assert started.status == 202, started
        done = request("PUT", f"{started.header('Location')}?digest={sha256(data)}", data,
                       {"Content-Type": "application/octet-stream"})
        assert done.status == 201, done
        descriptors.append(descriptor(media_type, data))
    body = image_manifest(descriptors[0], descriptors[1:])
    response = request("PUT", f"/v2/{repo}/manifests/{tag}", body,
                       {"Content-Type": OCI_MANIFEST})
    assert response.status == 201, response
    return body, sha256(body)


def query_prometheus(port, query):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            answer = json.load(response)
    except OSError:
        return None
    return answer["data"]["result"] if answer.get("status") == "success" else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HealthTest(unittest.TestCase):
    def get(self, port, path, auth_header=None):
        headers = {"Authorization": auth_header} if auth_header else None
        return httpclient.request(port, "GET", path, headers=headers)

    def test_startup_waits_for_the_index(self):
        """A repository whose manifest is a FIFO holds the index load until the test writes
        the manifest into it: meanwhile berth is live and ready but not started."""
        root = tempfile.mkdtemp(prefix="berth-health-")
        self.addCleanup(shutil.rmtree, root, True)
        data = os.path.join(root, "data")
        manifest = image_manifest(descriptor(OCI_CONFIG, b"{}"), [])
        digest = sha256(manifest)
        repo = os.path.join(data, "slow")
        os.makedirs(os.path.join(repo, "blobs", "sha256"))
        with open(os.path.join(repo, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
        with open(os.path.join(repo, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": [{"mediaType": OCI_MANIFEST, "digest": digest,
                                      "size": len(manifest),
                                      "annotations": {
                                          "org.opencontainers.image.ref.name": "v1"}}]}, f)
        fifo = os.path.join(repo, "blobs", "sha256", digest.split(":")[1])
        os.mkfifo(fifo)
        released = threading.Event()

        def release():
            # Opening for writing waits for berth's reader; never longer than the test.
            fd = os.open(fifo, os.O_WRONLY)
            os.write(fd, manifest)
            os.close(fd)
            released.set()
        berth = Berth(root=data)
        try:
            berth.start()
            for path, status in (("/livez", 200), ("/readyz", 200), ("/startupz", 500)):
                response = self.get(berth.port, path)
                self.assertEqual(response.status, status, path)
            self.assertFalse(released.is_set())
            threading.Thread(target=release, daemon=True).start()
            self.assertTrue(released.wait(20), "berth never opened the manifest")
            deadline = time.monotonic() + 20
            while self.get(berth.port, "/startupz").status != 200:
                self.assertLess(time.monotonic(), deadline, "/startupz stayed 500")
                time.sleep(0.05)
            self.assertEqual(self.get(berth.port, "/startupz").body, b"ok")
            self.assertEqual(Client(berth.port).tags("slow").json()["tags"], ["v1"])
        finally:
            if not released.is_set():
                # Unblock berth's open so that it can stop.
                try:
                    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
                except OSError:
                    pass
            berth.stop()
            shutil.rmtree(berth.dir, ignore_errors=True)

    def test_no_credentials_needed(self):
        config = {"http": {"accessControl": ACCESS}}
        with Berth(config=config, users=USERS) as berth:
            for path in ("/livez", "/readyz", "/startupz"):
                deadline = time.monotonic() + 20
                while True:
                    response = self.get(berth.port, path)
                    if response.status == 200 or time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
                self.assertEqual((response.status, response.body), (200, b"ok"), path)
            self.assertEqual(self.get(berth.port, "/v2/").status, 401)
            # Only GET and HEAD.
            self.assertEqual(httpclient.request(berth.port, "HEAD", "/livez").status, 200)
            self.assertNotEqual(httpclient.request(berth.port, "POST", "/livez").status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
