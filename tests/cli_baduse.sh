#!/usr/bin/env bash
# Bad-use matrix: malformed invocations of every subcommand (unknown options
# anywhere on the line, missing values, 0, negative, NaN, hex, 2^63, words,
# nonexistent paths, directories, FIFOs, /dev/null, unwritable outputs,
# conflicting options, --resume on nothing). Each must exit 2 with exactly one
# line on stderr that names the option or the file, print nothing on stdout,
# and leave nothing behind: every output path of the matrix lies under
# $tmp/w/, which must stay empty. Every command runs under `timeout` (a hang
# fails). Uses $SMILE_BIN and $SMILE_DATA.
# Last line: "cli_baduse: N passed, N failed".
source "$(dirname "$0")/lib_cli.sh"
DATA="${SMILE_DATA:-../shared/data}/airfoil/airfoil.data"
n_cases=0

# bad WANT ARGS...: exit 2, one stderr line containing WANT, nothing on stdout.
bad() {
  local want="$1"; shift
  n_cases=$((n_cases + 1))
  timeout 60 "$BIN" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; local rc=$?
  local nl; nl=$(wc -l <"$tmp/err")
  if [ "$rc" -eq 2 ] && [ "$nl" -eq 1 ] && grep -qF -- "$want" "$tmp/err" && [ ! -s "$tmp/out" ]; then ok
  else nok "[$*]: rc=$rc lines=$nl stdout=$(wc -c <"$tmp/out")B stderr='$(head -c 300 "$tmp/err")' (want exit 2, one line with '$want')"; fi
}

if [ ! -f "$DATA" ]; then
  echo "cli_baduse: airfoil data not found at $DATA"
  echo "cli_baduse: $pass passed, $((fail+1)) failed"; exit 1
fi
W="$tmp/w"; mkdir -p "$W"             # every output of the matrix lies here: stays empty
mkfifo "$tmp/fifo"
mkdir "$tmp/dir"
touch "$tmp/empty.csv"
python3 -c 'print("a,b"); [print("%d,%d" % (i, i % 3)) for i in range(30)]' >"$tmp/tiny.csv"
RO=/proc/self                          # a folder nobody may create files in, root included
# a small finished run for predict and eval (and as an --out that already holds a run)
"$BIN" fit --task uci --data "$DATA" --members 2 --warmup 20 --samples 20 --thin 10 \
  --de-epochs 1 --seed 3 --quiet --out "$tmp/run" >/dev/null 2>"$tmp/run.err"
check "setup run ($(head -c 200 "$tmp/run.err"))" [ -s "$tmp/run/metrics.json" ]
cut -d' ' -f1-5 <"$DATA" | head -5 | tr ' ' ',' >"$tmp/new.csv"
U=(--task uci --data "$DATA")          # a valid data set for fit
B63=9223372036854775808                # 2^63
H=0x10

# ---- smile itself and help ----------------------------------------------------------------------
bad "unknown option '--frobnicate'"          --frobnicate
bad "unknown command 'fitt'"                 fitt
bad "unknown command 'nosuch'"               help nosuch
bad "unknown option '--x'"                   help fit --x
bad "unknown command '-'"                    -

