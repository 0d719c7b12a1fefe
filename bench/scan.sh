#!/usr/bin/env bash
# Throughput of `ztguard scan` over a large tree of real source code (the
# crates in cargo's registry cache), against reading the same files with
# `cat`, measured in the same run. Prints hyperfine's table and the ratios.
#
#   bash bench/scan.sh [DIR]     # default: ~/.cargo/registry/src
. "$(dirname "$0")/lib.sh"
Z=$ZTGUARD
dir=${1:-$HOME/.cargo/registry/src}
files=$(find "$dir" -type f | wc -l)
bytes=$(find "$dir" -type f -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
echo "tree: $dir — $files files, $((bytes / 1000000)) MB" >&2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
hyperfine --warmup 1 --runs "${RUNS:-5}" --export-json "$out" -i \
  -n "cat every file (baseline)" "find '$dir' -type f -print0 | xargs -0 cat > /dev/null" \
  -n "ztguard scan (all checks, 2 threads)" "$Z scan --no-ignore --no-progress --format json '$dir' > /dev/null" \
  -n "ztguard scan --only secrets" "$Z scan --no-ignore --no-progress --only secrets --format json '$dir' > /dev/null" \
  -n "ztguard scan -j 1" "$Z scan --no-ignore --no-progress -j 1 --format json '$dir' > /dev/null" >&2
python3 - "$out" "$bytes" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
mb = int(sys.argv[2]) / 1e6
base = r[0]["median"]
for x in r:
    print(f"  {x['command']:<40} {x['median']:7.2f} s  {mb / x['median']:7.1f} MB/s  {x['median']/base:5.2f}x")
PY
