#!/usr/bin/env bash
# ThreadSanitizer run of the multi-threaded paths (long tier: `./test.sh --long`,
# or `make tsan && bash tests/tsan.sh`): the command built by clang with
# -fsanitize=thread and LLVM's OpenMP (libomp; GCC's libgomp is not
# instrumented, so its barriers would be reported as races), run with the
# Archer tool, which tells TSan about OpenMP's synchronisation. Exercised:
# deep-ensemble members in parallel, chains in parallel (the drive, its
# checkpoints and output files), evaluation and prediction over samples,
# analytic chains. OpenBLAS runs single-threaded (its threads are not
# instrumented). Any TSan report fails (halt_on_error). Uses $SMILE_DATA.
# Last line: "tsan: N passed, N failed".
source "$(dirname "$0")/lib_cli.sh"
BIN=build-tsan/smile
DATA="${SMILE_DATA:-../shared/data}/airfoil/airfoil.data"
export OMP_TOOL_LIBRARIES="${OMP_TOOL_LIBRARIES:-$(clang -print-resource-dir)/../../libarcher.so}"
export TSAN_OPTIONS="halt_on_error=1 ignore_noninstrumented_modules=1 ${TSAN_OPTIONS:-}"
export OPENBLAS_NUM_THREADS=1
run() { # NAME CMD...: exit 0 and no ThreadSanitizer report
  local name="$1"; shift
  timeout 900 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; local rc=$?
  if [ "$rc" -eq 0 ] && ! grep -q "ThreadSanitizer" "$tmp/$name.err"; then ok
  else nok "$name: rc=$rc $(grep -m3 -A6 'WARNING: ThreadSanitizer' "$tmp/$name.err" | head -20) $(tail -n 3 "$tmp/$name.err")"; fi
}
[ -x "$BIN" ] || { echo "tsan: $BIN missing (make tsan)"; echo "tsan: 0 passed, 1 failed"; exit 1; }
# the set-up can see a race: an unsynchronised OpenMP counter is reported,
# the same loop with a reduction is not
cat >"$tmp/race.c" <<'EOF'
#include <stdio.h>
int main(void) {
    long n = 0;
#ifdef RACE
#pragma omp parallel for num_threads(4)
    for (int i = 0; i < 100000; i++) n++;
#else
#pragma omp parallel for num_threads(4) reduction(+ : n)
    for (int i = 0; i < 100000; i++) n++;
#endif
    printf("%ld\n", n);
    return 0;
}
EOF
clang -fsanitize=thread -fopenmp -g -O1 -DRACE -o "$tmp/race" "$tmp/race.c" &&
  clang -fsanitize=thread -fopenmp -g -O1 -o "$tmp/norace" "$tmp/race.c"
"$tmp/race" >/dev/null 2>"$tmp/race.err"
check "a racy OpenMP loop is reported" grep -q "WARNING: ThreadSanitizer: data race" "$tmp/race.err"
run reduction_loop "$tmp/norace"
run fit "$BIN" fit --task uci --data "$DATA" --members 4 --warmup 200 --samples 100 --thin 10 \
  --de-epochs 3 --threads 4 --checkpoint-seconds 0.01 --quiet --out "$tmp/r"
run eval "$BIN" eval "$tmp/r" --threads 4
cut -d' ' -f1-5 <"$DATA" | head -50 | tr ' ' ',' >"$tmp/new.csv"
run predict "$BIN" predict "$tmp/r" --data "$tmp/new.csv" --threads 4 --out "$tmp/p.csv"
run analytic "$BIN" analytic --target icg --noise isotropic --sampler psmile-auto --steps 500 \
  --chains 4 --threads 4
run fit_mclmc "$BIN" fit --task uci --data "$DATA" --members 3 --sampler mclmc --warmup 100 \
  --samples 50 --thin 10 --de-epochs 2 --threads 3 --quiet --out "$tmp/m"
echo "tsan: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
