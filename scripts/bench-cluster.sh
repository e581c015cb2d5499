#!/usr/bin/env bash
# Pipeline throughput of the distributed backend with WORKERS pipeline nodes.
#
# Starts one ingest node and WORKERS pipeline nodes (release binaries) on Kafka
# (scripts/kafka.sh), PostgreSQL and Redis, each run in a topic, schema and key prefix of
# its own, with no delivery node (the outbox fills; Braze is not part of the figure).
# braid-load sends BATCHES batches (in /v2/bulkevents requests of BULK_SIZE) to the
# ingest node; the time from its first request until the workers together applied every
# accepted batch (the sum of their braid_pipeline_records_total) is the figure.
#
# It also prints the CPU time each part used during the run (from /proc: braid-load, the
# ingest node, the workers, PostgreSQL's processes, the broker) and PostgreSQL's
# transactions, per batch: the inputs of the cost model in BENCHMARKS.md.
#
# Build first:  cargo build --release -p braid-server -p braze-sim -p braid-load
#
# Knobs: WORKERS [1]  BATCHES [20000]  BULK_SIZE [100]  USERS [10000]  CONCURRENCY [8]
#        PARTITIONS [8]  BIN_DIR [target/release]  WAIT [300 s]
#        KAFKA [127.0.0.1:9092]  POSTGRES [postgres://postgres@127.0.0.1:5432/test]
#        REDIS [redis://127.0.0.1:6379]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BIN_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/release}
WORKERS=${WORKERS:-1}
BATCHES=${BATCHES:-20000}
BULK_SIZE=${BULK_SIZE:-100}
USERS=${USERS:-10000}
CONCURRENCY=${CONCURRENCY:-8}
PARTITIONS=${PARTITIONS:-8}
WAIT=${WAIT:-300}
KAFKA=${KAFKA:-127.0.0.1:9092}
POSTGRES=${POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
REDIS=${REDIS:-redis://127.0.0.1:6379}
RUN="bench_$$_$(date +%s)"
OUT_DIR=$(mktemp -d -t braid-cluster-bench.XXXXXX)

for b in braid braze-sim braid-load; do
  [[ -x "$BIN_DIR/$b" ]] || { echo "bench: $BIN_DIR/$b missing; build first" >&2; exit 2; }
done
BRAID_TEST_KAFKA="$KAFKA" "$ROOT/scripts/kafka.sh" >/dev/null

PIDS=()
stop() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  psql -q "$POSTGRES" -c "DROP SCHEMA IF EXISTS $RUN CASCADE" >/dev/null 2>&1 || true
}
trap stop EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # url, seconds
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "bench: $1 did not come up" >&2; return 1; }
    sleep 0.1
  done
}

SIM_PORT=$(free_port)
"$BIN_DIR/braze-sim" --listen "127.0.0.1:$SIM_PORT" --api-key sim-key >"$OUT_DIR/sim.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$SIM_PORT/sim/stats" 15

node() { # name, roles → starts a node, prints its port
  local name=$1 roles=$2 port
  port=$(free_port)
  mkdir -p "$OUT_DIR/$name"
  cat >"$OUT_DIR/$name.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
data_dir = "$OUT_DIR/$name"
[storage]
backend = "distributed"
[storage.kafka]
brokers = "$KAFKA"
topic = "braid.$RUN"
partitions = $PARTITIONS
group_id = "braid-$RUN"
session_timeout_ms = 6000
[storage.postgres]
url = "$POSTGRES"
schema = "$RUN"
[storage.redis]
url = "$REDIS"
key_prefix = "braid-$RUN"
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
TOML
  "$BIN_DIR/braid" serve --config "$OUT_DIR/$name.toml" --role "$roles" >"$OUT_DIR/$name.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$port/healthz" 60
  echo "$port"
}

INGEST_PORT=$(node ingest ingest)
WORKER_PORTS=()
for i in $(seq 1 "$WORKERS"); do
  WORKER_PORTS+=("$(node "worker-$i" pipeline)")
