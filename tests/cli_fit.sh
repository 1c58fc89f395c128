#!/usr/bin/env bash
# CLI tests of `smile fit` / `smile eval` (issue 4) on a SMALL airfoil run:
# output files and their formats, metrics.json keys, --json, bad input → exit 2
# with one stderr line naming the option/file and nothing written, threads 1
# vs 2 → identical metrics apart from timings, `smile eval` recomputes the same
# metrics, SIGTERM + --resume → the same metrics and samples as an
# uninterrupted run. Uses $SMILE_BIN (default build/smile) and $SMILE_DATA.
# Last line: "cli_fit: N passed, N failed".
source "$(dirname "$0")/lib_cli.sh"
DATA="${SMILE_DATA:-../shared/data}/airfoil/airfoil.data"

if [ ! -f "$DATA" ]; then echo "cli_fit: airfoil data not found at $DATA"; echo "cli_fit: 0 passed, 1 failed"; exit 1; fi

small=(--task uci --data "$DATA" --members 2 --warmup 300 --samples 200 --thin 10
       --de-epochs 5 --seed 3 --quiet)

# ---- a small run -------------------------------------------------------------------
"$BIN" fit "${small[@]}" --threads 1 --out "$tmp/r1" --json >"$tmp/r1.stdout" 2>"$tmp/r1.err"
rc=$?
check "small run exits 0 (rc=$rc: $(head -c 300 "$tmp/r1.err"))" [ "$rc" -eq 0 ]
for f in config.json layout.json de_members.npy run.json metrics.json trace_0.csv trace_1.csv \
         samples/member_0.npy samples/member_1.npy; do
  check "output file $f" [ -s "$tmp/r1/$f" ]
done
left=$(find "$tmp/r1" -name '*.partial' -o -name '*.tmp.*' -o -name checkpoint | wc -l)
check "no temporary or checkpoint files left ($left)" [ "$left" -eq 0 ]
check "trace header" grep -qx 'step,phase,eps,dE,dE_batch,logp,resets,nonfinite,flags' <(head -n 1 "$tmp/r1/trace_0.csv")

# Python checks of a run directory: run_checks DIR [ARG] reads the checks from
# stdin with c = DIR/config.json, m = DIR/metrics.json, need(cond, what),
# fin(v) and arg = ARG; exits 1 after printing every failed need.
cat >"$tmp/run_checks.py" <<'EOF'
import ast, json, math, os, sys
d = sys.argv[1]
arg = sys.argv[2] if len(sys.argv) > 2 else None
c = json.load(open(os.path.join(d, "config.json")))
m = json.load(open(os.path.join(d, "metrics.json")))
fails = []
def need(cond, what):
    if not cond: fails.append(what)
def fin(v): return isinstance(v, (int, float)) and math.isfinite(v)
exec(sys.stdin.read())
for f in fails: print("FAIL:", f)
sys.exit(1 if fails else 0)
EOF
run_checks() { "${RUN_PY:-python3}" "$tmp/run_checks.py" "$@"; }

# Prefer an interpreter that has numpy (Debian's python3-numpy, installed by
# scripts/deps.sh) so numpy.load itself checks the sample files.
PY=python3
for cand in /usr/bin/python3 python3; do
  if command -v "$cand" >/dev/null && "$cand" -c 'import numpy' 2>/dev/null; then PY="$cand"; break; fi
done
RUN_PY="$PY" run_checks "$tmp/r1" "$tmp/r1.stdout" <<'EOF'
need(json.load(open(arg)) == m, "--json stdout equals metrics.json")
for ph in ("de", "ensemble"):
    e = m.get(ph, {})
    for k in ("lppd", "rmse", "coverage_90", "width_90", "calib_error_rms", "chainwise_lppd",
              "seconds", "grad_evals", "n_members_pooled", "members_pooled", "n_test_evaluated"):
        need(k in e, f"{ph}.{k}")
    need(isinstance(e.get("lppd"), float), f"{ph}.lppd is a number")
need(m["ensemble"]["n_members_pooled"] == 2, "both members pooled")
need(m["ensemble"]["n_test_evaluated"] == 301, "all 301 airfoil test points")
need(m["ensemble"]["grad_evals"] == 2 * 500 * 2, "grad evals = chains*steps*2")
need(len(m["members"]) == 2 and all("diverged" in x["sampling"] and "diverged" in x["de"]
                                    for x in m["members"]), "per-member divergence report")
