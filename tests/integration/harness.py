"""Start the built berth on an ephemeral loopback port with a temporary config, for black-box tests.

    with Berth(config={"storage": {"gc": False}}, users={"alice": "secret"}) as b:
        b.url        # "127.0.0.1:PORT"
        b.port, b.root (the data directory), b.dir (the temp directory), b.log_path

The config passed in is merged over a minimal base (rootDirectory in the temp dir, port 0, log to a
file). berth logs a JSON line {"msg":"listening",...,"port":N} once it accepts connections; the
harness waits for it. Users become a bcrypt htpasswd file and http.auth.htpasswd.path.

GC passes are waited for through their log line, never by time: wait_passes(b, 2) returns once
two more "gc: pass done" lines are logged than when it was called.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))


def berth_binary():
    path = os.environ.get("BERTH_BIN") or os.path.join(SOURCE_ROOT, "build", "src", "berth")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"berth binary not found at {path}; set BERTH_BIN")
    return path


def merge(base, extra):
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def bcrypt_line(user, password):
    out = subprocess.run(["htpasswd", "-nbB", "-C", "5", user, password], check=True,
                         capture_output=True, text=True).stdout
    return out.strip()


class Berth:
    def __init__(self, config=None, users=None, root=None, env=None, startup_timeout=20):
        self.dir = tempfile.mkdtemp(prefix="berth-test-")
        self.root = root or os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "berth.log")
        self.config_path = os.path.join(self.dir, "config.json")
        self.users = users or {}
        self.env = env
        self.startup_timeout = startup_timeout
        self.proc = None
        self.port = None
        base = {
            "distSpecVersion": "1.1.1",
            "storage": {"rootDirectory": self.root},
            "http": {"address": "127.0.0.1", "port": "0"},
            "log": {"level": "info", "output": self.log_path},
        }
        if self.users:
            htpasswd = os.path.join(self.dir, "htpasswd")
            with open(htpasswd, "w") as f:
                for user, password in self.users.items():
                    f.write(bcrypt_line(user, password) + "\n")
            base["http"]["auth"] = {"htpasswd": {"path": htpasswd}}
        self.config = merge(base, config or {})

    @property
    def url(self):
        return f"127.0.0.1:{self.port}"

    def write_config(self):
        with open(self.config_path, "w") as f:
            json.dump(self.config, f, indent=2)

    def start(self):
        self.write_config()
        offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        self.proc = subprocess.Popen([berth_binary(), "serve", self.config_path],
                                     stdout=open(os.path.join(self.dir, "stdout"), "ab"),
                                     stderr=open(os.path.join(self.dir, "stderr"), "ab"),
                                     env=self.env)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"berth exited with {self.proc.returncode}: {self.stderr()}")
            for line in self.log_lines(offset):
                if line.get("msg") == "listening":
                    self.port = int(line["port"])
                    return self
            time.sleep(0.02)
        raise RuntimeError("berth did not start listening in time")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def kill(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        return self.start()

    def log_lines(self, offset=0):
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            data = f.read()
        lines = []
        for raw in data.splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                pass
        return lines

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stderr(self):
        with open(os.path.join(self.dir, "stderr"), errors="replace") as f:
            return f.read()

    def connect(self, timeout=10):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if not os.environ.get("BERTH_KEEP_TEST_DIRS"):
            shutil.rmtree(self.dir, ignore_errors=True)


def gc_pass_lines(berth):
    """The "gc: pass done" log lines berth has written so far, parsed."""
    return [line for line in berth.log_lines() if line.get("msg") == "gc: pass done"]


def wait_passes(berth, count, limit=60):
    """Waits until `count` more GC passes are logged after now; fails after `limit` seconds."""
    start = len(gc_pass_lines(berth))
    deadline = time.monotonic() + limit
    while len(gc_pass_lines(berth)) < start + count:
        if time.monotonic() > deadline:
            raise AssertionError("no GC pass logged:\n" + berth.log_text()[-3000:])
        time.sleep(0.1)
