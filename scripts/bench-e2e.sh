#!/usr/bin/env bash
# End-to-end benchmark: braze-sim + braid serve + braid-load, on 127.0.0.1 only.
#
# Starts braze-sim and braid (fresh data dir in a temp dir), runs braid-load against
# braid, waits for braid's ingest queue and Braze outbox to drain, records braid's peak
# RSS (VmHWM) and stops everything. Bounded: braid-load runs under `timeout`, and an
# EXIT trap stops the two servers this script started (by pid, nothing else).
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
#   WAIT_DRAIN    seconds to wait for the ingest queue and outbox to drain after sending [30]
#   PREFILL       true: measure delivery alone. braze-sim answers 401 while braid-load
#                 sends and the pipeline fills the outbox; once braid's ingest queue is
#                 empty, braze-sim accepts again and the outbox drain is timed [false]
#   PIPELINE_ALONE true: measure the pipeline alone. braze-sim answers 401 for the whole
#                 run, so delivery holds everything in the outbox; the time from braid-load's
#                 start (its first request) until braid's ingest queue is empty (/metrics
#                 braid_queue_depth 0, polled every 50 ms) is timed, and accepted batches per
#                 second over that time is printed as `bench: pipeline alone: ...` [false]
#   KEEP_DATA     true: keep braid's data dir in $OUT_DIR/data after the run [false]
#   OUT_DIR       where report.json, braid.log, sim.log, config go [a new temp dir]
#   EXTRA_LOAD_ARGS  appended to braid-load's arguments
#
# Output: braid-load's human summary, then one line `bench: ...` with peak RSS,
# $OUT_DIR/report.json (braid-load's JSON report with "peak_rss_kb" added) and
# $OUT_DIR/metrics.txt (braid's /metrics at the end of the run) and, with jq installed,
# $OUT_DIR/timeline.tsv (per second: braze-sim requests and objects, braid's ingest queue
# and outbox depth).
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
PREFILL=${PREFILL:-false}
PIPELINE_ALONE=${PIPELINE_ALONE:-false}
KEEP_DATA=${KEEP_DATA:-false}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t braid-bench.XXXXXX)}
mkdir -p "$OUT_DIR"

for b in braid braze-sim braid-load; do
  [[ -x "$BIN_DIR/$b" ]] || { echo "bench: $BIN_DIR/$b missing; build first" >&2; exit 2; }
done

