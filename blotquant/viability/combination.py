"""Median-effect analysis and Chou-Talalay combination indices.

The median-effect equation (Chou 1976) linearises a dose-effect curve,

    log10(fa / (1 - fa)) = m * log10(D) - m * log10(Dm),

where ``fa`` is the fraction affected (``1 - viability``), ``m`` the slope and
``Dm`` the median-effect dose. A drug alone reaches ``fa`` at
``Dx = Dm * (fa / (1 - fa))**(1/m)``. For a mixture given at a fixed ratio the
same line is fitted on the **total** dose, and the combination index (CI) at a
level ``fa`` is ``CI = sum_j (D)_j / (Dx)_j`` (mutually exclusive, the default)
or, for two agents, ``(D)_1/(Dx)_1 + (D)_2/(Dx)_2 + (D)_1 (D)_2 / ((Dx)_1 (Dx)_2)``
(mutually non-exclusive, "conservative"). CI < 1 is synergism, 1 additivity and
> 1 antagonism. The dose-reduction index is ``DRI_j = (Dx)_j / (D)_j``.

Conventions
-----------
* One internal response convention: ``fa`` = fraction affected in [0, 1]
  (= inhibition fraction = ``1 - viability fraction``). :func:`to_fraction_affected`
  converts viability or inhibition, as fractions or percentages, at the edge.
* Points with ``fa <= 0``, ``fa >= 1``, missing ``fa`` or dose 0 cannot enter
  the log-linear regression; they are **excluded and reported**, never replaced
  by 0.001 / 0.999.
* Mixed units (e.g. temsirolimus in nM with IFN-alpha in IU/mL): every agent's
  dose stays in its own unit and is never converted. The mixture dose is the
  *formal* sum of the component doses; the ratio is reported per agent as
  "dose of the agent (in its own unit) per unit of mixture dose", so
  ``(D)_j = ratio_j * D_mix``. CI and DRI are invariant to this choice because
  every ``(D)_j / (Dx)_j`` uses one unit.
* The CI at a level ``fa`` outside the observed ``fa`` range of any single agent
  or of the mixture is an extrapolation and is flagged (``extrapolated``).

References
----------
Chou TC, Talalay P (1984) Adv Enzyme Regul 22:27-55.
Chou TC (2006) Pharmacol Rev 58:621-681.
Chou TC, Motzer RJ, Tong Y, Bosl GJ (1994) J Natl Cancer Inst 86:1517-1524.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from blotquant._schema import check_columns
from blotquant.conditions import parse_treatment
from blotquant.errors import InvalidInputError

__all__ = [
    "FA_LEVELS",
    "CombinationResult",
    "MedianEffectFit",
    "ci_from_doses",
    "combination_index",
    "interpret_ci",
    "loewe_ci",
    "loewe_ci_table",
    "median_effect",
    "mixture_ci",
    "to_fraction_affected",
]

#: Effect levels at which CompuSyn reports CI and DRI (ED50, ED75, ED90, ED95).
FA_LEVELS: tuple[float, ...] = (0.5, 0.75, 0.9, 0.95)

ResponseScale = Literal[
    "fa", "inhibition", "inhibition_percent", "viability", "viability_percent"
]
Mode = Literal["exclusive", "nonexclusive"]

_LN10 = math.log(10.0)

# Chou / CompuSyn interpretation bins (Nocentini 2003 Table 1; Chou 2006), half-open [lo, hi).
_CI_BINS: tuple[tuple[float, str], ...] = (
    (0.1, "very strong synergism"),
    (0.3, "strong synergism"),
    (0.7, "synergism"),
    (0.85, "moderate synergism"),
    (0.90, "slight synergism"),
    (1.10, "nearly additive"),
    (1.20, "slight antagonism"),
    (1.45, "moderate antagonism"),
    (3.3, "antagonism"),
    (10.0, "strong antagonism"),
    (math.inf, "very strong antagonism"),
)


def to_fraction_affected(values: npt.ArrayLike, *, scale: ResponseScale) -> np.ndarray:
    """Convert a response to the fraction affected ``fa`` (= inhibition fraction).

    Parameters
    ----------
    values : array_like of float
        Responses.
    scale : {'fa', 'inhibition', 'inhibition_percent', 'viability', 'viability_percent'}
        What ``values`` are: ``fa``/``inhibition`` in [0, 1], ``inhibition_percent`` in
        [0, 100], ``viability`` as a fraction of vehicle, ``viability_percent`` as % of vehicle.

    Returns
    -------
    ndarray of float
        ``fa``; values are not clipped.

    Examples
    --------
    >>> to_fraction_affected([100, 25], scale="viability_percent").tolist()
    [0.0, 0.75]
    """
    v = np.asarray(values, dtype=float)
    if scale in ("fa", "inhibition"):
        return v.copy()
    if scale == "inhibition_percent":
        return v / 100.0
    if scale == "viability":
        return 1.0 - v
    if scale == "viability_percent":
        return 1.0 - v / 100.0
    msg = (f"`scale` must be one of 'fa', 'inhibition', 'inhibition_percent', 'viability', "
           f"'viability_percent'; got {scale!r}")
    raise InvalidInputError(msg)


def interpret_ci(ci: float) -> str:
    """Chou/CompuSyn verbal reading of a combination index.

    Bins (half-open, lower bound included): < 0.1 very strong synergism, 0.1-0.3 strong
    synergism, 0.3-0.7 synergism, 0.7-0.85 moderate synergism, 0.85-0.90 slight
    synergism, 0.90-1.10 nearly additive, 1.10-1.20 slight antagonism, 1.20-1.45
    moderate antagonism, 1.45-3.3 antagonism, 3.3-10 strong antagonism, > 10 very
    strong antagonism (Nocentini 2003, Table 1; Chou 2006).

    Parameters
    ----------
    ci : float
        Combination index.

    Returns
    -------
    str
        The bin label, or ``"undefined"`` for NaN / non-positive values.

    Examples
    --------
    >>> interpret_ci(0.887)
    'slight synergism'
    """
    if not np.isfinite(ci) or ci <= 0:
        return "undefined"
    for upper, label in _CI_BINS:
        if ci < upper:
            return label
    return _CI_BINS[-1][1]  # pragma: no cover - inf bin catches everything


# --------------------------------------------------------------------------- fits


@dataclass(frozen=True)
class MedianEffectFit:
    """Median-effect line ``log10(fa/fu) = m*log10(D) + intercept``.

    Attributes
    ----------
    m : float
        Slope (shape); > 0 for a dose-dependent increase in ``fa``.
    dm : float
        Median-effect dose ``10**(-intercept/m)``, in the dose unit.
    r : float
        Pearson correlation of the median-effect plot.
    n : int
        Points used in the regression.
    intercept : float
        Regression intercept (log10 scale).
    se_m, se_intercept, cov : float
        Standard errors and covariance of slope and intercept (OLS, ``n - 2``
        degrees of freedom); NaN when ``n < 3``.
    df_resid : int
        ``n - 2``.
    fa_min, fa_max : float
        Observed ``fa`` range of the points used.
    dose, fa : tuple of float
        Points used.
    excluded_dose, excluded_fa : tuple of float
        Points excluded from the regression.
    excluded_reason : tuple of str
        Why each excluded point was excluded.
    """

    m: float
    dm: float
    r: float
    n: int
    intercept: float
    se_m: float
    se_intercept: float
    cov: float
    df_resid: int
    fa_min: float
    fa_max: float
    dose: tuple[float, ...] = field(repr=False)
    fa: tuple[float, ...] = field(repr=False)
    excluded_dose: tuple[float, ...] = field(default=(), repr=False)
    excluded_fa: tuple[float, ...] = field(default=(), repr=False)
    excluded_reason: tuple[str, ...] = field(default=(), repr=False)

    def dose_for(self, fa: npt.ArrayLike) -> np.ndarray:
        """Dose giving fraction affected ``fa``: ``Dm * (fa/(1-fa))**(1/m)``.

        Parameters
        ----------
        fa : array_like of float
            Levels strictly in (0, 1); others give NaN.

        Returns
        -------
        ndarray of float
            Doses, in the fit's dose unit.
        """
        f = np.asarray(fa, dtype=float)
        out = np.full(f.shape, np.nan)
        ok = (f > 0) & (f < 1)
        out[ok] = self.dm * (f[ok] / (1.0 - f[ok])) ** (1.0 / self.m)
        return out

    def fa_for(self, dose: npt.ArrayLike) -> np.ndarray:
        """Fraction affected at ``dose``: ``1 / (1 + (Dm/D)**m)`` (0 at dose 0).

        Parameters
        ----------
        dose : array_like of float
            Doses >= 0.

        Returns
        -------
        ndarray of float
            ``fa`` predicted by the line.
        """
        d = np.asarray(dose, dtype=float)
        out = np.zeros(d.shape)
        pos = d > 0
        out[pos] = 1.0 / (1.0 + (self.dm / d[pos]) ** self.m)
        return out


def _screen_points(dose: np.ndarray, fa: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Mask of usable points and a reason for each unusable one ('' if usable)."""
    reasons = []
    for d, f in zip(dose, fa, strict=True):
        if not np.isfinite(d) or d < 0:
            reasons.append("dose missing or negative")
        elif d == 0:
            reasons.append("dose 0 (log undefined)")
        elif not np.isfinite(f):
            reasons.append("fa missing")
        elif f <= 0:
            reasons.append("fa <= 0 (no effect; logit undefined)")
        elif f >= 1:
            reasons.append("fa >= 1 (complete effect; logit undefined)")
        else:
            reasons.append("")
    mask = np.array([r == "" for r in reasons], dtype=bool)
    return mask, reasons


