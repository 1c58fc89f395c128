# Shared preamble of the CLI test scripts (tests/cli_*.sh source it): repo root
# as working directory, $BIN, pass/fail counters, a temporary directory removed
# on exit, ok / nok / check.
set -u
cd "$(dirname "${BASH_SOURCE[1]}")/.."
BIN="${SMILE_BIN:-build/smile}"
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok()  { pass=$((pass+1)); }
nok() { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local what="$1"; shift; if "$@"; then ok; else nok "$what"; fi; }