# ---- fit: unknown options anywhere ----------------------------------------------------------------
bad "unknown option '--frobnicate'"          fit --frobnicate "${U[@]}" --out "$W/f1"
bad "unknown option '--frobnicate'"          fit "${U[@]}" --frobnicate --out "$W/f2"
bad "unknown option '--frobnicate'"          fit "${U[@]}" --out "$W/f3" --frobnicate
bad "unknown option '--Members'"             fit "${U[@]}" --Members 2 --out "$W/f4"
bad "unknown option '-m'"                    fit "${U[@]}" -m 2 --out "$W/f5"
bad "unexpected argument 'extra'"            fit "${U[@]}" extra --out "$W/f6"
# ---- fit: missing values ------------------------------------------------------------------------
bad "--out needs a value"                    fit "${U[@]}" --out
bad "--data needs a value"                   fit --task uci --data
bad "--members needs a value"                fit "${U[@]}" --members
bad "--seed needs a value"                   fit "${U[@]}" --out "$W/f7" --seed
bad "--step-size needs a value"              fit "${U[@]}" --out "$W/f8" --step-size
# ---- fit: numbers ------------------------------------------------------------------------------
bad "--members: '0'"                         fit "${U[@]}" --members 0 --out "$W/f9"
bad "--members: '-2'"                        fit "${U[@]}" --members -2 --out "$W/f10"
bad "--members: 'NaN'"                       fit "${U[@]}" --members NaN --out "$W/f11"
bad "--members: '$H'"                        fit "${U[@]}" --members $H --out "$W/f12"
bad "--members: '$B63'"                      fit "${U[@]}" --members $B63 --out "$W/f13"
bad "--members: 'two'"                       fit "${U[@]}" --members two --out "$W/f14"
bad "--members: ''"                          fit "${U[@]}" --members= --out "$W/f15"
bad "--members: '2.5'"                       fit "${U[@]}" --members 2.5 --out "$W/f16"
bad "--warmup: '-1'"                         fit "${U[@]}" --warmup -1 --out "$W/f17"
bad "--warmup: '$B63'"                       fit "${U[@]}" --warmup $B63 --out "$W/f18"
bad "--samples: '0'"                         fit "${U[@]}" --samples 0 --out "$W/f19"
bad "--samples: '1e9999'"                    fit "${U[@]}" --samples 1e9999 --out "$W/f20"
bad "--thin: '$H'"                           fit "${U[@]}" --thin $H --out "$W/f21"
bad "--batch: '0'"                           fit "${U[@]}" --batch 0 --out "$W/f22"
bad "--batch: '$B63'"                        fit "${U[@]}" --batch $B63 --out "$W/f23"
bad "--step-size: '0'"                       fit "${U[@]}" --step-size 0 --out "$W/f24"
bad "--step-size: '-1e-3'"                   fit "${U[@]}" --step-size -1e-3 --out "$W/f25"
bad "--step-size: 'nan'"                     fit "${U[@]}" --step-size nan --out "$W/f26"
bad "--step-size: 'inf'"                     fit "${U[@]}" --step-size inf --out "$W/f27"
bad "--step-size: '1e400'"                   fit "${U[@]}" --step-size 1e400 --out "$W/f28"
bad "--step-size: '0x1p-3x'"                 fit "${U[@]}" --step-size 0x1p-3x --out "$W/f29"
bad "--seed: '-1'"                           fit "${U[@]}" --seed -1 --out "$W/f30"
bad "--seed: '18446744073709551616'"         fit "${U[@]}" --seed 18446744073709551616 --out "$W/f31"
bad "--seed: 'abc'"                          fit "${U[@]}" --seed abc --out "$W/f32"
bad "--threads: '-1'"                        fit "${U[@]}" --threads -1 --out "$W/f33"
bad "--prior-sd: '0'"                        fit "${U[@]}" --prior-sd 0 --out "$W/f34"
bad "--prior-sd: 'NaN'"                      fit "${U[@]}" --prior-sd NaN --out "$W/f35"
bad "--de-epochs: '-5'"                      fit "${U[@]}" --de-epochs -5 --out "$W/f36"
bad "--de-lr: '0'"                           fit "${U[@]}" --de-lr 0 --out "$W/f37"
bad "--de-wd: '-1'"                          fit "${U[@]}" --de-wd -1 --out "$W/f38"
bad "--de-batch: '-1'"                       fit "${U[@]}" --de-batch -1 --out "$W/f39"
bad "--de-beta2: '1'"                        fit "${U[@]}" --de-beta2 1 --out "$W/f40"
bad "--checkpoint-seconds: '-1'"             fit "${U[@]}" --checkpoint-seconds -1 --out "$W/f41"
bad "--trace-every: '0'"                     fit "${U[@]}" --trace-every 0 --out "$W/f42"
bad "--auto-target: 'nan'"                   fit "${U[@]}" --auto-target nan --out "$W/f43"
bad "--hidden"                               fit "${U[@]}" --hidden 16,x --out "$W/f44"
bad "--hidden"                               fit "${U[@]}" --hidden 0 --out "$W/f45"
bad "--hidden"                               fit "${U[@]}" --hidden 16,,16 --out "$W/f46"
bad "--hidden"                               fit "${U[@]}" --hidden $B63 --out "$W/f47"
bad "--split"                                fit --data "$tmp/tiny.csv" --split 0.5,0.6 --out "$W/f48"
bad "--split"                                fit --data "$tmp/tiny.csv" --split -1,0.5 --out "$W/f49"
bad "--split"                                fit --data "$tmp/tiny.csv" --split nan,0.1 --out "$W/f50"
bad "--gpt-heads"                            fit --task text --data "$DATA" --gpt-width 10 --gpt-heads 3 --out "$W/f51"
bad "--context: '0'"                         fit --task text --data "$DATA" --context 0 --out "$W/f52"
# ---- fit: names ----------------------------------------------------------------------------
bad "--task: unknown value 'ucii'"            fit --task ucii --data "$DATA" --out "$W/f53"
bad "--sampler: unknown value 'smiley'"      fit "${U[@]}" --sampler smiley --out "$W/f54"
bad "--sampler: unknown value ''"            fit "${U[@]}" --sampler= --out "$W/f55"
bad "--preset: unknown preset 'nope'"         fit --preset nope --out "$W/f56"
bad "--model: unknown value 'vgg'"           fit --task fmnist --model vgg --out "$W/f57"
bad "--activation: unknown value 'sigmoid'"  fit "${U[@]}" --activation sigmoid --out "$W/f58"
bad "--likelihood: unknown value 'poisson'"  fit "${U[@]}" --likelihood poisson --out "$W/f59"
bad "--missing: unknown value 'zero'"        fit --data "$tmp/tiny.csv" --missing zero --out "$W/f60"
bad "--header: unknown value 'maybe'"        fit --data "$tmp/tiny.csv" --header maybe --out "$W/f61"
bad "--target"                               fit --data "$tmp/tiny.csv" --target nosuchcol --out "$W/f62"
bad "--target"                               fit --data "$tmp/tiny.csv" --target 9 --out "$W/f63"
bad "--features"                             fit --data "$tmp/tiny.csv" --features zz --out "$W/f64"
bad "--drop"                                 fit --data "$tmp/tiny.csv" --drop zz --out "$W/f65"
# ---- fit: files --------------------------------------------------------------------------------
bad "$tmp/nosuch.data"                       fit --task uci --data "$tmp/nosuch.data" --out "$W/f66"
bad "$tmp/nosuch.csv"                        fit --data "$tmp/nosuch.csv" --out "$W/f67"
bad "$tmp/dir"                               fit --task uci --data "$tmp/dir" --out "$W/f68"
bad "$tmp/dir"                               fit --data "$tmp/dir" --out "$W/f69"
bad "$tmp/fifo"                              fit --task uci --data "$tmp/fifo" --out "$W/f70"
bad "/dev/null"                              fit --data /dev/null --out "$W/f71"
bad "$tmp/empty.csv"                         fit --data "$tmp/empty.csv" --out "$W/f72"
bad "$tmp/fifo"                              fit --data "$tmp/tiny.csv" --test "$tmp/fifo" --out "$W/f73"
bad "$tmp/nosuch.csv"                        fit --data "$tmp/tiny.csv" --test "$tmp/nosuch.csv" --out "$W/f74"
bad "$tmp/dir"                               fit --data "$tmp/tiny.csv" --test "$tmp/tiny.csv" --valid "$tmp/dir" --out "$W/f75"
bad "$tmp/nosuch_dir"                        fit --task fmnist --data "$tmp/nosuch_dir" --out "$W/f76"
bad "$tmp/nosuch.tar.gz"                     fit --task cifar10 --data "$tmp/nosuch.tar.gz" --out "$W/f77"
bad "$tmp/fifo"                              fit --task imagenette --data "$tmp/fifo" --out "$W/f78"
bad "$tmp/dir"                               fit --task text --data "$tmp/dir" --out "$W/f79"
bad "--de-from"                              fit "${U[@]}" --de-from "$tmp/nosuch_run" --out "$W/f80"
bad "--de-from"                              fit "${U[@]}" --de-from "$tmp/dir" --out "$W/f81"
# ---- fit: outputs that cannot be written ----------------------------------------------------------
bad "--out"                                  fit "${U[@]}" --out "$tmp/tiny.csv/run"
bad "--out"                                  fit "${U[@]}" --out "$RO/run"
bad "--out"                                  fit "${U[@]}" --out "$tmp/fifo"
bad "--out"                                  fit "${U[@]}" --out /dev/null
bad "--out"                                  fit "${U[@]}" --out "$tmp/run"
bad "--out"                                  fit "${U[@]}" --out ""
# ---- fit: conflicting options, --resume on nothing -------------------------------------------------
bad "--resume needs --out DIR"               fit --resume
bad "--resume"                               fit --resume --out "$W/f82"
bad "--resume"                               fit --resume --out "$tmp/dir"
bad "--resume"                               fit --resume --out "$tmp/tiny.csv"
bad "--resume"                               fit --resume --out "$tmp/fifo"
bad "--seed: --resume takes every setting"   fit --resume --out "$tmp/run" --seed 4
bad "--test"                                 fit "${U[@]}" --test "$tmp/tiny.csv" --out "$W/f83"
bad "--valid"                                fit --data "$tmp/tiny.csv" --valid "$tmp/tiny.csv" --out "$W/f84"
bad "--gpt-layers"                           fit "${U[@]}" --gpt-layers 2 --out "$W/f85"

