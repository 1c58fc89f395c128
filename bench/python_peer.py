"""smile.Regressor against the packaged peer, bde's BdeRegressor (PyPI
sklearn-contrib-bde, JAX), on the same train/test split of UCI airfoil and
energy: wall time, peak memory and test LPPD in original units side by side;
and the Python overhead of smile.Regressor.fit over the `smile fit` command
on identical settings.

Run through bench/python_peer.sh (it makes the benchmark venv and sets the
paths). Each fit runs in its own child process (`--one`), so its wall time
and peak memory are its own: peak RSS of that process (ru_maxrss of
RUSAGE_SELF) and of the processes it waited for (RUSAGE_CHILDREN: the
`smile fit` command of smile.Regressor).

Protocol: rows shuffled with numpy.random.default_rng(seed), 80 % training,
20 % test; X and y standardised with the training rows' means and sds; both
estimators get the same members, warm-up steps, sampling steps, thinning and
hidden layers and a deep-ensemble phase of the same epochs and patience; test
LPPD = mean over test rows of log (1/M) sum_m p(y_i | x_i, theta_m), minus
log sd(y) to give original units."""
import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def load(name, data_dir, seed):
    raw = np.loadtxt(os.path.join(data_dir, name, name + ".data"))
    X, y = raw[:, :-1], raw[:, -1]
    perm = np.random.default_rng(seed).permutation(len(y))
    n_tr = int(round(0.8 * len(y)))
    tr, te = perm[:n_tr], perm[n_tr:]
    mx, sx = X[tr].mean(axis=0), X[tr].std(axis=0)
    sx[sx == 0] = 1.0
    my, sy = y[tr].mean(), y[tr].std()
    f = lambda a: (a - mx) / sx  # noqa: E731
    return f(X[tr]), (y[tr] - my) / sy, f(X[te]), (y[te] - my) / sy, sy


def smile_estimator(a):
    import smile
    return smile.Regressor(members=a.members, warmup=a.warmup, samples=a.samples, thin=a.thin,
                           hidden=a.hidden, de_epochs=a.de_epochs, de_patience=a.de_patience,
                           split=(0.85, 0.1), likelihood=a.likelihood, random_state=a.seed + 1,
                           n_jobs=a.threads, sampler=a.sampler, de_lr=0.01, de_wd=0.005,
                           de_batch=64, sample_rows="train")  # the settings docs/python.md reports


def fit_smile(a, Xtr, ytr, Xte, yte, sy):
    from smile import _estimators
    est = smile_estimator(a)
    run_fit, command = _estimators._run_fit, []

    def timed(*args):  # the time inside the command, to split the fit's wall time
        t = time.perf_counter()
        try:
            return run_fit(*args)
        finally:
            command.append(time.perf_counter() - t)

    _estimators._run_fit = timed
    t0 = time.perf_counter()
    est.fit(Xtr, ytr)
    wall = time.perf_counter() - t0
    lppd = float(np.mean(est.log_density(Xte, yte))) - math.log(sy)
    rmse = float(np.sqrt(np.mean((est.predict(Xte) - yte) ** 2))) * sy
    return wall, lppd, rmse, {"command_s": sum(command)}


def fit_cli(a, Xtr, ytr, Xte, yte, sy):
    """The `smile fit` command alone on the same settings (the arguments the
    estimator would pass) on a CSV of the same rows, written beforehand."""
    import smile
    est = smile_estimator(a)
    work = tempfile.mkdtemp(prefix="bench-cli-")
    csv = os.path.join(work, "train.csv")
    with open(csv, "w") as f:
        f.write(",".join(["x%d" % j for j in range(Xtr.shape[1])] + ["y"]) + "\n")
        for row, v in zip(Xtr.tolist(), ytr.tolist()):
            f.write(",".join(map(repr, row)) + "," + repr(v) + "\n")
    cmd = [smile.cli_path(), "fit", "--data", csv, "--target", "y", "--out",
           os.path.join(work, "run"), "--task", "regress"] + est._cli_args(len(ytr))
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    m = smile.load(os.path.join(work, "run"))
    lppd = float(np.mean(m.log_density(Xte, yte))) - math.log(sy)
    subprocess.run(["rm", "-rf", work], check=True)
    return wall, lppd, float("nan"), {}


def fit_bde(a, Xtr, ytr, Xte, yte, sy):
    from bde import BdeRegressor
    from scipy.special import logsumexp
    est = BdeRegressor(n_members=a.members, hidden_layers=list(a.hidden), seed=a.seed,
                       epochs=a.de_epochs, patience=a.de_patience, validation_split=0.15,
                       n_samples=a.samples, warmup_steps=a.warmup, n_thinning=a.thin)
    t0 = time.perf_counter()
    est.fit(Xtr, ytr)
    wall = time.perf_counter() - t0
    raw = np.asarray(est.predict(Xte, raw=True), dtype=np.float64)  # (E, T, N, 2)
    mu = raw[..., 0]
    sd = np.logaddexp(0.0, raw[..., 1]) + 1e-6  # softplus, as bde's predictor
    ll = -0.5 * ((yte - mu) / sd) ** 2 - np.log(sd) - 0.5 * math.log(2 * math.pi)
    ll = ll.reshape(-1, ll.shape[-1])
    lppd = float(np.mean(logsumexp(ll, axis=0) - math.log(ll.shape[0]))) - math.log(sy)
    rmse = float(np.sqrt(np.mean((mu.mean(axis=(0, 1)) - yte) ** 2))) * sy
    return wall, lppd, rmse, {}


