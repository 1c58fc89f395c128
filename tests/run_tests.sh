#!/usr/bin/env bash
# Runs every test binary given as arguments, then the CLI shell tests
# (tests/cli_*.sh) against $SMILE_BUILD/smile. Prints one closing line
# "tests: N passed, N failed" and exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."
export SMILE_DATA="${SMILE_DATA:-$(cd .. && pwd)/shared/data}"
export SMILE_BIN="${SMILE_BIN:-${SMILE_BUILD:-build}/smile}"
pass=0; fail=0; failed=()
for t in "$@"; do
  start=$(date +%s.%N)
  if "$t" > "/tmp/smile_test_$$.log" 2>&1; then
    pass=$((pass+1)); status=ok
  else
    fail=$((fail+1)); status=FAIL; failed+=("$t")
  fi
  el=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $start}")
  printf '%-5s %-45s %6ss  %s\n' "$status" "$(basename "$t")" "$el" "$(tail -n 1 /tmp/smile_test_$$.log)"
  [ "$status" = FAIL ] && sed 's/^/      /' "/tmp/smile_test_$$.log" | tail -n 30
done
if [ -z "${SMILE_SKIP_CLI:-}" ]; then
  for s in tests/cli_*.sh; do
    [ -e "$s" ] || continue
    if bash "$s" > "/tmp/smile_test_$$.log" 2>&1; then
      pass=$((pass+1)); status=ok
    else
      fail=$((fail+1)); status=FAIL; failed+=("$s")
    fi
    printf '%-5s %-45s         %s\n' "$status" "$(basename "$s")" "$(tail -n 1 /tmp/smile_test_$$.log)"
    [ "$status" = FAIL ] && sed 's/^/      /' "/tmp/smile_test_$$.log" | tail -n 30
  done
fi
rm -f "/tmp/smile_test_$$.log"
[ ${#failed[@]} -gt 0 ] && printf 'failed: %s\n' "${failed[*]}"
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
