#!/usr/bin/env python3
"""Generates docs/results.md and its pictures from run directories (issue 5 item 2,
issue 6 item 3). Reads only; it never starts a fit.

usage: python3 bench/results.py [--runs runs] [--out docs/results.md] [--pictures docs]
                                [--uci-dir uci]
(defaults relative to the repository root; given paths relative to the current directory)

Layout read (written by bench/reproduce and `smile fit`): RUNS/<uci-dir>/<dataset>-<sampler>-s<seed>,
RUNS/uci_grid/<dataset>-<sampler>-e<eps>-s<seed>, RUNS/uci_t*/ (auto variants at other targets),
RUNS/fmnist/<sampler>[-e<eps>]-s<seed>, RUNS/gpt/<sampler>[-e<eps>]-s<seed> (rows: config
sampler name and step size), RUNS/analytic/*.json
(`smile analytic --json`), RUNS/peers/peer_step.jsonl (bench/peer_step.sh --out); any other
RUNS/<group>/<dir> is listed under "other run directories". A missing part gives a line
"not run yet: <part>"; a directory without a usable metrics.json is listed as incomplete.
Fixed prose: bench/results/*.md (inserted verbatim). Pictures: gnuplot (pngcairo).
Standard library only.
"""
import argparse
import datetime
import glob
import json
import math
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATES = os.path.join(ROOT, "bench", "results")
DATASETS = ["airfoil", "energy", "bikesharing", "protein"]
UCI_SAMPLERS = ["psmile-naive", "smile-naive", "psmile", "smile", "adasghmc", "csgld", "mclmc",
                "psmile-auto", "smile-auto"]
IMG_SAMPLERS = ["de-only", "psmile-naive", "smile-naive", "psmile", "smile", "adasghmc", "csgld",
                "psmile-auto", "smile-auto"]
SMILE_FAMILY = ("smile-naive", "psmile-naive", "smile", "psmile", "smile-auto", "psmile-auto")
PAPER_LPPD = {"airfoil": 0.28, "energy": 2.018, "bikesharing": 0.132}  # experiments.md §8
PAPER_GPT_ACC = 0.5562                                                   # experiments.md §8
# spec budgets: experiments.md §3.3 (F-MNIST) and §6.2-6.3 (GPT)
SPEC = {"fmnist": {"members": 8, "warmup": 5000, "samples": 10000, "thin": 100, "batch": 512},
        "gpt": {"members": 4, "warmup": 200, "samples": 1000, "thin": 100, "batch": 128,
                "gpt_layers": 6, "gpt_width": 384, "gpt_heads": 6, "context": 256}}
GRADS_PER_STEP = {"smile-naive": 2, "psmile-naive": 2, "smile": 2, "psmile": 2, "smile-auto": 2,
                  "psmile-auto": 2, "mclmc": 2, "adasghmc": 1, "csgld": 1, "sgld": 1, "sghmc": 1}
COLOR = {"psmile-naive": "#1f77b4", "smile-naive": "#aec7e8", "psmile": "#d62728",
         "smile": "#ff9896", "adasghmc": "#2ca02c", "csgld": "#9467bd", "mclmc": "#000000",
         "psmile-auto": "#ff7f0e", "smile-auto": "#8c564b"}
INCOMPLETE = {}  # run directory -> reason
_RUNS = {}


# ---------------------------------------------------------------- reading

def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def get(obj, *keys, default=None):
    """obj[k0][k1]... or default when any step is missing (lists take int keys)."""
    for k in keys:
        if isinstance(obj, dict) and k in obj:
            obj = obj[k]
        elif isinstance(obj, list) and isinstance(k, int) and -len(obj) <= k < len(obj):
            obj = obj[k]
        else:
            return default
    return default if obj is None else obj


