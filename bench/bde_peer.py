#!/usr/bin/env python3
"""Side-by-side benchmark of `smile fit` against the packaged peer bde
(PyPI "sklearn-contrib-bde": BdeRegressor / BdeClassifier, MILE in JAX).

Both tools read the same train/test CSV files, made here once per table and
seed (80/20 split drawn from the seed); both standardise on the training rows
only (smile by itself, bde through this script). Reported per run, in the
target's original units: test LPPD (mean log predictive density), RMSE and the
coverage of the central 90 % interval, or for classes accuracy, NLL and ECE
(15 bins, top label); wall time and peak resident memory of the child process
(os.wait4). Each finished run is cached as JSON under --results
(bench/results/bde_peer/runs), keyed by (tool, settings label, table, seed),
so reruns reuse it; the split files and run folders go to --work
(build/bde_peer).

Run it with the bde venv's Python (bench/bde_venv.sh), e.g. through
bench/bde_peer.sh:

  bench/bde_peer.sh --tool smile --tables airfoil,energy --seeds 1,2,3
  bench/bde_peer.sh --tool smile --label hom --smile-args "--likelihood homo"
  bench/bde_peer.sh --tool bde --tables airfoil --seeds 1 \\
      --bde-warmup 50000 --bde-samples 10000
  bench/bde_peer.sh --report            # table of every cached run
"""
import argparse
import json
import math
import os
import shlex
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("SMILE_DATA", os.path.join(ROOT, "..", "shared", "data"))
REGRESSION = {"airfoil": "airfoil/airfoil.data", "energy": "energy/energy.data",
              "bikesharing": "bikesharing/bikesharing.data",
              "protein": "protein/protein.data"}
CLASSIFY = ("breast_cancer", "wine")
# scikit-learn's bundled regression table, a small table none of the defaults
# were chosen on (442 rows, 10 inputs)
SKLEARN_REGRESSION = ("diabetes",)


def load_table(name):
    """(x, y) of a table. NAME_nROWS (e.g. protein_n4000) is a fixed random
    subset of ROWS rows of a regression table (permutation from seed 0), a
    mid-sized table between the small and the large ones."""
    base, sep, rows = name.rpartition("_n")
    if sep and base in REGRESSION and rows.isdigit():
        x, y = load_table(base)
        keep = np.random.RandomState(0).permutation(len(y))[:int(rows)]
        return x[keep], y[keep]
    if name in REGRESSION:
        a = np.loadtxt(os.path.join(DATA, REGRESSION[name]))
        return a[:, :-1], a[:, -1]
    import sklearn.datasets as sd
    d = getattr(sd, "load_" + name)()
    dtype = float if name in SKLEARN_REGRESSION else int
    return np.asarray(d.data, float), np.asarray(d.target, dtype)


def write_csv(path, x, y, classify):
    cols = ["x%d" % (j + 1) for j in range(x.shape[1])] + ["y"]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(",".join(cols) + "\n")
        for xi, yi in zip(x, y):
            ys = ("c%d" % yi) if classify else repr(float(yi))
            f.write(",".join(repr(float(v)) for v in xi) + "," + ys + "\n")
    os.replace(tmp, path)


def split_files(work, table, seed):
    """train.csv / test.csv of (table, seed): 80/20, permutation from the seed."""
    d = os.path.join(work, "splits", "%s_s%d" % (table, seed))
    tr, te = os.path.join(d, "train.csv"), os.path.join(d, "test.csv")
    if os.path.exists(tr) and os.path.exists(te):
        return tr, te
    os.makedirs(d, exist_ok=True)
    x, y = load_table(table)
    perm = np.random.RandomState(seed).permutation(len(y))
    n_tr = int(round(0.8 * len(y)))
    cl = table in CLASSIFY
    write_csv(tr, x[perm[:n_tr]], y[perm[:n_tr]], cl)
    write_csv(te, x[perm[n_tr:]], y[perm[n_tr:]], cl)
    return tr, te


def read_csv(path):
    with open(path) as f:
        head = f.readline().strip().split(",")
        rows = [line.strip().split(",") for line in f if line.strip()]
    return head, rows


