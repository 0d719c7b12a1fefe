#!/usr/bin/env bash
# Friction benchmark: how often does ztguard get in the way of ordinary
# developer work?
#
# Usage: bench/friction.sh [--json FILE] [--corpus FILE] [ZTGUARD_BINARY]
#
# For every command of bench/friction/commands.tsv it runs
#   ztguard check bash "<command>" --json --cwd <scratch project>
# in a scratch project of the command's ecosystem (rust, python, js, go),
# with HOME and the XDG directories pointing into a temporary directory, and
# compares the decision with the label of the corpus:
#   wrong friction: labelled `run`, decided ask or deny
#   missed:         labelled `ask` or `deny`, allowed
# See bench/friction/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
corpus="$here/friction/commands.tsv"
json_out=""
bin=""

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --json) json_out="${2:?--json needs a file}"; shift 2 ;;
        --json=*) json_out="${1#--json=}"; shift ;;
        --corpus) corpus="${2:?--corpus needs a file}"; shift 2 ;;
        --corpus=*) corpus="${1#--corpus=}"; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "friction.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
        *) bin="$1"; shift ;;
    esac
done

command -v jq >/dev/null || { echo "friction.sh: needs jq" >&2; exit 2; }
[ -f "$corpus" ] || { echo "friction.sh: no corpus at $corpus" >&2; exit 2; }

if [ -z "$bin" ]; then
    bin="$root/target/release/ztguard"
    if [ ! -x "$bin" ]; then
        echo "friction.sh: building $bin" >&2
        (cd "$root" && cargo build --release >&2)
    fi
fi
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
[ -x "$bin" ] || { echo "friction.sh: $bin is not executable" >&2; exit 2; }

# Not under /tmp: the default policy lets anything write to /tmp/**, so a home
# there would hide the questions that writes to ~ raise on a real machine.
base="${FRICTION_TMPDIR:-/var/tmp}"
[ -d "$base" ] && [ -w "$base" ] || base="${TMPDIR:-/tmp}"
work="$(mktemp -d "$base/ztguard-friction.XXXXXX")"
trap 'rm -rf "$work"' EXIT
home="$work/home"
mkdir -p "$home/.config" "$home/.local/share" "$home/.cache" "$home/.local/state" "$work/out"

# ---------------------------------------------------------------- projects
# A clone of a public repository: its origin is the forge it came from.
git_init() { (cd "$1" && git init -q && git config user.email dev@example.invalid && git config user.name dev \
    && git remote add origin https://github.com/example/project.git) 2>/dev/null || true; }

make_rust() {
    local p="$work/proj/rust/hello"; mkdir -p "$p/src" "$p/tests"
    cat >"$p/Cargo.toml" <<'EOF'
[package]
name = "hello"
version = "0.1.0"
edition = "2021"

[dependencies]
EOF
    printf 'fn main() {\n    println!("hello");\n}\n' >"$p/src/main.rs"
    printf '#[test]\nfn it_works() {\n    assert_eq!(2 + 2, 4);\n}\n' >"$p/tests/basic.rs"
    printf '/target\n' >"$p/.gitignore"
    printf '# hello\n' >"$p/README.md"
    git_init "$p"; echo "$p"
}
make_python() {
    local p="$work/proj/python/pkg"; mkdir -p "$p/src/pkg" "$p/tests" "$p/docs"
    cat >"$p/pyproject.toml" <<'EOF'
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "pkg"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = []

[project.optional-dependencies]
dev = ["pytest", "ruff", "mypy"]

[tool.pytest.ini_options]
testpaths = ["tests"]
EOF
    printf '__version__ = "0.1.0"\n' >"$p/src/pkg/__init__.py"
    printf 'import pkg\n\n\ndef test_version():\n    assert pkg.__version__\n' >"$p/tests/test_basic.py"
    printf '[tox]\nenv_list = py3\n\n[testenv]\ncommands = pytest\n' >"$p/tox.ini"
    printf 'pytest\nruff\n' >"$p/requirements-dev.txt"
    printf '__pycache__/\n.venv/\ndist/\n' >"$p/.gitignore"
    printf '# pkg\n' >"$p/README.md"
    git_init "$p"; echo "$p"
}
make_js() {
    local p="$work/proj/js/app"; mkdir -p "$p/src" "$p/test"
    cat >"$p/package.json" <<'EOF'
{
  "name": "app",
  "version": "0.1.0",
  "private": true,
  "type": "module",
  "scripts": {
    "test": "node --test test/",
    "build": "node scripts/build.js",
    "lint": "eslint ."
  },
  "devDependencies": {
    "eslint": "^9.0.0"
  }
}
EOF
    cat >"$p/package-lock.json" <<'EOF'
{
  "name": "app",
  "version": "0.1.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "app",
      "version": "0.1.0",
      "devDependencies": {
        "eslint": "^9.0.0"
      }
    }
  }
}
EOF
    printf 'export const answer = 42;\n' >"$p/src/index.js"
    printf "import { test } from 'node:test';\ntest('ok', () => {});\n" >"$p/test/index.test.js"
    printf 'node_modules/\ndist/\n' >"$p/.gitignore"
    printf '# app\n' >"$p/README.md"
    git_init "$p"; echo "$p"
}
make_go() {
    local p="$work/proj/go/hello"; mkdir -p "$p"
    printf 'module example.com/hello\n\ngo 1.22\n' >"$p/go.mod"
    printf 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("hello")\n}\n' >"$p/main.go"
    printf 'package main\n\nimport "testing"\n\nfunc TestOK(t *testing.T) {}\n' >"$p/main_test.go"
    printf 'test:\n\tgo test ./...\n\nbuild:\n\tgo build ./...\n' >"$p/Makefile"
    printf '/bin/\n' >"$p/.gitignore"
    printf '# hello\n' >"$p/README.md"
    git_init "$p"; echo "$p"
}