done
# Every worker holds partitions (its lag gauge appears) before the clock starts.
deadline=$((SECONDS + 60))
for port in "${WORKER_PORTS[@]}"; do
  until curl -fsS "http://127.0.0.1:$port/metrics" | grep -q '^braid_kafka_consumer_lag'; do
    ((SECONDS < deadline)) || { echo "bench: worker on $port never got partitions" >&2; exit 1; }
    sleep 0.2
  done
done

applied() {
  local total=0 v
  for port in "${WORKER_PORTS[@]}"; do
    v=$(curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null | awk '$1 == "braid_pipeline_records_total" {print $2}')
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# CPU seconds (user + system) the processes named by `pgrep -f "$1"` used so far.
cpu_of() {
  local ticks=0 pid stat
  for pid in $(pgrep -f "$1"); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    ticks=$((ticks + $(awk '{print $12 + $13}' <<<"$stat")))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}'
}
pg_xacts() {
  psql -qtA "$POSTGRES" -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
}
PARTS=("ingest:$OUT_DIR/ingest.toml" "workers:$OUT_DIR/worker-" "postgres:^postgres" "broker:tansu")
declare -A CPU0
for part in "${PARTS[@]}"; do CPU0[${part%%:*}]=$(cpu_of "${part#*:}"); done
XACT0=$(pg_xacts)

echo "bench: workers=$WORKERS partitions=$PARTITIONS batches=$BATCHES bulk=$BULK_SIZE users=$USERS out=$OUT_DIR"
t0=$(date +%s.%N)
/usr/bin/time -f "%U %S" -o "$OUT_DIR/load.cpu" "$BIN_DIR/braid-load" --url "http://127.0.0.1:$INGEST_PORT" --key bench-key --secret bench-secret \
  --users "$USERS" --bulk-size "$BULK_SIZE" --concurrency "$CONCURRENCY" --batches "$BATCHES" \
  --wait-drain-secs 0 --report-json "$OUT_DIR/report.json" --quiet
t_sent=$(date +%s.%N)
accepted=$(jq -r '.send.batches_accepted' "$OUT_DIR/report.json")
events=$(jq -r '.send.events_accepted' "$OUT_DIR/report.json")
deadline=$((SECONDS + WAIT))
last_print=$SECONDS
until (( $(applied) >= accepted )); do
  ((SECONDS < deadline)) || { echo "bench: only $(applied) of $accepted applied after ${WAIT}s" >&2; exit 1; }
  if ((SECONDS - last_print >= 10)); then
    echo "bench: $(applied) of $accepted applied"
    last_print=$SECONDS
  fi
  sleep 0.2
done
t1=$(date +%s.%N)
awk -v w="$WORKERS" -v b="$accepted" -v e="$events" -v t0="$t0" -v ts="$t_sent" -v t1="$t1" 'BEGIN {
  s = t1 - t0
  printf "bench: cluster: %d pipeline workers: %d batches (%d events) sent in %.2fs, applied in %.2fs: %.0f batches/s, %.0f events/s\n", w, b, e, ts - t0, s, b / s, e / s
}' | tee "$OUT_DIR/result.txt"
sleep 2 # backends report their statistics at most once a second
XACT1=$(pg_xacts)
{
  echo "bench: CPU seconds per 1,000 batches during the run (elapsed $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s on $(nproc) cores):"
  awk -v b="$accepted" '{printf "  braid-load %.3f\n", ($1 + $2) * 1000 / b}' "$OUT_DIR/load.cpu"
  for part in "${PARTS[@]}"; do
    name=${part%%:*}
    awk -v n="$name" -v a="${CPU0[$name]}" -v z="$(cpu_of "${part#*:}")" -v b="$accepted" \
      'BEGIN {printf "  %s %.3f\n", n, (z - a) * 1000 / b}'
  done
  awk -v x0="$XACT0" -v x1="$XACT1" -v b="$accepted" \
    'BEGIN {printf "bench: PostgreSQL transactions per batch: %.3f\n", (x1 - x0) / b}'
} | tee -a "$OUT_DIR/result.txt"
