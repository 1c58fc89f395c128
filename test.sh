#!/usr/bin/env bash
# The test command: installs missing system packages, builds, runs the
# default test tier, then the same tests under ASan+UBSan.
#   ./test.sh          default tier (< 5 min)
#   ./test.sh --long   adds the long statistical tier
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
