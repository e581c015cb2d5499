#!/usr/bin/env bash
# Erasure at scale: how long an erasure holds up ingest on a store of PROFILES profiles.
#
# Fills a fresh data dir with PROFILES profiles (the braid-store example fill_profiles,
# written through the store's own traits), starts braid on it (dry-run Braze output),
# and keeps ingest busy: braid-load at RATE batches/s in the background, and a probe that
# sends one batch at a time to /v2/events for the whole run, timing every answer. After
# ERASE_AT seconds one erasure (OpenDSR, by email of the profile in the middle) is
# submitted and polled until `completed`. Reported: the probe's slowest answers while the
# erasure ran against before it (the pause ingest saw), how long the erasure took, how
# long compaction held each file (braid's log), and whether the erased email is in any
# file of the data dir afterwards. Bounded: everything started here is stopped by pid.
#
# Build first:
#   cargo build --release -p braid-server -p braid-load
#   cargo build --release -p braid-store --example fill_profiles
#
# Knobs: PROFILES [100000]  RATE [500]  DURATION [25]  ERASE_AT [8]
#        BIN_DIR [target/release]  BRAID_PORT [18090]  OUT_DIR [a new temp dir]
#        KEEP_DATA [false]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BIN_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/release}
FILL=${FILL:-${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/fill_profiles}
PROFILES=${PROFILES:-100000}
RATE=${RATE:-500}
DURATION=${DURATION:-25}
ERASE_AT=${ERASE_AT:-8}
BRAID_PORT=${BRAID_PORT:-18090}
KEEP_DATA=${KEEP_DATA:-false}
OUT_DIR=${OUT_DIR:-$(mktemp -d -t braid-erasure.XXXXXX)}
mkdir -p "$OUT_DIR"

for b in "$BIN_DIR/braid" "$BIN_DIR/braid-load" "$FILL"; do
  [[ -x "$b" ]] || { echo "bench-erasure: $b missing; build first" >&2; exit 2; }
done

BRAID_PID=""
LOAD_PID=""
PROBE_PID=""
stop() {
  for pid in $PROBE_PID $LOAD_PID $BRAID_PID; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $PROBE_PID $LOAD_PID $BRAID_PID; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  [[ "$KEEP_DATA" == true ]] || rm -rf "$OUT_DIR/data"
}
trap stop EXIT

echo "bench-erasure: filling $PROFILES profiles into $OUT_DIR/data"
fill_t0=$(date +%s.%N)
"$FILL" "$OUT_DIR/data" "$PROFILES"
echo "bench-erasure: filled in $(awk -v a="$fill_t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')s," \
  "state.redb $(du -m "$OUT_DIR/data/state.redb" | cut -f1) MB"

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

[dsr]
key = "dsr-key"
secret = "dsr-secret"
CONF

env -u BRAID_PORT "$BIN_DIR/braid" serve --config "$OUT_DIR/braid.toml" >"$OUT_DIR/braid.log" 2>&1 &
BRAID_PID=$!
deadline=$((SECONDS + 120))
until curl -fsS -o /dev/null "http://127.0.0.1:$BRAID_PORT/healthz" 2>/dev/null; do
  ((SECONDS < deadline)) || { echo "bench-erasure: braid did not come up" >&2; exit 1; }
  sleep 0.1
done

BASE="http://127.0.0.1:$BRAID_PORT"
"$BIN_DIR/braid-load" --url "$BASE" --key bench-key --secret bench-secret \
  --rate "$RATE" --duration-secs "$DURATION" --concurrency 8 --wait-drain-secs 0 \
  --report-json "$OUT_DIR/load.json" --quiet >"$OUT_DIR/load.txt" 2>&1 &
LOAD_PID=$!

# The probe: one batch at a time, each answer's send time and latency (ms) on a line.
python3 - "$BASE" "$DURATION" >"$OUT_DIR/probe.tsv" <<'PY' &
import base64, http.client, json, sys, time, urllib.parse
base, duration = sys.argv[1], float(sys.argv[2])
url = urllib.parse.urlparse(base)
auth = "Basic " + base64.b64encode(b"bench-key:bench-secret").decode()
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
end = time.time() + duration
n = 0
while time.time() < end:
    n += 1
    body = json.dumps({
        "environment": "production",
        "user_identities": {"customer_id": f"probe-{n % 50}"},
        "events": [{"event_type": "custom_event",
                    "data": {"event_name": "probe", "custom_event_type": "other"}}],
    })
    t0 = time.time()
    conn.request("POST", "/v2/events", body,
                 {"Authorization": auth, "Content-Type": "application/json"})
    resp = conn.getresponse()
    resp.read()
    t1 = time.time()
    print(f"{t0:.6f}\t{(t1 - t0) * 1000:.3f}\t{resp.status}", flush=True)
    time.sleep(0.005)
PY
PROBE_PID=$!

sleep "$ERASE_AT"
SUBJECT_N=$((PROFILES / 2))
EMAIL="user${SUBJECT_N}@bench.example"
ID=$(python3 -c 'import uuid; print(uuid.uuid4())')
erase_t0=$(date +%s.%N)
curl -fsS -o /dev/null -u dsr-key:dsr-secret -H 'Content-Type: application/json' \
  -X POST "$BASE/v3/requests" -d "{
    \"regulation\": \"gdpr\", \"subject_request_id\": \"$ID\",
    \"subject_request_type\": \"erasure\", \"submitted_time\": \"2026-12-01T00:00:00Z\",
    \"subject_identities\": {\"email\": {\"value\": \"$EMAIL\"}}}"
status=""
deadline=$((SECONDS + 600))
until [[ "$status" == completed ]]; do
  ((SECONDS < deadline)) || { echo "bench-erasure: erasure did not complete" >&2; exit 1; }
  sleep 0.05
  status=$(curl -fsS -u dsr-key:dsr-secret "$BASE/v3/requests/$ID" | jq -r '.request_status')
done
erase_t1=$(date +%s.%N)
wait "$PROBE_PID" || true
PROBE_PID=""
wait "$LOAD_PID" || true
LOAD_PID=""

hits=$(grep -l -F "$EMAIL" "$OUT_DIR/data"/* 2>/dev/null | wc -l || true)
awk -v t0="$erase_t0" -v t1="$erase_t1" -F'\t' '
  { if ($3 != 202) bad++
    if ($1 >= t0 && $1 <= t1) { n_in++; if ($2 > max_in) max_in = $2 }
    else if ($1 < t0) { n_before++; if ($2 > max_before) max_before = $2 } }
  END {
    printf "bench-erasure: erasure took %.2fs; probe answers: %d before it (slowest %.1f ms), %d while it ran (slowest %.1f ms), %d not 202\n",
      t1 - t0, n_before, max_before, n_in, max_in, bad
  }' "$OUT_DIR/probe.tsv" | tee "$OUT_DIR/summary.txt"
grep -h '"compacted"\|compacted' "$OUT_DIR/braid.log" | sed 's/^/bench-erasure: braid: /' | tail -4 || true
echo "bench-erasure: files in the data dir holding the erased email: $hits" | tee -a "$OUT_DIR/summary.txt"
echo "bench-erasure: load: $(grep -E '^ *accepted' "$OUT_DIR/load.txt" | head -1)"
echo "bench-erasure: out=$OUT_DIR"
[[ "$hits" -eq 0 ]]
