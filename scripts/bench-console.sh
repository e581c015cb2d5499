#!/usr/bin/env bash
# Console page render times with many profiles and audiences, on 127.0.0.1 only.
#
# Starts braid (fresh data dir, dry-run Braze output) with AUDIENCES audiences in its
# config file, creates PROFILES profiles through /v2/bulkevents (100 batches per
# request, one distinct customer_id each), waits until the pipeline has applied them,
# signs in to the console and times every page RUNS times with curl. Also times the
# audiences page's background census (member counts and overflow check) from the first
# view until its result is on the page. An EXIT trap stops the braid it started (by pid).
#
# Build first:
#   cargo build --release -p braid-server
#
# Knobs: BIN_DIR [target/release], PROFILES [100000], AUDIENCES [100], RUNS [20],
#        BRAID_PORT [18180], OUT_DIR [a new temp dir]
set -euo pipefail

BIN_DIR=${BIN_DIR:-${CARGO_TARGET_DIR:-target}/release}
PROFILES=${PROFILES:-100000}
AUDIENCES=${AUDIENCES:-100}
RUNS=${RUNS:-20}
BRAID_PORT=${BRAID_PORT:-18180}
OUT_DIR=${OUT_DIR:-$(mktemp -d)}
BASE="http://127.0.0.1:${BRAID_PORT}"
KEY=bench-key SECRET=bench-secret-123 ADMIN=admin ADMIN_SECRET=admin-secret-123

{
  printf '[server]\nlisten = "127.0.0.1:%s"\ndata_dir = "%s/data"\n\n' "$BRAID_PORT" "$OUT_DIR"
  printf '[[inputs]]\nname = "bench"\nkey = "%s"\nsecret = "%s"\n\n' "$KEY" "$SECRET"
  printf '[admin]\nkey = "%s"\nsecret = "%s"\n\n' "$ADMIN" "$ADMIN_SECRET"
  for i in $(seq 1 "$AUDIENCES"); do
    case $((i % 4)) in
      0) criteria="{ attribute = { key = \"plan\", op = \"equals\", value = \"gold\" } }" ;;
      1) criteria="{ attribute = { key = \"score\", op = \"gt\", value = $((i % 50)) } }" ;;
      2) criteria="{ event = { name = \"Search\", at_least = 1, within_days = 30 } }" ;;
      3) criteria="{ all = [{ attribute = { key = \"plan\", op = \"equals\", value = \"silver\" } }, { identity = \"email\" }] }" ;;
    esac
    printf '[[audiences.definitions]]\nid = %d\nname = "Audience %d"\ncriteria = %s\n\n' "$i" "$i" "$criteria"
  done
} > "$OUT_DIR/braid.toml"

"$BIN_DIR/braid" serve --config "$OUT_DIR/braid.toml" > "$OUT_DIR/braid.log" 2>&1 &
BRAID_PID=$!
trap 'kill "$BRAID_PID" 2>/dev/null || true; wait "$BRAID_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  curl -sf "$BASE/healthz" > /dev/null && break
  sleep 0.1
done

echo "creating $PROFILES profiles..."
python3 - "$BASE" "$KEY" "$SECRET" "$PROFILES" <<'PY'
import base64, json, sys, urllib.request
base, key, secret, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
plans = ["gold", "silver", "free"]
for start in range(0, n, 100):
    batches = []
    for i in range(start, min(n, start + 100)):
        events = [{"event_type": "custom_event", "data": {"event_name": "Search" if i % 2 else "Share", "custom_event_type": "search"}}]
        batches.append({"environment": "production",
                        "user_identities": {"customer_id": f"user-{i}", "email": f"user-{i}@example.com"},
                        "user_attributes": {"plan": plans[i % 3], "score": i % 100, "$FirstName": "Ada"},
                        "events": events})
    req = urllib.request.Request(f"{base}/v2/bulkevents", data=json.dumps(batches).encode(),
                                 headers={"content-type": "application/json", "authorization": auth})
    with urllib.request.urlopen(req) as r:
        assert r.status == 202, r.status
PY
echo "waiting for the pipeline..."
for _ in $(seq 1 6000); do
  depth=$(curl -sf "$BASE/metrics" | awk '/^braid_queue_depth /{print $2}')
  [ "${depth:-1}" = "0" ] && break
  sleep 0.2
done

curl -s -o /dev/null -c "$OUT_DIR/cookies" -d "key=$ADMIN&secret=$ADMIN_SECRET&next=/" "$BASE/login"

census_start=$(date +%s.%N)
curl -s -o /dev/null -b "$OUT_DIR/cookies" "$BASE/audiences"
until curl -s -b "$OUT_DIR/cookies" "$BASE/audiences" | grep -q "Members counted over"; do sleep 0.2; done
census_end=$(date +%s.%N)
profiles=$(curl -s -b "$OUT_DIR/cookies" "$BASE/audiences" | grep -o 'Members counted over [0-9,]* profiles' | head -1)

echo "page                                      median_ms  p95_ms  max_ms  (runs: $RUNS; $profiles; $AUDIENCES audiences)"
for path in / /stream "/users?type=customer_id&value=user-4242" /audiences /audiences/1 /audiences/new \
            /dead-letters /dsr /settings; do
  for _ in $(seq 1 "$RUNS"); do
    curl -s -o /dev/null -b "$OUT_DIR/cookies" -w '%{http_code} %{time_total}\n' "$BASE$path"
  done > "$OUT_DIR/times.txt"
  if grep -qv '^200 ' "$OUT_DIR/times.txt"; then
    echo "$path answered $(grep -v '^200 ' "$OUT_DIR/times.txt" | head -1)" >&2
    exit 1
  fi
  awk '{print $2 * 1000}' "$OUT_DIR/times.txt" | sort -n | awk -v path="$path" '
    { t[NR] = $1 }
    END { printf "%-42s %9.1f %7.1f %7.1f\n", path, t[int((NR + 1) / 2)], t[int(NR * 0.95 + 0.5)], t[NR] }'
done
awk -v a="$census_start" -v b="$census_end" 'BEGIN { printf "audience census (background, %s): %.1f s\n", "member counts + overflow check", b - a }' </dev/null
echo "out: $OUT_DIR"
