#!/usr/bin/env bash
# Seeds the fuzz corpora from the mParticle fixtures (crates/braid-mparticle/tests/fixtures):
#   fuzz/corpus/parse_batch/  every fixture as is
#   fuzz/corpus/parse_bulk/   every fixture as is (bulk.json is a bulk body; the single
#                             batches are also wrapped in a one-element array)
#   fuzz/corpus/map_change/   every single-batch fixture behind a few settings prefixes
#                             (3 bytes, see fuzz/src/lib.rs: all off, all on, mixes)
# Existing corpus files are kept, so it is safe to re-run after fuzzing has grown them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FIXTURES="$ROOT/crates/braid-mparticle/tests/fixtures"
CORPUS="$ROOT/fuzz/corpus"
mkdir -p "$CORPUS/parse_batch" "$CORPUS/parse_bulk" "$CORPUS/map_change"

# Settings prefixes for map_change: defaults; everything on; sessions, screens, enriched
# attributes and a known user; mpid as external id with alias forwarding and deltas off.
PREFIXES=('\x00\x00\x00' '\xff\xff\xff' '\x0f\x14\x82' '\x00\x83\x80')

count=0
for f in "$FIXTURES"/*.json; do
  name=$(basename "$f" .json)
  cp "$f" "$CORPUS/parse_batch/$name.json"
  cp "$f" "$CORPUS/parse_bulk/$name.json"
  if [[ "$name" != bulk ]]; then
    { printf '['; cat "$f"; printf ']'; } >"$CORPUS/parse_bulk/$name.wrapped.json"
    for i in "${!PREFIXES[@]}"; do
      { printf '%b' "${PREFIXES[$i]}"; cat "$f"; } >"$CORPUS/map_change/$name.s$i"
    done
  fi
  count=$((count + 1))
done
echo "fuzz corpus: seeded from $count fixtures into $CORPUS"
