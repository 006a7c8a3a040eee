"""Bliss / HSA / Loewe / ZIP on dose matrices: hand arithmetic, model identities, Lee 2007."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from blotquant.errors import InvalidInputError
from blotquant.viability.synergy import fit_ll4, loewe_expected, synergy_scores, synergy_summary

DOSES_A = (0.0, 0.3, 1.0, 3.0, 10.0)
DOSES_B = (0.0, 1.0, 3.0, 10.0, 30.0)


def _hill(x, e, h, emax=1.0):
    x = np.asarray(x, dtype=float)
    return emax * x**h / (x**h + e**h)


def _grid(fun):
    a, b = np.meshgrid(DOSES_A, DOSES_B, indexing="ij")
    return pd.DataFrame({"dose_a": a.ravel(), "dose_b": b.ravel(),
                         "response": fun(a.ravel(), b.ravel())})


@pytest.fixture(scope="module")
def lee(shared_dir):
    path = shared_dir / "reference" / "doseresponse" / "lee2007_nl22B2_grid.csv"
    grid = pd.read_csv(path, comment="#")
    return grid, synergy_scores(grid, dose_a="schd", dose_b="hpr", response="y1",
                                scale="viability")


def _cell(scores, model, a, b, col="excess"):
    row = scores.query("model == @model and dose_a == @a and dose_b == @b")
    assert len(row) == 1
    return float(row[col].iloc[0])


# ------------------------------------------------------------------ Lee 2007 grid


def test_lee2007_models_disagree_by_design(lee):
    # NOTES §2.8 item 5: HSA excess > 0 in all 20 combination cells, Bliss < 0 in 19 of 20
    _, s = lee
    combo = s.loc[~s["monotherapy"]]
    assert (combo.query("model == 'hsa'")["excess"] > 0).sum() == 20
    bliss = combo.query("model == 'bliss'")
    assert (bliss["excess"] < 0).sum() == 19
    pos = bliss.loc[bliss["excess"] > 0]
    assert (pos["dose_a"].item(), pos["dose_b"].item()) == (4.0, 2.0)


def test_lee2007_hand_computed_cells(lee):
    _, s = lee
    # (0.1, 0.1): I_A = 1 - 0.6701, I_B = 1 - 0.7666, I_obs = 1 - 0.6539
    ia, ib, io = 0.3299, 0.2334, 0.3461
    assert _cell(s, "bliss", 0.1, 0.1, "expected") == pytest.approx(ia + ib - ia * ib, abs=1e-12)
    assert _cell(s, "bliss", 0.1, 0.1) == pytest.approx(-0.14020134, abs=1e-9)
    assert _cell(s, "hsa", 0.1, 0.1) == pytest.approx(io - ia, abs=1e-12)
    # (4, 2): V_A = 0.3755, V_B = 0.4934, V_obs = 0.1578; Bliss in viability: V_A * V_B
    assert _cell(s, "bliss", 4.0, 2.0) == pytest.approx(0.3755 * 0.4934 - 0.1578, abs=1e-12)
    assert _cell(s, "hsa", 4.0, 2.0) == pytest.approx(0.3755 - 0.1578, abs=1e-12)
    # monotherapy cells are additive by definition
    assert _cell(s, "zip", 4.0, 0.0) == 0.0


def test_lee2007_summary(lee):
    _, s = lee
    summ = synergy_summary(s).set_index("model")
    assert summ.loc["hsa", "n_positive"] == 20
    assert (summ["n_cells"] == 20).all()
    bliss = s.query("model == 'bliss' and not monotherapy")["excess"]
    assert summ.loc["bliss", "mean_excess"] == pytest.approx(bliss.mean(), rel=1e-12)
    # Loewe is undefined where SCH66336 4 uM pushes past 4-HPR's fitted Emax
    assert summ.loc["loewe", "n_undefined"] == summ.loc["loewe", "n_cells"] - (
        s.query("model == 'loewe' and not monotherapy")["excess"].notna().sum())


def test_percent_scale_is_equivalent(lee):
    grid, s = lee
    pct = synergy_scores(grid.assign(y1=grid["y1"] * 100), dose_a="schd", dose_b="hpr",
                         response="y1", scale="viability_percent", models=("bliss", "hsa"))
    ref = s.loc[s["model"].isin(["bliss", "hsa"])].reset_index(drop=True)
    np.testing.assert_allclose(pct["excess"], ref["excess"], atol=1e-12)


# ------------------------------------------------------------- model identities


def test_bliss_independent_surface_scores_zero():
    # Bliss-independent inhibition with Hill single agents: Bliss and ZIP excess = 0
    def surface(a, b):
        ia, ib = _hill(a, 1.0, 1.5), _hill(b, 5.0, 1.0)
        return ia + ib - ia * ib

    s = synergy_scores(_grid(surface), scale="inhibition", models=("bliss", "zip"))
    np.testing.assert_allclose(s["excess"], 0.0, atol=1e-6)


def test_loewe_additive_surface_scores_zero():
    # Drug B is drug A diluted 4x (same Hill curve, e_B = 4 e_A): a "sham" combination
    def surface(a, b):
        return _hill(a + b / 4.0, 2.0, 1.3, emax=0.9)

    s = synergy_scores(_grid(surface), scale="inhibition", models=("loewe",))
    combo = s.loc[~s["monotherapy"]]
    assert combo["excess"].notna().all()
    np.testing.assert_allclose(combo["excess"], 0.0, atol=1e-6)


def test_synergy_sign_convention():
    # more inhibition than Bliss predicts -> positive excess for every model
    def surface(a, b):
        ia, ib = _hill(a, 1.0, 1.5), _hill(b, 5.0, 1.0)
        return 1 - (1 - (ia + ib - ia * ib)) * np.where((a > 0) & (b > 0), 0.5, 1.0)

    s = synergy_scores(_grid(surface), scale="inhibition")
    combo = s.loc[~s["monotherapy"]]
    for model in ("bliss", "hsa", "loewe", "zip"):
        ex = combo.query("model == @model")["excess"].dropna()
        assert (ex > 0).all(), model


def test_loewe_undefined_policy():
    # drug B plateaus at 30 % inhibition; high combinations exceed its Emax
    def surface(a, b):
        ia, ib = _hill(a, 3.0, 1.0, emax=0.5), _hill(b, 3.0, 1.0, emax=0.3)
        return ia + ib - ia * ib

    s = synergy_scores(_grid(surface), scale="inhibition", models=("loewe", "hsa"))
    lo = s.query("model == 'loewe' and not monotherapy")
    undefined = lo.loc[lo["excess"].isna()]
    assert len(undefined) > 0
    assert undefined["note"].str.contains("Emax").all()
    h = synergy_scores(_grid(surface), scale="inhibition", models=("loewe", "hsa"),
                       loewe_undefined="hsa")
    lo_h = h.query("model == 'loewe' and not monotherapy").set_index(["dose_a", "dose_b"])
    hsa = h.query("model == 'hsa' and not monotherapy").set_index(["dose_a", "dose_b"])
    idx = undefined.set_index(["dose_a", "dose_b"]).index
    np.testing.assert_allclose(lo_h.loc[idx, "excess"], hsa.loc[idx, "excess"])
    assert lo_h["excess"].notna().all()


def test_loewe_expected_sham():
    p = {"b": -1.0, "c": 0.0, "d": 1.0, "e": 2.0}
    # drug with itself: expected effect = curve at the summed dose
    assert loewe_expected(1.0, 3.0, p, p) == pytest.approx(4.0 / 6.0, rel=1e-10)


def test_fit_ll4_recovers_parameters():
    x = np.array([0, 0.1, 0.3, 1, 3, 10, 30.0])
    y = 0.05 + 0.85 * _hill(x, 2.5, 1.7)
    p = fit_ll4(x, y)
    assert p["e"] == pytest.approx(2.5, rel=1e-6)
    assert p["b"] == pytest.approx(-1.7, rel=1e-6)
    assert p["c"] == pytest.approx(0.05, abs=1e-8)
    assert p["d"] == pytest.approx(0.90, abs=1e-8)


# ------------------------------------------------------------------ input handling


def test_replicates_are_averaged():
    def surface(a, b):
        return _hill(a, 1.0, 1.0) * 0.5 + _hill(b, 3.0, 1.0) * 0.3

    g = _grid(surface)
    noisy = pd.concat([g.assign(response=g["response"] + 0.02),
                       g.assign(response=g["response"] - 0.02)])
    a = synergy_scores(g, scale="inhibition", models=("bliss", "hsa"))
    b = synergy_scores(noisy, scale="inhibition", models=("bliss", "hsa"))
    np.testing.assert_allclose(a["excess"], b["excess"], atol=1e-12)
    assert (b["n_replicates"] == 2).all()


def test_missing_edge_raises():
    g = _grid(lambda a, b: _hill(a, 1, 1) + 0 * b)
    g = g.loc[~((g["dose_a"] == 1.0) & (g["dose_b"] == 0))]
    with pytest.raises(InvalidInputError, match="monotherapy"):
        synergy_scores(g, scale="inhibition")


def test_groups_and_no_mutation():
    g = _grid(lambda a, b: 0.5 * _hill(a, 1, 1) + 0.4 * _hill(b, 3, 1))
    two = pd.concat([g.assign(cell_line="786-O"), g.assign(cell_line="Caki-1")])
    before = two.copy()
    s = synergy_scores(two, scale="inhibition", by="cell_line", models=("bliss",))
    pd.testing.assert_frame_equal(two, before)
    assert s.columns[0] == "cell_line"
    summ = synergy_summary(s, by="cell_line")
    assert len(summ) == 2
    assert summ["mean_excess"].iloc[0] == pytest.approx(summ["mean_excess"].iloc[1])


def test_unknown_model_raises():
    g = _grid(lambda a, b: 0.5 * _hill(a, 1, 1) + 0 * b)
    with pytest.raises(InvalidInputError, match="unknown"):
        synergy_scores(g, scale="inhibition", models=("musyc",))
