#!/usr/bin/env bash
# Peer comparison of the SMILE step (issue 5, item 3): ours (`smile bench-step`) next to
# PyTorch (Debian's python3-torch: per-chain loop, hand-batched bmm, functorch vmap) and
# JAX (installed from PyPI into a venv: jit + vmap, lax.scan per epoch or one call per
# step), same model, batch, data size, float32 and thread count, in one invocation.
# Benchmark code only: nothing here is a dependency of the product.
#
# usage: bench/peer_step.sh [--threads T] [--models fcn,lenet] [--lenet-chains K]
#                           [--rounds R] [--out FILE.jsonl] [--quick]
#   --threads T        threads of every implementation (default: all CPUs); when T is
#                      below the CPU count every process is pinned to CPUs 0..T-1
#   --lenet-chains K   chains for LeNet (default 4: 10 vmapped LeNet chains take JAX
#                      about 8 s per step here; the per-chain time hardly depends on K)
#   --rounds R         ours is measured R+1 times interleaved with R rounds of peers
#                      (default 1); every measurement is the best of 3 blocks
#   --quick            shorter blocks (smoke test)
# Environment: PEER_VENV (default ${TMPDIR:-/tmp}/smile-peer-venv) holds JAX.
set -eu
cd "$(dirname "$0")/.."
T=$(nproc); MODELS=fcn,lenet; LK=4; ROUNDS=1; OUT=""; QUICK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) T=$2; shift 2 ;;
    --models) MODELS=$2; shift 2 ;;
    --lenet-chains) LK=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "peer_step.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$OUT" ] || OUT=$(mktemp "${TMPDIR:-/tmp}/peer_step.XXXXXX.jsonl")
: > "$OUT"

make -j2 build/smile >&2
PY=/usr/bin/python3   # Debian's torch imports only under the system interpreter
if ! "$PY" -c 'import torch, functorch' 2>/dev/null; then
  echo "peer_step: python3-torch missing: apt-get install python3-torch" >&2; exit 1
fi
VENV=${PEER_VENV:-${TMPDIR:-/tmp}/smile-peer-venv}
if ! "$VENV/bin/python" -c 'import jax' 2>/dev/null; then
  echo "peer_step: installing JAX into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" index versions jax 2>/dev/null | head -1 >&2 || true
  "$VENV/bin/pip" install -q "jax[cpu]" >&2
fi

# same thread count everywhere
PIN=""
if [ "$T" -lt "$(nproc)" ]; then PIN="taskset -c 0-$((T - 1))"; fi
export OMP_NUM_THREADS=$T OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=$T
if [ "$T" -gt 1 ]; then EIGEN=true; else EIGEN=false; fi
export XLA_FLAGS="--xla_cpu_multi_thread_eigen=$EIGEN intra_op_parallelism_threads=$T"

if [ $QUICK = 1 ]; then SEC=0.3; REP=2; else SEC=1.0; REP=3; fi
echo "peer_step: threads $T, results in $OUT" >&2
echo "  torch $("$PY" -c 'import torch; print(torch.__version__)'), jax $("$VENV/bin/python" -c 'import jax; print(jax.__version__)'), $(build/smile --version)" >&2

ours() {  # model chains steps
  $PIN build/smile bench-step --model "$1" --chains "$2" --steps "$3" --threads "$T" \
    --repeat $REP --json >> "$OUT"
}
for m in ${MODELS//,/ }; do
  case $m in
    fcn) K=10; OS=$([ $QUICK = 1 ] && echo 500 || echo 2000); JV=jax-scan,jax-step ;;
    lenet) K=$LK; OS=$([ $QUICK = 1 ] && echo 1 || echo 2); JV=jax-step ;;
    *) echo "peer_step: unknown model $m" >&2; exit 2 ;;
  esac
  echo "  $m: ours / PyTorch / JAX / ours ..." >&2
  ours $m $K $OS
  for r in $(seq "$ROUNDS"); do
    $PIN "$PY" bench/peer_step/torch_step.py --model $m --chains $K --threads "$T" \
      --seconds $SEC --repeat $REP >> "$OUT"
    $PIN "$VENV/bin/python" bench/peer_step/jax_step.py --model $m --chains $K \
      --threads "$T" --variants $JV --seconds $SEC --repeat $REP >> "$OUT"
    ours $m $K $OS
  done
done
"$PY" bench/peer_step/table.py "$OUT"