def one(a):
    data = load(a.one[1], a.data, a.seed)
    fn = {"smile": fit_smile, "cli": fit_cli, "bde": fit_bde}[a.one[0]]
    wall, lppd, rmse, extra = fn(a, *data)
    kib = 1024.0
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    extra["cpu_s"] = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    print(json.dumps({"wall_s": wall, "lppd": lppd, "rmse": rmse, **extra,
                      "rss_self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / kib,
                      "rss_children_mib":
                          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / kib}))


def child(a, method, dataset):
    cmd = ["nice", "-n", "10", sys.executable, os.path.abspath(__file__), "--one", method,
           dataset] + a.passthrough
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if r.returncode != 0:
        sys.exit("python_peer: %s on %s failed:\n%s" % (method, dataset, r.stderr[-3000:]))
    res = json.loads(r.stdout.strip().splitlines()[-1])
    res["process_s"] = time.perf_counter() - t0
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", default="airfoil,energy")
    ap.add_argument("--data", default=os.environ.get("SMILE_DATA",
                                                     os.path.join(ROOT, "..", "shared", "data")))
    ap.add_argument("--members", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=2000)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--thin", type=int, default=10)
    ap.add_argument("--hidden", default="16,16")
    ap.add_argument("--de-epochs", type=int, default=200)
    ap.add_argument("--de-patience", type=int, default=10)
    ap.add_argument("--likelihood", default="homo")
    ap.add_argument("--sampler", default="psmile-auto")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3, help="runs of smile and of the command "
                    "(alternating; medians reported)")
    ap.add_argument("--bde-repeats", type=int, default=1, help="runs of bde (interleaved "
                    "with the first runs of smile)")
    ap.add_argument("--skip-bde", action="store_true")
    ap.add_argument("--json", help="write all results to this file")
    ap.add_argument("--one", nargs=2, metavar=("METHOD", "DATASET"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    a.hidden = tuple(int(w) for w in a.hidden.split(","))
    if a.one:
        return one(a)
    a.passthrough = [x for x in sys.argv[1:] if x not in ("--skip-bde",)]
    results = {}
    for ds in a.datasets.split(","):
        runs = {"smile": [], "cli": [], "bde": []}
        for i in range(a.repeats):  # interleaved: the machine's load varies
            runs["smile"].append(child(a, "smile", ds))
            runs["cli"].append(child(a, "cli", ds))
            if not a.skip_bde and i < a.bde_repeats:
                runs["bde"].append(child(a, "bde", ds))
        if not runs["bde"]:
            del runs["bde"]
        results[ds] = runs
        report(ds, runs)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"settings": {k: v for k, v in vars(a).items() if k != "passthrough"},
                       "results": results}, f, indent=1)


def med(runs, key):
    return statistics.median(r[key] for r in runs)


def report(ds, runs):
    s, c = runs["smile"], runs["cli"]
    part = [r["wall_s"] / r["command_s"] - 1 for r in s]
    print("%s: smile.Regressor.fit %.2f s, the command alone %.2f s (medians of %d runs): "
          "%+.1f %%; within each fit, time outside the command %+.1f %% of the command's "
          "(median; max %+.1f %%)" % (ds, med(s, "wall_s"), med(c, "wall_s"), len(s),
                                     100 * (med(s, "wall_s") / med(c, "wall_s") - 1),
                                     100 * statistics.median(part), 100 * max(part)))
    print("| data | estimator | fit wall (s) | CPU (s, process) | peak RSS MiB: Python / command | "
          "test LPPD | test RMSE |")
    print("|---|---|---|---|---|---|---|")
    rows = [("smile.Regressor", s)] + ([("bde BdeRegressor", runs["bde"])] if "bde" in runs else [])
    for name, r in rows:
        print("| %s | %s | %.1f | %.1f | %.0f / %.0f | %.3f | %.3f |"
              % (ds, name, med(r, "wall_s"), med(r, "cpu_s"), max(x["rss_self_mib"] for x in r),
                 max(x["rss_children_mib"] for x in r), med(r, "lppd"), med(r, "rmse")))
    if "bde" in runs:
        print("speed-up of smile over bde: %.1fx wall, %.1fx CPU; LPPD difference (smile - bde): "
              "%+.3f" % (med(runs["bde"], "wall_s") / med(s, "wall_s"),
                         med(runs["bde"], "cpu_s") / med(s, "cpu_s"),
                 med(s, "lppd") - med(runs["bde"], "lppd")))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
