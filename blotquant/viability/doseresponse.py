"""Dose-response curve fitting with drc's models and conventions.

Public API (stable; other stages call it)::

    fit = fit_curve(dose, response, *, model="LL.4", fixed=None, bounds=None,
                    weights=None, curve="curve", nan_policy="raise") -> CurveFit
    fits = fit_curves(table, *, dose, response, curve=None, model="LL.4",
                      fixed=None, shared=(), weights=None) -> dict[str, CurveFit]
    fit = fit_quantal(dose, affected, total, *, model="LL.2", ...) -> CurveFit
    predict(fit, dose) -> ndarray
    predict_band(fit, dose, *, level=0.95) -> DataFrame (dose, estimate, se, lower, upper)
    fits_table(fits) -> DataFrame (one row per curve)
    lack_of_fit(fit) -> LackOfFit;  compare_models(fits) -> DataFrame
    dose_effect_test(fit) -> (statistic, p)   # curve vs flat line
    blotquant.viability.ed.effective_dose(fit, levels, *, type=..., interval=...) -> DataFrame

Models (:mod:`blotquant.viability.models`): LL.2, LL.3, LL.3u, LL.4, LL.5, W1.3,
W1.4, W2.3, W2.4 with drc's parameters ``b, c, d, e, f``. For LL.4 with ``b > 0``
the curve falls from ``d`` (dose 0) to ``c``; ``e`` is the relative ED50.
Conversions: Prism ``Top = d``, ``Bottom = c``, ``LogIC50 = log10(e)``,
``HillSlope = -b``.

Conventions (match drc, see the references in the README):

* least squares; ``weights`` are precision weights (R ``lm`` style): the fit
  minimises ``sum(w * (y - F)^2)``. drc's ``weights`` are SD-like; pass
  ``1 / drc_weights**2``;
* two covariance matrices: ``covariance`` is drc's ``vcov`` (inverse of
  Hessian(RSS) / (2 sigma^2)), ``covariance_jtj`` is ``sigma^2 (J'WJ)^-1`` (R ``nls``,
  ``scipy.optimize.curve_fit``);
* ``logLik = -n/2 (log(2 pi) + log(RSS/n) + 1) + sum(log w)/2``;
  ``AIC = -2 logLik + 2 (p + 1)`` (sigma counts as a parameter);
* quantal (r of n) fits are binomial maximum likelihood; covariance = inverse of
  the observed information (drc), ``covariance_jtj`` = inverse expected information.

A fit never raises for non-convergence: it returns ``converged=False`` and says
why in ``message``. Bad input raises :class:`~blotquant.errors.InvalidInputError`
naming the curve.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, stats
from scipy.special import gammaln, xlogy

from blotquant.errors import InvalidInputError
from blotquant.viability import models as _models
from blotquant.viability.models import ALL_PARAMETERS, Model, get_model

__all__ = [
    "CurveFit",
    "LackOfFit",
    "compare_models",
    "dose_effect_test",
    "fit_curve",
    "fit_curves",
    "fit_quantal",
    "fits_table",
    "lack_of_fit",
    "predict",
    "predict_band",
]

FloatArray = npt.NDArray[np.float64]
_LOG_PARAMS = ("e", "f")  # optimised on the log scale


def _frozen(a: npt.ArrayLike) -> FloatArray:
    arr = np.array(a, dtype=float)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class CurveFit:
    """Result of one dose-response fit.

    Attributes
    ----------
    curve : str
        Label of the curve (used in tables and messages).
    model : str
        drc model name, e.g. ``"LL.4"``.
    family : {"gaussian", "binomial"}
        Least squares (continuous response) or binomial likelihood (quantal).
    params : mapping of str to float
        All five drc parameters ``b, c, d, e, f``, fixed ones at their fixed value
        (NaN when the fit failed).
    param_names : tuple of str
        The estimated parameters, in the order of the covariance matrices.
    fixed : mapping of str to float
        Parameters held fixed (by the model or by the user).
    covariance : (p, p) ndarray
        drc covariance (Hessian-based); NaN when unavailable.
    covariance_jtj : (p, p) ndarray
        Gauss-Newton covariance ``sigma^2 (J'WJ)^-1`` (expected information for
        binomial fits).
    rss : float
        Weighted residual sum of squares (NaN for binomial fits).
    df : int
        Residual degrees of freedom ``n - p`` (for joint fits: of the joint fit).
    rse : float
        Residual standard error ``sqrt(rss / df)``.
    loglik : float
        Log-likelihood as drc computes it.
    aic : float
        ``-2 loglik + 2 k`` with ``k = p + 1`` (gaussian) or ``p`` (binomial).
    n : int
        Number of observations used (rows; dose groups for binomial fits).
    converged : bool
        False when the optimiser stopped early or the parameters are not
        identifiable (singular covariance).
    message : str
        Why the fit did not converge, or notes (empty when all is well).
    dose, response, weights : ndarray
        The data used (after ``nan_policy``); ``response`` is the count affected
        and ``weights`` the totals for binomial fits.
    shared : tuple of str
        Parameters shared with other curves (joint fit), else empty.
    """

    curve: str
    model: str
    family: str
    params: Mapping[str, float]
    param_names: tuple[str, ...]
    fixed: Mapping[str, float]
    covariance: FloatArray
    covariance_jtj: FloatArray
    rss: float
    df: int
    rse: float
    loglik: float
    aic: float
    n: int
    converged: bool
    message: str
    dose: FloatArray = field(repr=False)
    response: FloatArray = field(repr=False)
    weights: FloatArray = field(repr=False)
    shared: tuple[str, ...] = ()

    @property
    def spec(self) -> Model:
        """The :class:`~blotquant.viability.models.Model` fitted."""
        return get_model(self.model)

    def cov(self, kind: Literal["hessian", "jtj"] = "hessian") -> FloatArray:
        """Covariance matrix of ``param_names``: drc (``"hessian"``) or ``"jtj"``."""
        if kind == "hessian":
            return self.covariance
        if kind == "jtj":
            return self.covariance_jtj
        msg = f"`covariance` must be 'hessian' or 'jtj', got {kind!r}"
        raise InvalidInputError(msg)

    def se(self, kind: Literal["hessian", "jtj"] = "hessian") -> dict[str, float]:
        """Standard errors of the estimated parameters by name."""
        v = self.cov(kind)
        diag = np.diag(v)
        out = np.sqrt(np.where(diag >= 0, diag, np.nan))
        return dict(zip(self.param_names, (float(s) for s in out), strict=True))


@dataclass(frozen=True)
class LackOfFit:
    """Lack-of-fit test of a fit against dose-as-factor (one-way ANOVA).

    Attributes
    ----------
    curve : str
        Curve label.
    test : {"F", "chisq"}
        Extra-sum-of-squares F (gaussian) or Pearson chi-square (binomial).
    rss_model, df_model : float, int
        Residual SS and df of the dose-response model (Pearson X^2 for binomial).
    rss_anova, df_anova : float, int
        Residual SS and df of the ANOVA (NaN / 0 for binomial).
    statistic : float
        F or X^2.
    p : float
        p-value; small p means the curve does not describe the dose means.
    """

    curve: str
    test: str
    rss_model: float
    df_model: int
    rss_anova: float
    df_anova: int
    statistic: float
    p: float


# ---------------------------------------------------------------------------
# input checks


def _as_float(values: npt.ArrayLike, *, what: str, curve: str) -> FloatArray:
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        msg = f"curve {curve!r}: `{what}` must be numeric ({exc})"
        raise InvalidInputError(msg) from None
    return arr


def _prepare(
    dose: npt.ArrayLike,
    response: npt.ArrayLike,
    weights: npt.ArrayLike | None,
    *,
    curve: str,
    nan_policy: str,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    x = _as_float(dose, what="dose", curve=curve)
    y = _as_float(response, what="response", curve=curve)
    if x.shape != y.shape:
        msg = f"curve {curve!r}: `dose` has {x.size} values but `response` has {y.size}"
        raise InvalidInputError(msg)
    w = np.ones_like(x) if weights is None else _as_float(weights, what="weights", curve=curve)
    if w.shape != x.shape:
        msg = f"curve {curve!r}: `weights` has {w.size} values, expected {x.size}"
        raise InvalidInputError(msg)
    bad = ~(np.isfinite(x) & np.isfinite(y) & np.isfinite(w))
    if bad.any():
        if nan_policy != "omit":
            rows = np.flatnonzero(bad)[:10].tolist()
            msg = (
                f"curve {curve!r}: {int(bad.sum())} non-finite dose/response/weight value(s) "
                f"at position(s) {rows}; remove them or pass nan_policy='omit'"
            )
            raise InvalidInputError(msg)
        x, y, w = x[~bad], y[~bad], w[~bad]
    if (x < 0).any():
        msg = f"curve {curve!r}: negative dose(s) {x[x < 0][:5].tolist()}; doses must be >= 0"
        raise InvalidInputError(msg)
    if (w <= 0).any():
        msg = f"curve {curve!r}: `weights` must be > 0, got {w[w <= 0][:5].tolist()}"
        raise InvalidInputError(msg)
    if not (x > 0).any():
        msg = f"curve {curve!r}: no positive dose; a dose-response fit needs doses > 0"
        raise InvalidInputError(msg)
    return x, y, w


def _resolve_fixed(
    model: Model, fixed: Mapping[str, float] | None, curve: str
) -> dict[str, float]:
    out = dict(model.fixed)
    for k, v in (fixed or {}).items():
        if k not in ALL_PARAMETERS:
            msg = f"curve {curve!r}: `fixed` has unknown parameter {k!r}; use {ALL_PARAMETERS}"
            raise InvalidInputError(msg)
        if k == "f" and model.family != "LL":
            msg = f"curve {curve!r}: `fixed` f is not a parameter of {model.name}"
            raise InvalidInputError(msg)
        if not np.isfinite(v) or (k == "e" and v <= 0) or (k == "f" and v <= 0):
            msg = f"curve {curve!r}: `fixed` {k}={v!r} is invalid (e, f must be > 0)"
            raise InvalidInputError(msg)
        out[k] = float(v)
    return out


def _check_identifiable(
    x: FloatArray, y: FloatArray, n_free: int, model: Model, curve: str
) -> None:
    if x.size < n_free:
        msg = (
            f"curve {curve!r}: {x.size} observation(s) for {n_free} parameter(s) of "
            f"{model.name}; fix parameters or use a smaller model"
        )
        raise InvalidInputError(msg)
    n_doses = np.unique(x).size
    if n_doses < n_free:
        msg = (
            f"curve {curve!r}: {n_doses} distinct dose(s) cannot determine {n_free} "
            f"parameters of {model.name}"
        )
        raise InvalidInputError(msg)
    if np.ptp(y) == 0:
        msg = f"curve {curve!r}: all responses are equal ({y[0]!r}); there is no curve to fit"
        raise InvalidInputError(msg)


# ---------------------------------------------------------------------------
# parameter vector handling (several curves, some parameters shared)


@dataclass(frozen=True)
class _Layout:
    model: Model
    fixed: dict[str, float]
    free: tuple[str, ...]
    shared: tuple[str, ...]
    n_curves: int

    @property
    def slots(self) -> list[tuple[str, int | None]]:
        out: list[tuple[str, int | None]] = []
        for name in self.free:
            if name in self.shared:
                out.append((name, None))
        for k in range(self.n_curves):
            for name in self.free:
                if name not in self.shared:
                    out.append((name, k))
        return out

    def natural(self, theta: FloatArray) -> list[dict[str, float]]:
        per = [dict(self.fixed) for _ in range(self.n_curves)]
        for value, (name, k) in zip(theta, self.slots, strict=True):
            v = math.exp(min(max(value, -700.0), 700.0)) if name in _LOG_PARAMS else float(value)
            for j in range(self.n_curves) if k is None else (k,):
                per[j][name] = v
        return per

    def internal(self, per: list[dict[str, float]]) -> FloatArray:
        out = []
        for name, k in self.slots:
            v = float(np.mean([p[name] for p in per])) if k is None else per[k][name]
            if name in _LOG_PARAMS:
                v = math.log(v)
            out.append(v)
        return np.array(out)

    def curve_slots(self, k: int) -> list[int]:
        """Indices of the slots curve ``k`` uses, in ``free`` order."""
        idx = []
        slots = self.slots
        for name in self.free:
            for i, (n2, k2) in enumerate(slots):
                if n2 == name and (k2 is None or k2 == k):
                    idx.append(i)
                    break
        return idx


def _int_bounds(
    layout: _Layout, bounds: Mapping[str, tuple[float, float]] | None, curve: str
) -> tuple[FloatArray, FloatArray] | None:
    if not bounds:
        return None
    for k in bounds:
        if k not in layout.free:
            msg = f"curve {curve!r}: `bounds` for {k!r}, which is not estimated ({layout.free})"
            raise InvalidInputError(msg)
    lo, hi = [], []
    for name, _ in layout.slots:
        a, b = bounds.get(name, (-np.inf, np.inf))
        if not a < b:
            msg = f"curve {curve!r}: `bounds` {name}=({a}, {b}) is empty"
            raise InvalidInputError(msg)
        if name in _LOG_PARAMS:
            a = math.log(a) if a > 0 else -np.inf
            b = math.log(b) if b > 0 else -np.inf
            if b == -np.inf:
                msg = f"curve {curve!r}: `bounds` upper bound of {name} must be > 0"
                raise InvalidInputError(msg)
        lo.append(a)
        hi.append(b)
    return np.array(lo), np.array(hi)


# ---------------------------------------------------------------------------
# least squares engine


def _residuals(
    theta: FloatArray, layout: _Layout, data: list[tuple[FloatArray, FloatArray, FloatArray]]
) -> FloatArray:
    per = layout.natural(theta)
    return np.concatenate(
        [np.sqrt(w) * (_models.evaluate(layout.model, x, p) - y)
         for (x, y, w), p in zip(data, per, strict=True)]
    )


def _natural_jac(model: Model, x: FloatArray, p: dict[str, float], names: Sequence[str]) -> FloatArray:
    jac = _models.jacobian(model, x, p)
    return np.column_stack([jac[n] for n in names]) if names else np.zeros((x.size, 0))


def _jac_internal(
    theta: FloatArray, layout: _Layout, data: list[tuple[FloatArray, FloatArray, FloatArray]]
) -> FloatArray:
    per = layout.natural(theta)
    slots = layout.slots
    n_tot = sum(d[0].size for d in data)
    out = np.zeros((n_tot, len(slots)))
    row = 0
    for k, ((x, _, w), p) in enumerate(zip(data, per, strict=True)):
        jac = _models.jacobian(layout.model, x, p)
        sw = np.sqrt(w)
        for i, (name, kk) in enumerate(slots):
            if kk is None or kk == k:
                col = jac[name] * (p[name] if name in _LOG_PARAMS else 1.0)
                out[row : row + x.size, i] = sw * col
        row += x.size
    return out


def _grid_starts(
    model: Model, x: FloatArray, y: FloatArray, w: FloatArray,
    fixed: dict[str, float], free: tuple[str, ...], n_best: int = 4,
) -> list[dict[str, float]]:
    """Best starting points from a grid over (b, log e, f), c and d solved linearly."""
    pos = x[x > 0]
    lo, hi = np.log(pos.min()), np.log(pos.max())
    span = max(hi - lo, 1.0)
    e_grid = [fixed["e"]] if "e" not in free else np.exp(np.linspace(lo - 0.25 * span, hi + 0.25 * span, 15))
    scale = 4.0 / span  # slope that spans the tested range, scale-free
    mags = scale * np.array([0.25, 0.5, 1.0, 2.0, 4.0, 8.0])
    b_grid = [fixed["b"]] if "b" not in free else np.concatenate([mags, -mags])
    f_grid = [fixed["f"]] if "f" not in free else [0.3, 1.0, 3.0]
    cands: list[tuple[float, dict[str, float]]] = []
    for b in b_grid:
        for e in e_grid:
            for f in f_grid:
                p = {**fixed, "b": float(b), "e": float(e), "f": float(f), "c": 0.0, "d": 1.0}
                g = _models.fraction(model, x, p)
                cd = _solve_cd(g, y, w, fixed, free)
                if cd is None:
                    continue
                p["c"], p["d"] = cd
                if "c" in free and "d" in free and p["c"] > p["d"]:
                    continue  # drc convention: c is the lower, d the upper limit
                r = y - (p["c"] + (p["d"] - p["c"]) * g)
                cands.append((float(np.sum(w * r * r)), p))
    cands.sort(key=lambda t: t[0])
    return [p for _, p in cands[:n_best]]


def _solve_cd(
    g: FloatArray, y: FloatArray, w: FloatArray, fixed: dict[str, float], free: tuple[str, ...]
) -> tuple[float, float] | None:
    u = 1.0 - g
    if "c" in free and "d" in free:
        a, b2, c2 = np.sum(w * u * u), np.sum(w * u * g), np.sum(w * g * g)
        det = a * c2 - b2 * b2
        if det <= 1e-12 * max(a * c2, 1e-300):
            return None
        r1, r2 = np.sum(w * u * y), np.sum(w * g * y)
        return float((c2 * r1 - b2 * r2) / det), float((a * r2 - b2 * r1) / det)
    if "c" in free:
        den = np.sum(w * u * u)
        if den <= 0:
            return None
        return float(np.sum(w * u * (y - fixed["d"] * g)) / den), fixed["d"]
    if "d" in free:
        den = np.sum(w * g * g)
        if den <= 0:
            return None
        return fixed["c"], float(np.sum(w * g * (y - fixed["c"] * u)) / den)
    return fixed["c"], fixed["d"]


def _least_squares(
    layout: _Layout, data: list[tuple[FloatArray, FloatArray, FloatArray]],
    starts: list[FloatArray], ibounds: tuple[FloatArray, FloatArray] | None,
) -> tuple[optimize.OptimizeResult | None, str]:
    best, note = None, ""
    bnds = ibounds if ibounds is not None else (-np.inf, np.inf)
    for x0 in starts:
        if ibounds is not None:
            x0 = np.clip(x0, ibounds[0] + 1e-9 * (1 + abs(ibounds[0])),
                         ibounds[1] - 1e-9 * (1 + abs(ibounds[1])))
            x0 = np.where(np.isfinite(x0), x0, 0.0)
        with np.errstate(all="ignore"):
            try:
                res = optimize.least_squares(
                    _residuals, x0, jac=_jac_internal, bounds=bnds, method="trf",
                    x_scale="jac", ftol=1e-14, xtol=1e-14, gtol=1e-14, max_nfev=2000,
                    args=(layout, data),
                )
            except (ValueError, np.linalg.LinAlgError) as exc:
                note = str(exc)
                continue
        if not np.isfinite(res.cost):
            continue
        if best is None or res.cost < best.cost * (1 - 1e-12):
            best = res
    return best, note


def _rss_hessian(
    model: Model, x: FloatArray, y: FloatArray, w: FloatArray, p: dict[str, float],
    names: Sequence[str],
) -> FloatArray:
    """Exact Hessian of RSS in natural parameters (second derivatives by differences)."""
    jac = _natural_jac(model, x, p, names)
    r = y - _models.evaluate(model, x, p)
    k = len(names)
    second = np.zeros((k, k))
    for j, name in enumerate(names):
        h = _step(name, p[name], float(np.ptp(y)))
        up = _natural_jac(model, x, {**p, name: p[name] + h}, names)
        dn = _natural_jac(model, x, {**p, name: p[name] - h}, names)
        d2 = (up - dn) / (2 * h)  # column i: d2F / d(name) d(names[i])
        second[j, :] = np.sum((w * r)[:, None] * d2, axis=0)
    second = 0.5 * (second + second.T)
    return 2.0 * (jac.T @ (w[:, None] * jac) - second)


def _step(name: str, value: float, yscale: float) -> float:
    """Finite-difference step that is invariant to the units of dose and response."""
    if name in _LOG_PARAMS:
        return 1e-5 * value
    if name == "b":
        return 1e-5 * max(abs(value), 0.1)
    return 1e-5 * max(abs(value), yscale, 1e-300)


def _safe_inverse(mat: FloatArray) -> FloatArray | None:
    """Inverse of a symmetric positive-definite matrix, None if (nearly) singular."""
    if mat.size == 0:
        return mat.copy()
    if not np.all(np.isfinite(mat)):
        return None
    diag = np.diag(mat)
    if np.any(diag <= 0):
        return None
    scale = 1.0 / np.sqrt(diag)
    corr = mat * np.outer(scale, scale)  # unit-free: condition does not depend on units
    try:
        np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        return None
    if np.linalg.cond(corr) > 1e12:
        return None
    return np.linalg.inv(corr) * np.outer(scale, scale)


def _fit_gaussian(
    data: list[tuple[FloatArray, FloatArray, FloatArray]], *, model: Model,
    fixed: dict[str, float], shared: tuple[str, ...], bounds: Mapping | None,
    labels: list[str],
) -> list[CurveFit]:
    free = tuple(p for p in ALL_PARAMETERS if p not in fixed)
    for (x, y, _), lab in zip(data, labels, strict=True):
        n_own = len(free) - (len(shared) if len(data) > 1 else 0)
        _check_identifiable(x, y, max(n_own, 1), model, lab)
    layout = _Layout(model, fixed, free, shared if len(data) > 1 else (), len(data))
    ibounds = _int_bounds(layout, bounds, labels[0] if len(labels) == 1 else "joint")
    # starts: per-curve grid, then combined
    per_starts = [_grid_starts(model, x, y, w, fixed, free) for x, y, w in data]
    if len(data) == 1:
        starts = [layout.internal([p]) for p in per_starts[0]]
    else:
        single = _Layout(model, fixed, free, (), 1)
        sep = []
        for (x, y, w), st in zip(data, per_starts, strict=True):
            r, _ = _least_squares(single, [(x, y, w)], [single.internal([p]) for p in st], None)
            sep.append(single.natural(r.x)[0] if r is not None else st[0])
        starts = [layout.internal(sep)]
        for j in range(len(per_starts[0])):
            starts.append(layout.internal([st[min(j, len(st) - 1)] for st in per_starts]))
    res, note = _least_squares(layout, data, starts, ibounds)
    n_tot = sum(d[0].size for d in data)
    n_par = len(layout.slots)
    df = n_tot - n_par
    if res is None:
        return [_failed(lab, model, fixed, free, data[k], df, "optimiser failed: " + note,
                        shared) for k, lab in enumerate(labels)]
    converged = bool(res.status > 0)
    messages = [] if converged else [f"optimiser stopped: {res.message}"]
    per = layout.natural(res.x)
    rss = 2.0 * float(res.cost)
    sumlogw = float(sum(np.sum(np.log(w)) for _, _, w in data))
    loglik = -0.5 * n_tot * (math.log(2 * math.pi) + math.log(max(rss, 1e-300) / n_tot) + 1)
    loglik += 0.5 * sumlogw
    aic = -2 * loglik + 2 * (n_par + 1)
    sigma2 = rss / df if df > 0 else np.nan
    if df <= 0:
        messages.append("no residual degrees of freedom (n = number of parameters)")
    # joint Hessian and J'J in natural parameters
    jj = np.zeros((n_par, n_par))
    hh = np.zeros((n_par, n_par))
    for k, ((x, y, w), p) in enumerate(zip(data, per, strict=True)):
        idx = layout.curve_slots(k)
        jac = _natural_jac(model, x, p, free)
        jj[np.ix_(idx, idx)] += jac.T @ (w[:, None] * jac)
        hh[np.ix_(idx, idx)] += _rss_hessian(model, x, y, w, p, free)
    inv_h = _safe_inverse(hh / 2.0)
    inv_j = _safe_inverse(jj)
    nan_cov = np.full((n_par, n_par), np.nan)
    cov_h = inv_h * sigma2 if inv_h is not None else nan_cov
    cov_j = inv_j * sigma2 if inv_j is not None else nan_cov
    if inv_j is None or inv_h is None:
        converged = False
        messages.append(
            "covariance singular: parameters not identifiable from these data "
            "(e.g. a plateau or the midpoint outside the tested doses)"
        )
    if ibounds is not None:
        at = [layout.slots[i][0] for i in range(n_par)
              if np.isclose(res.x[i], ibounds[0][i]) or np.isclose(res.x[i], ibounds[1][i])]
        if at:
            messages.append(f"parameter(s) {sorted(set(at))} at a bound")
    rse = math.sqrt(sigma2) if df > 0 else np.nan
    out = []
    for k, ((x, y, w), p) in enumerate(zip(data, per, strict=True)):
        idx = layout.curve_slots(k)
        out.append(CurveFit(
            curve=labels[k], model=model.name, family="gaussian",
            params=MappingProxyType({n: float(p[n]) for n in ALL_PARAMETERS}),
            param_names=free, fixed=MappingProxyType(dict(fixed)),
            covariance=_frozen(cov_h[np.ix_(idx, idx)]),
            covariance_jtj=_frozen(cov_j[np.ix_(idx, idx)]),
            rss=rss, df=int(df), rse=rse, loglik=loglik, aic=aic, n=int(n_tot),
            converged=converged, message="; ".join(messages),
            dose=_frozen(x), response=_frozen(y), weights=_frozen(w),
            shared=layout.shared,
        ))
    return out


def _failed(
    label: str, model: Model, fixed: dict[str, float], free: tuple[str, ...],
    data: tuple[FloatArray, FloatArray, FloatArray], df: int, message: str,
    shared: tuple[str, ...] = (), family: str = "gaussian",
) -> CurveFit:
    k = len(free)
    params = {n: fixed.get(n, np.nan) for n in ALL_PARAMETERS}
    x, y, w = data
    return CurveFit(
        curve=label, model=model.name, family=family, params=MappingProxyType(params),
        param_names=free, fixed=MappingProxyType(dict(fixed)),
        covariance=_frozen(np.full((k, k), np.nan)),
        covariance_jtj=_frozen(np.full((k, k), np.nan)), rss=np.nan, df=int(df),
        rse=np.nan, loglik=np.nan, aic=np.nan, n=int(x.size), converged=False,
        message=message, dose=_frozen(x), response=_frozen(y), weights=_frozen(w),
        shared=shared,
    )


# ---------------------------------------------------------------------------
# public fitting functions


def fit_curve(
    dose: npt.ArrayLike,
    response: npt.ArrayLike,
    *,
    model: str = "LL.4",
    fixed: Mapping[str, float] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    weights: npt.ArrayLike | None = None,
    curve: str = "curve",
    nan_policy: Literal["raise", "omit"] = "raise",
) -> CurveFit:
    """Fit one dose-response curve by (weighted) least squares, drc-style.

    Starting values come from the data: a grid over the slope ``b`` and ``log e``
    (and ``f``) with ``c`` and ``d`` solved linearly at every grid point; the best
    grid points are refined by trust-region least squares and the lowest RSS wins.
    Results do not depend on the dose unit (``e`` scales with the doses).

    Parameters
    ----------
    dose : (n,) array_like
        Doses, ``>= 0`` (0 = vehicle control; legal for every model).
    response : (n,) array_like
        Responses (e.g. % viability); never clip them before fitting.
    model : str
        ``"LL.2"``, ``"LL.3"``, ``"LL.3u"``, ``"LL.4"``, ``"LL.5"``, ``"W1.3"``,
        ``"W1.4"``, ``"W2.3"`` or ``"W2.4"`` (drc names).
    fixed : mapping, optional
        Parameters to hold fixed, e.g. ``{"c": 0}`` or ``{"d": 100}``.
    bounds : mapping, optional
        ``{name: (lower, upper)}`` for estimated parameters.
    weights : (n,) array_like, optional
        Precision weights (``1 / variance``); default all 1.
    curve : str
        Label used in tables and error messages.
    nan_policy : {"raise", "omit"}
        What to do with non-finite doses or responses.

    Returns
    -------
    CurveFit
        Estimates, both covariance matrices and goodness of fit.

    Raises
    ------
    InvalidInputError
        Negative or non-finite doses, fewer observations or distinct doses than
        parameters, constant response, unknown model or parameter names.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.repeat([0, 0.5, 1, 2, 4, 8, 16], 2)
    >>> y = 5 + 95 / (1 + (x / 2.0) ** 1.5)
    >>> fit = fit_curve(x, y, model="LL.4")
    >>> round(fit.params["e"], 6), round(fit.params["b"], 6)
    (2.0, 1.5)
    """
    spec = get_model(model)
    x, y, w = _prepare(dose, response, weights, curve=curve, nan_policy=nan_policy)
    fx = _resolve_fixed(spec, fixed, curve)
    return _fit_gaussian([(x, y, w)], model=spec, fixed=fx, shared=(), bounds=bounds,
                         labels=[curve])[0]


def fit_curves(
    table: pd.DataFrame,
    *,
    dose: str,
    response: str,
    curve: str | Sequence[str] | None = None,
    model: str = "LL.4",
    fixed: Mapping[str, float] | None = None,
    shared: Sequence[str] = (),
    bounds: Mapping[str, tuple[float, float]] | None = None,
    weights: str | None = None,
    nan_policy: Literal["raise", "omit"] = "raise",
) -> dict[str, CurveFit]:
    """Fit one curve per group of ``table``, optionally sharing parameters.

    Without ``shared`` every curve is fitted on its own (own residual variance;
    drc's ``curveid`` would pool the variance instead). With ``shared`` (e.g.
    ``("c", "d")``) one joint least-squares fit estimates a single value of those
    parameters for all curves; every returned fit then carries the joint
    ``rss``/``df``/``rse``/``loglik``/``aic`` and the block of the joint
    covariance that concerns its own parameters.

    Parameters
    ----------
    table : DataFrame
        Long table, one row per observation.
    dose, response : str
        Column names.
    curve : str or sequence of str, optional
        Column(s) identifying the curves; labels join several with ``" / "``.
        None fits a single curve labelled ``"all"``.
    model, fixed, bounds, nan_policy
        As in :func:`fit_curve` (the same for every curve).
    shared : sequence of str
        Estimated parameters common to all curves.
    weights : str, optional
        Column of precision weights.

    Returns
    -------
    dict of str to CurveFit
        In order of first appearance of each curve in ``table``.

    Raises
    ------
    InvalidInputError
        Missing columns, or any problem :func:`fit_curve` raises for.
    """
    from blotquant._schema import check_columns

    cols = [] if curve is None else [curve] if isinstance(curve, str) else list(curve)
    need = [dose, response, *cols] + ([weights] if weights else [])
    check_columns(table, need, name="dose-response table")
    spec = get_model(model)
    fx = _resolve_fixed(spec, fixed, "all curves")
    free = tuple(p for p in ALL_PARAMETERS if p not in fx)
    bad = [s for s in shared if s not in free]
    if bad:
        msg = f"`shared` parameter(s) {bad} are not estimated by {spec.name} (estimated: {free})"
        raise InvalidInputError(msg)
    if cols:
        keys = table[cols].astype(str).agg(" / ".join, axis=1)
    else:
        keys = pd.Series(["all"] * len(table), index=table.index)
    labels = list(dict.fromkeys(keys.tolist()))
    data = []
    for lab in labels:
        sub = table.loc[keys == lab]
        data.append(_prepare(
            pd.to_numeric(sub[dose], errors="coerce").to_numpy(dtype=float),
            pd.to_numeric(sub[response], errors="coerce").to_numpy(dtype=float),
            None if not weights else pd.to_numeric(sub[weights], errors="coerce").to_numpy(
                dtype=float),
            curve=lab, nan_policy=nan_policy,
        ))
    if shared and len(labels) > 1:
        fits = _fit_gaussian(data, model=spec, fixed=fx, shared=tuple(shared), bounds=bounds,
                             labels=labels)
        return dict(zip(labels, fits, strict=True))
    return {
        lab: _fit_gaussian([d], model=spec, fixed=fx, shared=(), bounds=bounds, labels=[lab])[0]
        for lab, d in zip(labels, data, strict=True)
    }


def fit_quantal(
    dose: npt.ArrayLike,
    affected: npt.ArrayLike,
    total: npt.ArrayLike,
    *,
    model: str = "LL.2",
    fixed: Mapping[str, float] | None = None,
    curve: str = "curve",
    nan_policy: Literal["raise", "omit"] = "raise",
) -> CurveFit:
    """Fit quantal (r of n) data by binomial maximum likelihood (drc ``type="binomial"``).

    The model gives the probability of being affected; for ``LL.2`` it is
    ``1 / (1 + exp(b (log x - log e)))``, so an increasing curve has ``b < 0``.

    Parameters
    ----------
    dose : (n,) array_like
        Doses, ``>= 0``.
    affected : (n,) array_like
        Number affected at each dose (integers ``0 <= r <= n``).
    total : (n,) array_like
        Number tested at each dose.
    model : str
        Any model of :func:`fit_curve`; free ``c``/``d`` are kept within [0, 1].
    fixed : mapping, optional
        Extra fixed parameters.
    curve : str
        Label for tables and messages.
    nan_policy : {"raise", "omit"}
        What to do with missing values.

    Returns
    -------
    CurveFit
        With ``family="binomial"``, ``rss``/``rse`` NaN, ``n`` the number of dose
        groups, ``response`` the counts and ``weights`` the totals.

    Raises
    ------
    InvalidInputError
        Counts outside ``0..n``, non-integer counts, or the checks of :func:`fit_curve`.

    Examples
    --------
    >>> fit = fit_quantal([1, 2, 4, 8, 16], [1, 4, 10, 16, 19], [20] * 5)
    >>> fit.params["b"] < 0
    True
    """
    spec = get_model(model)
    x, r, m = _prepare(dose, affected, total, curve=curve, nan_policy=nan_policy)
    if np.any(r < 0) or np.any(r > m) or np.any(r != np.round(r)) or np.any(m != np.round(m)):
        msg = f"curve {curve!r}: `affected` must be integers between 0 and `total`"
        raise InvalidInputError(msg)
    fx = _resolve_fixed(spec, fixed, curve)
    free = tuple(p for p in ALL_PARAMETERS if p not in fx)
    _check_identifiable(x, r / m, len(free), spec, curve)
    layout = _Layout(spec, fx, free, (), 1)
    lo = np.array([0.0 if n in ("c", "d") else -np.inf for n in free])
    hi = np.array([1.0 if n in ("c", "d") else np.inf for n in free])
    const = float(np.sum(gammaln(m + 1) - gammaln(r + 1) - gammaln(m - r + 1)))

    def nll(theta: FloatArray) -> tuple[float, FloatArray]:
        p = layout.natural(theta)[0]
        prob = np.clip(_models.evaluate(spec, x, p), 1e-300, 1 - 1e-16)
        val = -float(np.sum(xlogy(r, prob) + xlogy(m - r, 1 - prob)))
        dl = -(r / prob - (m - r) / (1 - prob))
        jac = _models.jacobian(spec, x, p)
        grad = np.array([np.sum(dl * jac[n]) * (p[n] if n in _LOG_PARAMS else 1.0)
                         for n in free])
        return val, grad

    starts = _grid_starts(spec, x, r / m, m, fx, free)
    best = None
    for p0 in starts:
        p0 = {**p0, "c": min(max(p0["c"], 0.0), 1.0), "d": min(max(p0["d"], 0.0), 1.0)}
        th0 = layout.internal([p0])
        with np.errstate(all="ignore"):
            res = optimize.minimize(nll, th0, jac=True, method="L-BFGS-B",
                                    bounds=list(zip(lo, hi, strict=True)),
                                    options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 5000})
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    groups = int(x.size)
    df = groups - len(free)
    if best is None:
        return _failed(curve, spec, fx, free, (x, r, m), df, "optimiser failed",
                       family="binomial")
    p = layout.natural(best.x)[0]
    # polish with Newton steps on the natural scale
    p, info_obs = _binomial_newton(spec, x, r, m, p, free)
    prob = _models.evaluate(spec, x, p)
    loglik = float(np.sum(xlogy(r, prob) + xlogy(m - r, 1 - prob))) + const
    jac = _natural_jac(spec, x, p, free)
    with np.errstate(divide="ignore", invalid="ignore"):
        wt = np.where((prob > 0) & (prob < 1), m / (prob * (1 - prob)), 0.0)
    info_exp = jac.T @ (wt[:, None] * jac)
    inv_o, inv_e = _safe_inverse(info_obs), _safe_inverse(info_exp)
    k = len(free)
    converged = bool(best.success) or best.status == 0
    messages = [] if converged else [f"optimiser stopped: {best.message}"]
    if inv_o is None or inv_e is None:
        converged = False
        messages.append("information matrix singular: parameters not identifiable")
    return CurveFit(
        curve=curve, model=spec.name, family="binomial",
        params=MappingProxyType({n: float(p[n]) for n in ALL_PARAMETERS}),
        param_names=free, fixed=MappingProxyType(dict(fx)),
        covariance=_frozen(inv_o if inv_o is not None else np.full((k, k), np.nan)),
        covariance_jtj=_frozen(inv_e if inv_e is not None else np.full((k, k), np.nan)),
        rss=np.nan, df=int(df), rse=np.nan, loglik=loglik, aic=-2 * loglik + 2 * k,
        n=groups, converged=converged, message="; ".join(messages),
        dose=_frozen(x), response=_frozen(r), weights=_frozen(m),
    )


def _binomial_grad(
    spec: Model, x: FloatArray, r: FloatArray, m: FloatArray, p: dict[str, float],
    free: Sequence[str],
) -> FloatArray:
    prob = np.clip(_models.evaluate(spec, x, p), 1e-300, 1 - 1e-16)
    dl = -(r / prob - (m - r) / (1 - prob))
    return _natural_jac(spec, x, p, free).T @ dl


def _binomial_newton(
    spec: Model, x: FloatArray, r: FloatArray, m: FloatArray, p: dict[str, float],
    free: Sequence[str],
) -> tuple[dict[str, float], FloatArray]:
    def hess(pp: dict[str, float]) -> FloatArray:
        k = len(free)
        h = np.zeros((k, k))
        for j, name in enumerate(free):
            step = _step(name, pp[name], 1.0)
            up = _binomial_grad(spec, x, r, m, {**pp, name: pp[name] + step}, free)
            dn = _binomial_grad(spec, x, r, m, {**pp, name: pp[name] - step}, free)
            h[j] = (up - dn) / (2 * step)
        return 0.5 * (h + h.T)

    for _ in range(5):
        h = hess(p)
        try:
            step = np.linalg.solve(h, _binomial_grad(spec, x, r, m, p, free))
        except np.linalg.LinAlgError:
            break
        trial = dict(p)
        for name, s in zip(free, step, strict=True):
            trial[name] = p[name] - s
        if any(trial[n] <= 0 for n in free if n in _LOG_PARAMS) or any(
            not 0 <= trial[n] <= 1 for n in free if n in ("c", "d")
        ):
            break
        p = trial
        if np.max(np.abs(step)) < 1e-12:
            break
    return p, hess(p)


# ---------------------------------------------------------------------------
# prediction


def predict(fit: CurveFit, dose: npt.ArrayLike) -> FloatArray:
    """Fitted mean response at ``dose`` (0 allowed).

    Parameters
    ----------
    fit : CurveFit
        A fit.
    dose : array_like
        Doses, ``>= 0``.

    Returns
    -------
    ndarray
        Same shape as ``dose``; for binomial fits the probability affected.

    Examples
    --------
    >>> fit = fit_curve([0, 1, 2, 4, 8, 16], [100, 90, 60, 30, 12, 8])
    >>> bool(predict(fit, [0.0])[0] > 90)
    True
    """
    x = np.asarray(dose, dtype=float)
    return _models.evaluate(fit.spec, x, dict(fit.params))


def predict_band(
    fit: CurveFit,
    dose: npt.ArrayLike,
    *,
    level: float = 0.95,
    covariance: Literal["hessian", "jtj"] = "hessian",
) -> pd.DataFrame:
    """Pointwise confidence band of the fitted curve (delta method).

    Parameters
    ----------
    fit : CurveFit
        A fit.
    dose : array_like
        Doses at which to evaluate (``>= 0``).
    level : float
        Confidence level.
    covariance : {"hessian", "jtj"}
        Which covariance matrix to use.

    Returns
    -------
    DataFrame
        Columns:

        * ``dose``: the doses;
        * ``estimate``: fitted mean response;
        * ``se``: delta-method standard error of the mean response;
        * ``lower``, ``upper``: ``estimate -/+ q se`` with ``q`` the t quantile
          (residual df) or the normal quantile (binomial fits).

    Examples
    --------
    >>> fit = fit_curve([0, 1, 2, 4, 8, 16] * 2, [100, 90, 60, 30, 12, 8, 98, 88, 63, 28, 10, 9])
    >>> band = predict_band(fit, [1.0, 4.0])
    >>> bool((band["lower"] < band["estimate"]).all())
    True
    """
    x = np.asarray(dose, dtype=float).ravel()
    est = predict(fit, x)
    jac = _natural_jac(fit.spec, x, dict(fit.params), fit.param_names)
    v = fit.cov(covariance)
    var = np.einsum("ij,jk,ik->i", jac, v, jac)
    se = np.sqrt(np.where(var >= 0, var, np.nan))
    q = _quantile(fit, level)
    return pd.DataFrame(
        {"dose": x, "estimate": est, "se": se, "lower": est - q * se, "upper": est + q * se}
    )


def _quantile(fit: CurveFit, level: float) -> float:
    if not 0 < level < 1:
        msg = f"`level` must be between 0 and 1, got {level!r}"
        raise InvalidInputError(msg)
    if fit.family == "binomial":
        return float(stats.norm.ppf(0.5 + level / 2))
    if fit.df <= 0:
        return np.nan
    return float(stats.t.ppf(0.5 + level / 2, fit.df))


# ---------------------------------------------------------------------------
# tables and goodness of fit


def fits_table(fits: CurveFit | Mapping[str, CurveFit] | Sequence[CurveFit]) -> pd.DataFrame:
    """One row per fitted curve.

    Parameters
    ----------
    fits : CurveFit, mapping or sequence of CurveFit
        Fits, e.g. the output of :func:`fit_curves`.

    Returns
    -------
    DataFrame
        Columns:

        * ``curve``, ``model``;
        * ``b``, ``c``, ``d``, ``e`` (and ``f`` when any model has it): estimates;
          fixed parameters show their fixed value;
        * ``b_se`` ... : drc (Hessian) standard errors, NaN for fixed parameters;
        * ``rse``, ``df``, ``rss``, ``loglik``, ``aic``, ``n``;
        * ``converged`` (bool), ``message``;
        * ``lof_f``, ``lof_p``: lack-of-fit test against dose-as-factor (F for
          gaussian, Pearson chi-square for binomial); NaN without replicate doses;
        * ``effect_p``: p-value of the curve against a flat line
          (:func:`dose_effect_test`); NaN for joint fits.
    """
    items = _as_list(fits)
    with_f = any(ft.spec.family == "LL" and "f" in ft.spec.parameters for ft in items)
    names = ["b", "c", "d", "e"] + (["f"] if with_f else [])
    rows = []
    for ft in items:
        row: dict[str, object] = {"curve": ft.curve, "model": ft.model}
        se = ft.se()
        for n in names:
            row[n] = ft.params[n]
        for n in names:
            row[f"{n}_se"] = se.get(n, np.nan)
        lof = _lof_or_none(ft)
        row.update(
            rse=ft.rse, df=ft.df, rss=ft.rss, loglik=ft.loglik, aic=ft.aic, n=ft.n,
            converged=ft.converged, message=ft.message,
            lof_f=lof.statistic if lof else np.nan, lof_p=lof.p if lof else np.nan,
            effect_p=dose_effect_test(ft)[1],
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _as_list(fits: CurveFit | Mapping[str, CurveFit] | Sequence[CurveFit]) -> list[CurveFit]:
    if isinstance(fits, CurveFit) or hasattr(fits, "param_names"):  # duck type: reloads
        return [fits]  # type: ignore[list-item]
    if isinstance(fits, Mapping):
        return list(fits.values())
    return list(fits)


def _lof_or_none(fit: CurveFit) -> LackOfFit | None:
    if not fit.converged or fit.shared:
        return None
    try:
        return lack_of_fit(fit)
    except InvalidInputError:
        return None


def lack_of_fit(fit: CurveFit) -> LackOfFit:
    """Lack-of-fit test of the curve against dose as a factor (drc ``modelFit``).

    Gaussian: ``F = ((RSS_model - RSS_anova)/(df_model - df_anova)) /
    (RSS_anova/df_anova)``. Binomial: Pearson ``X^2`` on ``groups - p`` df.

    Parameters
    ----------
    fit : CurveFit
        A single-curve fit (not a joint fit).

    Returns
    -------
    LackOfFit
        Statistic and p-value.

    Raises
    ------
    InvalidInputError
        When there are no replicate doses (gaussian) or no df left.

    Examples
    --------
    >>> fit = fit_curve([0, 0, 1, 1, 2, 2, 4, 4, 8, 8], [99, 101, 85, 88, 52, 49, 22, 18, 9, 11])
    >>> 0 <= lack_of_fit(fit).p <= 1
    True
    """
    x, y, w = fit.dose, fit.response, fit.weights
    if fit.shared:
        msg = f"curve {fit.curve!r}: lack of fit is not defined per curve of a joint fit"
        raise InvalidInputError(msg)
    if fit.family == "binomial":
        prob = predict(fit, x)
        expct = w * prob
        var = w * prob * (1 - prob)
        ok = var > 0
        if np.any(~ok & (y != expct)):
            stat = np.inf
        else:
            stat = float(np.sum((y[ok] - expct[ok]) ** 2 / var[ok]))
        if fit.df <= 0:
            msg = f"curve {fit.curve!r}: no degrees of freedom left for a lack-of-fit test"
            raise InvalidInputError(msg)
        p = float(stats.chi2.sf(stat, fit.df))
        return LackOfFit(fit.curve, "chisq", stat, fit.df, np.nan, 0, stat, p)
    uniq, inv = np.unique(x, return_inverse=True)
    df_anova = x.size - uniq.size
    if df_anova <= 0:
        msg = f"curve {fit.curve!r}: no replicate doses, so no lack-of-fit test"
        raise InvalidInputError(msg)
    sw = np.bincount(inv, weights=w)
    means = np.bincount(inv, weights=w * y) / sw
    rss_anova = float(np.sum(w * (y - means[inv]) ** 2))
    dfm = fit.df
    if dfm <= df_anova or rss_anova <= 0:
        msg = f"curve {fit.curve!r}: too few dose levels for a lack-of-fit test"
        raise InvalidInputError(msg)
    fstat = ((fit.rss - rss_anova) / (dfm - df_anova)) / (rss_anova / df_anova)
    p = float(stats.f.sf(fstat, dfm - df_anova, df_anova))
    return LackOfFit(fit.curve, "F", float(fit.rss), int(dfm), rss_anova, int(df_anova),
                     float(fstat), p)


def dose_effect_test(fit: CurveFit) -> tuple[float, float]:
    """Test of the curve against a flat line (no dose effect), as thunor's gate.

    Gaussian: extra-sum-of-squares F of the fit against the weighted mean;
    binomial: likelihood-ratio chi-square against one common probability.

    Parameters
    ----------
    fit : CurveFit
        A single-curve fit.

    Returns
    -------
    (float, float)
        The statistic and its p-value (NaN for joint or failed fits); a large p
        means the data show no dose effect and effective doses are meaningless.

    Examples
    --------
    >>> fit = fit_curve([0, 1, 2, 4, 8, 16], [100, 90, 60, 30, 12, 8])
    >>> dose_effect_test(fit)[1] < 0.01
    True
    """
    if fit.shared or not fit.converged:
        return np.nan, np.nan
    x, y, w = fit.dose, fit.response, fit.weights
    k = len(fit.param_names)
    if fit.family == "binomial":
        p0 = y.sum() / w.sum()
        ll0 = float(np.sum(xlogy(y, p0) + xlogy(w - y, 1 - p0)))
        prob = predict(fit, x)
        ll1 = float(np.sum(xlogy(y, prob) + xlogy(w - y, 1 - prob)))
        stat = max(2 * (ll1 - ll0), 0.0)
        return stat, float(stats.chi2.sf(stat, max(k - 1, 1)))
    if fit.df <= 0 or k <= 1:
        return np.nan, np.nan
    rss0 = float(np.sum(w * (y - np.average(y, weights=w)) ** 2))
    if fit.rss <= 0:
        return np.inf, 0.0
    fstat = ((rss0 - fit.rss) / (k - 1)) / (fit.rss / fit.df)
    return float(fstat), float(stats.f.sf(fstat, k - 1, fit.df))


def _nested(small: CurveFit, big: CurveFit) -> bool:
    fs, fb = small.spec, big.spec
    if fs.family != fb.family or not set(small.param_names) < set(big.param_names):
        return False
    return all(big.fixed.get(k) == v for k, v in big.fixed.items() if k in small.fixed)


def compare_models(fits: Mapping[str, CurveFit] | Sequence[CurveFit]) -> pd.DataFrame:
    """Compare fits of the same data: AIC and extra-sum-of-squares F for nested pairs.

    Parameters
    ----------
    fits : mapping or sequence of CurveFit
        Gaussian fits of the same observations with different models or fixed
        parameters (e.g. LL.3, LL.4, LL.5, W1.4).

    Returns
    -------
    DataFrame
        One row per fit, sorted by AIC. Columns:

        * ``model``: model name (with fixed parameters, e.g. ``"LL.4 (c=0)"``);
        * ``n_params``: estimated parameters; ``rss``, ``df``, ``loglik``, ``aic``;
        * ``delta_aic``: AIC minus the smallest AIC;
        * ``versus``: the smallest fitted model that nests this one ("" if none);
        * ``f``, ``p``: extra-sum-of-squares F test of this model against
          ``versus`` (small p: the bigger model fits significantly better).

    Raises
    ------
    InvalidInputError
        If the fits are not of the same data.

    Examples
    --------
    >>> x = np.repeat([0, 1, 2, 4, 8, 16, 32], 2)
    >>> y = 10 + 90 / (1 + (x / 4) ** 2) + np.tile([1.0, -1.0], 7)
    >>> tab = compare_models([fit_curve(x, y, model=m) for m in ("LL.3", "LL.4")])
    >>> list(tab["model"])
    ['LL.4', 'LL.3']
    """
    items = _as_list(fits)
    if not items:
        msg = "`fits` is empty"
        raise InvalidInputError(msg)
    ref = items[0]
    for ft in items[1:]:
        same = ft.dose.shape == ref.dose.shape and np.array_equal(ft.dose, ref.dose) and \
            np.array_equal(ft.response, ref.response)
        if not same or ft.family != "gaussian":
            msg = f"compare_models: fit {ft.curve!r} ({ft.model}) is not of the same data"
            raise InvalidInputError(msg)

    def label(ft: CurveFit) -> str:
        extra = {k: v for k, v in ft.fixed.items() if k not in ft.spec.fixed}
        return ft.model + (f" ({', '.join(f'{k}={v:g}' for k, v in extra.items())})"
                           if extra else "")

    rows = []
    for ft in items:
        bigger = [g for g in items if _nested(ft, g)]
        bigger.sort(key=lambda g: len(g.param_names))
        row = {"model": label(ft), "n_params": len(ft.param_names), "rss": ft.rss,
               "df": ft.df, "loglik": ft.loglik, "aic": ft.aic, "versus": "",
               "f": np.nan, "p": np.nan}
        if bigger:
            g = bigger[0]
            ddf = ft.df - g.df
            if g.df > 0 and g.rss > 0 and ddf > 0:
                fstat = ((ft.rss - g.rss) / ddf) / (g.rss / g.df)
                row.update(versus=label(g), f=fstat, p=float(stats.f.sf(fstat, ddf, g.df)))
        rows.append(row)
    tab = pd.DataFrame(rows)
    tab.insert(6, "delta_aic", tab["aic"] - tab["aic"].min())
    return tab.sort_values("aic", kind="stable").reset_index(drop=True)