for k in ("smile_version", "seed", "members", "warmup", "samples", "thin", "batch", "sampler",
          "deep_ensemble", "model", "scale"):
    need(k in c, f"config.{k}")
need(c["sampler"]["name"] == "psmile-auto" and c["sampler"]["step_size"] == 1e-3, "sampler defaults")
L = json.load(open(os.path.join(d, "layout.json")))
need(L["dim"] == 658 and sum(p["size"] for p in L["params"]) == 658, "layout covers d = 658")
# .npy: header by the format definition (numpy itself below when installed)
for k in (0, 1):
    p = os.path.join(d, "samples", f"member_{k}.npy")
    b = open(p, "rb").read()
    hl = b[8] + 256 * b[9]
    h = ast.literal_eval(b[10:10 + hl].decode("latin1"))
    need(b[:8] == b"\x93NUMPY\x01\x00" and h["descr"] == "<f4" and not h["fortran_order"]
         and h["shape"] == (20, 658) and len(b) == 10 + hl + 20 * 658 * 4, f"npy {k}")
try:
    import numpy as np
    a = np.load(os.path.join(d, "samples", "member_0.npy"))
    need(a.shape == (20, 658) and a.dtype == np.float32, "numpy.load shape")
    need(np.load(os.path.join(d, "de_members.npy")).shape == (2, 658), "de_members shape")
except ImportError:
    print("numpy not installed: numpy.load check skipped")
EOF
check "metrics/config/layout/npy checks" [ $? -eq 0 ]

# ---- threads 1 vs 2, and smile eval ---------------------------------------------------
"$BIN" fit "${small[@]}" --threads 2 --out "$tmp/r2" >/dev/null 2>"$tmp/r2.err"
check "threads 2 run exits 0" [ $? -eq 0 ]
"$BIN" eval "$tmp/r1" --json >"$tmp/eval.json" 2>"$tmp/eval.err"
rc=$?
check "smile eval exits 0 (rc=$rc: $(head -c 200 "$tmp/eval.err"))" [ "$rc" -eq 0 ]
check "threads 1 and 2: identical metrics.json apart from timings" same "$tmp/r1/metrics.json" "$tmp/r2/metrics.json"
check "threads 1 and 2: identical samples" cmp -s "$tmp/r1/samples/member_1.npy" "$tmp/r2/samples/member_1.npy"
check "smile eval reproduces metrics.json" same "$tmp/r1.stdout" "$tmp/eval.json"

