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
#   ROUNDS=8 RUNS=200 bash bench/baseline.sh   # more rounds, more runs a round
#
# Wall-clock times move with the machine's load; when valgrind and strace
# are installed the script also counts, for one first call of each case,
# the instructions the process executes in user space and its system calls,
# which do not.
. "$(dirname "$0")/lib.sh"
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

# Rounds of RUNS runs each, every case in every round, so that a change in
# the machine's load between cases moves all of them alike; the medians are
# over the runs of all rounds.
for round in $(seq "${ROUNDS:-4}"); do
hyperfine -N --warmup 10 --runs "${RUNS:-100}" --export-json "$work/r$round.json" \
  -n "cat (baseline)" --prepare "$(fresh 0)" "cat $work/event-0.json" \
  -n "first call, 0 past sessions" --prepare "$(fresh 0)" "$ZTGUARD hook --input $work/event-0.json" \
  -n "first call, 100 past sessions" --prepare "$(fresh 100)" "$ZTGUARD hook --input $work/event-100.json" \
  -n "first call, 1000 past sessions" --prepare "$(fresh 1000)" "$ZTGUARD hook --input $work/event-1000.json" \
  -n "first call, 1000 past, summary rebuilt" --prepare "$(fresh 1000 "$(sessions 1000)/baseline.summary")" \
  "$ZTGUARD hook --input $work/event-1000.json" >&2
done
# What the measured call drew (its state is left by the last run).
for n in 0 100 1000; do
  (cd "$work/p$n" && "$ZTGUARD" session show bench-new --json) |
    python3 -c 'import json, sys
b = json.load(sys.stdin).get("baseline")
got = "none" if b is None else "from %d sessions, %.0f calls a minute" % (b["sessions"], b["calls"])
print("  %4s past sessions: baseline %s" % (sys.argv[1], got))' "$n"
done
python3 - "$work"/r[0-9]*.json <<'PY'
import json, statistics, sys
rounds = [json.load(open(f))["results"] for f in sys.argv[1:]]
names = [x["command"] for x in rounds[0]]
med = {n: statistics.median(t for r in rounds for x in r if x["command"] == n for t in x["times"]) for n in names}
runs = sum(len(r[0]["times"]) for r in rounds)
cat, zero = med[names[0]], med[names[1]]
print(f"\nfirst call of a new session: median whole-process time over {runs} runs in {len(rounds)} rounds, ratio to `cat` and to 0 past sessions (same run)")
for n in names:
    per_round = " ".join(f"{x['median']/cat_r:4.2f}" for r in rounds for x in r if x["command"] == n for cat_r in [r[0]["median"]])
    print(f"  {n:<40} {med[n]*1000:7.3f} ms  {med[n]/cat:5.2f}x cat  {med[n]/zero:5.2f}x 0 sessions   (x cat by round: {per_round})")
PY

# Load-independent counts of one first call per case.
count() { # N label [extra file to remove]
  rm -f "$(sessions "$1")/bench-new.json" "$(sessions "$1")/bench-new.reads" ${3:-}
  local ins=- sys=-
  if command -v valgrind >/dev/null; then
    ins=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$ZTGUARD" hook --input "$work/event-$1.json" 2>&1 >/dev/null |
      sed -n 's/.*Collected : *\([0-9]*\).*/\1/p')
    rm -f "$(sessions "$1")/bench-new.json" "$(sessions "$1")/bench-new.reads" ${3:-}
  fi
  if command -v strace >/dev/null; then
    sys=$(strace -f -c -o "$work/strace.txt" "$ZTGUARD" hook --input "$work/event-$1.json" >/dev/null 2>&1
      awk '/total/ {print $4}' "$work/strace.txt")
  fi
  printf '  %-40s %12s instructions  %6s system calls\n' "$2" "$ins" "$sys"
}
echo
echo "first call of a new session: instructions (user space, callgrind) and system calls (strace)"
count 0 "first call, 0 past sessions"
count 100 "first call, 100 past sessions"
count 1000 "first call, 1000 past sessions"
count 1000 "first call, 1000 past, summary rebuilt" "$(sessions 1000)/baseline.summary"
