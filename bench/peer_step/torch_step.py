#!/usr/bin/python3
"""PyTorch peers of the SMILE step (see common.py for the exact step). Benchmark code only.

Variants (all float32, the same model, batch size, data size and thread count as ours):
  torch-loop  idiomatic per-chain code: a Python loop over chains, each chain an
              nn.Module (nn.Linear/nn.Conv2d) whose parameters alias the chain's flat
              position (torch.nn.utils.vector_to_parameters), gradients by
              loss.backward() + parameters_to_vector, vector algebra on flat tensors,
              scalars of the velocity update as Python floats.
  torch-bmm   chains batched by hand: positions [K, d], dense layers as torch.baddbmm on
              stacked weights, LeNet's convolutions as one grouped convolution
              (groups = K), one autograd call for all chains.
  torch-vmap  chains batched with functorch.vmap(grad_and_value(log p̂)) on the flat
              position (torch 1.13 ships functorch; torch.func came with 2.0).
usage: /usr/bin/python3 torch_step.py --model fcn --chains 10 --threads 2
           [--variants torch-loop,torch-bmm,torch-vmap] [--batch B] [--n-data N]
           [--steps N] [--repeat 3] [--warmup 20]
Prints one JSON line per variant (us_per_step_per_chain = best block's wall seconds /
(steps · K)).
"""
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as Fn
from torch.nn.utils import parameters_to_vector, vector_to_parameters

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import B1, FCN_HIDDEN, FMNIST_MEAN, FMNIST_STD, LENET, LN2, best_of, emit, \
    parse_args, stats_update, timing_fields  # noqa: E402

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
COEF = (B1, 0.5, 1 - 2 * B1, 0.5, B1)


def make_data(model, N, p_in, gen):
    if model == "fcn":
        return torch.randn(N, p_in, generator=gen), torch.randn(N, generator=gen)
    pix = torch.randint(0, 256, (N, 1, 28, 28), generator=gen).float()
    return (pix / 255 - FMNIST_MEAN) / FMNIST_STD, torch.randint(0, LENET["classes"], (N,),
                                                                  generator=gen)


def lecun_(module, gen):
    """E§0.5 init: LeCun-normal kernels, zero biases (log σ = 0)."""
    with torch.no_grad():
        for mod in module.modules():
            if isinstance(mod, (nn.Linear, nn.Conv2d)):
                fan_in = mod.weight[0].numel()
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=gen) / math.sqrt(fan_in))
                mod.bias.zero_()


# ---------------------------------------------------------------------------------------
# torch-loop: one nn.Module per chain
# ---------------------------------------------------------------------------------------


