#!/usr/bin/env bash
# Installs what is missing, builds berth, and runs every test: unit and black-box tests on the
# release build, the unit and HTTP tests again under AddressSanitizer and UBSan, the fuzzers
# for a bounded time, and the tidy checks. Ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh build test || exit 1

fuzz_seconds=${BERTH_FUZZ_SECONDS:-30}
logs=()

build() { # build <dir> <meson options...>
    local dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >/dev/null || return 1
    fi
    ninja -C "$dir" >/dev/null || { ninja -C "$dir"; return 1; }
}

suite() { # suite <dir> <meson test arguments...>
    local dir=$1
    shift
    rm -f "$dir/meson-logs/testlog.json"
    meson test -C "$dir" --print-errorlogs --num-processes 2 "$@"
    logs+=("$dir/meson-logs/testlog.json")
}

failed_builds=0
if build build; then
    suite build --no-suite fuzz
else
    failed_builds=$((failed_builds + 1))
fi
if build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
    suite build-asan --suite unit --suite http
else
    failed_builds=$((failed_builds + 1))
fi
if CXX=clang++ CC=clang build build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dtests=false; then
    BERTH_FUZZ_SECONDS=$fuzz_seconds suite build-fuzz --suite fuzz
else
    failed_builds=$((failed_builds + 1))
fi

python3 - "$failed_builds" "${logs[@]}" <<'PY'
import json, sys
passed = failed = skipped = 0
failed += int(sys.argv[1])
for path in sys.argv[2:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        continue
    for line in lines:
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
