"""The scenarios: `core` (the server core against nginx) and `oci` (the registry against distribution
and nginx). Each measures every peer in the same run, interleaving the peers repeat by repeat so
that drift on the machine falls on all of them alike.

A peer that cannot start, or a request it fails, turns its cells into `n/a` with the reason; the
other peers are measured all the same.
"""

import contextlib
import http.client
import itertools
import os
import subprocess
import time
from dataclasses import dataclass

import auth_burst
import loadgen
import machine
import oci
from loadgen import MeasurementError
from peers import Berth, Credentials, Distribution, Nginx, PeerUnavailable, StaticFile
from results import ScenarioReport, Target

SETTLE_SECONDS = 1.0        # after start or after opening connections, before reading /proc
CLIENTS = 64                # wrk -c and hey -c for the throughput rows
PEAK_CLIENTS = 200          # manifest clients during the peak-memory row
IDLE_CONNECTIONS = 1000     # held open during the connection-memory row
CONCURRENT_PUSHES = 8
QUIET_PERCENT = 15.0        # server waiting for a CPU longer than this share of a sample means other work interfered
REGISTRY_HEADERS = {"Docker-Distribution-API-Version": "registry/2.0"}
FAILURES = (MeasurementError, OSError, http.client.HTTPException, ValueError, subprocess.SubprocessError)


@dataclass
class Settings:
    duration: int
    repeats: int
    berth: str
    auth: bool
    peers: tuple
    blob_mib: int
    keep_temp: bool
    wait_quiet: float
    retries: int
    nice: int


def size_text(mib):
    return f"{mib // 1024} GiB" if mib % 1024 == 0 else f"{mib} MiB"


class Bench:
    """What every scenario shares: settings, credentials, the temp dir and the servers it starts."""

    def __init__(self, settings, tmp):
        self.settings = settings
        self.tmp = tmp
        self.credentials = Credentials("bench", "bench-pass") if settings.auth else None
        self.configs = {}
        self.noisy = []
        self.sampled = 0
        self._ids = itertools.count()

    def among(self, *names):
        return [name for name in names if name in self.settings.peers]

    def headers(self, **extra):
        auth = self.credentials.header() if self.credentials else {}
        return {**auth, **extra}

    def server(self, name, files):
        workdir = os.path.join(self.tmp, f"{name}-{next(self._ids)}")
        keep = self.settings.keep_temp
        if name == "berth":
            return Berth(workdir, self.settings.berth, self.credentials, keep)
        if name == "distribution":
            return Distribution(workdir, self.credentials, keep)
        return Nginx(workdir, files, keep)

    def start(self, stack, names, files, cases):
        """Starts each named peer fresh inside `stack` (which stops it). A peer that fails to start
        fails its cells in `cases`; a peer already failed in all of them is not started again."""
        servers = {}
        for name in names:
            if all(case.cell(name).error for case in cases):
                continue
            server = self.server(name, files)
            try:
                servers[name] = stack.enter_context(server)
            except PeerUnavailable as e:
                fail_all(cases, name, str(e))
            self.configs[name] = server.config_text
        return servers

    def sample(self, case, name, server, measure, cpu_bound=True):
        """One sample from measure() -> (value, detail); see sample_rows."""
        self.sample_rows([case], name, server, lambda: [measure()], cpu_bound)

    def sample_rows(self, cases, name, server, measure, cpu_bound=True):
        """Adds one sample to each case from measure() -> [(value, detail), ...] (one pair per case),
        or fails their cells with the reason. A failed cell takes no more samples: a broken server
        is not asked again.

        A cpu_bound sample during which the server waited for a CPU more than QUIET_PERCENT of the
        time while other work was running (the CPUs are still busy right after it: a server whose
        threads only wait for each other leaves them idle) is taken again, after waiting for the
        CPUs to go idle, up to --retries times, and counted as noisy if it still is. Memory figures
        do not depend on CPU share: taken once."""
        cases = [case for case in cases if not case.cell(name).error]
        if not cases:
            return
        for attempt in range(1, self.settings.retries + 2):
            reason = server.exit_reason()
            if reason:
                fail_all(cases, name, reason)
                return
            if attempt > 1:
                self.wait_for_quiet()
            try:
                with machine.ServerWait(server.pids()) as wait:
                    pairs = measure()
            except FAILURES as e:
                fail_all(cases, name, server.exit_reason() or describe(e))
                return
            noisy = cpu_bound and wait.share_percent > QUIET_PERCENT and self.machine_busy()
            if not noisy:
                break
        if cpu_bound:
            self.sampled += 1
            if noisy:
                self.noisy.append(f"{cases[0].key}/{name}")
        noise = {"server_wait_pct": wait.share_percent, "attempts": attempt}
        for case, (value, detail) in zip(cases, pairs):
            case.cell(name).add(value, {**detail, **noise})

    def take_noise(self):
        """The samples taken on a busy machine since the last call, and how many were taken in all."""
        noisy, sampled = self.noisy, self.sampled
        self.noisy, self.sampled = [], 0
        return noisy, sampled

    @staticmethod
    def machine_busy():
        return max(machine.cpu_busy_percent().values()) > QUIET_PERCENT

    def wait_for_quiet(self):
        """Waits, up to --wait-quiet seconds, until no one else keeps CPU 0 or 1 busy."""
        deadline = time.monotonic() + self.settings.wait_quiet
        while time.monotonic() < deadline and self.machine_busy():
            pass

    def client(self, server):
        return oci.Client(server.port, self.credentials)