# ---- divergence score = median over a member's scored samples; --min-gap ----------------
# One wrecked sample (the last, always scored) must not flag member 0; all of
# its samples wrecked must. --min-gap G is recorded in the rule.
cp -r "$tmp/r1" "$tmp/med"
wreck() { # wreck last|all: scale rows of member 0's samples by 1e3 (.npy header: 128 bytes)
  python3 - "$tmp/med/samples/member_0.npy" "$1" <<'EOF'
import array, sys
p, rows = sys.argv[1], sys.argv[2]
raw = open(p, "rb").read()
hdr, body = raw[:128], array.array("f", raw[128:])
d = 658
n = len(body) // d
for r in (range(n) if rows == "all" else [n - 1]):
    for i in range(r * d, (r + 1) * d): body[i] *= 1e3
open(p, "wb").write(hdr + body.tobytes())
EOF
}
diverged0() { python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(int(m["members"][0]["sampling"]["diverged"]), m["divergence_rule"]["min_gap"])' "$1"; }
wreck last
"$BIN" eval "$tmp/med" --json >"$tmp/med1.json" 2>/dev/null
check "one wrecked sample does not flag the member ($(diverged0 "$tmp/med1.json"))" [ "$(diverged0 "$tmp/med1.json")" = "0 1" ]
wreck all
"$BIN" eval "$tmp/med" --min-gap 2 --json >"$tmp/med2.json" 2>/dev/null
check "all samples wrecked flag it; --min-gap recorded ($(diverged0 "$tmp/med2.json"))" [ "$(diverged0 "$tmp/med2.json")" = "1 2" ]

# ---- interruption and resume ----------------------------------------------------------
longer=(--task uci --data "$DATA" --members 2 --warmup 4000 --samples 2000 --thin 10
        --de-epochs 5 --seed 5 --quiet --threads 1 --checkpoint-seconds 0.3)
"$BIN" fit "${longer[@]}" --out "$tmp/u" >/dev/null 2>&1
check "uninterrupted run exits 0" [ $? -eq 0 ]
# interrupt OUT SIGNAL SECONDS: the longer run into OUT (stderr OUT.err), sent
# SIGNAL after SECONDS, or with SECONDS = ckpt 0.1 s after its first checkpoint
# (mid-sampling whatever the machine's speed: the run samples for about 1.2 s
# and checkpoints every 0.3 s); rc = its exit status.
interrupt() {
  "$BIN" fit "${longer[@]}" --out "$1" >/dev/null 2>"$1.err" &
  local p=$! n=0
  if [ "$3" = ckpt ]; then
    while [ -z "$(ls "$1/checkpoint" 2>/dev/null)" ] && [ "$n" -lt 1500 ] && kill -0 "$p" 2>/dev/null; do
      sleep 0.02; n=$((n + 1))
    done
    sleep 0.1
  else
    sleep "$3"
  fi
  kill "-$2" "$p" 2>/dev/null
  wait "$p"; rc=$?
}
interrupt "$tmp/i" TERM 0.6
if [ "$rc" -eq 130 ]; then
  ok
  check "interrupted run: no metrics.json" [ ! -e "$tmp/i/metrics.json" ]
  check "interrupted run: checkpoints written" [ -n "$(ls "$tmp/i/checkpoint" 2>/dev/null)" ]
  left=$(find "$tmp/i" -name '*.tmp.*' | wc -l)
  check "interrupted run: no temporary files ($left)" [ "$left" -eq 0 ]
  "$BIN" fit --resume --out "$tmp/i" --quiet >/dev/null 2>"$tmp/res.err"
  rc=$?
  check "resume exits 0 (rc=$rc: $(head -c 200 "$tmp/res.err"))" [ "$rc" -eq 0 ]
elif [ "$rc" -eq 0 ]; then
  echo "note: the run finished before SIGTERM; resume not exercised"; ok
else
  nok "interrupted run: rc=$rc ($(head -c 200 "$tmp/i.err"))"
fi
check "resumed = uninterrupted metrics" same "$tmp/u/metrics.json" "$tmp/i/metrics.json"
check "resumed = uninterrupted samples" cmp -s "$tmp/u/samples/member_0.npy" "$tmp/i/samples/member_0.npy"
check "resumed = uninterrupted trace" cmp -s "$tmp/u/trace_1.csv" "$tmp/i/trace_1.csv"
"$BIN" fit --resume --out "$tmp/u" --quiet >/dev/null 2>&1
check "resume of a finished run exits 0" [ $? -eq 0 ]
# --de-from: the same run from a copied DE gives the same samples and metrics
"$BIN" fit "${longer[@]}" --de-from "$tmp/u" --out "$tmp/df" >/dev/null 2>&1
check "--de-from run exits 0" [ $? -eq 0 ]
check "--de-from = own DE: same de_members.npy" cmp -s "$tmp/u/de_members.npy" "$tmp/df/de_members.npy"
check "--de-from = own DE: same samples" cmp -s "$tmp/u/samples/member_1.npy" "$tmp/df/samples/member_1.npy"
check "--de-from = own DE: same metrics" same "$tmp/u/metrics.json" "$tmp/df/metrics.json"

# SIGKILL: no truncated file in the output directory (every JSON parses, no
# metrics.json yet), and --resume continues from the last checkpoint to the
# same metrics and samples as the uninterrupted run.
interrupt "$tmp/k" KILL ckpt
if [ "$rc" -eq 137 ]; then
  ok
  check "killed run: no metrics.json" [ ! -e "$tmp/k/metrics.json" ]
  python3 - "$tmp/k" <<'PY'
import json, os, sys
bad = []
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".json"):
            try: json.load(open(os.path.join(root, f)))
            except Exception as e: bad.append(f"{f}: {e}")