class FCN(nn.Module):
    def __init__(self, p_in):
        super().__init__()
        w, layers = (p_in,) + FCN_HIDDEN, []
        for a, b in zip(w[:-1], w[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers.append(nn.Linear(w[-1], 1))
        self.net = nn.Sequential(*layers)
        self.log_sigma = nn.Parameter(torch.zeros(()))

    def loglik(self, x, y):
        mu = self.net(x).squeeze(-1)
        sigma = torch.exp(self.log_sigma).clamp(1e-6, 1e6)
        r = (y - mu) / sigma
        return (-0.5 * r * r - torch.log(sigma) - HALF_LOG_2PI).sum()


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        L = LENET
        self.conv1 = nn.Conv2d(1, L["c1"], 5, padding=2)
        self.conv2 = nn.Conv2d(L["c1"], L["c2"], 5)
        self.fc1 = nn.Linear(25 * L["c2"], L["d1"])
        self.fc2 = nn.Linear(L["d1"], L["d2"])
        self.fc3 = nn.Linear(L["d2"], L["classes"])

    def loglik(self, x, y):
        h = Fn.avg_pool2d(Fn.gelu(self.conv1(x), approximate="tanh"), 2)
        h = Fn.avg_pool2d(Fn.gelu(self.conv2(h), approximate="tanh"), 2)
        h = Fn.gelu(self.fc1(h.flatten(1)), approximate="tanh")
        h = Fn.gelu(self.fc2(h), approximate="tanh")
        return -Fn.cross_entropy(self.fc3(h), y, reduction="sum")


class Chain:
    """One pSMILE-naive chain (§7.3) with its own module, batch stream and state."""

    def __init__(self, net, X, Y, B, eps, gen):
        self.net, self.X, self.Y, self.B, self.eps, self.gen = net, X, Y, B, eps, gen
        self.params = list(net.parameters())
        self.N = X.shape[0]
        self.nb = max(1, self.N // B)
        self.scale = float(self.nb)  # E§0.3 scale floor(N/B)
        self.x = parameters_to_vector(self.params).detach().clone()
        self.d = self.x.numel()
        self.u = torch.zeros(self.d)
        self.g = torch.zeros(self.d)
        self.logp, self.have = 0.0, False
        self.mu_g, self.sigma_g = torch.ones(self.d), torch.ones(self.d)
        self.mE, self.sE, self.t = 0.0, 0.0, 1
        self.next, self.perm = self.nb, None

    def batch(self):
        if self.next == self.nb:  # new epoch: permute all N, drop-last
            self.perm, self.next = torch.randperm(self.N, generator=self.gen), 0
        idx = self.perm[self.next * self.B:(self.next + 1) * self.B]
        self.next += 1
        return self.X[idx], self.Y[idx]

    def logp_grad(self, xb, yb):
        vector_to_parameters(self.x, self.params)  # the module's parameters alias x
        for p in self.params:
            p.grad = None
        with torch.enable_grad():
            for p in self.params:
                p.requires_grad_(True)
            lp = self.scale * self.net.loglik(xb, yb) - 0.5 * sum((p * p).sum()
                                                                   for p in self.params)
            lp.backward()
        g = parameters_to_vector([p.grad for p in self.params]).clamp_(-1e6, 1e6)
        return lp.item(), g

    def velocity(self, D, c):
        h = D * self.g
        nh = h.norm().item()
        if not nh > 1e-13:
            return 0.0
        hhat = h / nh
        e = min(max(torch.dot(self.u, hhat).item(), -1.0), 1.0)
        delta = self.eps * c * nh / (self.d - 1)
        zeta = math.exp(-delta)
        w = hhat * ((1 - zeta) * (1 + zeta + e * (1 - zeta))) + (2 * zeta) * self.u
        self.u = w / w.norm()
        return (self.d - 1) * (delta - LN2 + math.log(1 + e + (1 - e) * zeta * zeta))

    @torch.no_grad()
    def step(self):
        xb, yb = self.batch()
        sc = self.sigma_g.clamp(1e-2, 1e4)                 # §7.4 PRECOND
        D = torch.sqrt((sc * sc).mean()) / sc
        x_prev, g_prev, l_prev, have_prev = self.x.clone(), self.g.clone(), self.logp, self.have
        dK = 0.0
        for i, c in enumerate(COEF):                        # McLachlan, §3.2
            if i % 2 == 0:
                dK += self.velocity(D, c)
            else:
                self.x += (self.eps * c) * D * self.u
                self.logp, self.g = self.logp_grad(xb, yb)
                self.have = True
        dE = dK - (self.logp - l_prev) if have_prev else dK
        if not (math.isfinite(dE) and bool(torch.isfinite(self.x).all())):  # reset
            self.x, self.g, self.logp, self.have = x_prev, g_prev, l_prev, have_prev
            self.u.zero_()
            self.t += 1
            return
        self.mE, self.sE = stats_update(self.mE, self.sE, abs(dE), self.t)
        beta = 0.01                                          # §7.4 UPDATE_NOISE_EMA
        self.mu_g = ((1 - beta) * self.mu_g + beta * self.g).clamp_(-1e6, 1e6)
        dev = self.g - self.mu_g
        self.sigma_g = torch.sqrt(((1 - beta) * self.sigma_g ** 2 + beta * dev * dev)
                                  .clamp_(min=1e-7))
        self.t += 1


def run_loop(a, X, Y, eps, gen):
    chains = []
    for k in range(a.chains):
        net = FCN(X.shape[1]) if a.model == "fcn" else LeNet()
        lecun_(net, gen)
        chains.append(Chain(net, X, Y, a.batch, eps, gen))

    def block(n):
        for _ in range(n):
            for c in chains:
                c.step()

    block(a.warmup)
    return block, chains[0].d


# ---------------------------------------------------------------------------------------
# batched variants: state [K, d]
# ---------------------------------------------------------------------------------------


def layout(model, p_in):
    """Flat layout (name, shape) of one chain; dense kernels [in, out] like smile."""
    if model == "fcn":
        w, out = (p_in,) + FCN_HIDDEN + (1,), []
        for l in range(len(w) - 1):
            out += [("d%d.w" % l, (w[l], w[l + 1])), ("d%d.b" % l, (w[l + 1],))]
        return out + [("log_sigma", ())]
    L = LENET
    return [("c1.w", (L["c1"], 1, 5, 5)), ("c1.b", (L["c1"],)),
            ("c2.w", (L["c2"], L["c1"], 5, 5)), ("c2.b", (L["c2"],)),
            ("d1.w", (25 * L["c2"], L["d1"])), ("d1.b", (L["d1"],)),
            ("d2.w", (L["d1"], L["d2"])), ("d2.b", (L["d2"],)),
            ("d3.w", (L["d2"], L["classes"])), ("d3.b", (L["classes"],))]


def init_flat(lay, K, gen):
    parts = []
    for name, s in lay:
        n = math.prod(s)
        if name.endswith(".w"):
            fan_in = math.prod(s[1:]) if len(s) == 4 else s[0]
            parts.append(torch.randn(K, n, generator=gen) / math.sqrt(fan_in))
        else:
            parts.append(torch.zeros(K, n))
    return torch.cat(parts, 1)


def views(theta, lay):
    """Per-chain views of theta [..., d] (leading dims kept)."""
    out, off, lead = {}, 0, theta.shape[:-1]
    for name, s in lay:
        n = math.prod(s)
        out[name] = theta[..., off:off + n].reshape(lead + s)
        off += n
    return out


def fcn_loglik_single(p, x, y):
    h = x
    names = sorted(k[:-2] for k in p if k.endswith(".w"))
    for i, l in enumerate(names):
        h = h @ p[l + ".w"] + p[l + ".b"]
        if i + 1 < len(names):
            h = torch.relu(h)
    sigma = torch.exp(p["log_sigma"]).clamp(1e-6, 1e6)
    r = (y - h[..., 0]) / sigma
    return (-0.5 * r * r - torch.log(sigma) - HALF_LOG_2PI).sum()


def lenet_loglik_single(p, x, y):
    g = lambda t: Fn.gelu(t, approximate="tanh")  # noqa: E731
    h = Fn.avg_pool2d(g(Fn.conv2d(x, p["c1.w"], p["c1.b"], padding=2)), 2)
    h = Fn.avg_pool2d(g(Fn.conv2d(h, p["c2.w"], p["c2.b"])), 2)
    h = g(h.flatten(1) @ p["d1.w"] + p["d1.b"])
    h = g(h @ p["d2.w"] + p["d2.b"])
    return -Fn.cross_entropy(h @ p["d3.w"] + p["d3.b"], y, reduction="sum")


def bmm_loglik(model, p, xb, yb, K):
    """Σ_b log p(y|x) per chain, [K]; p: views with a leading chain dim; xb [K, B, ...]."""
    if model == "fcn":
        h = xb
        names = sorted(k[:-2] for k in p if k.endswith(".w"))
        for i, l in enumerate(names):
            h = torch.baddbmm(p[l + ".b"].unsqueeze(1), h, p[l + ".w"])
            if i + 1 < len(names):
                h = torch.relu(h)
        sigma = torch.exp(p["log_sigma"]).clamp(1e-6, 1e6).unsqueeze(1)
        r = (yb - h[..., 0]) / sigma
        return (-0.5 * r * r - torch.log(sigma) - HALF_LOG_2PI).sum(1)
    g = lambda t: Fn.gelu(t, approximate="tanh")  # noqa: E731
    B = xb.shape[1]
    x = xb.transpose(0, 1).reshape(B, K, 28, 28)                # chains as channel groups
    w1, w2 = p["c1.w"], p["c2.w"]
    h = Fn.conv2d(x, w1.reshape((-1,) + w1.shape[2:]), p["c1.b"].reshape(-1), padding=2,
                  groups=K)
    h = Fn.avg_pool2d(g(h), 2)
    h = Fn.conv2d(h, w2.reshape((-1,) + w2.shape[2:]), p["c2.b"].reshape(-1), groups=K)
    h = Fn.avg_pool2d(g(h), 2)                                  # [B, K*16, 5, 5]
    h = h.reshape(B, K, -1).transpose(0, 1)                     # [K, B, 400]
    h = g(torch.baddbmm(p["d1.b"].unsqueeze(1), h, p["d1.w"]))
    h = g(torch.baddbmm(p["d2.b"].unsqueeze(1), h, p["d2.w"]))
    z = torch.baddbmm(p["d3.b"].unsqueeze(1), h, p["d3.w"])     # [K, B, 10]
    return -Fn.cross_entropy(z.reshape(-1, z.shape[-1]), yb.reshape(-1),
                             reduction="none").view(K, B).sum(1)


def run_batched(a, X, Y, eps, gen, how):
    K, B, N = a.chains, a.batch, X.shape[0]
    lay = layout(a.model, X.shape[1] if a.model == "fcn" else 0)
    nb = max(1, N // B)
    scale = float(nb)
    x = init_flat(lay, K, gen)
    d = x.shape[1]
    st = dict(x=x, u=torch.zeros(K, d), g=torch.zeros(K, d), logp=torch.zeros(K),
              have=torch.zeros(K, dtype=torch.bool), mu=torch.ones(K, d),
              sig=torch.ones(K, d), mE=torch.zeros(K), sE=torch.zeros(K), t=1,
              perm=None, next=nb)
    single = fcn_loglik_single if a.model == "fcn" else lenet_loglik_single

    if how == "vmap":
        from functorch import grad_and_value, vmap

        def lp1(th, xb, yb):
            return scale * single(views(th, lay), xb, yb) - 0.5 * (th * th).sum()

        gv = vmap(grad_and_value(lp1))

        def logp_grad(th, xb, yb):
            g, lp = gv(th, xb, yb)
            return lp, g
    else:
        def logp_grad(th, xb, yb):
            with torch.enable_grad():
                th = th.detach().requires_grad_(True)
                lp = scale * bmm_loglik(a.model, views(th, lay), xb, yb, K) \
                    - 0.5 * (th * th).sum(1)
                (g,) = torch.autograd.grad(lp.sum(), th)
            return lp.detach(), g

    def velocity(u, g, D, c):
        h = D * g
        nh = h.norm(dim=1, keepdim=True)
        ok = nh > 1e-13
        hhat = h / torch.where(ok, nh, torch.ones_like(nh))
        e = (u * hhat).sum(1, keepdim=True).clamp(-1, 1)
        delta = eps * c * nh / (d - 1)
        zeta = torch.exp(-delta)
        w = hhat * ((1 - zeta) * (1 + zeta + e * (1 - zeta))) + 2 * zeta * u
        u = torch.where(ok, w / w.norm(dim=1, keepdim=True), u)
        dK = (d - 1) * (delta - LN2 + torch.log(1 + e + (1 - e) * zeta * zeta))
        return u, torch.where(ok, dK, torch.zeros_like(dK))[:, 0]

    @torch.no_grad()
    def step():
        if st["next"] == nb:
            st["perm"], st["next"] = torch.argsort(torch.rand(K, N, generator=gen), dim=1), 0
        idx = st["perm"][:, st["next"] * B:(st["next"] + 1) * B]
        st["next"] += 1
        xb, yb = X[idx], Y[idx]
        sc = st["sig"].clamp(1e-2, 1e4)
        D = torch.sqrt((sc * sc).mean(1, keepdim=True)) / sc
        x, u, g, lp = st["x"], st["u"], st["g"], st["logp"]
        x_prev, g_prev, l_prev, have_prev = x, g, lp, st["have"]
        dK = torch.zeros(K)
        for i, c in enumerate(COEF):
            if i % 2 == 0:
                u, k = velocity(u, g, D, c)
                dK = dK + k
            else:
                x = x + (eps * c) * D * u
                lp, g = logp_grad(x, xb, yb)
                g = g.clamp(-1e6, 1e6)
        dE = torch.where(have_prev, dK - (lp - l_prev), dK)
        bad = ~(torch.isfinite(dE) & torch.isfinite(x).all(1))
        bc = bad.unsqueeze(1)
        st["x"] = torch.where(bc, x_prev, x)
        st["g"] = torch.where(bc, g_prev, g)
        st["u"] = torch.where(bc, torch.zeros_like(u), u)
        st["logp"] = torch.where(bad, l_prev, lp)
        st["have"] = torch.where(bad, have_prev, torch.ones_like(have_prev))
        # §7.5 statistics (vectorised stats_update), skipped on non-finite steps
        t, a_ = st["t"], dE.abs()
        m = a_ if t < 3 else 0.99 * st["mE"] + 0.01 * a_
        m = m.clamp(1e-6, 1e6)
        v = (0.99 * st["sE"] ** 2 if t != 1 else 0.0) + 0.01 * (a_ - m) ** 2
        if t >= 5:
            v = v / (1 - 0.5 ** (t - 4))
        st["mE"] = torch.where(bad, st["mE"], m)
        st["sE"] = torch.where(bad, st["sE"], v.sqrt().clamp(1e-6, 1e7))
        mu = (0.99 * st["mu"] + 0.01 * g).clamp(-1e6, 1e6)
        dev = g - mu
        sig = torch.sqrt((0.99 * st["sig"] ** 2 + 0.01 * dev * dev).clamp(min=1e-7))
        st["mu"] = torch.where(bc, st["mu"], mu)
        st["sig"] = torch.where(bc, st["sig"], sig)
        st["t"] = t + 1

    def block(n):
        for _ in range(n):
            step()

    block(a.warmup)
    return block, d


def main():
    a, eps = parse_args("torch-loop,torch-bmm,torch-vmap", [
        ("--warmup", dict(type=int, default=0, help="untimed steps (0: model default)"))])
    a.warmup = a.warmup or (20 if a.model == "fcn" else 1)
    torch.set_num_threads(a.threads)
    for v in a.variants.split(","):
        gen = torch.Generator().manual_seed(a.seed)
        X, Y = make_data(a.model, a.n_data, a.inputs, gen)
        t0 = time.perf_counter()
        if v == "torch-loop":
            block, d = run_loop(a, X, Y, eps, gen)
        elif v in ("torch-bmm", "torch-vmap"):
            try:
                block, d = run_batched(a, X, Y, eps, gen, v.split("-")[1])
            except Exception as ex:  # e.g. a functorch batching rule missing
                emit(dict(peer=v, model=a.model, error="%s: %s" % (type(ex).__name__, ex)))
                continue
        else:
            raise SystemExit("unknown variant " + v)
        setup = time.perf_counter() - t0
        best, per, n, cpu = best_of(block, a.steps, a.repeat, a.seconds)
        emit(dict(peer=v, model=a.model, chains=a.chains, batch=a.batch, n_data=a.n_data,
                  threads=a.threads, params=d, steps=n, repeat=a.repeat, warmup_steps=a.warmup,
                  **timing_fields(best, per, cpu, a.chains), setup_s=setup,
                  torch=torch.__version__))


if __name__ == "__main__":
    main()
