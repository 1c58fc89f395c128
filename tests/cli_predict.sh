#!/usr/bin/env bash
# `smile predict` on image and text runs (tiny fits on generated files):
# Fashion-MNIST IDX files and CIFAR-10 batch files give one row of class
# probabilities per image, summing to 1, whose mean log density on the run's
# test images is the fit's test LPPD (same images, same pooled samples);
# a text run continues a prompt deterministically for a seed, with N
# characters of its vocabulary, and names a prompt character it does not know.
# The file readers themselves are checked against the loaders in
# tests/test_predict_images.c (JPEG included).
source "$(dirname "$0")/lib_cli.sh"
PY=python3

# per-row probabilities sum to 1; mean log_density = the run's test LPPD
check_images() { # check_images RUN PRED.json N_ROWS
  "$PY" - "$@" <<'EOF'
import json, math, sys
run, pred, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = json.load(open(pred))
lppd = json.load(open(run + "/metrics.json"))["ensemble"]["lppd"]
assert len(rows) == n, f"{len(rows)} rows, expected {n}"
for r in rows:
    s = sum(v for k, v in r.items() if k.startswith("p_"))
    assert abs(s - 1) < 1e-9, f"probabilities sum to {s}"
    assert r["predicted"] in [k[2:] for k in r if k.startswith("p_")]
    assert r["entropy"] >= 0 and r["mutual_info"] >= -1e-12
ld = sum(r["log_density"] for r in rows) / n
assert abs(ld - lppd) < 1e-4, f"mean log_density {ld} vs lppd {lppd}"
EOF
}

# ---- Fashion-MNIST: tiny LeNet on generated IDX files ----------------------------------
mkdir -p "$tmp/fm"
"$PY" tests/gen_fmnist.py "$tmp/fm"
"$BIN" fit --task fmnist --data "$tmp/fm" --any-size --members 2 --warmup 20 --samples 20 --thin 10 \
  --batch 32 --de-epochs 2 --threads 2 --out "$tmp/fmo" --quiet >/dev/null 2>"$tmp/err"
check "fmnist fit ($(head -c 200 "$tmp/err"))" [ $? -eq 0 ]
check "model.json records the image transform" "$PY" -c "
import json; i = json.load(open('$tmp/fmo/model.json'))['inputs']
assert i['kind'] == 'images' and i['image'] == {'height': 28, 'width': 28, 'channels': 1,
    'pixel_scale': 1 / 255, 'mean': [0], 'std': [1]}, i"
"$BIN" predict "$tmp/fmo" --data "$tmp/fm/t10k-images-idx3-ubyte.gz" --format json \
  --out "$tmp/fm.json" >"$tmp/out" 2>&1
check "predict on the IDX test file ($(head -c 200 "$tmp/out"))" [ $? -eq 0 ]
check "fmnist: probabilities, log density = test LPPD" check_images "$tmp/fmo" "$tmp/fm.json" 60
check "summary line with accuracy" grep -q "^rows 60  mean log_density .* accuracy" "$tmp/out"
"$BIN" predict "$tmp/fmo" --data "$tmp/fm" --format json --out "$tmp/fmd.json" >/dev/null 2>&1
check "a folder reads its t10k files" cmp -s "$tmp/fm.json" "$tmp/fmd.json"
mkdir -p "$tmp/new"; cp "$tmp/fm/t10k-images-idx3-ubyte.gz" "$tmp/new/mine-images-idx3-ubyte.gz"
"$BIN" predict "$tmp/fmo" --data "$tmp/new/mine-images-idx3-ubyte.gz" >"$tmp/nl.csv" 2>"$tmp/err"
check "images without labels ($(head -c 200 "$tmp/err"))" [ $? -eq 0 ]
check "  ... no observed column" "$PY" -c "
import csv; r = list(csv.DictReader(open('$tmp/nl.csv')))
assert len(r) == 60 and 'observed' not in r[0] and 'p_ankle boot' in r[0]"
"$BIN" predict "$tmp/fmo" --data "$tmp/fm/train-labels-idx1-ubyte.gz" >/dev/null 2>"$tmp/err"
check "a label file as images: exit 2 naming the magic" \
  bash -c "[ $? -eq 2 ] && grep -q 'magic' '$tmp/err'"
"$BIN" predict "$tmp/fmo" --prompt "a" >/dev/null 2>"$tmp/err"
check "--prompt on an image run: exit 2" bash -c "[ $? -eq 2 ] && grep -q 'not a text run' '$tmp/err'"

