"""End-to-end tests: skopeo, podman, buildah and umoci push to and pull from a running berth.

    python3 tests/integration/test_real_clients.py [-v] [unittest options]

Each test class starts one berth through harness.Berth (anonymous, then with a user) and runs
every flow of realclients.py against it. To run the very same tests against a registry that is
already running, give its address (and, when it has auth on, the credentials):

    E2E_REGISTRY=127.0.0.1:5000 E2E_CREDS=user:pass python3 tests/integration/test_real_clients.py
    python3 tests/integration/test_real_clients.py --registry 127.0.0.1:5000 --creds user:pass

An external registry runs only the class that matches it: with E2E_CREDS the authenticated
one, without it the anonymous one. Needs root (the clients run in a private mount namespace).
Test images are built once into $BERTH_E2E_CACHE (default /var/tmp/berth-e2e-cache); set
BERTH_KEEP_TEST_DIRS=1 to keep the temporary directories.
"""

import argparse
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import realclients  # noqa: E402

# Every test needs skopeo (it loads the cached images into containers-storage and reads
# manifests back from the registry) and buildah (the environment probes its storage driver
# with it); building the images once also needs podman and umoci.
CORE_BINARIES = ["skopeo", "buildah"]
BUILD_BINARIES = ["podman", "umoci"]

ENV = None


def external_registry():
    """(address, creds) of an already running registry from E2E_REGISTRY / E2E_CREDS, or None."""
    address = os.environ.get("E2E_REGISTRY")
    if not address:
        return None
    creds = os.environ.get("E2E_CREDS")
    if creds and ":" not in creds:
        raise ValueError("E2E_CREDS must be user:password")
    return address, tuple(creds.split(":", 1)) if creds else None


def needs(*binaries):
    missing = realclients.missing_binaries(binaries)
    return unittest.skipIf(missing, f"client binary not installed: {', '.join(missing)}")


def setUpModule():
    global ENV
    problem = realclients.isolation_problem()
    if problem:
        raise unittest.SkipTest(problem)
    missing = realclients.missing_binaries(CORE_BINARIES)
    if missing:
        raise unittest.SkipTest(f"client binary not installed: {', '.join(missing)}")
    images = realclients.ImageCache()
    if not images.complete():
        missing = realclients.missing_binaries(BUILD_BINARIES)
        if missing:
            raise unittest.SkipTest(f"cannot build the test images without {', '.join(missing)}")
    images.ensure()
    ENV = realclients.ClientEnv(images)
    realclients.log(f"client environment {ENV.root}, storage driver {ENV.driver}, "
                    f"repositories under {ENV.namespace}/")


def tearDownModule():
    if ENV:
        ENV.close()
    if realclients.TIMINGS:
        realclients.log("flow timings:")
        for name, registry, seconds, outcome in realclients.TIMINGS:
            realclients.log(f"  {seconds:7.2f} s  {name:<28} {registry}  {outcome}")


class RealClientFlows:
    """The flows, run against cls.registry with cls.creds. Numbered so that the big image is
    pushed before the cross-repository mount copies it (each flow also works alone)."""

    users = None

    @classmethod
    def setUpClass(cls):
        external = external_registry()
        if external:
            cls.registry, cls.creds = external
            if bool(cls.creds) != bool(cls.users):
                kind = "with credentials (E2E_CREDS)" if cls.creds else "open"
                raise unittest.SkipTest(f"the external registry is {kind}; {cls.__name__} "
                                        "runs against the other kind")
            return
        if cls.users and realclients.missing_binaries(["htpasswd"]):
            raise unittest.SkipTest("htpasswd (apache2-utils) is needed for berth's user file")
        cls.berth = cls.enterClassContext(harness.Berth(users=cls.users))
        cls.registry = cls.berth.url
        cls.creds = next(iter(cls.users.items())) if cls.users else None

    def test_01_skopeo_oci_layout_roundtrip(self):
        result = realclients.flow_skopeo_oci_roundtrip(ENV, self.registry, self.creds)
        self.assertEqual(result["layers"], 2)

    def test_02_skopeo_dir_roundtrip(self):
        realclients.flow_skopeo_dir_roundtrip(ENV, self.registry, self.creds)

    def test_03_skopeo_containers_storage_roundtrip(self):
        realclients.flow_skopeo_storage_roundtrip(ENV, self.registry, self.creds)

    def test_04_skopeo_inspect_and_list_tags(self):
        realclients.flow_skopeo_inspect(ENV, self.registry, self.creds)

    def test_05_skopeo_delete(self):
        realclients.flow_skopeo_delete(ENV, self.registry, self.creds)

    @needs("podman")
    def test_06_podman_login_push_pull_logout(self):
        realclients.flow_podman(ENV, self.registry, self.creds)

    def test_07_buildah_push_oci_and_docker_formats(self):
        digests = realclients.flow_buildah_formats(ENV, self.registry, self.creds)
        self.assertNotEqual(digests["oci"], digests["docker"])

    @needs("podman")
    def test_08_multi_arch_index(self):
        result = realclients.flow_manifest_index(ENV, self.registry, self.creds)
        self.assertEqual(result["children"], 2)

    def test_09_big_image_roundtrip(self):
        result = realclients.flow_big_roundtrip(ENV, self.registry, self.creds)
        self.assertGreater(result["bytes"], realclients.BIG_LAYER_COUNT
                           * realclients.BIG_LAYER_BYTES)

    def test_12_skopeo_reads_the_data_directory(self):
        if not hasattr(self, "berth"):
            self.skipTest("the registry's data directory is not local")
        realclients.flow_skopeo_oci_roundtrip(ENV, self.registry, self.creds)
        result = realclients.skopeo_reads_store_directly(ENV, self.berth.root, self.registry,
                                                         self.creds)
        self.assertEqual(result["layers"], 2)

    def test_10_cross_repository_mount(self):
        result = realclients.flow_cross_repo_mount(ENV, self.registry, self.creds)
        self.assertEqual(result["layers"], realclients.BIG_LAYER_COUNT)


class TestRealClientsAnonymous(RealClientFlows, unittest.TestCase):
    """berth with auth off."""


class TestRealClientsWithCredentials(RealClientFlows, unittest.TestCase):
    """berth with an htpasswd user: every flow authenticates, and unauthenticated access fails."""

    users = {"e2e-user": "e2e-password"}

    @needs("podman")
    def test_11_credentials_enforced(self):
        realclients.flow_credentials_enforced(ENV, self.registry, self.creds)


def main():
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--registry", help="host:port of a running registry (E2E_REGISTRY)")
    parser.add_argument("--creds", help="user:password for that registry (E2E_CREDS)")
    options, rest = parser.parse_known_args()
    if options.registry:
        os.environ["E2E_REGISTRY"] = options.registry
    if options.creds:
        os.environ["E2E_CREDS"] = options.creds
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