if bad: print("truncated JSON after SIGKILL:", bad); sys.exit(1)
PY
  check "killed run: every JSON file parses" [ $? -eq 0 ]
  "$BIN" fit --resume --out "$tmp/k" --quiet >/dev/null 2>"$tmp/kres.err"
  rc=$?
  check "resume after SIGKILL exits 0 (rc=$rc: $(head -c 200 "$tmp/kres.err"))" [ "$rc" -eq 0 ]
  check "resumed after SIGKILL = uninterrupted metrics" same "$tmp/u/metrics.json" "$tmp/k/metrics.json"
  check "resumed after SIGKILL = uninterrupted samples" cmp -s "$tmp/u/samples/member_1.npy" "$tmp/k/samples/member_1.npy"
  left=$(find "$tmp/k" -name '*.tmp.*' -o -name '*.partial' | wc -l)
  check "after resume: no temporary files left ($left)" [ "$left" -eq 0 ]
elif [ "$rc" -eq 0 ]; then
  echo "note: the run finished before SIGKILL; kill not exercised"; ok
else
  nok "killed run: rc=$rc ($(head -c 200 "$tmp/k.err"))"
fi

# ---- the built-in example (no --data), shortened --------------------------------------
"$BIN" fit --out "$tmp/b" --members 2 --warmup 200 --samples 100 --de-epochs 3 --quiet >"$tmp/b.out" 2>&1
rc=$?
check "built-in example exits 0 (rc=$rc)" [ "$rc" -eq 0 ]
for f in predictive.csv data.csv plot.gp metrics.json; do check "built-in $f" [ -s "$tmp/b/$f" ]; done
check "predictive.csv: header + 181 grid rows" [ "$(wc -l <"$tmp/b/predictive.csv")" -eq 182 ]
check "data.csv: header + 400 rows" [ "$(wc -l <"$tmp/b/data.csv")" -eq 401 ]
if command -v gnuplot >/dev/null 2>&1; then
  check "built-in predictive.png" [ -s "$tmp/b/predictive.png" ]
fi
check "summary table printed" grep -q '^lppd ' "$tmp/b.out"

# ---- an image task on tiny generated Fashion-MNIST-format files -------------------------
mkdir -p "$tmp/fm"
python3 tests/gen_fmnist.py "$tmp/fm"
"$BIN" fit --task fmnist --data "$tmp/fm" --any-size --members 2 --warmup 20 --samples 20 --thin 10 \
  --batch 32 --de-epochs 2 --out "$tmp/fmo" --quiet --json >"$tmp/fmo.json" 2>"$tmp/fmo.err"
rc=$?
check "fmnist run exits 0 (rc=$rc: $(head -c 200 "$tmp/fmo.err"))" [ "$rc" -eq 0 ]
python3 - "$tmp/fmo.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
ok = all(k in m[p] for p in ("de", "ensemble") for k in
         ("lppd", "accuracy", "acc_bma", "nll_bma", "brier", "ece_top_label", "f1_macro", "seconds", "grad_evals"))
ok = ok and m["ensemble"]["n_test_evaluated"] == 60
sys.exit(0 if ok else 1)
EOF
check "fmnist metrics keys (accuracy, lppd, ...)" [ $? -eq 0 ]
rm -rf "$tmp/bad"
"$BIN" fit --task fmnist --data "$tmp/fm" --out "$tmp/bad" --quiet >/dev/null 2>"$tmp/err"
rc=$?
check "fmnist without --any-size rejects non-official sizes (rc=$rc)" [ "$rc" -eq 2 ]
check "  ... and writes nothing" [ ! -e "$tmp/bad" ]

