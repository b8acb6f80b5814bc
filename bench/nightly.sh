#!/usr/bin/env bash
# The nightly benchmark: a synthetic Slack export of about N messages (examples/synth_export.rs,
# seed 42, whole days), then
#   1. a full build into a new directory (wall time, peak RSS),
#   2. a rebuild with nothing changed,
#   3. a rebuild after one more day of messages is added to the export,
# with the number of files each rebuild changed (from the manifests). Prints a Markdown table.
# Run: bench/nightly.sh [MESSAGES ...]      (default 100000; e.g. bench/nightly.sh 100000 1000000)
# BENCH_DIR=/dev/shm/scrollback-bench puts exports and sites on tmpfs, to time the build
# without the disk (on a VM disk, creating 100,000 files costs seconds that vary run to run).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin scrollback --example synth_export
bin=target/release/scrollback
work=${BENCH_DIR:-target/bench/nightly}
mkdir -p "$work"

# `time -f` prints "seconds KB" as the last line of stderr.
timed() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -n 1; }

changed() { # files added or changed between two manifests
  python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p))["urls"] for p in sys.argv[1:3])
print(sum(1 for u, h in b.items() if a.get(u) != h))
PY
}

printf '| messages | full build | peak RSS | no-change rebuild | +1 day rebuild | +1 day peak RSS | files changed by +1 day |\n'
printf '| --- | --- | --- | --- | --- | --- | --- |\n'
for n in "${@:-100000}"; do
  days=$(( (n + 999) / 1000 )) # 20 channels x about 50 messages a day
  target/release/examples/synth_export --days "$days" --out "$work/export-$n" 2>/dev/null
  target/release/examples/synth_export --days "$((days + 1))" --out "$work/export-$n-plus" 2>/dev/null
  out="$work/site-$n"
  rm -rf "$out" "$out.index"
  sync # what removing the last site left to the disk is not timed with this build
  read -r full rss < <(timed "$bin" build "$work/export-$n" --out "$out")
  cp "$out/manifest.json" "$work/before.json"
  read -r same _ < <(timed "$bin" build "$work/export-$n" --out "$out")
  read -r plus plus_rss < <(timed "$bin" build "$work/export-$n-plus" --out "$out")
  files=$(changed "$work/before.json" "$out/manifest.json")
  total=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['urls']))" "$out/manifest.json")
  messages=$(python3 -c "import json,glob; print(sum(len(json.load(open(f))) for f in glob.glob('$work/export-$n/*/*.json')))")
  printf '| %s | %s s | %s MB | %s s | %s s | %s MB | %s of %s |\n' "$messages" "$full" "$((rss / 1024))" "$same" "$plus" \
    "$((plus_rss / 1024))" "$files" "$total"
done
