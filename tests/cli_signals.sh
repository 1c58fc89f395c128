#!/usr/bin/env bash
# Signals on a 512-member `smile fit` (small synthetic table, small budget):
# SIGTERM during sampling exits with 130 in under 2 s (done chains finish
# their files as they end, unfinished ones close without flushes), and
# `--resume` ends with the metrics of an uninterrupted run; a second SIGTERM
# right after the first exits at once, also resumable to the same metrics.
# Uses $SMILE_BIN. Last line: "cli_signals: N passed, N failed".
source "$(dirname "$0")/lib_cli.sh"
python3 -c '
import random
random.seed(1)
for i in range(150):
    a, b = random.random(), random.random()
    print("%.4f %.4f %.4f" % (a, b, 2 * a - b + 0.1 * random.gauss(0, 1)))' >"$tmp/tiny.data"
a=(--task uci --data "$tmp/tiny.data" --members 512 --warmup 60 --samples 40 --thin 10 --batch 16
   --de-epochs 1 --de-batch 16 --seed 2 --threads 2 --quiet)
"$BIN" fit "${a[@]}" --out "$tmp/u" >/dev/null 2>"$tmp/u.err"
check "uninterrupted 512-member run ($(head -c 200 "$tmp/u.err"))" [ -s "$tmp/u/metrics.json" ]

# interrupt OUT N: the run into OUT, N SIGTERMs (50 ms apart) once sampling
# has started; sets rc, secs (from the first signal to the exit) and second.
interrupt() {
  "$BIN" fit "${a[@]}" --out "$1" >/dev/null 2>"$1.err" &
  local p=$! n=0
  while [ ! -e "$1/checkpoint" ] && [ "$n" -lt 600 ] && kill -0 "$p" 2>/dev/null; do
    sleep 0.05; n=$((n + 1))
  done
  sleep 0.3
  local t0; t0=$(date +%s.%N)
  kill -TERM "$p" 2>/dev/null
  second=0 # a second signal sent while the process still ran (not merged with the first)
  # the second signal 5 ms after the first (the first one's shutdown takes 20-70 ms
  # here), and only to a process that still runs: kill(2) also succeeds on a zombie,
  # which has exited already and never sees the signal
  if [ "$2" -eq 2 ]; then
    sleep 0.005
    local state; state=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
    if [ -n "$state" ] && [ "$state" != Z ]; then kill -TERM "$p" 2>/dev/null && second=1; fi
  fi
  wait "$p"; rc=$?
  secs=$(awk "BEGIN{printf \"%.2f\", $(date +%s.%N) - $t0}")
}
for n in 1 2; do
  out="$tmp/i$n"
  interrupt "$out" "$n"
  # A second signal that reaches the process while the kernel already tears it down
  # (state not yet Z) is never handled; that race is the machine's, not the program's,
  # so the two-signal run is tried up to 3 times before its message is required.
  try=1
  while [ "$n" -eq 2 ] && [ "$second" -eq 1 ] && [ "$try" -lt 3 ] &&
        ! grep -q "interrupted again" "$out.err"; do
    echo "second SIGTERM sent but not handled (the process was exiting); again"
    rm -rf "$out" "$out.err"; try=$((try + 1))
    interrupt "$out" "$n"
  done
  echo "$n SIGTERM: exit $rc after $secs s"
  check "$n SIGTERM: exit 130 (rc=$rc: $(head -c 300 "$out.err"))" [ "$rc" -eq 130 ]
  check "$n SIGTERM: exit in under 2 s ($secs s)" awk "BEGIN{exit !($secs < 2)}"
  check "$n SIGTERM: no metrics.json" [ ! -e "$out/metrics.json" ]
  if [ "$n" -eq 2 ] && [ "$second" -eq 1 ]; then
    check "second SIGTERM: the message says so" grep -q "interrupted again: stopped at once; continue with: smile fit --resume --out $out" "$out.err"
  elif [ "$n" -eq 2 ]; then
    echo "second SIGTERM not sent: the run had exited within 5 ms of the first"
  fi
  "$BIN" fit --resume --out "$out" --quiet >/dev/null 2>"$tmp/r.err"
  rc=$?
  check "$n SIGTERM: resume exits 0 (rc=$rc: $(head -c 300 "$tmp/r.err"))" [ "$rc" -eq 0 ]
  check "$n SIGTERM: resumed = uninterrupted metrics" same "$tmp/u/metrics.json" "$out/metrics.json"
  check "$n SIGTERM: resumed = uninterrupted samples" cmp -s "$tmp/u/samples/member_511.npy" "$out/samples/member_511.npy"
  left=$(find "$out" -name '*.partial' | head -3)
  check "$n SIGTERM: no partial files after the resume ($left)" [ -z "$left" ]
done

echo "cli_signals: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
