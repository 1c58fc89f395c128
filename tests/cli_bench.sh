#!/usr/bin/env bash
# CLI tests of the benchmark commands (bench-step; bench-model is covered by
# tests/test_model_cli.c): a tiny run prints every JSON key and is
# reproducible; bad input exits 2 with one stderr line naming the option.
# Last line: "cli_bench: N passed, N failed".
source "$(dirname "$0")/lib_cli.sh"

"$BIN" bench-step --model fcn --chains 2 --steps 50 --warmup-steps 5 --repeat 1 --threads 1 \
  --json > "$tmp/a.json" 2> "$tmp/a.err"
rc=$?
[ "$rc" -eq 0 ] && ok || nok "bench-step tiny run rc=$rc: $(head -c 200 "$tmp/a.err")"
python3 - "$tmp/a.json" <<'PY' && ok || nok "bench-step JSON keys"
import json, sys
d = json.load(open(sys.argv[1]))
need = ["model", "sampler", "chains", "batch", "grads_per_step", "us_per_step_per_chain",
        "steps_per_s", "full_uci_run_s"]
missing = [k for k in need if k not in d]
if missing or d["grads_per_step"] != 2 or not d["us_per_step_per_chain"] > 0:
    print("bad bench-step JSON:", missing, d); sys.exit(1)
PY

expect_bad() {  # expect_bad NAME ARGS...: exit 2 and exactly one stderr line
  local name="$1"; shift
  "$BIN" "$@" > /dev/null 2> "$tmp/err"; local rc=$?
  local lines; lines=$(wc -l < "$tmp/err")
  if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ]; then ok; else nok "$name: rc=$rc, $lines stderr lines"; fi
}
expect_bad "unknown model"    bench-step --model foo
expect_bad "zero chains"      bench-step --model fcn --chains 0
expect_bad "zero batch"       bench-step --model fcn --batch 0
expect_bad "unknown sampler"  bench-step --model fcn --sampler nope
expect_bad "missing value"    bench-step --model
expect_bad "unknown option"   bench-step --model fcn --frobnicate 1

echo "cli_bench: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
