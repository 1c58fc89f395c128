#!/usr/bin/env python3
"""Reads the JSON lines of bench/peer_step.sh (ours: `smile bench-step --json`, peers:
torch_step.py / jax_step.py) and prints the comparison table with the ratios and the
targets of issue 5 (UCI model only). usage: table.py RESULTS.jsonl"""
import json
import sys

TARGETS = {  # (label, peer set, target ratio peer time / our time), UCI model only
    "fcn": [("PyTorch per-chain", ("torch-loop",), 10.0),
            ("fastest PyTorch", ("torch-loop", "torch-bmm", "torch-vmap"), 1.0),
            ("JAX (fastest)", ("jax-scan", "jax-step"), 2.0)],
}
ORDER = ["smile", "torch-loop", "torch-bmm", "torch-vmap", "jax-scan", "jax-step"]


def main():
    recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
    groups = {}
    for r in recs:
        name = r.get("peer", "smile")
        key = (r["model"], r["threads"], r["chains"], r["batch"])
        groups.setdefault(key, {}).setdefault(name, []).append(r)
    for (model, T, K, B), g in sorted(groups.items()):
        best = {n: min((r for r in rs if "us_per_step_per_chain" in r),
                       key=lambda r: r["us_per_step_per_chain"], default=None)
                for n, rs in g.items()}
        ours = best.get("smile")
        n_data = next((r.get("n_data") for rs in g.values() for r in rs if "n_data" in r), "?")
        print("\n%s: %d chains, batch %d, N = %s, %d thread(s); float32; time per step per "
              "chain = wall time of a block of steps of all chains / (steps x chains), best "
              "block" % (model, K, B, n_data, T))
        print("  %-11s %14s %14s %13s %10s %10s" % ("impl", "us/step/chain", "CPU us/st/ch",
                                                   "steps/s (all)", "x ours", "CPU x ours"))
        for n in ORDER + sorted(set(best) - set(ORDER)):
            r = best.get(n)
            if n not in g:
                continue
            if r is None:
                err = next((x.get("error") for x in g[n] if "error" in x), "failed")
                print("  %-11s %s" % (n, err))
                continue
            us, cpu = r["us_per_step_per_chain"], r.get("cpu_us_per_step_per_chain", float("nan"))
            ratio = us / ours["us_per_step_per_chain"] if ours else float("nan")
            cr = cpu / ours["cpu_us_per_step_per_chain"] if ours else float("nan")
            print("  %-11s %14.1f %14.1f %13.1f %9.2fx %9.2fx" % (n, us, cpu, 1e6 / us, ratio,
                                                                 cr))
        if ours and model == "fcn":
            print("  full UCI pSMILE run (60,000 steps x 10 chains) at our rate: %.1f s "
                  "sampling (x 9 runs = 3 data sets x 3 seeds: %.1f s)"
                  % (ours["full_uci_run_s"], 9 * ours["full_uci_run_s"]))
        for label, peers, tgt in TARGETS.get(model, []):
            cand = [best[p] for p in peers if best.get(p)]
            if not ours or not cand:
                continue
            fastest = min(cand, key=lambda r: r["us_per_step_per_chain"])
            ratio = fastest["us_per_step_per_chain"] / ours["us_per_step_per_chain"]
            cratio = fastest["cpu_us_per_step_per_chain"] / ours["cpu_us_per_step_per_chain"]
            print("  ours vs %-18s (%s): %6.2fx faster (CPU time %5.2fx); target >= %gx: %s"
                  % (label, fastest["peer"], ratio, cratio, tgt,
                     "met" if ratio >= tgt else "NOT met"))


if __name__ == "__main__":
    main()