# ---- predict -------------------------------------------------------------------------------------
bad "unknown option '--frobnicate'"          predict "$tmp/run" --frobnicate --data "$tmp/new.csv"
bad "unknown option '--frobnicate'"          predict --frobnicate "$tmp/run" --data "$tmp/new.csv"
bad "missing run directory"                  predict
bad "unexpected argument"                    predict "$tmp/run" "$tmp/run" --data "$tmp/new.csv"
bad "--data needs a value"                   predict "$tmp/run" --data
bad "$tmp/nosuch_run"                        predict "$tmp/nosuch_run" --data "$tmp/new.csv"
bad "$tmp/dir"                               predict "$tmp/dir" --data "$tmp/new.csv"
bad "$tmp/tiny.csv"                          predict "$tmp/tiny.csv" --data "$tmp/new.csv"
bad "$tmp/nosuch.csv"                        predict "$tmp/run" --data "$tmp/nosuch.csv"
bad "$tmp/dir"                               predict "$tmp/run" --data "$tmp/dir"
bad "$tmp/fifo"                              predict "$tmp/run" --data "$tmp/fifo"
bad "/dev/null"                              predict "$tmp/run" --data /dev/null
bad "--interval"                             predict "$tmp/run" --data "$tmp/new.csv" --interval 1.5
bad "--interval"                             predict "$tmp/run" --data "$tmp/new.csv" --interval nan
bad "--interval"                             predict "$tmp/run" --data "$tmp/new.csv" --interval 0x1
bad "--interval"                             predict "$tmp/run" --data "$tmp/new.csv" --interval 0.5,,0.9
bad "--format: unknown value 'xml'"          predict "$tmp/run" --data "$tmp/new.csv" --format xml
bad "--format npy needs --out FILE"          predict "$tmp/run" --data "$tmp/new.csv" --format npy
bad "--threads: '-1'"                        predict "$tmp/run" --data "$tmp/new.csv" --threads -1
bad "--threads: '$B63'"                      predict "$tmp/run" --data "$tmp/new.csv" --threads $B63
bad "--out"                                  predict "$tmp/run" --data "$tmp/new.csv" --out "$RO/p.csv"
bad "--out"                                  predict "$tmp/run" --data "$tmp/new.csv" --out "$tmp/dir"
bad "--out"                                  predict "$tmp/run" --data "$tmp/new.csv" --out "$tmp/tiny.csv/p.csv"
bad "--prompt"                               predict "$tmp/run" --prompt hello
bad "--generate"                             predict "$tmp/run" --data "$tmp/new.csv" --generate 5
bad "--temperature: '0'"                     predict "$tmp/run" --data "$tmp/new.csv" --temperature 0
bad "--plot"                                 predict "$tmp/run" --data "$tmp/new.csv" --plot "$tmp/tiny.csv/plots"

