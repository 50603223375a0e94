#!/usr/bin/env bash
# Runs one fuzzer for a bounded time over its committed corpus. New inputs go to a scratch
# directory, so a test run never changes the repository; a crash fails the test.
set -euo pipefail
fuzzer=$1
corpus=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$fuzzer" -max_total_time="${BERTH_FUZZ_SECONDS:-30}" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$scratch/" "$scratch" "$corpus"
