# Shared by the timing scripts (sourced): run from the repository root,
# check that hyperfine is there, and set ZTGUARD to the binary to time —
# the one given in $ZTGUARD, else a fresh release build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }
if [ -z "${ZTGUARD:-}" ]; then
  cargo build --release --quiet
  ZTGUARD=$PWD/target/release/ztguard
fi