def read_split(path):
    _, rows = read_csv(path)
    x = np.array([[float(v) for v in r[:-1]] for r in rows])
    last = [r[-1] for r in rows]
    if last[0].startswith("c"):
        return x, np.array([int(v[1:]) for v in last])
    return x, np.array([float(v) for v in last])


def ece(prob, y, bins=15):
    conf, pred = prob.max(1), prob.argmax(1)
    acc = (pred == y).astype(float)
    e = 0.0
    edges = np.linspace(0, 1, bins + 1)
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            e += m.mean() * abs(acc[m].mean() - conf[m].mean())
    return float(e)


def class_metrics(prob, y):
    p = np.clip(prob[np.arange(len(y)), y], 1e-300, None)
    return {"accuracy": float((prob.argmax(1) == y).mean()),
            "nll": float(-np.log(p).mean()), "ece": ece(prob, y)}


# ---------------------------------------------------------------- smile side
def smile_metrics(out_dir, test_csv, classify):
    head, rows = read_csv(os.path.join(out_dir, "predictions_test.csv"))
    col = {h: i for i, h in enumerate(head)}
    if classify:
        _, y = read_split(test_csv)
        pc = sorted((h for h in head if h.startswith("p_c")), key=lambda h: int(h[3:]))
        prob = np.array([[float(r[col[h]]) for h in pc] for r in rows])
        return class_metrics(prob, y)
    g = lambda h: np.array([float(r[col[h]]) for r in rows])
    y, mu = g("observed"), g("mean")
    lo, hi = g("lower_90"), g("upper_90")
    return {"lppd": float(g("log_density").mean()),
            "rmse": float(np.sqrt(((y - mu) ** 2).mean())),
            "cover90": float(((y >= lo) & (y <= hi)).mean())}


def smile_command(args, tr, te, out, classify, table, seed):
    """`smile fit` on the split; {table}, {seed} and {work} in --smile-args are
    replaced (e.g. --de-from {work}/runs/smile__LABEL__{table}__s{seed}/fit)."""
    cmd = [os.path.join(ROOT, "build", "smile"), "fit", "--data", tr, "--test", te,
           "--out", out]
    if classify:
        cmd += ["--task", "classify"]
    extra = args.smile_args.format(table=table, seed=seed, work=args.work)
    return cmd + shlex.split(extra)


# ------------------------------------------------------------------ bde side
def bde_child(a):
    """Runs inside the bde venv: fit on train.csv, evaluate on test.csv."""
    import jax
    from bde import BdeClassifier, BdeRegressor
    xtr, ytr = read_split(a.train)
    xte, yte = read_split(a.test)
    mx, sx = xtr.mean(0), xtr.std(0)
    sx[sx == 0] = 1.0
    ztr, zte = (xtr - mx) / sx, (xte - mx) / sx
    kw = dict(n_members=a.members, hidden_layers=[int(h) for h in a.hidden.split(",")],
              seed=a.seed, epochs=a.epochs, patience=a.patience, lr=a.lr,
              warmup_steps=a.warmup, n_samples=a.samples, n_thinning=a.thin,
              validation_split=0.15)
    if a.classify:
        m = BdeClassifier(**kw).fit(ztr, ytr)
        prob = np.asarray(m.predict_proba(zte), float)
        res = class_metrics(prob, yte)
    else:
        my, sy = ytr.mean(), ytr.std()
        m = BdeRegressor(**kw).fit(ztr, (ytr - my) / sy)
        raw = np.asarray(m._make_predictor(zte).get_raw_preds(), np.float64)  # (E, T, N, 2)
        mu = raw[..., 0].reshape(-1, len(yte))
        sd = np.logaddexp(0.0, raw[..., 1]).reshape(-1, len(yte)) + 1e-6
        z = (yte - my) / sy
        lp = -0.5 * ((z - mu) / sd) ** 2 - np.log(sd) - 0.5 * math.log(2 * math.pi)
        mx_ = lp.max(0)
        lppd_z = mx_ + np.log(np.exp(lp - mx_).mean(0))
        mean = mu.mean(0) * sy + my
        # central 90 % interval of the mixture: quantiles by bisection
        lo, hi = mixture_quantiles(mu, sd, (0.05, 0.95))
        # per test row, original units (how much single rows weigh: docs/peer_bde.md)
        np.savetxt(os.path.join(os.path.dirname(a.json_out), "log_density.csv"),
                   lppd_z - math.log(sy), fmt="%.9g")
        res = {"lppd": float((lppd_z - math.log(sy)).mean()),
               "lppd_std": float(lppd_z.mean()),
               "rmse": float(np.sqrt(((yte - mean) ** 2).mean())),
               "cover90": float(((z >= lo) & (z <= hi)).mean())}
    res["jax_devices"] = len(jax.devices())
    with open(a.json_out, "w") as f:
        json.dump(res, f)