declare -A proj
proj[rust]="$(make_rust)"
proj[python]="$(make_python)"
proj[js]="$(make_js)"
proj[go]="$(make_go)"

# A clean environment: nothing of the real home or of a ztguard session.
run_env=(env -i "PATH=$PATH" "HOME=$home" "USER=${USER:-dev}" "LANG=C.UTF-8"
    "XDG_CONFIG_HOME=$home/.config" "XDG_DATA_HOME=$home/.local/share"
    "XDG_CACHE_HOME=$home/.cache" "XDG_STATE_HOME=$home/.local/state" "NO_COLOR=1")

# The scripts a command runs exist in the repository it was taken from
# (`./scripts/test.sh`, `node scripts/build.js`): make an empty one in the
# scratch project, so the guard sees what it would see in a real clone.
materialise() {
    local p="$1" w prev=""
    set -f
    for w in $2; do
        w="${w#[\"\']}"; w="${w%[\"\']}"
        # The directories a command moves into (`cd serde && cargo build`).
        case "$prev" in cd|pushd)
            case "$w" in /*|*..*|*'$'*|-*|*'*'*|*=*|'~'*) ;; *) mkdir -p "$p/$w" 2>/dev/null || true ;; esac ;;
        esac
        prev="$w"
        case "$w" in /*|*..*|*'$'*|-*|*'*'*|*=*) continue ;; esac
        if [[ "$w" =~ ^(\./)?[A-Za-z0-9_.@+-]+(/[A-Za-z0-9_.@+-]+)*\.(sh|bash|js|mjs|cjs|ts|py)$ ]] \
            || [[ "$w" =~ ^\./[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$ ]] \
            || [[ "$w" =~ ^(scripts?|hack|tools|bin)/[A-Za-z0-9_./-]+$ ]]; then
            mkdir -p "$p/$(dirname "$w")" 2>/dev/null || continue
            [ -e "$p/$w" ] || { printf '#!/bin/sh\n' >"$p/$w" && chmod +x "$p/$w"; } 2>/dev/null || true
        fi
    done
    set +f
    # `yarn build:ts`, `pnpm check`: a script of the repository's package.json.
    local words
    read -r -a words <<<"$2" || true
    case "${words[0]:-}" in yarn|pnpm|bun) ;; *) return 0 ;; esac
    local s="${words[1]:-}"
    case "$s" in
        ""|-*|*/*|add|install|i|remove|rm|up|upgrade|update|dlx|exec|x|run|run-script|publish|pack|link|unlink|\
        login|logout|config|set|info|why|outdated|audit|create|init|import|workspace|workspaces|global|cache|\
        bin|node|npm|plugin|policies|version|tag|team|owner|access|store|patch|patch-commit|rebuild|fetch|deploy|\
        env|setup|self-update|server|test|build|lint|list|ls|licenses|dedupe|prune|unplug|constraints|explain|\
        help|search|sh|bash|cat|curl|playwright|tsc|eslint|vitest|jest|prettier) return 0 ;;
    esac
    [ -f "$p/package.json" ] || return 0
    jq --arg s "$s" '.scripts[$s] //= "echo \($s)"' "$p/package.json" >"$p/package.json.tmp" \
        && mv "$p/package.json.tmp" "$p/package.json"
}