# ---- CIFAR-10: LeNet-sized run on generated batch files --------------------------------
mkdir -p "$tmp/cf"
"$PY" - "$tmp/cf" <<'EOF'
import os, random, sys
random.seed(1)
def rec():
    c = random.randrange(10)
    b = bytearray([c])
    for ch in range(3):
        for r in range(32):
            for q in range(32):
                b.append(220 if (q // 3) % 10 == c else random.randrange(50))
    return b
for name, n in [("data_batch_%d.bin" % i, 40) for i in range(1, 6)] + [("test_batch.bin", 30)]:
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        for _ in range(n): f.write(rec())
EOF
"$BIN" fit --task cifar10 --model lenet --data "$tmp/cf" --any-size --members 2 --warmup 20 \
  --samples 20 --thin 10 --batch 32 --de-epochs 2 --threads 2 --out "$tmp/cfo" --quiet \
  >/dev/null 2>"$tmp/err"
check "cifar10 fit ($(head -c 200 "$tmp/err"))" [ $? -eq 0 ]
"$BIN" predict "$tmp/cfo" --data "$tmp/cf/test_batch.bin" --format json --out "$tmp/cf.json" \
  >"$tmp/out" 2>&1
check "predict on the CIFAR test batch ($(head -c 200 "$tmp/out"))" [ $? -eq 0 ]
check "cifar10: probabilities, log density = test LPPD" check_images "$tmp/cfo" "$tmp/cf.json" 30
"$BIN" predict "$tmp/cfo" --data "$tmp/fm/t10k-images-idx3-ubyte.gz" >/dev/null 2>"$tmp/err"
check "an IDX file for a CIFAR run: exit 2 (record size)" \
  bash -c "[ $? -eq 2 ] && grep -q '3073' '$tmp/err'"

# ---- text: a tiny GPT ---------------------------------------------------------------------
TEXT="${SMILE_DATA:-../shared/data}/shakespeare/shakespeare_simple.txt"
if [ -f "$TEXT" ]; then
  head -c 40000 "$TEXT" >"$tmp/tiny.txt"
  "$BIN" fit --task text --data "$tmp/tiny.txt" --members 2 --gpt-layers 2 --gpt-width 32 \
    --gpt-heads 2 --context 32 --de-epochs 2 --de-batch 16 --batch 16 --warmup 20 --samples 50 \
    --thin 10 --seed 2 --threads 2 --quiet --out "$tmp/txt" >/dev/null 2>"$tmp/err"
  check "text fit ($(head -c 200 "$tmp/err"))" [ $? -eq 0 ]
  g() { "$BIN" predict "$tmp/txt" --prompt "ROMEO:" "$@"; }
  g --generate 80 --seed 5 --out "$tmp/g1" 2>"$tmp/err"
  check "generate exits 0 ($(head -c 200 "$tmp/err"))" [ $? -eq 0 ]
  g --generate 80 --seed 5 --threads 1 --out "$tmp/g2" 2>/dev/null
  check "same seed: same text (1 and 2 threads)" cmp -s "$tmp/g1" "$tmp/g2"
  g --generate 80 --seed 6 --out "$tmp/g3" 2>/dev/null
  check "another seed: another text" bash -c "! cmp -s '$tmp/g1' '$tmp/g3'"
  g --generate 80 --seed 5 >"$tmp/g4" 2>/dev/null
  check "standard output: the text and a newline" bash -c "[ \"\$(cat '$tmp/g4')\" = \"\$(cat '$tmp/g1')\" ]"
  check "80 characters of the run's vocabulary, 300 for a long run past the context" "$PY" -c "
import json, subprocess
v = set(map(chr, json.load(open('$tmp/txt/model.json'))['inputs']['vocab']))
t = open('$tmp/g1', encoding='utf-8').read()
assert len(t) == 80 and set(t) <= v, (len(t), set(t) - v)
t = subprocess.run(['$BIN', 'predict', '$tmp/txt', '--prompt', 'A', '--generate', '300'],
                   capture_output=True, check=True).stdout.decode()
assert t.endswith('\n') and len(t) == 301 and set(t[:-1]) <= v, (len(t), set(t[:-1]) - v)"
  g --generate 0 --out "$tmp/g0" 2>/dev/null
  check "--generate 0: empty" bash -c "[ -f '$tmp/g0' ] && [ ! -s '$tmp/g0' ]"
  "$BIN" predict "$tmp/txt" --prompt "ROMEO€" --generate 5 >/dev/null 2>"$tmp/err"
  check "unknown prompt character: exit 2 naming it" \
    bash -c "[ $? -eq 2 ] && grep -q \"'€' (U+20AC)\" '$tmp/err'"
  "$BIN" predict "$tmp/txt" --prompt "" >/dev/null 2>"$tmp/err"
  check "empty prompt: exit 2" bash -c "[ $? -eq 2 ] && grep -q 'empty' '$tmp/err'"
  "$BIN" predict "$tmp/txt" --data "$tmp/tiny.txt" >/dev/null 2>"$tmp/err"
  check "--data on a text run: exit 2" [ $? -eq 2 ]
  "$BIN" predict "$tmp/txt" --prompt "A" --temperature 0 >/dev/null 2>"$tmp/err"
  check "--temperature 0: exit 2" [ $? -eq 2 ]
else
  nok "text data not found at $TEXT"
fi

"$BIN" predict --help >"$tmp/help" 2>&1
for w in "--prompt" "--generate" "--temperature" "t10k-images-idx3-ubyte" "test_batch.bin" "JPEG"; do
  check "--help mentions $w" grep -q -- "$w" "$tmp/help"
done

echo "cli_predict: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