# ---- bad input: exit 2, one stderr line naming it, nothing written ----------------------
expect_bad() { # expect_bad NAME_IN_MESSAGE ARGS...
  local want="$1"; shift
  rm -rf "$tmp/bad"
  "$BIN" "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  local nl; nl=$(wc -l <"$tmp/err")
  if [ "$rc" -eq 2 ] && [ "$nl" -eq 1 ] && grep -q -- "$want" "$tmp/err" && [ ! -s "$tmp/out" ] \
     && [ ! -e "$tmp/bad" ]; then ok
  else nok "args [$*]: rc=$rc lines=$nl stderr='$(cat "$tmp/err")' (want exit 2 naming '$want')"; fi
}
printf '1 2 3\n4 x 6\n7 8 9\n' >"$tmp/word.data"
printf '1 2 3\n4 nan 6\n7 8 9\n' >"$tmp/nan.data"
printf '1 2 3\n4 5\n7 8 9\n' >"$tmp/short.data"
o=(--out "$tmp/bad" --members 2 --warmup 10 --samples 10 --de-epochs 1 --quiet)
expect_bad "missing.data"  fit --data "$tmp/missing.data" "${o[@]}"
expect_bad "word.data:2"   fit --data "$tmp/word.data" "${o[@]}"
expect_bad "nan.data:2"    fit --data "$tmp/nan.data" "${o[@]}"
expect_bad "short.data:2"  fit --data "$tmp/short.data" "${o[@]}"
expect_bad "--bogus"       fit --data "$DATA" "${o[@]}" --bogus 1
expect_bad "--precond-floor" fit --data "$DATA" "${o[@]}" --precond-floor 1.5
expect_bad "--auto-target" fit --data "$DATA" "${o[@]}" --auto-target 0
expect_bad "--auto-reset-factor" fit --data "$DATA" "${o[@]}" --auto-reset-factor 1
expect_bad "different \"members\"" fit "${longer[@]}" --de-from "$tmp/u" --members 3 --out "$tmp/bad"
expect_bad "nowhere/config.json" fit --data "$DATA" "${o[@]}" --de-from "$tmp/nowhere"
expect_bad "--task"        fit --task mnist --data "$DATA" "${o[@]}"
expect_bad "--gpt-heads"   fit --task text --data "$DATA" "${o[@]}" --gpt-width 32 --gpt-heads 5
expect_bad "--context"     fit --task text --data "$DATA" "${o[@]}" --context 0
expect_bad "mclmc"         fit --task text --data "$DATA" "${o[@]}" --sampler mclmc
expect_bad "nope"          fit --preset nope --data "$DATA" "${o[@]}"
expect_bad "--task text"   fit --preset shakespeare-gpt --task uci --data "$DATA" "${o[@]}"
expect_bad "--model"       fit --model lenet --data "$DATA" "${o[@]}"
expect_bad "--sampler"     fit --sampler hmc --data "$DATA" "${o[@]}"
expect_bad "--members"     fit --members two --data "$DATA" "${o[@]}"
expect_bad "--members"     fit --data "$DATA" "${o[@]}" --members 0
expect_bad "--warmup"      fit --data "$DATA" "${o[@]}" --warmup -1
expect_bad "--step-size"   fit --data "$DATA" "${o[@]}" --step-size 1e-3x
expect_bad "--step-size"   fit --data "$DATA" "${o[@]}" --step-size nan
expect_bad "--thin"        fit --data "$DATA" "${o[@]}" --thin 0
expect_bad "--seed"        fit --data "$DATA" "${o[@]}" --seed -1
expect_bad "--threads"     fit --data "$DATA" "${o[@]}" --threads x
expect_bad "--samples"     fit --data "$DATA" "${o[@]}" --samples
expect_bad "--resume"      fit --resume --out "$tmp/bad"
expect_bad "already holds" fit --data "$DATA" --out "$tmp/r1" --quiet
expect_bad "config.json"   eval "$tmp/nonexistent"
expect_bad "--min-gap"     eval "$tmp/r1" --min-gap -1
check "refused run left $tmp/r1 intact" same "$tmp/r1.stdout" "$tmp/r1/metrics.json"

# ---- --preset: the paper's settings, explicit options override in any order --------------
"$BIN" fit --members 2 --preset mile-uci --data "$DATA" --warmup 200 --samples 100 --de-epochs 5 \
  --quiet --out "$tmp/mile" >/dev/null 2>"$tmp/mile.err"
rc=$?
check "mile-uci preset run exits 0 (rc=$rc: $(head -c 300 "$tmp/mile.err"))" [ "$rc" -eq 0 ]
run_checks "$tmp/mile" <<'EOF'
need(c["model"]["likelihood"] == "gauss_hetero", "mile-uci: heteroscedastic likelihood")
need(c["model"]["hidden"] == [16, 16], "mile-uci: 16-16 model")
need(c["sampler"]["name"] == "mclmc", "mile-uci: sampler mclmc")
need(c["derived"]["sampler_stream"] == "full", "mile-uci: full batch")
need(c["members"] == 2 and c["warmup"] == 200 and c["samples"] == 100,
     "explicit options override the preset (given before and after it)")