def median_effect(dose: npt.ArrayLike, fa: npt.ArrayLike, *, where: str = "median_effect"
                  ) -> MedianEffectFit:
    """Fit the median-effect equation by log10 linear regression.

    Parameters
    ----------
    dose : (N,) array_like of float
        Doses (> 0 to be used), in one unit.
    fa : (N,) array_like of float
        Fraction affected at each dose. Points with ``fa`` outside (0, 1), a missing
        ``fa`` or dose 0 are excluded and listed in the result (never clipped).
    where : str
        Name of the series, used in error messages.

    Returns
    -------
    MedianEffectFit
        Slope ``m``, median-effect dose ``dm``, Pearson ``r`` and the points used and
        excluded.

    Raises
    ------
    InvalidInputError
        If the lengths differ or fewer than two usable points with distinct doses remain.

    Notes
    -----
    ``m`` and ``Dm`` do not depend on the log base; ``r`` is the Pearson correlation of
    ``log10(fa/(1-fa))`` on ``log10(D)``, as in CompuSyn and the R package medianeffect.

    Examples
    --------
    >>> fit = median_effect([1, 2, 4], [0.2, 0.5, 0.8])
    >>> round(fit.dm, 3), round(fit.m, 3)
    (2.0, 2.0)
    """
    d = np.asarray(dose, dtype=float).ravel()
    f = np.asarray(fa, dtype=float).ravel()
    if d.shape != f.shape:
        msg = f"{where}: `dose` ({d.size}) and `fa` ({f.size}) must have the same length"
        raise InvalidInputError(msg)
    mask, reasons = _screen_points(d, f)
    x = np.log10(d[mask])
    y = np.log10(f[mask] / (1.0 - f[mask]))
    n = int(mask.sum())
    if n < 2 or np.unique(x).size < 2:
        msg = (f"{where}: needs at least 2 points with 0 < fa < 1 at distinct doses > 0 for "
               f"the median-effect fit; got {n} usable of {d.size}")
        raise InvalidInputError(msg)
    xm, ym = x.mean(), y.mean()
    sxx = float(((x - xm) ** 2).sum())
    sxy = float(((x - xm) * (y - ym)).sum())
    syy = float(((y - ym) ** 2).sum())
    m = sxy / sxx
    intercept = ym - m * xm
    r = sxy / math.sqrt(sxx * syy) if syy > 0 else math.nan
    df = n - 2
    if df > 0:
        s2 = float(((y - intercept - m * x) ** 2).sum()) / df
        var_m = s2 / sxx
        var_b = s2 * (1.0 / n + xm**2 / sxx)
        cov = -xm * s2 / sxx
        se_m, se_b = math.sqrt(var_m), math.sqrt(var_b)
    else:
        se_m = se_b = cov = math.nan
    dm = 10.0 ** (-intercept / m) if m != 0 else math.nan
    bad = ~mask
    return MedianEffectFit(
        m=float(m), dm=float(dm), r=float(r), n=n, intercept=float(intercept),
        se_m=se_m, se_intercept=se_b, cov=cov, df_resid=df,
        fa_min=float(f[mask].min()), fa_max=float(f[mask].max()),
        dose=tuple(d[mask].tolist()), fa=tuple(f[mask].tolist()),
        excluded_dose=tuple(d[bad].tolist()), excluded_fa=tuple(f[bad].tolist()),
        excluded_reason=tuple(r_ for r_ in reasons if r_),
    )


