"""Joined analysis: correlations, rmcorr, readout fits and IC50 ratios against known truth."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from blotquant.errors import InvalidInputError
from blotquant.join import (
    correlate,
    correlation_ci,
    fit_readouts,
    ic50_ratio,
    join_conditions,
    join_replicates,
    results_table,
    rmcorr,
)

DOSES = [0.0, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0]


def _treatment(dose: float) -> str:
    return "vehicle" if dose == 0 else f"temsirolimus {dose:g} nM"


def _tables(rng: np.random.Generator, *, slope: float, noise: float, n_rep: int = 3,
            offsets: tuple[float, ...] = (0.0, 0.5, -0.4)):
    """Blot and viability replicate tables where log2 FC = slope * (viability - 50)/50."""
    blot, via = [], []
    for rep in range(1, n_rep + 1):
        for d in DOSES:
            v = 100.0 / (1 + (d / 50.0)) + rng.normal(0, 2)
            lfc = slope * (v - 50) / 50 + offsets[rep - 1] + rng.normal(0, noise)
            blot.append({"target": "phospho-S6", "cell_line": "786-O",
                         "treatment": _treatment(d), "agents": "temsirolimus" if d else
                         "vehicle", "dose": d, "unit": "nM" if d else "", "time": "24 h",
                         "replicate": rep, "n_flagged": 0, "fold_change": 2.0 ** lfc})
            via.append({"cell_line": "786-O", "type": "treated" if d else "vehicle",
                        "treatment": ("DMSO" if d == 0 else f"temsirolimus {d / 1000:g} uM"),
                        "replicate": str(rep), "n_wells": 3, "viability_mean": v})
    return pd.DataFrame(blot), pd.DataFrame(via)


def test_join_matches_canonical_treatment_and_replicate():
    blot, via = _tables(np.random.default_rng(1), slope=1.0, noise=0.05)
    reps = join_replicates(blot, via)
    # every blot row found its viability partner despite "DMSO" / "uM" spellings
    assert len(reps) == len(blot)
    row = reps[(reps["treatment"] == "temsirolimus 10 nM") & (reps["replicate"] == "2")]
    expected = via[(via["treatment"] == "temsirolimus 0.01 uM") & (via["replicate"] == "2")]
    assert float(row["viability"].iloc[0]) == pytest.approx(
        float(expected["viability_mean"].iloc[0]))
    cond = join_conditions(blot, via)
    assert len(cond) == len(DOSES)
    veh = cond[cond["treatment"] == "vehicle"].iloc[0]
    assert veh["n_blot"] == 3 and veh["n_viability"] == 3
    assert veh["viability_mean"] == pytest.approx(
        via[via["treatment"] == "DMSO"]["viability_mean"].mean())


def test_join_missing_column_is_named():
    blot, via = _tables(np.random.default_rng(1), slope=1.0, noise=0.05)
    with pytest.raises(InvalidInputError, match="viability_mean"):
        join_replicates(blot, via.drop(columns="viability_mean"))


@pytest.mark.parametrize("slope", [1.5, -1.5])
def test_correlations_recover_sign_and_strength(slope):
    blot, via = _tables(np.random.default_rng(7), slope=slope, noise=0.05)
    reps = join_replicates(blot, via)
    cond = join_conditions(blot, via)
    corr = correlate(reps, cond).set_index("method")
    for method in ("pearson", "spearman", "rmcorr"):
        r = corr.loc[method, "r"]
        assert np.sign(r) == np.sign(slope)
        assert abs(r) > 0.95
        assert corr.loc[method, "ci_lower"] <= r <= corr.loc[method, "ci_upper"]
        assert corr.loc[method, "p"] < 1e-3
    assert corr.loc["rmcorr", "df"] == 24 - 3 - 1
    assert corr.loc["rmcorr", "n_replicates"] == 3
    assert corr.loc["pearson", "n"] == len(DOSES)
    # pearson value is exactly scipy's on the condition means of log2 fold change
    ref = stats.pearsonr(cond["log2_fold_change_mean"], cond["viability_mean"]).statistic
    assert corr.loc["pearson", "r"] == pytest.approx(ref)


def test_correlation_null_interval_covers_zero():
    rng = np.random.default_rng(3)
    covered = 0
    for _ in range(200):
        x, y = rng.normal(size=12), rng.normal(size=12)
        lo, hi = correlation_ci(stats.pearsonr(x, y).statistic, 12)
        covered += lo <= 0 <= hi
    assert 0.90 <= covered / 200 <= 0.99


def test_rmcorr_matches_published_bland1995_inference():
    # R rmcorr README: rmcorr(Subject, PaCO2, pH, bland1995): r = -0.5067697, df = 38,
    # p = 0.0008471081, 95% CI -0.7067146 -0.2318631 (47 observations, 8 subjects)
    lo, hi = correlation_ci(-0.5067697, 38 + 2)
    assert lo == pytest.approx(-0.7067146, abs=1e-6)
    assert hi == pytest.approx(-0.2318631, abs=1e-6)
    t = -0.5067697 * math.sqrt(38 / (1 - 0.5067697 ** 2))
    assert 2 * stats.t.sf(abs(t), 38) == pytest.approx(0.0008471081, rel=1e-5)


def test_rmcorr_equals_hand_computed_within_subject_correlation():
    # Bland & Altman (1995): r_rm is the correlation of subject-centred x and y, with
    # df = N - k - 1; a strong between-subject trend of the opposite sign must not leak in.
    rng = np.random.default_rng(11)
    xs, ys, subj = [], [], []
    for s in range(6):
        n = 3 + s % 3
        x = rng.normal(size=n)
        y = 0.8 * x + rng.normal(scale=0.5, size=n)
        xs += list(x + 5 * s)
        ys += list(y - 5 * s)
        subj += [f"s{s}"] * n
    x, y, g = np.array(xs), np.array(ys), np.array(subj)
    xc = x - pd.Series(x).groupby(g).transform("mean").to_numpy()
    yc = y - pd.Series(y).groupby(g).transform("mean").to_numpy()
    hand = float(np.sum(xc * yc) / np.sqrt(np.sum(xc ** 2) * np.sum(yc ** 2)))
    res = rmcorr(x, y, g)
    assert res.r == pytest.approx(hand, abs=1e-12)
    assert res.r > 0 and stats.pearsonr(x, y).statistic < -0.9  # pooled would be wrong
    assert res.df == len(x) - 6 - 1
    t = hand * math.sqrt(res.df / (1 - hand ** 2))
    assert res.p == pytest.approx(2 * stats.t.sf(abs(t), res.df), rel=1e-9)


def test_rmcorr_not_computable_is_nan_with_note():
    res = rmcorr([1.0, 2.0], [2.0, 1.0], ["a", "a"])
    assert math.isnan(res.r) and "df" in res.note


def test_spearman_interval_uses_bonett_wright():
    lo, hi = correlation_ci(0.6, 20, method="spearman")
    se = math.sqrt(1 + 0.36 / 2) / math.sqrt(17)
    assert lo == pytest.approx(math.tanh(math.atanh(0.6) - 1.959964 * se), abs=1e-6)
    assert hi == pytest.approx(math.tanh(math.atanh(0.6) + 1.959964 * se), abs=1e-6)


def test_ic50_ratio_hand_computed():
    r = pd.DataFrame([{"target": "phospho-S6", "cell_line": "786-O", "agent": "temsirolimus",
                       "unit": "nM", "type": "relative", "level": 50.0, "estimate": 10.0,
                       "se": 2.0, "df": 20.0, "reached": True}])
    v = pd.DataFrame([{"cell_line": "786-O", "agent": "temsirolimus", "type": "relative",
                       "level": 50.0, "estimate": 100.0, "se": 30.0, "df": 10.0,
                       "reached": True}])
    out = ic50_ratio(r, v).iloc[0]
    a2, b2 = 0.2 ** 2, 0.3 ** 2
    se = math.sqrt(a2 + b2)
    df = (a2 + b2) ** 2 / (a2 ** 2 / 20 + b2 ** 2 / 10)
    q = stats.t.ppf(0.975, df)
    assert out["ratio"] == pytest.approx(0.1)
    assert out["log_se"] == pytest.approx(se)
    assert out["df"] == pytest.approx(df)
    assert out["ratio_lower"] == pytest.approx(0.1 * math.exp(-q * se))
    assert out["ratio_upper"] == pytest.approx(0.1 * math.exp(q * se))
    assert out["reached"]
    # not reached on one side: ratio still reported, flagged in the note
    v2 = v.assign(reached=False)
    out2 = ic50_ratio(r, v2).iloc[0]
    assert not out2["reached"] and "viability IC50 not reached" in out2["note"]


def test_readout_fit_and_ratio_cover_truth():
    """p-S6 falls with IC50 3 nM, viability with IC50 60 nM: the ratio CI covers 0.05."""
    rng = np.random.default_rng(5)
    doses = [0.0, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 1000.0]
    blot, via = [], []
    for rep in (1, 2, 3):
        for d in doses:
            fc = 0.1 + 0.9 / (1 + (d / 3.0) ** 1.2)
            blot.append({"target": "phospho-S6", "cell_line": "786-O",
                         "treatment": _treatment(d), "replicate": rep,
                         "fold_change": fc * math.exp(rng.normal(0, 0.05))})
            via.append({"dose": d, "viability": 10 + 90 / (1 + (d / 60.0)) + rng.normal(0, 2)})
    res = fit_readouts(pd.DataFrame(blot))
    ed = res.ed.iloc[0]
    assert ed["lower"] < 3.0 < ed["upper"]
    from blotquant.viability import effective_dose, fit_curve

    vt = pd.DataFrame(via)
    vfit = fit_curve(vt["dose"], vt["viability"])
    ved = effective_dose(vfit, [50], type="relative", interval="tfls").assign(
        cell_line="786-O", agent="temsirolimus", df=float(vfit.df))
    ratio = ic50_ratio(res.ed, ved).iloc[0]
    assert ratio["ratio_lower"] < 3.0 / 60.0 < ratio["ratio_upper"]
    assert ratio["ratio_upper"] < 1  # suppression clearly precedes the loss of viability
    table = results_table(correlate(join_replicates(
        pd.DataFrame(blot).assign(agents="", dose=0.0, unit=""),
        pd.DataFrame(via).assign(cell_line="786-O", treatment=[_treatment(d) for d in
                                                              vt["dose"]],
                                 replicate=[r for r in (1, 2, 3) for _ in doses],
                                 viability_mean=vt["viability"]))), ic50_ratio(res.ed, ved))
    assert {"correlation with viability", "IC50 ratio vs viability (temsirolimus)"} <= set(
        table["quantity"])
    assert table["text"].str.contains("CI").any()
