#!/usr/bin/env bash
# Members over MPI ranks (docs/mpi.md), in one run on this machine:
# * wall time of `smile fit` with 1 rank x 2 threads against 2 ranks x 1 thread
#   (the same two cores), on the UCI model (airfoil, 4 members) and on LeNet
#   (Fashion-MNIST, 4 members, small budget), and the parallel efficiency
#   T(1 rank x 2 threads) / T(2 ranks x 1 thread);
# * bytes sent per rank (counted in the communicator layer, SMILE_COMM_STATS)
#   for 2 ranks as the number of stored samples doubles (they must not grow with
#   it: each rank sends fixed-size chain summaries and the width rounds' sums).
# Both runs of a pair must give the same metrics (timings aside); checked.
#   bench/mpi.sh [--out DIR] [--quick]      writes DIR/mpi_bench.md (default runs/mpi)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${SMILE_DATA:-$(cd .. && pwd)/shared/data}"
out=runs/mpi; quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift ;;
    --quick) quick=1 ;;
    *) echo "bench/mpi.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
command -v mpirun >/dev/null || { echo "bench/mpi.sh: needs OpenMPI (scripts/deps.sh mpi)" >&2; exit 1; }
make -s -j2 MPI=1 build-mpi/smile
BIN=build-mpi/smile
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
rm -rf "$out"; mkdir -p "$out"
md="$out/mpi_bench.md"

# run NAME RANKS THREADS FIT-ARGS...: wall seconds of the whole fit on stdout;
# bytes sent per rank to $out/NAME.bytes (one line per rank)
run() {
  local name=$1 ranks=$2 threads=$3; shift 3
  local t0 t1
  t0=$(date +%s.%N)
  SMILE_COMM_STATS="$out/$name.stats" mpirun --oversubscribe --bind-to none --mca mpi_yield_when_idle 1 -n "$ranks" \
    "$BIN" fit "$@" --threads "$threads" --quiet --out "$out/$name" >"$out/$name.log" 2>&1
  t1=$(date +%s.%N)
  cat "$out/$name".stats.* | sort -n | awk '{print $2}' | paste -sd/ >"$out/$name.bytes"
  awk "BEGIN{printf \"%.2f\", $t1 - $t0}"
}
same() { cmp -s <(grep -v '"seconds' "$out/$1/metrics.json") <(grep -v '"seconds' "$out/$2/metrics.json"); }

uci=(--task uci --data "$DATA/airfoil/airfoil.data" --members 4 --warmup 1000 --samples 4000
     --thin 10 --seed 1)
lenet=(--task fmnist --data "$DATA/fashion_mnist" --members 4 --warmup 10 --samples 30 --thin 10
       --de-epochs 0 --seed 1)
if [ "$quick" = 1 ]; then
  uci=(--task uci --data "$DATA/airfoil/airfoil.data" --members 4 --warmup 200 --samples 800
       --thin 10 --seed 1)
  lenet=(--task fmnist --data "$DATA/fashion_mnist" --members 4 --warmup 4 --samples 8 --thin 4
         --de-epochs 0 --seed 1)
fi

{
echo "# Members over MPI ranks: 1 rank x 2 threads vs 2 ranks x 1 thread"
echo
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')),"
echo "OpenMPI $(mpirun --version | head -1 | awk '{print $NF}'), $(date -u +%Y-%m-%d)."
echo
echo "| model | budget | 1 rank x 2 threads (s) | 2 ranks x 1 thread (s) | efficiency | same metrics | bytes sent, rank 0 / rank 1 (2 ranks) |"
echo "|---|---|---|---|---|---|---|"
} >"$md"
for m in uci lenet; do
  eval "a=(\"\${${m}[@]}\")"
  t12=$(run "$m-1x2" 1 2 "${a[@]}")
  t21=$(run "$m-2x1" 2 1 "${a[@]}")
  eff=$(awk "BEGIN{printf \"%.0f %%\", 100 * $t12 / $t21}")
  s=no; same "$m-1x2" "$m-2x1" && s=yes
  budget=$(echo "${a[@]}" | sed 's|--data [^ ]*||; s|--task ||; s|--seed [0-9]*||')
  echo "| $m | $budget | $t12 | $t21 | $eff | $s | $(cat "$out/$m-2x1.bytes") |" >>"$md"
done

# bytes sent per rank as the stored samples double (UCI model, 2 ranks, 1 thread each)
{
echo
echo "Bytes sent per rank (rank 0 / rank 1) with 2 ranks, UCI model, 4 members, as the"
echo "number of stored samples per member doubles (warm-up 200, thin 10):"
echo
echo "| samples per member | bytes rank 0 | bytes rank 1 | rank 1 / rank 1 at 100 samples | width rounds (DE / sampling) |"
echo "|---|---|---|---|---|"
} >>"$md"
first=""
for S in 1000 2000 4000; do
  run "bytes-$S" 2 1 --task uci --data "$DATA/airfoil/airfoil.data" --members 4 --warmup 200 \
    --samples "$S" --thin 10 --seed 1 >/dev/null
  b=$(cat "$out/bytes-$S.bytes")
  b0=${b%/*}; b1=${b#*/}
  [ -n "$first" ] || first=$b1
  rounds=$(grep -o '"width_rounds":[[:space:]]*[0-9]*' "$out/bytes-$S/metrics.json" | awk '{print $2}' | paste -sd/)
  echo "| $((S / 10)) | $b0 | $b1 | $(awk "BEGIN{printf \"%.2f\", $b1 / $first}") | ${rounds:-?} |" >>"$md"
done
cat "$md"
