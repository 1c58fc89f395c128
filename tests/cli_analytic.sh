#!/usr/bin/env bash
# CLI tests of `smile analytic` (issue 2, item 6): bad input -> exit 2 with
# one stderr line naming the option; --threads 1 and 2 give identical JSON
# apart from "seconds"; a short smoke run of every target and sampler.
# Uses $SMILE_BIN (default build/smile). Last line: "cli_analytic: N passed, N failed".
source "$(dirname "$0")/lib_cli.sh"

# expect_bad NAME_IN_MESSAGE ARGS... : exit 2, exactly one stderr line that
# mentions NAME_IN_MESSAGE, nothing on stdout.
expect_bad() {
  local want="$1"; shift
  "$BIN" analytic "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  local nl; nl=$(wc -l <"$tmp/err")
  if [ "$rc" -eq 2 ] && [ "$nl" -eq 1 ] && grep -q -- "$want" "$tmp/err" && [ ! -s "$tmp/out" ]; then ok
  else nok "args [$*]: rc=$rc lines=$nl stderr='$(cat "$tmp/err")' (want exit 2 naming '$want')"; fi
}

base=(--target icg --noise isotropic --sampler smile --steps 100)
expect_bad --target   --target gauss --noise isotropic --sampler smile --steps 100
expect_bad --noise    --target icg --noise pink --sampler smile --steps 100
expect_bad --sampler  --target icg --noise isotropic --sampler hmc --steps 100
expect_bad --auto-target --target icg --noise isotropic --sampler psmile-auto --steps 100 --auto-target -1
expect_bad --step-size "${base[@]}" --step-size abc
expect_bad --step-size "${base[@]}" --step-size 0
expect_bad --step-size "${base[@]}" --step-size -1e-3
expect_bad --step-size "${base[@]}" --step-size 1e-3x
expect_bad --step-size "${base[@]}" --step-size nan
expect_bad --step-size "${base[@]}" --step-size inf
expect_bad --steps    --target icg --noise isotropic --sampler smile --steps 0
expect_bad --steps    --target icg --noise isotropic --sampler smile --steps -5
expect_bad --steps    --target icg --noise isotropic --sampler smile --steps ten
expect_bad --steps    --target icg --noise isotropic --sampler smile
expect_bad --target   --noise isotropic --sampler smile --steps 10
for s in smile-naive psmile-naive sgld sghmc adasghmc csgld; do
  expect_bad --step-size --target icg --noise isotropic --sampler "$s" --steps 100
done
expect_bad --bogus    "${base[@]}" --bogus
expect_bad --step-size "${base[@]}" --step-size
expect_bad --chains   "${base[@]}" --chains 0
expect_bad --chains   "${base[@]}" --chains 2.5
expect_bad --warmup   "${base[@]}" --warmup -1
expect_bad --seed     "${base[@]}" --seed -3
expect_bad --batch    "${base[@]}" --batch 0
expect_bad --threads  "${base[@]}" --threads x
expect_bad --mclmc-tuning "${base[@]}" --mclmc-tuning fast
expect_bad --normalisation "${base[@]}" --normalisation approx
expect_bad stray      "${base[@]}" stray

# --help of the command and of smile
if "$BIN" analytic --help >"$tmp/h" 2>&1 && grep -q -- '--mclmc-tuning' "$tmp/h" && grep -q -- '--trace' "$tmp/h"; then ok; else nok "analytic --help"; fi
if "$BIN" --help >"$tmp/h" 2>&1 && grep -q analytic "$tmp/h"; then ok; else nok "smile --help"; fi

# --threads 1 vs 2: identical JSON apart from "seconds"
for s in psmile smile-naive sghmc; do
  args=(--target icg --noise anisotropic --sampler "$s" --steps 2000 --warmup 100 --chains 3 --step-size 0.01 --json)
  "$BIN" analytic "${args[@]}" --threads 1 >"$tmp/t1" 2>"$tmp/e1"; r1=$?
  "$BIN" analytic "${args[@]}" --threads 2 >"$tmp/t2" 2>"$tmp/e2"; r2=$?
  if [ $r1 -eq 0 ] && [ $r2 -eq 0 ] && grep -q '"seconds"' "$tmp/t1" &&
     diff <(grep -v '"seconds"' "$tmp/t1") <(grep -v '"seconds"' "$tmp/t2") >/dev/null; then ok
  else nok "threads 1 vs 2 differ for $s (rc $r1 $r2)"; diff "$tmp/t1" "$tmp/t2" | head -5; fi
done

# --trace writes one line per chain and traced step (+ header)
if "$BIN" analytic --target icg --noise isotropic --sampler smile --steps 300 --warmup 100 \
     --chains 2 --trace "$tmp/trace.txt" --trace-every 10 >/dev/null 2>&1 &&
   [ "$(grep -vc '^#' "$tmp/trace.txt")" -eq 80 ]; then ok; else nok "--trace"; fi

# smoke: every target x sampler (short), all keys present, finite bias
keys='"bias" "bias_chain_median" "ess_min" "rhat_max" "resets" "final_step_size" "grad_evals" "seconds"'
for t in icg funnel banana gmm25; do
  for s in mclmc smile-naive smile psmile-naive psmile sgld sghmc adasghmc csgld; do
    case $s in
      mclmc) extra=(--warmup 500) ;;
      sgld|csgld) extra=(--step-size 1e-5) ;;
      adasghmc) extra=(--step-size 1e-3 --warmup 200) ;;
      *) extra=(--step-size 1e-3) ;;
    esac
    noise=anisotropic; [ "$t" = gmm25 ] && noise=correlated
    if "$BIN" analytic --target $t --noise $noise --sampler $s --steps 500 --chains 2 "${extra[@]}" --json >"$tmp/j" 2>"$tmp/e"; then
      miss=""
      for k in $keys; do grep -q "$k" "$tmp/j" || miss="$miss $k"; done
      if [ -z "$miss" ] && grep -q '"bias": [0-9]' "$tmp/j"; then ok; else nok "$t/$s: missing$miss or non-finite bias"; fi
    else nok "$t/$s failed: $(cat "$tmp/e")"; fi
  done
done
# every noise structure, table output
for n in none isotropic anisotropic correlated spatial; do
  if "$BIN" analytic --target funnel --noise $n --sampler psmile --steps 300 --chains 1 >"$tmp/o" 2>"$tmp/e" &&
     grep -q 'bias (pooled' "$tmp/o"; then ok; else nok "funnel/$n table: $(cat "$tmp/e")"; fi
done
# gmm25 with spatial noise and the reference normalisation are accepted
if "$BIN" analytic --target gmm25 --noise spatial --sampler smile --steps 200 --chains 2 --json >/dev/null 2>&1; then ok; else nok "gmm25 spatial"; fi
if "$BIN" analytic --target banana --noise none --sampler smile --steps 200 --normalisation reference --json >"$tmp/j" 2>&1 &&
   grep -q '"normalisation": "reference"' "$tmp/j"; then ok; else nok "--normalisation reference"; fi

echo "cli_analytic: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
