#!/usr/bin/env bash
# CLI tests of the option parser shared by every command (cli/opts.c): unknown
# options, missing and out-of-range values (exit 2, exactly one stderr line
# naming the option, nothing on stdout), -V/--version and -h/--help for smile
# and every subcommand, `smile help CMD` = `smile CMD --help`, and the help
# listing exactly the options of the command's table (each one in the table
# is shown; each one shown is accepted). Nothing here runs a sampler beyond a
# 200-step analytic run. Uses $SMILE_BIN (default build/smile).
# Last line: "cli_args: N passed, N failed".
source "$(dirname "$0")/lib_cli.sh"

cmds=(analytic fit eval bench-model bench-step)
declare -A src=([analytic]=cli/cmd_analytic.c [fit]=cli/cmd_fit.c [eval]=cli/cmd_eval.c
                [bench-model]=cli/cmd_bench_model.c [bench-step]=cli/cmd_bench_step.c)

# expect_bad WANT ARGS...: exit 2, one stderr line containing WANT, empty stdout.
expect_bad() {
  local want="$1"; shift
  "$BIN" "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  local nl; nl=$(wc -l <"$tmp/err")
  if [ "$rc" -eq 2 ] && [ "$nl" -eq 1 ] && grep -qF -- "$want" "$tmp/err" && [ ! -s "$tmp/out" ]; then ok
  else nok "[$*]: rc=$rc lines=$nl stderr='$(head -c 300 "$tmp/err")' (want exit 2, one line with '$want')"; fi
}

# all 'COMMANDS': runs a compound test (&&, pipes) as one check.
all() { eval "$1"; }

# ---- unknown options, for smile and every subcommand -----------------------------------
expect_bad "smile: unknown option '--no-such-option' (see smile --help)" --no-such-option
expect_bad "smile: unknown command 'no-such-command'" no-such-command
for c in "${cmds[@]}"; do
  expect_bad "smile $c: unknown option '--no-such-option' (see smile $c --help)" "$c" --no-such-option
  expect_bad "smile $c: unknown option '-x' (see smile $c --help)" "$c" -x
  # a value given to an unknown option is not taken as a known one's
  expect_bad "unknown option '--versions'" "$c" --versions 1
done
expect_bad "unexpected argument 'stray'" analytic --target icg stray
expect_bad "unexpected argument 'b'" eval a b
expect_bad "--json does not take a value" analytic --json=1

# ---- missing values ---------------------------------------------------------------------
expect_bad "smile analytic: --steps needs a value" analytic --target icg --steps
expect_bad "smile fit: --samples needs a value" fit --samples
expect_bad "smile eval: --threads needs a value" eval DIR --threads
expect_bad "smile bench-model: --batch needs a value" bench-model --model fcn --batch
expect_bad "smile bench-step: --chains needs a value" bench-step --model fcn --chains
expect_bad "missing required option --target" analytic --noise none --sampler smile --steps 10
expect_bad "missing required option --model" bench-step
expect_bad "missing run directory" eval

# ---- out-of-range and malformed values: the option and the allowed range named -------------
a=(analytic --target icg --noise isotropic --sampler smile --steps 100)
expect_bad "--chains: '0' is not an integer in 1..4096"    "${a[@]}" --chains 0
expect_bad "--chains: '4097' is not an integer in 1..4096" "${a[@]}" --chains 4097
expect_bad "--steps: '0' is not an integer in 1..2^40"     analytic --steps 0
expect_bad "--steps: '1e3' is not an integer"              analytic --steps 1e3
expect_bad "--batch: '409601' is not an integer in 1..409600" "${a[@]}" --batch 409601
expect_bad "--step-size: '-1' is not a number > 0"         "${a[@]}" --step-size -1
expect_bad "--L: '0' is not a number > 0 (or inf)"         "${a[@]}" --L 0
expect_bad "--noise-scale: '-0.5' is not a number >= 0"    "${a[@]}" --noise-scale -0.5
expect_bad "--seed: '-3' is not a non-negative integer"    "${a[@]}" --seed -3
expect_bad "--target: unknown value 'gauss' (icg, funnel, banana, gmm25)" analytic --target gauss
expect_bad "--mclmc-tuning: unknown value 'fast' (mile, blackjax)" "${a[@]}" --mclmc-tuning fast
expect_bad "--step-size: required for sampler sgld" analytic --target icg --noise none --sampler sgld --steps 9
expect_bad "--members: '4097' is not an integer in 1..4096" fit --members 4097
expect_bad "--precond-floor: '1' is not a number in [0, 1)" fit --precond-floor 1
expect_bad "--auto-reset-factor: '1' is not a number > 1"   fit --auto-reset-factor 1
expect_bad "--de-beta2: '-0.1' is not a number in [0, 1)"   fit --de-beta2 -0.1
expect_bad "--thin: '0' is not an integer in 1..2^31-1"     fit --thin 0
expect_bad "--scale: unknown value 'ceil' (floor, n-over-b)" fit --scale ceil
expect_bad "--task: unknown value 'mnist' (table, regress, classify, uci, fmnist, cifar10, imagenette, text)" fit --task mnist
expect_bad "--resume needs --out DIR" fit --resume
expect_bad "--members: --resume takes every setting" fit --resume --out "$tmp/none" --members 3
expect_bad "--threads: '4097' is not an integer in 0..4096" eval DIR --threads 4097
expect_bad "--min-gap: '-1' is not a number >= 0"         eval DIR --min-gap -1
expect_bad "--seconds: '0' is not a number > 0"           bench-model --model fcn --seconds 0
expect_bad "--threads: '0' is not an integer >= 1"        bench-model --model fcn --threads 0
expect_bad "--model: unknown value 'nosuch'"              bench-model --model nosuch
expect_bad "--repeat: '0' is not an integer in 1..2^30"   bench-step --model fcn --repeat 0
expect_bad "--model: unknown value 'vit' (fcn, lenet)"    bench-step --model vit

