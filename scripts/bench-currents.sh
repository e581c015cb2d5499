#!/usr/bin/env bash
# Currents benchmark: events per second through POST /v1/currents and through
# `braid currents import`, on 127.0.0.1 only.
#
# Writes storage-connector folders of Avro files (codec deflate) with the
# `currents_fixtures` example, starts `braid serve` (fresh data dir, dry-run delivery, one
# Currents token), then:
#   1. import: one `braid currents import` of one folder (one request of 100 events in
#      flight at a time, as the CLI sends): the CLI's own events/s, and wall time;
#   2. http: IMPORTERS imports at once, each of its own folder (IMPORTERS requests in
#      flight): accepted events/s over the wall time, then the time until the pipeline
#      has applied everything (braid_queue_depth = 0): applied events/s.
# Bounded: each step runs under `timeout`; an EXIT trap stops the braid this script
# started (by pid, nothing else).
#
# Build first:
#   cargo build --release -p braid-server
#   cargo build --release -p braid-currents --example currents_fixtures
#
# Knobs (environment variables, defaults in brackets):
#   BIN_DIR     where braid and examples/currents_fixtures are [${CARGO_TARGET_DIR:-target}/release]
#   BRAID_PORT  braid's port [18090]
#   FILES       Avro files per folder [10]        PER_FILE  events per file [1000]
#   USERS       distinct users [5000]             IMPORTERS concurrent importers in step 2 [4]
#   OUT_DIR     where config, logs, fixtures go [a new temp dir; fixtures deleted at the end]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BIN_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/release}
BRAID_PORT=${BRAID_PORT:-18090}
FILES=${FILES:-10}
PER_FILE=${PER_FILE:-1000}
USERS=${USERS:-5000}
IMPORTERS=${IMPORTERS:-4}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t braid-currents-bench.XXXXXX)}
TOKEN=bench-currents-token-0123456789
mkdir -p "$OUT_DIR"
for bin in "$BIN_DIR/braid" "$BIN_DIR/examples/currents_fixtures"; do
  [[ -x "$bin" ]] || { echo "missing $bin: build it first (see the header)" >&2; exit 2; }
done
BASE="http://127.0.0.1:$BRAID_PORT"

BRAID_PID=
stop() {
  if [[ -n "$BRAID_PID" ]]; then
    kill -TERM "$BRAID_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$BRAID_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BRAID_PID" 2>/dev/null || true
  fi
  rm -rf "$OUT_DIR/fixtures" "$OUT_DIR/data"
}
trap stop EXIT

cat >"$OUT_DIR/braid.toml" <<TOML
[server]
listen = "127.0.0.1:$BRAID_PORT"
data_dir = "$OUT_DIR/data"

[admin]
key = "bench-admin"
secret = "bench-admin-secret"

[currents]
tokens = ["$TOKEN"]
TOML

now_s() { date +%s.%N; }
metric() { curl -fsS "$BASE/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

# Fixtures: folder 0 for the import run, folders 1..IMPORTERS for the concurrent run;
# event ids never repeat across folders.
for i in $(seq 0 "$IMPORTERS"); do
  "$BIN_DIR/examples/currents_fixtures" "$OUT_DIR/fixtures/$i" "$FILES" "$PER_FILE" "$USERS" \
    $((i * FILES * PER_FILE)) >/dev/null
done
per_folder=$((FILES * PER_FILE))

"$BIN_DIR/braid" serve --config "$OUT_DIR/braid.toml" >"$OUT_DIR/braid.log" 2>&1 &
BRAID_PID=$!
for _ in $(seq 300); do curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

wait_applied() {
  for _ in $(seq 1200); do
    [[ "$(metric braid_queue_depth)" == 0 ]] && return 0
    sleep 0.05
  done
  echo "pipeline did not catch up" >&2
  return 1
}

# 1. One importer.
t0=$(now_s)
timeout 300 "$BIN_DIR/braid" currents import --url "$BASE" --token "$TOKEN" \
  --checkpoint "$OUT_DIR/import-0.json" "$OUT_DIR/fixtures/0" >"$OUT_DIR/import-0.out" 2>"$OUT_DIR/import-0.err"
t1=$(now_s)
wait_applied
t2=$(now_s)
echo "import: $(tail -1 "$OUT_DIR/import-0.out")"
awk -v n="$per_folder" -v a="$t0" -v b="$t1" -v c="$t2" \
  'BEGIN { printf "import: %d events, sent in %.2f s (%.0f events/s), applied after %.2f s (%.0f events/s)\n", n, b-a, n/(b-a), c-a, n/(c-a) }'

# 2. IMPORTERS at once.
t0=$(now_s)
pids=()
for i in $(seq 1 "$IMPORTERS"); do
  timeout 300 "$BIN_DIR/braid" currents import --url "$BASE" --token "$TOKEN" \
    --checkpoint "$OUT_DIR/import-$i.json" "$OUT_DIR/fixtures/$i" >"$OUT_DIR/import-$i.out" 2>"$OUT_DIR/import-$i.err" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
t1=$(now_s)
wait_applied
t2=$(now_s)
total=$((per_folder * IMPORTERS))
awk -v n="$total" -v k="$IMPORTERS" -v a="$t0" -v b="$t1" -v c="$t2" \
  'BEGIN { printf "http: %d events, %d requests in flight: accepted in %.2f s (%.0f events/s), applied after %.2f s (%.0f events/s)\n", n, k, b-a, n/(b-a), c-a, n/(c-a) }'
echo "recorded: $(curl -fsS "$BASE/metrics" | awk '$1 ~ /^braid_currents_events_total/ {s += $2} END {print s}') events, duplicates: $(metric braid_currents_duplicate_events_total)"
curl -fsS "$BASE/metrics" >"$OUT_DIR/metrics.txt"
echo "bench: out_dir=$OUT_DIR"