# ---- eval ---------------------------------------------------------------------------------------
bad "missing run directory"                  eval
bad "unknown option '--frobnicate'"          eval "$tmp/run" --frobnicate
bad "unknown option '--frobnicate'"          eval --frobnicate "$tmp/run"
bad "$tmp/nosuch_run"                        eval "$tmp/nosuch_run"
bad "$tmp/dir"                               eval "$tmp/dir"
bad "$tmp/tiny.csv"                          eval "$tmp/tiny.csv"
bad "$tmp/fifo"                              eval "$tmp/fifo"
bad "/dev/null"                              eval /dev/null
bad "--threads: 'NaN'"                       eval "$tmp/run" --threads NaN
bad "--min-gap: 'nan'"                       eval "$tmp/run" --min-gap nan
bad "--min-gap: '-1'"                        eval "$tmp/run" --min-gap -1
bad "$tmp/dir"                               eval "$tmp/run" --data "$tmp/dir"
bad "$tmp/nosuch.data"                       eval "$tmp/run" --data "$tmp/nosuch.data"
bad "$tmp/fifo"                              eval "$tmp/run" --data "$tmp/fifo"

# ---- analytic -----------------------------------------------------------------------------------
A=(analytic --target icg --noise none --sampler smile --steps 10)
bad "unknown option '--frobnicate'"          analytic --frobnicate --target icg --noise none --sampler smile --steps 10
bad "unknown option '--frobnicate'"          "${A[@]}" --frobnicate
bad "--steps needs a value"                  "${A[@]}" --steps
bad "--steps: '0'"                           "${A[@]}" --steps 0
bad "--steps: '-10'"                         "${A[@]}" --steps -10
bad "--steps: '$B63'"                        "${A[@]}" --steps $B63
bad "--steps: '$H'"                          "${A[@]}" --steps $H
bad "--warmup: 'NaN'"                        "${A[@]}" --warmup NaN
bad "--chains: 'many'"                       "${A[@]}" --chains many
bad "--batch: '0'"                           "${A[@]}" --batch 0
bad "--step-size: 'nan'"                     "${A[@]}" --step-size nan
bad "--step-size: '-inf'"                    "${A[@]}" --step-size -inf
bad "--L: 'nan'"                             "${A[@]}" --L nan
bad "--noise-scale: 'inf'"                   "${A[@]}" --noise-scale inf
bad "--seed: '$B63$B63'"                     "${A[@]}" --seed "$B63$B63"
bad "--data-seed: '-1'"                      "${A[@]}" --data-seed -1
bad "--target: unknown value 'ICG'"          analytic --target ICG --noise none --sampler smile --steps 10
bad "--noise: unknown value 'pink'"          analytic --target icg --noise pink --sampler smile --steps 10
bad "--sampler: unknown value 'hmc'"         analytic --target icg --noise none --sampler hmc --steps 10
bad "--normalisation: unknown value 'x'"     "${A[@]}" --normalisation x
bad "--trace-every: '0'"                     "${A[@]}" --trace-every 0 --trace "$W/a1.txt"
bad "--trace"                                "${A[@]}" --trace "$RO/t.txt"
bad "--trace"                                "${A[@]}" --trace "$tmp/dir"
bad "--trace"                                "${A[@]}" --trace "$tmp/tiny.csv/t.txt"
bad "--auto-target: '0'"                     analytic --target icg --noise none --sampler smile-auto --steps 10 --auto-target 0

