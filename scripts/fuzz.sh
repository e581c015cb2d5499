#!/usr/bin/env bash
# Fuzz one target of fuzz/ (parse_batch, parse_bulk, map_change) for SECONDS seconds,
# starting from the fixture-seeded corpus. Needs a nightly toolchain (`rustup toolchain
# list`); uses cargo-fuzz when installed, otherwise builds the target with the same
# coverage instrumentation cargo-fuzz uses (without AddressSanitizer, which braid's safe
# Rust does not need) and runs libFuzzer directly.
#
#   scripts/fuzz.sh parse_batch 300
#   CARGO_TARGET_DIR=/tmp/fuzz-target scripts/fuzz.sh map_change 60
#
# The corpus grows in fuzz/corpus/<target>/; crashes land in fuzz/artifacts/<target>/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${1:?usage: scripts/fuzz.sh <parse_batch|parse_bulk|map_change> [seconds]}
SECONDS_TO_RUN=${2:-60}
case "$TARGET" in parse_batch | parse_bulk | map_change) ;; *)
  echo "fuzz: unknown target $TARGET (parse_batch, parse_bulk, map_change)" >&2; exit 2 ;;
esac
rustup run nightly rustc --version >/dev/null 2>&1 ||
  { echo "fuzz: needs a nightly toolchain (rustup toolchain install nightly)" >&2; exit 2; }
[[ -d "$ROOT/fuzz/corpus/$TARGET" ]] || "$ROOT/scripts/fuzz-corpus.sh"
mkdir -p "$ROOT/fuzz/artifacts/$TARGET"

if cargo fuzz --version >/dev/null 2>&1; then
  cd "$ROOT"
  exec cargo +nightly fuzz run --sanitizer none "$TARGET" "fuzz/corpus/$TARGET" -- \
    -max_total_time="$SECONDS_TO_RUN" -print_final_stats=1
fi

HOST=$(rustc -vV | awk '/^host:/ {print $2}')
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/fuzz/target}
# cargo-fuzz's instrumentation flags; --target keeps them off build scripts and macros.
RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks" \
  cargo +nightly build --release --manifest-path "$ROOT/fuzz/Cargo.toml" --target "$HOST" --bin "$TARGET"
exec "$CARGO_TARGET_DIR/$HOST/release/$TARGET" "$ROOT/fuzz/corpus/$TARGET" \
  -artifact_prefix="$ROOT/fuzz/artifacts/$TARGET/" -max_total_time="$SECONDS_TO_RUN" -print_final_stats=1
