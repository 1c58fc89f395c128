"""Shared settings of the SMILE-step peers (no torch / jax import here).

The step every peer implements is ours (samplers.md §7.3 with §7.1's pSMILE-naive
settings): per chain and per mini-batch
  1. D = PRECOND(σ_g)                       §7.4: σc = clip(σ_g, 1e-2, 1e4), r = rms(σc), D = r/σc
  2. snapshot x_prev, g_prev, ℓ_prev
  3. McLachlan (§3.1: b1, ½, 1−2b1, ½, b1), cached gradient, h = D ⊙ g:
       U(u, h, ε, b1) · x += ε/2 D⊙u · (ℓ, g) = ∇ log p̂(x; b), clip ±1e6
       U(u, h, ε, 1−2b1) · x += ε/2 D⊙u · (ℓ, g) = ∇ log p̂(x; b), clip ±1e6
       U(u, h, ε, b1)
     with U of §2.2 (BlackJAX form):
       ĥ = h/|h|, e = u·ĥ, δ = ε c |h|/(d−1), ζ = e^{−δ},
       u' = normalise(ĥ (1−ζ)(1+ζ+e(1−ζ)) + 2ζu),
       ΔK = (d−1)(δ − ln 2 + ln(1 + e + (1−e)ζ²))
  4. ΔE = ΔK − (ℓ − ℓ_prev); non-finite → restore x, g, ℓ, u = 0
  5. energy statistics m_E, s_E of §7.5 (tuner off: no reset, no ε change)
  6. noise EMAs of §7.4 with the last gradient, β_g = 0.01
The log density (experiments.md §0.3): log N(θ; 0, I) + s Σ_{i∈b} log p(y_i | x_i, θ),
s = ⌊N/B⌋ (E§0.3 scale "floor"). Models: the UCI FCN p → 16 → 16 → 16 → 1 + log σ
(homoscedastic Gaussian, σ = clip(e^τ, 1e-6, 1e6)) and LeNet/GELU(tanh) of E§3.2.
Batches: every chain permutes all N indices once per epoch and takes ⌊N/B⌋ consecutive
batches (drop-last), like smile's SMILE_STREAM_EPOCH.
"""
import argparse
import json
import math
import os
import time

B1 = 0.1931833275037836  # McLachlan b1 (samplers.md §3.1)
LN2 = math.log(2.0)

MODELS = {
    # model: (default batch, default N, step size eps0)
    "fcn": (256, 12000, 1e-3),
    "lenet": (512, 4096, 1e-2),
}

FCN_HIDDEN = (16, 16, 16)
LENET = dict(c1=6, c2=16, d1=120, d2=84, classes=10)
FMNIST_MEAN, FMNIST_STD = 0.2860, 0.3530


def stats_update(mE, sE, a, t, beta=0.01):
    """§7.5 statistics update of m_E, s_E with a = |ΔE| at step t (1-based), in floats."""
    m = a if t < 3 else (1 - beta) * mE + beta * a
    m = min(max(m, 1e-6), 1e6)
    v = ((1 - beta) * sE * sE if t != 1 else 0.0) + beta * (a - m) ** 2
    if t >= 5:
        v = v / (1 - 0.5 ** (t - 4))
    return m, min(max(math.sqrt(v), 1e-6), 1e7)


def best_of(block, steps, repeat, target_s=1.0, max_steps=100000, unit=1):
    """Times block(n) (n steps of all chains, returns when finished). Calibrates n so a
    block takes about target_s (n a multiple of unit, at least `steps` if given), then
    returns (best seconds per step, all blocks' seconds per step, n, CPU seconds per step
    of the best block)."""
    if steps <= 0:
        n = unit
        while True:
            t0 = time.perf_counter()
            block(n)
            el = time.perf_counter() - t0
            if el >= 0.2 or n >= max_steps:
                break
            n *= 2
        n = max(unit, int(round(n * target_s / max(el, 1e-9) / unit)) * unit)
        n = min(n, max_steps)
    else:
        n = max(unit, (steps + unit - 1) // unit * unit)
    per, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        block(n)
        per.append((time.perf_counter() - t0) / n)
        cpu.append((time.process_time() - c0) / n)
    i = per.index(min(per))
    return per[i], per, n, cpu[i]


def emit(rec):
    print(json.dumps(rec), flush=True)


def parse_args(variants, extra=()):
    """The options every peer takes (bench/peer_step.sh passes them), plus extra
    (flag, argparse keywords) pairs; batch and data size default per model.
    Returns (args, the model's step size)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=sorted(MODELS), default="fcn")
    ap.add_argument("--chains", type=int, default=10)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--n-data", type=int, default=0)
    ap.add_argument("--inputs", type=int, default=11)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--variants", default=variants)
    ap.add_argument("--steps", type=int, default=0, help="steps per block (0: ~1 s blocks)")
    ap.add_argument("--seconds", type=float, default=1.0, help="block length when calibrating")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    for flag, kw in extra:
        ap.add_argument(flag, **kw)
    a = ap.parse_args()
    B0, N0, eps = MODELS[a.model]
    a.batch = a.batch or B0
    a.n_data = a.n_data or N0
    return a, eps


def timing_fields(best, per, cpu, chains):
    """Per-chain times of best_of's result, for the JSON record."""
    return dict(us_per_step_per_chain=1e6 * best / chains,
                us_per_step_per_chain_blocks=[1e6 * s / chains for s in per],
                cpu_us_per_step_per_chain=1e6 * cpu / chains)
