#!/usr/bin/env bash
# MPI tests of `smile fit` and `smile analytic` (issue 14; docs/mpi.md) with the
# MPI build build-mpi/smile (built here with `make MPI=1` when missing):
# * mpirun -n 1, 2 and 3 fits on airfoil (4 members, small budgets) give
#   metrics.json (timings aside), run.json (timings aside), de_members.npy, the
#   sample files, traces, model.json and predictions_test.csv byte-identical to
#   each other and to the build without MPI (build/smile);
# * a 2-rank run killed with SIGKILL mid-sampling and resumed with 3 ranks ends
#   with the same metrics and samples as the uninterrupted run;
# * bad input under mpirun -n 2: one message, exit 2 on every rank, no hang
#   (every mpirun runs under a timeout); a rank that fails at run time (a
#   damaged checkpoint of a member of rank 1) stops every rank with one message
#   naming the rank, exit 1 on every rank;
# * the bytes rank 1 sends per fit do not grow with the number of stored samples
#   (SMILE_COMM_STATS, fits storing 60 and 120 samples per member);
# * `smile analytic` over 1, 2 and 3 ranks prints the same results.
# Skips (counted as passed, with a message) only when OpenMPI is not installed
# and cannot be built against. Last line: "cli_mpi: N passed, N failed".
source "$(dirname "$0")/lib_cli.sh"
DATA="${SMILE_DATA:-../shared/data}/airfoil/airfoil.data"
MPIBIN="${SMILE_MPI_BIN:-build-mpi/smile}"

if ! command -v mpicc >/dev/null || ! command -v mpirun >/dev/null; then
  echo "cli_mpi: OpenMPI is not installed (scripts/deps.sh mpi installs it): MPI tests skipped"
  echo "cli_mpi: 0 passed, 0 failed"
  exit 0
fi
if [ ! -f "$DATA" ]; then echo "cli_mpi: airfoil data not found at $DATA"; echo "cli_mpi: 0 passed, 1 failed"; exit 1; fi
make -s -j2 MPI=1 "$MPIBIN" >"$tmp/build.log" 2>&1 || { tail -20 "$tmp/build.log"; echo "cli_mpi: 0 passed, 1 failed"; exit 1; }
[ -x "$BIN" ] || make -s -j2 "$BIN" >/dev/null 2>&1

# OpenMPI refuses root without these; more ranks than cores need --oversubscribe
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpi() { local n=$1; shift; timeout -s KILL 120 mpirun --oversubscribe -n "$n" "$@"; }

args=(--task uci --data "$DATA" --members 4 --warmup 200 --samples 600 --thin 10
      --de-epochs 5 --seed 3 --quiet --threads 1 --checkpoint-seconds 0.2)
same_run() { # same_run A B: every result file of run B equals run A's (timings aside)
  local a=$1 b=$2 f
  for f in de_members.npy model.json predictions_test.csv samples/member_{0,1,2,3}.npy \
           trace_{0,1,2,3}.csv; do
    cmp -s "$a/$f" "$b/$f" || { echo "  $b/$f differs from $a/$f"; return 1; }
  done
  for f in metrics.json run.json; do
    cmp -s <(grep -v '"seconds' "$a/$f") <(grep -v '"seconds' "$b/$f") ||
      { echo "  $b/$f differs from $a/$f (timings aside)"; return 1; }
  done
}

# ---- the same results for 1, 2, 3 ranks and without MPI -----------------------------
"$BIN" fit "${args[@]}" --out "$tmp/ref" >"$tmp/ref.out" 2>&1
check "run without MPI exits 0 ($(tail -c 300 "$tmp/ref.out"))" [ -s "$tmp/ref/metrics.json" ]
for n in 1 2 3; do
  mpi "$n" "$MPIBIN" fit "${args[@]}" --out "$tmp/n$n" >"$tmp/n$n.out" 2>"$tmp/n$n.err"
  rc=$?
  check "mpirun -n $n exits 0 (rc=$rc: $(tail -c 300 "$tmp/n$n.err"))" [ "$rc" -eq 0 ]
  check "mpirun -n $n: results byte-identical to the run without MPI" same_run "$tmp/ref" "$tmp/n$n"
  check "mpirun -n $n: the metrics table is printed once" \
    [ "$(grep -c '^lppd' "$tmp/n$n.out")" -eq 1 ]
done
left=$(find "$tmp/n3" -name '*.partial' -o -name '*.tmp.*' -o -name checkpoint | wc -l)
check "no temporary or checkpoint files left by 3 ranks ($left)" [ "$left" -eq 0 ]

# ---- bytes sent per fit do not grow with the number of samples ------------------------
# Rank 1 (members 2, 3 of 4) sends its DE members, scores, chain summaries of a fixed
# size and the mixture-CDF sums of the width rounds, every round of one size and at
# least 10 of them (docs/mpi.md): nothing per stored sample, so twice the stored
# samples (60 → 120 per member) send exactly the same bytes (when every sample's
# outputs were sent, the bytes grew by 1.97x).
bytes1() { # bytes1 SAMPLES: bytes sent by rank 1 in a 2-rank fit storing SAMPLES/10 per member
  SMILE_COMM_STATS="$tmp/st$1" mpi 2 "$MPIBIN" fit "${args[@]}" --samples "$1" \
    --out "$tmp/bytes$1" >/dev/null 2>&1 && awk '{print $2}' "$tmp/st$1.1"
}
b600=$(bytes1 600); b1200=$(bytes1 1200)
check "bytes sent by rank 1 reported ($b600, $b1200)" [ -n "$b600" -a -n "$b1200" ]
check "bytes sent by rank 1 do not change with the samples (60/member: $b600, 120/member: $b1200)" \
  [ -n "$b600" ] && [ "$b600" = "$b1200" ]

