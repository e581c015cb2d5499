#!/usr/bin/env bash
# Memory with a large backlog while Braze is down: braze-sim answers every call 5xx,
# braid-load sends EVENTS events (bulk requests), braid keeps them all (ingest log, then
# outbox), and this script samples braid's resident memory once a second throughout.
#
# Build first:
#   cargo build --release -p braid-server -p braze-sim -p braid-load
#
# Knobs (environment variables, defaults in brackets):
#   BIN_DIR      where braid, braze-sim, braid-load are [${CARGO_TARGET_DIR:-target}/release]
#   EVENTS       events to queue [1000000] (3 events per batch, so EVENTS/3 batches)
#   USERS        distinct users [10000]      BULK_SIZE  batches per request [100]
#   CONCURRENCY  requests in flight [8]      SEED       workload seed [1]
#   SETTLE       seconds to keep sampling after the pipeline caught up [20]
#   BRAID_PORT / SIM_PORT  [free ports]      OUT_DIR    [a new temp dir]
#
# Output: $OUT_DIR/rss.csv (seconds, VmRSS kB, VmHWM kB, ingest-log depth, outbox depth,
# data dir kB), braid-load's report.json, and one summary line `backlog-rss: ...`.
# Stops only what it started, by pid.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BIN_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/release}
EVENTS=${EVENTS:-1000000}
USERS=${USERS:-10000}
BULK_SIZE=${BULK_SIZE:-100}
CONCURRENCY=${CONCURRENCY:-8}
SEED=${SEED:-1}
SETTLE=${SETTLE:-20}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
BRAID_PORT=${BRAID_PORT:-$(free_port)}
SIM_PORT=${SIM_PORT:-$(free_port)}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t braid-backlog.XXXXXX)}
mkdir -p "$OUT_DIR"
BATCHES=$(((EVENTS + 2) / 3))

for b in braid braze-sim braid-load; do
  [[ -x "$BIN_DIR/$b" ]] || { echo "backlog-rss: $BIN_DIR/$b missing; build first" >&2; exit 2; }
done

SIM_PID="" BRAID_PID="" SAMPLER_PID=""
stop() {
  for pid in $SAMPLER_PID $BRAID_PID $SIM_PID; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $SAMPLER_PID $BRAID_PID $SIM_PID; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}
trap stop EXIT

wait_http() { # url, seconds
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "backlog-rss: $1 did not come up" >&2; return 1; }
    sleep 0.1
  done
}

# Braze is down for the whole run: every /users/track call is answered 500 or 503.
"$BIN_DIR/braze-sim" --listen "127.0.0.1:$SIM_PORT" --api-key sim-key \
  --status-5xx-rate 1.0 --request-log 0 >"$OUT_DIR/sim.log" 2>&1 &
SIM_PID=$!
wait_http "http://127.0.0.1:$SIM_PORT/sim/stats" 15
# Make sure the simulator answering is ours (a port taken by another process would send
# braid's traffic elsewhere) and that it is down as asked.
kill -0 "$SIM_PID" 2>/dev/null || { echo "backlog-rss: braze-sim exited: $(tail -1 "$OUT_DIR/sim.log")" >&2; exit 1; }
[[ "$(curl -fsS "http://127.0.0.1:$SIM_PORT/sim/faults" | jq .status_5xx_rate)" == 1 ]] ||
  { echo "backlog-rss: the simulator on port $SIM_PORT does not answer 5xx" >&2; exit 1; }

cat >"$OUT_DIR/braid.toml" <<CONF
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
forward_session_events = true
forward_screen_views = true

[delivery]
instance = "http://127.0.0.1:$SIM_PORT"
rest_api_key = "sim-key"
CONF

"$BIN_DIR/braid" serve --config "$OUT_DIR/braid.toml" >"$OUT_DIR/braid.log" 2>&1 &
BRAID_PID=$!
wait_http "http://127.0.0.1:$BRAID_PORT/healthz" 30
kill -0 "$BRAID_PID" 2>/dev/null || { echo "backlog-rss: braid exited: $(tail -1 "$OUT_DIR/braid.log")" >&2; exit 1; }

metric() { # name -> value (0 when absent)
  curl -fsS "http://127.0.0.1:$BRAID_PORT/metrics" 2>/dev/null |
    awk -v m="$1" '$1 == m {v = $2} END {print (v == "" ? 0 : v)}'
}

sample() {
  local t0=$SECONDS
  echo "secs,vm_rss_kb,vm_hwm_kb,queue_depth,outbox_depth,data_kb" >"$OUT_DIR/rss.csv"
  while kill -0 "$BRAID_PID" 2>/dev/null; do
    local rss hwm
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$BRAID_PID/status" 2>/dev/null || echo 0)
    hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$BRAID_PID/status" 2>/dev/null || echo 0)
    echo "$((SECONDS - t0)),$rss,$hwm,$(metric braid_queue_depth),$(metric braid_outbox_depth),$(du -sk "$OUT_DIR/data" | cut -f1)" \
      >>"$OUT_DIR/rss.csv"
    sleep 1
  done
}
sample &
SAMPLER_PID=$!

echo "backlog-rss: $EVENTS events ($BATCHES batches, bulk $BULK_SIZE, $CONCURRENCY in flight, $USERS users, seed $SEED) into braid with Braze down; out=$OUT_DIR"
timeout --signal=TERM --kill-after=5 1800 "$BIN_DIR/braid-load" \
  --url "http://127.0.0.1:$BRAID_PORT" --key bench-key --secret bench-secret \
  --users "$USERS" --seed "$SEED" --bulk-size "$BULK_SIZE" --concurrency "$CONCURRENCY" \
  --batches "$BATCHES" --run-id backlog --report-json "$OUT_DIR/report.json" --quiet

# Let the pipeline turn the whole ingest log into outbox entries (Braze still down).
deadline=$((SECONDS + 900))
until [[ "$(metric braid_queue_depth)" == 0 ]]; do
  ((SECONDS < deadline)) || { echo "backlog-rss: pipeline did not catch up" >&2; exit 1; }
  sleep 1
done
sleep "$SETTLE"

rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$BRAID_PID/status")
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$BRAID_PID/status")
outbox=$(metric braid_outbox_depth)
kill -0 "$SIM_PID" 2>/dev/null || { echo "backlog-rss: braze-sim died during the run" >&2; exit 1; }
sim_5xx=$(curl -fsS "http://127.0.0.1:$SIM_PORT/sim/stats" | jq '[.responses_by_status["500"], .responses_by_status["503"]] | add')
echo "backlog-rss: accepted $(jq .send.events_accepted "$OUT_DIR/report.json") events; outbox $outbox entries;" \
  "braid RSS ${rss} kB now, peak ${hwm} kB; data dir $(du -sh "$OUT_DIR/data" | cut -f1); braze-sim answered $sim_5xx calls 5xx"
