"""JAX peer of the SMILE step (see common.py for the exact step). Benchmark code only.

Idiomatic JAX: the step of ONE chain is a pure function of (state, batch indices); chains
are vectorised with jax.vmap; everything is jit-compiled, float32. Parameters are a
pytree flattened with jax.flatten_util.ravel_pytree (one flat position per chain).
Variants:
  jax-scan  one jit-compiled call per epoch: per-chain permutations of all N indices
            (jax.random.permutation, vmapped), then lax.scan of the vmapped step over
            the epoch's ⌊N/B⌋ batches (how BlackJAX-style samplers are driven);
  jax-step  the jit-compiled vmapped step called from Python once per step (indices of
            the epoch computed by a jit-compiled permutation function once per epoch).
Threads: XLA_FLAGS="--xla_cpu_multi_thread_eigen=... intra_op_parallelism_threads=T"
(set by the driver before jax is imported) and, when T < CPUs, the driver pins the
process to T CPUs with taskset.
usage: python jax_step.py --model fcn --chains 10 --threads 2 [--variants jax-scan,jax-step]
Prints one JSON line per variant.
"""
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import B1, FCN_HIDDEN, FMNIST_MEAN, FMNIST_STD, LENET, LN2, best_of, emit, \
    parse_args, timing_fields  # noqa

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
COEF = (B1, 0.5, 1 - 2 * B1, 0.5, B1)


def init_params(model, key, p_in):
    """E§0.5: LeCun-normal kernels (dense [in, out], conv HWIO), zero biases, log σ = 0."""
    def dense(k, a, b):
        return {"w": jax.random.normal(k, (a, b)) / math.sqrt(a), "b": jnp.zeros(b)}

    if model == "fcn":
        w = (p_in,) + FCN_HIDDEN + (1,)
        ks = jax.random.split(key, len(w) - 1)
        return {"layers": [dense(ks[i], w[i], w[i + 1]) for i in range(len(w) - 1)],
                "log_sigma": jnp.zeros(())}
    L = LENET
    ks = jax.random.split(key, 5)

    def conv(k, cin, cout):
        return {"w": jax.random.normal(k, (5, 5, cin, cout)) / math.sqrt(25 * cin),
                "b": jnp.zeros(cout)}

    return {"c1": conv(ks[0], 1, L["c1"]), "c2": conv(ks[1], L["c1"], L["c2"]),
            "d1": dense(ks[2], 25 * L["c2"], L["d1"]), "d2": dense(ks[3], L["d1"], L["d2"]),
            "d3": dense(ks[4], L["d2"], L["classes"])}


def fcn_loglik(p, x, y):
    h = x
    for i, l in enumerate(p["layers"]):
        h = h @ l["w"] + l["b"]
        if i + 1 < len(p["layers"]):
            h = jax.nn.relu(h)
    sigma = jnp.clip(jnp.exp(p["log_sigma"]), 1e-6, 1e6)
    r = (y - h[:, 0]) / sigma
    return jnp.sum(-0.5 * r * r - jnp.log(sigma) - HALF_LOG_2PI)


