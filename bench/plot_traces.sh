#!/usr/bin/env bash
# Step-size traces of the tuned samplers in UCI fits (trace_<k>.csv of each
# run), one panel per dataset, log scale: shows the reference tuner's cooling.
#   bench/plot_traces.sh [RUNS_DIR (runs/uci)] [OUT_PNG (docs/uci_eps_traces.png)] [SEED (1)]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-runs/uci}"; out="${2:-docs/uci_eps_traces.png}"; seed="${3:-1}"
command -v gnuplot >/dev/null || scripts/deps.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
plots=()
for ds in airfoil energy bikesharing; do
  for s in smile psmile psmile-naive; do
    d="$runs/$ds-$s-s$seed"
    [ -f "$d/trace_0.csv" ] || continue
    # column 1 = step, column 3 = eps; chain 0 and chain 1
    for k in 0 1; do
      [ -f "$d/trace_$k.csv" ] && tail -n +2 "$d/trace_$k.csv" | awk -F, '{print $1, $3}' > "$tmp/$ds-$s-$k.dat"
    done
  done
done
{
  echo "set terminal pngcairo size 1400,450 font ',10'"
  echo "set output '$out'"
  echo "set multiplot layout 1,3 title 'Step size of tuned samplers in UCI fits (seed $seed, chains 0 and 1; warm-up 50,000 + sampling 10,000 steps)'"
  echo "set logscale y; set format y '10^{%L}'; set xlabel 'step'; set ylabel 'step size'; set grid"
  echo "set key bottom left"
  for ds in airfoil energy bikesharing; do
    echo "set title '$ds'"
    cmd="plot"; sep=""
    for s in smile psmile psmile-naive; do
      for k in 0 1; do
        f="$tmp/$ds-$s-$k.dat"
        [ -s "$f" ] || continue
        t="$s"; [ "$k" = 1 ] && t=""
        c=1; [ "$s" = psmile ] && c=2; [ "$s" = psmile-naive ] && c=3
        cmd="$cmd$sep '$f' using 1:2 with lines lc $c title '$t'"; sep=","
      done
    done
    [ "$cmd" = plot ] && cmd="set label 'no runs' at graph 0.4,0.5; plot 1/0 notitle"
    echo "$cmd"
  done
  echo "unset multiplot"
} > "$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
echo "wrote $out"