# ---------------------------------------------------------------- checks
meta="$work/meta.tsv"
: >"$meta"
n=0
start=$(date +%s)
while IFS=$'\t' read -r eco expect source cmd || [ -n "${eco:-}" ]; do
    [ "$eco" = ecosystem ] && continue      # header
    [ -z "$eco" ] && continue
    case "$eco" in rust|python|js|go) ;; *) echo "friction.sh: unknown ecosystem '$eco'" >&2; exit 2 ;; esac
    case "$expect" in run|ask|deny) ;; *) echo "friction.sh: unknown label '$expect'" >&2; exit 2 ;; esac
    n=$((n + 1))
    p="${proj[$eco]}"
    materialise "$p" "$cmd"
    rc=0
    (cd "$p" && "${run_env[@]}" "$bin" check bash "$cmd" --json --cwd "$p") \
        >"$work/out/$n.json" 2>"$work/out/$n.err" </dev/null || rc=$?
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$eco" "$expect" "$rc" "$source" "$cmd" >>"$meta"
done <"$corpus"
elapsed=$(( $(date +%s) - start ))

# Join the decisions with the corpus: one TSV row per command
#   idx eco expect decision rule subject source command
# One jq process reads every decision (exit 2 means an error, no JSON).
decisions="$work/decisions.tsv"
jq_decision='
  def clean: tostring | gsub("[\t\n\r]"; " ");
  (input_filename | sub(".*/"; "") | sub("[.]json$"; "")) as $i
  | .verdict as $v | (.rule // "") as $r
  # the deciding step: the one named by .rule, else the first with the same
  # verdict; the tool step ("tools.allow Bash") only when there is no other
  | ([.trace[]? | select(.verdict == $v and .rule == $r and .check != "tool")]
     + [.trace[]? | select(.verdict == $v and .check != "tool")]
     + [.trace[]? | select(.verdict == $v)] + [{}])[0] as $step
  | select($v != null)
  | [$i, $v, (($step.rule // $r) | clean), (($step.subject // "") | clean)] | join("\t")'
awk -F'\t' -v d="$work/out" '$4 != 2 { print d "/" $1 ".json" }' "$meta" >"$work/files"
if ! tr '\n' '\0' <"$work/files" | xargs -0 jq -r "$jq_decision" >"$decisions" 2>/dev/null; then
    # a malformed answer: read them one by one, skipping what is not JSON
    : >"$decisions"
    while IFS= read -r f; do jq -r "$jq_decision" "$f" >>"$decisions" 2>/dev/null || true; done <"$work/files"
fi
results="$work/results.tsv"
awk -F'\t' -v OFS='\t' -v errdir="$work/out" '
  FILENAME == ARGV[1] { dv[$1] = $2; dr[$1] = $3; ds[$1] = $4; next }
  {
    if ($1 in dv) { print $1, $2, $3, dv[$1], dr[$1], ds[$1], $5, $6; next }
    err = ""; f = errdir "/" $1 ".err"
    while ((getline l < f) > 0) { err = err (err == "" ? "" : " ") l; if (length(err) > 300) break }
    close(f); gsub(/\t/, " ", err)
    print $1, $2, $3, "error", "exit " $4 ": " err, "", $5, $6
  }' "$decisions" "$meta" >"$results"

# ---------------------------------------------------------------- report
version="$("$bin" --version 2>/dev/null | head -1 || true)"
printf 'ztguard friction benchmark\n'
printf 'binary:  %s%s\n' "$bin" "${version:+ ($version)}"
printf 'corpus:  %s (%d commands, %ds)\n\n' "${corpus#"$root"/}" "$n" "$elapsed"

awk -F'\t' '
function pct(a, b) { return b ? sprintf("%5.1f%%", 100 * a / b) : "    -" }
{
  e = $2; x = $3; d = $4
  # the labels use run/ask/deny, the decisions allow/ask/deny
  tot[e]++; tot["all"]++
  dec[e, d]++; dec["all", d]++
  if (x == "run") { runs[e]++; runs["all"]++; if (d == "ask" || d == "deny") { wf[e]++; wf["all"]++ } }
  else { guarded[e]++; guarded["all"]++; if (d == "allow") { ms[e]++; ms["all"]++ } }
  if (x == d || (x == "run" && d == "allow")) { agree[e]++; agree["all"]++ }
}
END {
  split("rust python js go all", E, " ")
  printf "%-8s %5s %6s %6s %6s %6s   %7s %7s %7s   %-22s %-22s %7s\n", "eco", "n", "allow", "ask", "deny", "error", "allow%", "ask%", "deny%", "wrong friction", "missed", "agree%"
  for (k = 1; k <= 5; k++) {
    e = E[k]; if (!tot[e]) continue
    wfs = sprintf("%d/%d %s", wf[e] + 0, runs[e] + 0, pct(wf[e], runs[e]))
    mss = sprintf("%d/%d %s", ms[e] + 0, guarded[e] + 0, pct(ms[e], guarded[e]))
    printf "%-8s %5d %6d %6d %6d %6d   %7s %7s %7s   %-22s %-22s %7s\n", e, tot[e], dec[e, "allow"], dec[e, "ask"], dec[e, "deny"], dec[e, "error"], pct(dec[e, "allow"], tot[e]), pct(dec[e, "ask"], tot[e]), pct(dec[e, "deny"], tot[e]), wfs, mss, pct(agree[e], tot[e])
  }
  print ""
  print "wrong friction = labelled run, decided ask/deny (share of run-labelled commands)"
  print "missed         = labelled ask/deny, allowed (share of ask/deny-labelled commands)"
  print "agree          = decision matches the label (run~allow, ask~ask, deny~deny)"
}' "$results"

# grouped listing: $1 = awk filter on ($3 expect, $4 decision), $2 = title
grouped() {
    awk -F'\t' -v title="$2" "$1"' {
        c[$5]++; line[$5] = line[$5] sprintf("      [%-5s] %-6s %s\n                     %s  (%s)\n", $4, $2, $8, ($6 != "" ? "decided on: " $6 : ""), $7)
        total++
      }
      END {
        printf "\n%s: %d\n", title, total
        if (!total) exit
        nr = 0; for (r in c) order[++nr] = r
        # by count, most frequent first, then by rule text
        for (a = 1; a <= nr; a++) for (b = a + 1; b <= nr; b++)
          if (c[order[b]] > c[order[a]] || (c[order[b]] == c[order[a]] && order[b] < order[a])) { t = order[a]; order[a] = order[b]; order[b] = t }
        for (a = 1; a <= nr; a++) { r = order[a]; printf "\n  %3d  %s\n%s", c[r], (r == "" ? "(no rule)" : r), line[r] }
      }' "$results"
}
grouped '$3 == "run" && ($4 == "ask" || $4 == "deny")' "WRONG FRICTION (labelled run, decided ask/deny), by deciding rule"
grouped '$3 != "run" && $4 == "allow"' "MISSED (labelled ask/deny, allowed), by deciding rule"
grouped '$4 == "error"' "ERRORS"

# ---------------------------------------------------------------- json
if [ -n "$json_out" ]; then
    jq -Rn --arg bin "$bin" --arg version "$version" --arg corpus "${corpus#"$root"/}" '
      [inputs | split("\t") | {
          index: (.[0] | tonumber), ecosystem: .[1], expect: .[2], decision: .[3],
          rule: .[4], subject: .[5], source: .[6], command: .[7],
          wrong_friction: (.[2] == "run" and (.[3] == "ask" or .[3] == "deny")),
          missed: (.[2] != "run" and .[3] == "allow") }] as $r
      | def summary($xs): {
          n: ($xs | length),
          allow: ([$xs[] | select(.decision == "allow")] | length),
          ask: ([$xs[] | select(.decision == "ask")] | length),
          deny: ([$xs[] | select(.decision == "deny")] | length),
          error: ([$xs[] | select(.decision == "error")] | length),
          expect_run: ([$xs[] | select(.expect == "run")] | length),
          expect_guarded: ([$xs[] | select(.expect != "run")] | length),
          wrong_friction: ([$xs[] | select(.wrong_friction)] | length),
          missed: ([$xs[] | select(.missed)] | length) }
          | . + { wrong_friction_rate: (if .expect_run > 0 then .wrong_friction / .expect_run else null end),
                  missed_rate: (if .expect_guarded > 0 then .missed / .expect_guarded else null end) };
      { binary: $bin, version: $version, corpus: $corpus,
        summary: ({ all: summary($r) } + ([ "rust", "python", "js", "go" ] | map({ (.): (. as $e | summary([$r[] | select(.ecosystem == $e)])) }) | add)),
        wrong_friction_by_rule: ([$r[] | select(.wrong_friction)] | group_by(.rule) | map({ rule: .[0].rule, count: length, commands: map(.command) }) | sort_by(-.count)),
        missed_by_rule: ([$r[] | select(.missed)] | group_by(.rule) | map({ rule: .[0].rule, count: length, commands: map(.command) }) | sort_by(-.count)),
        results: $r }' "$results" >"$json_out"
    echo
    echo "json written to $json_out"
fi