def describe(error):
    """A failure as a footnote: our own messages as they are, anything else with its type."""
    return str(error) if isinstance(error, MeasurementError) else f"{type(error).__name__}: {error}"


def fail_all(cases, name, reason):
    for case in cases:
        case.cell(name).fail(reason)


def memory_sample(server):
    memory = server.memory()
    return memory.rss_mb, {"rss_mb": memory.rss_mb, "hwm_mb": memory.hwm_mb}


def wrk_sample(url, headers, connections, duration):
    result = loadgen.wrk(url, headers, connections, duration)
    return result["rps"], result


def hey_sample(url, headers, connections, duration):
    result = loadgen.hey_head(url, headers, connections, duration)
    return result["rps"], result


# --- core --------------------------------------------------------------------------------------------

def core(bench):
    peers = bench.among("berth", "nginx")
    report = ScenarioReport("core", "GET /v2/ and memory of the server core, berth against nginx serving the same body "
                                    "(expectation: berth within 2× of nginx)", peers)
    faster, smaller = Target(">=", 0.5, "nginx"), Target("<=", 2, "nginx")
    keepalive = report.case("v2_keepalive", f"GET /v2/ keep-alive, wrk -t1 -c{CLIENTS}", "req/s", faster)
    close = report.case("v2_close", f"GET /v2/ Connection: close, wrk -t1 -c{CLIENTS}", "req/s", faster)
    idle = report.case("rss_idle", "VmRSS idle", "MB", smaller)
    held = report.case("rss_idle_conns", f"VmRSS, {IDLE_CONNECTIONS:,} idle keep-alive conns", "MB", smaller)
    held_hwm = report.case("hwm_idle_conns", f"VmHWM, {IDLE_CONNECTIONS:,} idle keep-alive conns", "MB", smaller)
    files = [StaticFile("/v2/", "application/json", REGISTRY_HEADERS, data=b"{}")]
    if not peers:
        return report
    if "nginx" in peers:
        report.notes.append("nginx serves /v2/ as a static 2-byte file `{}` (application/json, plus "
                            "Docker-Distribution-API-Version) from an exact-match location")

    for _ in range(bench.settings.repeats):  # memory: a fresh server per sample
        for name in peers:
            with contextlib.ExitStack() as stack:
                server = bench.start(stack, [name], files, [idle, held, held_hwm]).get(name)
                if server is None:
                    continue
                time.sleep(SETTLE_SECONDS)
                bench.sample(idle, name, server, lambda: memory_sample(server), cpu_bound=False)
                bench.sample_rows([held, held_hwm], name, server, lambda: held_connections(server, bench.headers()),
                                  cpu_bound=False)

    with contextlib.ExitStack() as stack:  # throughput: one fresh server per peer, repeats interleaved
        servers = bench.start(stack, peers, files, [keepalive, close])
        for name, server in servers.items():
            report.notes.append(probe_note(name, server, "/v2/", bench.headers()))
        duration = bench.settings.duration
        for case, headers in ((keepalive, bench.headers()), (close, bench.headers(Connection="close"))):
            for _ in range(bench.settings.repeats):
                for name, server in servers.items():
                    bench.sample(case, name, server,
                                 lambda: wrk_sample(f"{server.base_url}/v2/", headers, CLIENTS, duration))
    return report


