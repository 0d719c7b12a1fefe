#!/usr/bin/env bash
# What the checkpoint of `ztguard undo` costs a hook call, in a git
# repository of 10,000 files, against `git status` in the same repository
# and the same hook call for a command that only reads (no checkpoint),
# all in one run. First with the default (`[undo] checkpoints = "exec"`:
# the hook called directly takes none), then with "always", which makes
# the hook called directly do what the exec broker does for each call.
#
#   bash bench/undo.sh            # uses target/release/ztguard (builds it)
#   RUNS=100 ZTGUARD=/path/to/ztguard bash bench/undo.sh
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-100}
FILES=${FILES:-10000}
work=$(mktemp -d /var/tmp/ztguard-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
proj=$work/project home=$work/home
mkdir -p "$proj" "$home"
export HOME=$home ZTGUARD_MANAGED_POLICY=$work/none.toml ZTGUARD_DATA_DIR=$work/data \
  GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
unset CLAUDE_PROJECT_DIR ZTGUARD_PROFILE ZTGUARD_STRICT XDG_CONFIG_HOME ZTGUARD_BROKER \
  ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN CLAUDE_CODE_OAUTH_TOKEN ANTHROPIC_BASE_URL || true
cd "$proj"
# 100 directories of 100 small files, committed; a build directory and a
# log that .gitignore leaves out.
python3 - "$FILES" <<'PY'
import os, sys
n = int(sys.argv[1])
for i in range(n):
    d = f"src/m{i // 100:03d}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/f{i % 100:03d}.rs", "w") as f:
        f.write(f"// file {i}\npub fn f{i}() -> u32 {{ {i} }}\n" * 8)
os.makedirs("target/debug", exist_ok=True)
for i in range(500):
    with open(f"target/debug/o{i}.o", "wb") as f:
        f.write(os.urandom(2048))
PY
printf 'target/\n*.log\n' > .gitignore
printf 'build log\n' > build.log
git init -q && git add -A && git -c user.name=b -c user.email=b@b commit -qm init
printf '[package]\nname = "b"\n' > Cargo.toml
# Hundreds of changing calls a minute would revoke the session (and every
# later call would be a quick denial): the monitor is not what is measured
# here. Only a trusted layer can turn a check off, so the user policy does.
mkdir -p "$home/.config/ztguard"
printf '[monitor]\nwrites_per_minute = 0\n' > "$home/.config/ztguard/policy.toml"
event() {
  printf '{"session_id":"bench","cwd":"%s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"%s"},"tool_use_id":"toolu_bench"}\n' "$proj" "$1"
}
event 'git status' > "$work/read.json"
event 'touch src/m000/f000.rs' > "$work/change.json"
echo "files in the repository: $(git ls-files | wc -l)"

echo "== the default: the hook called directly takes no checkpoint"
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$work/default.json" \
  -n 'git status' 'git status --porcelain' \
  -n 'hook, a read' "$ZTGUARD hook --input $work/read.json" \
  -n 'hook, a change, default (exec only)' "$ZTGUARD hook --input $work/change.json"
test ! -e "$ZTGUARD_DATA_DIR/undo" || { echo "the default took a checkpoint" >&2; exit 1; }
printf '[undo]\ncheckpoints = "always"\n' > .ztguard.toml

echo "== checkpoints = always: a checkpoint of an unchanged tree, and of one changed file, against git status"
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$work/undo.json" \
  -n 'git status' 'git status --porcelain' \
  -n 'hook, a read (no checkpoint)' "$ZTGUARD hook --input $work/read.json" \
  -n 'hook, a change, tree unchanged' "$ZTGUARD hook --input $work/change.json"
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$work/undo-changed.json" \
  --prepare "sh -c 'date +%N >> src/m001/f001.rs'" \
  -n 'hook, a change, one file changed since the last' "$ZTGUARD hook --input $work/change.json"
echo "checkpoints kept: $("$ZTGUARD" undo --list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
# Every call measured was allowed (a revoked session's quick denials would
# make the hook look cheaper than it is).
python3 - .ztguard/audit.jsonl <<'PY'
import collections, json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
calls = [r for r in recs if r.get("event") == "PreToolUse"]
print("hook calls:", dict(collections.Counter(r["decision"] for r in calls)),
      "with a checkpoint:", sum("checkpoint" in r for r in calls),
      "failed checkpoints:", sum("checkpoint_error" in r for r in calls))
assert all(r["decision"] == "allow" for r in calls), "a call measured was not allowed"
PY
python3 - "$work/default.json" "$work/undo.json" "$work/undo-changed.json" <<'PY'
import json, sys
default, always, changed = (json.load(open(p))["results"] for p in sys.argv[1:])
for title, rows in (("default", default), ("always", always + changed)):
    # The ratios are to `git status` and the read measured in the same
    # run (the last row has its own run: those of the run before it).
    base, read = rows[0]["mean"], rows[1]["mean"]
    print(f"-- {title}")
    for r in rows:
        print(f'{r["command"]:<50} {r["mean"]*1e3:7.2f} ms (median {r["median"]*1e3:6.2f})'
              f'  x{r["mean"]/base:5.2f} git status  over a read {(r["mean"]-read)*1e3:6.2f} ms')
PY
