#!/usr/bin/python3
"""berth benchmarks: berth side by side with CNCF distribution and nginx, on this machine, in one run.

    bench/run.py --list
    bench/run.py core            # server core: GET /v2/, idle memory, 1,000 idle connections
    bench/run.py oci             # registry: manifests, blob pull/push, memory
    bench/run.py all -d 10 -r 3  # everything at the real settings (13 to 15 minutes)

Servers run on CPU 0 (taskset -c 0), load generators and this harness on CPU 1. Prints a table per
scenario and writes every sample to bench/results/<timestamp>.json. See bench/README.md.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from loadgen import LOAD_CPU, SERVER_CPU
from results import PEERS, render
from scenarios import (CLIENTS, CONCURRENT_PUSHES, IDLE_CONNECTIONS, PEAK_CLIENTS, QUIET_PERCENT, SCENARIOS, Bench,
                       Settings)

APT_PACKAGES = "wrk hey nginx-light docker-registry apache2-utils curl openssl util-linux"

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
TOOLS = ("wrk", "hey", "nginx", "docker-registry", "htpasswd", "curl", "openssl", "taskset")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", help="scenario names, or `all`")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("-d", "--duration", type=int, default=10, help="seconds per load run (default 10)")
    parser.add_argument("-r", "--repeats", type=int, default=3, help="runs per figure; the median is shown (default 3)")
    parser.add_argument("--berth", default=os.path.join(REPO_ROOT, "build", "src", "berth"),
                        help="berth binary (default build/src/berth under the repository root)")
    parser.add_argument("--no-auth", action="store_true",
                        help="no htpasswd on berth and distribution (default: one bcrypt user on both)")
    parser.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated subset of {','.join(PEERS)}")
    parser.add_argument("--blob-mib", type=int, default=1024,
                        help="size of the big blob in MiB; the concurrent pushes use a quarter each (default 1024)")
    parser.add_argument("--output", help="JSON file (default bench/results/<timestamp>.json)")
    parser.add_argument("--retries", type=int, default=2,
                        help="take a sample again, up to this many times, when other work kept the server "
                             "waiting for a CPU during it (default 2)")
    parser.add_argument("--wait-quiet", type=float, default=10,
                        help="before such a retry, wait up to this many seconds for CPUs 0 and 1 to be idle "
                             "(default 10)")
    parser.add_argument("--nice", type=int, default=0,
                        help="scheduling niceness of the harness, the servers and the load generators (root may go "
                             "negative: -20 keeps other work on a shared machine from skewing the figures; default 0)")
    parser.add_argument("--keep-temp", action="store_true", help="keep the servers' directories and logs")
    args = parser.parse_args(argv)
    args.peers = tuple(p for p in args.peers.split(",") if p)
    unknown = [p for p in args.peers if p not in PEERS] + \
              [s for s in args.scenarios if s != "all" and s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown peer or scenario: {', '.join(unknown)}")
    if not args.list and not args.scenarios:
        parser.error("name a scenario (or --list)")
    if args.repeats < 1 or args.duration < 1 or args.blob_mib < 4:
        parser.error("duration and repeats must be at least 1, --blob-mib at least 4")
    return args


def check_machine():
    """Two CPUs and the tools, or a message saying what to install."""
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if missing:
        sys.exit(f"missing {', '.join(missing)}: apt-get install -y --no-install-recommends {APT_PACKAGES}")
    if not {int(SERVER_CPU), int(LOAD_CPU)} <= os.sched_getaffinity(0):
        sys.exit(f"needs CPUs {SERVER_CPU} and {LOAD_CPU} (server and load generator)")


def command_output(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        return ""


def machine_facts(berth):
    """Everything needed to compare two result files: commit, kernel, CPU, tool versions, berth build."""
    cpu_model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                      if line.startswith("model name")), platform.processor())
    facts = {
        "commit": command_output(["git", "-C", REPO_ROOT, "rev-parse", "HEAD"]),
        "worktree_dirty": bool(command_output(["git", "-C", REPO_ROOT, "--no-optional-locks", "status",
                                               "--porcelain", "--untracked-files=no"])),
        "kernel": platform.release(),
        "cpu_model": cpu_model,
        "cpus": os.cpu_count(),
        "loadavg_at_start": open("/proc/loadavg").read().split()[:3],
        "packages": dict(line.split(" ", 1) for line in command_output(
            ["dpkg-query", "-W", "-f", "${Package} ${Version}\n", *APT_PACKAGES.split()]).splitlines()),
        "berth_binary": {"path": berth, "exists": os.path.exists(berth)},
    }
    if os.path.exists(berth):
        facts["berth_binary"]["mtime"] = datetime.datetime.fromtimestamp(os.path.getmtime(berth)).isoformat()
        facts["berth_binary"]["buildtype"] = meson_buildtype(berth)
    return facts


def meson_buildtype(berth):
    """The buildtype of the meson build dir holding the binary: a debug build is no benchmark."""
    build_dir = os.path.dirname(os.path.dirname(os.path.abspath(berth)))
    try:
        with open(os.path.join(build_dir, "meson-info", "intro-buildoptions.json")) as f:
            options = {o["name"]: o["value"] for o in json.load(f)}
    except (OSError, ValueError):
        return None
    return {key: options.get(key) for key in ("buildtype", "optimization", "b_ndebug", "b_lto")}


def logging_notes(auth):
    return [
        "berth: log level warn (no per-request log lines)",
        "distribution: log level error, access log disabled",
        "nginx: 1 worker, sendfile, tcp_nopush, access_log off, error_log at error",
        "auth: one htpasswd bcrypt (cost 5) user on berth and distribution, nginx none (it ignores the header)"
        if auth else "auth: off on every peer (--no-auth)",
    ]


def prepare_process(nice):
    """The harness itself runs on the load CPU; it holds 1,000 sockets, so it lifts its fd limit.
    Servers and load generators inherit both, and the niceness. SIGTERM unwinds like Ctrl-C, so
    every server started is stopped."""
    os.sched_setaffinity(0, {int(LOAD_CPU)})
    try:
        set_niceness(nice)
    except PermissionError:
        sys.exit(f"--nice {nice} needs root")
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    signal.signal(signal.SIGTERM, _interrupt)


def set_niceness(nice):
    """Niceness of this process and of its session's autogroup: with sched_autogroup_enabled (the
    default), CPU time is shared between sessions first, so a process's nice alone changes nothing
    against a build running in another session."""
    os.setpriority(os.PRIO_PROCESS, 0, nice)
    if os.path.exists("/proc/self/autogroup"):
        with open("/proc/self/autogroup", "w") as f:
            f.write(str(nice))


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def run_scenario(bench, name):
    """Runs one scenario, prints its table and returns its JSON record."""
    print(f"running {name} ...", flush=True)
    started = time.monotonic()
    report = SCENARIOS[name][0](bench)
    noisy, sampled = bench.take_noise()
    if noisy:
        advice = "rerun on an idle machine" + (" or with --nice -20 (root)" if bench.settings.nice >= 0 else "")
        report.notes.append(f"{len(noisy)} of {sampled} samples ran while other work kept the server waiting for "
                            f"a CPU more than {QUIET_PERCENT:g}% of the time, even after {bench.settings.retries} "
                            f"retries (JSON: noisy_samples); treat those figures as rough, or {advice}")
    print(render(report), flush=True)
    return report.to_json() | {"noisy_samples": noisy, "seconds": round(time.monotonic() - started)}


def main(argv):
    args = parse_args(argv)
    if args.list:
        for name, (_, description) in SCENARIOS.items():
            print(f"{name:6} {description}")
        print(f"{'all':6} every scenario above, in that order")
        return 0
    check_machine()
    prepare_process(args.nice)
    names = list(SCENARIOS) if "all" in args.scenarios else list(dict.fromkeys(args.scenarios))
    settings = Settings(args.duration, args.repeats, os.path.abspath(args.berth), not args.no_auth, args.peers,
                        args.blob_mib, args.keep_temp, args.wait_quiet, args.retries, args.nice)
    started = datetime.datetime.now()
    record = {"started": started.isoformat(timespec="seconds"), **machine_facts(settings.berth),
              "settings": vars(settings) | {"server_cpu": SERVER_CPU, "load_cpu": LOAD_CPU},
              "concurrency": {"wrk": f"-t1 -c{CLIENTS}", "hey": f"-c{CLIENTS}", "peak_wrk": f"-t1 -c{PEAK_CLIENTS}",
                              "concurrent_pushes": CONCURRENT_PUSHES, "idle_connections": IDLE_CONNECTIONS},
              "logging": logging_notes(settings.auth), "scenarios": {}}
    print(f"commit {record['commit'][:12]}{' (dirty)' if record['worktree_dirty'] else ''}, kernel {record['kernel']}, "
          f"{record['cpu_model']}; servers on CPU {SERVER_CPU}, load on CPU {LOAD_CPU}; "
          f"{settings.repeats} × {settings.duration} s per figure, nice {settings.nice}")
    for note in record["logging"]:
        print(note)
    tmp = tempfile.mkdtemp(prefix="berth-bench-")
    bench = Bench(settings, tmp)
    try:
        for name in names:
            record["scenarios"][name] = run_scenario(bench, name)
    except KeyboardInterrupt:
        print("interrupted; every server started was stopped", file=sys.stderr)
        return 130
    finally:
        if not settings.keep_temp:
            shutil.rmtree(tmp, ignore_errors=True)
    record["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
    record["configs"] = bench.configs
    output = args.output or os.path.join(BENCH_DIR, "results", started.strftime("%Y%m%d-%H%M%S") + ".json")
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w") as f:
        json.dump(record, f, indent=1)
    print(f"results: {output} ({(datetime.datetime.now() - started).seconds} s)"
          + (f"; temp files kept in {tmp}" if settings.keep_temp else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