# ---- a repeated option keeps the last value; --name=value is accepted ----------------------
"$BIN" analytic --target=icg --noise none --sampler smile --steps 5 --steps=200 --chains 9 --chains 1 \
  --seed 1 --json >"$tmp/rep.json" 2>"$tmp/rep.err"
check "repeated options: last value wins ($(head -c 200 "$tmp/rep.err"))" \
  grep -q '"steps": 200,' "$tmp/rep.json"
check "repeated options: last --chains wins" grep -q '"chains": 1,' "$tmp/rep.json"

# ---- --version / -V -------------------------------------------------------------------------
ver=$("$BIN" --version 2>&1); rc=$?
check "smile --version exits 0 and prints 'smile <version>' ($ver)" \
  all '[ "$rc" -eq 0 ] && [[ "$ver" =~ ^smile\ [0-9] ]] && [ "$(printf "%s\n" "$ver" | wc -l)" -eq 1 ]'
check "smile -V = smile --version" [ "$("$BIN" -V 2>&1)" = "$ver" ]
for c in "${cmds[@]}"; do
  for v in --version -V; do
    out=$("$BIN" "$c" "$v" 2>"$tmp/err"); rc=$?
    check "smile $c $v: exit 0, '$ver', nothing on stderr (rc=$rc, '$out')" \
      all '[ "$rc" -eq 0 ] && [ "$out" = "$ver" ] && [ ! -s "$tmp/err" ]'
  done
done

# ---- help -------------------------------------------------------------------------------------
"$BIN" >"$tmp/o" 2>"$tmp/e"; rc=$?
check "smile without a command: exit 2, usage on stderr" \
  all '[ "$rc" -eq 2 ] && grep -q "^usage: smile" "$tmp/e"'
"$BIN" help >"$tmp/h0" 2>&1; rc=$?
check "smile help: exit 0" [ "$rc" -eq 0 ]
check "smile help = smile --help" cmp -s "$tmp/h0" <("$BIN" --help 2>&1)
expect_bad "smile: unknown command 'nosuch'" help nosuch
for c in "${cmds[@]}"; do
  check "smile --help lists $c" grep -q "^  $c " "$tmp/h0"
  "$BIN" "$c" --help >"$tmp/h" 2>"$tmp/e"; rc=$?
  check "smile $c --help: exit 0, usage first, nothing on stderr" \
    all '[ "$rc" -eq 0 ] && [ ! -s "$tmp/e" ] && head -n 1 "$tmp/h" | grep -q "^usage: smile $c"'
  check "smile $c -h = smile $c --help" cmp -s "$tmp/h" <("$BIN" "$c" -h 2>&1)
  check "smile help $c = smile $c --help" cmp -s "$tmp/h" <("$BIN" help "$c" 2>&1)
  check "smile $c --help lists -h, --help and -V, --version" \
    all 'grep -q "^  -h, --help " "$tmp/h" && grep -q "^  -V, --version " "$tmp/h"'
  # every option of the table (rows {"--name", ...} in the source) is in the help
  mapfile -t table < <(grep -oE '\{"--[a-z0-9-]+"' "${src[$c]}" | tr -d '{"' | sort -u)
  check "$c: table rows found (${#table[@]})" [ "${#table[@]}" -gt 0 ]
  missing=""
  for o in "${table[@]}"; do grep -qE -- "^  $o( |$)" "$tmp/h" || missing="$missing $o"; done
  check "smile $c --help lists every option of the table (missing:$missing)" [ -z "$missing" ]
  # every option shown is accepted: --name= followed by a sentinel never reports --name unknown
  mapfile -t shown < <(grep -oE '^  --[a-z0-9-]+' "$tmp/h" | tr -d ' ')
  check "smile $c --help: as many options shown as in the table (${#shown[@]} vs ${#table[@]})" \
    [ "${#shown[@]}" -eq "${#table[@]}" ]
  unknown=""
  for o in "${shown[@]}"; do
    "$BIN" "$c" "$o=" --zz-sentinel >/dev/null 2>"$tmp/e"
    grep -qF "unknown option '$o" "$tmp/e" && unknown="$unknown $o"
  done
  check "smile $c: every option in the help is accepted (unknown:$unknown)" [ -z "$unknown" ]
done

echo "cli_args: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
