"""Real container clients (skopeo, podman, buildah, umoci) driven against a registry under test.

berth replaces Zot, so the proof that it works is that the clients people actually run push and
pull through it, and that what comes back is byte for byte what went in. This module holds:

* ClientEnv: a hermetic containers environment inside one temporary directory. Every client
  command runs in a private mount namespace where /var/lib/containers and /var/tmp are bind
  mounts of per-environment directories, because as root the clients always keep their
  blob-info cache in /var/lib/containers/cache and that cache changes what they send (HEAD
  skips, cross-repository mounts) from one run to the next.
* ImageCache: the test images, built locally once (no image registry is reachable) and kept as
  OCI layouts in $BERTH_E2E_CACHE (default /var/tmp/berth-e2e-cache), because writing 200 MB of
  random layers with buildah takes far longer than any flow.
* flow_*: one end-to-end scenario each. A flow takes the environment, the registry address
  "host:port" and optional (user, password); it pushes, pulls back, compares what came back
  with what was pushed, and raises FlowError (an AssertionError) on any difference.
"""

# The Debian packages these tests need, on one line for the install script. netavark because
# containers.conf selects it (podman refuses to start without it then); apache2-utils for
# htpasswd; util-linux (unshare, nsenter, mount) is essential and always there.
APT_PACKAGES = "skopeo podman buildah umoci netavark apache2-utils"

import base64
import fcntl
import functools
import gzip
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

CACHE_DEFAULT = "/var/tmp/berth-e2e-cache"
# Bump when an image recipe changes, so that stale caches are not reused.
CACHE_VERSION = "v1"
BIG_LAYER_BYTES = 50 * 1024 * 1024
BIG_LAYER_COUNT = 4
# Generous: pushing the 200 MB image through a slow registry must fail on the assertion that
# follows, not on a timeout that hides the client's own error message.
COMMAND_TIMEOUT_SECONDS = 900

# Images that live in containers-storage during a run, by name in the cache layout.
LOCAL_REFS = {
    "small": "localhost/small:v1",
    "small-arm64": "localhost/small:v1-arm64",
    "big": "localhost/big:v1",
    "imported": "localhost/imported:v1",
}

MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MANIFEST_ACCEPT = (MT_OCI_MANIFEST, MT_OCI_INDEX, MT_DOCKER_MANIFEST, MT_DOCKER_LIST)
REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name"

# Messages containers/image prints for a 401 and for MANIFEST_UNKNOWN, whatever the error body.
UNAUTHORIZED_RE = re.compile(r"unauthorized|authentication required|401", re.IGNORECASE)
MANIFEST_UNKNOWN_RE = re.compile(r"manifest unknown", re.IGNORECASE)

# Runs as `sh -c NAMESPACE_SCRIPT namespace VARLIB VARTMP [PATH_UNDER_VAR_TMP...]` in a fresh
# private mount namespace and holds it open until its stdin closes, which also happens when the
# test process dies, so the holder never outlives it. Paths under /var/tmp that must stay
# visible (the image cache, by default) are bind-mounted into the replacement directory first,
# then the replacement is mounted recursively over /var/tmp, so they keep their path.
NAMESPACE_SCRIPT = r"""
set -e
varlib=$1 vartmp=$2
shift 2
for path in "$@"; do
    inner="$vartmp${path#/var/tmp}"
    mkdir -p "$inner"
    mount --bind "$path" "$inner"
done
mount --rbind "$vartmp" /var/tmp
mount --bind "$varlib" /var/lib/containers
echo ready
read -r _ || true
"""

# (flow name, registry, seconds, "ok" or "failed") in the order flows ran, for a summary.
TIMINGS = []


class FlowError(AssertionError):
    """A flow found the registry or a client doing something other than expected."""


class CommandFailed(FlowError):
    """A client command exited non-zero; carries its output so the failure explains itself."""

    def __init__(self, argv, proc):
        self.argv = argv
        self.returncode = proc.returncode
        self.stdout = proc.stdout.decode(errors="replace")
        self.stderr = proc.stderr.decode(errors="replace")
        super().__init__(f"`{' '.join(argv)}` exited {proc.returncode}:\n"
                         f"{self.stderr[-4000:]}{self.stdout[-2000:]}")


def log(message):
    print(f"[berth-e2e] {message}", file=sys.stderr, flush=True)


def keep_dirs():
    return bool(os.environ.get("BERTH_KEEP_TEST_DIRS"))


def missing_binaries(names):
    return [name for name in names if shutil.which(name) is None]


def isolation_problem():
    """Why the clients cannot be isolated here, or None. Bind mounts need root."""
    if os.geteuid() != 0:
        return "needs root: clients run in a private mount namespace with bind mounts"
    missing = missing_binaries(["unshare", "nsenter", "mount"])
    if missing:
        return f"missing {', '.join(missing)} (util-linux)"
    return None


def require(condition, message):
    if not condition:
        raise FlowError(message)


# ---------------------------------------------------------------------------------------------
# Digests, OCI layouts and dir: copies