def mixture_quantiles(mu, sd, qs):
    from scipy.special import ndtr as cdf
    out = []
    for q in qs:
        lo = (mu - 10 * sd).min(0)
        hi = (mu + 10 * sd).max(0)
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            c = cdf((mid - mu) / sd).mean(0)
            lo, hi = np.where(c < q, mid, lo), np.where(c < q, hi, mid)
        out.append(0.5 * (lo + hi))
    return out


def bde_command(args, tr, te, js, seed, classify):
    py = os.path.join(os.environ.get("BDE_VENV", os.path.join(ROOT, "build", "bde-venv")),
                      "bin", "python")
    cmd = [py, os.path.abspath(__file__), "bde-child", "--train", tr, "--test", te,
           "--json-out", js, "--seed", str(seed), "--members", str(args.bde_members),
           "--hidden", args.bde_hidden, "--epochs", str(args.bde_epochs),
           "--patience", str(args.bde_patience), "--lr", str(args.bde_lr),
           "--warmup", str(args.bde_warmup), "--samples", str(args.bde_samples),
           "--thin", str(args.bde_thin)]
    return cmd + (["--classify"] if classify else [])


def bde_label(a):
    return "w%d-s%d-k%d-e%d-p%d" % (a.bde_warmup, a.bde_samples, a.bde_members,
                                    a.bde_epochs, a.bde_patience)


# ------------------------------------------------------------------- driver
def run_child(cmd, log):
    t0 = time.time()
    with open(log, "w") as lf:
        p = subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(p.pid, 0)
    return (os.waitstatus_to_exitcode(status), time.time() - t0, ru.ru_maxrss / 1024.0,
            ru.ru_utime + ru.ru_stime)


def run_one(args, tool, table, seed):
    label = args.label if tool == "smile" else (args.label or bde_label(args))
    key = "%s__%s__%s__s%d" % (tool, label, table, seed)
    js = os.path.join(args.results, "runs", key + ".json")
    if os.path.exists(js):
        with open(js) as f:
            return json.load(f)
    os.makedirs(os.path.dirname(js), exist_ok=True)
    classify = table in CLASSIFY
    tr, te = split_files(args.work, table, seed)
    work = os.path.join(args.work, "runs", key)
    os.makedirs(work, exist_ok=True)
    if tool == "smile":
        cmd = smile_command(args, tr, te, os.path.join(work, "fit"), classify, table, seed)
        cmd += ["--seed", str(seed)]
    else:
        cmd = bde_command(args, tr, te, os.path.join(work, "metrics.json"), seed, classify)
    print("[%s] %s" % (key, " ".join(shlex.quote(c) for c in cmd)), flush=True)
    rc, wall, rss, cpu = run_child(cmd, os.path.join(work, "log.txt"))
    with open(os.path.join(work, "time.json"), "w") as f:
        json.dump({"rc": rc, "wall_s": wall, "peak_mb": rss, "cpu_s": cpu}, f)
    if rc != 0:
        print("  failed (exit %d), see %s" % (rc, os.path.join(work, "log.txt")), flush=True)
        return None
    if tool == "smile":
        res = smile_metrics(os.path.join(work, "fit"), te, classify)
    else:
        with open(os.path.join(work, "metrics.json")) as f:
            res = json.load(f)
    res.update({"tool": tool, "label": label, "table": table, "seed": seed, "wall_s": wall,
                "cpu_s": cpu, "peak_mb": rss, "command": " ".join(shlex.quote(c) for c in cmd)})
    with open(js + ".tmp", "w") as f:
        json.dump(res, f, indent=1)
    os.replace(js + ".tmp", js)
    print("  " + ", ".join("%s %.4g" % (k, v) for k, v in res.items()
                           if isinstance(v, float)), flush=True)
    return res


