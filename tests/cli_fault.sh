#!/usr/bin/env bash
# Fault injection through SMILE_FAULT (docs/hardening.md) on the command:
# injected write failures (short writes, ENOSPC) at any point of `smile fit`
# (DE files, samples, traces, checkpoints, final JSON) end the run with exit 1
# and one message naming the file, and `smile fit --resume` then completes it
# with the metrics of an uninterrupted run; a fit under NaN/±Inf gradient
# storms completes with finite metrics and counted non-finite steps; a
# malformed SMILE_FAULT is refused (exit 2). Uses $SMILE_BIN and $SMILE_DATA;
# SMILE_TEST_QUICK=1 (the sanitizer run of ./test.sh) runs 3 of the 8 write
# fault patterns and 2 of the 4 samplers.
# Last line: "cli_fault: N passed, N failed".
source "$(dirname "$0")/lib_cli.sh"
DATA="${SMILE_DATA:-../shared/data}/airfoil/airfoil.data"
if [ ! -f "$DATA" ]; then
  echo "cli_fault: airfoil data not found at $DATA"
  echo "cli_fault: $pass passed, $((fail+1)) failed"; exit 1
fi
a=(--task uci --data "$DATA" --members 2 --warmup 400 --samples 200 --thin 10 --de-epochs 3
   --seed 5 --quiet --threads 1 --checkpoint-seconds 0.05)

"$BIN" fit "${a[@]}" --out "$tmp/u" >/dev/null 2>"$tmp/u.err"
check "uninterrupted run ($(head -c 200 "$tmp/u.err"))" [ -s "$tmp/u/metrics.json" ]

# ---- write failures: exit 1 naming the file, then a resume to the same metrics -----------
failed=0
specs=("write=0.02;seed=1" "write=0.05:short;seed=2" "write=0.05:enospc;seed=3"
       "write=0.05;seed=4" "write=0.05;seed=6" "write=0.05;seed=7" "write=0.05;seed=8"
       "write=0.2;seed=9")
samplers=(smile psmile-auto sgld mclmc)
if [ -n "${SMILE_TEST_QUICK:-}" ]; then specs=("${specs[@]:0:3}"); samplers=(smile sgld); fi
for spec in "${specs[@]}"; do
  out="$tmp/f${spec##*=}"
  SMILE_FAULT="$spec" timeout 120 "$BIN" fit "${a[@]}" --out "$out" >/dev/null 2>"$tmp/f.err"
  rc=$?
  if [ "$rc" -eq 1 ]; then
    failed=$((failed + 1))
    check "$spec: one line naming the file ($(head -c 300 "$tmp/f.err"))" \
      bash -c '[ "$(wc -l <"$1")" -eq 1 ] && grep -q "write failed: No space left on device" "$1"' _ "$tmp/f.err"
    check "$spec: no metrics.json after the failure" [ ! -e "$out/metrics.json" ]
  else
    check "$spec: exit 1 or 0 (rc=$rc: $(head -c 300 "$tmp/f.err"))" [ "$rc" -eq 0 ]
  fi
  n=0
  while [ ! -s "$out/metrics.json" ] && [ "$n" -lt 3 ]; do # a resume without faults
    timeout 120 "$BIN" fit --resume --out "$out" --quiet >/dev/null 2>"$tmp/r.err"
    rc=$?; n=$((n + 1))
    check "$spec: resume exits 0 (rc=$rc: $(head -c 300 "$tmp/r.err"))" [ "$rc" -eq 0 ]
  done
  check "$spec: resumed = uninterrupted metrics" same "$tmp/u/metrics.json" "$out/metrics.json"
  left=$(find "$out" -name '*.tmp.*' -o -name '*.partial' | head -3)
  check "$spec: no temporary or partial files after the resume ($left)" [ -z "$left" ]
done
check "write faults hit most runs ($failed of ${#specs[@]})" [ "$failed" -ge $(( ${#specs[@]} * 2 / 3 )) ]

# ---- gradient storms in a fit: finite results, non-finite steps counted ------------------
for s in "${samplers[@]}"; do
  eps=(); [ "$s" = sgld ] && eps=(--step-size 1e-5)
  SMILE_FAULT="grad=1e-2:nan,inf,-inf;seed=3" timeout 120 "$BIN" fit "${a[@]}" --sampler "$s" \
    "${eps[@]}" --out "$tmp/g_$s" >/dev/null 2>"$tmp/g.err"
  rc=$?
  check "$s under NaN/Inf storms: exit 0 (rc=$rc: $(head -c 300 "$tmp/g.err"))" [ "$rc" -eq 0 ]
  check "$s under NaN/Inf storms: finite metrics, non-finite steps counted" python3 -c '
import json, math, sys
m = json.load(open(sys.argv[1]))
ok = all(math.isfinite(m[p]["lppd"]) for p in ("de", "ensemble"))
nf = sum(x["sampling"]["nonfinite_steps"] for x in m["members"])
print("n_nonfinite", nf)
sys.exit(0 if ok and nf > 0 else 1)' "$tmp/g_$s/metrics.json"
done

# ---- a malformed SMILE_FAULT ---------------------------------------------------------------
SMILE_FAULT="grad=2" "$BIN" fit "${a[@]}" --out "$tmp/bad" >"$tmp/b.out" 2>"$tmp/b.err"
rc=$?
check "malformed SMILE_FAULT: exit 2, one line ($rc: $(head -c 200 "$tmp/b.err"))" \
  bash -c '[ "$1" -eq 2 ] && [ "$(wc -l <"$2")" -eq 1 ] && grep -q "SMILE_FAULT: rate" "$2"' _ "$rc" "$tmp/b.err"
check "malformed SMILE_FAULT: nothing written" [ ! -e "$tmp/bad" ]

echo "cli_fault: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
