#!/usr/bin/env bash
# End-to-end benchmark: braze-sim + braid serve + braid-load, on 127.0.0.1 only.
#
# Starts braze-sim and braid (fresh data dir in a temp dir), runs braid-load against
# braid, waits for the Braze outbox to drain, records braid's peak RSS (VmHWM) and
# stops everything. Bounded: braid-load runs under `timeout`, and an EXIT trap stops
# the two servers this script started (by pid, nothing else).
#
# Build first:
#   cargo build --release -p braid-server -p braze-sim -p braid-load
#
# Knobs (environment variables, defaults in brackets):
#   BIN_DIR       where braid, braze-sim, braid-load are [${CARGO_TARGET_DIR:-target}/release]
#   BRAID_PORT    braid's port [18080]         SIM_PORT     braze-sim's port [19400]
#   ENRICHED      include_enriched_user_attributes, true|false [false]
#   DELTAS        braid's delta step, true|false [true]
#   FORWARD_SESSIONS / FORWARD_SCREENS  forward_session_events / forward_screen_views
#                 [true / true: what braid-load's theoretical minimum assumes]
#   BULK_SIZE     0: single batches to /v2/events; k: /v2/bulkevents of k batches [0]
#   RATE          batches per second, 0 = as fast as possible [0]
#   CONCURRENCY   requests in flight [32]
#   USERS         distinct users [10000]
#   BATCHES       stop after this many batches (same seed + same BATCHES = same workload)
#   DURATION      stop after this many seconds when BATCHES is unset [20]
#   SEED          workload seed [1]
#   WAIT_DRAIN    seconds to wait for the outbox to drain after sending [30]
#   OUT_DIR       where report.json, braid.log, sim.log, config go [a new temp dir]
#   EXTRA_LOAD_ARGS  appended to braid-load's arguments
#
# Output: braid-load's human summary, then one line `bench: ...` with peak RSS, and
# $OUT_DIR/report.json (braid-load's JSON report with "peak_rss_kb" added).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BIN_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/release}
BRAID_PORT=${BRAID_PORT:-18080}
SIM_PORT=${SIM_PORT:-19400}
ENRICHED=${ENRICHED:-false}
DELTAS=${DELTAS:-true}
FORWARD_SESSIONS=${FORWARD_SESSIONS:-true}
FORWARD_SCREENS=${FORWARD_SCREENS:-true}
BULK_SIZE=${BULK_SIZE:-0}
RATE=${RATE:-0}
CONCURRENCY=${CONCURRENCY:-32}
USERS=${USERS:-10000}
DURATION=${DURATION:-20}
SEED=${SEED:-1}
WAIT_DRAIN=${WAIT_DRAIN:-30}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t braid-bench.XXXXXX)}
mkdir -p "$OUT_DIR"

for b in braid braze-sim braid-load; do
  [[ -x "$BIN_DIR/$b" ]] || { echo "bench: $BIN_DIR/$b missing; build first" >&2; exit 2; }
done

SIM_PID=""
BRAID_PID=""
stop() {
  # Stop only what this script started, by pid; SIGTERM, then SIGKILL after 10 s.
  for pid in $BRAID_PID $SIM_PID; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $BRAID_PID $SIM_PID; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}
trap stop EXIT

wait_http() { # url, seconds
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "bench: $1 did not come up" >&2; return 1; }
    sleep 0.1
  done
}

"$BIN_DIR/braze-sim" --listen "127.0.0.1:$SIM_PORT" --api-key sim-key \
  >"$OUT_DIR/sim.log" 2>&1 &
SIM_PID=$!
wait_http "http://127.0.0.1:$SIM_PORT/sim/stats" 15

cat >"$OUT_DIR/braid.toml" <<EOF
[server]
listen = "127.0.0.1:$BRAID_PORT"
data_dir = "$OUT_DIR/data"

[[inputs]]
key = "bench-key"
secret = "bench-secret"

[admin]
key = "admin-key"
secret = "admin-secret"

[braze]
include_enriched_user_attributes = $ENRICHED
deltas = $DELTAS
forward_session_events = $FORWARD_SESSIONS
forward_screen_views = $FORWARD_SCREENS

[delivery]
instance = "http://127.0.0.1:$SIM_PORT"
rest_api_key = "sim-key"
EOF

"$BIN_DIR/braid" serve --config "$OUT_DIR/braid.toml" >"$OUT_DIR/braid.log" 2>&1 &
BRAID_PID=$!
wait_http "http://127.0.0.1:$BRAID_PORT/healthz" 30

LOAD_ARGS=(
  --url "http://127.0.0.1:$BRAID_PORT" --key bench-key --secret bench-secret
  --admin-key admin-key --admin-secret admin-secret
  --sim-url "http://127.0.0.1:$SIM_PORT"
  --users "$USERS" --seed "$SEED" --bulk-size "$BULK_SIZE" --rate "$RATE"
  --concurrency "$CONCURRENCY" --wait-drain-secs "$WAIT_DRAIN"
  --report-json "$OUT_DIR/report.json" --quiet
)
if [[ -n "${BATCHES:-}" ]]; then
  LOAD_ARGS+=(--batches "$BATCHES")
  LIMIT=$((120 + ${WAIT_DRAIN%.*}))
else
  LOAD_ARGS+=(--duration-secs "$DURATION")
  LIMIT=$((${DURATION%.*} + ${WAIT_DRAIN%.*} + 30))
fi
# shellcheck disable=SC2206
LOAD_ARGS+=(${EXTRA_LOAD_ARGS:-})

echo "bench: enriched=$ENRICHED deltas=$DELTAS bulk=$BULK_SIZE rate=$RATE" \
  "concurrency=$CONCURRENCY users=$USERS seed=$SEED batches=${BATCHES:-} duration=${BATCHES:+-}${BATCHES:-$DURATION}" \
  "out=$OUT_DIR"
status=0
timeout --signal=TERM --kill-after=5 "$LIMIT" "$BIN_DIR/braid-load" "${LOAD_ARGS[@]}" || status=$?

peak_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$BRAID_PID/status" 2>/dev/null || echo "")
alive=yes
kill -0 "$BRAID_PID" 2>/dev/null || alive=no
echo "bench: braid peak RSS ${peak_kb:-unknown} kB, braid alive at end: $alive, braid-load exit $status"
if [[ -s "$OUT_DIR/report.json" && -n "$peak_kb" ]] && command -v jq >/dev/null; then
  jq --argjson rss "$peak_kb" '. + {peak_rss_kb: $rss}' "$OUT_DIR/report.json" \
    >"$OUT_DIR/report.tmp" && mv "$OUT_DIR/report.tmp" "$OUT_DIR/report.json"
fi
errors=$(grep -ciE ' (ERROR|WARN) ' "$OUT_DIR/braid.log" || true)
echo "bench: braid.log has $errors ERROR/WARN lines ($OUT_DIR/braid.log)"
exit "$status"
