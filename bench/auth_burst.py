"""A login burst against a registry while one authenticated client keeps reading a manifest.

The probe is one keep-alive client doing manifest GETs back to back and recording when each one
started and how long it took; the burst is `count` logins with distinct wrong passwords, sent at
once, each from its own loopback address (127.77.x.y), so that a per-address limit on failed
logins does not cut it short: the worst case for the server, many clients guessing at once. The
figures compare the probe's requests during the burst (first login sent to last answered) with
those of the seconds before it.
"""

import base64
import collections
import http.client
import statistics
import threading
import time

from loadgen import MeasurementError

BURST_SOURCE_PREFIX = "127.77"


class GetProbe(threading.Thread):
    """Manifest GETs on one keep-alive connection until stop(); samples are (start, seconds)."""

    def __init__(self, port, path, headers):
        super().__init__(daemon=True)
        self.port, self.path, self.headers = port, path, headers
        self.samples = []
        self.failures = 0
        self._stop_event = threading.Event()

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            while not self._stop_event.is_set():
                started = time.monotonic()
                conn.request("GET", self.path, headers=self.headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    self.failures += 1
                self.samples.append((started, time.monotonic() - started))
        finally:
            conn.close()

    def stop(self):
        self._stop_event.set()
        self.join(60)


def wrong_login(port, source, user, password, path, statuses, lock):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
        conn.request("GET", path, headers={"Authorization": f"Basic {token}"})
        status = conn.getresponse().status
        conn.close()
    except OSError as e:
        status = type(e).__name__
    with lock:
        statuses[status] += 1


def burst(port, count, user, path, round_number):
    """`count` wrong logins at once from distinct addresses; (first sent, last answered, statuses)."""
    statuses, lock = collections.Counter(), threading.Lock()
    threads = []
    for i in range(count):
        source = f"{BURST_SOURCE_PREFIX}.{round_number % 250}.{i % 250 + 1}"
        password = f"wrong-{round_number}-{i}"
        threads.append(threading.Thread(target=wrong_login,
                                        args=(port, source, user, password, path, statuses, lock)))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return started, time.monotonic(), statuses


def window(samples, begin, end):
    """Rate and latencies of the probe requests that started within [begin, end)."""
    inside = [seconds for started, seconds in samples if begin <= started < end]
    if not inside or end <= begin:
        raise MeasurementError("the probe completed no request in the window")
    ordered = sorted(inside)
    return {"rps": len(inside) / (end - begin), "requests": len(inside),
            "p50_ms": statistics.median(ordered) * 1000,
            "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
            "max_ms": ordered[-1] * 1000}


def measure(port, manifest_path, headers, user, count, before_seconds, round_number):
    """Probe alone for `before_seconds`, then the burst; the two windows and the burst's outcome."""
    probe = GetProbe(port, manifest_path, headers)
    probe.start()
    try:
        time.sleep(before_seconds)
        started, finished, statuses = burst(port, count, user, manifest_path, round_number)
        time.sleep(0.2)
    finally:
        probe.stop()
    if probe.failures:
        raise MeasurementError(f"{probe.failures} probe GETs were not answered 200")
    before = window(probe.samples, started - before_seconds, started)
    during = window(probe.samples, started, finished)
    return {"before": before, "during": during, "burst_seconds": finished - started,
            "statuses": {str(k): v for k, v in statuses.items()}}
