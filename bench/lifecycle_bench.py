#!/usr/bin/python3
"""Manifest GET latency while the storage lifecycle works: a scrub re-hashing ~10 GB and a GC
pass over 100,000 blobs, against the same GETs with the registry idle (issue 5, part 5).

The data directory is written directly in berth's on-disk layout (docs/architecture.md,
DESIGN.md §4) while berth is stopped: `_blobs/sha256/<hex>` with a hard link per repository
in `<repo>/blobs/sha256/<hex>`, an `index.json` and an `oci-layout` per repository.

* `bench/app:v1`, a small image: the manifest the load generator GETs;
* `bench/big`, images whose layers add up to `--scrub-gib` GiB of real (random) bytes, which
  the scrub reads back and hashes;
* `orphans/r000`..`r099`: `--gc-blobs` small blobs that no manifest references, which the
  first GC pass unlinks from their repository and from `_blobs`. (GC judges a repository's
  blob by its ctime too, which no tool can backdate: gcDelay is 10s, and the idle runs come
  first, so the orphans are old enough when the busy berth starts.)

Then, with berth on CPU 0 and wrk on CPU 1 (as bench/run.py does):
1. idle: berth with gc off and no scrub; `--windows` wrk runs of `--window` seconds each;
2. busy: berth restarted with gc on (gcDelay 10s, gcInterval 1s) and extensions.scrub on (a
   scrub pass starts at startup); wrk runs back to back until both the scrub pass and the GC
   pass that deletes the orphans have finished (read from /metrics between runs). The runs
   that ended while work remained count as busy.
Printed: p50 and p99 of each run, the medians for idle and busy, the worst busy p99, and the
ratio busy p99 / idle p99 (target: at most 2). dedupe is off in both, so no fold pass runs.

    bench/lifecycle_bench.py                       # 10 GiB, 100,000 blobs (~5 min)
    bench/lifecycle_bench.py --scrub-gib 1 --gc-blobs 10000 --window 3   # a quick look

The data (in a temporary directory under --tmp) is removed at the end.
"""

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from loadgen import MeasurementError, wrk  # noqa: E402
from peers import Berth  # noqa: E402

INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
LAYER_MIB = 256
CHUNK = 16 << 20
ORPHAN_REPOS = 100


class Store:
    """Writes blobs, manifests and index.json files in berth's layout."""

    def __init__(self, root):
        self.root = root
        self.shared = os.path.join(root, "_blobs", "sha256")
        os.makedirs(self.shared, exist_ok=True)
        os.makedirs(os.path.join(root, "_uploads"), exist_ok=True)

    def repository(self, name):
        directory = os.path.join(self.root, name, "blobs", "sha256")
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(self.root, name, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
        return directory

    def put(self, repo_dir, data_or_path, digest_hex=None):
        """Stores bytes (or moves a file already hashed) as a blob linked into `repo_dir`."""
        if isinstance(data_or_path, bytes):
            digest_hex = hashlib.sha256(data_or_path).hexdigest()
            shared = os.path.join(self.shared, digest_hex)
            with open(shared, "wb") as f:
                f.write(data_or_path)
        else:
            shared = os.path.join(self.shared, digest_hex)
            os.rename(data_or_path, shared)
        os.link(shared, os.path.join(repo_dir, digest_hex))
        return "sha256:" + digest_hex

    def index(self, name, entries):
        index = {"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": entries}
        with open(os.path.join(self.root, name, "index.json"), "w") as f:
            json.dump(index, f)

    def image(self, name, repo_dir, tag, layers):
        config = json.dumps({"architecture": "amd64", "os": "linux", "tag": tag}).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": CONFIG_TYPE, "digest": self.put(repo_dir, config),
                       "size": len(config)},
            "layers": [{"mediaType": LAYER_TYPE, "digest": digest, "size": size}
                       for digest, size in layers]}).encode()
        digest = self.put(repo_dir, manifest)
        return {"mediaType": MANIFEST_TYPE, "digest": digest, "size": len(manifest),
                "annotations": {"org.opencontainers.image.ref.name": tag}}


