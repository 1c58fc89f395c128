#!/usr/bin/env bash
# Test LPPD (original units, mean over the cached seeds) against wall time of
# every cached smile and bde run of bench/bde_peer.py, one panel per table.
# Only (tool, settings) with every seed of SEEDS cached are drawn, as their mean.
#   bench/bde_peer_plot.sh [RESULTS (bench/results/bde_peer)] [OUT_PNG (docs/peer_bde_lppd_time.png)] [TABLES (airfoil,energy)] [SEEDS (1,2,3)]
set -euo pipefail
cd "$(dirname "$0")/.."
res="${1:-bench/results/bde_peer}"; out="${2:-docs/peer_bde_lppd_time.png}"
tables="${3:-airfoil,energy}"; seeds="${4:-1,2,3}"
command -v gnuplot >/dev/null || scripts/deps.sh
PY=$(bench/bde_venv.sh)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$PY" bench/bde_peer.py --results "$res" --seeds "$seeds" --plot-data > "$tmp/all.dat"
IFS=, read -ra T <<< "$tables"
{
  echo "set terminal pngcairo size $((560 * ${#T[@]})),480 font ',9'"
  echo "set output '$out'"
  echo "set multiplot layout 1,${#T[@]} title 'smile and bde on the same 80/20 splits: test LPPD (original units) against wall time (2 shared cores)'"
  echo "set logscale x; set xlabel 'wall time per fit [s]'; set ylabel 'test LPPD'; set grid"
  echo "set key off; set offsets graph 0.05, graph 0.25, graph 0.08, graph 0.08"
  for t in "${T[@]}"; do
    awk -v t="$t" '$1 == t' "$tmp/all.dat" > "$tmp/$t.dat"
    echo "set title '$t'"
    echo "plot '$tmp/$t.dat' using 3:(strstrt(stringcolumn(2),'bde')?\$5:1/0) with points pt 7 ps 1.4 lc 1, \\"
    echo "     '$tmp/$t.dat' using 3:(strstrt(stringcolumn(2),'bde')?1/0:\$5) with points pt 5 ps 1.0 lc 2, \\"
    echo "     '$tmp/$t.dat' using 3:5:(substr(stringcolumn(2),1,40)) with labels left offset 0.6,0 font ',7'"
  done
  echo "unset multiplot"
} > "$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
echo "$out"