# ------------------------------------------------------------------ CI algebra


def _combine(terms: np.ndarray, mode: Mode) -> np.ndarray:
    """CI from the per-agent terms ``(D)_j/(Dx)_j`` (last axis = agents)."""
    if mode == "exclusive":
        return terms.sum(axis=-1)
    if mode == "nonexclusive":
        if terms.shape[-1] != 2:
            msg = ("`mode='nonexclusive'` is defined here for two agents only; got "
                   f"{terms.shape[-1]}")
            raise InvalidInputError(msg)
        return terms[..., 0] + terms[..., 1] + terms[..., 0] * terms[..., 1]
    msg = f"`mode` must be 'exclusive' or 'nonexclusive', got {mode!r}"
    raise InvalidInputError(msg)


def ci_from_doses(singles: Sequence[MedianEffectFit], doses: Sequence[float], fa: float, *,
                  mode: Mode = "exclusive") -> tuple[float, np.ndarray]:
    """Combination index of a combination point with known component doses and effect.

    Parameters
    ----------
    singles : sequence of MedianEffectFit
        Single-agent fits, one per agent.
    doses : sequence of float
        Dose of each agent in the combination, in the unit of its single-agent fit.
    fa : float
        Observed fraction affected of the combination, in (0, 1).
    mode : {'exclusive', 'nonexclusive'}
        Mutually exclusive (default) or non-exclusive (two agents) CI.

    Returns
    -------
    ci : float
        Combination index (NaN if ``fa`` is not in (0, 1)).
    dri : (n_agents,) ndarray
        Dose-reduction index ``(Dx)_j / (D)_j`` per agent.

    Examples
    --------
    >>> a = median_effect([1, 2, 4], [0.2, 0.5, 0.8])
    >>> ci, dri = ci_from_doses([a, a], [1.0, 1.0], 0.5)
    >>> round(ci, 6)
    1.0
    """
    if len(singles) != len(doses):
        msg = f"`singles` ({len(singles)}) and `doses` ({len(doses)}) must have the same length"
        raise InvalidInputError(msg)
    dx = np.array([s.dose_for(fa) for s in singles], dtype=float)
    d = np.asarray(doses, dtype=float)
    ci = float(_combine(d / dx, mode))
    return ci, dx / d


def mixture_ci(singles: Sequence[MedianEffectFit], mixture: MedianEffectFit,
               ratio: Sequence[float], fa: npt.ArrayLike, *, mode: Mode = "exclusive"
               ) -> tuple[np.ndarray, np.ndarray]:
    """Combination index of a fixed-ratio mixture at effect levels ``fa``.

    Parameters
    ----------
    singles : sequence of MedianEffectFit
        Single-agent fits, one per agent.
    mixture : MedianEffectFit
        Fit of the mixture on its (formal) total dose.
    ratio : sequence of float
        Dose of each agent, in its own unit, per unit of mixture dose, so that
        ``(D)_j = ratio_j * Dmix``. For a total-dose fit this is ``P/(P+Q)``, ``Q/(P+Q)``.
    fa : array_like of float
        Effect levels in (0, 1).
    mode : {'exclusive', 'nonexclusive'}
        CI form.

    Returns
    -------
    ci : (L,) ndarray
        Combination index at each level.
    dri : (L, n_agents) ndarray
        Dose-reduction index per level and agent.
    """
    levels = np.atleast_1d(np.asarray(fa, dtype=float))
    p = np.asarray(ratio, dtype=float)
    if p.size != len(singles):
        msg = f"`ratio` ({p.size}) and `singles` ({len(singles)}) must have the same length"
        raise InvalidInputError(msg)
    dmix = mixture.dose_for(levels)
    d = dmix[:, None] * p[None, :]
    dx = np.stack([s.dose_for(levels) for s in singles], axis=1)
    return _combine(d / dx, mode), dx / d


# ------------------------------------------------------------- table front end


@dataclass(frozen=True)
class CombinationResult:
    """Tables produced by :func:`combination_index`.

    Attributes
    ----------
    ci : DataFrame
        One row per (group, mixture, effect level or observed point); see
        :func:`combination_index` for the columns.
    dri : DataFrame
        Long format: one row per CI row and agent.
    fits : DataFrame
        One row per median-effect fit (single agents and mixtures).
    points : DataFrame
        One row per series and dose (replicate wells averaged), with whether it
        entered the fit and why not.
    mixtures : DataFrame
        One row per mixture and agent: the ratio in the agent's own unit.
    """

    ci: pd.DataFrame
    dri: pd.DataFrame
    fits: pd.DataFrame
    points: pd.DataFrame
    mixtures: pd.DataFrame


@dataclass
class _Series:
    name: str
    kind: str  # 'single' | 'mixture'
    agents: tuple[int, ...]  # agent indices with dose > 0
    ratio: np.ndarray  # per agent (all agents), dose per unit mixture dose
    dose: np.ndarray  # (K,) series dose (agent dose or formal total)
    comp: np.ndarray  # (K, n_agents) component doses
    wells: list[np.ndarray]  # fa of each well per dose
    fa: np.ndarray = field(default_factory=lambda: np.empty(0))  # aggregated
    n_wells: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))
    mask: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
    reasons: list[str] = field(default_factory=list)
    fit: MedianEffectFit | None = None


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _mixture_label(names: Sequence[str], units: Sequence[str], props: np.ndarray) -> str:
    rel = props / props.min()
    ratio = ":".join(_fmt(v) for v in rel)
    unit_txt = ":".join(u if u else "-" for u in units)
    return f"{' + '.join(names)} {ratio} ({unit_txt})"


