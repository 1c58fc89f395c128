#!/usr/bin/env python3
"""Generates the PyTorch reference fixtures of tests/test_model_torch.c.

For every model family and likelihood (small widths, the spec's geometry where cheap)
this script builds the model in PyTorch on the SAME flat parameter layout as
src/model/model.c (names, order, shapes; row-major; NHWC images; dense kernels [in][out];
conv kernels [KH][KW][C][OC]; fused q|k|v), draws a float32 parameter vector and data,
and computes in float64 with autograd

    log p̂(θ; b) = Σ_j log N(θ_j; 0, σ_p²) + s · Σ_{i∈b} log p(y_i | x_i, θ)

(experiments.md §0.3, samplers.md §1.3) and its gradient. Because θ and the data are
float32 values evaluated exactly in float64, the C double path must agree to ~1e-12 and
the C float path up to float32 rounding.

File format (little endian), tests/ref/model_<name>.smfx:
    b"SMFX", u32 version = 1, u32 json_len, json (UTF-8), then the arrays listed in
    json["arrays"] in order, each raw (f32 / f64 / i32 / u32).
The JSON holds the model description (smile_model_desc fields), the layout table, the
batch (scale, whether idx is NULL) and the reference log posterior.

Run:  /usr/bin/python3 tests/ref/gen_model_fixtures.py   (needs python3-torch; Debian:
apt-get install python3-torch). Regenerating changes the random draws only if the seeds
below change.
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as Fn

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))

# ----------------------------------------------------------------------------------------
# layout builder (mirrors src/model/model.c add_* functions, same order and names)
# ----------------------------------------------------------------------------------------


class Layout:
    def __init__(self):
        self.entries = []  # (name, offset, shape, kind)
        self.d = 0

    def add(self, name, shape, kind, fan_in=1):
        size = 1
        for s in shape:
            size *= s
        self.entries.append((name, self.d, tuple(shape), kind, fan_in))
        self.d += size
        return name

    def dense(self, prefix, i, o, bias=True):
        self.add(prefix + ".w", (i, o), "w", i)
        if bias:
            self.add(prefix + ".b", (o,), "b")

    def conv(self, prefix, kh, kw, c, oc, bias):
        self.add(prefix + ".w", (kh, kw, c, oc), "w", c * kh * kw)
        if bias:
            self.add(prefix + ".b", (oc,), "b")

    def frn(self, prefix, c):
        self.add(prefix + ".gamma", (c,), "one")
        self.add(prefix + ".beta", (c,), "b")
        self.add(prefix + ".tau", (c,), "b")
        self.add(prefix + ".eps", (), "eps")

    def ln(self, prefix, c, bias):
        self.add(prefix + ".g", (c,), "one")
        if bias:
            self.add(prefix + ".b", (c,), "b")


def draw_theta(layout, gen):
    """float32 θ: weights N(0, 1/fan_in), biases/β/τ N(0, 0.1²), scales 1 + N(0, 0.1²),
    FRN ε = 1e-3·(1 + |z|), other tensors N(0, 0.5²): generic values with no parameter at
    a special point (a TLU exactly at τ = 0, a σ at the clip)."""
    parts = []
    for name, off, shape, kind, fan_in in layout.entries:
        n = 1
        for s in shape:
            n *= s
        z = torch.randn(n, generator=gen, dtype=torch.float32)
        if kind == "w":
            v = z / math.sqrt(fan_in)
        elif kind == "b":
            v = 0.1 * z
        elif kind == "one":
            v = 1 + 0.1 * z
        elif kind == "eps":
            v = 1e-3 * (1 + z.abs())
        else:
            v = 0.5 * z
        parts.append(v.to(torch.float32))
    return torch.cat(parts)


class Params:
    """Views of the flat float64 θ (requires grad) by name."""

    def __init__(self, layout, theta):
        self.t = {}
        for name, off, shape, kind, fan_in in layout.entries:
            n = 1
            for s in shape:
                n *= s
            self.t[name] = theta[off:off + n].view(shape)

    def __getitem__(self, k):
        return self.t[k]

    def get(self, k):
        return self.t.get(k)


# ----------------------------------------------------------------------------------------
# layers in our conventions (NHWC, [in][out] dense, [KH][KW][C][OC] conv)
# ----------------------------------------------------------------------------------------


def dense(x, P, prefix):
    y = x @ P[prefix + ".w"]
    b = P.get(prefix + ".b")
    return y + b if b is not None else y


def same_pads(n, k, s):
    out = (n + s - 1) // s
    tot = max((out - 1) * s + k - n, 0)
    return tot // 2, tot - tot // 2


def conv(x, P, prefix, stride=1, pad="same", explicit=None):
    """x NHWC; §4.4 SAME padding (⌊P/2⌋ before) or explicit (t, b, l, r) or VALID."""
    w = P[prefix + ".w"]  # [KH, KW, C, OC]
    kh, kw = w.shape[0], w.shape[1]
    xc = x.permute(0, 3, 1, 2)
    if explicit is not None:
        t, b, l, r = explicit
    elif pad == "same":
        t, b = same_pads(x.shape[1], kh, stride)
        l, r = same_pads(x.shape[2], kw, stride)
    else:
        t = b = l = r = 0
    xc = Fn.pad(xc, (l, r, t, b))
    y = Fn.conv2d(xc, w.permute(3, 2, 0, 1), P.get(prefix + ".b"), stride=stride)
    return y.permute(0, 2, 3, 1)


def maxpool(x, k, s, same):
    xc = x.permute(0, 3, 1, 2)
    if same:
        t, b = same_pads(x.shape[1], k, s)
        l, r = same_pads(x.shape[2], k, s)
        xc = Fn.pad(xc, (l, r, t, b), value=-math.inf)
    return Fn.max_pool2d(xc, k, s).permute(0, 2, 3, 1)


def avgpool(x):
    return Fn.avg_pool2d(x.permute(0, 3, 1, 2), 2, 2).permute(0, 2, 3, 1)


def frn(x, P, prefix):
    """§4.4: ν² = mean_{h,w} x², x̂ = x / sqrt(ν² + |ε|), max(γ x̂ + β, τ)."""
    nu2 = (x * x).mean(dim=(1, 2), keepdim=True)
    xh = x * torch.rsqrt(nu2 + P[prefix + ".eps"].abs())
    return torch.maximum(P[prefix + ".gamma"] * xh + P[prefix + ".beta"], P[prefix + ".tau"])


def gelu(x):
    """§3.2 tanh form."""
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def layernorm(x, P, prefix, eps):
    return Fn.layer_norm(x, (x.shape[-1],), P[prefix + ".g"], P.get(prefix + ".b"), eps)


def attention(qkv, nh, causal):
    B, T, C3 = qkv.shape
    C = C3 // 3
    hd = C // nh
    q, k, v = qkv[..., :C], qkv[..., C:2 * C], qkv[..., 2 * C:]
    q = q.reshape(B, T, nh, hd).transpose(1, 2)
    k = k.reshape(B, T, nh, hd).transpose(1, 2)
    v = v.reshape(B, T, nh, hd).transpose(1, 2)
    s = q @ k.transpose(-1, -2) / math.sqrt(hd)
    if causal:
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        s = s.masked_fill(~mask, -math.inf)
    p = torch.softmax(s, dim=-1)
    return (p @ v).transpose(1, 2).reshape(B, T, C)


def tblock(x, P, l, d, causal, ref):
    pre = "blk%d" % l
    a = layernorm(x, P, pre + ".ln1", d["ln_eps"])
    att = attention(dense(a, P, pre + ".attn.qkv"), d["heads"], causal)
    h = dense(att, P, pre + ".attn.proj") + (a if ref else x)
    c = layernorm(h, P, pre + ".ln2", d["ln_eps"])
    f = dense(gelu(dense(c, P, pre + ".mlp.fc1")), P, pre + ".mlp.fc2")
    return f + (c if ref else h)


# ----------------------------------------------------------------------------------------
# models: layout + forward (outputs per example)
# ----------------------------------------------------------------------------------------

KINDS = {"fcn": 0, "lenet": 1, "resnet7": 2, "resnet18": 3, "vit": 4, "gpt": 5}
LIKS = {"homo": 1, "hetero": 2, "categorical": 3, "token": 4}


def build_layout(d):
    L = Layout()
    k = d["kind"]
    if k == "fcn":
        n_out = {"homo": 1, "hetero": 2, "categorical": d["n_classes"]}[d["lik"]]
        widths = [d["n_inputs"]] + d["hidden"] + [n_out]
        for l in range(len(widths) - 1):
            L.dense("dense%d" % (l + 1), widths[l], widths[l + 1])
        if d["lik"] == "homo":
            L.add("log_sigma", (), "logsig")
    elif k == "lenet":
        c1, c2, h1, h2 = d["lenet"]
        L.conv("conv1", 5, 5, d["in_c"], c1, True)
        L.conv("conv2", 5, 5, c1, c2, True)
        H = ((d["in_h"] // 2) - 4) // 2
        W = ((d["in_w"] // 2) - 4) // 2
        L.dense("dense1", H * W * c2, h1)
        L.dense("dense2", h1, h2)
        L.dense("dense3", h2, d["n_classes"])
    elif k == "resnet7":
        w = d["res_width"]
        C = d["in_c"]
        for i, m in enumerate([1, 2, 2, 4, 4, 4]):
            L.conv("conv%d" % (i + 1), 3, 3, C, m * w, True)
            L.frn("frn%d" % (i + 1), m * w)
            C = m * w
        L.dense("dense", C, d["n_classes"])
    elif k == "resnet18":
        w = d["res_width"]
        L.conv("stem.conv", 3, 3, d["in_c"], w, False)
        L.frn("stem.frn", w)
        C = w
        for s in range(4):
            F_ = w << s
            for j in range(2):
                st = 2 if (s > 0 and j == 0) else 1
                pre = "s%d.b%d" % (s + 1, j)
                L.conv(pre + ".conv1", 3, 3, C, F_, False)
                L.frn(pre + ".frn1", F_)
                L.conv(pre + ".conv2", 3, 3, F_, F_, False)
                L.frn(pre + ".frn2", F_)
                if st != 1 or C != F_:
                    L.conv(pre + ".sc.conv", 1, 1, C, F_, False)
                    L.frn(pre + ".sc.frn", F_)
                C = F_
        L.dense("dense", C, d["n_classes"])
    elif k in ("vit", "gpt"):
        C, M, bias = d["embed"], d["mlp"], k == "vit"
        if k == "vit":
            p = d["patch"]
            L.conv("patch", p, p, d["in_c"], C, True)
            T = (d["in_h"] // p) * (d["in_w"] // p) + 1
            L.add("cls", (C,), "emb")
            L.add("pos", (T, C), "emb")
        else:
            L.add("wte", (d["vocab"], C), "emb")
            L.add("wpe", (d["context"], C), "emb")
        for l in range(d["depth"]):
            pre = "blk%d" % l
            L.ln(pre + ".ln1", C, bias)
            L.dense(pre + ".attn.qkv", C, 3 * C, bias)
            L.dense(pre + ".attn.proj", C, C, bias)
            L.ln(pre + ".ln2", C, bias)
            L.dense(pre + ".mlp.fc1", C, M, bias)
            L.dense(pre + ".mlp.fc2", M, C, bias)
        if k == "vit":
            L.dense("head.fc1", C, d["cls_hidden"])
            L.dense("head.fc2", d["cls_hidden"], d["n_classes"])
        else:
            L.ln("ln_f", C, False)
            L.dense("lm_head", C, d["vocab"], False)
    return L


def forward(d, P, x):
    """x: [n, features] (FCN), [n, H, W, C] images, or [n, T] int64 tokens (GPT)."""
    k = d["kind"]
    if k == "fcn":
        h = x
        nl = len(d["hidden"]) + 1
        for l in range(nl):
            h = dense(h, P, "dense%d" % (l + 1))
            if l + 1 < nl:
                h = torch.relu(h)
        return h
    if k == "lenet":
        h = avgpool(gelu(conv(x, P, "conv1", explicit=(2, 2, 2, 2))))
        h = avgpool(gelu(conv(h, P, "conv2", pad="valid")))
        h = h.reshape(h.shape[0], -1)  # (h, w, c) order
        h = gelu(dense(h, P, "dense1"))
        h = gelu(dense(h, P, "dense2"))
        return dense(h, P, "dense3")
    if k == "resnet7":
        h = x
        for i in range(6):
            r = h
            h = frn(conv(h, P, "conv%d" % (i + 1)), P, "frn%d" % (i + 1))
            if i in (1, 3, 4):
                h = maxpool(h, 2, 2, False)
            if i == 5:
                h = h + r
        return dense(h.mean(dim=(1, 2)), P, "dense")
    if k == "resnet18":
        h = frn(conv(x, P, "stem.conv"), P, "stem.frn")
        h = maxpool(h, 3, 2, True)
        for s in range(4):
            for j in range(2):
                st = 2 if (s > 0 and j == 0) else 1
                pre = "s%d.b%d" % (s + 1, j)
                a = h
                h = frn(conv(a, P, pre + ".conv1", stride=st), P, pre + ".frn1")
                h = conv(h, P, pre + ".conv2")
                if P.get(pre + ".sc.conv.w") is not None:
                    sc = frn(conv(a, P, pre + ".sc.conv", stride=st), P, pre + ".sc.frn")
                else:
                    sc = a
                h = frn(h + sc, P, pre + ".frn2")
        return dense(h.mean(dim=(1, 2)), P, "dense")
    if k == "vit":
        p = d["patch"]
        pe = conv(x, P, "patch", stride=p, pad="valid")
        n = pe.shape[0]
        pe = pe.reshape(n, -1, d["embed"])
        cls = P["cls"].view(1, 1, -1).expand(n, 1, d["embed"])
        h = torch.cat([cls, pe], dim=1) + P["pos"]
        for l in range(d["depth"]):
            h = tblock(h, P, l, d, False, False)
        z = gelu(dense(h[:, 0, :], P, "head.fc1"))
        return dense(z, P, "head.fc2")
    if k == "gpt":
        T = x.shape[1]
        h = P["wte"][x] + P["wpe"][:T]
        for l in range(d["depth"]):
            h = tblock(h, P, l, d, True, not d["gpt_pre_ln"])
        h = layernorm(h, P, "ln_f", d["ln_eps"])
        return dense(h, P, "lm_head")  # [n, T, V]
    raise ValueError(k)


def gauss_logpdf(y, mu, t):
    """§2.4: σ = clip(e^t, 1e-6, 1e6)."""
    sigma = torch.clamp(torch.exp(t), 1e-6, 1e6)
    return -0.5 * math.log(2 * math.pi) - torch.log(sigma) - 0.5 * ((y - mu) / sigma) ** 2


def log_posterior(d, L, theta, data, idx, scale):
    P = Params(L, theta)
    sp = d["prior_sigma"]
    prior = (-0.5 * (theta / sp) ** 2).sum() - theta.numel() * (
        math.log(sp) + 0.5 * math.log(2 * math.pi))
    rows = idx if idx is not None else torch.arange(data["n"])
    if d["kind"] == "gpt":
        T = d["context"]
        tok = data["tokens"]
        win = torch.stack([tok[r:r + T + 1] for r in rows.tolist()])
        logits = forward(d, P, win[:, :T])
        lp = torch.log_softmax(logits, dim=-1)
        ll = lp.gather(-1, win[:, 1:].unsqueeze(-1)).sum()
    else:
        x = data["x"][rows]
        out = forward(d, P, x)
        if d["lik"] == "homo":
            ll = gauss_logpdf(data["y"][rows], out[:, 0], P["log_sigma"]).sum()
        elif d["lik"] == "hetero":
            ll = gauss_logpdf(data["y"][rows], out[:, 0], out[:, 1]).sum()
        else:
            lp = torch.log_softmax(out, dim=-1)
            ll = lp.gather(1, data["labels"][rows].unsqueeze(1)).sum()
    return prior + scale * ll


# ----------------------------------------------------------------------------------------
# cases
# ----------------------------------------------------------------------------------------

DESC_DEFAULT = dict(lik="categorical", prior_sigma=1.0, n_inputs=0, hidden=[], in_h=0, in_w=0,
                    in_c=0, n_classes=10, lenet=[0, 0, 0, 0], res_width=0, patch=0, embed=0,
                    depth=0, heads=0, mlp=0, cls_hidden=0, vocab=0, context=0, gpt_pre_ln=0,
                    ln_eps=1e-6)


def case(name, kind, n, batch, full=False, pixel_scale=1.0, **kw):
    d = dict(DESC_DEFAULT)
    d.update(kw)
    d["kind"] = kind
    return dict(name=name, desc=d, n=n, batch=batch, full=full, pixel_scale=pixel_scale)


CASES = [
    # UCI SMILE model 11 → 16-16-16 → 1 + log σ (§2.3), mini-batch with s = N/B
    case("fcn_homo", "fcn", 40, 16, lik="homo", n_inputs=11, hidden=[16, 16, 16]),
    # MILE model 5 → 16-16 → (μ, η), full data (idx NULL, s = 1), σ_p = 1.5
    case("fcn_hetero", "fcn", 24, 24, full=True, lik="hetero", n_inputs=5, hidden=[16, 16],
         prior_sigma=1.5),
    case("fcn_categorical", "fcn", 20, 8, lik="categorical", n_inputs=6, hidden=[10],
         n_classes=4),
    # LeNet geometry of §3.2 (28×28×1), reduced widths
    case("lenet", "lenet", 6, 3, in_h=28, in_w=28, in_c=1, lenet=[3, 4, 20, 12]),
    # ResNet-7 geometry of §4.6 on 32×32×3 pixels 0..255 (§4.2 no scaling), width 4
    case("resnet7", "resnet7", 4, 2, in_h=32, in_w=32, in_c=3, res_width=4, pixel_scale=255.0),
    # ResNet-18 geometry of §4.5 on 32×32×3, width 2
    case("resnet18", "resnet18", 4, 2, in_h=32, in_w=32, in_c=3, res_width=2, pixel_scale=255.0),
    # ViT 32×32, patch 8 (17 tokens), width 16, 2 blocks, 4 heads
    case("vit", "vit", 4, 2, in_h=32, in_w=32, in_c=3, patch=8, embed=16, depth=2, heads=4,
         mlp=32, cls_hidden=24),
    # GPT [ref] block and the pre-LN option: vocab 65, context 16, width 16, 2 blocks
    case("gpt", "gpt", 30, 3, lik="token", vocab=65, context=16, embed=16, depth=2, heads=4,
         mlp=64),
    case("gpt_preln", "gpt", 30, 3, lik="token", vocab=65, context=16, embed=16, depth=2,
         heads=4, mlp=64, gpt_pre_ln=1),
]


def write_case(c, seed):
    d = c["desc"]
    gen = torch.Generator().manual_seed(seed)
    L = build_layout(d)
    theta32 = draw_theta(L, gen)
    n = c["n"]
    data = {"n": n}
    arrays = []
    blobs = []

    def push(name, t, typ):
        arrays.append({"name": name, "type": typ, "count": int(t.numel())})
        blobs.append(t.contiguous().numpy().tobytes())

    if d["kind"] == "gpt":
        tok = torch.randint(0, d["vocab"], (n + d["context"],), generator=gen, dtype=torch.int32)
        data["tokens"] = tok.long()
    else:
        if d["kind"] == "fcn":
            shape = (n, d["n_inputs"])
        else:
            shape = (n, d["in_h"], d["in_w"], d["in_c"])
        if c["pixel_scale"] != 1.0:
            x32 = torch.randint(0, 256, shape, generator=gen).to(torch.float32)
        else:
            x32 = torch.randn(shape, generator=gen, dtype=torch.float32)
        y32 = torch.randn(n, generator=gen, dtype=torch.float32)
        lab = torch.randint(0, d["n_classes"], (n,), generator=gen, dtype=torch.int32)
        data.update(x=x32.double(), y=y32.double(), labels=lab.long())
    if c["full"]:
        idx, scale = None, 1.0
    else:
        idx = torch.randperm(n, generator=gen)[:c["batch"]]
        scale = n / c["batch"]  # SCALE_N_OVER_B (samplers.md §1.3)
    theta = theta32.double().requires_grad_(True)
    lp = log_posterior(d, L, theta, data, idx, scale)
    (g,) = torch.autograd.grad(lp, theta)

    push("theta", theta32, "f32")
    if d["kind"] == "gpt":
        push("tokens", data["tokens"].to(torch.int32), "i32")
    else:
        push("x", x32.reshape(-1), "f32")
        push("y", y32, "f32")
        push("labels", lab, "i32")
    if idx is not None:
        push("idx", idx.to(torch.int32), "u32")
    push("grad", g.detach(), "f64")

    desc = {k: d[k] for k in d if k not in ("kind", "lik")}
    desc["kind"] = KINDS[d["kind"]]
    desc["likelihood"] = LIKS[d["lik"]]
    meta = {
        "name": c["name"],
        "desc": desc,
        "d": L.d,
        "n": n,
        "batch": 0 if idx is None else int(idx.numel()),
        "scale": scale,
        "logp": repr(float(lp.detach())),
        "layout": [[e[0], e[1], list(e[2])] for e in L.entries],
        "arrays": arrays,
    }
    js = json.dumps(meta, separators=(",", ":")).encode()
    path = os.path.join(HERE, "model_%s.smfx" % c["name"])
    with open(path, "wb") as f:
        f.write(b"SMFX" + struct.pack("<II", 1, len(js)) + js)
        for b in blobs:
            f.write(b)
    print("%-16s d=%-6d logp=%.10g  %7d bytes" % (c["name"], L.d, float(lp), os.path.getsize(path)))


def main():
    only = set(sys.argv[1:])
    for i, c in enumerate(CASES):
        if not only or c["name"] in only:
            write_case(c, 1000 + i)


if __name__ == "__main__":
    main()