need(c["deep_ensemble"]["batch"] == 32 and c["deep_ensemble"]["max_epochs"] == 5,
     "mile-uci DE batch 32 with --de-epochs override")
need(c["deep_ensemble"]["lr"]["lr"] == 1e-3 and c["deep_ensemble"]["weight_decay"] == 1e-3,
     "mile-uci DE lr/wd 1e-3")
need(math.isfinite(m["ensemble"]["lppd"]), "mile-uci ensemble lppd finite")
EOF
check "mile-uci config.json / metrics.json" [ $? -eq 0 ]
"$BIN" fit --help >"$tmp/help" 2>&1
for p in smile-uci mile-uci fmnist-lenet cifar10-resnet7 cifar10-resnet18 imagenette-vit shakespeare-gpt; do
  check "--help documents preset $p" grep -q -- "$p" "$tmp/help"
done

# ---- --task text: a tiny GPT on the first 40,000 characters (docs/experiments.md, section 2.3)
TEXT="${SMILE_DATA:-../shared/data}/shakespeare/shakespeare_simple.txt"
if [ -f "$TEXT" ]; then
  head -c 40000 "$TEXT" >"$tmp/tiny.txt"
  txt=(--task text --data "$tmp/tiny.txt" --members 2 --gpt-layers 2 --gpt-width 32 --gpt-heads 2
       --context 32 --de-epochs 2 --de-batch 16 --batch 16 --warmup 20 --samples 50 --thin 10
       --seed 2 --quiet)
  t0=$(date +%s.%N)
  "$BIN" fit "${txt[@]}" --threads 2 --out "$tmp/txt" >/dev/null 2>"$tmp/txt.err"
  rc=$?
  t1=$(date +%s.%N)
  echo "cli_fit: text run $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s"
  check "text run exits 0 (rc=$rc: $(head -c 300 "$tmp/txt.err"))" [ "$rc" -eq 0 ]
  run_checks "$tmp/txt" <<'EOF'
need(c["model"]["kind"] == "gpt" and c["model"]["gpt_width"] == 32 and c["model"]["context"] == 32,
     "config records the GPT sizes")
need(c["derived"]["sampler_stream"] == "random_windows", "sampler uses random windows")
# text split: train = floor(0.9 n) tokens, n_b = floor(floor(n_train/T)/B)
n = c["derived"]["n_rows"]
need(c["derived"]["train_tokens"] == int(0.9 * n), "90 % training tokens")
need(c["derived"]["likelihood_scale"] == max(1, (int(0.9 * n) // 32) // 16), "n_b of the text task")
for ph in ("de", "ensemble"):
    e = m[ph]
    for k in ("lppd", "perplexity", "accuracy"):
        need(fin(e.get(k)), f"{ph}.{k} finite")
    # perplexity = exp(-token LPPD) (docs/method.md, section 11.8)
    need(fin(e.get("perplexity")) and fin(e.get("lppd")) and
         abs(math.log(e["perplexity"]) + e["lppd"]) < 1e-9 * max(1, abs(e["lppd"])),
         f"{ph}: perplexity = exp(-lppd)")
    need(e.get("n_test_evaluated") == 128 * 32, f"{ph}: 128 windows x 32 positions scored")
    need(e.get("n_members_pooled") == 2, f"{ph}: both members pooled")
    # a trained model beats the uniform predictive over the vocabulary
    need(fin(e.get("perplexity")) and e["perplexity"] < c["derived"]["vocab_size"],
         f"{ph}: perplexity below the vocabulary size")
need(m["ensemble"]["grad_evals"] == 2 * 70 * 2, "grad evals = chains*steps*2")
EOF
  check "text metrics.json" [ $? -eq 0 ]
  "$BIN" eval "$tmp/txt" >/dev/null 2>&1
  check "smile eval on the text run" [ $? -eq 0 ]
else
  nok "text data not found at $TEXT"
fi

echo "cli_fit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
