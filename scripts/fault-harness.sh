#!/usr/bin/env bash
# The fault harness at a bigger size than CI runs it: the same test
# (crates/braid-server/tests/faults.rs — a real braid server and braze-sim over HTTP,
# load arriving throughout a 5xx outage, a 429 storm, slow/hung/dropped answers and
# partial errors, then a full drain and exact checks: nothing accepted lost, dead letters
# counted exactly, per-user order, duplicates reported), built optimised and scaled up.
#
# Knobs (environment variables, defaults in brackets; CI's size in parentheses):
#   USERS       distinct users [2000] (24)
#   SENDERS     concurrent senders, each owning a share of the users [32] (6)
#   ROUNDS      rounds (one batch per user) sent between checks of a phase's fault [2] (2)
#   MIN_ROUNDS  rounds every phase sends at least [10] (2)
#   DEADLINE    seconds allowed for any one wait: a phase, the final drain [600] (90)
#   PROFILE     cargo profile to build the test with [release]
# A run of the defaults sends at least USERS × (ROUNDS + 4 × MIN_ROUNDS) batches
# (84,000), one event each.
#
# Output: the test's summary (batches accepted, events delivered, dead letters,
# duplicates, and per phase the requests, 429s, hung and dropped calls, refused objects).
set -euo pipefail
cd "$(dirname "$0")/.."
export FAULT_HARNESS_USERS=${USERS:-2000}
export FAULT_HARNESS_SENDERS=${SENDERS:-32}
export FAULT_HARNESS_ROUNDS_PER_STEP=${ROUNDS:-2}
export FAULT_HARNESS_MIN_ROUNDS=${MIN_ROUNDS:-10}
export FAULT_HARNESS_DEADLINE_SECS=${DEADLINE:-600}
echo "fault-harness: users=$FAULT_HARNESS_USERS senders=$FAULT_HARNESS_SENDERS" \
  "rounds/step=$FAULT_HARNESS_ROUNDS_PER_STEP min rounds/phase=$FAULT_HARNESS_MIN_ROUNDS" \
  "deadline=${FAULT_HARNESS_DEADLINE_SECS}s profile=${PROFILE:-release}"
exec cargo test --profile "${PROFILE:-release}" -p braid-server --test faults -- --nocapture
