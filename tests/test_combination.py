"""Median-effect fits and Chou-Talalay combination indices against published oracles."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from blotquant.errors import InvalidInputError
from blotquant.viability.combination import (
    ci_from_doses,
    combination_index,
    interpret_ci,
    loewe_ci,
    loewe_ci_table,
    median_effect,
    to_fraction_affected,
)

REL = 1e-5
CHOU_DOSES = {"paclitaxel": "D1_paclitaxel", "cisplatin": "D2_cisplatin",
              "topotecan": "D3_topotecan"}


@pytest.fixture(scope="module")
def ref_dir(shared_dir):
    return shared_dir / "reference" / "doseresponse"


@pytest.fixture(scope="module")
def chou(ref_dir):
    return pd.read_csv(ref_dir / "chou1994_single_and_combo.csv", comment="#")


@pytest.fixture(scope="module")
def chou_ref(ref_dir):
    return json.loads((ref_dir / "reference_values.json").read_text())["chou1994_median_effect"]


def _run(chou, series, doses, **kw):
    sub = chou[chou["series"].isin(series)]
    return combination_index(sub, doses={k: CHOU_DOSES[k] for k in doses}, **kw)


# ---------------------------------------------------------------- Chou 1994 oracle


@pytest.mark.parametrize("drug", ["paclitaxel", "cisplatin", "topotecan"])
def test_chou1994_single_agents(chou, chou_ref, drug):
    # Compare with medianeffect 0.9.1 (reference_values.json, chou1994_median_effect)
    s = chou[chou["series"] == drug]
    fit = median_effect(s[CHOU_DOSES[drug]], s["fa"])
    ref = chou_ref[drug]
    assert fit.m == pytest.approx(ref["m"], rel=REL)
    assert fit.dm == pytest.approx(ref["Dm"], rel=REL)
    assert fit.r == pytest.approx(ref["r"], rel=REL)
    assert fit.n == len(s)


def test_chou1994_paclitaxel_cisplatin(chou, chou_ref):
    ref = chou_ref["pac+cis_1:100"]
    res = _run(chou, ["paclitaxel", "cisplatin", "pac+cis"], ["paclitaxel", "cisplatin"],
               units={"paclitaxel": "uM", "cisplatin": "uM"})
    mix = res.fits.query("kind == 'mixture'").iloc[0]
    assert mix["m"] == pytest.approx(ref["m"], rel=REL)
    assert mix["dm"] == pytest.approx(ref["Dm"], rel=REL)
    assert mix["r"] == pytest.approx(ref["r"], rel=REL)
    levels = res.ci.query("source == 'level'").set_index("fa")
    for fa, ci in ref["CI_at_fa"].items():
        assert levels.loc[float(fa), "ci"] == pytest.approx(ci, rel=REL)
    dri = res.dri.query("source == 'level'")
    for fa, (dri_pac, dri_cis) in ref["DRI_at_fa"].items():
        at = dri[np.isclose(dri["fa"], float(fa))].set_index("agent")["dri"]
        assert at["paclitaxel"] == pytest.approx(dri_pac, rel=REL)
        assert at["cisplatin"] == pytest.approx(dri_cis, rel=REL)
    observed = res.ci.query("source == 'observed'").set_index("fa")
    for fa, ci in ref["CI_at_actual_points"].items():
        assert observed.loc[float(fa), "ci"] == pytest.approx(ci, rel=REL)
    # exclusive CI = sum of 1/DRI
    lv = dri[np.isclose(dri["fa"], 0.5)]
    assert (1 / lv["dri"]).sum() == pytest.approx(levels.loc[0.5, "ci"], rel=1e-12)
    # the mixture is stated per agent in its own unit, formal total dose
    ratio = res.mixtures.set_index("agent")["ratio"]
    assert ratio["paclitaxel"] == pytest.approx(1 / 101)
    assert ratio["cisplatin"] == pytest.approx(100 / 101)
    assert res.ci["mixture"].iloc[0] == "paclitaxel + cisplatin 1:100 (uM:uM)"
    assert set(res.ci.query("source == 'level'")["interpretation"]) <= {
        "slight synergism", "moderate synergism", "synergism"}


def test_chou1994_three_drugs(chou, chou_ref):
    ref = chou_ref["pac+cis+top_1:100:10"]
    res = _run(chou, ["paclitaxel", "cisplatin", "topotecan", "pac+cis+top"],
               ["paclitaxel", "cisplatin", "topotecan"])
    mix = res.fits.query("kind == 'mixture'").iloc[0]
    assert mix["m"] == pytest.approx(ref["m"], rel=REL)
    assert mix["dm"] == pytest.approx(ref["Dm"], rel=REL)
    levels = res.ci.query("source == 'level'").set_index("fa")
    for fa, ci in ref["CI_at_fa"].items():
        assert levels.loc[float(fa), "ci"] == pytest.approx(ci, rel=REL)


def test_nonexclusive_is_more_conservative(chou):
    # NOTES §2.8 item 8: 0.887 (exclusive) vs 1.077 (non-exclusive) at fa 0.5 [C]
    res = _run(chou, ["paclitaxel", "cisplatin", "pac+cis"], ["paclitaxel", "cisplatin"],
               mode="nonexclusive", interval="none")
    ci = res.ci.query("source == 'level'").set_index("fa")["ci"]
    assert ci[0.5] == pytest.approx(1.077, abs=5e-4)
    dri = res.dri.query("source == 'level' and fa == 0.5").set_index("agent")["dri"]
    a, b = 1 / dri["paclitaxel"], 1 / dri["cisplatin"]
    assert ci[0.5] == pytest.approx(a + b + a * b, rel=1e-12)


def test_extrapolation_flag(chou):
    res = _run(chou, ["paclitaxel", "cisplatin", "pac+cis"], ["paclitaxel", "cisplatin"])
    lv = res.ci.query("source == 'level'").set_index("fa")["extrapolated"]
    # paclitaxel alone was observed only up to fa 0.932
    assert lv.to_dict() == {0.5: False, 0.75: False, 0.9: False, 0.95: True}
    obs = res.ci.query("source == 'observed'").set_index("fa")["extrapolated"]
    assert bool(obs[0.968]) and not bool(obs[0.45])


def test_unit_invariance(chou):
    # NOTES §2.8 item 16: doses x 1000 (uM -> nM) must not change CI or m
    base = _run(chou, ["paclitaxel", "cisplatin", "pac+cis"], ["paclitaxel", "cisplatin"],
                interval="none")
    scaled = chou.assign(D2_cisplatin=chou["D2_cisplatin"] * 1000)
    res = _run(scaled, ["paclitaxel", "cisplatin", "pac+cis"], ["paclitaxel", "cisplatin"],
               interval="none")
    np.testing.assert_allclose(res.ci["ci"], base.ci["ci"], rtol=1e-9)
    cis = res.fits.set_index("series").loc["cisplatin"]
    assert cis["dm"] == pytest.approx(1000 * base.fits.set_index("series").loc["cisplatin", "dm"])


def test_invalid_fa_excluded_and_reported(chou):
    s = chou[chou["series"] == "cisplatin"]
    dose = [*s["D2_cisplatin"], 5.0, 10.0, 0.0]
    fa = [*s["fa"], 1.0, 1.2, 0.1]
    fit = median_effect(dose, fa)
    ref = median_effect(s["D2_cisplatin"], s["fa"])
    assert (fit.m, fit.dm, fit.n) == (ref.m, ref.dm, ref.n)
    assert len(fit.excluded_reason) == 3
    assert any("fa >= 1" in r for r in fit.excluded_reason)
    assert any("dose 0" in r for r in fit.excluded_reason)


def test_median_effect_needs_two_points():
    with pytest.raises(InvalidInputError, match="at least 2 points"):
        median_effect([1, 2], [0.5, 1.0])


# ---------------------------------------------------------------- synthetic designs


def _additive_mixed_units(rng=None, noise=0.0, n_rep=1):
    """Temsirolimus (nM) + IFN-alpha (IU/mL), Loewe-additive: CI = 1 everywhere."""
    m, dm_t, dm_i = 1.3, 10.0, 1000.0
    rows = []
    ratio_t, ratio_i = 1.0, 100.0  # 1 nM : 100 IU/mL
    p_t, p_i = ratio_t / (ratio_t + ratio_i), ratio_i / (ratio_t + ratio_i)
    dm_mix = 1.0 / (p_t / dm_t + p_i / dm_i)

    def fa(d, dm):
        return 1 / (1 + (dm / d) ** m)

    for _ in range(n_rep):
        rows.append(("vehicle", 0.0))
        for d in (1, 3, 10, 30, 100):
            rows.append((f"temsirolimus {d} nM", fa(d, dm_t)))
        for d in (100, 300, 1000, 3000, 10000):
            rows.append((f"IFN-alpha {d} IU/mL", fa(d, dm_i)))
        for k in (0.5, 2, 5, 20, 50):
            tot = k * (ratio_t + ratio_i)
            rows.append((f"temsirolimus {k * ratio_t:g} nM + IFN-alpha {k * ratio_i:g} IU/mL",
                         fa(tot, dm_mix)))
    df = pd.DataFrame(rows, columns=["treatment", "fa"])
    if noise:
        df["fa"] = df["fa"] + rng.normal(0, noise, len(df))
    df["viability"] = 100 * (1 - df["fa"])
    return df


def test_mixed_units_additive_mixture_gives_ci_one():
    df = _additive_mixed_units()
    res = combination_index(df, response="viability", scale="viability_percent",
                            interval="none")
    np.testing.assert_allclose(res.ci["ci"], 1.0, rtol=1e-9)
    assert (res.ci["interpretation"] == "nearly additive").all()
    assert res.ci["mixture"].iloc[0] == "IFN-alpha + temsirolimus 100:1 (IU/mL:nM)"
    units = res.mixtures.set_index("agent")["unit"].to_dict()
    assert units == {"IFN-alpha": "IU/mL", "temsirolimus": "nM"}
    assert res.fits.query("kind == 'mixture'")["unit"].iloc[0] == "formal sum"
    # DRI doses stay in each agent's own unit
    d = res.dri.query("source == 'observed'").groupby("agent")["dose"].min()
    assert d["temsirolimus"] == pytest.approx(0.5)
    assert d["IFN-alpha"] == pytest.approx(50)
    # the vehicle row is not a fitted point
    assert "vehicle" not in set(res.points["series"])


def test_bootstrap_deterministic_and_brackets():
    rng = np.random.default_rng(1)
    df = _additive_mixed_units(rng, noise=0.03, n_rep=3)
    kw = {"response": "fa", "n_boot": 300, "seed": 7}
    a = combination_index(df, **kw)
    b = combination_index(df, **kw)
    pd.testing.assert_frame_equal(a.ci, b.ci)
    assert (a.ci["interval"] == "bootstrap").all()
    ok = a.ci.dropna(subset=["ci_lower"])
    assert len(ok) >= len(a.ci) - 1
    assert (ok["ci_lower"] <= ok["ci"]).all() and (ok["ci"] <= ok["ci_upper"]).all()
    # the truth (CI = 1) lies inside the 95% interval at the well-determined levels
    mid = ok.query("source == 'level' and fa <= 0.75")
    assert ((mid["ci_lower"] < 1) & (mid["ci_upper"] > 1)).all()


def test_bootstrap_without_noise_has_zero_width():
    df = _additive_mixed_units(n_rep=2)
    res = combination_index(df, interval="bootstrap", n_boot=200)
    np.testing.assert_allclose(res.ci["ci_lower"], res.ci["ci"], rtol=1e-9)
    np.testing.assert_allclose(res.ci["ci_upper"], res.ci["ci"], rtol=1e-9)


def test_delta_interval_without_replicates(chou):
    res = _run(chou, ["paclitaxel", "cisplatin", "pac+cis"], ["paclitaxel", "cisplatin"])
    assert (res.ci["interval"] == "delta").all()
    assert (res.ci["ci_lower"] < res.ci["ci"]).all()
    assert (res.ci["ci"] < res.ci["ci_upper"]).all()


def test_groups_are_independent(chou):
    sub = chou[chou["series"].isin(["paclitaxel", "cisplatin", "pac+cis"])]
    two = pd.concat([sub.assign(cell_line="786-O"), sub.assign(cell_line="Caki-1")])
    res = combination_index(two, doses={"paclitaxel": "D1_paclitaxel",
                                        "cisplatin": "D2_cisplatin"}, by="cell_line",
                            interval="none")
    assert list(res.ci.columns[:2]) == ["cell_line", "mixture"]
    a = res.ci.query("cell_line == '786-O'")["ci"].to_numpy()
    b = res.ci.query("cell_line == 'Caki-1'")["ci"].to_numpy()
    np.testing.assert_allclose(a, b)


def test_missing_single_agent_raises(chou):
    sub = chou[chou["series"].isin(["paclitaxel", "pac+cis"])]
    with pytest.raises(InvalidInputError, match="cisplatin"):
        combination_index(sub, doses={"paclitaxel": "D1_paclitaxel",
                                      "cisplatin": "D2_cisplatin"})


def test_input_not_mutated(chou):
    before = chou.copy()
    _run(chou, ["paclitaxel", "cisplatin", "pac+cis"], ["paclitaxel", "cisplatin"])
    pd.testing.assert_frame_equal(chou, before)


# ------------------------------------------------------ ray design vs grid wells


def test_lee_kong_ray_equals_grid_wells(ref_dir):
    # The 13 rows of the Lee & Kong 2009 ray are the nl22B2 grid's edges and diagonal
    ray = pd.read_csv(ref_dir / "lee_kong2009_UMSCC22B_fixed_ratio.csv", comment="#")
    grid = pd.read_csv(ref_dir / "lee2007_nl22B2_grid.csv", comment="#")
    r = combination_index(ray, doses={"SCH66336": "dose1_SCH66336", "4-HPR": "dose2_4HPR"},
                          response="e", scale="viability", interval="none")
    g = combination_index(grid, doses={"SCH66336": "schd", "4-HPR": "hpr"}, response="y1",
                          scale="viability", interval="none")
    mix = r.ci["mixture"].iloc[0]
    assert mix == "SCH66336 + 4-HPR 1:1 (-:-)"
    gd = g.ci.query("mixture == @mix")
    assert len(gd) == len(r.ci) == 8
    np.testing.assert_allclose(gd["ci"].to_numpy(), r.ci["ci"].to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(gd["extrapolated"], r.ci["extrapolated"])
    # NOTES §2.8 item 3: single agents reach fa ~0.62 / 0.51 only -> CI@0.9 is extrapolated
    lv = r.ci.query("source == 'level'").set_index("fa")
    assert bool(lv.loc[0.9, "extrapolated"])
    # every off-ray grid well still gets an observed CI
    assert g.ci.query("source == 'observed'")["ci"].notna().sum() == 20


# ---------------------------------------------------------------- 4PL Loewe CI


def test_loewe_ci_sham_combination():
    p = {"b": 1.2, "c": 5.0, "d": 100.0, "e": 8.0}
    y = 5.0 + 95.0 / (1 + (6.0 / 8.0) ** 1.2)  # LL.4 at dose 2 + 4 = 6
    ci, dx, why = loewe_ci([p, p], [2.0, 4.0], y)
    assert why == ""
    assert ci == pytest.approx(1.0, rel=1e-10)
    assert dx[0] == pytest.approx(6.0, rel=1e-10)


def test_loewe_ci_partial_efficacy_is_undefined():
    full = {"b": 1.0, "c": 0.0, "d": 100.0, "e": 10.0}
    partial = {"b": 1.0, "c": 60.0, "d": 100.0, "e": 5.0}  # plateau at 60 % viability
    ci, dx, why = loewe_ci([full, partial], [5.0, 5.0], 40.0)
    assert np.isnan(ci) and np.isnan(dx[1])
    assert "outside the curve's range" in why
    ci2, _, why2 = loewe_ci([full, partial], [5.0, 5.0], 70.0)
    assert why2 == "" and np.isfinite(ci2)


def test_loewe_ci_table_with_fitted_curves():
    from blotquant.viability.doseresponse import fit_curve

    def ll4(x, e):
        return 100.0 / (1 + (x / e) ** 1.5)

    xs = np.array([0, 0.3, 1, 3, 10, 30, 100.0])
    fa_ = fit_curve(xs, ll4(xs, 3.0), model="LL.4")
    fb = fit_curve(xs, ll4(xs, 10.0), model="LL.4")
    # Loewe-additive combination: a + b*(3/10) behaves like drug A alone
    combo = pd.DataFrame({"a": [1.0, 1.0, 2.0], "b": [2.0, 2.0, 5.0]})
    combo["v"] = ll4(combo["a"] + combo["b"] * 0.3, 3.0)
    tab = loewe_ci_table(combo, curves={"A": fa_, "B": fb}, doses={"A": "a", "B": "b"},
                         response="v")
    assert len(tab) == 2
    assert tab["n_wells"].tolist() == [2, 1]
    np.testing.assert_allclose(tab["loewe_ci"], 1.0, rtol=1e-4)


# ---------------------------------------------------------------- small helpers


def test_interpretation_bins():
    assert interpret_ci(0.05) == "very strong synergism"
    assert interpret_ci(0.3) == "synergism"
    assert interpret_ci(0.85) == "slight synergism"
    assert interpret_ci(1.0) == "nearly additive"
    assert interpret_ci(1.1) == "slight antagonism"
    assert interpret_ci(2.0) == "antagonism"
    assert interpret_ci(float("nan")) == "undefined"


def test_scale_conversion():
    np.testing.assert_allclose(to_fraction_affected([80.0], scale="viability_percent"), [0.2])
    np.testing.assert_allclose(to_fraction_affected([0.8], scale="viability"), [0.2])
    np.testing.assert_allclose(to_fraction_affected([20.0], scale="inhibition_percent"), [0.2])
    with pytest.raises(InvalidInputError, match="scale"):
        to_fraction_affected([1.0], scale="percent")  # type: ignore[arg-type]


def test_ci_from_doses_matches_definition():
    a = median_effect([1, 2, 4, 8], [0.1, 0.3, 0.6, 0.85])
    b = median_effect([10, 20, 40, 80], [0.2, 0.4, 0.7, 0.9])
    ci, dri = ci_from_doses([a, b], [1.0, 10.0], 0.5)
    expected = 1.0 / a.dose_for(0.5) + 10.0 / b.dose_for(0.5)
    assert ci == pytest.approx(float(expected))
    np.testing.assert_allclose(1 / dri, [1.0 / a.dose_for(0.5), 10.0 / b.dose_for(0.5)])
