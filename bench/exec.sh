#!/usr/bin/env bash
# Whole-process timing of `ztguard exec` against plain `true`, and of a hook
# call made inside the sandbox (answered by the hook outside, through the
# broker) against the same call made directly, all in one run.
#
#   bash bench/exec.sh            # uses target/release/ztguard (builds it)
#   RUNS=300 ZTGUARD=/path/to/ztguard bash bench/exec.sh
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-200}
# Outside /tmp: the sandbox lets commands write /tmp, which would put the
# home's credentials inside a writable tree.
work=$(mktemp -d /var/tmp/ztguard-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
proj=$work/project home=$work/home
mkdir -p "$proj/src" "$proj/.git" "$home/.ssh" "$home/.config/ztguard" "$home/.config/deploy"
printf '[package]\nname = "b"\n' > "$proj/Cargo.toml"
printf 'fn main() {}\n' > "$proj/src/main.rs"
printf 'KEY=FAKE\n' > "$proj/.env"
printf 'FAKE\n' > "$home/.ssh/id_rsa"
printf 'fake-bench-token-0123456789\n' > "$home/.config/deploy/token"
printf '[secrets.deploy]\nfrom_file = "~/.config/deploy/token"\nallow = ["true"]\n' > "$home/.config/ztguard/policy.toml"
export HOME=$home ZTGUARD_MANAGED_POLICY=$work/none.toml ZTGUARD_DATA_DIR=$work/data
unset CLAUDE_PROJECT_DIR ZTGUARD_PROFILE ZTGUARD_STRICT XDG_CONFIG_HOME ZTGUARD_BROKER \
  ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN CLAUDE_CODE_OAUTH_TOKEN ANTHROPIC_BASE_URL || true
cd "$proj"
"$ZTGUARD" init --no-hook >/dev/null
printf '{"session_id":"bench","cwd":"%s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status"},"tool_use_id":"toolu_bench"}\n' \
  "$proj" > "$proj/event.json"
mkdir -p "$work/bin" && cp "$ZTGUARD" "$work/bin/ztguard"
export PATH=$work/bin:$PATH

echo "== ztguard exec against true"
hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$work/exec.json" \
  -n 'true' 'true' \
  -n 'exec (proxy)' "ztguard exec -- true" \
  -n 'exec --network none' "ztguard exec --network none -- true" \
  -n 'exec --network host' "ztguard exec --network host -- true" \
  -n 'exec, started by env' "env ZTGUARD_BENCH=1 ztguard exec -- true" \
  -n 'exec with the gateway, started by env' "env ANTHROPIC_API_KEY=sk-ant-fake-bench ztguard exec -- true"

echo "== ztguard run (direct, and through the broker inside exec) against true"
hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$work/run.json" \
  -n 'true' 'true' \
  -n 'run (direct)' "ztguard run deploy -- true"
ztguard exec -- hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$proj/run-inside.json" \
  -n 'run (inside exec, via the broker)' "ztguard run deploy -- true"

echo "== a hook call: direct, and inside exec (answered outside through the broker)"
hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$work/hook.json" \
  -n 'hook (direct)' "ztguard hook --input $proj/event.json"
ztguard exec -- hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$proj/hook-inside.json" \
  -n 'hook (inside exec)' "ztguard hook --input $proj/event.json"

python3 - "$work/exec.json" "$work/run.json" "$proj/run-inside.json" "$work/hook.json" "$proj/hook-inside.json" <<'PY'
import json, sys
rows = [r for f in sys.argv[1:] for r in json.load(open(f))["results"]]
base = next(r for r in rows if r["command"] == "true")["median"]
hook = next(r for r in rows if r["command"] == "hook (direct)")["median"]
print("\n| command | median | over `true` | ratio to `true` |")
print("|---|---|---|---|")
for r in rows:
    m = r["median"]
    extra = f"{(m - base) * 1e3:+.2f} ms"
    print(f"| {r['command']} | {m * 1e3:.2f} ms | {extra} | {m / base:.1f}× |")
inside = next(r for r in rows if r["command"] == "hook (inside exec)")["median"]
print(f"\nhook inside exec ÷ hook direct: {inside / hook:.2f}×")
PY
