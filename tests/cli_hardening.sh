#!/usr/bin/env bash
# CLI regression tests of the hardening fixes: sizes that would wrap (bench-model
# --size/--batch/--hidden/--inputs → exit 2 naming the option, or an out-of-memory
# message naming it), an MCLMC warm-up too long to tune (a clear error, no crash),
# inputs that are not regular files (a FIFO or device → "not a regular file",
# exit 2, no hang), an --out that cannot be created (exit 2, nothing written),
# one deep-ensemble member (smile fit and smile eval succeed), UCI columns whose
# sums overflow (finite standardisation). Every command runs under `timeout`, so
# a hang fails instead of hanging. Uses $SMILE_BIN and $SMILE_DATA.
# Last line: "cli_hardening: N passed, N failed".
source "$(dirname "$0")/lib_cli.sh"
DATA="${SMILE_DATA:-../shared/data}/airfoil/airfoil.data"
T() { timeout 60 "$@"; }

# run_rc NAME WANT_RC CMD...: runs CMD (stderr to $tmp/NAME.err), checks its exit code
run_rc() {
  local name="$1" want="$2"; shift 2
  T "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  local rc=$?
  check "$name: exit $want (got $rc: $(head -c 300 "$tmp/$name.err"))" [ "$rc" -eq "$want" ]
}
# err_has NAME TEXT: stderr of run NAME contains TEXT
err_has() { check "$1: stderr mentions '$2' ($(head -c 300 "$tmp/$1.err"))" grep -qF -- "$2" "$tmp/$1.err"; }
err_lacks() { check "$1: stderr does not mention '$2' ($(head -c 300 "$tmp/$1.err"))" \
  bash -c '! grep -qF -- "$1" "$2"' _ "$2" "$tmp/$1.err"; }

# ---- sizes of bench-model ----------------------------------------------------------------
run_rc sgemm_2g 2 "$BIN" bench-model --sgemm --size 2147483648
err_has sgemm_2g "--size"
run_rc sgemm_big 2 "$BIN" bench-model --sgemm --size 2147483647
err_has sgemm_big "--size 2147483647: too large (at most"
run_rc sgemm_4g 2 "$BIN" bench-model --sgemm --size 4294967296
err_has sgemm_4g "--size"
check "sgemm_4g prints no rate" [ ! -s "$tmp/sgemm_4g.out" ]
run_rc batch_wrap 2 "$BIN" bench-model --model fcn --batch 4611686018427387905
err_has batch_wrap "--batch"
run_rc hidden_wrap 2 "$BIN" bench-model --model fcn --hidden 4611686018427387905 --seconds 0.01
err_has hidden_wrap "--hidden 4611686018427387905"
run_rc inputs_wrap 2 "$BIN" bench-model --model fcn --inputs 4611686018427387905 --seconds 0.01
err_has inputs_wrap "--inputs 4611686018427387905"
# too large for memory, not for size_t: a runtime error naming the option that asked
run_rc hidden_oom 1 "$BIN" bench-model --model fcn --hidden 4000000000 --seconds 0.01
err_has hidden_oom "--hidden 4000000000"
err_has hidden_oom "out of memory"
run_rc inputs_oom 1 "$BIN" bench-model --model fcn --inputs 4000000000 --seconds 0.01
err_has inputs_oom "--inputs 4000000000"
"$BIN" bench-model --help | tr -s ' \n' '  ' >"$tmp/bm_help.txt"
check "help states the --size limit" grep -q "SGEMM size, at most 2^31-1" "$tmp/bm_help.txt"
check "help states the --batch limit" grep -q "per gradient, at most 2^30" "$tmp/bm_help.txt"

# ---- an MCLMC warm-up whose tuning record cannot be allocated -------------------------------
ASAN_OPTIONS="${ASAN_OPTIONS:-}:allocator_may_return_null=1" \
  T "$BIN" analytic --target icg --noise none --sampler mclmc --steps 10 \
  --warmup 1099511627776 >"$tmp/warm.out" 2>"$tmp/warm.err"
rc=$?
check "huge mclmc warm-up: a clean error exit (rc=$rc)" [ "$rc" -eq 1 -o "$rc" -eq 2 ]
err_has warm "MCLMC warm-up of 1099511627776 steps"

if [ ! -f "$DATA" ]; then
  echo "cli_hardening: airfoil data not found at $DATA"
  echo "cli_hardening: $pass passed, $((fail+1)) failed"; exit 1
fi
small=(--task uci --data "$DATA" --warmup 60 --samples 40 --thin 10 --de-epochs 2 --seed 3 --quiet)

