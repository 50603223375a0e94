"""The load generators (wrk, hey, curl, openssl), always run on the load CPU, and the parsers of their output.

Every function returns a figure or raises MeasurementError: a run whose output shows failed requests
is not a figure, because a server that answers 404 or drops connections is fast for the wrong reason.
"""

import ctypes
import os
import re
import signal
import subprocess
import sys

LOAD_CPU = "1"
SERVER_CPU = "0"

# A run with more failed requests than this share is rejected (a handful of timeouts at the very end
# of a run under heavy load is noise; a steady stream of errors is a broken server).
MAX_ERROR_SHARE = 0.001


PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    """Runs in a child before exec: SIGKILL it if the harness dies, so nothing we start outlives a run."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class MeasurementError(Exception):
    """A measurement did not produce a trustworthy figure; the message says why."""


def on_load_cpu(argv):
    return ["taskset", "-c", LOAD_CPU, *argv]


def run_tool(argv, timeout):
    """Runs a tool pinned to the load CPU; returns stdout. Killed on timeout or Ctrl-C (subprocess.run does that)."""
    try:
        done = subprocess.run(on_load_cpu(argv), capture_output=True, text=True, timeout=timeout,
                              preexec_fn=die_with_parent)
    except subprocess.TimeoutExpired as e:
        raise MeasurementError(f"{argv[0]} did not finish within {timeout:.0f} s") from e
    if done.returncode != 0:
        raise MeasurementError(f"{argv[0]} exited {done.returncode}: {(done.stderr or done.stdout).strip()[-300:]}")
    return done.stdout


def header_args(flag, headers):
    args = []
    for name, value in headers.items():
        args += [flag, f"{name}: {value}"]
    return args


# --- wrk -------------------------------------------------------------------------------------------

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _latency_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise MeasurementError(f"unparsable latency {text!r}")
    return float(match.group(1)) * _UNIT_MS[match.group(2)]


def parse_wrk(output):
    """Requests/sec, p50/p99 latency and the error counts from `wrk --latency` output."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"^\s*(\d+) requests in", output, re.M)
    if not rate or not total:
        raise MeasurementError(f"unparsable wrk output: {output.strip()[-300:]}")
    result = {"requests": int(total.group(1)), "rps": float(rate.group(1))}
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.M)
        if match:
            result[f"p{pct}_ms"] = round(_latency_ms(match.group(1)), 3)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    result["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"),
                                       map(int, sock.groups()))) if sock else {}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    return result


def wrk_command(url, headers, connections, duration):
    return ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency",
            *header_args("-H", headers), url]


def check_wrk(result):
    """Rejects a wrk run with any non-2xx answer or more than a trace of socket errors."""
    if result["requests"] == 0:
        raise MeasurementError("wrk completed no request")
    if result["non_2xx"]:
        raise MeasurementError(f"{result['non_2xx']} of {result['requests']} responses were not 2xx/3xx")
    if sum(result["socket_errors"].values()) > MAX_ERROR_SHARE * result["requests"]:
        raise MeasurementError(f"socket errors {result['socket_errors']} over {result['requests']} requests")
    return result


def wrk(url, headers, connections, duration):
    """GET load with wrk: the lightest client here (84k req/s on nginx against hey's 58k)."""
    output = run_tool(wrk_command(url, headers, connections, duration), timeout=duration + 60)
    return check_wrk(parse_wrk(output))


# --- hey -------------------------------------------------------------------------------------------

