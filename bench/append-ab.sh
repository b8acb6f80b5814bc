#!/usr/bin/env bash
# Compares the one-day append of two scrollback binaries on the nightly benchmark's 1M
# exports (make them first: bench/nightly.sh 1000000, with the same BENCH_DIR): each binary
# builds the export once, then each append runs, alternately, ROUNDS times from a fresh copy
# of its binary's full build. The machine's speed drifts over minutes; alternating runs are
# the way to compare.
#
#   BENCH_DIR=/dev/shm/scrollback-bench bench/append-ab.sh OLD_BINARY NEW_BINARY [ROUNDS]
set -euo pipefail
work=${BENCH_DIR:-target/bench/nightly}
n=${N:-1000000}
rounds=${3:-3}
for side in a b; do
  bin=$1; [ "$side" = b ] && bin=$2
  rm -rf "$work/ab-$side" "$work/ab-$side.index"
  "$bin" build "$work/export-$n" --out "$work/ab-$side" --quiet
done
for round in $(seq "$rounds"); do
  for side in a b; do
    bin=$1; [ "$side" = b ] && bin=$2
    rm -rf "$work/ab-run" "$work/ab-run.index"
    cp -a "$work/ab-$side" "$work/ab-run"
    cp -a "$work/ab-$side.index" "$work/ab-run.index"
    /usr/bin/time -f "round $round $side ($bin): %e s, %M KB" "$bin" build "$work/export-$n-plus" \
      --out "$work/ab-run" 2>&1 | grep -E '^round|time:'
  done
done
rm -rf "$work/ab-run" "$work/ab-run.index" "$work/ab-a" "$work/ab-a.index" "$work/ab-b" "$work/ab-b.index"