SIM_PID=""
BRAID_PID=""
SAMPLER_PID=""
stop() {
  # Stop only what this script started, by pid; SIGTERM, then SIGKILL after 10 s.
  [[ -n "$SAMPLER_PID" ]] && kill "$SAMPLER_PID" 2>/dev/null
  for pid in $BRAID_PID $SIM_PID; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $BRAID_PID $SIM_PID; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  # A run's store takes hundreds of MB; a series of runs can fill the disk.
  [[ "$KEEP_DATA" == true ]] || rm -rf "$OUT_DIR/data"
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
if [[ "$PREFILL" == true || "$PIPELINE_ALONE" == true ]]; then
  # Resume within 100 ms once braze-sim accepts the key again.
  echo 'auth_probe_interval_ms = 100' >>"$OUT_DIR/braid.toml"
  curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' \
    -d '{"unauthorized": true}' "http://127.0.0.1:$SIM_PORT/sim/faults"
fi

# braid reads BRAID_* variables as config overrides: keep this script's own knob out.
env -u BRAID_PORT "$BIN_DIR/braid" serve --config "$OUT_DIR/braid.toml" >"$OUT_DIR/braid.log" 2>&1 &
BRAID_PID=$!
wait_http "http://127.0.0.1:$BRAID_PORT/healthz" 30

LOAD_ARGS=(
  --url "http://127.0.0.1:$BRAID_PORT" --key bench-key --secret bench-secret
  --admin-key admin-key --admin-secret admin-secret
  --sim-url "http://127.0.0.1:$SIM_PORT"
  --users "$USERS" --seed "$SEED" --bulk-size "$BULK_SIZE" --rate "$RATE"
  --concurrency "$CONCURRENCY"
  --wait-drain-secs "$([[ "$PREFILL" == true || "$PIPELINE_ALONE" == true ]] && echo 0 || echo "$WAIT_DRAIN")"
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
# Once a second: braze-sim's request and object counts and braid's ingest queue and outbox
# depth, so delivery's rate can be read while the outbox has a backlog.
sample() {
  local t0=$SECONDS
  printf 't_s\tsim_requests\tsim_objects\tqueue_depth\toutbox_depth\n'
  while kill -0 "$BRAID_PID" 2>/dev/null; do
    local sim metrics
    sim=$(curl -fsS "http://127.0.0.1:$SIM_PORT/sim/stats" 2>/dev/null || echo '{}')
    metrics=$(curl -fsS "http://127.0.0.1:$BRAID_PORT/metrics" 2>/dev/null || true)
    printf '%s\t%s\t%s\t%s\t%s\n' "$((SECONDS - t0))" \
      "$(jq -r '.track_requests // ""' <<<"$sim" 2>/dev/null)" \
      "$(jq -r '.objects_received // ""' <<<"$sim" 2>/dev/null)" \
      "$(awk '$1 == "braid_queue_depth" {print $2}' <<<"$metrics")" \
      "$(awk '$1 == "braid_outbox_depth" {print $2}' <<<"$metrics")"
    sleep 1
  done
}
if command -v jq >/dev/null; then
  sample >"$OUT_DIR/timeline.tsv" 2>/dev/null &
  SAMPLER_PID=$!
fi

status=0
load_t0=$(date +%s.%N)
timeout --signal=TERM --kill-after=5 "$LIMIT" "$BIN_DIR/braid-load" "${LOAD_ARGS[@]}" || status=$?

metric() { # name → value in braid's /metrics ("" when absent)
  curl -fsS "http://127.0.0.1:$BRAID_PORT/metrics" 2>/dev/null | awk -v n="$1" '$1 == n {print $2}'
}
sim_count() { # field of /sim/stats
  curl -fsS "http://127.0.0.1:$SIM_PORT/sim/stats" | jq -r ".$1"
}
if [[ "$PREFILL" == true && $status -eq 0 ]]; then
  deadline=$((SECONDS + ${WAIT_DRAIN%.*}))
  until [[ "$(metric braid_queue_depth)" == 0 ]]; do
    ((SECONDS < deadline)) || { echo "bench: the pipeline did not finish in time" >&2; break; }
    sleep 0.2
  done
  held=$(metric braid_outbox_depth)
  objects0=$(sim_count objects_received)
  requests0=$(sim_count track_requests)
  t0=$(date +%s.%N)
  curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' -d '{}' \
    "http://127.0.0.1:$SIM_PORT/sim/faults"
  deadline=$((SECONDS + ${WAIT_DRAIN%.*}))
  until [[ "$(metric braid_outbox_depth)" == 0 ]]; do
    ((SECONDS < deadline)) || { echo "bench: the outbox did not drain in time" >&2; status=1; break; }
    sleep 0.1
  done
  t1=$(date +%s.%N)
  objects=$(($(sim_count objects_received) - objects0))
  requests=$(($(sim_count track_requests) - requests0))
  awk -v h="$held" -v o="$objects" -v r="$requests" -v t0="$t0" -v t1="$t1" 'BEGIN {
    s = t1 - t0
    printf "bench: delivery alone: outbox of %s drained in %.2fs: %d requests (%.0f/s), %d objects (%.0f/s)\n", h, s, r, r / s, o, o / s
  }' | tee "$OUT_DIR/delivery-alone.txt"
fi

if [[ "$PIPELINE_ALONE" == true && $status -eq 0 ]]; then
  deadline=$((SECONDS + ${WAIT_DRAIN%.*}))
  until [[ "$(metric braid_queue_depth)" == 0 ]]; do
    ((SECONDS < deadline)) || { echo "bench: the pipeline did not finish in time" >&2; status=1; break; }
    sleep 0.05
  done
  load_t1=$(date +%s.%N)
  accepted=$(jq -r '.send.batches_accepted' "$OUT_DIR/report.json")
  events=$(jq -r '.send.events_accepted' "$OUT_DIR/report.json")
  records=$(metric braid_pipeline_records_total)
  awk -v b="$accepted" -v e="$events" -v r="$records" -v t0="$load_t0" -v t1="$load_t1" 'BEGIN {
    s = t1 - t0
    printf "bench: pipeline alone: %d batches (%d events, %s log records) accepted and applied in %.2fs: %.0f batches/s, %.0f events/s\n", b, e, r, s, b / s, e / s
  }' | tee "$OUT_DIR/pipeline-alone.txt"
fi

# braid's metrics at the end (delivery stage timings, pipeline transaction times, depths).
curl -fsS -o "$OUT_DIR/metrics.txt" "http://127.0.0.1:$BRAID_PORT/metrics" 2>/dev/null || true
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
