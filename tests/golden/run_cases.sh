#!/usr/bin/env bash
# Runs the golden cases with $BIN into directory $1 and prints one line per
# output file: "<sha256>  <name>". Numbers are compared byte for byte; only
# wall-clock timings, the data path and free-text notes are left out (see
# normalise.py). Cases: `smile analytic` on the ICG with anisotropic noise
# (psmile-naive, psmile-auto), `smile fit` on airfoil (psmile-auto, mclmc),
# all at small budgets and a fixed thread count.
set -euo pipefail
BIN="${BIN:?}"; out="$1"; here="$(cd "$(dirname "$0")" && pwd)"
DATA="${SMILE_DATA:-../shared/data}/airfoil/airfoil.data"
mkdir -p "$out"
an=(analytic --target icg --noise anisotropic --steps 3000 --warmup 1000 --chains 3 --seed 7 --threads 2 --json)
"$BIN" "${an[@]}" --sampler psmile-naive --step-size 0.03 --trace "$out/a_naive_trace.txt" >"$out/a_naive.json"
"$BIN" "${an[@]}" --sampler psmile-auto --step-size 0.01 --trace "$out/a_auto_trace.txt" >"$out/a_auto.json"
fit=(fit --task uci --data "$DATA" --members 3 --warmup 300 --samples 200 --thin 10 --de-epochs 5 --seed 3 --threads 2 --quiet)
"$BIN" "${fit[@]}" --sampler psmile-auto --out "$out/f_auto" >/dev/null
"$BIN" "${fit[@]}" --sampler mclmc --warmup 400 --out "$out/f_mclmc" >/dev/null
for f in a_naive.json a_auto.json f_auto/metrics.json f_mclmc/metrics.json; do
  python3 "$here/normalise.py" "$out/$f" >"$out/$f.norm"
done
cd "$out"
sha256sum a_naive.json.norm a_naive_trace.txt a_auto.json.norm a_auto_trace.txt \
  f_auto/metrics.json.norm f_auto/de_members.npy f_auto/samples/member_*.npy f_auto/trace_*.csv \
  f_mclmc/metrics.json.norm f_mclmc/de_members.npy f_mclmc/samples/member_*.npy f_mclmc/trace_*.csv