# ---- inputs that are not regular files, outputs that cannot be written ----------------------
mkfifo "$tmp/fifo"
run_rc data_devnull 2 "$BIN" fit "${small[@]}" --data /dev/null --out "$tmp/o1"
err_has data_devnull "not a regular file"
err_lacks data_devnull "no such file"
run_rc data_fifo_uci 2 "$BIN" fit "${small[@]}" --data "$tmp/fifo" --out "$tmp/o2"
err_has data_fifo_uci "not a regular file"
run_rc data_fifo_table 2 "$BIN" fit --data "$tmp/fifo" --warmup 10 --samples 10 --quiet --out "$tmp/o3"
err_has data_fifo_table "not a regular file"
touch "$tmp/plainfile"
run_rc out_under_file 2 "$BIN" fit "${small[@]}" --members 2 --out "$tmp/plainfile/run"
err_has out_under_file "--out"
run_rc out_proc 2 "$BIN" fit "${small[@]}" --members 2 --out /proc/smile_no_such/run
err_has out_proc "--out"
check "nothing written for a bad --out" [ ! -e "$tmp/o1" -a ! -e "$tmp/o2" -a ! -e "$tmp/o3" ]
# a new nested --out is checked without leaving anything behind when the run is refused
run_rc out_nested_bad 2 "$BIN" fit "${small[@]}" --members 2 --de-from "$tmp/nowhere" --out "$tmp/n1/n2/run"
check "refused run leaves no directories" [ ! -e "$tmp/n1" ]

# ---- one deep-ensemble member (homoscedastic) ---------------------------------------------
run_rc m1_fit 0 "$BIN" fit "${small[@]}" --members 1 --out "$tmp/m1"
check "members 1: metrics.json written" [ -s "$tmp/m1/metrics.json" ]
check "members 1: de.lppd is finite" python3 -c '
import json, math, sys
m = json.load(open(sys.argv[1]))
v = m["de"]["lppd"]
sys.exit(0 if isinstance(v, float) and math.isfinite(v) and m["de"]["n_members_pooled"] == 1 else 1)' "$tmp/m1/metrics.json"
run_rc m1_eval 0 "$BIN" eval "$tmp/m1"

# ---- smile eval: a sample file that is a FIFO, a --data that is a device ------------------
run_rc m2_fit 0 "$BIN" fit "${small[@]}" --members 2 --out "$tmp/m2"
cp -r "$tmp/m2" "$tmp/m2f"
rm "$tmp/m2f/samples/member_1.npy" && mkfifo "$tmp/m2f/samples/member_1.npy"
run_rc eval_fifo 2 "$BIN" eval "$tmp/m2f"
err_has eval_fifo "member_1.npy: not a regular file"
run_rc eval_devnull 2 "$BIN" eval "$tmp/m2" --data /dev/null
err_has eval_devnull "not a regular file"

# ---- smile eval when the divergence rule leaves one DE member --------------------------------
cp -r "$tmp/m2" "$tmp/m2n"
# member 1's first parameter becomes NaN: that member diverges, one is pooled
d=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dim"])' "$tmp/m2/layout.json")
printf '\x00\x00\xc0\x7f' | dd of="$tmp/m2n/de_members.npy" bs=1 seek=$((128 + d * 4)) conv=notrunc status=none
run_rc eval_one_left 0 "$BIN" eval "$tmp/m2n"
check "one DE member pooled after the divergence rule" python3 -c '
import json, math, sys
m = json.load(open(sys.argv[1]))["de"]
sys.exit(0 if m["n_members_pooled"] == 1 and math.isfinite(m["lppd"]) else 1)' "$tmp/m2n/metrics.json"

# ---- UCI columns whose sums overflow double; outlying values -----------------------------
# airfoil with its first column scaled to a maximum of 1.7e308: the plain sums overflow
python3 - "$DATA" "$tmp/huge.data" <<'EOF'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
c = max(abs(float(r[0])) for r in rows)
with open(sys.argv[2], "w") as f:
    for r in rows:
        f.write(" ".join(["%.17g" % (float(r[0]) * (1.7e308 / c))] + r[1:]) + "\n")
EOF
run_rc huge_fit 0 "$BIN" fit "${small[@]}" --data "$tmp/huge.data" --members 2 --out "$tmp/hu"
check "overflowing column: finite standardisation and metrics" python3 -c '
import json, math, sys
d = sys.argv[1]
mod = json.load(open(d + "/model.json"))["inputs"]
m = json.load(open(d + "/metrics.json"))
ok = all(isinstance(v, float) and math.isfinite(v) for v in mod["x_mean"] + mod["x_sd"])
ok = ok and mod["x_sd"][0] > 1e307 and all(math.isfinite(m[p]["lppd"]) for p in ("de", "ensemble"))
sys.exit(0 if ok else 1)' "$tmp/hu"
# one value 1000 standard deviations out needs over a million rows (|z| <= sqrt(n - 1))
python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    for i in range(1000100):
        f.write("1 1 %d\n" % (i % 7) if i == 499 else "0 %d %d\n" % (i % 3, i % 7))' "$tmp/outl.data"
run_rc outlier_fit 0 "$BIN" fit --task uci --data "$tmp/outl.data" --members 2 --de-epochs 1 \
  --warmup 2 --samples 2 --thin 1 --quiet --out "$tmp/ol"
err_has outlier_fit "note: $tmp/outl.data: column 1: 1 value more than 1000 standard deviations from the mean (line 500)"

echo "cli_hardening: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
