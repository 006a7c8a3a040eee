"""Reference models for dose matrices (checkerboards): Bliss, HSA, Loewe and ZIP.

One internal convention: the response is the **inhibition fraction** ``I`` (= Chou's
fraction affected ``fa`` = ``1 - viability``), not clipped, and every score is an
**excess** ``I_observed - I_expected``, so **excess > 0 means synergy** for every
model. Multiply by 100 to compare with SynergyFinder's %-inhibition scores.
Inputs in viability (fraction or %) or inhibition % are converted at the edge by
:func:`blotquant.viability.combination.to_fraction_affected`.

Models (Yadav et al. 2015; NOTES §2.6):

* Bliss independence: ``I_exp = I_A + I_B - I_A I_B`` (observed monotherapies).
* Highest single agent: ``I_exp = max(I_A, I_B)``.
* Loewe additivity: ``I_exp`` solves ``d_A / D_A(I) + d_B / D_B(I) = 1`` with the
  single-agent 4PL curves (drc LL.4 fitted on the monotherapy edges, dose 0
  included, no ``1e-10`` stand-in). It is **undefined** when no effect level inside
  both curves' ranges satisfies the equation, i.e. the expected effect lies beyond
  the weaker drug's Emax. Policy ``loewe_undefined``: ``'nan'`` (default: NaN and a
  note), ``'hsa'`` (use the HSA expectation, which is the limit of Loewe when the
  weaker drug contributes nothing beyond its Emax) or ``'synergyfinder'``
  (``max(f_A(d_A + d_B), f_B(d_A + d_B))`` as SynergyFinder 04e18bb does; only
  meaningful when both drugs share a unit).
* ZIP delta (Yadav 2015, SynergyFinder's ``CalculateZIP``): expected
  ``y1 + y2 - y1 y2`` from the *fitted* single-agent curves; observed side: for
  every fixed dose of one drug, a 4PL in the other drug (nonzero doses) with the
  lower asymptote fixed at the first drug's fitted single-agent response and the
  upper asymptote fixed at 1 (100 %); the two fitted surfaces are averaged. Single
  agent term ``(x/m)^l / (1 + (x/m)^l)`` — not the vignette's misprinted
  ``(1 + x/m)^l`` denominator.

Replicate wells are averaged per cell first (the models are defined on means).
Monotherapy cells have excess 0 by definition and are excluded from summaries.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize

from blotquant._schema import check_columns
from blotquant.errors import InvalidInputError
from blotquant.viability.combination import ResponseScale, to_fraction_affected

__all__ = ["MODELS", "fit_ll4", "loewe_expected", "synergy_scores", "synergy_summary"]

#: Models computed by :func:`synergy_scores`, in output order.
MODELS: tuple[str, ...] = ("bliss", "hsa", "loewe", "zip")

LoewePolicy = Literal["nan", "hsa", "synergyfinder"]


# ------------------------------------------------------------------ 4PL helpers


def _ll4(x: np.ndarray, b: float, c: float, d: float, e: float) -> np.ndarray:
    """drc LL.4 ``c + (d - c) / (1 + exp(b (log x - log e)))``; legal at x = 0."""
    x = np.asarray(x, dtype=float)
    out = np.empty(x.shape)
    pos = x > 0
    z = np.clip(b * (np.log(np.where(pos, x, 1.0)) - math.log(e)), -700, 700)
    out[pos] = c + (d - c) / (1.0 + np.exp(z[pos]))
    out[~pos] = d if b > 0 else c if b < 0 else c + (d - c) / 2
    return out


def fit_ll4(dose: Sequence[float] | np.ndarray, response: Sequence[float] | np.ndarray, *,
            c: float | None = None, d: float | None = None) -> dict[str, float] | None:
    """Least-squares drc LL.4 fit with optional fixed lower (``c``) or upper (``d``) limit.

    Parameters
    ----------
    dose : (N,) array_like of float
        Doses >= 0 (dose 0 is evaluated as the limit, never as ``log(0)``).
    response : (N,) array_like of float
        Responses (any scale).
    c, d : float, optional
        Fix the limit the curve takes at dose 0 (``c`` for an increasing curve) and at
        infinite dose (``d``); free when ``None``.

    Returns
    -------
    dict or None
        ``{"b", "c", "d", "e", "rss"}`` (drc parameterisation; ``b < 0`` for a curve
        rising with dose), or ``None`` when there are fewer points than free parameters
        or no start converged.

    Examples
    --------
    >>> x = np.array([0, 0.1, 1, 10, 100.0])
    >>> y = 0.1 + 0.8 * x**1.5 / (x**1.5 + 2.0**1.5)
    >>> p = fit_ll4(x, y)
    >>> round(p["e"], 4), round(p["b"], 4)
    (2.0, -1.5)
    """
    x = np.asarray(dose, dtype=float)
    y = np.asarray(response, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    pos = x[x > 0]
    n_free = 2 + (c is None) + (d is None)
    if x.size < n_free or pos.size < 2 or np.unique(pos).size < 2:
        return None
    lx = np.log(pos)
    lo_e, hi_e = lx.min() - 10.0, lx.max() + 10.0
    order = np.argsort(x)
    y_lo, y_hi = float(y[order[0]]), float(y[order[-1]])
    rising = y_hi >= y_lo

    def unpack(theta: np.ndarray) -> tuple[float, float, float, float]:
        b, le = theta[0], theta[1]
        k = 2
        cc = c if c is not None else theta[k]
        k += c is None
        dd = d if d is not None else theta[k]
        return float(b), float(cc), float(dd), float(math.exp(le))

    def resid(theta: np.ndarray) -> np.ndarray:
        return _ll4(x, *unpack(theta)) - y

    best = None
    for b0 in ((-1.0, -3.0, -0.5) if rising else (1.0, 3.0, 0.5)):
        for le0 in (float(np.median(lx)), float(lx.min()), float(lx.max())):
            theta0 = [b0, le0]
            lb, ub = [-50.0, lo_e], [50.0, hi_e]
            if c is None:
                theta0.append(y_lo if rising else y_hi)
                lb.append(-np.inf)
                ub.append(np.inf)
            if d is None:
                theta0.append(y_hi if rising else y_lo)
                lb.append(-np.inf)
                ub.append(np.inf)
            t0 = np.clip(np.array(theta0), np.array(lb) + 1e-9, np.array(ub) - 1e-9)
            with np.errstate(over="ignore", invalid="ignore"):
                sol = optimize.least_squares(resid, t0, bounds=(lb, ub), method="trf",
                                             x_scale="jac", max_nfev=2000)
            if not np.all(np.isfinite(sol.fun)):
                continue
            rss = float(sol.fun @ sol.fun)
            if best is None or rss < best[1] - 1e-12:
                best = (sol.x, rss)
    if best is None:
        return None
    b, cc, dd, e = unpack(best[0])
    return {"b": b, "c": cc, "d": dd, "e": e, "rss": best[1]}


def _inverse_log(p: dict[str, float], y: float) -> float:
    """log of the dose at which the LL.4 curve reaches ``y`` (NaN outside its range)."""
    lo, hi = min(p["c"], p["d"]), max(p["c"], p["d"])
    if not lo < y < hi or p["b"] == 0:
        return math.nan
    return math.log(p["e"]) + math.log((p["d"] - y) / (y - p["c"])) / p["b"]


def loewe_expected(dose_a: float, dose_b: float, curve_a: dict[str, float],
                   curve_b: dict[str, float]) -> float:
    """Loewe-additive effect of a dose pair from two LL.4 curves (NaN where undefined).

    Solves ``dose_a / D_A(y) + dose_b / D_B(y) = 1`` for ``y`` within both curves'
    ranges, where ``D_i(y) = e_i ((d_i - y)/(y - c_i))^(1/b_i)``.

    Parameters
    ----------
    dose_a, dose_b : float
        Doses (>= 0) of the two agents, each in the unit of its curve.
    curve_a, curve_b : dict
        drc LL.4 parameters ``b, c, d, e`` of each agent (same response scale).

    Returns
    -------
    float
        The expected effect, or NaN when no level in both curves' ranges solves the
        equation (the combination would exceed the weaker drug's Emax).

    Examples
    --------
    >>> p = {"b": -1.0, "c": 0.0, "d": 1.0, "e": 1.0}
    >>> round(loewe_expected(0.5, 0.5, p, p), 6)   # a drug combined with itself
    0.5
    """
    if dose_a <= 0 and dose_b <= 0:
        return math.nan
    if dose_b <= 0:
        return float(_ll4(np.array([dose_a]), *(curve_a[k] for k in "bcde"))[0])
    if dose_a <= 0:
        return float(_ll4(np.array([dose_b]), *(curve_b[k] for k in "bcde"))[0])
    lo = max(min(curve_a["c"], curve_a["d"]), min(curve_b["c"], curve_b["d"]))
    hi = min(max(curve_a["c"], curve_a["d"]), max(curve_b["c"], curve_b["d"]))
    if not lo < hi:
        return math.nan
    la, lb = math.log(dose_a), math.log(dose_b)

    def g(y: float) -> float:
        ta = la - _inverse_log(curve_a, y)
        tb = lb - _inverse_log(curve_b, y)
        m = max(ta, tb)
        return m + math.log(math.exp(ta - m) + math.exp(tb - m))  # log(sum of terms)

    # scan the open interval (dense near both ends) for a sign change of log(sum)
    u = np.concatenate([np.logspace(-12, -1, 45), np.linspace(0.1, 0.9, 33),
                        1 - np.logspace(-1, -12, 45)])
    ys = lo + (hi - lo) * u
    vals = np.array([g(float(y)) for y in ys])
    sign = np.sign(vals)
    idx = np.flatnonzero(np.isfinite(vals[:-1]) & np.isfinite(vals[1:])
                         & (sign[:-1] * sign[1:] < 0))
    if idx.size == 0:
        exact = np.flatnonzero(vals == 0)
        return float(ys[exact[0]]) if exact.size else math.nan
    i = int(idx[0])
    return float(optimize.brentq(g, ys[i], ys[i + 1], xtol=1e-14, rtol=1e-12))


# ------------------------------------------------------------------ main entry


def _matrix(table: pd.DataFrame, a: str, b: str) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                              np.ndarray]:
    da = np.sort(table[a].unique())
    db = np.sort(table[b].unique())
    mat = np.full((da.size, db.size), np.nan)
    nrep = np.zeros((da.size, db.size), dtype=int)
    ia = np.searchsorted(da, table[a].to_numpy())
    ib = np.searchsorted(db, table[b].to_numpy())
    vals = table["_inh"].to_numpy()
    sums = np.zeros_like(mat)
    for i, j, v in zip(ia, ib, vals, strict=True):
        if np.isfinite(v):
            sums[i, j] += v
            nrep[i, j] += 1
    with np.errstate(invalid="ignore"):
        mat = np.where(nrep > 0, sums / np.maximum(nrep, 1), np.nan)
    return da, db, mat, nrep


def _zip_side(doses: np.ndarray, resp: np.ndarray, lower: float) -> np.ndarray:
    """Fitted responses along one row/column (nonzero doses), asymptotes lower/1."""
    if doses.size == 1:
        return resp.copy()
    p = fit_ll4(doses, resp, c=lower, d=1.0)
    if p is None:
        return resp.copy()
    return _ll4(doses, p["b"], p["c"], p["d"], p["e"])


def synergy_scores(
    data: pd.DataFrame,
    *,
    dose_a: str = "dose_a",
    dose_b: str = "dose_b",
    response: str = "response",
    scale: ResponseScale = "viability",
    by: str | Sequence[str] | None = None,
    models: Sequence[str] = MODELS,
    loewe_undefined: LoewePolicy = "nan",
) -> pd.DataFrame:
    """Bliss, HSA, Loewe and ZIP excess for every cell of a dose matrix.

    Parameters
    ----------
    data : DataFrame
        Tidy checkerboard: one row per well (replicates allowed), with the dose of each
        agent (0 for none) and the response. The matrix must contain both
        monotherapy edges (every ``dose_a`` with ``dose_b = 0`` and vice versa) and the
        vehicle cell.
    dose_a, dose_b : str
        Dose columns of agent A and agent B, each in its own unit.
    response : str
        Response column.
    scale : {'viability', 'viability_percent', 'inhibition', 'inhibition_percent', 'fa'}
        What ``response`` is; converted to the inhibition fraction.
    by : str or sequence of str, optional
        Columns defining independent matrices (e.g. ``"cell_line"``).
    models : sequence of str
        Subset of ``("bliss", "hsa", "loewe", "zip")``.
    loewe_undefined : {'nan', 'hsa', 'synergyfinder'}
        What to report where Loewe is undefined (see module docstring).

    Returns
    -------
    DataFrame
        One row per cell and model, columns:

        * ``by`` columns, if any
        * ``dose_a``, ``dose_b``: doses (the names of the input columns are not kept)
        * ``n_replicates``: wells averaged into the cell
        * ``inhibition``: observed mean inhibition fraction (``1 - viability``)
        * ``model``: ``'bliss'``, ``'hsa'``, ``'loewe'`` or ``'zip'``
        * ``expected``: the model's expected inhibition fraction (for ZIP, the ZIP
          reference ``y1 + y2 - y1 y2`` from fitted curves)
        * ``excess``: ``inhibition - expected`` (ZIP: fitted-surface delta); > 0 synergy
        * ``monotherapy``: True for cells where one dose is 0 (excess 0 by definition)
        * ``note``: why a value is NaN or which fallback was used, else ``''``

    Raises
    ------
    InvalidInputError
        Missing columns, negative doses, unknown model or a matrix without its edges.

    Examples
    --------
    >>> grid = pd.DataFrame({"dose_a": [0, 1, 0, 1], "dose_b": [0, 0, 1, 1],
    ...                      "response": [1.0, 0.5, 0.8, 0.3]})
    >>> s = synergy_scores(grid, models=("bliss", "hsa"))
    >>> s.loc[~s["monotherapy"], ["model", "expected", "excess"]].round(3).to_numpy().tolist()
    [['bliss', 0.6, 0.1], ['hsa', 0.5, 0.2]]
    """
    check_columns(data, [dose_a, dose_b, response], name="dose matrix")
    by_cols = [by] if isinstance(by, str) else list(by or [])
    check_columns(data, by_cols, name="dose matrix")
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        msg = f"`models`: unknown {unknown}; choose from {list(MODELS)}"
        raise InvalidInputError(msg)
    if loewe_undefined not in ("nan", "hsa", "synergyfinder"):
        msg = f"`loewe_undefined` must be 'nan', 'hsa' or 'synergyfinder', got {loewe_undefined!r}"
        raise InvalidInputError(msg)
    table = pd.DataFrame({
        "_a": pd.to_numeric(data[dose_a], errors="coerce").to_numpy(dtype=float),
        "_b": pd.to_numeric(data[dose_b], errors="coerce").to_numpy(dtype=float),
        "_inh": to_fraction_affected(pd.to_numeric(data[response], errors="coerce")
                                     .to_numpy(dtype=float), scale=scale),
    })
    for col, name in (("_a", dose_a), ("_b", dose_b)):
        bad = ~np.isfinite(table[col].to_numpy()) | (table[col].to_numpy() < 0)
        if bad.any():
            msg = f"dose matrix row {int(np.flatnonzero(bad)[0])}: {name!r} must be a finite dose >= 0"
            raise InvalidInputError(msg)
    for c in by_cols:
        table[c] = data[c].to_numpy()

    groups = table.groupby(by_cols, sort=False, dropna=False) if by_cols else [((), table)]
    out: list[dict[str, object]] = []
    for key, sub in groups:
        gkey = key if isinstance(key, tuple) else (key,)
        gcols = dict(zip(by_cols, gkey, strict=True))
        out.extend(_one_matrix(sub, gcols, models, loewe_undefined))
    columns = [*by_cols, "dose_a", "dose_b", "n_replicates", "inhibition", "model", "expected",
               "excess", "monotherapy", "note"]
    return pd.DataFrame(out, columns=columns)


def _one_matrix(sub: pd.DataFrame, gcols: dict[str, object], models: Sequence[str],
                policy: LoewePolicy) -> list[dict[str, object]]:
    where = "dose matrix" + (f" group {gcols}" if gcols else "")
    da, db, mat, nrep = _matrix(sub, "_a", "_b")
    if da[0] != 0 or db[0] != 0 or da.size < 2 or db.size < 2:
        msg = f"{where}: needs dose 0 and at least one dose > 0 for both agents"
        raise InvalidInputError(msg)
    if np.isnan(mat[:, 0]).any() or np.isnan(mat[0, :]).any():
        missing = [f"({a:g}, 0)" for a, v in zip(da, mat[:, 0], strict=True) if np.isnan(v)]
        missing += [f"(0, {b:g})" for b, v in zip(db, mat[0, :], strict=True) if np.isnan(v)]
        msg = f"{where}: monotherapy cells {missing} are missing; both edges are required"
        raise InvalidInputError(msg)
    ia_, ib_ = mat[:, 0][:, None], mat[0, :][None, :]
    expected: dict[str, np.ndarray] = {}
    excess: dict[str, np.ndarray] = {}
    notes: dict[str, np.ndarray] = {m: np.full(mat.shape, "", dtype=object) for m in MODELS}
    bliss = ia_ + ib_ - ia_ * ib_
    hsa = np.maximum(ia_, ib_)
    expected["bliss"], excess["bliss"] = bliss, mat - bliss
    expected["hsa"], excess["hsa"] = hsa, mat - hsa

    need_fits = "loewe" in models or "zip" in models
    pa = fit_ll4(da, mat[:, 0]) if need_fits else None
    pb = fit_ll4(db, mat[0, :]) if need_fits else None
    if "loewe" in models:
        lo = np.full(mat.shape, np.nan)
        if pa is None or pb is None:
            notes["loewe"][:] = "single-agent 4PL could not be fitted (>= 4 doses needed)"
        else:
            for i in range(1, da.size):
                for j in range(1, db.size):
                    y = loewe_expected(da[i], db[j], pa, pb)
                    if np.isnan(y):
                        if policy == "hsa":
                            y = hsa[i, j]
                            notes["loewe"][i, j] = "Loewe undefined (beyond an Emax); HSA used"
                        elif policy == "synergyfinder":
                            tot = np.array([da[i] + db[j]])
                            y = max(_ll4(tot, *(pa[k] for k in "bcde"))[0],
                                    _ll4(tot, *(pb[k] for k in "bcde"))[0])
                            y = min(y, 1.0)
                            notes["loewe"][i, j] = ("Loewe undefined (beyond an Emax); "
                                                    "SynergyFinder fallback used")
                        else:
                            notes["loewe"][i, j] = ("Loewe undefined: expected effect beyond "
                                                    "the weaker drug's Emax")
                    lo[i, j] = y
        expected["loewe"], excess["loewe"] = lo, mat - lo
    if "zip" in models:
        if pa is None or pb is None:
            zexp = np.full(mat.shape, np.nan)
            zdelta = np.full(mat.shape, np.nan)
            notes["zip"][:] = "single-agent 4PL could not be fitted (>= 4 doses needed)"
        else:
            ya = _ll4(da, *(pa[k] for k in "bcde"))
            yb = _ll4(db, *(pb[k] for k in "bcde"))
            zexp = ya[:, None] + yb[None, :] - ya[:, None] * yb[None, :]
            col_fit = np.full(mat.shape, np.nan)
            row_fit = np.full(mat.shape, np.nan)
            for j in range(1, db.size):  # fixed dose of B, curve in A
                col_fit[1:, j] = _zip_side(da[1:], mat[1:, j], yb[j])
            for i in range(1, da.size):  # fixed dose of A, curve in B
                row_fit[i, 1:] = _zip_side(db[1:], mat[i, 1:], ya[i])
            zdelta = (col_fit + row_fit) / 2 - zexp
        expected["zip"], excess["zip"] = zexp, zdelta

    rows: list[dict[str, object]] = []
    for i in range(da.size):
        for j in range(db.size):
            mono = i == 0 or j == 0
            for m in models:
                e = float(mat[i, j]) if mono else float(expected[m][i, j])
                x = 0.0 if mono else float(excess[m][i, j])
                note = "" if mono else str(notes[m][i, j])
                if not mono and not np.isfinite(mat[i, j]):
                    note = "no finite response in this cell"
                rows.append({**gcols, "dose_a": float(da[i]), "dose_b": float(db[j]),
                             "n_replicates": int(nrep[i, j]), "inhibition": float(mat[i, j]),
                             "model": m, "expected": e, "excess": x, "monotherapy": mono,
                             "note": note})
    return rows


def synergy_summary(scores: pd.DataFrame, *, by: str | Sequence[str] | None = None
                    ) -> pd.DataFrame:
    """Matrix summary of :func:`synergy_scores`: mean excess over combination cells.

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`synergy_scores`.
    by : str or sequence of str, optional
        The same grouping columns passed to :func:`synergy_scores`.

    Returns
    -------
    DataFrame
        One row per group and model, columns: ``by`` columns, ``model``,
        ``mean_excess`` (mean over non-monotherapy cells with a defined value, the
        SynergyFinder matrix score as a fraction), ``sd_excess``, ``max_excess``,
        ``min_excess``, ``n_cells`` (combination cells), ``n_undefined`` (cells
        with NaN excess, e.g. Loewe beyond an Emax), ``n_positive`` (excess > 0).

    Examples
    --------
    >>> grid = pd.DataFrame({"dose_a": [0, 1, 0, 1], "dose_b": [0, 0, 1, 1],
    ...                      "response": [1.0, 0.5, 0.8, 0.3]})
    >>> synergy_summary(synergy_scores(grid, models=("bliss",)))["mean_excess"].round(3).tolist()
    [0.1]
    """
    by_cols = [by] if isinstance(by, str) else list(by or [])
    check_columns(scores, [*by_cols, "model", "excess", "monotherapy"], name="synergy scores")
    combo = scores.loc[~scores["monotherapy"].astype(bool)]
    rows = []
    for key, sub in combo.groupby([*by_cols, "model"], sort=False):
        key_t = key if isinstance(key, tuple) else (key,)
        x = sub["excess"].to_numpy(dtype=float)
        fin = x[np.isfinite(x)]
        rows.append({**dict(zip([*by_cols, "model"], key_t, strict=True)),
                     "mean_excess": float(fin.mean()) if fin.size else math.nan,
                     "sd_excess": float(fin.std(ddof=1)) if fin.size > 1 else math.nan,
                     "max_excess": float(fin.max()) if fin.size else math.nan,
                     "min_excess": float(fin.min()) if fin.size else math.nan,
                     "n_cells": int(x.size), "n_undefined": int((~np.isfinite(x)).sum()),
                     "n_positive": int((fin > 0).sum())})
    return pd.DataFrame(rows, columns=[*by_cols, "model", "mean_excess", "sd_excess",
                                       "max_excess", "min_excess", "n_cells", "n_undefined",
                                       "n_positive"])
