#!/usr/bin/env bash
# What the fail-closed hook command costs over running the binary by its
# path: both run through `sh -c` as Claude Code runs a hook command, on the
# same PreToolUse event (`git status`), against `sh -c cat` of that event as
# the baseline, all in one hyperfine run.
#
#   bash bench/wiring.sh            # uses target/release/ztguard (builds it)
#   ZTGUARD=/path/to/ztguard bash bench/wiring.sh
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
proj=$work/project home=$work/home bin=$work/bin
mkdir -p "$proj/src" "$proj/.git" "$home" "$bin"
printf '[package]\nname = "b"\n' > "$proj/Cargo.toml"
# A copy, as `cargo install` puts it (a link costs one `readlink` more).
cp "$ZTGUARD" "$bin/ztguard"
printf '{"session_id":"bench-wiring","cwd":"%s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status"}}\n' "$proj" > "$work/event.json"
# The command `ztguard init` registers, read back from the settings it writes.
(cd "$proj" && HOME=$home PATH="$bin:$PATH" "$ZTGUARD" init >/dev/null)
wrapper=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hooks"]["PreToolUse"][0]["hooks"][0]["command"])' "$proj/.claude/settings.json")
# Each command reads the event from the file (hyperfine gives no stdin); a
# script file run by `sh` costs what `sh -c` of its text costs.
printf '%s\n' "${wrapper//\"\$z\" hook/\"\$z\" hook --input $work/event.json}" > "$work/wrapper.sh"
printf '%s hook --input %s\n' "$ZTGUARD" "$work/event.json" > "$work/direct.sh"
printf 'cat %s\n' "$work/event.json" > "$work/cat.sh"
grep -q -- "--input" "$work/wrapper.sh" || { echo "the registered command changed shape" >&2; exit 2; }
export HOME=$home ZTGUARD_MANAGED_POLICY=$work/none.toml CLAUDE_PROJECT_DIR=$proj PATH="$bin:$PATH"
unset ZTGUARD_PROFILE ZTGUARD_STRICT XDG_CONFIG_HOME || true
cd "$proj"
hyperfine -N --warmup 20 --runs "${RUNS:-300}" --export-json "$work/out.json" \
  -n 'baseline: sh, cat' "sh $work/cat.sh" \
  -n 'binary path' "sh $work/direct.sh" \
  -n 'fail-closed command' "sh $work/wrapper.sh"
python3 - "$work/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["median"]
for x in r:
    print(f"{x['command']:<24} median {x['median']*1000:6.2f} ms  {x['median']/base:5.2f}x baseline")
PY