def lenet_loglik(p, x, y):
    def conv(h, c, pad):
        h = lax.conv_general_dilated(h, c["w"], (1, 1), pad,
                                     dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return h + c["b"]

    def pool(h):
        n, hh, ww, c = h.shape
        return h.reshape(n, hh // 2, 2, ww // 2, 2, c).mean(axis=(2, 4))

    g = lambda t: jax.nn.gelu(t, approximate=True)  # noqa: E731
    h = pool(g(conv(x, p["c1"], ((2, 2), (2, 2)))))
    h = pool(g(conv(h, p["c2"], "VALID")))
    h = h.reshape(h.shape[0], -1)
    h = g(h @ p["d1"]["w"] + p["d1"]["b"])
    h = g(h @ p["d2"]["w"] + p["d2"]["b"])
    z = h @ p["d3"]["w"] + p["d3"]["b"]
    return jnp.sum(jnp.take_along_axis(jax.nn.log_softmax(z), y[:, None], axis=1))


def build(a, eps):
    K, B, N = a.chains, a.batch, a.n_data
    nb = max(1, N // B)
    scale = float(nb)  # E§0.3 floor(N/B)
    key = jax.random.PRNGKey(a.seed)
    kd, kx, ky, ki = jax.random.split(key, 4)
    if a.model == "fcn":
        X = jax.random.normal(kx, (N, a.inputs))
        Y = jax.random.normal(ky, (N,))
        loglik = fcn_loglik
    else:
        pix = jax.random.randint(kx, (N, 28, 28, 1), 0, 256).astype(jnp.float32)
        X = (pix / 255 - FMNIST_MEAN) / FMNIST_STD
        Y = jax.random.randint(ky, (N,), 0, LENET["classes"])
        loglik = lenet_loglik
    p0 = init_params(a.model, ki, a.inputs)
    _, unravel = ravel_pytree(p0)
    x0 = jnp.stack([ravel_pytree(init_params(a.model, k, a.inputs))[0]
                    for k in jax.random.split(ki, K)])
    d = x0.shape[1]

    def logp(theta, xb, yb):
        return -0.5 * jnp.dot(theta, theta) + scale * loglik(unravel(theta), xb, yb)

    vg = jax.value_and_grad(logp)

    def velocity(u, g, D, c):
        h = D * g
        nh = jnp.linalg.norm(h)
        ok = nh > 1e-13
        hhat = h / jnp.where(ok, nh, 1.0)
        e = jnp.clip(jnp.dot(u, hhat), -1.0, 1.0)
        delta = eps * c * nh / (d - 1)
        zeta = jnp.exp(-delta)
        w = hhat * ((1 - zeta) * (1 + zeta + e * (1 - zeta))) + 2 * zeta * u
        u2 = w / jnp.linalg.norm(w)
        dK = (d - 1) * (delta - LN2 + jnp.log(1 + e + (1 - e) * zeta * zeta))
        return jnp.where(ok, u2, u), jnp.where(ok, dK, 0.0)

    def step(s, idx):  # ONE chain, batch indices idx [B]
        xb, yb = X[idx], Y[idx]
        sc = jnp.clip(s["sig"], 1e-2, 1e4)                               # §7.4 PRECOND
        D = jnp.sqrt(jnp.mean(sc * sc)) / sc
        x, u, g, lp = s["x"], s["u"], s["g"], s["logp"]
        dK = 0.0
        for i, c in enumerate(COEF):                                       # McLachlan §3.2
            if i % 2 == 0:
                u, k = velocity(u, g, D, c)
                dK = dK + k
            else:
                x = x + (eps * c) * D * u
                lp, g = vg(x, xb, yb)
                g = jnp.clip(g, -1e6, 1e6)
        dE = jnp.where(s["have"], dK - (lp - s["logp"]), dK)
        bad = ~(jnp.isfinite(dE) & jnp.all(jnp.isfinite(x)))
        t, a_ = s["t"], jnp.abs(dE)                                        # §7.5 statistics
        m = jnp.clip(jnp.where(t < 3, a_, 0.99 * s["mE"] + 0.01 * a_), 1e-6, 1e6)
        v = jnp.where(t != 1, 0.99 * s["sE"] ** 2, 0.0) + 0.01 * (a_ - m) ** 2
        v = jnp.where(t >= 5, v / (1 - 0.5 ** (t - 4.0)), v)
        mu = jnp.clip(0.99 * s["mu"] + 0.01 * g, -1e6, 1e6)              # §7.4 EMAs
        dev = g - mu
        sig = jnp.sqrt(jnp.maximum(0.99 * s["sig"] ** 2 + 0.01 * dev * dev, 1e-7))
        keep = lambda old, new: jnp.where(bad, old, new)  # noqa: E731
        out = dict(x=keep(s["x"], x), u=jnp.where(bad, 0.0, u), g=keep(s["g"], g),
                   logp=keep(s["logp"], lp), have=keep(s["have"], True),
                   mE=keep(s["mE"], m), sE=keep(s["sE"], jnp.clip(jnp.sqrt(v), 1e-6, 1e7)),
                   mu=keep(s["mu"], mu), sig=keep(s["sig"], sig), t=t + 1)
        return out, dE

    vstep = jax.vmap(step)

    def epoch_idx(keys):  # [K] keys → [nb, K, B] batch indices of one epoch (drop-last)
        perm = jax.vmap(lambda k: jax.random.permutation(k, N))(keys)
        return perm[:, :nb * B].reshape(K, nb, B).transpose(1, 0, 2)

    @jax.jit
    def run_epoch(s, keys):
        s, dE = lax.scan(vstep, s, epoch_idx(keys))
        return s, dE[-1]

    step_jit = jax.jit(vstep)
    idx_jit = jax.jit(epoch_idx)
    state = dict(x=x0, u=jnp.zeros((K, d)), g=jnp.zeros((K, d)), logp=jnp.zeros(K),
                 have=jnp.zeros(K, bool), mE=jnp.zeros(K), sE=jnp.zeros(K),
                 mu=jnp.ones((K, d)), sig=jnp.ones((K, d)), t=jnp.ones(K, jnp.int32))
    return dict(state=state, run_epoch=run_epoch, step_jit=step_jit, idx_jit=idx_jit, nb=nb,
                d=d, key=kd)


def main():
    a, eps = parse_args("jax-scan,jax-step")
    for v in a.variants.split(","):
        t0 = time.perf_counter()
        env = build(a, eps)
        nb, K = env["nb"], a.chains
        box = dict(s=env["state"], key=env["key"], idx=None, j=nb)

        if v == "jax-scan":
            def block(n):  # n: a multiple of nb (whole epochs)
                for _ in range(n // nb):
                    box["key"], k = jax.random.split(box["key"])
                    box["s"], dE = env["run_epoch"](box["s"], jax.random.split(k, K))
                jax.block_until_ready(box["s"])
            unit = nb
        elif v == "jax-step":
            def block(n):
                for _ in range(n):
                    if box["j"] == nb:
                        box["key"], k = jax.random.split(box["key"])
                        box["idx"], box["j"] = env["idx_jit"](jax.random.split(k, K)), 0
                    box["s"], dE = env["step_jit"](box["s"], box["idx"][box["j"]])
                    box["j"] += 1
                jax.block_until_ready(box["s"])
            unit = 1
        else:
            raise SystemExit("unknown variant " + v)
        block(unit)  # compile + warm-up (excluded)
        block(unit)
        setup = time.perf_counter() - t0
        best, per, n, cpu = best_of(block, a.steps, a.repeat, a.seconds, unit=unit)
        emit(dict(peer=v, model=a.model, chains=K, batch=a.batch, n_data=a.n_data,
                  threads=a.threads, params=env["d"], steps=n, repeat=a.repeat,
                  **timing_fields(best, per, cpu, K), setup_s=setup, jax=jax.__version__,
                  finite=bool(jnp.all(jnp.isfinite(box["s"]["x"])))))


if __name__ == "__main__":
    main()