# ---- SIGKILL of a 2-rank run mid-sampling, resumed with 3 ranks ------------------------
mpirun --oversubscribe -n 2 "$MPIBIN" fit "${args[@]}" --out "$tmp/k" >/dev/null 2>&1 &
mp=$!
sampled() { # some chain has a checkpoint with samples on disk and the run is not done
  local f s
  [ ! -e "$tmp/k/metrics.json" ] && ls "$tmp/k/checkpoint/"*.ckpt >/dev/null 2>&1 || return 1
  for f in "$tmp/k/samples/"*.npy.partial; do
    s=$(stat -c %s "$f" 2>/dev/null || echo 0)
    [ "$s" -gt 128 ] && return 0
  done
  return 1
}
for _ in $(seq 1200); do sampled && break; sleep 0.02; done
ranks=$(pgrep -P "$mp")
check "the 2 ranks of the run were found ($ranks)" [ "$(echo $ranks | wc -w)" -eq 2 ]
kill -KILL $ranks "$mp" 2>/dev/null
wait "$mp" 2>/dev/null
for _ in $(seq 100); do alive=0; for p in $ranks; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ "$alive" = 0 ] && break; sleep 0.05; done
check "the ranks are gone after SIGKILL" [ "$alive" = 0 ]
partial=$(ls "$tmp/k/samples/"*.npy.partial 2>/dev/null | wc -l)
check "the 2-rank run was killed mid-sampling (no metrics.json, $partial partial sample files)" \
  [ ! -e "$tmp/k/metrics.json" -a "$partial" -gt 0 ]
cp -r "$tmp/k" "$tmp/kbad"
mpi 3 "$MPIBIN" fit --resume --out "$tmp/k" --quiet --threads 1 >"$tmp/k.out" 2>"$tmp/k.err"
rc=$?
check "resume with 3 ranks exits 0 (rc=$rc: $(tail -c 300 "$tmp/k.err"))" [ "$rc" -eq 0 ]
check "killed + resumed run = uninterrupted run (metrics, samples, traces)" same_run "$tmp/ref" "$tmp/k"

# ---- failures: one message, the same exit status on every rank, no hang ---------------
rc_of_ranks() { # rc_of_ranks DIR N ARGS...: runs ARGS on N ranks, each rank's exit status to DIR/rc.<rank>
  local d=$1 n=$2; shift 2
  mkdir -p "$d"
  mpi "$n" sh -c '"$@"; echo $? > "'"$d"'/rc.$OMPI_COMM_WORLD_RANK"' sh "$@"
}
one_failure() { # one_failure WHAT N RC PATTERN ARGS...
  local what=$1 n=$2 want=$3 pat=$4; shift 4
  local d="$tmp/fail$pass$fail"
  rc_of_ranks "$d" "$n" "$@" >"$d.out" 2>"$d.err"
  local msgs; msgs=$(grep -c '^smile [a-z]*: ' "$d.err")
  check "$what: one message ($msgs: $(head -c 300 "$d.err"))" [ "$msgs" -eq 1 ]
  check "$what: the message names the cause" grep -q -- "$pat" "$d.err"
  for r in $(seq 0 $((n - 1))); do
    check "$what: exit $want on rank $r ($(cat "$d/rc.$r" 2>/dev/null))" \
      [ "$(cat "$d/rc.$r" 2>/dev/null)" = "$want" ]
  done
}
one_failure "missing data file" 2 2 "no-such.data" \
  "$MPIBIN" fit --task uci --data "$tmp/no-such.data" --members 4 --out "$tmp/b1" --quiet
check "missing data file: nothing written" [ ! -e "$tmp/b1" ]
one_failure "bad option" 2 2 "--members" "$MPIBIN" fit --data "$DATA" --members 0 --quiet
one_failure "existing run without --resume" 2 2 "already holds a run" \
  "$MPIBIN" fit "${args[@]}" --out "$tmp/n2"
# members 2 and 3 belong to rank 1 of 2: damage their checkpoints (made when missing)
printf 'garbage' >"$tmp/kbad/checkpoint/chain_2.ckpt"
printf 'garbage' >"$tmp/kbad/checkpoint/chain_3.ckpt"
one_failure "damaged checkpoint of a rank-1 member" 2 1 "rank 1: .*chain_2.ckpt" \
  "$MPIBIN" fit --resume --out "$tmp/kbad" --quiet --threads 1

# ---- smile analytic over ranks ---------------------------------------------------------
an=(analytic --target icg --noise anisotropic --sampler psmile-naive --step-size 0.03
    --steps 20000 --chains 5 --json)
"$BIN" "${an[@]}" | grep -v '"seconds' >"$tmp/a0"
for n in 1 2 3; do
  mpi "$n" "$MPIBIN" "${an[@]}" 2>/dev/null | grep -v '"seconds' >"$tmp/a$n"
  check "smile analytic on $n ranks = without MPI" cmp -s "$tmp/a0" "$tmp/a$n"
done

echo "cli_mpi: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
