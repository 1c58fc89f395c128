#!/usr/bin/env bash
# Runs every libFuzzer target in build-fuzz/fuzz/ (make fuzz-build) for
# SECONDS each on its seed corpus tests/fuzz/corpus/<target>/ (new inputs go to
# a scratch folder, so the repository's corpus only grows by hand: crash
# reproducers are added there as regression inputs). A crash, sanitizer report,
# leak, timeout or out-of-memory fails the run; its reproducer is kept in
# build-fuzz/crashes/. Last line: "fuzz: N targets passed, N failed".
set -u
cd "$(dirname "$0")/../.."
secs="${1:-10}"
pass=0; fail=0
mkdir -p build-fuzz/crashes
for t in build-fuzz/fuzz/fuzz_*; do
  name=$(basename "$t")
  corpus="tests/fuzz/corpus/${name#fuzz_}"
  scratch=$(mktemp -d)
  start=$(date +%s)
  if "$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
       -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$name-" \
       "$scratch" "$corpus" >"build-fuzz/$name.log" 2>&1; then
    pass=$((pass + 1)); status=ok
  else
    fail=$((fail + 1)); status=FAIL
  fi
  runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/$name.log" | grep -o '[0-9]*$')
  printf '%-5s %-14s %4ss  %s runs\n' "$status" "$name" "$(( $(date +%s) - start ))" "${runs:-?}"
  [ "$status" = FAIL ] && grep -E 'ERROR|SUMMARY|Test unit written' "build-fuzz/$name.log" | head -5 | sed 's/^/      /'
  rm -rf "$scratch"
done
echo "fuzz: $pass targets passed, $fail failed"
[ "$fail" -eq 0 ]
