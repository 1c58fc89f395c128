#!/usr/bin/env bash
# The test command: installs missing system packages, builds, runs the
# default test tier, then the unit tests and the bad-use, hardening and
# fault-injection CLI tests under ASan+UBSan, then every libFuzzer target for
# 5 s (docs/hardening.md).
#   ./test.sh          default tier
#   ./test.sh --long   adds the long statistical tier and ThreadSanitizer
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
# OpenMPI for the MPI tests (tests/cli_mpi.sh skips them if it cannot be installed)
scripts/deps.sh mpi || echo "test.sh: OpenMPI could not be installed; MPI tests will be skipped" >&2
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" all tests
if command -v mpicc >/dev/null; then make -j"$jobs" MPI=1 build-mpi/smile; fi
if [ "${1:-}" = "--long" ]; then make test-long; else make test; fi
python/run_tests.sh
echo "== sanitizer build (ASan + UBSan) =="
make -j"$jobs" asan >/dev/null
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  SMILE_BUILD=build-asan SMILE_SKIP_CLI=1 SMILE_SKIP_BIG_DATA=1 \
  bash tests/run_tests.sh build-asan/tests/test_*
echo "== command under ASan + UBSan: bad use, hardening, fault injection =="
for s in cli_baduse cli_hardening cli_fault; do
  log="build-asan/$s.log"
  # allocator_may_return_null: the out-of-memory paths get NULL as from malloc
  if ! ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
       SMILE_BIN=build-asan/smile SMILE_TEST_QUICK=1 bash "tests/$s.sh" >"$log" 2>&1; then
    grep -E '^FAIL|ERROR|SUMMARY' "$log" | head -n 20; tail -n 1 "$log"; exit 1
  fi
  tail -n 1 "$log"
done
echo "== fuzzing (libFuzzer, 5 s per target) =="
make -j"$jobs" fuzz FUZZ_SECONDS=5
if [ "${1:-}" = "--long" ]; then
  echo "== ThreadSanitizer =="
  make -j"$jobs" tsan >/dev/null
  bash tests/tsan.sh
fi