def cached_runs(args):
    d = os.path.join(args.results, "runs")
    rows = {}
    for fn in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        with open(os.path.join(d, fn)) as f:
            r = json.load(f)
        rows.setdefault((r["table"], r["tool"], r["label"]), []).append(r)
    return rows


def plot_data(args):
    """One line per (table, tool, settings) with every seed of --seeds cached:
    table, label, mean wall s, mean CPU s, mean LPPD, seeds (for
    bench/bde_peer_plot.sh)."""
    seeds = [int(x) for x in args.seeds.split(",")]
    for (t, tool, lab), rs in sorted(cached_runs(args).items()):
        rs = [r for r in rs if r["seed"] in seeds]
        if len(rs) < len(seeds) or "lppd" not in rs[0]:
            continue
        m = lambda k: sum(r.get(k, float("nan")) for r in rs) / len(rs)
        print("%s %s %.2f %.2f %.5f %d" % (t, (tool + ":" + lab).replace(" ", "_"),
                                          m("wall_s"), m("cpu_s"), m("lppd"), len(rs)))


def report(args):
    rows = cached_runs(args)
    keys = ("lppd", "rmse", "cover90", "accuracy", "nll", "ece", "wall_s", "cpu_s", "peak_mb")
    print("| table | tool | settings | seeds | " + " | ".join(keys) + " |")
    print("|" + "---|" * (4 + len(keys)))
    for (t, tool, lab), rs in sorted(rows.items()):
        cells = []
        for k in keys:
            v = [r[k] for r in rs if k in r]
            cells.append("%.4g" % (sum(v) / len(v)) if v else "")
        print("| %s | %s | %s | %s | %s |" % (t, tool, lab,
                                             ",".join(str(r["seed"]) for r in rs),
                                             " | ".join(cells)))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "bde-child":
        p = argparse.ArgumentParser()
        for o, t in (("--train", str), ("--test", str), ("--json-out", str), ("--seed", int),
                     ("--members", int), ("--hidden", str), ("--epochs", int),
                     ("--patience", int), ("--lr", float), ("--warmup", int),
                     ("--samples", int), ("--thin", int)):
            p.add_argument(o, type=t, required=True)
        p.add_argument("--classify", action="store_true")
        return bde_child(p.parse_args(sys.argv[2:]))
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tool", choices=("smile", "bde"), default="smile")
    p.add_argument("--tables", default="airfoil,energy")
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--label", default="", help="settings label (smile: default 'default')")
    p.add_argument("--smile-args", default="", help="extra `smile fit` options")
    p.add_argument("--bde-members", type=int, default=10)
    p.add_argument("--bde-hidden", default="16,16,16")
    p.add_argument("--bde-epochs", type=int, default=3000)
    p.add_argument("--bde-patience", type=int, default=100)
    p.add_argument("--bde-lr", type=float, default=1e-3)
    p.add_argument("--bde-warmup", type=int, default=50000)
    p.add_argument("--bde-samples", type=int, default=10000)
    p.add_argument("--bde-thin", type=int, default=10)
    p.add_argument("--results", default=os.path.join(ROOT, "bench", "results", "bde_peer"))
    p.add_argument("--work", default=os.path.join(ROOT, "build", "bde_peer"),
                   help="split files and run folders (large; not kept)")
    p.add_argument("--report", action="store_true")
    p.add_argument("--plot-data", action="store_true")
    args = p.parse_args()
    if args.report:
        return report(args)
    if args.plot_data:
        return plot_data(args)
    if args.tool == "smile" and not args.label:
        args.label = "default"
    for table in args.tables.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            run_one(args, args.tool, table, seed)


if __name__ == "__main__":
    main()
