"""The servers under test: berth, CNCF distribution (Debian docker-registry) and nginx.

Each is started fresh on the server CPU (taskset -c 0), on an ephemeral loopback port, with its data
in its own temporary directory, in its own process group (so that Ctrl-C reaches the harness, which
stops it, and stopping reaches nginx's worker too) but in the harness's session (so that it shares
the harness's scheduler autogroup and --nice), and dies with the harness: a benchmark must never
leave a server behind, not even after Ctrl-C or a crash of the harness.
"""

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field

from loadgen import SERVER_CPU, die_with_parent

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 20.0


class PeerUnavailable(Exception):
    """A server could not be started or stopped answering; the message says why."""


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str

    def header(self):
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}


def htpasswd_file(path, credentials):
    """A bcrypt htpasswd file (cost 5, htpasswd's default): the only kind distribution accepts."""
    line = subprocess.run(["htpasswd", "-nbB", "-C", "5", credentials.user, credentials.password],
                          check=True, capture_output=True, text=True).stdout.strip()
    with open(path, "w") as f:
        f.write(line + "\n")


def free_port():
    """An ephemeral port for servers that cannot bind port 0 themselves and report it."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Memory:
    """VmRSS and VmHWM in kB (1024 bytes), summed over the server's processes."""
    rss_kb: int
    hwm_kb: int

    @property
    def rss_mb(self):
        return self.rss_kb * 1024 / 1e6

    @property
    def hwm_mb(self):
        return self.hwm_kb * 1024 / 1e6


def process_memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
    return Memory(fields["VmRSS"], fields["VmHWM"])


