#!/usr/bin/env bash
# Main job: installs missing packages, builds, then runs `smile fit`.
# Without arguments it runs the built-in default: a synthetic 1-D regression
# with a gap in the inputs, deep ensemble vs the default sampler, a metrics
# table, and out/builtin/predictive.png (data, predictive means, 95 % bands).
# With arguments they are passed to `smile fit`, e.g.
#   ./run.sh --task uci --data ../shared/data/airfoil/airfoil.data --seed 1
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
make -j"$(nproc 2>/dev/null || echo 2)" all >/dev/null
if [ $# -eq 0 ]; then
  rm -rf out/builtin
  mkdir -p out
  exec build/smile fit --out out/builtin
fi
exec build/smile fit "$@"
