#!/usr/bin/env bash
# UCI regression runs at the spec settings (experiments.md §2: 10 members,
# 50,000 warm-up + 10,000 sampling steps, B = 256, thinning 10, eps 1e-3):
# datasets x seeds x samplers, then a markdown table of test LPPD / RMSE
# (mean ± standard error over seeds) for the DE and the sampled ensemble.
#   bench/uci.sh [--quick] [--datasets "airfoil energy"] [--seeds "1 2 3"]
#                [--samplers "psmile-naive"] [--out DIR] [--threads T]
#                [--extra "more smile fit options"] [--table-only]
#                [--tag TAG] [--share-de SAMPLER]
# --quick: 1,000 warm-up + 500 sampling steps, seed 1 only (smoke run).
# --tag TAG: run directories are $out/<dataset>-<sampler>TAG-s<seed> (e.g. -e1e-2).
# --share-de SAMPLER: reuse the DE of $out/<dataset>-SAMPLER-s<seed> when it has
#   one (`smile fit --de-from`; the same DE, trained once per data set and seed).
set -euo pipefail
# The whole script is one function, parsed before it runs: editing this file
# during a long run cannot change the run.
main() {
cd "$(dirname "$0")/.."
DATA="${SMILE_DATA:-$(cd .. && pwd)/shared/data}"
datasets="airfoil energy bikesharing"; seeds="1 2 3"; samplers="psmile-naive"
out=runs/uci; threads=0; extra=(); table_only=0; tag=""; share=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) extra=(--warmup 1000 --samples 500); seeds=1 ;;
    --datasets) datasets="$2"; shift ;;
    --seeds) seeds="$2"; shift ;;
    --samplers) samplers="$2"; shift ;;
    --out) out="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --extra) read -r -a more <<< "$2"; extra+=("${more[@]}"); shift ;;
    --table-only) table_only=1 ;;
    --tag) tag="$2"; shift ;;
    --share-de) share="$2"; shift ;;
    *) echo "bench/uci.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
# $SMILE_BIN: a fixed copy of the binary, so rebuilding the tree does not
# disturb a long sweep; default: build/smile, built here.
BIN="${SMILE_BIN:-build/smile}"
[ -z "${SMILE_BIN:-}" ] && make -j2 build/smile >/dev/null
mkdir -p "$out"
for ds in $datasets; do
  [ "$table_only" = 1 ] && break
  for s in $samplers; do
    for seed in $seeds; do
      dir="$out/$ds-$s$tag-s$seed"
      [ -f "$dir/metrics.json" ] && continue
      rm -rf "$dir"
      start=$(date +%s)
      cmd=("$BIN" fit --task uci --data "$DATA/$ds/$ds.data" --sampler "$s" --seed "$seed"
           --threads "$threads" --out "$dir" --quiet "${extra[@]}")
      src="$out/$ds-$share-s$seed"
      if [ -n "$share" ] && [ "$src" != "$dir" ] && [ -f "$src/de_members.npy" ]; then
        cmd+=(--de-from "$src")
      fi
      "${cmd[@]}" >/dev/null
      printf 'build/smile %s\n' "${cmd[*]:1}" > "$dir/command.txt"   # the command (binary: a copy of build/smile)
      echo "$ds $s seed $seed: $(( $(date +%s) - start )) s" >&2
    done
  done
done
python3 - "$out" $datasets -- $samplers <<'PY'
import json, math, os, sys
out = sys.argv[1]; rest = sys.argv[2:]; k = rest.index('--')
datasets, samplers = rest[:k], rest[k+1:]
def ms(v):
    v = [x for x in v if x is not None and math.isfinite(x)]
    if not v: return float('nan'), float('nan'), 0
    m = sum(v)/len(v)
    se = (sum((x-m)**2 for x in v)/(len(v)-1))**0.5/len(v)**0.5 if len(v) > 1 else float('nan')
    return m, se, len(v)
print("| dataset | sampler | seeds | DE LPPD | ensemble LPPD | DE RMSE | ensemble RMSE | pooled members | min seconds (fit) |")
print("|---|---|---|---|---|---|---|---|---|")
for ds in datasets:
    for s in samplers:
        rows = []
        for f in sorted(os.listdir(out)):
            if f.startswith(f"{ds}-{s}-s") and os.path.exists(f"{out}/{f}/metrics.json"):
                rows.append(json.load(open(f"{out}/{f}/metrics.json")))
        if not rows: continue
        de = ms([r['de']['lppd'] for r in rows]); en = ms([r['ensemble']['lppd'] for r in rows])
        der = ms([r['de']['rmse'] for r in rows]); enr = ms([r['ensemble']['rmse'] for r in rows])
        pooled = ",".join(str(r['ensemble'].get('n_members_pooled', '?')) for r in rows)
        secs = min(r['de'].get('seconds', 0) + r['ensemble'].get('seconds', 0) for r in rows)
        f = lambda t: f"{t[0]:.3f} ± {t[1]:.3f}"
        print(f"| {ds} | {s} | {en[2]} | {f(de)} | {f(en)} | {f(der)} | {f(enr)} | {pooled} | {secs:.0f} |")
PY
}
main "$@"; exit $?
