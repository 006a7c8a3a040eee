"""Bias and CI coverage of IC50s and combination indices on simulated MTT experiments.

Run: ``python benchmarks/bench_viability.py [n_seeds] [n_workers]`` (default 200 seeds,
2 workers; ~0.8 s per seed and core). For each seed,
:func:`~blotquant.viability.simulate.simulate_mtt_experiment` draws the reference design
(2 cell lines x 3 biological replicates, temsirolimus + IFN-alpha + two fixed-ratio
mixtures, triplicate wells; every plate draws its own IC50s around the truth, ``bio_sd``
0.05 log10) and :func:`~blotquant.viability.pipeline.analyze_viability` analyses it. The
estimates are compared with the truth:

* relative and absolute IC50: log10 bias and 95 % interval coverage of the primary
  (replicate t) interval and of the pooled-fit (tfls) interval;
* 4PL Loewe CI at fa 0.25 and 0.5 against the true interaction index ``tau`` (the
  simulator's mixtures solve ``d1/D1(y) + d2/D2(y) = tau``): bias, coverage of the replicate
  interval and of the pooled delta interval, and how often the call is "synergy";
* Chou's median-effect CI at fa 0.5 against ``tau`` (it is biased under partial efficacy).

The Monte-Carlo standard error of a coverage ``p`` over ``n`` seeds is
``sqrt(p (1 - p) / n)``, e.g. 0.015 for p = 0.95, n = 200.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from blotquant.viability.pipeline import analyze_viability
from blotquant.viability.simulate import simulate_mtt_experiment


def one_seed(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Estimates and truth of one simulated experiment."""
    sim = simulate_mtt_experiment(seed=seed)
    res = analyze_viability(sim.plate_table(), sim.layout, reference_wavelength=630)
    ed = res.ed.merge(sim.curves, on=["cell_line", "agent"])
    ed["truth"] = np.where(ed["type"] == "relative", ed["ic50_relative"], ed["ic50_absolute"])
    tau = sim.combination[["cell_line", "tau"]].drop_duplicates()
    lw = res.loewe[res.loewe["fa"].isin([0.25, 0.5])].merge(tau, on="cell_line")
    ci = res.combination
    ci = ci[(ci["source"] == "level") & np.isclose(ci["fa"], 0.5)].merge(tau, on="cell_line")
    return ed.assign(seed=seed), lw.assign(seed=seed), ci.assign(seed=seed)


def _mcse(p: pd.Series) -> float:
    n = p.size
    m = p.mean()
    return float(np.sqrt(m * (1 - m) / n))


def run(n_seeds: int = 200, *, workers: int = 2) -> tuple[pd.DataFrame, ...]:
    """Return the IC50, Loewe and Chou summary tables."""
    with ProcessPoolExecutor(workers) as pool:
        parts = list(pool.map(one_seed, range(n_seeds), chunksize=4))
    ed = pd.concat([p[0] for p in parts], ignore_index=True)
    lw = pd.concat([p[1] for p in parts], ignore_index=True)
    ci = pd.concat([p[2] for p in parts], ignore_index=True)
    ed["log10_error"] = np.log10(ed["estimate"] / ed["truth"])
    ed["covered"] = (ed["lower"] <= ed["truth"]) & (ed["truth"] <= ed["upper"])
    ed["pooled_covered"] = (ed["pooled_lower"] <= ed["truth"]) & (
        ed["truth"] <= ed["pooled_upper"])
    ic = ed.groupby(["cell_line", "agent", "type"]).agg(
        truth=("truth", "first"), median_est=("estimate", "median"),
        bias_log10=("log10_error", "mean"), sd_log10=("log10_error", "std"),
        coverage=("covered", "mean"), mcse=("covered", _mcse),
        pooled_coverage=("pooled_covered", "mean"),
        replicates_used=("n_used", "mean"),
        primary_replicates=("interval", lambda s: (s == "replicates").mean()),
        n=("covered", "size")).reset_index()
    lw["log10_error"] = np.log10(lw["loewe_ci"] / lw["tau"])
    lw["covered"] = (lw["ci_lower"] <= lw["tau"]) & (lw["tau"] <= lw["ci_upper"])
    lw["pooled_covered"] = (lw["pooled_lower"] <= lw["tau"]) & (lw["tau"] <= lw["pooled_upper"])
    lw["synergy"] = lw["call"] == "synergy"
    lw["defined"] = np.isfinite(lw["loewe_ci"])
    lws = lw.groupby(["cell_line", "mixture", "fa"]).agg(
        tau=("tau", "first"), median_ci=("loewe_ci", "median"),
        bias_log10=("log10_error", "mean"), coverage=("covered", "mean"),
        mcse=("covered", _mcse), pooled_coverage=("pooled_covered", "mean"),
        called_synergy=("synergy", "mean"), defined=("defined", "mean"),
        n=("covered", "size")).reset_index()
    ci["covered"] = (ci["ci_lower"] <= ci["tau"]) & (ci["tau"] <= ci["ci_upper"])
    cis = ci.groupby(["cell_line", "mixture"]).agg(
        tau=("tau", "first"), median_chou_ci=("ci", "median"),
        q10=("ci", lambda x: x.quantile(0.1)), q90=("ci", lambda x: x.quantile(0.9)),
        coverage=("covered", "mean"), n=("ci", "size")).reset_index()
    return ic, lws, cis


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    start = time.time()
    ic, lws, cis = run(n, workers=workers)
    print(f"{n} simulated experiments in {time.time() - start:.0f} s "
          f"(MC standard error of a 0.95 coverage: {np.sqrt(0.95 * 0.05 / n):.3f})\n")
    print("IC50, primary = replicate t interval; pooled = tfls of the pooled fit "
          "(nominal 0.95):")
    print(ic.round(3).to_string(index=False))
    print("\n4PL Loewe CI vs the true interaction index tau (primary = replicate t interval; "
          "pooled = delta):")
    print(lws.round(3).to_string(index=False))
    print("\nChou median-effect CI at fa 0.5 vs tau (biased under partial efficacy):")
    print(cis.round(3).to_string(index=False))