def _agent_columns(data: pd.DataFrame, doses: Mapping[str, str] | None, treatment: str,
                   units: Mapping[str, str] | None) -> tuple[list[str], np.ndarray, list[str]]:
    """Return agent names, (rows, agents) dose matrix and units."""
    if doses is not None:
        if len(doses) < 1:
            msg = "`doses` must map at least one agent name to a dose column"
            raise InvalidInputError(msg)
        check_columns(data, list(doses.values()), name="combination data")
        names = list(doses)
        mat = np.column_stack([pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float)
                               for c in doses.values()])
        bad = ~np.isfinite(mat) | (mat < 0)
        if bad.any():
            row = int(np.argwhere(bad)[0][0])
            msg = (f"combination data row {row}: dose columns {list(doses.values())} must be "
                   "finite numbers >= 0")
            raise InvalidInputError(msg)
        unit_list = [(units or {}).get(a, "") for a in names]
        return names, mat, unit_list
    check_columns(data, [treatment], name="combination data")
    parsed = [parse_treatment(t, where=f"combination data row {i} column {treatment!r}")
              for i, t in enumerate(data[treatment].tolist())]
    agent_units: dict[str, str] = {}
    for i, t in enumerate(parsed):
        for c in t.components:
            known = agent_units.setdefault(c.agent, c.unit)
            if known != c.unit:
                msg = (f"combination data row {i}: agent {c.agent!r} is given in {c.unit} here "
                       f"and in {known} elsewhere; use one unit per agent")
                raise InvalidInputError(msg)
    names = sorted(agent_units, key=str.lower)
    mat = np.array([[t.dose_of(a) for a in names] for t in parsed], dtype=float)
    mat = mat.reshape(len(parsed), len(names))
    unit_list = [agent_units[a] for a in names]
    if units:
        unit_list = [units.get(a, u) for a, u in zip(names, unit_list, strict=True)]
    return names, mat, unit_list


def _build_series(mat: np.ndarray, fa: np.ndarray, names: list[str], units: list[str],
                  where: str) -> tuple[list[_Series], list[_Series], int]:
    """Split rows into single-agent and mixture series; returns (singles, mixtures, n_vehicle)."""
    n_agents = len(names)
    pos = mat > 0
    count = pos.sum(axis=1)
    n_vehicle = int((count == 0).sum())
    singles: list[_Series] = []
    for j in range(n_agents):
        rows = np.flatnonzero((count == 1) & pos[:, j])
        if rows.size == 0:
            continue
        ratio = np.zeros(n_agents)
        ratio[j] = 1.0
        singles.append(_group_doses(names[j], "single", (j,), ratio, mat[rows], fa[rows],
                                    key=mat[rows, j]))
    mix_rows = np.flatnonzero(count >= 2)
    clusters: list[tuple[tuple[int, ...], np.ndarray, list[int]]] = []
    for i in mix_rows:
        agents = tuple(np.flatnonzero(pos[i]).tolist())
        props = mat[i] / mat[i].sum()
        for ag, ref, members in clusters:
            if ag == agents and np.all(np.abs(props[list(ag)] / ref[list(ag)] - 1) < 1e-3):
                members.append(int(i))
                break
        else:
            clusters.append((agents, props, [int(i)]))
    mixtures = []
    for agents, _, members in clusters:
        rows = np.array(members)
        total = mat[rows].sum(axis=1)
        props = (mat[rows] / total[:, None]).mean(axis=0)
        label = _mixture_label([names[a] for a in agents], [units[a] for a in agents],
                               props[list(agents)])
        mixtures.append(_group_doses(label, "mixture", agents, props, mat[rows], fa[rows],
                                     key=total))
    del where
    return singles, mixtures, n_vehicle


def _group_doses(name: str, kind: str, agents: tuple[int, ...], ratio: np.ndarray,
                 comp: np.ndarray, fa: np.ndarray, *, key: np.ndarray) -> _Series:
    order = np.argsort(key, kind="stable")
    key, comp, fa = key[order], comp[order], fa[order]
    uniq, start = np.unique(key, return_index=True)
    bounds = [*start.tolist(), key.size]
    wells = [fa[bounds[k]:bounds[k + 1]] for k in range(uniq.size)]
    comps = np.array([comp[bounds[k]:bounds[k + 1]].mean(axis=0) for k in range(uniq.size)])
    return _Series(name=name, kind=kind, agents=agents, ratio=ratio, dose=uniq.astype(float),
                   comp=comps, wells=wells)


def _aggregate(series: _Series, aggregate: str) -> None:
    if aggregate == "mean":
        finite = [w[np.isfinite(w)] for w in series.wells]
        series.fa = np.array([w.mean() if w.size else np.nan for w in finite])
        series.n_wells = np.array([w.size for w in finite], dtype=int)
    else:  # 'none': expand wells as separate points
        msg = f"`aggregate` must be 'mean' or 'none', got {aggregate!r}"
        raise InvalidInputError(msg)
    series.mask, series.reasons = _screen_points(series.dose, series.fa)


def _fit_series(series: _Series, where: str) -> None:
    if series.mask.sum() >= 2 and np.unique(series.dose[series.mask]).size >= 2:
        series.fit = median_effect(series.dose, series.fa, where=f"{where}: {series.name}")


# ---- vectorised bootstrap