def sha256_bytes(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha256_file(path):
    """Return (digest, size) of a file, streaming, so 50 MiB layers cost no memory."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return "sha256:" + h.hexdigest(), size


def sha256_gunzip(path):
    """Digest of a gzip layer's uncompressed tar, which is what an image config's diff_ids list."""
    h = hashlib.sha256()
    with gzip.open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def check_blob_file(path, descriptor, what):
    require(os.path.exists(path), f"{what}: blob {descriptor['digest']} missing at {path}")
    digest, size = sha256_file(path)
    require(digest == descriptor["digest"],
            f"{what}: blob {descriptor['digest']} has content {digest}")
    require(size == descriptor["size"],
            f"{what}: blob {descriptor['digest']} is {size} bytes, manifest says "
            f"{descriptor['size']}")


def layout_blob(layout, digest):
    algorithm, encoded = digest.split(":", 1)
    return os.path.join(layout, "blobs", algorithm, encoded)


def layout_descriptor(layout, tag):
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    for descriptor in index.get("manifests", []):
        if descriptor.get("annotations", {}).get(REF_NAME_ANNOTATION) == tag:
            return descriptor
    raise FlowError(f"OCI layout {layout} has no image tagged {tag!r}")


def layout_manifest(layout, tag):
    """Return (manifest bytes, digest) of a tag in an OCI layout, checking the blob's digest."""
    descriptor = layout_descriptor(layout, tag)
    path = layout_blob(layout, descriptor["digest"])
    check_blob_file(path, descriptor, f"{layout}:{tag}")
    with open(path, "rb") as f:
        return f.read(), descriptor["digest"]


def image_blobs(manifest):
    """The config and layer descriptors of an image manifest."""
    return [manifest["config"]] + list(manifest["layers"])


def check_layout_image(layout, manifest, what):
    for descriptor in image_blobs(manifest):
        check_blob_file(layout_blob(layout, descriptor["digest"]), descriptor, what)


def dir_blob(directory, digest):
    """containers/image's dir: transport names a blob file by the digest's hex alone."""
    return os.path.join(directory, digest.split(":", 1)[1])


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


# ---------------------------------------------------------------------------------------------
# Plain HTTP to the registry, for the checks no client exposes


def registry_request(registry, method, path, creds=None, headers=()):
    """One request on a fresh connection (as containers/image does); returns (status, headers,
    body). headers is a sequence of pairs so that Accept can repeat, as the clients send it."""
    host, port = registry.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.putrequest(method, path)
        if creds:
            token = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
            connection.putheader("Authorization", f"Basic {token}")
        for name, value in headers:
            connection.putheader(name, value)
        connection.putheader("Connection", "close")
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


def check_registry_serves_blobs(registry, repository, manifest, creds):
    """HEAD every blob of an image in a repository: 200 with the descriptor's size and digest."""
    for descriptor in image_blobs(manifest):
        status, headers, _ = registry_request(
            registry, "HEAD", f"/v2/{repository}/blobs/{descriptor['digest']}", creds)
        require(status == 200,
                f"HEAD {repository} blob {descriptor['digest']}: status {status}, expected 200")
        require(int(headers.get("content-length", -1)) == descriptor["size"],
                f"HEAD {repository} blob {descriptor['digest']}: Content-Length "
                f"{headers.get('content-length')}, expected {descriptor['size']}")
        served = headers.get("docker-content-digest", descriptor["digest"])
        require(served == descriptor["digest"],
                f"HEAD {repository} blob {descriptor['digest']}: Docker-Content-Digest {served}")


def check_manifest_content_type(registry, repository, reference, media_type, creds):
    """A manifest GET must answer with the stored mediaType as Content-Type."""
    accept = [("Accept", mt) for mt in MANIFEST_ACCEPT]
    status, headers, _ = registry_request(
        registry, "GET", f"/v2/{repository}/manifests/{reference}", creds, accept)
    require(status == 200, f"GET manifest {repository}:{reference}: status {status}")
    content_type = headers.get("content-type", "").split(";")[0].strip()
    require(content_type == media_type,
            f"GET manifest {repository}:{reference}: Content-Type {content_type!r}, "
            f"expected {media_type!r}")


# ---------------------------------------------------------------------------------------------
# The hermetic client environment


class ClientEnv:
    """Every file the clients read or write, in one directory that is deleted at close().

    storage.conf, registries.conf, containers.conf, auth.json, a signature policy and the XDG,
    HOME and TMPDIR directories all live under self.root, and every command runs with a minimal
    environment pointing at them, so nothing in /etc, /var or /run is read for configuration or
    written (the policy sits in $HOME/.config/containers too, because `podman manifest push`
    has no flag for it). `images` is the ImageCache whose images image() loads on demand.
    """

    def __init__(self, images=None, base_dir=None):
        self.images = images
        self.root = tempfile.mkdtemp(prefix="berth-e2e-", dir=base_dir)
        self.namespace = "e2e-" + secrets.token_hex(4)
        self.registries = []
        names = ("storage", "runroot", "xdg-runtime", "xdg-config", "xdg-data", "tmp", "ctmp",
                 "net", "varlib", "vartmp", "home/.config/containers", "work")
        for name in names:
            os.makedirs(os.path.join(self.root, name))
        self.policy = self.path("home", ".config", "containers", "policy.json")
        self.auth_file = self.path("auth.json")
        self.registries_conf = self.path("registries.conf")
        self.loaded = set()
        self._write_configs()
        self.environ = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": self.path("home"),
            "CONTAINERS_STORAGE_CONF": self.path("storage.conf"),
            "CONTAINERS_REGISTRIES_CONF": self.registries_conf,
            "CONTAINERS_CONF": self.path("containers.conf"),
            "REGISTRY_AUTH_FILE": self.auth_file,
            "XDG_RUNTIME_DIR": self.path("xdg-runtime"),
            "XDG_CONFIG_HOME": self.path("xdg-config"),
            "XDG_DATA_HOME": self.path("xdg-data"),
            "TMPDIR": self.path("tmp"),
        }
        visible = [images.base] if images else []
        self.holder = self._enter_namespace(visible + [self.root])
        self.driver = self._choose_storage_driver()

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def _enter_namespace(self, visible):
        """Start the process that holds this environment's mount namespace (see
        NAMESPACE_SCRIPT); run() enters it with nsenter, which costs far less than a new
        namespace and three mounts per command."""
        # The mount point must exist on the host; it is the directory the clients would
        # create there themselves.
        os.makedirs("/var/lib/containers", exist_ok=True)
        under_var_tmp = [p for p in map(os.path.realpath, visible) if p.startswith("/var/tmp/")]
        holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", NAMESPACE_SCRIPT,
             "namespace", self.path("varlib"), self.path("vartmp"), *under_var_tmp],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if holder.stdout.readline() != b"ready\n":
            holder.stdin.close()
            error = holder.stderr.read().decode(errors="replace")
            holder.wait()
            holder.stdout.close()
            holder.stderr.close()
            raise RuntimeError(f"cannot set up the clients' mount namespace: {error}")
        return holder

    def _write_configs(self):
        with open(self.path("containers.conf"), "w") as f:
            f.write(f"""[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{self.path('events.log')}"
tmp_dir = "{self.path('ctmp')}"
image_copy_tmp_dir = "{self.path('tmp')}"
[network]
network_backend = "netavark"
network_config_dir = "{self.path('net')}"
""")
        with open(self.policy, "w") as f:
            json.dump({"default": [{"type": "insecureAcceptAnything"}]}, f)
        # buildah refuses to start when REGISTRY_AUTH_FILE names a missing file.
        with open(self.auth_file, "w") as f:
            json.dump({"auths": {}}, f)
        self._write_registries_conf()

    def _write_storage_conf(self, driver):
        with open(self.path("storage.conf"), "w") as f:
            f.write(f'[storage]\ndriver = "{driver}"\n'
                    f'graphroot = "{self.path("storage")}"\nrunroot = "{self.path("runroot")}"\n')

    def _write_registries_conf(self):
        lines = ["unqualified-search-registries = []"]
        for registry in self.registries:
            lines += ["", "[[registry]]", f'location = "{registry}"', "insecure = true"]
        with open(self.registries_conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def _choose_storage_driver(self):
        """overlay stores layers once; vfs works everywhere but copies every layer in full.
        Probe overlay by creating a layer, which mounts it, and fall back to vfs."""
        self._write_storage_conf("overlay")
        probe = self.path("work", "probe.txt")
        with open(probe, "w") as f:
            f.write("probe\n")
        try:
            container = self.buildah("from", "scratch").stdout.decode().strip()
            self.buildah("copy", container, probe, "/probe.txt")
            self.buildah("rm", container)
            return "overlay"
        except CommandFailed as failure:
            log(f"overlay storage does not work here, using vfs: {failure.stderr.strip()[-300:]}")
        for name in ("storage", "runroot"):
            shutil.rmtree(self.path(name))
            os.makedirs(self.path(name))
        self._write_storage_conf("vfs")
        return "vfs"

    def use_registry(self, registry):
        """List the registry as insecure (plain HTTP). containers/image never assumes that for
        127.0.0.1, and skopeo 1.9 reads this file only through --registries-conf."""
        if registry not in self.registries:
            self.registries.append(registry)
            self._write_registries_conf()

    def workdir(self, name):
        return tempfile.mkdtemp(prefix=name + "-", dir=self.path("work"))

    def run(self, argv, check=True, stdin=None, timeout=COMMAND_TIMEOUT_SECONDS):
        wrapped = ["nsenter", f"--mount=/proc/{self.holder.pid}/ns/mnt", "--", *argv]
        proc = subprocess.run(wrapped, env=self.environ, cwd=self.path("work"),
                              input=stdin, capture_output=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise CommandFailed(argv, proc)
        return proc

    def skopeo(self, *args, check=True):
        return self.run(["skopeo", "--registries-conf", self.registries_conf,
                         "--policy", self.policy, *args], check=check)

    def podman(self, *args, check=True, stdin=None):
        return self.run(["podman", *self._with_policy(args, ("push", "pull"))],
                        check=check, stdin=stdin)

    def buildah(self, *args, check=True):
        return self.run(["buildah", *self._with_policy(args, ("from", "push", "pull"))],
                        check=check)

    def _with_policy(self, args, subcommands):
        if args and args[0] in subcommands:
            return [args[0], "--signature-policy", self.policy, *args[1:]]
        return list(args)

    def image(self, name):
        """Make a cached test image present in containers-storage; return its local name.
        Loading on demand lets a flow remove an image (to force a real pull) without
        breaking the flows that run after it."""
        ref = LOCAL_REFS[name]
        if name not in self.loaded:
            self.skopeo("copy", "--quiet", f"oci:{self.images.layout}:{name}",
                        f"containers-storage:{ref}")
            self.loaded.add(name)
        return ref

    def remove_image(self, name):
        """Remove a test image by ID, whatever names it has by now, so that a pull must fetch
        its blobs; image() loads it again for the next flow."""
        _, config_digest = self.local_config(self.image(name))
        self.podman("rmi", "--force", config_digest.split(":", 1)[1])
        self.loaded.discard(name)

    def local_config(self, ref):
        """Return (config bytes, digest) of an image in containers-storage. The digest is the
        image ID, which is what a pull of the same image must reproduce."""
        raw = self.skopeo("inspect", "--config", "--raw", f"containers-storage:{ref}").stdout
        return raw, sha256_bytes(raw)

    def registry_manifest(self, ref, creds):
        """Return (manifest bytes, parsed) exactly as the registry serves them."""
        raw = self.skopeo("inspect", "--raw", *creds_args("--creds", creds), f"docker://{ref}")
        return raw.stdout, json.loads(raw.stdout)

    def auths(self):
        with open(self.auth_file) as f:
            return json.load(f).get("auths", {})

    def close(self):
        self.holder.stdin.close()
        try:
            self.holder.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.holder.kill()
            self.holder.wait()
        self.holder.stdout.close()
        self.holder.stderr.close()
        if keep_dirs():
            log(f"kept client environment {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def creds_args(flag, creds):
    return [flag, f"{creds[0]}:{creds[1]}"] if creds else []


# ---------------------------------------------------------------------------------------------
# Test images


class ImageCache:
    """The test images as OCI layouts, kept between runs and rebuilt only when missing.

    layout (tags small, small-arm64, big, imported) is exported from containers-storage, so its
    layers are gzip blobs; umoci is an OCI layout made by umoci alone; dir-small is a skopeo
    dir: copy of small. A build happens in a temporary directory renamed into place once
    complete, under a lock, so an interrupted or concurrent build never leaves half a cache.
    """

    def __init__(self, base=None):
        self.base = os.path.realpath(base or os.environ.get("BERTH_E2E_CACHE") or CACHE_DEFAULT)
        self.dir = os.path.join(self.base, CACHE_VERSION)
        self.layout = os.path.join(self.dir, "layout")
        self.umoci = os.path.join(self.dir, "umoci")
        self.dir_small = os.path.join(self.dir, "dir-small")

    def complete(self):
        return os.path.exists(os.path.join(self.dir, "complete"))

    def ensure(self):
        if self.complete():
            return
        os.makedirs(self.base, exist_ok=True)
        with open(os.path.join(self.base, ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self.complete():
                self._build()

    def _build(self):
        started = time.monotonic()
        # Holding the lock, any staging directory left here is from a build that was killed.
        for name in os.listdir(self.base):
            if name.startswith(f"{CACHE_VERSION}.building-"):
                shutil.rmtree(os.path.join(self.base, name), ignore_errors=True)
        staging = tempfile.mkdtemp(prefix=f"{CACHE_VERSION}.building-", dir=self.base)
        builder = ClientEnv(images=self)
        try:
            build_images(builder, staging)
            with open(os.path.join(staging, "complete"), "w") as f:
                f.write(f"built {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} "
                        f"with storage driver {builder.driver}\n")
            shutil.rmtree(self.dir, ignore_errors=True)
            os.rename(staging, self.dir)
        finally:
            builder.close()
            shutil.rmtree(staging, ignore_errors=True)
        log(f"built test images in {self.dir} in {time.monotonic() - started:.1f} s")


def write_file(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def write_random_file(path, size):
    with open(path, "wb") as f:
        remaining = size
        while remaining:
            chunk = min(remaining, 1 << 20)
            f.write(os.urandom(chunk))
            remaining -= chunk


def buildah_commit_files(env, base, files, ref, config_args=()):
    """One `buildah from BASE`, copy FILES (host path -> image path), config, commit as REF."""
    container = env.buildah("from", base).stdout.decode().strip()
    for source, target in files:
        env.buildah("copy", container, source, target)
    if config_args:
        env.buildah("config", *config_args, container)
    env.buildah("commit", "-q", "--rm", container, ref)


def build_images(env, out):
    """Build every test image with the real tools and export it under OUT."""
    ctx = env.workdir("build")
    hello = os.path.join(ctx, "hello.txt")
    write_file(hello, b"hello from the berth end-to-end tests\n")
    buildah_commit_files(env, "scratch", [(hello, "/hello.txt")], LOCAL_REFS["small"],
                         ["--entrypoint", '["/hello.txt"]', "--arch", "amd64", "--os", "linux"])
    rand = os.path.join(ctx, "rand.bin")
    write_random_file(rand, 4096)
    buildah_commit_files(env, "scratch", [(rand, "/rand.bin")], LOCAL_REFS["small-arm64"],
                         ["--arch", "arm64", "--variant", "v8", "--os", "linux"])
    # Chained `buildah from <previous>`: committing one container repeatedly would squash
    # everything into a single layer.
    base = "scratch"
    for i in range(1, BIG_LAYER_COUNT + 1):
        layer = os.path.join(ctx, f"b{i}.bin")
        write_random_file(layer, BIG_LAYER_BYTES)
        ref = LOCAL_REFS["big"] if i == BIG_LAYER_COUNT else f"localhost/big:l{i}"
        config = ["--arch", "amd64", "--os", "linux"] if i == BIG_LAYER_COUNT else []
        buildah_commit_files(env, base, [(layer, f"/data/b{i}.bin")], ref, config)
        os.remove(layer)
        base = ref
    tarball = os.path.join(ctx, "imported.tar")
    write_file(os.path.join(ctx, "imported.txt"), b"imported by podman import\n")
    with tarfile.open(tarball, "w") as tar:
        tar.add(os.path.join(ctx, "imported.txt"), arcname="imported.txt")
    env.podman("import", "-q", "--change", 'ENTRYPOINT ["/imported.txt"]', tarball,
               LOCAL_REFS["imported"])
    layout = os.path.join(out, "layout")
    for name, ref in LOCAL_REFS.items():
        env.skopeo("copy", "--quiet", f"containers-storage:{ref}", f"oci:{layout}:{name}")
    # dir: from the layout, not from containers-storage, so that its layers are the gzip blobs
    # a registry will store and a round trip can compare file for file.
    env.skopeo("copy", "--quiet", f"oci:{layout}:small", f"dir:{os.path.join(out, 'dir-small')}")
    build_umoci_layout(env, os.path.join(out, "umoci"), ctx)


def build_umoci_layout(env, layout, ctx):
    """A two-layer image made by umoci alone: no containers-storage, its own JSON style."""
    image = f"{layout}:u1"
    bundle = os.path.join(ctx, "bundle")
    env.run(["umoci", "init", "--layout", layout])
    env.run(["umoci", "new", "--image", image])
    env.run(["umoci", "unpack", "--image", image, bundle])
    write_file(os.path.join(bundle, "rootfs", "u.txt"), b"layer one, from umoci repack\n")
    env.run(["umoci", "repack", "--image", image, bundle])
    env.run(["umoci", "config", "--image", image, "--config.entrypoint", "/u.txt",
             "--architecture", "amd64", "--os", "linux"])
    inserted = os.path.join(ctx, "ins", "i.txt")
    write_file(inserted, b"layer two, from umoci insert\n")
    env.run(["umoci", "insert", "--image", image, inserted, "/i.txt"])
    env.run(["umoci", "gc", "--layout", layout])
    shutil.rmtree(bundle)


# ---------------------------------------------------------------------------------------------
# Flows


def flow(function):
    """Make a flow callable as flow(env, registry, creds=None): list the registry as insecure,
    then time the flow, print the time and record it in TIMINGS."""
    @functools.wraps(function)
    def timed(env, registry, creds=None):
        env.use_registry(registry)
        started = time.monotonic()
        outcome = "failed"
        try:
            result = function(env, registry, creds)
            outcome = "ok"
            return result
        finally:
            seconds = time.monotonic() - started
            TIMINGS.append((function.__name__, registry, seconds, outcome))
            auth = "with credentials" if creds else "anonymous"
            log(f"{function.__name__} against {registry} ({auth}): {seconds:.2f} s {outcome}")
    return timed


def check_pulled_image(layout, tag, registry_raw, local_config, what):
    """An image pulled back into an OCI layout must carry the registry's manifest bytes, blobs
    matching every descriptor, the local config bytes, and layers that decompress to the local
    image's diff_ids: the content that went in, whatever compression the push applied."""
    raw, _ = layout_manifest(layout, tag)
    require(raw == registry_raw, f"{what}: pulled manifest differs from the registry's")
    manifest = json.loads(raw)
    check_layout_image(layout, manifest, what)
    config_bytes, config_digest = local_config
    require(manifest["config"]["digest"] == config_digest,
            f"{what}: config {manifest['config']['digest']}, local image is {config_digest}")
    require(read_bytes(layout_blob(layout, config_digest)) == config_bytes,
            f"{what}: config bytes differ")
    diff_ids = json.loads(config_bytes)["rootfs"]["diff_ids"]
    require(len(diff_ids) == len(manifest["layers"]),
            f"{what}: {len(manifest['layers'])} layers, config lists {len(diff_ids)} diff_ids")
    for descriptor, diff_id in zip(manifest["layers"], diff_ids):
        path = layout_blob(layout, descriptor["digest"])
        if "gzip" in descriptor["mediaType"]:
            uncompressed = sha256_gunzip(path)
        else:
            uncompressed, _ = sha256_file(path)
        require(uncompressed == diff_id,
                f"{what}: layer {descriptor['digest']} unpacks to {uncompressed}, "
                f"expected diff_id {diff_id}")
    return manifest


def check_downloaded(debug_log, manifest, what):
    """A pull's debug log must show a GET of every layer: proof that the blobs crossed the
    wire rather than being found in local storage (the normal output looks the same)."""
    downloaded = set(re.findall(r"Downloading /v2/\S+/blobs/(sha256:[0-9a-f]{64})", debug_log))
    for layer in manifest["layers"]:
        require(layer["digest"] in downloaded, f"{what} did not download layer {layer['digest']}")


@flow
def flow_skopeo_oci_roundtrip(env, registry, creds):
    """umoci's OCI layout → registry → new OCI layout. Pushed as stored, so the registry must
    serve the layout's manifest bytes and blobs unchanged."""
    source = env.images.umoci
    source_raw, source_digest = layout_manifest(source, "u1")
    ref = f"{registry}/{env.namespace}/umoci:u1"
    env.skopeo("copy", "--quiet", *creds_args("--dest-creds", creds),
               f"oci:{source}:u1", f"docker://{ref}")
    registry_raw, manifest = env.registry_manifest(ref, creds)
    require(registry_raw == source_raw,
            f"registry serves manifest {sha256_bytes(registry_raw)}, pushed {source_digest}")
    require(len(manifest["layers"]) == 2, f"umoci image has {len(manifest['layers'])} layers")
    back = env.workdir("oci-back")
    env.skopeo("copy", "--quiet", *creds_args("--src-creds", creds),
               f"docker://{ref}", f"oci:{back}:u1")
    back_raw, _ = layout_manifest(back, "u1")
    require(back_raw == source_raw, "manifest pulled back differs from the one pushed")
    check_layout_image(back, manifest, "pulled umoci image")
    return {"digest": source_digest, "layers": len(manifest["layers"])}


def skopeo_reads_store_directly(env, store_root, registry, creds):
    """berth's repositories are OCI image layouts: skopeo copies one straight from the data
    directory (no registry involved) and gets the manifest bytes and blobs the registry serves."""
    repository = f"{env.namespace}/umoci"
    registry_raw, manifest = env.registry_manifest(f"{registry}/{repository}:u1", creds)
    layout = os.path.join(store_root, repository)
    back = env.workdir("store-layout-back")
    env.skopeo("copy", "--quiet", f"oci:{layout}:u1", f"oci:{back}:u1")
    back_raw, _ = layout_manifest(back, "u1")
    require(back_raw == registry_raw, "the layout in the data directory holds other manifest "
            "bytes than the registry serves")
    check_layout_image(back, manifest, "image copied from the data directory")
    return {"layers": len(manifest["layers"])}


@flow
def flow_skopeo_dir_roundtrip(env, registry, creds):
    """dir: copy → registry → new dir: copy; manifest.json and every blob file identical."""
    source = env.images.dir_small
    source_raw = read_bytes(os.path.join(source, "manifest.json"))
    ref = f"{registry}/{env.namespace}/fromdir:v1"
    env.skopeo("copy", "--quiet", *creds_args("--dest-creds", creds),
               f"dir:{source}", f"docker://{ref}")
    registry_raw, manifest = env.registry_manifest(ref, creds)
    require(registry_raw == source_raw, "registry serves other manifest bytes than pushed")
    back = os.path.join(env.workdir("dir-back"), "image")
    env.skopeo("copy", "--quiet", *creds_args("--src-creds", creds),
               f"docker://{ref}", f"dir:{back}")
    require(read_bytes(os.path.join(back, "manifest.json")) == source_raw,
            "manifest.json pulled back differs")
    for descriptor in image_blobs(manifest):
        check_blob_file(dir_blob(back, descriptor["digest"]), descriptor, "pulled dir: image")
        require(read_bytes(dir_blob(back, descriptor["digest"]))
                == read_bytes(dir_blob(source, descriptor["digest"])),
                f"blob {descriptor['digest']} pulled back differs from the pushed file")
    return {"digest": sha256_bytes(source_raw)}


@flow
def flow_skopeo_storage_roundtrip(env, registry, creds):
    """containers-storage → registry (layers gzip-compressed on the fly, so the upload size is
    unknown and sent chunked) → OCI layout, plus the same image as Docker schema 2 (-f v2s2)."""
    local = env.image("small")
    config = env.local_config(local)
    ref = f"{registry}/{env.namespace}/small:v1"
    env.skopeo("copy", "--quiet", *creds_args("--dest-creds", creds),
               f"containers-storage:{local}", f"docker://{ref}")
    registry_raw, manifest = env.registry_manifest(ref, creds)
    require(manifest.get("mediaType") == MT_OCI_MANIFEST,
            f"containers-storage push stored {manifest.get('mediaType')}")
    back = env.workdir("storage-back")
    env.skopeo("copy", "--quiet", *creds_args("--src-creds", creds),
               f"docker://{ref}", f"oci:{back}:v1")
    check_pulled_image(back, "v1", registry_raw, config, "small pulled back")
    v2s2 = f"{registry}/{env.namespace}/small:v2s2"
    env.skopeo("copy", "--quiet", "-f", "v2s2", *creds_args("--dest-creds", creds),
               f"containers-storage:{local}", f"docker://{v2s2}")
    _, docker_manifest = env.registry_manifest(v2s2, creds)
    require(docker_manifest.get("mediaType") == MT_DOCKER_MANIFEST,
            f"-f v2s2 push stored {docker_manifest.get('mediaType')}")
    check_registry_serves_blobs(registry, f"{env.namespace}/small", docker_manifest, creds)
    return {"digest": sha256_bytes(registry_raw)}


@flow
def flow_skopeo_inspect(env, registry, creds):
    """inspect (plain, --raw, --config, by digest), list-tags, and an unknown tag."""
    local = env.image("small")
    config_bytes, config_digest = env.local_config(local)
    repository = f"{env.namespace}/inspect"
    for tag in ("v1", "v2"):
        env.skopeo("copy", "--quiet", *creds_args("--dest-creds", creds),
                   f"containers-storage:{local}", f"docker://{registry}/{repository}:{tag}")
    ref = f"{registry}/{repository}:v1"
    raw, manifest = env.registry_manifest(ref, creds)
    digest = sha256_bytes(raw)
    cred = creds_args("--creds", creds)
    info = json.loads(env.skopeo("inspect", *cred, f"docker://{ref}").stdout)
    require(info["Name"] == f"{registry}/{repository}", f"inspect Name {info['Name']}")
    require(info["Digest"] == digest, f"inspect Digest {info['Digest']}, manifest is {digest}")
    require(info["Architecture"] == "amd64" and info["Os"] == "linux",
            f"inspect platform {info['Os']}/{info['Architecture']}")
    require(info["Layers"] == [layer["digest"] for layer in manifest["layers"]],
            f"inspect Layers {info['Layers']}")
    require({"v1", "v2"} <= set(info.get("RepoTags") or []), f"RepoTags {info.get('RepoTags')}")
    require(manifest["config"]["digest"] == config_digest, "manifest names another config")
    shown = env.skopeo("inspect", "--config", *cred, f"docker://{ref}").stdout
    require(json.loads(shown) == json.loads(config_bytes), "inspect --config differs")
    raw_config = env.skopeo("inspect", "--config", "--raw", *cred, f"docker://{ref}").stdout
    require(raw_config == config_bytes, "inspect --config --raw is not the pushed config")
    by_digest = f"{registry}/{repository}@{digest}"
    require(env.registry_manifest(by_digest, creds)[0] == raw, "manifest by digest differs")
    info = json.loads(env.skopeo("inspect", *cred, f"docker://{by_digest}").stdout)
    require(info["Digest"] == digest, f"inspect by digest gives Digest {info['Digest']}")
    tags = json.loads(env.skopeo("list-tags", *cred, f"docker://{registry}/{repository}").stdout)
    require(sorted(tags["Tags"]) == ["v1", "v2"], f"list-tags {tags['Tags']}")
    missing = env.skopeo("inspect", *cred, f"docker://{registry}/{repository}:nope", check=False)
    require(missing.returncode != 0 and MANIFEST_UNKNOWN_RE.search(missing.stderr.decode()),
            f"inspect of a missing tag: {missing.stderr.decode().strip()}")
    return {"digest": digest}


@flow
def flow_skopeo_delete(env, registry, creds):
    """delete by tag removes the manifest it names: inspect by tag and by digest then fail with
    manifest unknown, the tag leaves the list, and another tag in the repository survives."""
    repository = f"{env.namespace}/delete"
    push = ("copy", "--quiet", *creds_args("--dest-creds", creds))
    env.skopeo(*push, f"containers-storage:{env.image('small')}",
               f"docker://{registry}/{repository}:gone")
    env.skopeo(*push, f"containers-storage:{env.image('small-arm64')}",
               f"docker://{registry}/{repository}:kept")
    gone_raw, _ = env.registry_manifest(f"{registry}/{repository}:gone", creds)
    kept_raw, _ = env.registry_manifest(f"{registry}/{repository}:kept", creds)
    cred = creds_args("--creds", creds)
    env.skopeo("delete", *cred, f"docker://{registry}/{repository}:gone")
    for ref in (f"{repository}:gone", f"{repository}@{sha256_bytes(gone_raw)}"):
        result = env.skopeo("inspect", *cred, f"docker://{registry}/{ref}", check=False)
        require(result.returncode != 0 and MANIFEST_UNKNOWN_RE.search(result.stderr.decode()),
                f"inspect {ref} after delete: {result.stderr.decode().strip() or 'succeeded'}")
    tags = json.loads(env.skopeo("list-tags", *cred, f"docker://{registry}/{repository}").stdout)
    require(tags["Tags"] == ["kept"], f"list-tags after delete: {tags['Tags']}")
    require(env.registry_manifest(f"{registry}/{repository}:kept", creds)[0] == kept_raw,
            "the other tag's manifest changed")
    return {"deleted": sha256_bytes(gone_raw)}


@flow
def flow_podman(env, registry, creds):
    """podman login, push, pull after removing the local image (so blobs really transfer),
    logout. With credentials, login must write the auth file and logout must empty it again,
    after which a pull is refused."""
    if creds:
        env.podman("login", "-u", creds[0], "--password-stdin", registry,
                   stdin=creds[1].encode())
        require(registry in env.auths(), f"podman login wrote no entry for {registry}")
        login = env.podman("login", "--get-login", registry).stdout.decode().strip()
        require(login == creds[0], f"podman login --get-login says {login!r}")
    small, repository = env.image("small"), f"{env.namespace}/podsmall"
    env.podman("push", "-q", small, f"{registry}/{repository}:v1")
    _, pushed = env.registry_manifest(f"{registry}/{repository}:v1", creds)
    require(pushed["config"]["digest"] == env.local_config(small)[1],
            "podman push stored another config")
    check_registry_serves_blobs(registry, repository, pushed, creds)
    local = env.image("imported")
    config_bytes, config_digest = env.local_config(local)
    diff_ids = json.loads(config_bytes)["rootfs"]["diff_ids"]
    ref = f"{registry}/{env.namespace}/podimported:v1"
    env.podman("push", "-q", local, ref)
    registry_raw, _ = env.registry_manifest(ref, creds)
    env.remove_image("imported")
    require(env.podman("image", "exists", local, check=False).returncode != 0,
            "the local image survived podman rmi")
    pull = env.podman("pull", "--log-level=debug", ref).stderr.decode(errors="replace")
    check_downloaded(pull, json.loads(registry_raw), "podman pull")
    inspected = env.podman("image", "inspect", "--format",
                           "{{.Id}} {{.Digest}} {{json .RootFS.Layers}}", ref)
    image_id, digest, layers = inspected.stdout.decode().strip().split(" ", 2)
    require("sha256:" + image_id == config_digest,
            f"pulled image ID {image_id}, pushed {config_digest}")
    require(digest == sha256_bytes(registry_raw), f"pulled image digest {digest}")
    require(json.loads(layers) == diff_ids, f"pulled layers {layers}, pushed {diff_ids}")
    if creds:
        env.podman("logout", registry)
        require(registry not in env.auths(), "podman logout left the credentials in place")
        refused = env.podman("pull", "-q", ref, check=False)
        require(refused.returncode != 0 and UNAUTHORIZED_RE.search(refused.stderr.decode()),
                f"pull after logout: {refused.stderr.decode().strip() or 'succeeded'}")
    return {"digest": digest}


@flow
def flow_buildah_formats(env, registry, creds):
    """buildah push --format oci and --format docker: the registry stores (and serves with the
    matching Content-Type) an OCI manifest and a Docker schema 2 manifest respectively."""
    local = env.image("small")
    _, config_digest = env.local_config(local)
    repository = f"{env.namespace}/bsmall"
    expected = {
        "oci": (MT_OCI_MANIFEST, MT_OCI_CONFIG, "application/vnd.oci.image.layer.v1.tar+gzip"),
        "docker": (MT_DOCKER_MANIFEST, MT_DOCKER_CONFIG, MT_DOCKER_LAYER_GZIP),
    }
    digests = {}
    for fmt, (manifest_type, config_type, layer_type) in expected.items():
        env.buildah("push", "--quiet", "--format", fmt, *creds_args("--creds", creds),
                    local, f"docker://{registry}/{repository}:{fmt}")
        raw, manifest = env.registry_manifest(f"{registry}/{repository}:{fmt}", creds)
        require(manifest.get("mediaType") == manifest_type,
                f"buildah --format {fmt}: stored mediaType {manifest.get('mediaType')}")
        require(manifest["config"]["mediaType"] == config_type,
                f"buildah --format {fmt}: config mediaType {manifest['config']['mediaType']}")
        types = {layer["mediaType"] for layer in manifest["layers"]}
        require(types == {layer_type}, f"buildah --format {fmt}: layer mediaTypes {types}")
        check_manifest_content_type(registry, repository, fmt, manifest_type, creds)
        check_registry_serves_blobs(registry, repository, manifest, creds)
        digests[fmt] = sha256_bytes(raw)
    _, oci_manifest = env.registry_manifest(f"{registry}/{repository}:oci", creds)
    require(oci_manifest["config"]["digest"] == config_digest,
            "buildah --format oci changed the config")
    return digests


@flow
def flow_manifest_index(env, registry, creds):
    """A two-architecture index made with podman manifest, pushed with --all; podman pull
    --arch arm64 --variant v8 must pick the arm64 child; skopeo copy --all takes the index out
    to an OCI layout and back in, and the registry serves the same index bytes both times."""
    amd64, arm64 = env.image("small"), env.image("small-arm64")
    amd64_config, arm64_config = env.local_config(amd64)[1], env.local_config(arm64)[1]
    cred = creds_args("--creds", creds)
    local_list = f"localhost/{env.namespace}-multi-{secrets.token_hex(3)}:v1"
    image_name = f"{registry}/{env.namespace}/multi"
    ref = f"{image_name}:v1"
    env.podman("manifest", "create", local_list)
    try:
        env.podman("manifest", "add", local_list, f"containers-storage:{amd64}")
        env.podman("manifest", "add", "--arch", "arm64", "--variant", "v8", local_list,
                   f"containers-storage:{arm64}")
        env.podman("manifest", "push", "--all", "--quiet", *cred, local_list, f"docker://{ref}")
    finally:
        env.podman("manifest", "rm", local_list, check=False)
    index_raw, index = env.registry_manifest(ref, creds)
    require(index.get("mediaType") in (MT_OCI_INDEX, MT_DOCKER_LIST),
            f"pushed list has mediaType {index.get('mediaType')}")
    check_manifest_content_type(registry, f"{env.namespace}/multi", "v1", index["mediaType"],
                                creds)
    children = {}
    for child in index["manifests"]:
        platform = child.get("platform", {})
        key = (platform.get("architecture"), platform.get("variant", ""))
        child_raw, child_manifest = env.registry_manifest(f"{image_name}@{child['digest']}",
                                                          creds)
        require(sha256_bytes(child_raw) == child["digest"], f"child {child['digest']} digest")
        children[key] = (child["digest"], child_manifest["config"]["digest"])
    require(set(children) == {("amd64", ""), ("arm64", "v8")}, f"index platforms {children}")
    require(children[("amd64", "")][1] == amd64_config, "amd64 child has another config")
    require(children[("arm64", "v8")][1] == arm64_config, "arm64 child has another config")
    # Remove the arm64 image so that the pull transfers its blobs instead of finding them.
    env.remove_image("small-arm64")
    pull = env.podman("pull", "--log-level=debug", "--arch", "arm64", "--variant", "v8", *cred,
                      ref).stderr.decode(errors="replace")
    pulled = json.loads(env.podman("image", "inspect", ref).stdout)[0]
    config = json.loads(env.local_config(ref)[0])
    platform = (pulled["Architecture"], config.get("variant"))
    require(platform == ("arm64", "v8"), f"podman pull --arch arm64 --variant v8 got {platform}")
    require("sha256:" + pulled["Id"] == arm64_config,
            f"pulled image {pulled['Id']} is not the arm64 one")
    # podman records the index digest as Digest and both digests in RepoDigests.
    digests = {entry.split("@", 1)[1] for entry in pulled["RepoDigests"]}
    require(digests == {sha256_bytes(index_raw), children[("arm64", "v8")][0]},
            f"pulled image has digests {digests}, expected the index and the arm64 child")
    arm64_manifest = env.registry_manifest(f"{image_name}@{children[('arm64', 'v8')][0]}",
                                           creds)[1]
    check_downloaded(pull, arm64_manifest, "podman pull --arch arm64")
    layout = env.workdir("index-out")
    env.skopeo("copy", "--all", "--quiet", *creds_args("--src-creds", creds),
               f"docker://{ref}", f"oci:{layout}:v1")
    out_raw, _ = layout_manifest(layout, "v1")
    require(out_raw == index_raw, "skopeo copy --all rewrote the index")
    for child in index["manifests"]:
        child_raw = read_bytes(layout_blob(layout, child["digest"]))
        require(sha256_bytes(child_raw) == child["digest"], f"copied child {child['digest']}")
        check_layout_image(layout, json.loads(child_raw), "index copied out")
    copy_ref = f"{registry}/{env.namespace}/multi-copy:v1"
    env.skopeo("copy", "--all", "--quiet", *creds_args("--dest-creds", creds),
               f"oci:{layout}:v1", f"docker://{copy_ref}")
    require(env.registry_manifest(copy_ref, creds)[0] == index_raw,
            "index copied back in differs")
    return {"index": sha256_bytes(index_raw), "children": len(children)}


def push_big(env, registry, creds, repository):
    local = env.image("big")
    env.skopeo("copy", "--quiet", *creds_args("--dest-creds", creds),
               f"containers-storage:{local}", f"docker://{registry}/{repository}:v1")
    return local


@flow
def flow_big_roundtrip(env, registry, creds):
    """The 200 MB, four-layer image: pushed from containers-storage and pulled back into an OCI
    layout, where every blob must match the registry's descriptors and every layer must
    unpack to the original diff_ids."""
    repository = f"{env.namespace}/big"
    local = push_big(env, registry, creds, repository)
    registry_raw, manifest = env.registry_manifest(f"{registry}/{repository}:v1", creds)
    require(len(manifest["layers"]) == BIG_LAYER_COUNT,
            f"big image has {len(manifest['layers'])} layers")
    back = env.workdir("big-back")
    env.skopeo("copy", "--quiet", *creds_args("--src-creds", creds),
               f"docker://{registry}/{repository}:v1", f"oci:{back}:v1")
    check_pulled_image(back, "v1", registry_raw, env.local_config(local), "big pulled back")
    if not keep_dirs():
        shutil.rmtree(back)
    return {"digest": sha256_bytes(registry_raw),
            "bytes": sum(d["size"] for d in image_blobs(manifest))}


def lines_mentioning(log, digest):
    """The lines of a client's debug log that name one digest, to show why it chose to upload."""
    hex_part = digest.split(":", 1)[-1][:16]
    return "\n".join(line for line in log.splitlines() if hex_part in line)


@flow
def flow_cross_repo_mount(env, registry, creds):
    """skopeo copy docker://R/big → docker://R/bigmount. The client's own debug log must show
    every layer skipped as already present (a mount: the target repository is new), none
    uploaded, and the target repository must then serve every blob."""
    source = f"{env.namespace}/big"
    if env.skopeo("inspect", "--raw", *creds_args("--creds", creds),
                  f"docker://{registry}/{source}:v1", check=False).returncode:
        push_big(env, registry, creds, source)
    target = f"{env.namespace}/bigmount-{secrets.token_hex(3)}"
    copied = env.skopeo("--debug", "copy", *creds_args("--src-creds", creds),
                        *creds_args("--dest-creds", creds),
                        f"docker://{registry}/{source}:v1", f"docker://{registry}/{target}:v1")
    debug = copied.stderr.decode(errors="replace")
    source_raw, manifest = env.registry_manifest(f"{registry}/{source}:v1", creds)
    require(env.registry_manifest(f"{registry}/{target}:v1", creds)[0] == source_raw,
            "the mounted copy has another manifest")
    uploaded = set(re.findall(r"Upload of layer (sha256:[0-9a-f]{64}) complete", debug))
    skipped = set(re.findall(r"Skipping blob (sha256:[0-9a-f]{64}) \(already present\)", debug))
    for layer in manifest["layers"]:
        require(layer["digest"] not in uploaded,
                f"layer {layer['digest']} was uploaded again; the client said:\n"
                + lines_mentioning(debug, layer["digest"]))
        require(layer["digest"] in skipped,
                f"the client did not report layer {layer['digest']} as already present")
    check_registry_serves_blobs(registry, target, manifest, creds)
    return {"mounted": debug.count("... mount OK"), "layers": len(manifest["layers"])}


@flow
def flow_credentials_enforced(env, registry, creds):
    """With auth on, reads and writes without credentials or with a wrong password fail with
    401 (unauthorized), and podman login refuses a wrong password."""
    local = env.image("small")
    repository = f"{registry}/{env.namespace}/authcheck"
    ref = f"{repository}:v1"
    env.skopeo("copy", "--quiet", *creds_args("--dest-creds", creds),
               f"containers-storage:{local}", f"docker://{ref}")
    wrong = (creds[0], creds[1] + "-wrong")
    attempts = {
        "anonymous inspect": ("inspect", "--no-creds", f"docker://{ref}"),
        "inspect with a wrong password": ("inspect", *creds_args("--creds", wrong),
                                          f"docker://{ref}"),
        "anonymous push": ("copy", "--dest-no-creds", f"containers-storage:{local}",
                           f"docker://{repository}:anonymous"),
    }
    for what, args in attempts.items():
        result = env.skopeo(*args, check=False)
        require(result.returncode != 0 and UNAUTHORIZED_RE.search(result.stderr.decode()),
                f"{what}: {result.stderr.decode().strip() or 'succeeded'}")
    login = env.podman("login", "-u", wrong[0], "--password-stdin", registry,
                       stdin=wrong[1].encode(), check=False)
    require(login.returncode != 0, "podman login accepted a wrong password")
    require(registry not in env.auths(), "a refused login left credentials in the auth file")
    return {"refused": len(attempts) + 1}
