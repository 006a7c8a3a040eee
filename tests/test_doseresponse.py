"""Dose-response fits against drc oracles, analytic truths and real replicate curves.

Oracle values come from ``shared/reference/doseresponse/reference_values.json``
(drc 3.0-1 printouts, rebuilt under R 4.2.2; see that folder's NOTES.md).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from blotquant.errors import InvalidInputError
from blotquant.viability import (
    compare_models,
    dose_effect_test,
    effective_dose,
    fit_curve,
    fit_curves,
    fit_quantal,
    fits_table,
    lack_of_fit,
    predict,
    predict_band,
)
from blotquant.viability.ed import ED_COLUMNS
from blotquant.viability.models import evaluate, get_model


def _ll4(x, b, c, d, e):
    x = np.asarray(x, dtype=float)
    return c + (d - c) / (1 + (x / e) ** b)


@pytest.fixture(scope="module")
def ref(shared_dir):
    path = shared_dir / "reference" / "doseresponse" / "reference_values.json"
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def ryegrass(shared_dir):
    return pd.read_csv(shared_dir / "reference" / "doseresponse" / "drc_ryegrass.csv",
                       comment="#")


@pytest.fixture(scope="module")
def rye_fit(ryegrass):
    return fit_curve(ryegrass["conc"], ryegrass["rootl"], model="LL.4", curve="ryegrass")


# ---------------------------------------------------------------------------
# drc oracles: ryegrass LL.4


def test_ryegrass_ll4_estimates(rye_fit, ref):
    r = ref["ryegrass_LL4"]
    assert rye_fit.converged, rye_fit.message
    for k in "bcde":
        # drc prints 6 significant digits
        assert rye_fit.params[k] == pytest.approx(r[k], rel=1e-5), k
    assert rye_fit.n == r["n"]
    assert rye_fit.df == r["df"]


def test_ryegrass_standard_errors_both_conventions(rye_fit, ref):
    r = ref["ryegrass_LL4"]
    se_h, se_j = rye_fit.se("hessian"), rye_fit.se("jtj")
    for k in "bcde":
        assert se_h[k] == pytest.approx(r["SE_drc"][k], rel=1e-4), k
        assert se_j[k] == pytest.approx(r["SE_nls"][k], rel=1e-5), k


def test_ryegrass_goodness_of_fit(rye_fit, ref):
    r = ref["ryegrass_LL4"]
    assert rye_fit.rse == pytest.approx(r["RSE"], rel=1e-6)
    assert rye_fit.rss == pytest.approx(r["RSS"], rel=1e-4)
    assert rye_fit.loglik == pytest.approx(r["logLik"], rel=1e-6)
    assert rye_fit.aic == pytest.approx(r["AIC"], rel=1e-6)


def test_ryegrass_relative_ed_delta(rye_fit, ref):
    r = ref["ryegrass_LL4"]["ED_relative_delta"]
    tab = effective_dose(rye_fit, [10, 20, 50, 90], type="relative", interval="delta")
    assert list(tab.columns) == list(ED_COLUMNS)
    for _, row in tab.iterrows():
        est, se, lo, hi = r[str(int(row["level"]))]
        assert row["estimate"] == pytest.approx(est, rel=1e-5)
        assert row["se"] == pytest.approx(se, rel=1e-5)
        assert row["lower"] == pytest.approx(lo, rel=1e-5)
        assert row["upper"] == pytest.approx(hi, rel=1e-5)
        assert row["reached"]
        assert row["type"] == "relative"


def test_ryegrass_ed50_log_scale_ci_matches_ll2_4_fls(rye_fit, ref):
    lo, hi = ref["ryegrass_LL4"]["ED50_logparam_LL2.4_fls_CI"]
    row = effective_dose(rye_fit, 50, interval="tfls").iloc[0]
    assert row["lower"] == pytest.approx(lo, rel=1e-5)
    assert row["upper"] == pytest.approx(hi, rel=1e-5)


def test_ryegrass_lack_of_fit(rye_fit, ref):
    r = ref["ryegrass_LL4"]["lack_of_fit"]
    lof = lack_of_fit(rye_fit)
    assert lof.rss_anova == pytest.approx(r["ANOVA_RSS"], rel=1e-4)
    assert lof.df_anova == r["ANOVA_df"]
    assert lof.statistic == pytest.approx(r["F"], rel=5e-4)
    assert lof.p == pytest.approx(r["p"], rel=5e-4)
    row = fits_table(rye_fit).iloc[0]
    assert row["lof_p"] == pytest.approx(r["p"], rel=5e-4)


@pytest.mark.parametrize("how", ["LL.3", "fixed"])
def test_ryegrass_ll3_c0(ryegrass, ref, how):
    r = ref["ryegrass_LL4"]["LL3_c0"]
    if how == "LL.3":
        fit = fit_curve(ryegrass["conc"], ryegrass["rootl"], model="LL.3")
    else:
        fit = fit_curve(ryegrass["conc"], ryegrass["rootl"], model="LL.4", fixed={"c": 0})
    assert fit.param_names == ("b", "d", "e")
    assert fit.params["c"] == 0
    for k in "bde":
        assert fit.params[k] == pytest.approx(r[k], rel=1e-5)
    assert fit.se()["e"] == pytest.approx(r["SE_e_drc"], rel=1e-4)


def test_ryegrass_absolute_ed_full_delta_gradient(rye_fit, ref):
    legacy = ref["ryegrass_LL4"]["ED50_absolute_at_y_eq_d_over_2"]
    y0 = rye_fit.params["d"] / 2
    row = effective_dose(rye_fit, y0, type="absolute").iloc[0]
    assert row["estimate"] == pytest.approx(legacy[0], rel=1e-5)
    # full delta method (NOTES 2.2; drc PR #38): ~0.16094 (Hessian), ~0.16032 (J'J)
    assert row["se"] == pytest.approx(0.16094, rel=1e-3)
    row_j = effective_dose(rye_fit, y0, type="absolute", covariance="jtj").iloc[0]
    assert row_j["se"] == pytest.approx(0.16032, rel=1e-3)
    q = stats.t.ppf(0.975, 20)
    assert row["lower"] == pytest.approx(row["estimate"] - q * row["se"], rel=1e-12)
    # the legacy drc 3.0-1 SE is that of the *relative* ED at the equivalent percentage
    # (c and d held constant), so reproducing it checks both definitions at once
    c, d = rye_fit.params["c"], rye_fit.params["d"]
    p = 100 * (d - y0) / (d - c)
    rel = effective_dose(rye_fit, p).iloc[0]
    assert rel["estimate"] == pytest.approx(legacy[0], rel=1e-5)
    assert rel["se"] == pytest.approx(legacy[1], rel=1e-4)
    assert rel["lower"] == pytest.approx(legacy[2], rel=1e-4)


def test_absolute_ed_gradient_matches_numeric(rye_fit):
    """The implicit-function gradient equals a finite-difference gradient of ED(theta)."""
    from blotquant.viability.ed import _ed_and_grad, _target

    y0 = 3.0
    p = dict(rye_fit.params)
    big, _ = _target(rye_fit, p, y0, "absolute")
    ed, grad = _ed_and_grad(rye_fit, p, big, "absolute")
    # closed form, NOTES 2.2: ED = e u^(1/b), u = (d - y0)/(y0 - c)
    b, c, d, e = (p[k] for k in "bcde")
    u = (d - y0) / (y0 - c)
    assert ed == pytest.approx(e * u ** (1 / b), rel=1e-12)
    expected = [-ed * np.log(u) / b**2, ed / (b * (y0 - c)), ed / (b * (d - y0)), ed / e]
    np.testing.assert_allclose(grad, expected, rtol=1e-9)


# ---------------------------------------------------------------------------
# drc oracle: finney71 binomial LL.2


def test_finney71_binomial(shared_dir, ref):
    r = ref["finney71_LL2_binomial"]
    data = pd.read_csv(shared_dir / "reference" / "doseresponse" / "drc_finney71.csv",
                       comment="#")
    fit = fit_quantal(data["dose"], data["affected"], data["total"], model="LL.2")
    assert fit.family == "binomial"
    assert fit.converged, fit.message
    # drc's optim stops ~3e-5 (relative) short of the maximum: our log-likelihood is
    # higher than at drc's printed estimates, so compare at 1e-4
    assert fit.params["b"] == pytest.approx(r["b"], rel=1e-4)
    assert fit.params["e"] == pytest.approx(r["e"], rel=1e-4)
    drc_fit_ll = _binom_loglik(data, r["b"], r["e"])
    assert _binom_loglik(data, fit.params["b"], fit.params["e"]) >= drc_fit_ll
    se = fit.se()
    assert se["b"] == pytest.approx(r["SE_b"], rel=1e-4)
    assert se["e"] == pytest.approx(r["SE_e"], rel=1e-4)
    row = effective_dose(fit, 50).iloc[0]
    lo, hi = r["ED50_CI_normal"]
    assert row["lower"] == pytest.approx(lo, rel=1e-4)
    assert row["upper"] == pytest.approx(hi, rel=1e-4)
    # normal (not t) quantile for quantal data
    assert (row["upper"] - row["estimate"]) / row["se"] == pytest.approx(
        stats.norm.ppf(0.975), rel=1e-9)
    prof = effective_dose(fit, 50, interval="profile").iloc[0]
    assert prof["lower"] < row["estimate"] < prof["upper"]


def _binom_loglik(data, b, e):
    x = data["dose"].to_numpy(float)
    p = np.where(x > 0, 1 / (1 + np.exp(b * (np.log(np.where(x > 0, x, 1)) - np.log(e)))), 0.0)
    r, n = data["affected"].to_numpy(float), data["total"].to_numpy(float)
    from scipy.special import xlogy

    return float(np.sum(xlogy(r, p) + xlogy(n - r, 1 - p)))


# ---------------------------------------------------------------------------
# analytic truths and invariances


@pytest.mark.parametrize(
    ("model", "truth"),
    [
        ("LL.4", {"b": 1.3, "c": 8.0, "d": 102.0, "e": 0.7}),
        ("LL.4", {"b": -2.0, "c": 5.0, "d": 60.0, "e": 30.0}),
        ("LL.5", {"b": 1.5, "c": 3.0, "d": 100.0, "e": 2.0, "f": 0.4}),
        ("W1.4", {"b": 1.1, "c": 2.0, "d": 98.0, "e": 5.0}),
        ("W2.4", {"b": -0.9, "c": 10.0, "d": 90.0, "e": 3.0}),
        ("LL.3", {"b": 2.2, "d": 1.0, "e": 0.05}),
    ],
)
def test_noiseless_data_recover_parameters(model, truth):
    x = np.repeat(np.concatenate([[0.0], 0.01 * 3.0 ** np.arange(9)]), 2)
    full = {"c": 0.0, "f": 1.0, **truth}
    y = evaluate(get_model(model), x, full)
    fit = fit_curve(x, y, model=model)
    for k, v in truth.items():
        assert fit.params[k] == pytest.approx(v, rel=1e-6, abs=1e-8), k
    assert fit.rss == pytest.approx(0, abs=1e-12)


@settings(max_examples=15, deadline=None)
@given(scale=st.sampled_from([1e-6, 1e-3, 0.1, 1e3, 1e6]), seed=st.integers(0, 10_000))
def test_dose_units_scale_e_and_eds_only(scale, seed):
    rng = np.random.default_rng(seed)
    x = np.repeat([0, 0.3, 1, 3, 10, 30, 100], 3).astype(float)
    y = _ll4(x, 1.2, 10, 100, 5) + rng.normal(0, 4, x.size)
    f1 = fit_curve(x, y)
    f2 = fit_curve(x * scale, y)
    assert f1.converged and f2.converged
    for k in "bcd":
        assert f2.params[k] == pytest.approx(f1.params[k], rel=1e-5, abs=1e-6)
    assert f2.params["e"] == pytest.approx(f1.params["e"] * scale, rel=1e-5)
    e1 = effective_dose(f1, [10, 50, 90], interval="tfls")
    e2 = effective_dose(f2, [10, 50, 90], interval="tfls")
    for col in ("estimate", "se", "lower", "upper"):
        np.testing.assert_allclose(e2[col], e1[col] * scale, rtol=1e-4)
    assert f2.se()["b"] == pytest.approx(f1.se()["b"], rel=1e-4)


def test_input_not_mutated_and_arrays_read_only():
    x = np.array([0, 1, 2, 4, 8, 16.0])
    y = np.array([100, 90, 60, 30, 12, 8.0])
    x0, y0 = x.copy(), y.copy()
    fit = fit_curve(x, y)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)
    with pytest.raises(ValueError, match="read-only"):
        fit.dose[0] = 3
    tab = pd.DataFrame({"dose": x, "y": y, "g": "a"})
    copy = tab.copy()
    fit_curves(tab, dose="dose", response="y", curve="g")
    pd.testing.assert_frame_equal(tab, copy)


# ---------------------------------------------------------------------------
# "not reached" semantics and ill-determined fits


def _partial(seed=1):
    rng = np.random.default_rng(seed)
    x = np.repeat([0, 0.1, 0.3, 1, 3, 10, 30], 3).astype(float)
    return x, _ll4(x, 1.2, 60, 100, 1) + rng.normal(0, 2, x.size)


def test_partial_inhibitor_has_relative_but_no_absolute_ic50():
    x, y = _partial()
    fit = fit_curve(x, y)
    assert fit.params["c"] == pytest.approx(60, abs=3)
    rel = effective_dose(fit, 50).iloc[0]
    assert rel["reached"] and rel["estimate"] == pytest.approx(1, rel=0.2)
    ab = effective_dose(fit, 50, type="absolute").iloc[0]
    assert not ab["reached"]
    assert np.isnan(ab["estimate"]) and np.isnan(ab["lower"])
    assert ab["note"].startswith(">max dose")
    above = effective_dose(fit, 150, type="absolute").iloc[0]
    assert not above["reached"] and above["note"].startswith("<min dose")


def test_extrapolated_relative_ed_is_flagged():
    x, y = _partial()
    fit = fit_curve(x, y)
    row = effective_dose(fit, 99.9).iloc[0]
    assert row["estimate"] > 30
    assert not row["reached"]
    assert row["note"].startswith(">max dose")
    low = effective_dose(fit, 0.1).iloc[0]
    assert low["estimate"] < 0.1
    assert not low["reached"] and low["note"].startswith("<min dose")


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_flat_response_gives_no_reached_ed(seed):
    rng = np.random.default_rng(seed)
    x = np.repeat([0, 0.1, 0.3, 1, 3, 10, 30], 3).astype(float)
    y = 100 + rng.normal(0, 3, x.size)
    fit = fit_curve(x, y)
    row = effective_dose(fit, 50).iloc[0]
    assert not row["reached"]
    if fit.converged:
        # an F test against the flat line, computed by hand
        rss0 = np.sum((y - y.mean()) ** 2)
        f = ((rss0 - fit.rss) / 3) / (fit.rss / fit.df)
        assert dose_effect_test(fit)[1] == pytest.approx(stats.f.sf(f, 3, fit.df))
        assert "no significant dose effect" in row["note"]
    else:
        assert np.isnan(row["estimate"]) and "did not converge" in row["note"]


def test_dose_effect_test_detects_a_real_curve(rye_fit):
    assert dose_effect_test(rye_fit)[1] < 1e-10


def test_ill_conditioned_start_still_fits():
    """Midpoint near the edge of the tested range, steep slope: multi-start finds it."""
    x = np.repeat([0.0, 1, 2, 4, 8, 16, 32, 64], 2)
    y = _ll4(x, 6.0, 0.0, 1.0, 45.0) + np.tile([0.01, -0.01], 8)
    fit = fit_curve(x, y)
    assert fit.converged
    assert fit.params["e"] == pytest.approx(45, rel=0.05)


# ---------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize(
    ("dose", "response", "kw", "match"),
    [
        ([0, 1, 2, 3], [1, 0.5, 0.4, 0.1], {"model": "LL.5"}, "4 observation"),
        ([0, 1, 1, 2, 2], [1, 0.5, 0.4, 0.1, 0.1], {}, "3 distinct dose"),
        ([0, 1, 2, 3, 4], [5, 5, 5, 5, 5], {}, "all responses are equal"),
        ([0, -1, 2, 3, 4], [1, 0.5, 0.4, 0.1, 0], {}, "negative dose"),
        ([0, np.nan, 2, 3, 4], [1, 0.5, 0.4, 0.1, 0], {}, "non-finite"),
        ([0, 1, 2, 3, 4], [1, 0.5, 0.4, 0.1, 0], {"model": "LL.9"}, "unknown"),
        ([0, 1, 2, 3, 4], [1, 0.5, 0.4, 0.1, 0], {"fixed": {"g": 1}}, "unknown parameter"),
        ([0, 0, 0], [1, 2, 3], {"model": "LL.2"}, "no positive dose"),
    ],
)
def test_bad_input_names_the_curve(dose, response, kw, match):
    with pytest.raises(InvalidInputError, match=match) as info:
        fit_curve(dose, response, curve="786-O temsirolimus", **kw)
    if "unknown'" not in match and kw.get("model") != "LL.9":
        assert "786-O temsirolimus" in str(info.value)


def test_nan_policy_omit():
    x = [0, 1, 2, 4, 8, 16, np.nan]
    y = [100, 90, 60, 30, 12, 8, 50]
    fit = fit_curve(x, y, nan_policy="omit")
    assert fit.n == 6


def test_lack_of_fit_needs_replicates():
    fit = fit_curve([0, 1, 2, 4, 8, 16], [100, 90, 60, 30, 12, 8])
    with pytest.raises(InvalidInputError, match="no replicate doses"):
        lack_of_fit(fit)
    assert np.isnan(fits_table(fit).iloc[0]["lof_p"])


# ---------------------------------------------------------------------------
# several curves, shared parameters, weights


def test_shared_parameters_joint_fit_recovers_truth():
    x = np.repeat([0, 0.1, 0.3, 1, 3, 10, 30, 100], 2).astype(float)
    tab = pd.concat([
        pd.DataFrame({"dose": x, "line": "786-O", "v": _ll4(x, 1.5, 5, 100, 1.0)}),
        pd.DataFrame({"dose": x, "line": "Caki-1", "v": _ll4(x, 0.8, 5, 100, 8.0)}),
    ], ignore_index=True)
    fits = fit_curves(tab, dose="dose", response="v", curve="line", shared=("c", "d"))
    assert list(fits) == ["786-O", "Caki-1"]
    a, b = fits["786-O"], fits["Caki-1"]
    assert a.params["c"] == b.params["c"] == pytest.approx(5, rel=1e-6)
    assert a.params["d"] == pytest.approx(100, rel=1e-6)
    assert a.params["e"] == pytest.approx(1.0, rel=1e-6)
    assert b.params["b"] == pytest.approx(0.8, rel=1e-6)
    assert a.df == 2 * x.size - 6
    assert a.shared == ("c", "d")
    assert a.se()["c"] == pytest.approx(b.se()["c"])
    ed = effective_dose(fits, 50)
    np.testing.assert_allclose(ed["estimate"], [1.0, 8.0], rtol=1e-6)
    with pytest.raises(InvalidInputError, match="joint"):
        effective_dose(fits, 50, interval="profile")


def test_shared_fit_matches_direct_joint_least_squares():
    rng = np.random.default_rng(7)
    x = np.repeat([0, 0.1, 0.3, 1, 3, 10, 30, 100], 3).astype(float)
    ya = _ll4(x, 1.5, 5, 100, 1.0) + rng.normal(0, 3, x.size)
    yb = _ll4(x, 0.8, 5, 100, 8.0) + rng.normal(0, 3, x.size)
    tab = pd.DataFrame({"dose": np.tile(x, 2), "g": np.repeat(["a", "b"], x.size),
                        "y": np.concatenate([ya, yb])})
    fits = fit_curves(tab, dose="dose", response="y", curve="g", shared=("c", "d"))

    def model(_, b1, e1, b2, e2, c, d):
        return np.concatenate([_ll4(x, b1, c, d, e1), _ll4(x, b2, c, d, e2)])

    popt, pcov = optimize.curve_fit(model, None, tab["y"].to_numpy(),
                                    p0=[1, 1, 1, 5, 0, 100])
    fa, fb = fits["a"], fits["b"]
    got = [fa.params["b"], fa.params["e"], fb.params["b"], fb.params["e"],
           fa.params["c"], fa.params["d"]]
    np.testing.assert_allclose(got, popt, rtol=1e-5)
    # J'J covariance = curve_fit's
    assert fa.se("jtj")["e"] == pytest.approx(np.sqrt(pcov[1, 1]), rel=1e-4)
    assert fb.se("jtj")["c"] == pytest.approx(np.sqrt(pcov[4, 4]), rel=1e-4)


def test_weights_are_precision_weights():
    rng = np.random.default_rng(11)
    x = np.repeat([0, 0.3, 1, 3, 10, 30], 3).astype(float)
    y = _ll4(x, 1.0, 0, 100, 3) + rng.normal(0, 3, x.size)
    w = np.linspace(0.5, 2, x.size)
    fit = fit_curve(x, y, weights=w)
    popt, _ = optimize.curve_fit(lambda t, b, c, d, e: _ll4(t, b, c, d, e), x, y,
                                 p0=[1, 0, 100, 3], sigma=1 / np.sqrt(w))
    # curve_fit stops at ftol 1.5e-8: agree within a tiny fraction of the SEs
    np.testing.assert_allclose([fit.params[k] for k in "bcde"], popt, rtol=1e-4, atol=1e-3)
    assert fit.rss <= np.sum(w * (y - _ll4(x, *popt)) ** 2) + 1e-9
    dup = fit_curve(np.concatenate([x, x]), np.concatenate([y, y]))
    two = fit_curve(x, y, weights=np.full(x.size, 2.0))
    assert two.params["e"] == pytest.approx(dup.params["e"], rel=1e-8)


# ---------------------------------------------------------------------------
# prediction band, model comparison, profile interval


def test_predict_band_at_dose_zero_is_se_of_d(rye_fit):
    band = predict_band(rye_fit, [0.0, 1e6])
    se = rye_fit.se()
    assert band["estimate"].iloc[0] == pytest.approx(rye_fit.params["d"])
    np.testing.assert_allclose(band["estimate"], predict(rye_fit, [0.0, 1e6]))
    assert band["se"].iloc[0] == pytest.approx(se["d"], rel=1e-9)
    assert band["se"].iloc[1] == pytest.approx(se["c"], rel=1e-6)
    q = stats.t.ppf(0.975, rye_fit.df)
    assert band["upper"].iloc[0] == pytest.approx(rye_fit.params["d"] + q * se["d"])


def test_compare_models_f_test(ryegrass, rye_fit):
    ll3 = fit_curve(ryegrass["conc"], ryegrass["rootl"], model="LL.3")
    ll5 = fit_curve(ryegrass["conc"], ryegrass["rootl"], model="LL.5")
    w1 = fit_curve(ryegrass["conc"], ryegrass["rootl"], model="W1.4")
    tab = compare_models([ll3, rye_fit, ll5, w1]).set_index("model")
    f = ((ll3.rss - rye_fit.rss) / 1) / (rye_fit.rss / 20)
    assert tab.loc["LL.3", "versus"] == "LL.4"
    assert tab.loc["LL.3", "f"] == pytest.approx(f)
    assert tab.loc["LL.3", "p"] == pytest.approx(stats.f.sf(f, 1, 20))
    assert tab.loc["LL.4", "versus"] == "LL.5"
    assert np.isnan(tab.loc["W1.4", "f"])
    assert tab["delta_aic"].min() == 0
    assert ll5.rss <= rye_fit.rss + 1e-9


def _profile_ed50_by_brute_force(x, y, level=0.95):
    """Independent profile of e (= ED50 for LL.4) with scipy.curve_fit."""
    popt, _ = optimize.curve_fit(_ll4, x, y, p0=[3, 0.5, 8, 3])
    rss0 = np.sum((y - _ll4(x, *popt)) ** 2)
    df = x.size - 4
    crit = stats.f.ppf(level, 1, df)

    def excess(e):
        p, _ = optimize.curve_fit(lambda t, b, c, d: _ll4(t, b, c, d, e), x, y,
                                  p0=popt[:3], maxfev=20000)
        rss = np.sum((y - _ll4(x, *p, e)) ** 2)
        return (rss - rss0) / (rss0 / df) - crit

    e0 = popt[3]
    return optimize.brentq(excess, e0 * 0.6, e0), optimize.brentq(excess, e0, e0 * 1.6)


def test_profile_interval_matches_independent_profile(ryegrass, rye_fit):
    x = ryegrass["conc"].to_numpy(float)
    y = ryegrass["rootl"].to_numpy(float)
    lo, hi = _profile_ed50_by_brute_force(x, y)
    row = effective_dose(rye_fit, 50, interval="profile").iloc[0]
    assert row["lower"] == pytest.approx(lo, rel=1e-4)
    assert row["upper"] == pytest.approx(hi, rel=1e-4)
    # ED10's profile interval is asymmetric but contains the estimate
    r10 = effective_dose(rye_fit, 10, interval="profile").iloc[0]
    assert r10["lower"] < r10["estimate"] < r10["upper"]
    ab = effective_dose(rye_fit, 4.0, type="absolute", interval="profile").iloc[0]
    assert ab["lower"] < ab["estimate"] < ab["upper"]


# ---------------------------------------------------------------------------
# real data: Yoshizawa HAP1 ploidy curves (absolute IC50 at y = 0.5)


def test_yoshizawa_real_curves_agree_with_recomputed_ic50(shared_dir):
    root = shared_dir / "real_more"
    data = pd.read_csv(root / "yoshizawa_hap1_ploidy_doseresponse_norm_abs.csv")
    ref = pd.read_csv(root / "yoshizawa_hap1_ploidy_ic50_recomputed.csv")
    long = data.melt(id_vars=["experiment", "replicate", "inhibitor", "unit", "concentration"],
                     value_vars=["Haploid", "Diploid", "Tetraploid"], var_name="ploidy",
                     value_name="abs_norm")
    long["ploidy"] = long["ploidy"].str.lower()
    fits = fit_curves(long, dose="concentration", response="abs_norm",
                      curve=["inhibitor", "ploidy", "replicate"])
    assert len(fits) == 48
    ed = effective_dose(fits, 0.5, type="absolute")
    tab = fits_table(fits)
    ref["curve"] = ref["inhibitor"] + " / " + ref["ploidy"] + " / " + ref["replicate"].astype(str)
    m = ref.merge(tab, on="curve", suffixes=("_ref", "")).merge(ed, on="curve")
    assert len(m) == 48
    assert m["converged"].all()
    assert m["reached"].all()
    # their 4PL: y = d + (a - d)/(1 + (x/c)^b), so a = top (our d), c = our e, d = our c
    np.testing.assert_allclose(m["estimate"], m["abs_IC50_y0p5"], rtol=5e-5)
    np.testing.assert_allclose(m["e"], m["c_ref"], rtol=5e-5)
    np.testing.assert_allclose(m["d"], m["a"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(m["rss"], m["deviance"], rtol=1e-4)

