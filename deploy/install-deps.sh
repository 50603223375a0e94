#!/usr/bin/env bash
# Installs, from Debian's packages, whatever berth needs and this machine lacks.
#   deploy/install-deps.sh build        compile berth
#   deploy/install-deps.sh build test   ... and run every test (real clients, fuzzers, tidy)
#   deploy/install-deps.sh bench        ... the benchmark peers and load generators
# Packages already installed are left alone, and apt is not touched when nothing is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

build="meson ninja-build g++ pkg-config liburing-dev libsimdjson-dev libxxhash-dev libssl-dev
       libcrypt-dev libre2-dev doctest-dev node-llhttp"
run="openssl apache2-utils python3"
# The package lists of the real-client, deploy and benchmark code live beside that code (an
# absent file, as in the container build, contributes nothing).
packages_of() { sed -n 's/^APT_PACKAGES = "\(.*\)"$/\1/p' "$here/$1" 2>/dev/null || true; }
client_packages=$(packages_of tests/integration/realclients.py)
deploy_packages=$(packages_of tests/integration/test_deploy.py)
bench_packages=$(packages_of bench/run.py)
# The web UI's browser tests: Debian's Chromium driven by playwright-core from npm (tests/ui).
ui_packages="chromium nodejs"
# A Node.js from elsewhere (NodeSource) carries its own npm and conflicts with Debian's.
command -v npm >/dev/null 2>&1 || ui_packages="$ui_packages npm"
test="python3 curl clang clang-format libclang-rt-14-dev golang-github-containers-common
      crun $client_packages $deploy_packages $ui_packages"

wanted=""
npm_install=""
for set in "$@"; do
    case "$set" in
    build) wanted="$wanted $build" ;;
    run) wanted="$wanted $build $run" ;;
    test) wanted="$wanted $build $run $test"; npm_install=1 ;;
    bench) wanted="$wanted $build $run $bench_packages" ;;
    *) echo "unknown package set: $set" >&2; exit 2 ;;
    esac
done

missing=""
for package in $wanted; do
    if ! dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $package"
    fi
done
# playwright-core at the version tests/ui/package-lock.json pins, when it is not there yet.
npm_ci() {
    local ui="$here/tests/ui"
    if [ -n "$npm_install" ] && [ -f "$ui/package-lock.json" ] &&
        [ ! -f "$ui/node_modules/playwright-core/package.json" ]; then
        (cd "$ui" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    fi
}

if [ -z "$missing" ]; then
    npm_ci
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "missing packages:$missing; run as root or install them" >&2
    exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
npm_ci
