#!/usr/bin/env bash
# Prediction speed of `smile predict` on the UCI model: airfoil fitted with
# 10 members x 1,000 samples (thin 10 of 10,000 steps, short warm-up), then
# 10,000 new rows (airfoil inputs resampled with a small jitter) predicted
# with mean, sd and a 90 % mixture interval. Reports wall time, peak memory,
# rows x samples per second, and the FLOP-bound time of the forward passes at
# the machine's measured SGEMM rate (`smile bench-model --sgemm`), in one run.
#   bench/predict.sh [--threads T] [--out DIR] [--rows N]
# Writes DIR/predict_bench.md (default DIR runs/predict).
set -euo pipefail
main() {
cd "$(dirname "$0")/.."
DATA="${SMILE_DATA:-$(cd .. && pwd)/shared/data}"
threads=2; out=runs/predict; rows=10000
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift ;;
    --out) out="$2"; shift ;;
    --rows) rows="$2"; shift ;;
    *) echo "bench/predict.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
BIN="${SMILE_BIN:-build/smile}"
[ -x "$BIN" ] || make -j"$(nproc)" all >/dev/null
mkdir -p "$out"
run="$out/airfoil-10x1000"
if [ ! -f "$run/model.json" ]; then
  rm -rf "$run"
  "$BIN" fit --task uci --data "$DATA/airfoil/airfoil.data" --members 10 --warmup 2000 \
    --samples 10000 --thin 10 --seed 1 --threads "$threads" --quiet --out "$run" >/dev/null
fi
python3 - "$DATA/airfoil/airfoil.data" "$out/rows.data" "$rows" <<'EOF'
import random, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [l.split()[:-1] for l in open(src) if l.strip()]
r = random.Random(1)
with open(dst, "w") as f:
    for _ in range(n):
        row = r.choice(rows)
        f.write(" ".join("%.6g" % (float(v) * (1 + 0.01 * r.gauss(0, 1))) for v in row) + "\n")
EOF
sgemm=$("$BIN" bench-model --sgemm --size 1024 --threads "$threads" --seconds 2 --json |
        python3 -c "import json,sys; print(json.load(sys.stdin)['sgemm_gflops'])")
/usr/bin/time -f "%e %M" -o "$out/time.txt" \
  "$BIN" predict "$run" --data "$out/rows.data" --interval 0.9 --threads "$threads" \
  --out "$out/pred.csv" >/dev/null
read -r wall rss_kb < "$out/time.txt"
python3 - "$run" "$rows" "$wall" "$rss_kb" "$sgemm" "$threads" "$out/predict_bench.md" <<'EOF'
import json, sys
run, rows, wall, rss_kb, sgemm, threads, md = sys.argv[1:]
rows, wall, rss, sgemm = int(rows), float(wall), int(rss_kb) / 1024, float(sgemm)
m = json.load(open(run + "/model.json"))
d = m["model"]
widths = [d["n_inputs"]] + d["hidden"] + [1]
flop_row = 2 * sum(a * b for a, b in zip(widths, widths[1:]))
samples = 10 * 1000
pairs = rows * samples
limit = pairs * flop_row / (sgemm * 1e9)
text = f"""# `smile predict` speed (bench/predict.sh)

UCI model (airfoil, FCN {'-'.join(map(str, widths))}, homoscedastic), 10 members x 1,000
samples = {samples:,} posterior samples; {rows:,} new rows; mean, sd and a 90 % interval
(quantiles of the {samples:,}-component predictive mixture) per row; {threads} threads.

| quantity | value |
|---|---|
| wall time (process, incl. reading the samples) | {wall:.2f} s |
| peak resident memory | {rss:.0f} MB |
| rows x samples per second | {pairs / wall:.3g} |
| forward FLOPs per row and sample | {flop_row} |
| FLOP-bound time at the measured SGEMM rate ({sgemm:.1f} GFLOP/s) | {limit:.2f} s |
| ratio wall / FLOP bound | {wall / limit:.1f}x |

Memory is bounded by a chunk of 256 rows times the samples (two doubles per component),
not by rows x samples.
"""
open(md, "w").write(text)
print(text)
EOF
}
main "$@"
exit