def parse_hey(output):
    """Requests/sec, p50/p99 latency, per-status counts and error counts from hey's summary."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not rate:
        raise MeasurementError(f"unparsable hey output: {output.strip()[-300:]}")
    statuses = {int(code): int(count) for code, count in re.findall(r"\[(\d{3})\]\s+(\d+) responses", output)}
    errors_block = output.split("Error distribution:", 1)[1] if "Error distribution:" in output else ""
    errors = sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]", errors_block, re.M))
    result = {"rps": float(rate.group(1)), "statuses": statuses, "errors": errors,
              "requests": sum(statuses.values())}
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}% in ([\d.]+) secs", output, re.M)
        if match:
            result[f"p{pct}_ms"] = round(float(match.group(1)) * 1000, 3)
    return result


def hey_head(url, headers, connections, duration):
    """HEAD load with hey, because wrk cannot do HEAD (it waits for a body that never comes)."""
    output = run_tool(["hey", "-z", f"{duration}s", "-c", str(connections), "-cpus", "1", "-m", "HEAD",
                       *header_args("-H", headers), url], timeout=duration + 60)
    result = parse_hey(output)
    bad = {code: n for code, n in result["statuses"].items() if not 200 <= code < 300}
    if result["requests"] == 0:
        raise MeasurementError(f"hey completed no request ({result['errors']} errors)")
    if bad:
        raise MeasurementError(f"non-2xx statuses {bad} of {result['requests']} responses")
    if result["errors"] > MAX_ERROR_SHARE * result["requests"]:
        raise MeasurementError(f"{result['errors']} errors over {result['requests']} requests")
    return result


# --- curl ------------------------------------------------------------------------------------------

def curl_auth(credentials):
    return ["-u", f"{credentials.user}:{credentials.password}"] if credentials else []


def curl_pull(url, credentials, expected_size, timeout=300):
    """Downloads to /dev/null; MB/s as curl measures it (the same client for every server)."""
    output = run_tool(["curl", "-sS", "-o", "/dev/null", "--max-time", str(timeout),
                       "-w", "%{http_code} %{size_download} %{speed_download}", *curl_auth(credentials), url],
                      timeout=timeout + 10)
    status, size, speed = output.split()
    if status != "200" or int(size) != expected_size:
        raise MeasurementError(f"GET {url} answered {status} with {size} of {expected_size} bytes")
    return {"mb_s": float(speed) / 1e6, "seconds": expected_size / float(speed)}


def curl_put_command(url, path, credentials, timeout=600):
    """A `curl -T` PUT of a file. `Expect:` is emptied so that curl sends the body at once instead of
    waiting up to 1 s for `100 Continue`: the figure is the server's, not curl's politeness."""
    return on_load_cpu(["curl", "-sS", "-o", "/dev/null", "--max-time", str(timeout), "-T", path,
                        "-H", "Content-Type: application/octet-stream", "-H", "Expect:",
                        "-w", "%{http_code} %{time_total} %{size_upload}", *curl_auth(credentials), url])


def parse_curl_put(output, url, expected_statuses, size):
    """Seconds the PUT took, or MeasurementError when the status or uploaded size is wrong."""
    try:
        status, seconds, uploaded = output.split()
    except ValueError as e:
        raise MeasurementError(f"PUT {url}: unexpected curl output {output!r}") from e
    if int(status) not in expected_statuses or int(float(uploaded)) != size:
        raise MeasurementError(f"PUT {url} answered {status} after {uploaded} of {size} bytes")
    return float(seconds)


def curl_put(url, path, credentials, expected_statuses, size):
    command = curl_put_command(url, path, credentials)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=620, preexec_fn=die_with_parent)
    except subprocess.TimeoutExpired as e:
        raise MeasurementError(f"PUT {url} did not finish") from e
    if done.returncode != 0:
        raise MeasurementError(f"curl PUT exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return parse_curl_put(done.stdout, url, expected_statuses, size)


def curl_put_ceiling_mb_s(path, size):
    """The same `curl -T` PUT into sink.py on the server CPU, which reads the body and drops it: what
    this client and this machine's loopback can push at all."""
    sink = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sink.py")
    proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, sys.executable, sink], stdout=subprocess.PIPE,
                            text=True, preexec_fn=die_with_parent)
    try:
        port = int(proc.stdout.readline())
        seconds = curl_put(f"http://127.0.0.1:{port}/sink", path, None, {201}, size)
        proc.wait(timeout=10)
    except (ValueError, subprocess.TimeoutExpired) as e:
        raise MeasurementError(f"the discarding sink failed: {e}") from e
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return size / seconds / 1e6


# --- openssl ---------------------------------------------------------------------------------------

def openssl_sha256_mb_s(seconds=3):
    """SHA-256 rate of one core (the server CPU), the ceiling of any push that verifies digests."""
    try:
        done = subprocess.run(["taskset", "-c", SERVER_CPU, "openssl", "speed", "-evp", "sha256",
                               "-bytes", "1048576", "-seconds", str(seconds)],
                              capture_output=True, text=True, timeout=seconds + 30)
    except subprocess.TimeoutExpired as e:
        raise MeasurementError("openssl speed did not finish") from e
    match = re.search(r"^sha256\s+([\d.]+)k\s*$", done.stdout, re.M)
    if done.returncode != 0 or not match:
        raise MeasurementError(f"unparsable openssl speed output: {done.stdout.strip()[-200:]}")
    return float(match.group(1)) * 1000 / 1e6