def held_connections(server, headers):
    """VmRSS and VmHWM while IDLE_CONNECTIONS keep-alive connections sit idle, each past one request.
    Fails if the server closed any of them: then the figure would not be what it says."""
    sockets = oci.open_idle_connections(server.port, IDLE_CONNECTIONS, "/v2/", headers)
    try:
        time.sleep(SETTLE_SECONDS)
        memory = server.memory()
        open_count = oci.still_open(sockets)
    finally:
        oci.close_all(sockets)
    if open_count < IDLE_CONNECTIONS:
        raise MeasurementError(f"the server closed {IDLE_CONNECTIONS - open_count} of {IDLE_CONNECTIONS} "
                               f"idle connections within {SETTLE_SECONDS:g} s")
    detail = {"rss_mb": memory.rss_mb, "hwm_mb": memory.hwm_mb, "open": open_count}
    return [(memory.rss_mb, detail), (memory.hwm_mb, detail)]


def probe_note(name, server, path, headers):
    try:
        answer = oci.probe(server.port, path, headers)
    except FAILURES as e:
        return f"{name} GET {path}: n/a ({e})"
    return (f"{name} GET {path}: {answer.status_line!r}, {answer.header_bytes} header bytes "
            f"+ {answer.body_bytes} body bytes")


# --- oci ---------------------------------------------------------------------------------------------