def write_layer(store, number, noise):
    """LAYER_MIB MiB of random bytes (a shared random buffer, made unique per chunk)."""
    temporary = os.path.join(store.root, "_uploads", f"layer-{number}")
    hasher = hashlib.sha256()
    with open(temporary, "wb") as f:
        for chunk in range(LAYER_MIB * (1 << 20) // CHUNK):
            data = f"{number:08d}{chunk:08d}".encode() + noise[16:]
            hasher.update(data)
            f.write(data)
    return temporary, hasher.hexdigest()


def build_data(root, scrub_gib, gc_blobs):
    started = time.monotonic()
    store = Store(root)
    app = store.repository("bench/app")
    small = store.image("bench/app", app, "v1", [(store.put(app, b"app layer " * 1000), 10000)])
    store.index("bench/app", [small])

    big = store.repository("bench/big")
    noise = os.urandom(CHUNK)
    layers = []
    for number in range(scrub_gib * 1024 // LAYER_MIB):
        path, digest_hex = write_layer(store, number, noise)
        layers.append((store.put(big, path, digest_hex), LAYER_MIB << 20))
    entries = [store.image("bench/big", big, f"v{i}", layers[i:i + 4])
               for i in range(0, len(layers), 4)]
    store.index("bench/big", entries)
    os.sync()
    wrote_big = time.monotonic() - started

    for repo in range(ORPHAN_REPOS):
        name = f"orphans/r{repo:03d}"
        directory = store.repository(name)
        store.index(name, [])
        for blob in range(repo, gc_blobs, ORPHAN_REPOS):
            store.put(directory, f"orphan blob {blob}".encode())
    os.sync()
    return {"big_layers": len(layers), "big_bytes": len(layers) * (LAYER_MIB << 20),
            "gc_blobs": gc_blobs, "seconds_big": round(wrote_big, 1),
            "seconds_total": round(time.monotonic() - started, 1)}


class LifecycleBerth(Berth):
    def __init__(self, workdir, binary, data, busy):
        super().__init__(workdir, binary, None, metrics=True)
        self.data = data
        self.busy = busy

    def config(self):
        config = super().config()
        config["storage"] = {"rootDirectory": self.data, "dedupe": False, "gc": self.busy}
        if self.busy:
            config["storage"].update({"gcDelay": "10s", "gcInterval": "1s"})
            config["extensions"]["scrub"] = {"enable": True, "interval": "24h"}
        return config


def metric(text, name, labels=""):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (not labels or labels in line):
            total += float(line.rsplit(" ", 1)[1])
    return total


def lifecycle_done(berth, gc_blobs):
    with urllib.request.urlopen(f"{berth.base_url}/metrics", timeout=30) as response:
        text = response.read().decode()
    scrubbed = metric(text, "berth_scrub_runs_total") >= 1
    collected = metric(text, "zot_gc_deleted_total", 'type="blob"') >= 2 * gc_blobs
    return scrubbed and collected, {"scrub_done": scrubbed, "gc_done": collected,
                                    "gc_runs": metric(text, "zot_gc_runs_total"),
                                    "gc_deleted_blobs": metric(text, "zot_gc_deleted_total",
                                                               'type="blob"')}


def run_window(berth, seconds, connections):
    url = f"{berth.base_url}/v2/bench/app/manifests/v1"
    return wrk(url, {"Accept": MANIFEST_TYPE}, connections, seconds)


def measure(args, data, workdir):
    results = {"idle": [], "busy": []}
    with LifecycleBerth(os.path.join(workdir, "idle"), args.berth, data, busy=False) as berth:
        time.sleep(2)  # startup load of the index
        for _ in range(args.windows):
            results["idle"].append(run_window(berth, args.window, args.connections))
    with LifecycleBerth(os.path.join(workdir, "busy"), args.berth, data, busy=True) as berth:
        started = time.monotonic()
        while True:
            sample = run_window(berth, args.window, args.connections)
            done, state = lifecycle_done(berth, args.gc_blobs)
            sample.update(state)
            sample["at_s"] = round(time.monotonic() - started, 1)
            if done:
                results["busy_finished_s"] = sample["at_s"]
                break
            results["busy"].append(sample)
            if time.monotonic() - started > args.limit:
                raise MeasurementError(f"scrub and GC not done after {args.limit} s: {state}")
    return results


def summarize(results):
    idle_p99 = statistics.median(r["p99_ms"] for r in results["idle"])
    idle_p50 = statistics.median(r["p50_ms"] for r in results["idle"])
    if not results["busy"]:
        raise MeasurementError("scrub and GC finished within the first window: raise the sizes")
    busy_p99 = statistics.median(r["p99_ms"] for r in results["busy"])
    busy_p50 = statistics.median(r["p50_ms"] for r in results["busy"])
    worst = max(r["p99_ms"] for r in results["busy"])
    print(f"{'run':<8}{'at s':>7}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}  state")
    for kind in ("idle", "busy"):
        for r in results[kind]:
            state = "" if kind == "idle" else (
                f"scrub {'done' if r['scrub_done'] else 'running'}, gc deleted "
                f"{int(r['gc_deleted_blobs'])}")
            print(f"{kind:<8}{r.get('at_s', ''):>7}{r['rps']:>10.0f}{r['p50_ms']:>9.3f}"
                  f"{r['p99_ms']:>9.3f}  {state}")
    summary = {"idle_p50_ms": idle_p50, "idle_p99_ms": idle_p99, "busy_p50_ms": busy_p50,
               "busy_p99_ms": busy_p99, "busy_worst_p99_ms": worst,
               "ratio_p99": round(busy_p99 / idle_p99, 2),
               "ratio_worst_p99": round(worst / idle_p99, 2),
               "lifecycle_seconds": results.get("busy_finished_s")}
    print(f"\nidle p50 {idle_p50:.3f} ms, p99 {idle_p99:.3f} ms; busy (median of "
          f"{len(results['busy'])} runs) p50 {busy_p50:.3f} ms, p99 {busy_p99:.3f} ms, "
          f"worst p99 {worst:.3f} ms")
    print(f"p99 busy/idle: {summary['ratio_p99']}x (worst run {summary['ratio_worst_p99']}x); "
          f"target <= 2x: {'ok' if summary['ratio_p99'] <= 2 else 'MISSED'}")
    return summary


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--berth", default=os.path.join(REPO_ROOT, "build", "src", "berth"))
    parser.add_argument("--scrub-gib", type=int, default=10, help="GiB the scrub hashes (10)")
    parser.add_argument("--gc-blobs", type=int, default=100_000, help="orphan blobs (100000)")
    parser.add_argument("--window", type=int, default=5, help="seconds per wrk run (5)")
    parser.add_argument("--windows", type=int, default=4, help="idle wrk runs (4)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (4)")
    parser.add_argument("--limit", type=int, default=1800, help="give up after (s)")
    parser.add_argument("--tmp", default=tempfile.gettempdir(), help="where the data goes")
    parser.add_argument("--drop-caches", action="store_true",
                        help="root: drop the page cache before the busy run, so scrub reads disk")
    parser.add_argument("--output", help="JSON file (default bench/results/lifecycle-<ts>.json)")
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="berth-lifecycle-bench-", dir=args.tmp)
    try:
        data = os.path.join(workdir, "data")
        print(f"writing {args.scrub_gib} GiB and {args.gc_blobs} orphan blobs to {data} ...")
        built = build_data(data, args.scrub_gib, args.gc_blobs)
        print(f"written in {built['seconds_total']} s ({built['seconds_big']} s for the big "
              f"layers)")
        if args.drop_caches:
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("1\n")
        results = measure(args, data, workdir)
        summary = summarize(results)
    except MeasurementError as error:
        print(f"measurement failed: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    commit = subprocess.run(["git", "-C", REPO_ROOT, "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    record = {"commit": commit, "settings": vars(args), "data": built, "results": results,
              "summary": summary, "loadavg": os.getloadavg()}
    output = args.output or os.path.join(
        HERE, "results", time.strftime("lifecycle-%Y%m%d-%H%M%S.json", time.gmtime()))
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output, "w") as f:
        json.dump(record, f, indent=1)
    print(f"recorded in {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
