#!/usr/bin/env bash
# Measures the Web SDK routes: web event batches per second (/v3/JS/{key}/events) and
# IDSync identify calls per second (/v1/identify), against a release braid with a fresh
# store, dry-run delivery and one web input (rate limits raised out of the way).
# Knobs: DURATION (s, default 20), CONCURRENCY (default 32), USERS (default 10000),
# BRAID_BIN (default target/release/braid). Prints one JSON line per mode.
set -euo pipefail
cd "$(dirname "$0")/.."
BRAID_BIN="${BRAID_BIN:-target/release/braid}"
dir="$(mktemp -d)"
port="${PORT:-18181}"
cat > "$dir/braid.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
data_dir = "$dir/data"

[[inputs]]
name = "web"
key = "bench-web-key"
platform = "web"
allowed_origins = ["https://shop.example.com"]

[web.rate_limit]
per_key_per_second = 1000000.0
per_key_burst = 1000000
per_client_per_second = 1000000.0
per_client_burst = 1000000
TOML
"$BRAID_BIN" serve --config "$dir/braid.toml" > "$dir/braid.log" 2>&1 &
braid_pid=$!
trap 'kill "$braid_pid" 2>/dev/null || true; wait "$braid_pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
for mode in events identify; do
  BRAID_URL="http://127.0.0.1:$port" WEB_KEY=bench-web-key MODE="$mode" \
    DURATION="${DURATION:-20}" CONCURRENCY="${CONCURRENCY:-32}" USERS="${USERS:-10000}" \
    node scripts/bench-web.mjs
done