# ---- bench-model, bench-step ----------------------------------------------------------------------
bad "unknown option '--frobnicate'"          bench-model --model fcn --frobnicate
bad "--model is required"                   bench-model --batch 4
bad "--batch: '0'"                           bench-model --model fcn --batch 0
bad "--batch: '-4'"                          bench-model --model fcn --batch -4
bad "--batch: '$B63'"                        bench-model --model fcn --batch $B63
bad "--seconds: 'nan'"                       bench-model --model fcn --seconds nan
bad "--seconds: 'inf'"                       bench-model --model fcn --seconds inf
bad "--hidden"                               bench-model --model fcn --hidden 8,-8 --seconds 0.01
bad "--hidden"                               bench-model --model fcn --hidden x --seconds 0.01
bad "--inputs: '0'"                          bench-model --model fcn --inputs 0
bad "--size: '0'"                            bench-model --sgemm --size 0
bad "--size: '$H'"                           bench-model --sgemm --size $H
bad "--model: unknown value 'fnc'"           bench-model --model fnc
bad "unknown option '--frobnicate'"          bench-step --frobnicate --model fcn
bad "--chains: '0'"                          bench-step --model fcn --chains 0
bad "--chains: '$B63'"                       bench-step --model fcn --chains $B63
bad "--steps: 'NaN'"                         bench-step --model fcn --steps NaN
bad "--step-size: '0'"                       bench-step --model fcn --step-size 0
bad "--sampler: unknown value 'x'"           bench-step --model fcn --sampler x
bad "--n-data: '-1'"                         bench-step --model fcn --n-data -1
bad "--warmup-steps: '$H'"                   bench-step --model fcn --warmup-steps $H
bad "--threads: '0'"                         bench-step --model fcn --threads 0

check "at least 100 invocations in the matrix ($n_cases)" [ "$n_cases" -ge 100 ]
left=$(find "$W" -mindepth 1 | head -5)
check "nothing written by a refused invocation ($left)" [ -z "$left" ]
check "the refused --out leaves the existing run intact" cmp -s "$tmp/run/metrics.json" <(cat "$tmp/run/metrics.json")
check "no file named after the FIFO or directory appeared" [ -p "$tmp/fifo" -a -z "$(ls -A "$tmp/dir")" ]
echo "cli_baduse: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