@dataclass
class Payload:
    """What the oci scenario pushes and pulls: the test image, one big blob, and the blobs of the
    concurrent pushes (distinct, so no server can skip one as already stored)."""
    image: oci.TestImage
    big: oci.Blob
    parallel: list

    @classmethod
    def generate(cls, directory, big_mib):
        big = oci.generate_blob(os.path.join(directory, "blob-big"), big_mib << 20)
        parallel = [oci.generate_blob(os.path.join(directory, f"blob-{i}"), (big_mib // 4) << 20)
                    for i in range(CONCURRENT_PUSHES)]
        return cls(oci.TestImage.build(), big, parallel)

    def nginx_files(self):
        """The manifest and the big blob at the registry's own URLs, with the registry's headers."""
        manifest_headers = {**REGISTRY_HEADERS, "Docker-Content-Digest": self.image.manifest_digest}
        return [
            StaticFile(f"/v2/{oci.REPO}/manifests/{oci.TAG}", oci.MANIFEST_TYPE, manifest_headers,
                       data=self.image.manifest),
            StaticFile(f"/v2/{oci.REPO}/blobs/{self.big.digest}", "application/octet-stream",
                       {**REGISTRY_HEADERS, "Docker-Content-Digest": self.big.digest}, link=self.big.path),
        ]


def manifest_url(server):
    return f"{server.base_url}/v2/{oci.REPO}/manifests/{oci.TAG}"


def push_target(bench, server, blob):
    """URL and accepted statuses of one monolithic push: the PUT ?digest= of a fresh upload session on
    a registry; on nginx a plain dav PUT (stored, never hashed: the anchor, not a peer)."""
    if isinstance(server, Nginx):
        return f"{server.base_url}/up/{blob.digest}", {201, 204}
    client = bench.client(server)
    try:
        location = client.start_upload()
    finally:
        client.close()
    return server.base_url + oci.with_digest(location, blob.digest), {201}


def push_sample(bench, server, blob):
    """One monolithic push; the POST that opens the session counts in the time."""
    os.sync()  # start from clean page cache, or the previous push's writeback lands in this one
    started = time.perf_counter()
    url, statuses = push_target(bench, server, blob)
    post_seconds = time.perf_counter() - started
    put_seconds = loadgen.curl_put(url, blob.path, bench.credentials, statuses, blob.size)
    seconds = post_seconds + put_seconds
    return blob.size / seconds / 1e6, {"seconds": seconds}


def concurrent_pushes(bench, server, blobs):
    """All blobs pushed at once, one curl each; returns (aggregate MB/s, wall seconds)."""
    targets = [push_target(bench, server, blob) for blob in blobs]
    started = time.perf_counter()
    procs = [subprocess.Popen(loadgen.curl_put_command(url, blob.path, bench.credentials),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              preexec_fn=loadgen.die_with_parent)
             for (url, _), blob in zip(targets, blobs)]
    try:
        outputs = [proc.communicate(timeout=900) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    seconds = time.perf_counter() - started
    for proc, (out, err), (url, statuses), blob in zip(procs, outputs, targets, blobs):
        if proc.returncode != 0:
            raise MeasurementError(f"curl PUT exited {proc.returncode}: {err.strip()[-300:]}")
        loadgen.parse_curl_put(out, url, statuses, blob.size)
    return sum(blob.size for blob in blobs) / seconds / 1e6, seconds


def concurrent_push_sample(bench, server, blobs):
    os.sync()
    mb_s, seconds = concurrent_pushes(bench, server, blobs)
    return mb_s, {"seconds": seconds}


def peak_sample(bench, server, blobs, duration):
    """VmHWM after PEAK_CLIENTS manifest clients (wrk) and the concurrent pushes ran together."""
    command = loadgen.on_load_cpu(loadgen.wrk_command(manifest_url(server), manifest_headers(bench),
                                                      PEAK_CLIENTS, duration))
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           preexec_fn=loadgen.die_with_parent)
    try:
        push_mb_s, _ = concurrent_pushes(bench, server, blobs)
        output, _ = wrk.communicate(timeout=duration + 60)
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait()
    load = loadgen.check_wrk(loadgen.parse_wrk(output))
    memory = server.memory()
    return memory.hwm_mb, {"hwm_mb": memory.hwm_mb, "rss_mb_after": memory.rss_mb,
                           "manifest_rps": load["rps"], "push_mb_s": push_mb_s}


def manifest_headers(bench):
    return bench.headers(Accept=oci.MANIFEST_TYPE)


def push_test_image(bench, server, image):
    """Pushes and reads back the test image; nginx has it as a file already."""
    if isinstance(server, Nginx):
        return
    client = bench.client(server)
    try:
        client.push_image(image)
        client.check_manifest(image)
    finally:
        client.close()


def push_big_blob(bench, server, blob):
    if not isinstance(server, Nginx):
        push_sample(bench, server, blob)


def prepare(cases, name, server, step):
    """Runs a setup step; on failure, fails the cases that depend on it. True if it worked."""
    try:
        step()
        return True
    except FAILURES as e:
        fail_all(cases, name, f"setup failed: {server.exit_reason() or describe(e)}")
        return False


@dataclass
class OciRows:
    """The rows of the oci table, in the order they are printed."""
    get_keepalive: object
    get_close: object
    head: object
    pull: object
    pull_cold: object
    push: object
    chunked: object
    concurrent: object
    idle: object
    peak: object
    sha256: object
    curl_put: object

    @classmethod
    def create(cls, report, blob_mib):
        big, part = size_text(blob_mib), size_text(blob_mib // 4)
        half_nginx, hash_bound = Target(">=", 0.5, "nginx"), Target(">=", 0.8, "sha256")
        return cls(
            report.case("manifest_get_keepalive", f"manifest GET keep-alive, wrk -t1 -c{CLIENTS}", "req/s", half_nginx),
            report.case("manifest_get_close", f"manifest GET Connection: close, wrk -t1 -c{CLIENTS}", "req/s",
                        half_nginx),
            report.case("manifest_head", f"manifest HEAD keep-alive, hey -c{CLIENTS}", "req/s", half_nginx),
            report.case("blob_pull", f"blob GET {big} from the page cache, curl -o /dev/null", "MB/s",
                        Target(">=", 1, "nginx")),
            report.case("blob_pull_cold", f"blob GET {big} after dropping the page cache", "MB/s"),
            report.case("blob_push_monolithic", f"blob push {big}, POST + curl -T PUT ?digest=", "MB/s", hash_bound),
            report.case("blob_push_chunked", f"blob push {big}, 10 MiB PATCH chunks (python)", "MB/s", hash_bound),
            report.case("blob_push_concurrent", f"{CONCURRENT_PUSHES} concurrent {part} pushes, aggregate", "MB/s",
                        hash_bound),
            report.case("rss_idle", "VmRSS idle", "MB", Target("<=", 5)),
            report.case("hwm_peak", f"VmHWM, wrk -c{PEAK_CLIENTS} manifest GET + {CONCURRENT_PUSHES} pushes", "MB",
                        Target("<=", 32)),
            report.ceiling("sha256", "openssl speed -evp sha256 -bytes 1048576 -seconds 3 on CPU 0 [MB/s]"),
            report.ceiling("curl_put", f"curl -T {big} into a socket on CPU 0 that drops the bytes (sink.py) [MB/s]"),
        )


def oci_scenario(bench):
    peers = bench.among("berth", "distribution", "nginx")
    report = ScenarioReport("oci", "the registry: manifests, blob pull and push, memory; "
                                   "berth against distribution and nginx serving the same bytes", peers)
    rows = OciRows.create(report, bench.settings.blob_mib)
    if not peers:
        return report
    payload = Payload.generate(bench.tmp, bench.settings.blob_mib)
    report.notes.append(f"test image: {len(payload.image.manifest)}-byte OCI manifest {oci.REPO}:{oci.TAG}, "
                        f"{len(payload.image.config)}-byte config, {len(payload.image.layer)}-byte layer")
    if "nginx" in peers:
        report.notes.append("nginx serves the manifest and the blob as static files at the registry's URLs, with "
                            "Content-Type, Docker-Content-Digest and Docker-Distribution-API-Version; "
                            "its push figures are dav PUTs to /up/ (stored, not hashed)")
    oci_memory(bench, rows, peers, payload)
    oci_throughput(bench, rows, peers, payload, report)
    return report


def oci_memory(bench, rows, peers, payload):
    """Idle VmRSS, then VmHWM under manifest load plus concurrent pushes: a fresh server per sample,
    so that each figure is that server's own peak and not an earlier row's."""
    for _ in range(bench.settings.repeats):
        for name in peers:
            with contextlib.ExitStack() as stack:
                server = bench.start(stack, [name], payload.nginx_files(), [rows.idle, rows.peak]).get(name)
                if server is None:
                    continue
                time.sleep(SETTLE_SECONDS)
                bench.sample(rows.idle, name, server, lambda: memory_sample(server), cpu_bound=False)
                if prepare([rows.peak], name, server, lambda: push_test_image(bench, server, payload.image)):
                    bench.sample(rows.peak, name, server,
                                 lambda: peak_sample(bench, server, payload.parallel, bench.settings.duration),
                                 cpu_bound=False)


def oci_throughput(bench, rows, peers, payload, report):
    """Every throughput row on one fresh server per peer, each row's repeats interleaved across peers."""
    duration = bench.settings.duration
    plain = manifest_headers(bench)
    closing = {**plain, "Connection": "close"}
    measurements = [
        (rows.get_keepalive, lambda server: wrk_sample(manifest_url(server), plain, CLIENTS, duration)),
        (rows.get_close, lambda server: wrk_sample(manifest_url(server), closing, CLIENTS, duration)),
        (rows.head, lambda server: hey_sample(manifest_url(server), plain, CLIENTS, duration)),
        (rows.pull, lambda server: pull_sample(bench, server, payload.big)),
        (rows.push, lambda server: push_sample(bench, server, payload.big)),
        (rows.chunked, lambda server: chunked_sample(bench, server, payload.big)),
        (rows.concurrent, lambda server: concurrent_push_sample(bench, server, payload.parallel)),
        # Last: dropping the page cache also drops the files the pushes read.
        (rows.pull_cold, lambda server: cold_pull_sample(bench, server, payload.big)),
    ]
    with contextlib.ExitStack() as stack:
        servers = bench.start(stack, peers, payload.nginx_files(), [case for case, _ in measurements])
        for name, server in servers.items():
            prepare([rows.get_keepalive, rows.get_close, rows.head], name, server,
                    lambda: push_test_image(bench, server, payload.image))
            if prepare([rows.pull, rows.pull_cold], name, server, lambda: push_big_blob(bench, server, payload.big)):
                # One untimed GET first, so that every server serves the blob from the page cache, as nginx
                # does the file the bench has just written.
                prepare([rows.pull], name, server, lambda: pull_sample(bench, server, payload.big))
            report.notes.append(probe_note(name, server, f"/v2/{oci.REPO}/manifests/{oci.TAG}", plain))
        for _ in range(bench.settings.repeats):
            try:
                rows.sha256.add(loadgen.openssl_sha256_mb_s())
            except MeasurementError as e:
                rows.sha256.fail(str(e))
            try:
                rows.curl_put.add(loadgen.curl_put_ceiling_mb_s(payload.big.path, payload.big.size))
            except MeasurementError as e:
                rows.curl_put.fail(str(e))
        for case, measure in measurements:
            for _ in range(bench.settings.repeats):
                for name, server in servers.items():
                    if case is rows.chunked and isinstance(server, Nginx):
                        continue  # nginx has no upload sessions
                    bench.sample(case, name, server, lambda: measure(server))


def pull_sample(bench, server, blob):
    result = loadgen.curl_pull(f"{server.base_url}/v2/{oci.REPO}/blobs/{blob.digest}", bench.credentials, blob.size)
    return result["mb_s"], result


def cold_pull_sample(bench, server, blob):
    """A GET that reads the blob from the disk: the page cache is dropped first (needs root)."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("1")
    except OSError as e:
        raise MeasurementError(f"cannot drop the page cache: {e.strerror}") from e
    return pull_sample(bench, server, blob)


def chunked_sample(bench, server, blob):
    os.sync()
    client = bench.client(server)
    try:
        seconds = client.chunked_push(blob)
    finally:
        client.close()
    return blob.size / seconds / 1e6, {"seconds": seconds}


# --- metrics -----------------------------------------------------------------------------------------

METRICS_OFF = "berth-no-metrics"


def metrics_scenario(bench):
    """The cost of counting: the same manifest GET load on two berths, one with extensions.metrics on
    (`berth`) and one with it off, repeats interleaved."""
    peers = ["berth", METRICS_OFF] if "berth" in bench.settings.peers else []
    report = ScenarioReport("metrics", "manifest GET with extensions.metrics on (berth) and off "
                                       f"({METRICS_OFF}): what counting every request costs", peers)
    case = report.case("manifest_get_keepalive", f"manifest GET keep-alive, wrk -t1 -c{CLIENTS}", "req/s",
                       Target(">=", 0.97, METRICS_OFF))
    if not peers:
        return report
    image = oci.TestImage.build()
    headers = manifest_headers(bench)
    with contextlib.ExitStack() as stack:
        servers = {}
        for name, enabled in (("berth", True), (METRICS_OFF, False)):
            workdir = os.path.join(bench.tmp, f"{name}-{next(bench._ids)}")
            server = Berth(workdir, bench.settings.berth, bench.credentials, bench.settings.keep_temp,
                           metrics=enabled)
            try:
                servers[name] = stack.enter_context(server)
            except PeerUnavailable as e:
                fail_all([case], name, str(e))
                continue
            bench.configs[name] = server.config_text
            prepare([case], name, server, lambda: push_test_image(bench, server, image))
        for _ in range(bench.settings.repeats):
            for name, server in servers.items():
                bench.sample(case, name, server,
                             lambda: wrk_sample(manifest_url(server), headers, CLIENTS, bench.settings.duration))
        if "berth" in servers:
            report.notes.append(scrape_note(bench, servers["berth"]))
    return report


def scrape_note(bench, server):
    """The request counter of the berth with metrics on, to show that it counted the load."""
    conn = http.client.HTTPConnection(oci.HOST, server.port, timeout=30)
    try:
        conn.request("GET", "/metrics", headers=bench.headers())
        response = conn.getresponse()
        text = response.read().decode()
    except FAILURES as e:
        return f"berth GET /metrics: n/a ({describe(e)})"
    finally:
        conn.close()
    prefix = 'zot_http_requests_total{method="GET",code="200"} '
    counted = [line[len(prefix):] for line in text.splitlines() if line.startswith(prefix)]
    return (f"berth GET /metrics: {response.status}, {len(text)} bytes; "
            f"{prefix}{counted[0] if counted else 'absent'}")


# --- auth --------------------------------------------------------------------------------------------

BURST_LOGINS = 100
BURST_BEFORE_SECONDS = 2.0
AUTH_PEERS = ("berth", "berth-noauth")


@dataclass
class AuthRows:
    get_keepalive: object
    get_close: object
    before_rps: object
    during_rps: object
    before_p99: object
    during_p99: object
    during_max: object
    burst_seconds: object

    @classmethod
    def create(cls, report):
        ratio = Target(">=", 0.85, "berth-noauth")
        probe = "GET probe, 1 keep-alive client"
        during = f"during {BURST_LOGINS} wrong logins from {BURST_LOGINS} addresses"
        return cls(
            report.case("manifest_get_keepalive", f"manifest GET keep-alive, wrk -t1 -c{CLIENTS}", "req/s", ratio),
            report.case("manifest_get_close", f"manifest GET Connection: close, wrk -t1 -c{CLIENTS}", "req/s",
                        ratio),
            report.case("burst_before_rps", f"{probe}, {BURST_BEFORE_SECONDS:g} s before the burst", "req/s"),
            report.case("burst_during_rps", f"{probe}, {during}", "req/s"),
            report.case("burst_before_p99", f"{probe}, p99 before the burst", "ms"),
            report.case("burst_during_p99", f"{probe}, p99 {during}", "ms"),
            report.case("burst_during_max", f"{probe}, slowest GET {during}", "ms"),
            report.case("burst_seconds", f"{BURST_LOGINS} wrong logins, first sent to last answered", "s"),
        )


def auth_scenario(bench):
    """Basic auth's cost on manifest GETs (berth with an htpasswd user, every request carrying the
    header, against berth with auth off), and a burst of wrong logins while an authenticated
    client keeps reading."""
    peers = list(AUTH_PEERS) if "berth" in bench.settings.peers else []
    report = ScenarioReport("auth", "manifest GET with Basic auth against without, and GETs during a burst of "
                                    f"{BURST_LOGINS} wrong logins (target: auth ≥ 0.85× no auth)", peers)
    rows = AuthRows.create(report)
    if not peers:
        return report
    credentials = bench.credentials or Credentials("bench", "bench-pass")
    image = oci.TestImage.build()
    report.notes.append("berth: one htpasswd user, bcrypt cost 5; berth-noauth: the same berth without "
                        "http.auth; the wrong logins each come from their own 127.77.x.y address")
    with contextlib.ExitStack() as stack:
        servers = {}
        for name, creds in (("berth", credentials), ("berth-noauth", None)):
            server = Berth(os.path.join(bench.tmp, f"{name}-{next(bench._ids)}"), bench.settings.berth, creds,
                           bench.settings.keep_temp)
            try:
                servers[name] = stack.enter_context(server)
            except PeerUnavailable as e:
                fail_all(report.cases, name, str(e))
                continue
            bench.configs[name] = server.config_text
            prepare(report.cases, name, server, lambda: push_auth_image(server, creds, image))
        auth_throughput(bench, rows, servers, credentials)
        if "berth" in servers:
            auth_burst_rows(bench, rows, servers["berth"], credentials)
    return report


def push_auth_image(server, credentials, image):
    client = oci.Client(server.port, credentials)
    try:
        client.push_image(image)
        client.check_manifest(image)
    finally:
        client.close()


def auth_headers(credentials, **extra):
    auth = credentials.header() if credentials else {}
    return {**auth, "Accept": oci.MANIFEST_TYPE, **extra}


def auth_throughput(bench, rows, servers, credentials):
    duration = bench.settings.duration
    for case, extra in ((rows.get_keepalive, {}), (rows.get_close, {"Connection": "close"})):
        for _ in range(bench.settings.repeats):
            for name, server in servers.items():
                headers = auth_headers(credentials if name == "berth" else None, **extra)
                bench.sample(case, name, server,
                             lambda: wrk_sample(manifest_url(server), headers, CLIENTS, duration))


def auth_burst_rows(bench, rows, server, credentials):
    cases = [rows.before_rps, rows.during_rps, rows.before_p99, rows.during_p99, rows.during_max,
             rows.burst_seconds]
    path = f"/v2/{oci.REPO}/manifests/{oci.TAG}"
    for round_number in range(bench.settings.repeats):
        def measure():
            result = auth_burst.measure(server.port, path, auth_headers(credentials), credentials.user,
                                        BURST_LOGINS, BURST_BEFORE_SECONDS, round_number)
            before, during = result["before"], result["during"]
            return [(before["rps"], result), (during["rps"], result), (before["p99_ms"], result),
                    (during["p99_ms"], result), (during["max_ms"], result), (result["burst_seconds"], result)]
        bench.sample_rows(cases, "berth", server, measure)


SCENARIOS = {
    "core": (core, "GET /v2/ keep-alive and Connection: close, idle RSS and RSS with 1,000 idle connections; "
                   "berth and nginx"),
    "oci": (oci_scenario, "manifest GET/HEAD, 1 GiB pull and pushes (monolithic, chunked, 8 concurrent), "
                          "idle and peak RSS; berth, distribution and nginx"),
    "metrics": (metrics_scenario, "manifest GET keep-alive on berth with extensions.metrics on and off; the "
                                  "ratio is what counting costs"),
    "auth": (auth_scenario, "manifest GET with Basic auth against auth off, and GETs during a burst of "
                            f"{BURST_LOGINS} wrong logins; berth only"),
}
