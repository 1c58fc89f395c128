# Shared preamble of the CLI test scripts (tests/cli_*.sh source it): repo root
# as working directory, $BIN, pass/fail counters, a temporary directory removed
# on exit, ok / nok / check, same (two JSON files equal apart from timings).
set -u
cd "$(dirname "${BASH_SOURCE[1]}")/.."
BIN="${SMILE_BIN:-build/smile}"
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok()  { pass=$((pass+1)); }
nok() { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local what="$1"; shift; if "$@"; then ok; else nok "$what"; fi; }
same() { # same JSON apart from keys containing "seconds"
python3 - "$1" "$2" <<'EOF'
import json, sys
def strip(o):
    if isinstance(o, dict): return {k: strip(v) for k, v in o.items() if "seconds" not in k}
    if isinstance(o, list): return [strip(v) for v in o]
    return o
a, b = (strip(json.load(open(p))) for p in sys.argv[1:3])
sys.exit(0 if a == b else 1)
EOF
}
