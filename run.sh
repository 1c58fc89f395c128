#!/usr/bin/env bash
# Main job on the built-in default: installs missing packages, builds, and
# shows the paper's key effect on the ill-conditioned Gaussian with
# anisotropic mini-batch gradient noise (bias of SMILE-naive vs pSMILE-naive
# at the same step size, plus the tuned pSMILE from its default step size).
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
make -j"$(nproc 2>/dev/null || echo 2)" all >/dev/null
for s in smile-naive psmile-naive; do
  echo "== $s, step size 0.03 =="
  build/smile analytic --target icg --noise anisotropic --sampler "$s" --step-size 0.03 \
      --steps 100000 --chains 4 "$@"
done
echo "== psmile (tuned, default initial step size) =="
build/smile analytic --target icg --noise anisotropic --sampler psmile --steps 100000 --chains 4 "$@"
