#!/usr/bin/env bash
# Golden test: fixed small runs (analytic ICG with anisotropic noise for
# psmile-naive and psmile-auto; `smile fit` on airfoil with psmile-auto and
# mclmc) must give samples, traces and metrics byte-identical to the recorded
# ones (tests/golden/expected.sha256, made by the build before the source
# reorganisation). Float results depend on the CPU's vector units through
# OpenBLAS and -march=native, so the record names the CPU it was made on; on
# another CPU the test says so and compares nothing.
# Last line: "cli_golden: N passed, N failed".
source "$(dirname "$0")/lib_cli.sh"
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
rec=$(cat tests/golden/cpu.txt)
if [ "$cpu" != "$rec" ]; then
  echo "cli_golden: recorded on '$rec', this CPU is '$cpu': not compared"
  echo "cli_golden: 0 passed, 0 failed"; exit 0
fi
if BIN="$BIN" bash tests/golden/run_cases.sh "$tmp/g" >"$tmp/got.sha256" 2>"$tmp/err"; then
  ok
  while read -r sum name; do
    got=$(awk -v n="$name" '$2 == n {print $1}' "$tmp/got.sha256")
    check "golden $name" [ "$got" = "$sum" ]
  done < tests/golden/expected.sha256
else
  nok "golden cases ran ($(tail -n 3 "$tmp/err"))"
fi
echo "cli_golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
