"""Effective doses (ED_p, IC50) with confidence intervals, drc conventions.

``effective_dose(fit, levels, *, type="relative", interval="delta")`` returns a
tidy table. Definitions (drc ``ED(..., type, reference="control")``):

* **relative** ED_p: the dose at which the curve has covered ``p`` % of the way
  from its dose-0 value to its other asymptote (LL.4, ``b > 0``:
  ``ED_p = e (p / (100 - p))^(1/b)``); ``levels`` are percentages in (0, 100);
* **absolute** ED at response level ``y0`` (``levels`` in response units, e.g.
  50 for 50 % of vehicle): ``F(ED) = y0``; it exists only if ``y0`` lies
  strictly between ``c`` and ``d``, otherwise the row says "not reached".

Standard errors use the delta method with the *full* gradient, obtained by
implicit differentiation of ``F(ED; theta) = y0`` (absolute: includes the ``c``
and ``d`` terms that drc <= 3.0-1 dropped) or ``g(ED; theta) = G`` (relative).

Intervals: ``"delta"`` (Wald, ``ED -/+ q se``), ``"tfls"`` (on the log scale,
``exp(log ED -/+ q se/ED)``: never negative; for LL.4's ED50 it equals drc's
LL2.4 ``"fls"`` interval), ``"profile"`` (profile likelihood: the model is
re-parametrised so the ED is a parameter; the bounds are where the extra sum of
squares F statistic, or the likelihood-ratio chi-square for binomial fits,
reaches its quantile) and ``"none"``. ``q`` is the t quantile with the residual
df for continuous data and the normal quantile for binomial fits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, stats
from scipy.special import xlogy

from blotquant.errors import InvalidInputError
from blotquant.viability import models as _models
from blotquant.viability.doseresponse import CurveFit, _as_list, _quantile, dose_effect_test

__all__ = ["ED_COLUMNS", "effective_dose"]

#: Columns of the table :func:`effective_dose` returns.
ED_COLUMNS: tuple[str, ...] = (
    "curve", "level", "type", "estimate", "se", "lower", "upper", "interval", "reached", "note",
)
_INTERVALS = ("delta", "tfls", "profile", "none")


def effective_dose(
    fit: CurveFit | Mapping[str, CurveFit] | Sequence[CurveFit],
    levels: float | Sequence[float],
    *,
    type: Literal["relative", "absolute"] = "relative",
    interval: Literal["delta", "tfls", "profile", "none"] = "delta",
    level: float = 0.95,
    covariance: Literal["hessian", "jtj"] = "hessian",
) -> pd.DataFrame:
    """Effective doses (ED_p / IC_p) of fitted curves with confidence intervals.

    Parameters
    ----------
    fit : CurveFit, mapping or sequence of CurveFit
        One or several fits (e.g. the dict from ``fit_curves``).
    levels : float or sequence of float
        Relative: percentages in (0, 100) (50 = ED50). Absolute: response
        levels in the response's units (50 = 50 % viability on a % scale).
    type : {"relative", "absolute"}
        See the module docstring.
    interval : {"delta", "tfls", "profile", "none"}
        Confidence interval method.
    level : float
        Confidence level.
    covariance : {"hessian", "jtj"}
        Covariance matrix behind ``se`` (drc's Hessian-based one by default).

    Returns
    -------
    DataFrame
        One row per (curve, level). Columns:

        * ``curve``: curve label;
        * ``level``: the requested level (percent or response units);
        * ``type``: ``"relative"`` or ``"absolute"``;
        * ``estimate``: the effective dose in dose units (NaN if not reached or
          the fit failed);
        * ``se``: delta-method standard error;
        * ``lower``, ``upper``: confidence limits (NaN when unavailable, e.g. an
          unbounded profile side);
        * ``interval``: the interval method;
        * ``reached`` (bool): True only when the level is crossed by the fitted
          curve, the estimate lies within the tested positive doses and the curve
          differs from a flat line (``dose_effect_test`` p < 1 - ``level``);
        * ``note``: ``""``, ``">max dose"`` or ``"<min dose"`` (followed by an
          explanation), or why the value is missing.

    Raises
    ------
    InvalidInputError
        For a relative level outside (0, 100), an unknown ``type``/``interval``,
        or a profile interval requested on a joint fit.

    Examples
    --------
    >>> import numpy as np
    >>> from blotquant.viability.doseresponse import fit_curve
    >>> x = np.repeat([0, 0.5, 1, 2, 4, 8, 16], 2)
    >>> y = 100 / (1 + (x / 2) ** 1.5) + np.tile([0.5, -0.5], 7)
    >>> tab = effective_dose(fit_curve(x, y), [50])
    >>> round(float(tab["estimate"].iloc[0]), 3)
    2.0
    """
    if type not in ("relative", "absolute"):
        msg = f"`type` must be 'relative' or 'absolute', got {type!r}"
        raise InvalidInputError(msg)
    if interval not in _INTERVALS:
        msg = f"`interval` must be one of {_INTERVALS}, got {interval!r}"
        raise InvalidInputError(msg)
    lv = [float(v) for v in np.atleast_1d(np.asarray(levels, dtype=float))]
    if type == "relative":
        bad = [v for v in lv if not 0 < v < 100]
        if bad:
            msg = f"relative `levels` must be percentages strictly between 0 and 100, got {bad}"
            raise InvalidInputError(msg)
    rows = []
    for ft in _as_list(fit):
        if interval == "profile" and ft.shared:
            msg = f"curve {ft.curve!r}: profile intervals are not available for joint fits"
            raise InvalidInputError(msg)
        for v in lv:
            rows.append(_one(ft, v, type, interval, level, covariance))
    return pd.DataFrame(rows, columns=list(ED_COLUMNS)).astype({"reached": bool})


def _row(ft: CurveFit, v: float, kind: str, interval: str, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "curve": ft.curve, "level": v, "type": kind, "estimate": np.nan, "se": np.nan,
        "lower": np.nan, "upper": np.nan, "interval": interval, "reached": False, "note": "",
    }
    row.update(kw)
    return row


def _target(ft: CurveFit, p: Mapping[str, float], v: float, kind: str) -> tuple[float | None, str]:
    """Return ``G`` (the fraction g at the ED) or None with the reason."""
    model = ft.spec
    b, c, d = p["b"], p["c"], p["d"]
    if b == 0 or c == d:
        return None, "not reached: the fitted curve is flat"
    g0 = _models.fraction_at_zero(model, b)
    if kind == "relative":
        return (1.0 - v / 100.0) if g0 > 0.5 else v / 100.0, ""
    big = (v - c) / (d - c)
    if 0 < big < 1:
        return big, ""
    r0 = c + (d - c) * g0
    rinf = c + (d - c) * (1.0 - g0)
    if (v - rinf) * (rinf - r0) >= 0:
        return None, (f">max dose: not reached, the curve levels off at {rinf:.4g} "
                      f"before response {v:g}")
    return None, f"<min dose: the curve is already past response {v:g} at dose 0 ({r0:.4g})"


def _ed_and_grad(
    ft: CurveFit, p: Mapping[str, float], big: float, kind: str
) -> tuple[float, npt.NDArray[np.float64]]:
    model = ft.spec
    ed = p["e"] * math.exp(_models.inverse_z(model, big, p["f"]) / p["b"])
    pp = dict(p)
    jac = (_models.jacobian if kind == "absolute" else _models.fraction_jacobian)(
        model, np.array([ed]), pp)
    dx = float(jac["x"][0])
    grad = np.array([-float(jac[n][0]) / dx for n in ft.param_names])
    return ed, grad


def _one(
    ft: CurveFit, v: float, kind: str, interval: str, level: float, covariance: str
) -> dict[str, object]:
    if not ft.converged or not all(np.isfinite(ft.params[n]) for n in ft.param_names):
        return _row(ft, v, kind, interval, note="fit did not converge: " + ft.message)
    p = dict(ft.params)
    big, why = _target(ft, p, v, kind)
    if big is None:
        return _row(ft, v, kind, interval, note=why)
    ed, grad = _ed_and_grad(ft, p, big, kind)
    cov = ft.cov(covariance)  # type: ignore[arg-type]
    var = float(grad @ cov @ grad)
    se = math.sqrt(var) if var >= 0 else np.nan
    q = _quantile(ft, level)
    lower = upper = np.nan
    note = ""
    if interval == "delta":
        lower, upper = ed - q * se, ed + q * se
    elif interval == "tfls":
        half = q * se / ed
        # an unbounded log-scale interval (SE far larger than the estimate) is
        # reported as (0, inf), never as an overflow
        lower = ed * math.exp(-half) if half < 700 else 0.0
        upper = ed * math.exp(half) if half < 700 else math.inf
    elif interval == "profile":
        lower, upper, note = _profile(ft, v, kind, ed, se, level)
    pos = ft.dose[ft.dose > 0]
    reached = True
    flag = ""
    if ed > pos.max() * (1 + 1e-9):
        reached, flag = False, f">max dose: extrapolated beyond the highest dose {pos.max():g}"
    elif ed < pos.min() * (1 - 1e-9):
        reached, flag = False, f"<min dose: extrapolated below the lowest dose {pos.min():g}"
    _, p_flat = dose_effect_test(ft)
    if p_flat > 1 - level:
        reached = False
        why = f"no significant dose effect (curve vs flat line p = {p_flat:.3g})"
        flag = "; ".join(s for s in (flag, why) if s)
    note = "; ".join(s for s in (flag, note) if s)
    return _row(ft, v, kind, interval, estimate=ed, se=se, lower=lower, upper=upper,
                reached=reached, note=note)


# ---------------------------------------------------------------------------
# profile likelihood


def _profile(
    ft: CurveFit, v: float, kind: str, ed: float, se: float, level: float
) -> tuple[float, float, str]:
    """Profile-likelihood interval for the ED (on the log-dose scale)."""
    model = ft.spec
    if "e" not in ft.param_names:
        return np.nan, np.nan, "profile needs e estimated"
    others = [n for n in ft.param_names if n != "e"]
    p_hat = dict(ft.params)
    x, y, w = ft.dose, ft.response, ft.weights
    sign_b = 1.0 if p_hat["b"] > 0 else -1.0
    lo_b, hi_b = [], []
    for n in others:
        lo, hi = -np.inf, np.inf
        if n == "b":
            lo, hi = (1e-8, np.inf) if sign_b > 0 else (-np.inf, -1e-8)
        elif n == "f":
            lo = -np.inf  # optimised on log scale, any value
        elif kind == "absolute" and n in ("c", "d"):
            upper_is_d = p_hat["d"] > p_hat["c"]
            above = (n == "d") == upper_is_d
            lo, hi = (v, np.inf) if above else (-np.inf, v)
        if ft.family == "binomial" and n in ("c", "d"):
            lo, hi = max(lo, 0.0), min(hi, 1.0)
        lo_b.append(lo)
        hi_b.append(hi)

    def natural(phi: npt.NDArray[np.float64], tau: float) -> dict[str, float] | None:
        p = dict(ft.params)
        for n, val in zip(others, phi, strict=True):
            p[n] = math.exp(val) if n == "f" else float(val)
        big, _ = _target(ft, p, v, kind)
        if big is None:
            return None
        p["e"] = math.exp(tau - _models.inverse_z(model, big, p["f"]) / p["b"])
        return p

    def objective(tau: float, phi0: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray]:
        return _minimise(ft, natural, tau, phi0, lo_b, hi_b, x, y, w)

    phi_hat = np.array([math.log(p_hat[n]) if n == "f" else p_hat[n] for n in others])
    tau_hat = math.log(ed)
    s_min, phi_min = objective(tau_hat, phi_hat)
    if not np.isfinite(s_min):
        return np.nan, np.nan, "profile failed at the estimate"
    if ft.family == "binomial":
        crit = float(stats.chi2.ppf(level, 1))

        def stat(s: float) -> float:
            return s - s_min
    else:
        if ft.df <= 0:
            return np.nan, np.nan, "no residual df for a profile interval"
        crit = float(stats.f.ppf(level, 1, ft.df))

        def stat(s: float) -> float:
            return (s - s_min) / (s_min / ft.df) if s_min > 0 else np.inf

    pos = x[x > 0]
    limit = (math.log(pos.min()) - math.log(1e3), math.log(pos.max()) + math.log(1e3))
    step0 = max(se / ed if np.isfinite(se) and se > 0 else 0.1, 0.02)
    bounds, notes = [], []
    for direction in (-1.0, 1.0):
        cache = {tau_hat: phi_min}
        inner, tau, k = tau_hat, tau_hat, 0
        found = None
        while True:
            tau = tau_hat + direction * step0 * 2.0 ** k
            k += 1
            if not limit[0] < tau < limit[1]:
                break
            s, phi = objective(tau, cache[inner])
            if not np.isfinite(s):
                break
            cache[tau] = phi
            if stat(s) >= crit:
                found = tau
                break
            inner = tau
        if found is None:
            bounds.append(np.nan)
            notes.append(f"profile {'lower' if direction < 0 else 'upper'} limit not bounded")
            continue

        def h(t: float, _phi: npt.NDArray[np.float64] = cache[inner]) -> float:
            s2, _ = objective(t, _phi)
            return stat(s2) - crit

        try:
            root = optimize.brentq(h, min(inner, found), max(inner, found), xtol=1e-10)
            bounds.append(math.exp(root))
        except (ValueError, RuntimeError):
            bounds.append(np.nan)
            notes.append("profile root not found")
    return bounds[0], bounds[1], "; ".join(notes)


def _minimise(
    ft: CurveFit,
    natural: Callable[[npt.NDArray[np.float64], float], dict[str, float] | None],
    tau: float,
    phi0: npt.NDArray[np.float64],
    lo: list[float],
    hi: list[float],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    w: npt.NDArray[np.float64],
) -> tuple[float, npt.NDArray[np.float64]]:
    """Minimum RSS (or 2 x negative log-likelihood) with the ED fixed at exp(tau)."""
    model = ft.spec
    lo_a, hi_a = np.array(lo, dtype=float), np.array(hi, dtype=float)
    eps = 1e-9 * (1 + np.abs(phi0))
    phi0 = np.clip(phi0, np.where(np.isfinite(lo_a), lo_a + eps, -np.inf),
                   np.where(np.isfinite(hi_a), hi_a - eps, np.inf))
    big_penalty = 1e6 * (1.0 + float(np.sum(w * (y - np.average(y, weights=w)) ** 2)))
    if len(phi0) == 0:
        p = natural(phi0, tau)
        if p is None:
            return np.inf, phi0
        return _objective_value(ft, model, p, x, y, w), phi0
    if ft.family == "binomial":
        def fun(phi: npt.NDArray[np.float64]) -> float:
            p = natural(phi, tau)
            return big_penalty if p is None else _objective_value(ft, model, p, x, y, w)

        with np.errstate(all="ignore"):
            res = optimize.minimize(fun, phi0, method="L-BFGS-B",
                                    bounds=list(zip(lo_a, hi_a, strict=True)),
                                    options={"ftol": 1e-14, "gtol": 1e-10})
        return float(res.fun), np.asarray(res.x)

    sw = np.sqrt(w)

    def resid(phi: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        p = natural(phi, tau)
        if p is None:
            return np.full(x.size, math.sqrt(big_penalty / x.size))
        return sw * (_models.evaluate(model, x, p) - y)

    with np.errstate(all="ignore"):
        try:
            res = optimize.least_squares(resid, phi0, bounds=(lo_a, hi_a), method="trf",
                                         x_scale="jac", ftol=1e-13, xtol=1e-13, gtol=1e-13,
                                         max_nfev=500)
        except ValueError:
            return np.inf, phi0
    return 2.0 * float(res.cost), np.asarray(res.x)


def _objective_value(
    ft: CurveFit, model: _models.Model, p: dict[str, float],
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], w: npt.NDArray[np.float64],
) -> float:
    f = _models.evaluate(model, x, p)
    if ft.family == "binomial":
        prob = np.clip(f, 1e-300, 1 - 1e-16)
        return -2.0 * float(np.sum(xlogy(y, prob) + xlogy(w - y, 1 - prob)))
    return float(np.sum(w * (y - f) ** 2))