def child_pids(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def listening_ports(pid):
    """TCP ports a process listens on, from /proc: its socket inodes matched against /proc/net/tcp*."""
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[3] == "0A" and cols[9] in inodes:  # 0A = LISTEN
                    ports.append(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def answers_http(port):
    """True once something on the port answers an HTTP request with a status line."""
    try:
        with socket.create_connection((HOST, port), timeout=2) as s:
            s.sendall(b"GET /v2/ HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            return s.recv(16).startswith(b"HTTP/1.")
    except OSError:
        return False


class Server:
    """A server process started on the server CPU; subclasses write the config and find the port."""
    name = "server"

    def __init__(self, workdir, keep_files=False):
        self.workdir = workdir
        self.keep_files = keep_files
        os.makedirs(workdir, exist_ok=True)
        self.proc = None
        self.port = None
        self.config_text = ""

    @property
    def base_url(self):
        return f"http://{HOST}:{self.port}"

    def spawn(self, argv):
        with open(os.path.join(self.workdir, "stdout"), "wb") as out, \
             open(os.path.join(self.workdir, "stderr"), "wb") as err:
            self.proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, *argv], stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, process_group=0, preexec_fn=die_with_parent)

    def output_files(self):
        return [os.path.join(self.workdir, "stderr"), os.path.join(self.workdir, "stdout")]

    def output_tail(self, limit=400):
        """The end of what the server wrote, timestamps dropped so that equal failures read alike."""
        text = ""
        for path in self.output_files():
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    text += f.read()
        return re.sub(r'"time":"[^"]*",?', "", text).strip()[-limit:]

    def exit_reason(self):
        """None while the server runs; otherwise why it is gone, with the end of its output."""
        if self.proc is None or self.proc.poll() is None:
            return None
        tail = self.output_tail()
        return f"{self.name} exited with status {self.proc.returncode}" + (f": {tail}" if tail else "")

    def wait_until_serving(self, deadline):
        while time.monotonic() < deadline:
            reason = self.exit_reason()
            if reason:
                raise PeerUnavailable(reason)
            if self.port and answers_http(self.port):
                return
            time.sleep(0.02)
        raise PeerUnavailable(f"{self.name} did not answer HTTP within {STARTUP_TIMEOUT:.0f} s")

    def start(self):
        raise NotImplementedError

    def pids(self):
        return [self.proc.pid]

    def memory(self):
        total = Memory(0, 0)
        for pid in self.pids():
            one = process_memory(pid)
            total = Memory(total.rss_kb + one.rss_kb, total.hwm_kb + one.hwm_kb)
        return total

    def stop(self):
        """SIGTERM to the server's own process group, SIGKILL after 10 s; then its files go."""
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        if not self.keep_files:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()


class Berth(Server):
    """berth with a Zot-format config; the port comes from its `listening` log line."""
    name = "berth"

    def __init__(self, workdir, binary, credentials, keep_files=False, metrics=False):
        super().__init__(workdir, keep_files)
        self.binary = binary
        self.credentials = credentials
        self.metrics = metrics
        self.log_path = os.path.join(workdir, "berth.log")

    def config(self):
        """Log level warn: at info every request is logged, which would measure the logger."""
        config = {
            "distSpecVersion": "1.1.1",
            "storage": {"rootDirectory": os.path.join(self.workdir, "data"), "gc": False},
            "http": {"address": HOST, "port": "0"},
            "log": {"level": "warn", "output": self.log_path},
        }
        if self.credentials:
            path = os.path.join(self.workdir, "htpasswd")
            htpasswd_file(path, self.credentials)
            config["http"]["auth"] = {"htpasswd": {"path": path}}
        if self.metrics:
            config["extensions"] = {"metrics": {"enable": True}}
        return config

    def output_files(self):
        return [*super().output_files(), self.log_path]

    def logged_port(self):
        if not os.path.exists(self.log_path):
            return None
        with open(self.log_path, "rb") as f:
            for raw in f:
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(line, dict) and line.get("msg") == "listening" and "port" in line:
                    return int(line["port"])
        return None

    def find_port(self):
        """The `listening` log line names the port; /proc is the fallback in case a level of warn
        filters that line out."""
        port = self.logged_port()
        if port is None and self.proc.poll() is None:
            ports = listening_ports(self.proc.pid)
            port = ports[0] if ports else None
        return port

    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise PeerUnavailable(f"berth is not built ({self.binary} missing)")
        config_path = os.path.join(self.workdir, "config.json")
        self.config_text = json.dumps(self.config(), indent=2)
        with open(config_path, "w") as f:
            f.write(self.config_text)
        self.spawn([self.binary, "serve", config_path])
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while self.port is None and time.monotonic() < deadline:
            reason = self.exit_reason()
            if reason:
                raise PeerUnavailable(reason)
            self.port = self.find_port()
            time.sleep(0.02)
        self.wait_until_serving(deadline)
        return self


DISTRIBUTION_CONFIG = """\
version: 0.1
log:
  level: error                # logrus (stderr) at error only
  accesslog: {{disabled: true}} # no per-request access log on stdout
storage:
  filesystem: {{rootdirectory: {root}}}
  delete: {{enabled: true}}
  cache: {{blobdescriptor: inmemory}}
http: {{addr: "{host}:{port}", secret: bench-secret}}
"""

DISTRIBUTION_AUTH = "auth: {{htpasswd: {{realm: basic-realm, path: {path}}}}}\n"


class Distribution(Server):
    """CNCF distribution 2.8.2 as configured in real-clients.md §2, with its logging turned down."""
    name = "distribution"

    def __init__(self, workdir, credentials, keep_files=False):
        super().__init__(workdir, keep_files)
        self.credentials = credentials

    def start(self):
        self.port = free_port()
        text = DISTRIBUTION_CONFIG.format(root=os.path.join(self.workdir, "storage"), host=HOST, port=self.port)
        if self.credentials:
            path = os.path.join(self.workdir, "htpasswd")
            htpasswd_file(path, self.credentials)
            text += DISTRIBUTION_AUTH.format(path=path)
        self.config_text = text
        config_path = os.path.join(self.workdir, "config.yml")
        with open(config_path, "w") as f:
            f.write(text)
        self.spawn(["/usr/bin/docker-registry", "serve", config_path])
        self.wait_until_serving(time.monotonic() + STARTUP_TIMEOUT)
        return self


@dataclass
class StaticFile:
    """One URL nginx serves from a file, with the Content-Type and headers a registry would send.
    `data` is written; `link` (a path) is hard-linked, so a 1 GiB blob costs no copy."""
    url: str
    content_type: str
    headers: dict = field(default_factory=dict)
    data: bytes = None
    link: str = None


NGINX_CONFIG = """\
daemon off;
master_process on;
user root;
worker_processes 1;
worker_rlimit_nofile 8192;
pid {dir}/nginx.pid;
error_log {dir}/error.log error;
events {{ worker_connections 4096; }}
http {{
    types {{}}
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    client_body_temp_path {dir}/body;
    server {{
        listen {host}:{port};
        root {dir}/www;
{locations}
        location /up/ {{ dav_methods PUT; create_full_put_path on; client_max_body_size 0; }}
    }}
}}
"""


class Nginx(Server):
    """nginx 1.22 with one worker, sendfile and no access log: the static-file ceiling (real-clients.md §8).
    Each StaticFile gets an exact-match location; /up/ takes PUT (dav) as the no-hash upload anchor."""
    name = "nginx"

    def __init__(self, workdir, files=(), keep_files=False):
        super().__init__(workdir, keep_files)
        self.files = list(files)

    def location_block(self, index, static):
        lines = [f"        location = {static.url} {{", f"            default_type {static.content_type};"]
        lines += [f"            add_header {name} \"{value}\";" for name, value in static.headers.items()]
        lines += [f"            try_files /f{index} =404;", "        }"]
        return "\n".join(lines)

    def publish_files(self):
        www = os.path.join(self.workdir, "www")
        os.makedirs(os.path.join(www, "up"), exist_ok=True)
        os.makedirs(os.path.join(self.workdir, "body"), exist_ok=True)
        for index, static in enumerate(self.files):
            path = os.path.join(www, f"f{index}")
            if static.link:
                os.link(static.link, path)
            else:
                with open(path, "wb") as f:
                    f.write(static.data)

    def start(self):
        self.port = free_port()
        self.publish_files()
        locations = "\n".join(self.location_block(i, s) for i, s in enumerate(self.files))
        self.config_text = NGINX_CONFIG.format(dir=self.workdir, host=HOST, port=self.port, locations=locations)
        config_path = os.path.join(self.workdir, "nginx.conf")
        with open(config_path, "w") as f:
            f.write(self.config_text)
        self.spawn(["/usr/sbin/nginx", "-p", self.workdir, "-c", config_path])
        self.wait_until_serving(time.monotonic() + STARTUP_TIMEOUT)
        return self

    def pids(self):
        """Master and worker: nginx's memory is what both hold."""
        return [self.proc.pid, *child_pids(self.proc.pid)]
