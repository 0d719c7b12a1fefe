#!/usr/bin/env bash
# The first call of a new session, whose state is created with the baseline
# drawn from the project's past sessions, with 0, 100 and 1,000 past
# sessions, against a trivial process (`cat` of the same event) measured in
# the same run. Each timing run is the first call of session `bench-new`:
# its state is removed before each run (not timed). A last row times the
# same call with 1,000 past sessions and the baseline summary removed too,
# so that the call rebuilds it from every state file (once, after an
# upgrade or damage).
#
#   bash bench/baseline.sh            # uses target/release/ztguard (builds it)
#   ZTGUARD=/path/to/ztguard bash bench/baseline.sh
#   RUNS=1000 bash bench/baseline.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }
if [ -z "${ZTGUARD:-}" ]; then
  cargo build --release --quiet
  ZTGUARD=$PWD/target/release/ztguard
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
home=$work/home
mkdir -p "$home/.ssh"
printf 'FAKE\n' > "$home/.ssh/id_rsa"
export HOME=$home ZTGUARD_MANAGED_POLICY=$work/none.toml
unset CLAUDE_PROJECT_DIR ZTGUARD_PROFILE ZTGUARD_STRICT XDG_CONFIG_HOME XDG_DATA_HOME ZTGUARD_DATA_DIR || true

# A project with N past sessions: state files shaped like the hook's own
# (20-200 calls, a busiest minute, the last minute's events; one in ten
# revoked, one in ten too short to count), last written an hour apart.
project() { # N
  local proj=$work/p$1
  mkdir -p "$proj/src" "$proj/.git" "$proj/.ztguard/sessions"
  printf '[package]\nname = "b"\n' > "$proj/Cargo.toml"
  printf 'fn main() {}\n' > "$proj/src/main.rs"
  python3 - "$proj/.ztguard/sessions" "$1" <<'PY'
import json, os, random, sys, time
d, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(n)
now = int(time.time() * 1000)
for k in range(n):
    start = now - (n - k) * 3_600_000
    calls = rng.randint(5, 19) if k % 10 == 1 else rng.randint(20, 200)
    last = start + calls * rng.randint(500, 5000)
    recent = sorted(last - rng.randint(0, 59_000) for _ in range(min(calls, rng.randint(5, 30))))
    peaks = {"calls": rng.randint(10, 40), "writes": rng.randint(0, 15),
             "denials": rng.randint(0, 3), "reads": rng.randint(2, 20)}
    s = {"id": f"{k:08x}-past-4000-8000-000000000000", "started_ms": start, "last_ms": last,
         "ended_ms": last + 1000, "calls": calls, "denials": peaks["denials"], "denials_in_a_row": 0,
         "credential_attempts": 0, "network_calls": rng.randint(0, 5), "network_attempts": 0,
         "reads": calls // 3, "outside_allowed": 0, "writes": calls // 4, "files_read": calls // 4,
         "files_read_base": 0, "last_credential_ms": None,
         "recent": {"calls": recent, "writes": recent[:3], "denials": [], "reads": recent[:5], "credentials": []},
         "peaks": peaks, "baseline": None,
         "revoked": {"at_ms": last, "rule": "manual", "why": "bench", "by": "human"} if k % 10 == 3 else None,
         "unlocks": []}
    p = os.path.join(d, s["id"] + ".json")
    with open(p, "w") as f:
        json.dump(s, f, separators=(",", ":"))
    os.utime(p, ns=(last * 1_000_000, last * 1_000_000))
PY
  printf '{"session_id":"bench-new","transcript_path":"%s/t.jsonl","cwd":"%s","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status"},"tool_use_id":"toolu_bench"}\n' \
    "$work" "$proj" > "$work/event-$1.json"
  # One call of another session first, as a project in use has had: it
  # creates the audit log and (with this build) the baseline summary.
  sed 's/"bench-new"/"bench-warm"/' "$work/event-$1.json" > "$work/warm-$1.json"
  "$ZTGUARD" hook --input "$work/warm-$1.json" >/dev/null
}
for n in 0 100 1000; do project "$n"; done
sessions() { echo "$work/p$1/.ztguard/sessions"; }
fresh() { # N [extra file]: the prepare step: bench-new has never run
  echo "rm -f $(sessions "$1")/bench-new.json $(sessions "$1")/bench-new.reads ${2:-}"
}
ls "$(sessions 1000)" | grep -c '\.json$' >&2

hyperfine -N --warmup 20 --runs "${RUNS:-300}" --export-json "$work/r.json" \
  -n "cat (baseline)" --prepare "$(fresh 0)" "cat $work/event-0.json" \
  -n "first call, 0 past sessions" --prepare "$(fresh 0)" "$ZTGUARD hook --input $work/event-0.json" \
  -n "first call, 100 past sessions" --prepare "$(fresh 100)" "$ZTGUARD hook --input $work/event-100.json" \
  -n "first call, 1000 past sessions" --prepare "$(fresh 1000)" "$ZTGUARD hook --input $work/event-1000.json" \
  -n "first call, 1000 past, summary rebuilt" --prepare "$(fresh 1000 "$(sessions 1000)/baseline.summary")" \
  "$ZTGUARD hook --input $work/event-1000.json" >&2
# What the measured call drew (its state is left by the last run).
for n in 0 100 1000; do
  (cd "$work/p$n" && "$ZTGUARD" session show bench-new --json) |
    python3 -c 'import json, sys
b = json.load(sys.stdin).get("baseline")
got = "none" if b is None else "from %d sessions, %.0f calls a minute" % (b["sessions"], b["calls"])
print("  %4s past sessions: baseline %s" % (sys.argv[1], got))' "$n"
done
python3 - "$work/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
cat, zero = r[0]["median"], r[1]["median"]
print("\nfirst call of a new session: median whole-process time, ratio to `cat` and to 0 past sessions (same run)")
for x in r:
    print(f"  {x['command']:<40} {x['median']*1000:7.3f} ms  {x['median']/cat:5.2f}x cat  {x['median']/zero:5.2f}x 0 sessions")
PY
