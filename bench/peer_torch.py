#!/usr/bin/env python3
"""Peer benchmark: log-posterior gradient evaluations per second, smile vs PyTorch.

For each (model, batch, threads) it times, in the same run and interleaved,
  * `build/smile bench-model --model M --batch B --threads T --json` (our C engine), and
  * the same function in PyTorch (Debian python3-torch, float32, autograd w.r.t. one flat
    parameter vector, idiomatic PyTorch: NCHW convolutions, built-in GELU(tanh),
    LayerNorm, cross-entropy; the same architectures as experiments.md),
plus the OpenBLAS SGEMM rate (`smile bench-model --sgemm`) with the same threads, and
prints the ratio table (ours / PyTorch) with the issue's targets and, for ResNet-7 and
the GPT, our achieved GFLOP/s as a fraction of the SGEMM rate.

The function timed on both sides (experiments.md §0.3, samplers.md §1.3):
    log p̂(θ; b) = Σ_j log N(θ_j; 0, 1) + s · Σ_{i∈b} log p(y_i | x_i, θ),  s = N/B,
and its gradient with respect to all d parameters.

usage: bench/peer_torch.sh [--models fcn,lenet,resnet7,gpt] [--threads T] [--seconds S]
                           [--batch model=B,...] [--smile build/smile] [--json]
(peer_torch.sh installs python3-torch with apt-get when it is missing and runs this file
with /usr/bin/python3, which is where Debian installs torch.)
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

import torch
import torch.nn.functional as Fn

# (model, batch, threads or None = --threads, target ratio or None)
DEFAULT_RUNS = [
    ("fcn", 256, 1, 10.0),
    ("lenet", 512, None, 2.0),
    ("resnet7", 128, None, 1.0),
    ("gpt", 8, None, 1.0),
    ("resnet18", 64, None, None),
    ("vit", 16, None, None),
]

# ----------------------------------------------------------------------------------------
# PyTorch models on one flat parameter vector (NCHW; shapes as experiments.md)
# ----------------------------------------------------------------------------------------


class Flat:
    """Collects tensor shapes, then hands out views of one flat vector θ."""

    def __init__(self):
        self.shapes = []

    def add(self, name, *shape):
        self.shapes.append((name, shape))

    def build(self, init):
        n = sum(math.prod(s) for _, s in self.shapes)
        theta = torch.empty(n)
        off = 0
        for name, s in self.shapes:
            k = math.prod(s)
            theta[off:off + k] = init(name, s).reshape(-1)
            off += k
        self.theta = theta.requires_grad_(True)
        return self.theta

    def views(self):
        out, off = {}, 0
        for name, s in self.shapes:
            k = math.prod(s)
            out[name] = self.theta[off:off + k].view(s)
            off += k
        return out


def init_fn(name, s):
    if name.endswith(".w"):
        fan_in = math.prod(s[1:]) if len(s) == 4 else s[0]
        return torch.randn(s) / math.sqrt(fan_in)
    if name.endswith(".g") or name.endswith(".gamma"):
        return torch.ones(s)
    if name.endswith(".eps"):
        return torch.full(s, 1e-6)
    if name in ("wte", "wpe", "cls", "pos"):
        return 0.05 * torch.randn(s)
    return torch.zeros(s)


def frn(x, p, pre):
    nu2 = x.pow(2).mean(dim=(2, 3), keepdim=True)
    x = x * torch.rsqrt(nu2 + p[pre + ".eps"].abs())
    g = p[pre + ".gamma"].view(1, -1, 1, 1)
    b = p[pre + ".beta"].view(1, -1, 1, 1)
    t = p[pre + ".tau"].view(1, -1, 1, 1)
    return torch.max(g * x + b, t)


def add_frn(f, pre, c):
    f.add(pre + ".gamma", c)
    f.add(pre + ".beta", c)
    f.add(pre + ".tau", c)
    f.add(pre + ".eps", 1)


def gelu(x):
    return Fn.gelu(x, approximate="tanh")


class FCN:
    def __init__(self, p_in=11, hidden=(16, 16, 16)):
        f = self.f = Flat()
        w = [p_in] + list(hidden) + [1]
        self.L = len(w) - 1
        for l in range(self.L):
            f.add("d%d.w" % l, w[l + 1], w[l])
            f.add("d%d.b" % l, w[l + 1])
        f.add("log_sigma", 1)
        self.p_in = p_in

    def data(self, n):
        return torch.randn(n, self.p_in), torch.randn(n)

    def loglik(self, p, x, y):
        h = x
        for l in range(self.L):
            h = Fn.linear(h, p["d%d.w" % l], p["d%d.b" % l])
            if l + 1 < self.L:
                h = torch.relu(h)
        t = p["log_sigma"]
        sigma = torch.clamp(torch.exp(t), 1e-6, 1e6)
        r = (y - h[:, 0]) / sigma
        return (-0.5 * math.log(2 * math.pi) - torch.log(sigma) - 0.5 * r * r).sum()


class LeNet:
    def __init__(self):
        f = self.f = Flat()
        f.add("c1.w", 6, 1, 5, 5), f.add("c1.b", 6)
        f.add("c2.w", 16, 6, 5, 5), f.add("c2.b", 16)
        f.add("d1.w", 120, 400), f.add("d1.b", 120)
        f.add("d2.w", 84, 120), f.add("d2.b", 84)
        f.add("d3.w", 10, 84), f.add("d3.b", 10)

    def data(self, n):
        return torch.rand(n, 1, 28, 28), torch.randint(0, 10, (n,))

    def loglik(self, p, x, y):
        h = Fn.avg_pool2d(gelu(Fn.conv2d(x, p["c1.w"], p["c1.b"], padding=2)), 2)
        h = Fn.avg_pool2d(gelu(Fn.conv2d(h, p["c2.w"], p["c2.b"])), 2)
        h = gelu(Fn.linear(h.flatten(1), p["d1.w"], p["d1.b"]))
        h = gelu(Fn.linear(h, p["d2.w"], p["d2.b"]))
        return -Fn.cross_entropy(Fn.linear(h, p["d3.w"], p["d3.b"]), y, reduction="sum")


class ResNet7:
    def __init__(self, w=32):
        f = self.f = Flat()
        c = 3
        for i, m in enumerate([1, 2, 2, 4, 4, 4]):
            f.add("c%d.w" % i, m * w, c, 3, 3), f.add("c%d.b" % i, m * w)
            add_frn(f, "f%d" % i, m * w)
            c = m * w
        f.add("d.w", 10, c), f.add("d.b", 10)

    def data(self, n):
        return 255 * torch.rand(n, 3, 32, 32), torch.randint(0, 10, (n,))

    def loglik(self, p, x, y):
        h = x
        for i in range(6):
            r = h
            h = frn(Fn.conv2d(h, p["c%d.w" % i], p["c%d.b" % i], padding=1), p, "f%d" % i)
            if i in (1, 3, 4):
                h = Fn.max_pool2d(h, 2)
            if i == 5:
                h = h + r
        return -Fn.cross_entropy(Fn.linear(h.mean(dim=(2, 3)), p["d.w"], p["d.b"]), y,
                                 reduction="sum")


class ResNet18:
    def __init__(self, w=64):
        f = self.f = Flat()
        f.add("stem.w", w, 3, 3, 3)
        add_frn(f, "stem.f", w)
        self.blocks = []
        c = w
        for s in range(4):
            F_ = w << s
            for j in range(2):
                st = 2 if (s > 0 and j == 0) else 1
                pre = "s%db%d" % (s, j)
                f.add(pre + ".c1.w", F_, c, 3, 3)
                add_frn(f, pre + ".f1", F_)
                f.add(pre + ".c2.w", F_, F_, 3, 3)
                add_frn(f, pre + ".f2", F_)
                sc = st != 1 or c != F_
                if sc:
                    f.add(pre + ".sc.w", F_, c, 1, 1)
                    add_frn(f, pre + ".fsc", F_)
                self.blocks.append((pre, st, sc))
                c = F_
        f.add("d.w", 10, c), f.add("d.b", 10)

    def data(self, n):
        return 255 * torch.rand(n, 3, 32, 32), torch.randint(0, 10, (n,))

    def loglik(self, p, x, y):
        h = frn(Fn.conv2d(x, p["stem.w"], padding=1), p, "stem.f")
        h = Fn.max_pool2d(Fn.pad(h, (0, 1, 0, 1), value=-math.inf), 3, 2)  # SAME: 0 before, 1 after
        for pre, st, sc in self.blocks:
            a = h
            if st == 2:  # SAME 3x3/2 on even input: pad 0 before, 1 after
                h = Fn.conv2d(Fn.pad(a, (0, 1, 0, 1)), p[pre + ".c1.w"], stride=2)
            else:
                h = Fn.conv2d(a, p[pre + ".c1.w"], padding=1)
            h = frn(h, p, pre + ".f1")
            h = Fn.conv2d(h, p[pre + ".c2.w"], padding=1)
            s = frn(Fn.conv2d(a, p[pre + ".sc.w"], stride=st), p, pre + ".fsc") if sc else a
            h = frn(h + s, p, pre + ".f2")
        return -Fn.cross_entropy(Fn.linear(h.mean(dim=(2, 3)), p["d.w"], p["d.b"]), y,
                                 reduction="sum")


def block_params(f, pre, C, M, bias):
    f.add(pre + ".ln1.g", C)
    if bias:
        f.add(pre + ".ln1.b", C)
    f.add(pre + ".qkv.w", 3 * C, C)
    if bias:
        f.add(pre + ".qkv.b", 3 * C)
    f.add(pre + ".proj.w", C, C)
    if bias:
        f.add(pre + ".proj.b", C)
    f.add(pre + ".ln2.g", C)
    if bias:
        f.add(pre + ".ln2.b", C)
    f.add(pre + ".fc1.w", M, C)
    if bias:
        f.add(pre + ".fc1.b", M)
    f.add(pre + ".fc2.w", C, M)
    if bias:
        f.add(pre + ".fc2.b", C)


def block(x, p, pre, nh, mask, ref):
    B, T, C = x.shape
    hd = C // nh
    a = Fn.layer_norm(x, (C,), p[pre + ".ln1.g"], p.get(pre + ".ln1.b"), 1e-6)
    q, k, v = Fn.linear(a, p[pre + ".qkv.w"], p.get(pre + ".qkv.b")).split(C, dim=2)
    q = q.view(B, T, nh, hd).transpose(1, 2)
    k = k.view(B, T, nh, hd).transpose(1, 2)
    v = v.view(B, T, nh, hd).transpose(1, 2)
    s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
    if mask is not None:
        s = s.masked_fill(mask, float("-inf"))
    o = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, C)
    h = Fn.linear(o, p[pre + ".proj.w"], p.get(pre + ".proj.b")) + (a if ref else x)
    c = Fn.layer_norm(h, (C,), p[pre + ".ln2.g"], p.get(pre + ".ln2.b"), 1e-6)
    m = Fn.linear(gelu(Fn.linear(c, p[pre + ".fc1.w"], p.get(pre + ".fc1.b"))),
                  p[pre + ".fc2.w"], p.get(pre + ".fc2.b"))
    return m + (c if ref else h)


class ViT:
    def __init__(self, img=160, patch=16, C=384, depth=12, heads=8, M=1536, H1=1024):
        f = self.f = Flat()
        self.img, self.patch, self.C, self.depth, self.heads = img, patch, C, depth, heads
        T = (img // patch) ** 2 + 1
        f.add("patch.w", C, 3, patch, patch), f.add("patch.b", C)
        f.add("cls", C), f.add("pos", T, C)
        for l in range(depth):
            block_params(f, "b%d" % l, C, M, True)
        f.add("h1.w", H1, C), f.add("h1.b", H1)
        f.add("h2.w", 10, H1), f.add("h2.b", 10)

    def data(self, n):
        return torch.randn(n, 3, self.img, self.img), torch.randint(0, 10, (n,))

    def loglik(self, p, x, y):
        n = x.shape[0]
        h = Fn.conv2d(x, p["patch.w"], p["patch.b"], stride=self.patch).flatten(2).transpose(1, 2)
        h = torch.cat([p["cls"].view(1, 1, -1).expand(n, 1, self.C), h], dim=1) + p["pos"]
        for l in range(self.depth):
            h = block(h, p, "b%d" % l, self.heads, None, False)
        z = gelu(Fn.linear(h[:, 0], p["h1.w"], p["h1.b"]))
        return -Fn.cross_entropy(Fn.linear(z, p["h2.w"], p["h2.b"]), y, reduction="sum")


class GPT:
    def __init__(self, V=65, T=256, C=384, depth=6, heads=6, M=1536):
        f = self.f = Flat()
        self.V, self.T, self.C, self.depth, self.heads = V, T, C, depth, heads
        f.add("wte", V, C), f.add("wpe", T, C)
        for l in range(depth):
            block_params(f, "b%d" % l, C, M, False)
        f.add("lnf.g", C)
        f.add("lm.w", V, C)
        self.mask = torch.ones(T, T, dtype=torch.bool).triu(1)

    def data(self, n):
        tok = torch.randint(0, self.V, (n, self.T + 1))
        return tok[:, :-1].contiguous(), tok[:, 1:].contiguous()

    def loglik(self, p, x, y):
        h = p["wte"][x] + p["wpe"]
        for l in range(self.depth):
            h = block(h, p, "b%d" % l, self.heads, self.mask, True)
        h = Fn.layer_norm(h, (self.C,), p["lnf.g"], None, 1e-6)
        logits = Fn.linear(h, p["lm.w"])
        return -Fn.cross_entropy(logits.view(-1, self.V), y.view(-1), reduction="sum")


MODELS = {"fcn": FCN, "lenet": LeNet, "resnet7": ResNet7, "resnet18": ResNet18, "vit": ViT,
          "gpt": GPT}


class _P(dict):
    def get(self, k, default=None):
        return dict.get(self, k, default)


def torch_rate(name, B, threads, seconds):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = MODELS[name]()
    theta = model.f.build(init_fn)
    x, y = model.data(B)
    s = 4.0  # N/B with N = 4B, as smile bench-model

    def grad():
        p = _P(model.f.views())
        lp = -0.5 * (theta * theta).sum() + s * model.loglik(p, x, y)
        (g,) = torch.autograd.grad(lp, theta)
        return g

    grad()
    grad()
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while True:
        grad()
        n += 1
        el = time.perf_counter() - t0
        if el >= seconds and n >= 3:
            break
    cpu = time.process_time() - c0
    return n / el, theta.numel(), 1e3 * cpu / n


def smile_json(binary, args):
    out = subprocess.run([binary, "bench-model"] + args + ["--json"], capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise RuntimeError("smile bench-model failed: " + out.stderr.strip())
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="fcn,lenet,resnet7,gpt",
                    help="comma list of fcn,lenet,resnet7,resnet18,vit,gpt")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="threads for all but the FCN (which the issue fixes at 1)")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--batch", default="", help="overrides, e.g. lenet=128,gpt=4")
    ap.add_argument("--smile", default=os.path.join(os.path.dirname(__file__), "..", "build",
                                                    "smile"))
    ap.add_argument("--json", action="store_true", help="also print one JSON line per run")
    a = ap.parse_args()
    over = dict(kv.split("=") for kv in a.batch.split(",") if kv)
    wanted = a.models.split(",")
    runs = [(m, int(over.get(m, b)), t or a.threads, tgt) for m, b, t, tgt in DEFAULT_RUNS
            if m in wanted]
    print("torch %s (%s), smile %s" % (torch.__version__, torch.__config__.parallel_info()
                                         .splitlines()[0], a.smile))
    sgemm = {}
    rows = []
    for m, B, T, tgt in runs:
        if T not in sgemm:
            sgemm[T] = smile_json(a.smile, ["--sgemm", "--threads", str(T), "--seconds", "1"])
        # interleave: ours, torch, ours (best of the two C runs against the same load)
        ours1 = smile_json(a.smile, ["--model", m, "--batch", str(B), "--threads", str(T),
                                     "--seconds", str(a.seconds)])
        tr, d, tcpu = torch_rate(m, B, T, a.seconds)
        ours2 = smile_json(a.smile, ["--model", m, "--batch", str(B), "--threads", str(T),
                                     "--seconds", str(a.seconds)])
        ours = max(ours1, ours2, key=lambda r: r["grad_evals_per_s"])
        if d != ours["params"]:
            print("warning: %s has %d parameters in torch, %d in smile" % (m, d, ours["params"]))
        r = dict(model=m, batch=B, threads=T, smile_evals_per_s=ours["grad_evals_per_s"],
                 torch_evals_per_s=tr, ratio=ours["grad_evals_per_s"] / tr, target=tgt,
                 smile_cpu_ms=ours["cpu_ms_per_grad"], torch_cpu_ms=tcpu,
                 cpu_ratio=tcpu / ours["cpu_ms_per_grad"], smile_cpu_util=ours["cpu_util"],
                 smile_gflops=ours["gflops"], sgemm_gflops=sgemm[T]["sgemm_gflops"],
                 sgemm_fraction=ours["gflops"] / sgemm[T]["sgemm_gflops"],
                 sgemm_fraction_cpu=ours["gflops_cpu"] / sgemm[T]["sgemm_gflops_cpu"],
                 peak_rss_mb=ours["peak_rss_mb"])
        rows.append(r)
        if a.json:
            print(json.dumps(r))
    print()
    print("%-9s %5s %3s %12s %12s %8s %7s %5s %10s %9s %8s %8s" % (
        "model", "batch", "thr", "smile ev/s", "torch ev/s", "ratio", "target", "ok",
        "CPU ratio", "GFLOP/s", "of SGEMM", "(CPU)"))
    for r in rows:
        ok = "-" if r["target"] is None else ("yes" if r["ratio"] >= r["target"] else "NO")
        print("%-9s %5d %3d %12.3f %12.3f %7.2fx %7s %5s %9.2fx %9.1f %7.0f%% %7.0f%%" % (
            r["model"], r["batch"], r["threads"], r["smile_evals_per_s"], r["torch_evals_per_s"],
            r["ratio"], "-" if r["target"] is None else ">=%gx" % r["target"], ok,
            r["cpu_ratio"], r["smile_gflops"], 100 * r["sgemm_fraction"],
            100 * r["sgemm_fraction_cpu"]))
    print("\nratio: wall-clock gradient evaluations per second, ours / PyTorch (the target);"
          "\nCPU ratio: PyTorch CPU time per gradient / ours (robust when other processes"
          "\nshare the machine; smile's CPU utilisation was %s)." % ", ".join(
              "%s %.0f%%" % (r["model"], 100 * r["smile_cpu_util"]) for r in rows))
    print("of SGEMM: our GFLOP/s (matrix products, docs/flops.md) / the SGEMM rate, both"
          "\nwall-clock; (CPU): both per CPU-second, i.e. as if no other process ran.")
    print("\nSGEMM (OpenBLAS, 1024^3): " + ", ".join(
        "%d thread(s) %.1f GFLOP/s (%.1f per CPU-second x threads)" % (
            t, g["sgemm_gflops"], g["sgemm_gflops_cpu"]) for t, g in sorted(sgemm.items())))


if __name__ == "__main__":
    main()