def _batch_fit(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise OLS slope and intercept with a mask; NaN where < 2 distinct points."""
    w = mask.astype(float)
    y0 = np.where(mask, y, 0.0)
    n = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        xm = (w * x).sum(axis=1) / n
        ym = (w * y0).sum(axis=1) / n
        dx = np.where(mask, x - xm[:, None], 0.0)
        sxx = (dx**2).sum(axis=1)
        sxy = (dx * np.where(mask, y0 - ym[:, None], 0.0)).sum(axis=1)
        slope = sxy / sxx
        inter = ym - slope * xm
    bad = (n < 2) | ~(sxx > 1e-300)
    slope[bad] = np.nan
    inter[bad] = np.nan
    return slope, inter


def _boot_series(series: _Series, rng: np.random.Generator, n_boot: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resample wells within each dose; return (fa (B,K), slope (B,), intercept (B,))."""
    fa_b = np.empty((n_boot, series.dose.size))
    for k, w in enumerate(series.wells):
        w = w[np.isfinite(w)]
        if w.size == 0:
            fa_b[:, k] = np.nan
            continue
        idx = rng.integers(0, w.size, size=(n_boot, w.size))
        fa_b[:, k] = w[idx].mean(axis=1)
    ok = np.isfinite(fa_b) & (fa_b > 0) & (fa_b < 1) & (series.dose[None, :] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log10(np.where(ok, fa_b / (1 - fa_b), 1.0))
        x = np.broadcast_to(np.log10(np.where(series.dose > 0, series.dose, 1.0)), fa_b.shape)
    slope, inter = _batch_fit(x, y, ok)
    return fa_b, slope, inter


def _logit10(fa: np.ndarray | float) -> np.ndarray:
    f = np.asarray(fa, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((f > 0) & (f < 1), np.log10(f / (1 - f)), np.nan)


def combination_index(
    data: pd.DataFrame,
    *,
    doses: Mapping[str, str] | None = None,
    treatment: str = "treatment",
    response: str = "fa",
    scale: ResponseScale = "fa",
    units: Mapping[str, str] | None = None,
    by: str | Sequence[str] | None = None,
    fa_levels: Sequence[float] = FA_LEVELS,
    mode: Mode = "exclusive",
    interval: Literal["auto", "bootstrap", "delta", "none"] = "auto",
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> CombinationResult:
    """Chou-Talalay combination indices for fixed-ratio (and single-point) combinations.

    Parameters
    ----------
    data : DataFrame
        One row per well (or per mean), holding single-agent series and combination
        wells. Rows with every dose 0 (vehicle) are ignored (``fa`` must already be
        vehicle-normalised).
    doses : mapping of str to str, optional
        Agent name -> column holding that agent's dose **in the agent's own unit**. If
        omitted, the ``treatment`` column is parsed with
        :func:`blotquant.conditions.parse_treatment` (agents and units from the text).
    treatment : str
        Treatment-text column used when ``doses`` is omitted.
    response : str
        Column with the response.
    scale : {'fa', 'inhibition', 'inhibition_percent', 'viability', 'viability_percent'}
        What ``response`` is; converted to ``fa`` (see :func:`to_fraction_affected`).
    units : mapping of str to str, optional
        Unit per agent for labels (taken from the treatment text when parsed).
    by : str or sequence of str, optional
        Columns defining independent groups (e.g. ``"cell_line"``); each group is
        analysed separately and these columns lead every output table.
    fa_levels : sequence of float
        Effect levels for the ``'level'`` rows.
    mode : {'exclusive', 'nonexclusive'}
        Mutually exclusive CI (default, passes the sham-combination test) or
        non-exclusive ("conservative", two agents only).
    interval : {'auto', 'bootstrap', 'delta', 'none'}
        Uncertainty of the CI. ``'bootstrap'``: resample replicate wells within each
        dose of every series involved, refit, percentile interval. ``'delta'``: delta
        method on log CI from the OLS covariance of each median-effect fit
        (t quantile with the smallest residual df involved; observed-point rows carry
        single-agent fit uncertainty only). ``'auto'``: bootstrap when every fitted
        point involved has >= 2 wells, else delta.
    n_boot : int
        Bootstrap resamples (1000 gives percentile limits stable to ~1%).
    level : float
        Confidence level of ``ci_lower``/``ci_upper``.
    seed : int
        Seed of the bootstrap generator (results are deterministic).

    Returns
    -------
    CombinationResult
        ``ci`` table columns:

        * ``by`` columns, if any
        * ``mixture``: label ``"a + b P:Q (unit_a:unit_b)"``
        * ``fa``: effect level, or the observed (well-averaged) fa
        * ``source``: ``'level'`` (from the mixture fit) or ``'observed'`` (actual doses)
        * ``mixture_dose``: formal total dose (sum of component doses in their own units)
        * ``ci``, ``ci_lower``, ``ci_upper``: combination index and its interval
        * ``interval``: ``'bootstrap'``, ``'delta'`` or ``'none'``
        * ``extrapolated``: fa outside the observed fa range of a single agent or of
          the mixture
        * ``interpretation``: Chou/CompuSyn bin (:func:`interpret_ci`)
        * ``mode``: ``'exclusive'`` or ``'nonexclusive'``
        * ``note``: why a value is NaN, or ``''``

        ``dri`` columns: ``by`` columns, ``mixture``, ``fa``, ``source``, ``agent``,
        ``unit``, ``dose`` (agent dose in the combination), ``dose_alone`` ((Dx)_j, dose
        of the agent alone for the same fa), ``dri`` (= dose_alone / dose),
        ``extrapolated``.

        ``fits`` columns: ``by`` columns, ``series`` (agent or mixture label),
        ``kind`` (``'single'``/``'mixture'``), ``unit`` (agent unit, or
        ``'formal sum'``), ``m``, ``dm``, ``r``, ``n_points``, ``n_excluded``,
        ``fa_min``, ``fa_max``, ``se_m``, ``se_intercept``.

        ``points`` columns: ``by`` columns, ``series``, ``kind``, ``dose`` (agent dose or
        formal mixture total), ``fa`` (mean of wells), ``n_wells``, ``used``, ``reason``.

        ``mixtures`` columns: ``by`` columns, ``mixture``, ``agent``, ``unit``,
        ``ratio`` (agent dose in its own unit per unit of formal mixture dose).

    Raises
    ------
    InvalidInputError
        Missing columns, negative doses, a mixture agent without single-agent data,
        or a single agent that cannot be fitted.

    Notes
    -----
    At ``'level'`` rows the component doses are ``(D)_j = ratio_j * Dmix(fa)`` from the
    mixture fit; at ``'observed'`` rows the actual doses and the observed fa are used,
    so any combination well (also off-ray checkerboard wells) gets an observed CI.
    Level rows need a mixture series with >= 2 distinct doses.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 4, 0, 0, 0, 0.5, 1, 2],
    ...                    "b": [0, 0, 0, 1, 2, 4, 0.5, 1, 2],
    ...                    "fa": [.2, .5, .8, .2, .5, .8, .2, .5, .8]})
    >>> res = combination_index(df, doses={"a": "a", "b": "b"}, interval="none")
    >>> res.ci.query("source == 'level'")["ci"].round(3).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    check_columns(data, [response], name="combination data")
    by_cols = [by] if isinstance(by, str) else list(by or [])
    check_columns(data, by_cols, name="combination data")
    if not 0 < level < 1:
        msg = f"`level` must be in (0, 1), got {level}"
        raise InvalidInputError(msg)
    levels = np.asarray(list(fa_levels), dtype=float)
    if np.any(~((levels > 0) & (levels < 1))):
        msg = f"`fa_levels` must lie strictly in (0, 1), got {list(fa_levels)}"
        raise InvalidInputError(msg)
    if interval not in ("auto", "bootstrap", "delta", "none"):
        msg = f"`interval` must be 'auto', 'bootstrap', 'delta' or 'none', got {interval!r}"
        raise InvalidInputError(msg)
    if mode not in ("exclusive", "nonexclusive"):
        msg = f"`mode` must be 'exclusive' or 'nonexclusive', got {mode!r}"
        raise InvalidInputError(msg)
    if interval == "bootstrap" and n_boot < 100:
        msg = f"`n_boot` must be >= 100 for a percentile interval, got {n_boot}"
        raise InvalidInputError(msg)

    names, mat, unit_list = _agent_columns(data, doses, treatment, units)
    fa_all = to_fraction_affected(pd.to_numeric(data[response], errors="coerce")
                                  .to_numpy(dtype=float), scale=scale)
    rng = np.random.default_rng(seed)

    rows_ci: list[dict[str, object]] = []
    rows_dri: list[dict[str, object]] = []
    rows_fit: list[dict[str, object]] = []
    rows_pts: list[dict[str, object]] = []
    rows_mix: list[dict[str, object]] = []

    if by_cols:
        keys = data[by_cols].astype(object).apply(tuple, axis=1).tolist()
        group_keys = list(dict.fromkeys(keys))
        group_rows = [np.flatnonzero([k == g for k in keys]) for g in group_keys]
    else:
        group_keys, group_rows = [()], [np.arange(len(data))]

    q_norm = 0.5 + level / 2
    for gkey, idx in zip(group_keys, group_rows, strict=True):
        gcols = dict(zip(by_cols, gkey, strict=True))
        where = "combination data" + (f" group {gcols}" if gcols else "")
        singles, mixtures, _ = _build_series(mat[idx], fa_all[idx], names, unit_list, where)
        for s in [*singles, *mixtures]:
            _aggregate(s, "mean")
            _fit_series(s, where)
            for k in range(s.dose.size):
                rows_pts.append({**gcols, "series": s.name, "kind": s.kind,
                                 "dose": float(s.dose[k]), "fa": float(s.fa[k]),
                                 "n_wells": int(s.n_wells[k]), "used": bool(s.mask[k]),
                                 "reason": s.reasons[k]})
            fit = s.fit
            unit = unit_list[s.agents[0]] if s.kind == "single" else "formal sum"
            rows_fit.append({
                **gcols, "series": s.name, "kind": s.kind, "unit": unit,
                "m": fit.m if fit else np.nan, "dm": fit.dm if fit else np.nan,
                "r": fit.r if fit else np.nan, "n_points": fit.n if fit else int(s.mask.sum()),
                "n_excluded": int((~s.mask).sum()),
                "fa_min": fit.fa_min if fit else np.nan, "fa_max": fit.fa_max if fit else np.nan,
                "se_m": fit.se_m if fit else np.nan,
                "se_intercept": fit.se_intercept if fit else np.nan})
        by_agent = {s.agents[0]: s for s in singles}
        for mix in mixtures:
            for a in mix.agents:
                rows_mix.append({**gcols, "mixture": mix.name, "agent": names[a],
                                 "unit": unit_list[a], "ratio": float(mix.ratio[a])})
            missing = [names[a] for a in mix.agents
                       if a not in by_agent or by_agent[a].fit is None]
            if missing:
                msg = (f"{where}: mixture {mix.name!r} needs a fitted single-agent series for "
                       f"{missing} (>= 2 doses with 0 < fa < 1)")
                raise InvalidInputError(msg)
            sing = [by_agent[a] for a in mix.agents]
            sfits = [s.fit for s in sing]
            assert all(f is not None for f in sfits)
            ratio = mix.ratio[list(mix.agents)]
            s_lo = max(f.fa_min for f in sfits)  # type: ignore[union-attr]
            s_hi = min(f.fa_max for f in sfits)  # type: ignore[union-attr]
            bad_m = any(f.m <= 0 for f in sfits)  # type: ignore[union-attr]

            # --- rows: (fa, source, dmix, comp doses, dx) -------------------------
            entries: list[dict[str, object]] = []
            if mix.fit is not None:
                ci_lv, dri_lv = mixture_ci(sfits, mix.fit, ratio, levels, mode=mode)  # type: ignore[arg-type]
                dmix = mix.fit.dose_for(levels)
                for li, f in enumerate(levels):
                    comp = dmix[li] * ratio
                    extrap = bool(f < s_lo or f > s_hi or f < mix.fit.fa_min
                                  or f > mix.fit.fa_max)
                    entries.append({"fa": float(f), "source": "level",
                                    "mixture_dose": float(dmix[li]), "comp": comp,
                                    "ci": float(ci_lv[li]), "dri": dri_lv[li],
                                    "extrapolated": extrap, "k": None})
            for k in range(mix.dose.size):
                f = float(mix.fa[k])
                comp = mix.comp[k][list(mix.agents)]
                if mix.mask[k]:
                    ci_k, dri_k = ci_from_doses(sfits, comp, f, mode=mode)  # type: ignore[arg-type]
                else:
                    ci_k, dri_k = np.nan, np.full(len(sing), np.nan)
                entries.append({"fa": f, "source": "observed", "mixture_dose": float(mix.dose[k]),
                                "comp": comp, "ci": float(ci_k), "dri": dri_k,
                                "extrapolated": bool(np.isfinite(f) and (f < s_lo or f > s_hi)),
                                "k": k})

            # --- intervals --------------------------------------------------------
            involved = [*sing, mix]
            chosen = interval
            if interval == "auto":
                used_n = np.concatenate([s.n_wells[s.mask] for s in involved])
                chosen = "bootstrap" if used_n.size and used_n.min() >= 2 else "delta"
            lo = np.full(len(entries), np.nan)
            hi = np.full(len(entries), np.nan)
            notes = ["" for _ in entries]
            if chosen == "bootstrap":
                boots = [_boot_series(s, rng, n_boot) for s in involved]
                m_s = np.stack([b[1] for b in boots[:-1]], axis=1)  # (B, J)
                b_s = np.stack([b[2] for b in boots[:-1]], axis=1)
                fa_mix_b, m_c, b_c = boots[-1]
                for e_i, e in enumerate(entries):
                    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                        if e["source"] == "level":
                            lg = _logit10(e["fa"])
                            log_dmix = (lg - b_c) / m_c
                            log_d = log_dmix[:, None] + np.log10(ratio)[None, :]
                        else:
                            lg = _logit10(fa_mix_b[:, e["k"]])
                            log_d = np.broadcast_to(np.log10(e["comp"]), m_s.shape)  # type: ignore[arg-type]
                        log_dx = (lg[..., None] if np.ndim(lg) else lg) - b_s
                        log_dx = log_dx / m_s
                        terms = 10.0 ** (log_d - log_dx)
                        ci_b = _combine(terms, mode)
                    ci_b = ci_b[np.isfinite(ci_b) & (m_s > 0).all(axis=1)]
                    if ci_b.size >= 0.9 * n_boot:
                        lo[e_i], hi[e_i] = np.quantile(ci_b, [1 - q_norm, q_norm])
                    else:
                        notes[e_i] = (f"bootstrap: only {ci_b.size} of {n_boot} resamples "
                                      "gave a CI")
            elif chosen == "delta":
                fits_inv = [*sfits, mix.fit]
                dfs = [f.df_resid for f in sfits]  # type: ignore[union-attr]
                for e_i, e in enumerate(entries):
                    ci_v = e["ci"]
                    if not np.isfinite(ci_v):  # type: ignore[arg-type]
                        continue
                    use_mix = e["source"] == "level"
                    df_min = min([*dfs, mix.fit.df_resid] if use_mix else dfs)  # type: ignore[union-attr]
                    if df_min < 1:
                        notes[e_i] = "delta: a fit has < 3 points, no interval"
                        continue
                    se = _delta_se(e, sfits, mix.fit if use_mix else None, mode)  # type: ignore[arg-type]
                    qv = stats.t.ppf(q_norm, df_min)
                    lo[e_i] = ci_v * math.exp(-qv * se)  # type: ignore[operator]
                    hi[e_i] = ci_v * math.exp(qv * se)  # type: ignore[operator]
                del fits_inv
            else:
                chosen = "none"

            for e_i, e in enumerate(entries):
                ci_v = float(e["ci"])  # type: ignore[arg-type]
                note = notes[e_i]
                if bad_m:
                    ci_v, note = np.nan, "a single-agent slope m <= 0 (no dose-dependent effect)"
                    lo[e_i] = hi[e_i] = np.nan
                elif e["source"] == "observed" and not np.isfinite(ci_v):
                    k = e["k"]
                    note = f"observed point excluded: {mix.reasons[k]}"  # type: ignore[index]
                rows_ci.append({**gcols, "mixture": mix.name, "fa": e["fa"],
                                "source": e["source"], "mixture_dose": e["mixture_dose"],
                                "ci": ci_v, "ci_lower": float(lo[e_i]),
                                "ci_upper": float(hi[e_i]),
                                "interval": chosen if np.isfinite(lo[e_i]) else "none",
                                "extrapolated": e["extrapolated"],
                                "interpretation": interpret_ci(ci_v), "mode": mode,
                                "note": note})
                dri = np.asarray(e["dri"], dtype=float)
                comp = np.asarray(e["comp"], dtype=float)
                for j, a in enumerate(mix.agents):
                    rows_dri.append({**gcols, "mixture": mix.name, "fa": e["fa"],
                                     "source": e["source"], "agent": names[a],
                                     "unit": unit_list[a], "dose": float(comp[j]),
                                     "dose_alone": float(comp[j] * dri[j]),
                                     "dri": float(dri[j]) if not bad_m else np.nan,
                                     "extrapolated": e["extrapolated"]})

    cols_ci = [*by_cols, "mixture", "fa", "source", "mixture_dose", "ci", "ci_lower",
               "ci_upper", "interval", "extrapolated", "interpretation", "mode", "note"]
    cols_dri = [*by_cols, "mixture", "fa", "source", "agent", "unit", "dose", "dose_alone",
                "dri", "extrapolated"]
    cols_fit = [*by_cols, "series", "kind", "unit", "m", "dm", "r", "n_points", "n_excluded",
                "fa_min", "fa_max", "se_m", "se_intercept"]
    cols_pts = [*by_cols, "series", "kind", "dose", "fa", "n_wells", "used", "reason"]
    cols_mix = [*by_cols, "mixture", "agent", "unit", "ratio"]
    return CombinationResult(
        ci=pd.DataFrame(rows_ci, columns=cols_ci),
        dri=pd.DataFrame(rows_dri, columns=cols_dri),
        fits=pd.DataFrame(rows_fit, columns=cols_fit),
        points=pd.DataFrame(rows_pts, columns=cols_pts),
        mixtures=pd.DataFrame(rows_mix, columns=cols_mix),
    )


def _delta_se(entry: Mapping[str, object], sfits: Sequence[MedianEffectFit],
              mfit: MedianEffectFit | None, mode: Mode) -> float:
    """SE of log(CI) by the delta method (independent fits, OLS covariances)."""
    fa = float(entry["fa"])  # type: ignore[arg-type]
    lg = float(_logit10(fa))
    comp = np.asarray(entry["comp"], dtype=float)
    dx = np.array([f.dose_for(fa) for f in sfits], dtype=float).ravel()
    t = comp / dx
    ci = float(_combine(t, mode))
    # dCI / d ln t_j
    g_t = t * (1.0 + t[::-1]) if mode == "nonexclusive" else t
    var = 0.0
    mix_grad = np.zeros(2)  # d ln CI / d (m_c, b_c)
    for j, f in enumerate(sfits):
        # ln t_j = ln d_j - ln10 * (lg - b_j)/m_j
        d_m = _LN10 * (lg - f.intercept) / f.m**2
        d_b = _LN10 / f.m
        gj = g_t[j] / ci * np.array([d_m, d_b])
        cov = np.array([[f.se_m**2, f.cov], [f.cov, f.se_intercept**2]])
        var += float(gj @ cov @ gj)
        if mfit is not None:
            # ln d_j = ln ratio_j + ln10 * (lg - b_c)/m_c
            mix_grad += g_t[j] / ci * np.array([-_LN10 * (lg - mfit.intercept) / mfit.m**2,
                                                 -_LN10 / mfit.m])
    if mfit is not None:
        cov = np.array([[mfit.se_m**2, mfit.cov], [mfit.cov, mfit.se_intercept**2]])
        var += float(mix_grad @ cov @ mix_grad)
    return math.sqrt(var)


# ------------------------------------------------------- 4PL-based Loewe CI


def _curve_inverse(curve: object, y: float) -> tuple[float, str]:
    """Dose at which a drc-family curve reaches ``y``, or NaN and the reason."""
    params = getattr(curve, "params", curve)
    model = str(getattr(curve, "model", "LL.4"))
    name = str(getattr(curve, "curve", "curve"))
    if not isinstance(params, Mapping):
        msg = "a curve must be a doseresponse.CurveFit or a mapping of drc parameters b, c, d, e"
        raise InvalidInputError(msg)
    b, c, d, e = (float(params[k]) for k in "bcde")
    f = float(params.get("f", 1.0))
    if not all(np.isfinite(v) for v in (b, c, d, e, f)) or b == 0 or d == c:
        return math.nan, f"{name}: curve parameters not usable (failed or flat fit)"
    g = (y - c) / (d - c)  # fraction of the way from c (infinite dose) to d (dose 0)
    if not 0 < g < 1:
        lo, hi = sorted((c, d))
        return math.nan, (f"{name}: effect {y:.4g} is outside the curve's range "
                          f"({lo:.4g}, {hi:.4g}); beyond its Emax it is never reached")
    family = model.split(".")[0]
    if family == "LL":
        z = math.log(g ** (-1.0 / f) - 1.0)
    elif family == "W1":
        z = math.log(-math.log(g))
    elif family == "W2":
        z = math.log(-math.log(1.0 - g))
    else:
        msg = f"{name}: model {model!r} is not supported for Loewe CI (LL, W1, W2 families)"
        raise InvalidInputError(msg)
    return e * math.exp(z / b), ""


def loewe_ci(curves: Sequence[object], doses: Sequence[float], effect: float) -> tuple[
        float, tuple[float, ...], str]:
    """Loewe combination index ``sum_j d_j / D_j(y)`` from fitted dose-response curves.

    Unlike the median-effect CI this respects partial efficacy: ``D_j(y)`` is the
    inverse of each agent's fitted curve (e.g. drc LL.4 from
    :func:`blotquant.viability.doseresponse.fit_curve`), and where ``y`` lies beyond
    an agent's plateau the CI is undefined (NaN with the reason).

    Parameters
    ----------
    curves : sequence of CurveFit or mapping
        One fitted curve per agent, all on the same response scale as ``effect``
        (e.g. viability in % of vehicle). LL, W1 and W2 families are supported.
    doses : sequence of float
        Dose of each agent in the combination, in the unit of its curve.
    effect : float
        Observed (or target) response of the combination on the curves' scale.

    Returns
    -------
    ci : float
        Loewe CI (< 1 synergy), NaN where undefined.
    dose_alone : tuple of float
        ``D_j(y)`` per agent (NaN where not reached).
    reason : str
        Why the CI is NaN, else ``''``.

    Examples
    --------
    >>> p = {"b": 1.0, "c": 0.0, "d": 100.0, "e": 10.0}
    >>> ci, dx, why = loewe_ci([p, p], [5.0, 5.0], 50.0)
    >>> round(ci, 6), why
    (1.0, '')
    """
    if len(curves) != len(doses):
        msg = f"`curves` ({len(curves)}) and `doses` ({len(doses)}) must have the same length"
        raise InvalidInputError(msg)
    dx, reasons, terms = [], [], []
    for curve, dose in zip(curves, doses, strict=True):
        x, why = _curve_inverse(curve, float(effect))
        dx.append(x)
        if why and dose > 0:
            reasons.append(why)
        terms.append(0.0 if dose == 0 else dose / x)
    if reasons:
        return math.nan, tuple(dx), "; ".join(reasons)
    return float(sum(terms)), tuple(dx), ""


def loewe_ci_table(
    data: pd.DataFrame,
    *,
    curves: Mapping[str, object],
    doses: Mapping[str, str],
    response: str,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Loewe CI at every combination well (replicates averaged), from fitted curves.

    Parameters
    ----------
    data : DataFrame
        Wells; rows with two or more agents at dose > 0 are scored.
    curves : mapping of str to CurveFit
        Agent -> fitted single-agent curve on the scale of ``response``. With ``by``,
        keys may also be ``(group..., agent)`` tuples for per-group curves.
    doses : mapping of str to str
        Agent -> dose column (agent's own unit).
    response : str
        Response column, on the curves' scale (e.g. viability %).
    by : str or sequence of str, optional
        Grouping columns (each group needs its own curves, keyed by tuple).

    Returns
    -------
    DataFrame
        One row per group and combination dose vector, columns: ``by`` columns, one
        column per agent (its dose), ``response`` (mean), ``n_wells``, ``loewe_ci``,
        ``interpretation``, ``reason`` (why NaN: e.g. effect beyond an agent's Emax).
        Agent doses alone are in ``dose_alone_<agent>`` columns.
    """
    check_columns(data, [*doses.values(), response], name="combination data")
    by_cols = [by] if isinstance(by, str) else list(by or [])
    check_columns(data, by_cols, name="combination data")
    agents = list(doses)
    work = pd.DataFrame({a: pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float)
                         for a, c in doses.items()})
    work["_y"] = pd.to_numeric(data[response], errors="coerce").to_numpy(dtype=float)
    for c in by_cols:
        work[c] = data[c].to_numpy()
    combo = work.loc[(work[agents] > 0).sum(axis=1) >= 2]
    rows = []
    for key, sub in combo.groupby([*by_cols, *agents], sort=True):
        key_t = key if isinstance(key, tuple) else (key,)
        gvals = key_t[: len(by_cols)]
        dvals = [float(v) for v in key_t[len(by_cols):]]
        crv = []
        for a in agents:
            k = (*gvals, a) if by_cols else a
            if k not in curves:
                msg = f"`curves` has no curve for {k!r}"
                raise InvalidInputError(msg)
            crv.append(curves[k])
        y = sub["_y"].to_numpy()
        y = y[np.isfinite(y)]
        mean_y = float(y.mean()) if y.size else math.nan
        ci, dx, why = loewe_ci(crv, dvals, mean_y) if y.size else (
            math.nan, tuple(math.nan for _ in agents), "no finite response")
        rows.append({**dict(zip(by_cols, gvals, strict=True)),
                     **dict(zip(agents, dvals, strict=True)), "response": mean_y,
                     "n_wells": int(y.size), "loewe_ci": ci,
                     "interpretation": interpret_ci(ci), "reason": why,
                     **{f"dose_alone_{a}": x for a, x in zip(agents, dx, strict=True)}})
    cols = [*by_cols, *agents, "response", "n_wells", "loewe_ci", "interpretation", "reason",
            *[f"dose_alone_{a}" for a in agents]]
    return pd.DataFrame(rows, columns=cols)