def num(x):
    """x as a finite float, else None."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return None
    return float(x)


def load_run(d):
    """{'dir', 'cfg', 'met', 'run'} of a run directory, or None (then listed as incomplete)."""
    if d in _RUNS:
        return _RUNS[d]
    cfg = read_json(os.path.join(d, "config.json"))
    met = read_json(os.path.join(d, "metrics.json"))
    r, why = None, None
    if not isinstance(cfg, dict):
        why = "no readable config.json"
    elif not isinstance(met, dict):
        why = "no readable metrics.json (unfinished?)"
    elif num(get(met, "ensemble", "lppd")) is None and num(get(met, "de", "lppd")) is None:
        why = "metrics.json has no lppd"
    else:
        r = {"dir": d, "cfg": cfg, "met": met, "run": read_json(os.path.join(d, "run.json")) or {}}
        if isinstance(met.get("ensemble"), dict):
            miss = [k for k in ("lppd", "seconds", "grad_evals", "n_members_pooled")
                    if num(met["ensemble"].get(k)) is None]
            if miss:
                why = "metrics.json lacks ensemble " + ", ".join(miss) + " (shown as —)"
    if why:
        INCOMPLETE[d] = why
    _RUNS[d] = r
    return r


def scan_all(runs):
    for g in sorted(os.listdir(runs)) if os.path.isdir(runs) else []:
        # runs/quick is the root of `bench/reproduce --quick` (its own page)
        if g in ("analytic", "peers", "quick") or not os.path.isdir(os.path.join(runs, g)):
            continue
        for d in sorted(os.listdir(os.path.join(runs, g))):
            if os.path.isdir(os.path.join(runs, g, d)):
                load_run(os.path.join(runs, g, d))


def by_seed(base, prefix):
    """{seed: run} of the complete directories base/<prefix>-s<seed>."""
    out = {}
    for p in sorted(glob.glob(os.path.join(base, glob.escape(prefix) + "-s*"))):
        m = re.fullmatch(re.escape(prefix) + r"-s(\d+)", os.path.basename(p))
        if m and load_run(p):
            out[int(m.group(1))] = load_run(p)
    return dict(sorted(out.items()))


def template(name):
    try:
        with open(os.path.join(TEMPLATES, name)) as f:
            return f.read().rstrip() + "\n"
    except OSError:
        return "(template bench/results/%s missing)\n" % name


# ---------------------------------------------------------------- numbers and text

def stats(values):
    """(mean, standard error = sd/sqrt(n), n) of the finite values, or None."""
    v = [x for x in map(num, values) if x is not None]
    if not v:
        return None
    se = statistics.stdev(v) / math.sqrt(len(v)) if len(v) > 1 else float("nan")
    return statistics.fmean(v), se, len(v)


def pm(s, d=3):
    if s is None:
        return "—"
    return "%.*f" % (d, s[0]) if math.isnan(s[1]) else "%.*f ± %.*f" % (d, s[0], d, s[1])


def g3(x):
    return "—" if num(x) is None else "%.3g" % x


def sampler_name(r):
    return get(r, "cfg", "sampler", "name", default="?")


def metric(r, phase, *keys):
    """First present key of metrics[phase] (names differ between tasks)."""
    for k in keys:
        v = num(get(r, "met", phase, k))
        if v is not None:
            return v
    return None


def per_chain_grads(r, phase="ensemble"):
    # metrics' n_chains counts pooled chains only; grad_evals covers every member
    g, k = num(get(r, "met", phase, "grad_evals")), num(get(r, "cfg", "members"))
    return g / k if g is not None and k else None


def command(r):
    """(command line, reconstructed?) of a run: command.txt, else rebuilt from config.json."""
    try:
        with open(os.path.join(r["dir"], "command.txt")) as f:
            return " ".join(f.read().split()), False
    except OSError:
        pass
    c, s = r["cfg"], r["cfg"].get("sampler", {})
    a = ["build/smile", "fit", "--task", c.get("task", "?"), "--data", c.get("data", "?"),
         "--sampler", s.get("name", "?")]
    for opt, key in (("--members", "members"), ("--warmup", "warmup"), ("--samples", "samples"),
                     ("--thin", "thin"), ("--batch", "batch")):
        if key in c:
            a += [opt, str(c[key])]
    if "step_size" in s:
        a += ["--step-size", "%g" % s["step_size"]]
    m = c.get("model") or {}
    if c.get("task") == "text":
        for opt, key in (("--gpt-layers", "gpt_layers"), ("--gpt-width", "gpt_width"),
                         ("--gpt-heads", "gpt_heads"), ("--context", "context")):
            a += [opt, str(m[key])] if key in m else []
    elif c.get("task") not in (None, "uci") and "kind" in m:
        a += ["--model", str(m["kind"])]
    if m.get("likelihood") == "gauss_hetero":
        a += ["--likelihood", "hetero"]
    if get(c, "deep_ensemble", "max_epochs") is not None:
        a += ["--de-epochs", str(c["deep_ensemble"]["max_epochs"])]
    if str(s.get("name", "")).endswith("-auto") and "auto_target" in s:
        a += ["--auto-target", "%g" % s["auto_target"]]
    if str(s.get("name", "")).startswith("psmile") and s.get("precond_floor", 0.01) != 0.01:
        a += ["--precond-floor", "%g" % s["precond_floor"]]
    a += ["--seed", str(c.get("seed", "?")), "--threads", str(get(c, "runtime", "threads", default=0)),
          "--out", c.get("out", r["dir"])]
    return " ".join(shlex.quote(x) for x in a), True


def budget(r, de=False):
    c, s = r["cfg"], r["cfg"].get("sampler", {})
    if de:
        e = c.get("deep_ensemble", {})
        lr = e.get("lr", {})
        lr = g3(lr.get("lr")) if lr.get("kind", "constant") == "constant" else "%s %s → %s" % (
            lr.get("kind"), g3(lr.get("lr0")), g3(lr.get("lr1")))
        return "members %s, %s, lr %s, weight decay %s, batch %s, ≤ %s epochs, patience %s" % (
            c.get("members", "?"), e.get("optimizer", "?"), lr,
            g3(e.get("weight_decay")), e.get("batch", "?"), e.get("max_epochs", "?"),
            e.get("patience", "?"))
    t = "members %s, warm-up %s, sampling %s, thin %s, batch %s, ε0 %s" % (
        c.get("members", "?"), "{:,}".format(c["warmup"]) if "warmup" in c else "?",
        "{:,}".format(c["samples"]) if "samples" in c else "?", c.get("thin", "?"),
        c.get("batch", "?"), g3(s.get("step_size")))
    if s.get("schedule_kind", "constant") != "constant":
        t += ", %s schedule (%s cycles, exploration %s)" % (
            s["schedule_kind"], s.get("schedule_n_cycles"), s.get("schedule_explore"))
    if str(s.get("name", "")).endswith("-auto"):
        t += ", auto target %s" % g3(s.get("auto_target"))
    if get(c, "derived", "sampler_stream") == "full":
        t += ", full batch"
    return t + ", d = {:,}, {} thread(s)".format(get(c, "derived", "dim", default=0),
                                           get(c, "runtime", "threads", default="?"))


def settings_block(groups):
    """<details> with the budget and the exact command of each row group."""
    out = ["<details><summary>settings and commands</summary>", ""]
    for label, runs in groups:
        if runs:
            r = runs[min(runs)]
            cmd, rec = command(r)
            b = budget(r, label == "DE")
            odd = [str(k) for k, x in runs.items() if budget(x, label == "DE") != b]
            out.append("* %s: %s. `%s`%s%s" % (label, b, cmd,
                                                " (reconstructed from config.json)" if rec else "",
                                                " **seeds %s use other settings**" % ", ".join(odd)
                                                if odd else ""))
    return out + ["", "</details>", ""]


def table(header, rows):
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + \
           ["| " + " | ".join(str(x) for x in row) + " |" for row in rows] + [""]


def pooled(runs):
    return ", ".join("%s/%s" % (get(r, "met", "ensemble", "n_members_pooled", default="?"),
                                get(r, "cfg", "members", default="?")) for r in runs.values())


# ---------------------------------------------------------------- pictures

def gnuplot(script, png):
    try:
        p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "picture not made (%s): %s" % (os.path.basename(png), e)
    if p.returncode != 0:
        return "picture not made (%s): gnuplot: %s" % (os.path.basename(png), p.stderr.strip()[-300:])
    return None


def multiplot(png, title, panels, ylabel, xlabel, logx=False, logy=False, tmp=None):
    """panels: [(title, [(label, colour, [(x, y)...], style)])]; one row of panels."""
    n = max(1, len(panels))
    s = ["set terminal pngcairo size %d,520 font ',10'" % (480 * n), "set output '%s'" % png,
         "set multiplot layout 1,%d title '%s'" % (n, title.replace("'", "")),
         "set grid", "set key below horizontal maxrows 4 font ',9'", "set xlabel '%s'" % xlabel,
         "set ylabel '%s'" % ylabel]
    s += ["set logscale x; set format x '10^{%L}'"] if logx else []
    s += ["set logscale y; set format y '10^{%L}'"] if logy else []
    for i, (ptitle, curves) in enumerate(panels):
        s.append("set title '%s'" % ptitle)
        parts = []
        for j, (label, col, pts, style) in enumerate(curves):
            f = os.path.join(tmp, "p%d_%d.dat" % (i, j))
            with open(f, "w") as fh:
                fh.writelines("%.9g %.9g\n" % xy for xy in pts)
            parts.append("'%s' using 1:2 with %s lc rgb '%s' title '%s' noenhanced" % (f, style, col, label))
        s.append("plot " + ", ".join(parts) if parts else
                 "set label 1 'no runs' at graph 0.4,0.5; plot 1/0 notitle; unset label 1")
    return gnuplot("\n".join(s + ["unset multiplot", ""]), png)


def trace_eps(d, k):
    """[(step, eps)] of trace_<k>.csv."""
    pts = []
    try:
        with open(os.path.join(d, "trace_%d.csv" % k)) as f:
            next(f, None)
            for line in f:
                c = line.split(",")
                try:
                    st, e = float(c[0]), float(c[2])
                except (ValueError, IndexError):
                    continue
                if math.isfinite(e) and e > 0:
                    pts.append((st, e))
    except OSError:
        pass
    return pts


def eps_panels(rows_by_ds):
    """rows_by_ds: {dataset: [(label, colour, run)]} -> panels of chains 0 and 1."""
    panels = []
    for ds, rows in rows_by_ds.items():
        curves = []
        for label, col, r in rows:
            for k in (0, 1):
                pts = trace_eps(r["dir"], k)
                if pts:
                    curves.append((label if k == 0 else "", col, pts, "lines dt %d" % (k + 1)))
        panels.append((ds, curves))
    return panels


# ---------------------------------------------------------------- LPPD vs cost

def n_train(r):
    n = num(get(r, "cfg", "derived", "n_train"))
    if n:
        return n
    try:  # spec: 70 / 10 / 20 split of the data file's rows
        with open(r["cfg"]["data"]) as f:
            return math.floor(0.7 * sum(1 for line in f if line.strip()))
    except (OSError, KeyError, TypeError):
        return None


def stored_steps(r, n_stored):
    """Per-chain step count (warm-up included) after which stored sample q was taken,
    q = 0 .. n_stored-1 (samplers.md §9.2 emission rule), or None."""
    c, s = r["cfg"], r["cfg"].get("sampler", {})
    S, h = c.get("samples"), c.get("thin")
    if not isinstance(S, int) or not isinstance(h, int) or h < 1:
        return None
    total = get(r, "run", "sampling", "chains", 0, "steps")
    W = total - S if isinstance(total, int) and total >= S else c.get("warmup", 0)
    kind, rho = s.get("schedule_kind", "constant"), s.get("schedule_explore", 0)
    n = s.get("schedule_n_steps") or S
    C = max(n // max(s.get("schedule_n_cycles") or 1, 1), 1)
    if kind == "cosine_cyclic":
        idx = [t for t in range(0, S, h) if not (t % C) / C < rho]
    elif kind == "linear":
        idx = [t for t in range(0, S, h) if not t < rho * n]
    else:
        idx = list(range(0, S, h))
    return [W + t + 1 for t in idx[:n_stored]] if len(idx) >= n_stored else None


def cost_curve(r):
    """([(data passes per chain, running LPPD)], note or None)."""
    y = get(r, "met", "ensemble", "running_lppd")
    N = n_train(r)
    if not isinstance(y, list) or not y or not N:
        return [], None
    # point j is the pooled LPPD over the first qs[j] stored samples of every chain
    # (runs before running_lppd_samples existed: every count 1, 2, ...)
    qs = get(r, "met", "ensemble", "running_lppd_samples")
    if not isinstance(qs, list) or len(qs) != len(y):
        qs = list(range(1, len(y) + 1))
    qs = [int(q) for q in qs]
    name, note = sampler_name(r), None
    full = get(r, "cfg", "derived", "sampler_stream") == "full" or name == "mclmc"
    per_eval = 1.0 if full else get(r, "cfg", "batch", default=0) / N
    gps = num(get(r, "cfg", "derived", "grads_per_step")) or GRADS_PER_STEP.get(name)
    steps = stored_steps(r, qs[-1])
    if gps and steps:
        gps += 1.0 / 3.0 if name.endswith("-auto") else 0.0
        x = [steps[q - 1] * gps * per_eval for q in qs]
    else:  # spread the measured total evenly over the stored samples
        g = per_chain_grads(r)
        if g is None:
            return [], None
        x = [g * per_eval * q / qs[-1] for q in qs]
        note = "%s: scaled by total grad_evals (per-step count unknown)" % name
    return [(a, b) for a, b in zip(x, y) if num(b) is not None and a > 0], note


def mean_curve(runs):
    curves = [cost_curve(r) for r in runs.values()]
    notes = sorted({n for _, n in curves if n})
    pts = [c for c, _ in curves if c]
    if not pts:
        return [], notes
    if len({tuple(x for x, _ in c) for c in pts}) != 1:
        return pts[0], notes + ["seeds differ in length: first seed only"]
    return [(pts[0][i][0], statistics.fmean(c[i][1] for c in pts)) for i in range(len(pts[0]))], notes


def lppd_vs_grads(A, base, tmp):
    out = ["### Test LPPD against cost", ""]
    dss = [d for d in ["bikesharing"] + [x for x in DATASETS if x != "bikesharing"]
           if any(by_seed(base, "%s-%s" % (d, s)) for s in UCI_SAMPLERS)]
    if not dss:
        return out + ["not run yet: LPPD against cost", ""]
    panels, notes = [], []
    for ds in dss:
        curves = []
        for s in UCI_SAMPLERS:
            runs = by_seed(base, "%s-%s" % (ds, s))
            pts, nt = mean_curve(runs)
            notes += ["%s %s" % (ds, n) for n in nt]
            if pts:
                curves.append(("%s (%d seeds)" % (s, len(runs)), COLOR.get(s, "#777777"), pts,
                               "lines lw 2"))
        de = list(de_runs(base, ds).values())
        des = stats([metric(r, "de", "lppd") for r in de])
        if de and des and per_chain_grads(de[0], "de") and n_train(de[0]):
            x = per_chain_grads(de[0], "de") * get(de[0], "cfg", "deep_ensemble", "batch",
                                                  default=0) / n_train(de[0])
            if x > 0:
                curves.append(("DE", "#777777", [(x, des[0])], "points pt 7 ps 1.5"))
        panels.append((ds, curves))
    png = os.path.join(A.pictures, "uci_lppd_vs_grads.png")
    err = multiplot(png, "Test LPPD of the pooled samples against cost per chain",
                    panels, "test LPPD (pooled)", "data passes per chain (log scale)", logx=True,
                    tmp=tmp)
    out += [template("lppd_vs_grads.md")]
    out += [err] if err else ["![LPPD against cost](%s)" % rel(A, png)]
    return out + [""] + ["* " + n for n in sorted(set(notes))] + [""]


def rel(A, path):
    return os.path.relpath(path, os.path.dirname(os.path.abspath(A.out)))


# ---------------------------------------------------------------- sections

def header(A):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    except OSError:
        pass
    cmd = "python3 bench/results.py" + "".join(" " + shlex.quote(a) for a in sys.argv[1:])
    return ["# Results on this machine", "",
            "Generated %s by `%s` on %s CPU(s), %s." % (
                datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), cmd, os.cpu_count(), cpu),
            "", template("header.md")]


def de_runs(base, ds):
    """{seed: run} whose metrics['de'] gives the DE row (same for every sampler of a seed)."""
    out = {}
    for s in UCI_SAMPLERS:
        for seed, r in by_seed(base, "%s-%s" % (ds, s)).items():
            if seed not in out and isinstance(get(r, "met", "de"), dict):
                out[seed] = r
    return dict(sorted(out.items()))


def seconds(r, phase):
    """Wall seconds of the DE, or of DE training plus sampling (evaluation excluded)."""
    de, en = metric(r, "de", "seconds"), metric(r, "ensemble", "seconds")
    return de if phase == "de" else None if en is None else (de or 0) + en


def uci_row(label, runs, phase):
    rs = list(runs.values())
    m = lambda *k: stats([metric(r, phase, *k) for r in rs])
    secs = stats([seconds(r, phase) for r in rs])
    g = stats([per_chain_grads(r, phase) for r in rs])
    full = phase != "de" and get(rs[0], "cfg", "derived", "sampler_stream") == "full"
    return [label, len(rs), pm(m("lppd")), pm(m("rmse")), pm(m("coverage_90")),
            pm(m("calib_error_rms")), "—" if not secs else "%.1f" % secs[0],
            "—" if not g else "{:,.0f}{}".format(g[0], " full-data" if full else ""),
            "—" if phase == "de" else pooled(runs)]


def compare_sentence(name, ps, paper, des, best):
    """pSMILE-naive (or the best SMILE-family variant) against the paper and the DE."""
    t = "%s%s: mean test LPPD %.3f over %d seed(s)" % (
        name, " (best SMILE-family variant here)" if best else "", ps[0], ps[2])
    if paper is not None:
        t += ", %.3f %s the paper's %g" % (abs(ps[0] - paper), "above" if ps[0] >= paper else
                                          "below", paper)
        sd = ps[1] * math.sqrt(ps[2]) if ps[2] > 1 else float("nan")
        if sd > 0:
            t += " (|difference| = %.1f sd of our seeds; experiments.md §8 calls ≤ 2 sd of the best " \
                 "variant consistent: %s)" % (abs(ps[0] - paper) / sd,
                                             "yes" if abs(ps[0] - paper) <= 2 * sd else "no")
    if des:
        t += "; %.3f %s the DE's %.3f" % (abs(ps[0] - des[0]), "above" if ps[0] >= des[0] else
                                          "below", des[0])
    return t + "."


def uci_timing(base):
    """Issue 5 must-show: wall time of a full UCI run (DE + sampling summed over the fits)."""
    out = ["### Wall time of a full UCI run", ""]
    for s in ("psmile-naive", "psmile-auto"):
        found = {ds: by_seed(base, "%s-%s" % (ds, s)) for ds in ("airfoil", "energy", "bikesharing")}
        fits = [r for g in found.values() for r in g.values()]
        secs = [seconds(r, "ensemble") for r in fits]
        if not fits or None in secs:
            out.append("* %s: not run yet%s" % (s, "" if not fits else " (a fit lacks seconds)"))
            continue
        missing = [ds for ds, g in found.items() if not g]
        seeds = {ds: ", ".join(map(str, g)) for ds, g in found.items() if g}
        where = "airfoil, energy, bikesharing × seeds %s" % next(iter(seeds.values())) \
            if len(set(seeds.values())) == 1 and not missing else \
            "; ".join("%s seeds %s" % kv for kv in seeds.items())
        thr = sorted({str(get(r, "cfg", "runtime", "threads", default="?")) for r in fits})
        t = "Full %s UCI run (%s; %d fit(s), %s thread(s); DE + sampling wall time summed over the " \
            "fits): %.0f s = %.1f min" % ({"psmile-naive": "pSMILE-naive",
                                          "psmile-auto": "pSMILE-auto"}[s], where, len(fits),
                                         "/".join(thr), sum(secs), sum(secs) / 60)
        if s == "psmile-naive":
            t += "; under 10 minutes: **%s**" % (
                "no" if sum(secs) >= 600 else "not known (%s not run)" % ", ".join(missing)
                if missing else "yes")
        else:
            t += " (for comparison%s)" % ("; %s not run" % ", ".join(missing) if missing else "")
        out.append("* " + t)
    return out + [""]


def uci_section(A, tmp):
    base = os.path.join(A.runs, A.uci_dir)
    out = ["## UCI regression (`%s`)" % base, ""]
    if not os.path.isdir(base):
        return out + ["not run yet: UCI regression", ""]
    out += [template("uci.md")]
    for ds in DATASETS:
        groups = [(s, by_seed(base, "%s-%s" % (ds, s))) for s in UCI_SAMPLERS]
        groups = [(s, g) for s, g in groups if g]
        if not groups:
            out += ["### %s" % ds, "", "not run yet: UCI %s" % ds, ""]
            continue
        de = de_runs(base, ds)
        rows = [uci_row("DE", de, "de")] + [uci_row(s, g, "ensemble") for s, g in groups]
        paper = PAPER_LPPD.get(ds)
        out += ["### %s" % ds, ""]
        if paper is not None:
            out += ["Paper's headline test LPPD: %g (experiments.md §8; variant unknown)." % paper, ""]
        out += table(["sampler", "seeds", "test LPPD", "RMSE", "cov 90", "calib rms", "seconds",
                      "grads/chain", "pooled"], rows)
        absent = [s for s in UCI_SAMPLERS if s not in dict(groups)]
        out += ["not run yet: %s." % ", ".join(absent), ""] if absent else []
        des = stats([metric(r, "de", "lppd") for r in de.values()])
        fam = {s: stats([metric(r, "ensemble", "lppd") for r in g.values()]) for s, g in groups
               if s in SMILE_FAMILY}
        fam = {s: v for s, v in fam.items() if v}
        best = max(fam, key=lambda s: fam[s][0]) if fam else None
        for s in ["psmile-naive"] + ([best] if best and best != "psmile-naive" else []):
            if s in fam:
                out += [compare_sentence(s, fam[s], paper, des, s == best), ""]
        out += settings_block([("DE", de)] + groups)
    out += uci_timing(base)
    out += lppd_vs_grads(A, base, tmp)
    rows = {ds: [(s, COLOR[s], rr[min(rr)]) for s in ("smile", "psmile", "psmile-naive",
                                                       "smile-auto", "psmile-auto")
                 for rr in [by_seed(base, "%s-%s" % (ds, s))] if rr]
            for ds in DATASETS}
    rows = {ds: v for ds, v in rows.items() if v}
    out += ["### Step-size traces", ""]
    if not rows:
        return out + ["not run yet: step-size traces", ""]
    png = os.path.join(A.pictures, "uci_eps_traces.png")
    err = multiplot(png, "Step size in UCI fits (lowest seed, chains 0 solid and 1 dashed)",
                    eps_panels(rows), "step size", "step", logy=True, tmp=tmp)
    return out + [template("traces.md"), err or "![step-size traces](%s)" % rel(A, png), ""]


def fmt_eps(e):
    """Step size as written in run names: 0.01, 1e-3, 6.46e-4."""
    if num(e) is None:
        return "?"
    if not 1e-2 <= abs(e) < 1e4:
        m, x = ("%.2e" % e).split("e")
        return "%se%d" % (m.rstrip("0").rstrip("."), int(x))
    return "%g" % e


def classif_groups(base):
    """[(label, sampler, {seed: run})] of base/<sampler>-s<seed> and base/<sampler>-e<eps>-s<seed>,
    grouped by (config sampler name, config step size); ordered as IMG_SAMPLERS, larger ε first.
    A sampler found at one step size only, and never under an -e<eps> name, keeps its plain name;
    otherwise each row is labelled with its ε (ε0 for the samplers that adapt it)."""
    groups, tagged, notes = {}, set(), []
    for p in sorted(glob.glob(os.path.join(base, "*-s*"))):
        m = re.fullmatch(r"(.+?)(-e[0-9.]+(?:e[-+]?\d+)?)?-s(\d+)", os.path.basename(p))
        r = load_run(p) if m and os.path.isdir(p) else None
        if not r:
            continue
        name = get(r, "cfg", "sampler", "name", default=m.group(1))
        key = (name, num(get(r, "cfg", "sampler", "step_size")))
        if m.group(2):
            tagged.add(name)
        seed = int(m.group(3))
        if seed in groups.setdefault(key, {}):
            notes.append("`%s` repeats seed %d of %s at ε %s: not shown" % (p, seed, name, fmt_eps(key[1])))
            continue
        groups[key][seed] = r
    n_eps = {}
    for name, _ in groups:
        n_eps[name] = n_eps.get(name, 0) + 1
    rank = lambda n: IMG_SAMPLERS.index(n) if n in IMG_SAMPLERS else len(IMG_SAMPLERS)
    out = []
    for (name, e), runs in sorted(groups.items(), key=lambda t: (rank(t[0][0]), t[0][0],
                                                                 -(t[0][1] or 0))):
        label = name if n_eps[name] == 1 and name not in tagged else "%s (%s %s)" % (
            name, "ε" if name.endswith("-naive") else "ε0", fmt_eps(e))
        out.append((label, name, dict(sorted(runs.items()))))
    return out, notes


def classif_section(A, key, title, tmpl, cols):
    """F-MNIST / GPT: cols = [(heading, metric keys, digits)]."""
    base = os.path.join(A.runs, key)
    out = ["## %s" % title, ""]
    groups, notes = classif_groups(base)
    if not groups:
        return out + ["not run yet: %s" % title, ""], None
    de = {}
    for _, _, runs in groups:
        for seed, r in runs.items():
            if seed not in de and isinstance(get(r, "met", "de"), dict):
                de[seed] = r
    de = dict(sorted(de.items()))

    def row(label, runs, phase):
        rs = list(runs.values())
        secs = stats([seconds(r, phase) for r in rs])
        g = stats([per_chain_grads(r, phase) for r in rs])
        return [label, len(rs)] + [pm(stats([metric(r, phase, *k) for r in rs]), d)
                                   for _, k, d in cols] + \
               ["—" if not secs else "%.1f" % secs[0], "—" if not g else "{:,.0f}".format(g[0]),
                "—" if phase == "de" else pooled(runs)]
    rows = [row("DE", de, "de")] if de else []
    rows += [row(label, runs, "ensemble") for label, _, runs in groups
             if any(isinstance(get(r, "met", "ensemble"), dict) for r in runs.values())]
    out += [template(tmpl)]
    out += table(["sampler", "seeds"] + [c for c, _, _ in cols] +
                 ["seconds", "grads/chain", "pooled"], rows)
    spec = SPEC[key]
    for label, _, runs in groups:
        c = runs[min(runs)]["cfg"]
        have = dict(c, **{k: v for k, v in (c.get("model") or {}).items()})
        less = ["%s %s (spec %s)" % (k, have[k], v) for k, v in spec.items()
                if isinstance(have.get(k), (int, float)) and have[k] < v]
        if less:
            out.append("* %s: **reduced budget**: %s." % (label, ", ".join(less)))
    out += ["* " + n for n in notes]
    out += [""] + settings_block([("DE", de)] + [(label, runs) for label, _, runs in groups])
    return out, (groups, de)


def fmnist_section(A):
    out, data = classif_section(A, "fmnist", "Fashion-MNIST (LeNet)", "fmnist.md",
                                [("accuracy", ("acc_bma", "acc_majority", "accuracy"), 4),
                                 ("LPPD", ("lppd",), 4), ("NLL", ("nll_bma",), 4),
                                 ("Brier", ("brier",), 4), ("ECE", ("ece_top_label",), 4)])
    if not data:
        return out
    groups, de = data
    acc = lambda runs, ph: stats([metric(r, ph, "acc_bma", "acc_majority", "accuracy")
                                  for r in runs.values()])
    lp = lambda runs, ph: stats([metric(r, ph, "lppd") for r in runs.values()])
    fam = [(label, acc(runs, "ensemble"), lp(runs, "ensemble")) for label, s, runs in groups
           if s in SMILE_FAMILY and acc(runs, "ensemble")]
    da, dl = acc(de, "de") if de else None, lp(de, "de") if de else None
    if not fam or not da or not dl:
        return out + ["Must-show (SMILE family vs DE): not run yet (needs a DE and a SMILE-family "
                      "run).", ""]
    s, a, l = max(fam, key=lambda t: t[1][0])
    both = [f for f, fa, fl in fam if fl and fa[0] >= da[0] and fl[0] > dl[0]]
    return out + ["Must-show: best SMILE-family variant by accuracy is %s: accuracy %.4f ≥ DE %.4f: "
                  "**%s**; LPPD %s > DE %.4f: **%s**. Variants meeting both: %s." % (
                      s, a[0], da[0], "yes" if a[0] >= da[0] else "no",
                      "—" if not l else "%.4f" % l[0], dl[0],
                      "yes" if l and l[0] > dl[0] else "no", ", ".join(both) or "none"), ""]


def gpt_section(A):
    out, data = classif_section(A, "gpt", "Character-level GPT (Shakespeare)", "gpt.md",
                                [("accuracy", ("accuracy", "acc_majority"), 4),
                                 ("perplexity", ("perplexity",), 3), ("LPPD", ("lppd",), 4)])
    return out + (["Paper's headline next-character accuracy: %.2f %% (experiments.md §8)."
                   % (100 * PAPER_GPT_ACC), ""] if data else [])


def icg_tables(A):
    files = sorted(glob.glob(os.path.join(A.runs, "analytic", "*.json")))
    recs = [r for r in map(read_json, files) if isinstance(r, dict) and "bias" in r]
    if not recs:
        return ["not run yet: ICG tables (runs/analytic)", ""]
    out, grid = [], spec_icg_grid()
    for noise in sorted({r.get("noise", "?") for r in recs}):
        rows = []
        for r in sorted((r for r in recs if r.get("noise", "?") == noise),
                        key=lambda r: (r.get("sampler", ""), num(r.get("step_size")) or 0)):
            steps = (r.get("steps") or 0) + (r.get("warmup") or 0)
            k = r.get("chains") or 0
            res = num(r.get("resets"))
            rows.append([r.get("sampler", "?"), g3(r.get("step_size")), "%s × %s" % (k, steps),
                         g3(r.get("bias")), g3(r.get("bias_chain_median")),
                         g3(r.get("final_step_size")),
                         "—" if res is None or not steps or not k else "%.2f" % (100 * res / (steps * k))])
        out += ["ICG, %s noise (runs/analytic):" % noise, ""]
        out += table(["sampler", "ε0", "chains × steps", "bias", "bias chain median",
                       "final ε (mean over chains)", "resets % of steps"], rows)
        out += icg_verdicts([r for r in recs if r.get("noise", "?") == noise], noise, grid)
    return out


ICG_STARTS = (1.0, 1e-2, 1e-5)   # issue 6: the auto variants' initial step sizes


def spec_icg_grid():
    """The issue-2 step-size grid of docs/analytic.md: (protocol text, {(noise, sampler):
    (best bias_chain_median, ε)}), or None unless exactly one table parses completely.
    Expected form: a line '<protocol>, pooled `bias` / `bias_chain_median`:' then a table
    '| ε | aniso SMILE-naive | aniso pSMILE-naive | iso ... |' with cells 'a / b'."""
    try:
        with open(os.path.join(ROOT, "docs", "analytic.md")) as f:
            lines = [l.strip() for l in f]
    except OSError:
        return None
    cell = lambda l: [c.strip() for c in l.strip("|").split("|")]
    found = []
    for i, l in enumerate(lines):
        head = cell(l) if l.startswith("|") else []
        if len(head) < 2 or head[0] != "ε":
            continue
        cols = [re.fullmatch(r"(aniso|iso)\w*\s+(p?smile-naive)", h, re.I) for h in head[1:]]
        prose = next((x for x in reversed(lines[max(0, i - 3):i]) if x), "")
        if not all(cols) or not re.search(r"`?bias`?\s*/\s*`?bias_chain_median`?", prose):
            continue
        best, j = {}, i + 2
        try:
            while j < len(lines) and lines[j].startswith("|"):
                c = cell(lines[j])
                e = float(c[0])
                for m, v in zip(cols, c[1:]):
                    med = float(re.fullmatch(r"\S+\s*/\s*(\S+)", v).group(1))
                    k = ({"aniso": "anisotropic", "iso": "isotropic"}[m.group(1).lower()],
                         m.group(2).lower())
                    if k not in best or med < best[k][0]:
                        best[k] = (med, e)
                j += 1
        except (ValueError, AttributeError, IndexError):
            continue
        if best:
            found.append((re.split(r",\s*pooled", prose)[0].rstrip(":"), best))
    return found[0] if len(found) == 1 else None


def icg_verdicts(recs, noise, grid):
    """Issue 6 must-show for the auto variants from ε0 = 1, 1e-2, 1e-5 on one noise."""
    out = []
    for s in ("psmile-auto", "smile-auto"):
        runs = {}
        for e0 in ICG_STARTS:
            r = [r for r in recs if r.get("sampler") == s and num(r.get("step_size")) is not None
                 and abs(r["step_size"] / e0 - 1) < 1e-9]
            if r:
                runs[e0] = r[0]
        if not runs:
            out.append("* %s, %s noise: not run yet" % (s, noise))
            continue
        missing = [fmt_eps(e) for e in ICG_STARTS if e not in runs]
        verdict = lambda ok: "incomplete (no run from ε0 = %s)" % ", ".join(missing) if missing \
            else "yes" if ok else "no"
        starts = ", ".join(fmt_eps(e) for e in runs)
        fe = [num(r.get("final_step_size")) for r in runs.values()]
        med = [num(r.get("bias_chain_median")) for r in runs.values()]
        out.append("* %s, %s noise, from ε0 = %s:" % (s, noise, starts))
        if None in fe or min(fe) <= 0:
            out.append("  * (a) final step sizes: not all recorded")
        else:
            F = max(fe) / min(fe)
            out.append("  * (a) final step sizes %s: within a factor F = %.2f of each other; "
                       "F ≤ 3: **%s**" % (", ".join(g3(x) for x in fe), F, verdict(F <= 3)))
        ref = s.replace("-auto", "-naive")
        naive = [r for r in recs if r.get("sampler") == ref and num(r.get("bias_chain_median"))]
        if None in med:
            out.append("  * (b) bias_chain_median: not all recorded")
        elif not naive:
            out.append("  * (b) bias_chain_median %s; no fixed-ε %s run in runs/analytic to "
                       "compare with" % (", ".join(g3(x) for x in med), ref))
        else:
            b = min(naive, key=lambda r: r["bias_chain_median"])
            q = [x / b["bias_chain_median"] for x in med]
            out.append("  * (b) bias_chain_median %s = %s × the best fixed-ε %s here (%s at ε %s, "
                       "%s × %s steps); all ≤ 2: **%s**" % (
                           ", ".join(g3(x) for x in med), ", ".join("%.2f" % x for x in q), ref,
                           g3(b["bias_chain_median"]), fmt_eps(b.get("step_size")),
                           b.get("chains", "?"), "{:,}".format((b.get("steps") or 0) +
                                                               (b.get("warmup") or 0)),
                           verdict(max(q) <= 2)))
        if grid and (noise, ref) in grid[1] and None not in med:
            gb, ge = grid[1][(noise, ref)]
            q = [x / gb for x in med]
            out.append("  * (b) against the spec grid's best %s (%s at ε %s; docs/analytic.md: %s): "
                       "%s ×; all ≤ 2: **%s**" % (ref, g3(gb), fmt_eps(ge), grid[0],
                                                  ", ".join("%.2f" % x for x in q),
                                                  verdict(max(q) <= 2)))
        else:
            out.append("  * (b) against the spec's 10-point grid: see docs/analytic.md")
        pct = []
        for r in runs.values():
            n, res = (r.get("chains") or 0) * ((r.get("steps") or 0) + (r.get("warmup") or 0)), \
                num(r.get("resets"))
            pct.append(None if res is None or not n else 100 * res / n)
        if None in pct:
            out.append("  * (c) resets: not all recorded")
        else:
            out.append("  * (c) resets %s %% of all steps (resets / (chains × steps)); all ≤ 2 %%: "
                       "**%s**" % (", ".join("%.3g" % x for x in pct), verdict(max(pct) <= 2)))
    return out + [""]


def analytic_section(A):
    out = ["## Analytical bias (ICG)", "", template("analytic.md")]
    for noise in ("anisotropic", "isotropic"):
        p = os.path.join(A.pictures, "analytic_bias_%s.png" % noise)  # written by bench/analytic
        p = p if os.path.exists(p) else os.path.join(ROOT, "docs", os.path.basename(p))
        out.append("![bias, %s noise](%s)" % (noise, rel(A, p)) if os.path.exists(p)
                   else "not run yet: %s" % os.path.basename(p))
    return out + [""]


def peers_section(A):
    path = os.path.join(A.runs, "peers", "peer_step.jsonl")
    out = ["## The SMILE step against PyTorch and JAX", ""]
    recs = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    recs.append(json.loads(line))
                except ValueError:
                    pass
    except OSError:
        pass
    failed = sorted({"%s (%s): %s" % (r.get("peer"), r.get("model"), r["error"]) for r in recs
                     if isinstance(r, dict) and "error" in r})
    recs = [r for r in recs if isinstance(r, dict) and num(r.get("us_per_step_per_chain"))]
    if not recs:
        return out + ["not run yet: peer timings (runs/peers/peer_step.jsonl)", ""]
    out += [template("peers.md")]
    groups = {}
    for r in recs:
        key = (r.get("model", "?"), r.get("threads", "?"), r.get("chains", "?"), r.get("batch", "?"))
        best = groups.setdefault(key, {})
        n = r.get("peer", "smile")
        if n not in best or r["us_per_step_per_chain"] < best[n]["us_per_step_per_chain"]:
            best[n] = r
    rows, lines = [], []
    for (model, T, K, B), best in sorted(groups.items(), key=str):
        ours = best.get("smile")
        for n, r in sorted(best.items(), key=lambda t: (t[0] != "smile", t[0])):
            us = r["us_per_step_per_chain"]
            rows.append(["%s, %s thr, K %s, B %s" % (model, T, K, B), n, "{:,.1f}".format(us),
                         "{:,.1f}".format(num(r.get("cpu_us_per_step_per_chain")) or float("nan")),
                         "%.2f×" % (us / ours["us_per_step_per_chain"]) if ours else "—"])
        if not ours or model != "fcn":
            continue
        for label, peers, tgt in (("PyTorch per-chain loop", ("torch-loop",), 10),
                                  ("fastest PyTorch variant", ("torch-loop", "torch-bmm", "torch-vmap"), 1),
                                  ("JAX (fastest)", ("jax-scan", "jax-step"), 2)):
            cand = [best[p] for p in peers if p in best]
            if cand:
                f = min(cand, key=lambda r: r["us_per_step_per_chain"])
                ratio = f["us_per_step_per_chain"] / ours["us_per_step_per_chain"]
                lines.append("* %s thread(s): ours ≥ %g× %s (%s): %.2f× — **%s**" % (
                    T, tgt, label, f.get("peer"), ratio, "yes" if ratio >= tgt else "no"))
            else:
                lines.append("* %s thread(s): ours ≥ %g× %s: not run yet" % (T, tgt, label))
        full = num(ours.get("full_uci_run_s")) or 60000 * 10 * ours["us_per_step_per_chain"] * 1e-6
        lines.append("* %s thread(s): a full UCI pSMILE run at our rate (60,000 steps × 10 chains "
                     "× µs per step per chain, which is already the wall time with all threads): "
                     "%.1f s of sampling" % (T, full))
    out += table(["model, threads, chains, batch", "impl", "µs / step / chain", "CPU µs",
                  "peer ÷ ours"], rows)
    return out + ["* failed: " + f for f in failed] + ([""] if failed else []) + \
        ["Must-show ratios (UCI model):", ""] + lines + [""]


def chain_stats(runs):
    """(median resets %, max resets %, median final ε) over all chains of all seeds."""
    res, eps = [], []
    for r in runs.values():
        chains = get(r, "run", "sampling", "chains", default=[])
        for k, c in enumerate(chains if isinstance(chains, list) else []):
            st, rs, fe = num(c.get("steps")), num(c.get("resets")), num(c.get("final_step_size"))
            if rs is None or not st:  # fall back to the trace's last row
                tr = []
                try:
                    with open(os.path.join(r["dir"], "trace_%d.csv" % k)) as f:
                        tr = f.readlines()[-1].split(",")
                    st, rs, fe = float(tr[0]) + 1, float(tr[6]), float(tr[2])
                except (OSError, ValueError, IndexError):
                    continue
            res.append(100 * rs / st)
            if fe is not None and math.isfinite(fe):
                eps.append(fe)
    if not res:
        return None, None, None
    return statistics.median(res), max(res), statistics.median(eps) if eps else None


def issue6_section(A, tmp):
    uci, grid = os.path.join(A.runs, A.uci_dir), os.path.join(A.runs, "uci_grid")
    out = ["## Issue 6: the settling tuner against the best fixed step size", "",
           template("issue6.md")]
    auto_bases = [uci] + sorted(d for d in glob.glob(os.path.join(A.runs, "uci_t*"))
                                if os.path.isdir(d))
    traces, any_rows = {}, False
    for ds in DATASETS:
        rows, best, verdicts, missing = [], {}, [], []
        for s in ("psmile-naive", "smile-naive"):
            pts = {}
            for p in sorted(glob.glob(os.path.join(grid, glob.escape("%s-%s-e" % (ds, s)) + "*"))):
                m = re.fullmatch(re.escape("%s-%s-e" % (ds, s)) + r"(.+)-s(\d+)", os.path.basename(p))
                e = num(get(load_run(p), "cfg", "sampler", "step_size")) if m and load_run(p) else None
                if e:
                    pts.setdefault(e, {})[int(m.group(2))] = load_run(p)
            for e in (1e-2, 1e-3, 1e-4):
                if e not in pts and e == 1e-3 and by_seed(uci, "%s-%s" % (ds, s)):
                    pts[e] = by_seed(uci, "%s-%s" % (ds, s))
                if e not in pts:
                    missing.append("%s ε %g" % (s, e))
            st = {e: stats([metric(r, "ensemble", "lppd") for r in g.values()]) for e, g in pts.items()}
            st = {e: v for e, v in st.items() if v}
            if st:
                best[s] = max(st, key=lambda e: st[e][0]), st
            for e in sorted(st, reverse=True):
                mark = " **(best)**" if e == best[s][0] else ""
                rows.append(row6("%s%s" % (s, mark), "ε %g" % e, pts[e], st[e]))
        for s in ("psmile", "smile"):
            g = by_seed(uci, "%s-%s" % (ds, s))
            if g:
                rows.append(row6(s, "ε0 %g (reference tuner)" % get(g[min(g)], "cfg", "sampler",
                                                                    "step_size", default=0), g))
        for base in auto_bases:
            for s in ("psmile-auto", "smile-auto"):
                g = by_seed(base, "%s-%s" % (ds, s))
                for tgt in sorted({get(r, "cfg", "sampler", "auto_target") for r in g.values()}, key=str):
                    gg = {k: r for k, r in g.items() if get(r, "cfg", "sampler", "auto_target") == tgt}
                    where = os.path.basename(base)
                    ls = stats([metric(r, "ensemble", "lppd") for r in gg.values()])
                    rows.append(row6(s, "target %s (%s)" % (g3(tgt), where), gg, ls))
                    traces.setdefault(ds, []).append(("%s %s %s" % (s, g3(tgt), where),
                                                      None, gg[min(gg)]))
                    ref = s.replace("-auto", "-naive")
                    if ref in best and ls:
                        e, st = best[ref]
                        bm, bse = st[e][0], 0 if math.isnan(st[e][1]) else st[e][1]
                        div = all(get(r, "met", "ensemble", "n_members_pooled") == get(r, "cfg", "members")
                                  for r in gg.values())
                        verdicts.append(
                            "* %s, target %s (%s): LPPD %.3f vs best fixed-ε %s (ε %g) %.3f − s.e. %.3f "
                            "= %.3f: within one s.e. or above: **%s**; no member diverged: **%s** (%s)"
                            % (s, g3(tgt), where, ls[0], ref, e, bm, bse, bm - bse,
                               "yes" if ls[0] >= bm - bse else "no", "yes" if div else "no",
                               pooled(gg)))
        if not rows:
            continue
        any_rows = True
        out += ["### %s" % ds, ""]
        out += table(["sampler", "setting", "seeds", "test LPPD", "pooled", "resets/chain % median",
                      "max", "final ε median"], rows)
        out += verdicts + ([""] if verdicts else [])
        if missing:
            out += ["not run yet: fixed-ε grid points %s." % ", ".join(missing), ""]
    if not any_rows:
        out += ["not run yet: issue 6 UCI comparison", ""]
    out += ["### ICG (analytical target)", ""] + icg_tables(A)
    out += ["### Step-size traces of the auto variants", ""]
    if not traces:
        return out + ["not run yet: auto-variant traces", ""]
    pal = ["#ff7f0e", "#8c564b", "#1f77b4", "#2ca02c", "#d62728", "#9467bd"]
    traces = {ds: [(l, pal[i % len(pal)], r) for i, (l, _, r) in enumerate(v)] for ds, v in traces.items()}
    png = os.path.join(A.pictures, "uci_auto_eps_traces.png")
    err = multiplot(png, "Step size of the auto variants (lowest seed, chains 0 solid and 1 dashed)",
                    eps_panels(traces), "step size", "step", logy=True, tmp=tmp)
    return out + [err or "![auto step-size traces](%s)" % rel(A, png), ""]


def row6(label, setting, runs, st=None):
    st = st or stats([metric(r, "ensemble", "lppd") for r in runs.values()])
    med, mx, fe = chain_stats(runs)
    return [label, setting, len(runs), pm(st), pooled(runs), "—" if med is None else "%.2f" % med,
            "—" if mx is None else "%.2f" % mx, g3(fe)]


def other_section(A):
    known = {A.uci_dir, "uci_grid", "fmnist", "gpt", "analytic", "peers", "quick"}
    groups = {}
    for d, r in sorted(_RUNS.items()):
        g = os.path.relpath(os.path.dirname(d), A.runs)
        if r is None or g in known:
            continue
        c, s = r["cfg"], r["cfg"].get("sampler", {})
        key = (g, os.path.basename(str(c.get("data", "?"))), s.get("name", "?"), c.get("warmup"),
               c.get("samples"), s.get("step_size"), s.get("precond_floor"),
               s.get("auto_target") if str(s.get("name", "")).endswith("-auto") else None)
        groups.setdefault(key, {})[len(groups.get(key, {}))] = r
    out = ["## Other run directories", ""]
    if not groups:
        return out + ["none", ""]
    rows = []
    for (g, data, s, W, S, e, pf, tgt), runs in sorted(groups.items(), key=str):
        rs = list(runs.values())
        extra = ("precond floor %s" % g3(pf) if s.startswith("psmile") and pf != 0.01 else "") + \
                (", target %s" % g3(tgt) if tgt is not None else "")
        rows.append([g, data, s, "W %s, S %s, ε0 %s%s" % (W, S, g3(e), extra and ", " + extra.strip(", ")),
                     ", ".join(str(get(r, "cfg", "seed", default="?")) for r in rs),
                     pm(stats([metric(r, "de", "lppd") for r in rs])),
                     pm(stats([metric(r, "ensemble", "lppd") for r in rs])),
                     pm(stats([metric(r, "ensemble", "rmse") for r in rs])), pooled(runs)])
    return out + [template("other.md")] + table(
        ["directory", "data", "sampler", "settings", "seeds", "DE LPPD", "test LPPD", "RMSE",
         "pooled"], rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", default="runs")
    ap.add_argument("--out", default="docs/results.md")
    ap.add_argument("--pictures", default="docs")
    ap.add_argument("--uci-dir", default="uci", help="UCI group under --runs (uci-quick: smoke runs)")
    A = ap.parse_args()
    # given paths are relative to the current directory, the defaults to the repository root;
    # paths inside the repository are shown relative to it
    for k in ("runs", "out", "pictures"):
        v = getattr(A, k)
        v = os.path.abspath(v if v != ap.get_default(k) else os.path.join(ROOT, v))
        setattr(A, k, os.path.relpath(v, ROOT) if v.startswith(ROOT + os.sep) else v)
    os.chdir(ROOT)
    os.makedirs(A.pictures, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(A.out)), exist_ok=True)
    scan_all(A.runs)
    doc = header(A)
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn in (("UCI", lambda: uci_section(A, tmp)), ("F-MNIST", lambda: fmnist_section(A)),
                         ("GPT", lambda: gpt_section(A)), ("analytic", lambda: analytic_section(A)),
                         ("peers", lambda: peers_section(A)), ("issue 6", lambda: issue6_section(A, tmp)),
                         ("other", lambda: other_section(A))):
            try:
                doc += fn()
            except Exception:  # a broken part must not stop the others
                traceback.print_exc()
                doc += ["could not render: %s (see the generator's error output)" % name, ""]
    doc += ["## Incomplete run directories", ""]
    doc += ["* `%s`: %s" % (d, w) for d, w in sorted(INCOMPLETE.items())] or ["none"]
    with open(A.out, "w") as f:
        f.write("\n".join(doc).rstrip() + "\n")
    print("wrote %s" % A.out)


if __name__ == "__main__":
    main()
