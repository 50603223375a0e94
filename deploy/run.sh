#!/usr/bin/env bash
# Installs what is missing, builds berth, and serves the top-level zot-config.json (or the
# config given as the first argument). The first time, it creates the htpasswd file the config
# names, with the user "admin" and a generated password that it prints once.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-zot-config.json}

deploy/install-deps.sh run
if [ ! -f build/build.ninja ]; then
    meson setup build >/dev/null
fi
ninja -C build src/berth >/dev/null || ninja -C build src/berth

# Keys are case-insensitive in the config, as in Zot.
htpasswd=$(python3 - "$config" <<'PY'
import json, sys
def get(node, *path):
    for key in path:
        if not isinstance(node, dict):
            return None
        node = next((v for k, v in node.items() if k.lower() == key.lower()), None)
    return node
print(get(json.load(open(sys.argv[1])), "http", "auth", "htpasswd", "path") or "")
PY
)
if [ -n "$htpasswd" ] && [ ! -e "$htpasswd" ]; then
    password=$(openssl rand -base64 24 | tr -dc 'A-Za-z0-9' | cut -c1-20)
    (umask 077 && printf '%s\n' "$password" | build/src/berth htpasswd admin >"$htpasswd")
    echo "berth: created $htpasswd with the user admin and the password $password" >&2
    echo "berth: this is the only time the password is shown: podman login -u admin <host>" >&2
fi
exec build/src/berth serve "$config"
