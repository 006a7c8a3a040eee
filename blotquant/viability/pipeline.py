"""One call from plate-reader exports and a layout to viability, IC50s and CIs.

:func:`analyze_viability` reads (or takes) the plates and the layout, checks that they
match, normalises every plate to its own blank and vehicle
(:mod:`blotquant.viability.normalize`), runs QC, fits one dose-response curve per
cell line and single agent (:func:`blotquant.viability.doseresponse.fit_curve`), reports
relative and absolute IC50s with confidence intervals
(:func:`blotquant.viability.ed.effective_dose`) and, when the layout holds fixed-ratio
mixtures, Chou-Talalay combination indices
(:func:`blotquant.viability.combination.combination_index`).

Interval conventions
--------------------
The biological replicate (one plate, or one set of plates, per ``replicate`` label) is
the experimental unit; wells on one plate are technical replicates. Plate-to-plate
variation of the curve (the IC50 moves from one experiment to the next) is invisible to
a single least-squares fit, whose residual variance only sees the scatter around the
curve, so the pooled-fit interval is too narrow when that variation exists.

* **Primary IC50 interval** (``interval="replicates"``, the default): one curve is fitted
  to the wells of each biological replicate, the IC50 is computed per replicate, and the
  reported ``estimate`` is the geometric mean over replicates with a t interval on
  ``n_used - 1`` degrees of freedom on the log scale (Student; the replicate is the unit).
  Replicates whose curve does not reach the level are left out and counted (``n_used`` <
  ``n_replicates``, with a note); with fewer than 2 usable replicates the pooled interval is
  reported instead (``interval`` then names it).
* **Pooled fit** (secondary, ``pooled_*`` columns): one curve through the
  biological-replicate means at each dose (``fit_on="replicate_means"``, the default) or
  every well (``fit_on="wells"``), with the delta-method interval ``pooled_interval``
  (``"tfls"``: log scale). Vehicle points enter at dose 0 (LL models define f(0) = d).
  These are the curves drawn in the figures and listed in ``fits``.
* **Loewe combination index** (``loewe`` table): for each fixed-ratio mixture a 4PL curve
  is fitted to the mixture (total dose), and at an effect level ``y`` the index is
  ``CI = d1(y)/D1(y) + d2(y)/D2(y)`` with ``d_j(y)`` the agents' doses in the mixture that
  gives ``y`` and ``D_j(y)`` the dose of agent ``j`` alone (its 4PL inverse). It respects
  partial plateaus (undefined, with the reason, where an agent cannot reach ``y``). The
  primary interval is again the replicate t interval on log CI; the pooled estimate
  carries a delta-method interval. Chou's median-effect CI (``combination``) assumes full
  efficacy and is biased when a curve levels off above 0 % (see the README).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import stats

from blotquant.conditions import parse_treatment
from blotquant.errors import InvalidInputError
from blotquant.viability.layout import layout_from_table, match_layout, read_layout
from blotquant.viability.normalize import (
    QCParams,
    normalize_plates,
    plate_qc,
    replicate_means,
    select_absorbance,
    summarize_conditions,
)
from blotquant.viability.plates import read_plates

__all__ = [
    "ED_EXTRA_COLUMNS",
    "LOEWE_COLUMNS",
    "REPLICATE_ED_COLUMNS",
    "ViabilityParams",
    "ViabilityResult",
    "analyze_viability",
    "curve_data",
    "mixture_data",
    "replicate_interval",
]

#: Columns ``analyze_viability`` adds to :data:`blotquant.viability.ed.ED_COLUMNS` in ``ed``.
ED_EXTRA_COLUMNS: tuple[str, ...] = (
    "df",  # degrees of freedom of the primary interval (n_used - 1, or the pooled fit's)
    "n_replicates",  # biological replicates with a single-agent series
    "n_used",  # replicates whose own fit reaches the level (enter the replicate interval)
    "sd_log10",  # SD of log10 IC50 over the used replicates
    "pooled_estimate",  # IC50 of the pooled fit
    "pooled_lower",
    "pooled_upper",
    "pooled_interval",  # delta-method interval of the pooled fit ("tfls", "delta", ...)
)

#: Columns of ``ViabilityResult.replicate_ed`` (one row per replicate fit and level).
REPLICATE_ED_COLUMNS: tuple[str, ...] = (
    "cell_line", "agent", "unit", "replicate", "type", "level", "estimate", "reached",
    "converged", "note",
)

#: Columns of ``ViabilityResult.loewe`` (4PL-based Loewe combination index).
LOEWE_COLUMNS: tuple[str, ...] = (
    "cell_line",
    "mixture",  # "a + b P:Q (unit_a:unit_b)", as in the Chou table
    "fa",  # effect level as fraction affected (1 - viability/100)
    "effect",  # the same level in % viability
    "mixture_dose",  # formal total dose of the mixture giving ``effect`` (pooled fit)
    "doses",  # canonical treatment text of that mixture dose
    "loewe_ci",  # primary estimate (geometric mean over replicates, or pooled)
    "ci_lower",
    "ci_upper",
    "interval",  # "replicates", "delta" or "none"
    "n_replicates",
    "n_used",  # replicates where the index is defined at this level
    "sd_log10",  # SD of log10 CI over the used replicates
    "pooled_ci",  # from the pooled fits
    "pooled_lower",  # delta-method interval of the pooled estimate
    "pooled_upper",
    "extrapolated",  # level outside the observed response range of an agent or the mixture
    "call",  # "synergy" (upper < 1), "antagonism" (lower > 1), "additive" (interval has 1)
    "interpretation",  # Chou/CompuSyn bin of ``loewe_ci``
    "note",  # why a value is NaN, replicates left out, ...
)

_INTERVALS = ("replicates", "tfls", "delta", "profile", "none")


@dataclass(frozen=True)
class ViabilityParams:
    """Settings of :func:`analyze_viability` (written to ``params.json``)."""

    wavelength: float | None = None
    reference_wavelength: float | None = None
    measurement: str | None = None
    model: str = "LL.4"
    fit_on: str = "replicate_means"
    exclude_outliers: bool = False
    interval: str = "replicates"
    pooled_interval: str = "tfls"
    level: float = 0.95
    ic_levels: tuple[float, ...] = (50.0,)
    combination: bool = True
    combination_interval: str = "delta"
    loewe_fa_levels: tuple[float, ...] = (0.25, 0.5, 0.75, 0.9)
    qc: QCParams = field(default_factory=QCParams)

    def to_dict(self) -> dict[str, object]:
        """Plain dict (JSON-ready)."""
        out = asdict(self)
        out["ic_levels"] = list(self.ic_levels)
        out["loewe_fa_levels"] = list(self.loewe_fa_levels)
        return out


@dataclass(frozen=True)
class ViabilityResult:
    """Tables of a viability analysis.

    Attributes
    ----------
    wells : DataFrame
        Per well (:data:`blotquant.viability.normalize.WELL_COLUMNS`).
    conditions : DataFrame
        Per condition (:func:`blotquant.viability.normalize.summarize_conditions`).
    replicates : DataFrame
        Per condition and biological replicate
        (:func:`blotquant.viability.normalize.replicate_means`).
    qc : DataFrame
        Per plate and cell line (:data:`blotquant.viability.normalize.QC_COLUMNS`).
    fits : DataFrame
        Pooled fits, one row per cell line and agent: ``cell_line, agent, unit`` then the
        columns of :func:`blotquant.viability.doseresponse.fits_table`.
    ed : DataFrame
        IC50s, one row per cell line, agent, type and level: ``cell_line, agent, unit``,
        :data:`blotquant.viability.ed.ED_COLUMNS` and :data:`ED_EXTRA_COLUMNS`. ``type`` is
        ``relative`` (halfway between the fitted plateaus) or ``absolute`` (50 % of
        vehicle). ``estimate``, ``se``, ``lower``, ``upper``, ``df`` follow ``interval``:
        ``"replicates"`` = geometric mean of the per-replicate IC50s with a t interval on
        ``n_used - 1`` df (``se`` by the delta method from the SD of log IC50); otherwise
        the pooled fit's estimate and interval. ``reached`` and the first part of
        ``note`` come from the pooled fit (``reached`` False when the level is not crossed
        within the tested doses).
    combination : DataFrame
        Chou-Talalay CI table (:func:`blotquant.viability.combination.combination_index`,
        ``ci`` table, grouped by ``cell_line``); empty without mixtures.
    loewe : DataFrame
        4PL-based Loewe CI per cell line, mixture and effect level (:data:`LOEWE_COLUMNS`);
        empty without mixtures.
    replicate_ed : DataFrame
        Per-replicate IC50s behind the replicate intervals (:data:`REPLICATE_ED_COLUMNS`).
    curves : dict
        ``{(cell_line, agent): CurveFit}`` (pooled fits) for figures.
    params : dict
        Settings, detected plate formats, notes.
    """

    wells: pd.DataFrame
    conditions: pd.DataFrame
    replicates: pd.DataFrame
    qc: pd.DataFrame
    fits: pd.DataFrame
    ed: pd.DataFrame
    combination: pd.DataFrame
    curves: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    loewe: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(LOEWE_COLUMNS)))
    replicate_ed: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(REPLICATE_ED_COLUMNS)))


def replicate_interval(values: Sequence[float] | np.ndarray, *, level: float = 0.95
                       ) -> tuple[float, float, float, int, float]:
    """Geometric mean of positive per-replicate estimates and its t interval.

    The mean and the interval are computed on ``log10`` of the finite, positive values
    (the replicate is the unit, ``n - 1`` degrees of freedom) and transformed back.

    Parameters
    ----------
    values : sequence of float
        One estimate per biological replicate; NaN/inf/non-positive values are ignored.
    level : float
        Confidence level.

    Returns
    -------
    estimate, lower, upper : float
        Geometric mean and interval (NaN limits when fewer than 2 values).
    n : int
        Values used.
    sd_log10 : float
        SD of ``log10`` values (NaN when fewer than 2).

    Examples
    --------
    >>> est, lo, hi, n, sd = replicate_interval([10.0, 20.0, 40.0])
    >>> round(est, 6), n, round(sd, 4)
    (20.0, 3, 0.301)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    n = int(v.size)
    if n == 0:
        return math.nan, math.nan, math.nan, 0, math.nan
    logs = np.log10(v)
    mean = float(logs.mean())
    if n < 2:
        return 10.0 ** mean, math.nan, math.nan, 1, math.nan
    sd = float(logs.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return 10.0 ** mean, 10.0 ** (mean - half), 10.0 ** (mean + half), n, sd


def _use_wells(wells: pd.DataFrame, exclude_outliers: bool) -> pd.DataFrame:
    use = wells[wells["viability"].notna() & wells["type"].isin(["treated", "vehicle"])]
    if exclude_outliers:
        use = use[~use["outlier"]]
    return use


def _points(use: pd.DataFrame, fit_on: str) -> pd.DataFrame:
    if fit_on not in ("replicate_means", "wells"):
        msg = f"`fit_on` must be 'replicate_means' or 'wells', got {fit_on!r}"
        raise InvalidInputError(msg)
    if fit_on == "replicate_means":
        return replicate_means(use, exclude_outliers=False).rename(
            columns={"viability_mean": "viability"})
    return use.assign(n_wells=1)


def curve_data(wells: pd.DataFrame, *, fit_on: str = "replicate_means",
               exclude_outliers: bool = False) -> pd.DataFrame:
    """Points for the single-agent fits: one row per cell line, agent and dose.

    Returns
    -------
    DataFrame
        ``cell_line, agent, unit, dose, replicate, viability, n_wells``; vehicle points
        (dose 0) are repeated for every agent of their cell line.
    """
    pts = _points(_use_wells(wells, exclude_outliers), fit_on)
    single = pts[(pts["type"] == "treated") & ~pts["agents"].str.contains("+", regex=False)]
    out = []
    for (line, agent), part in single.groupby(["cell_line", "agents"], sort=False):
        veh = pts[(pts["type"] == "vehicle") & (pts["cell_line"] == line)]
        rows = pd.concat([part, veh.assign(dose=0.0)], ignore_index=True)
        rows = rows.assign(agent=agent, unit=part["unit"].iloc[0])
        out.append(rows[["cell_line", "agent", "unit", "dose", "replicate", "viability",
                         "n_wells"]])
    if not out:
        return pd.DataFrame(columns=["cell_line", "agent", "unit", "dose", "replicate",
                                     "viability", "n_wells"])
    return pd.concat(out, ignore_index=True)


_MIX_COLUMNS = ["cell_line", "mixture", "agent_1", "agent_2", "unit_1", "unit_2", "ratio_1",
                "ratio_2", "dose", "replicate", "viability", "n_wells"]


def mixture_data(wells: pd.DataFrame, *, fit_on: str = "replicate_means",
                 exclude_outliers: bool = False) -> pd.DataFrame:
    """Points for the fixed-ratio two-agent mixture fits.

    Mixture wells of one cell line whose dose proportions agree within 0.1 % form one
    fixed-ratio series; its dose is the formal total (sum of the component doses, each
    in its own unit, as in :func:`blotquant.viability.combination.combination_index`).

    Returns
    -------
    DataFrame
        ``cell_line, mixture`` (label ``"a + b P:Q (unit_a:unit_b)"``, agents sorted by
        name), ``agent_1, agent_2, unit_1, unit_2``, ``ratio_1, ratio_2`` (agent dose per
        unit of total dose), ``dose`` (total; 0 for the vehicle points, repeated for every
        mixture of their cell line), ``replicate, viability, n_wells``.
    """
    from blotquant.viability.combination import _mixture_label

    pts = _points(_use_wells(wells, exclude_outliers), fit_on)
    mix = pts[(pts["type"] == "treated") & pts["agents"].str.contains("+", regex=False)]
    out = []
    for line, part in mix.groupby("cell_line", sort=False):
        parsed = [parse_treatment(t, where=f"cell line {line!r} treatment")
                  for t in part["treatment"]]
        keep = [len(t.components) == 2 for t in parsed]
        part = part[keep]
        parsed = [t for t, k in zip(parsed, keep, strict=True) if k]
        clusters: list[tuple[tuple[str, str], float, list[int]]] = []
        for i, t in enumerate(parsed):
            names = tuple(sorted((c.agent for c in t.components), key=str.lower))
            d = np.array([t.dose_of(a) for a in names])
            prop = float(d[0] / d.sum())
            for ag, ref, members in clusters:
                if ag == names and abs(prop / ref - 1) < 1e-3 and abs(
                        (1 - prop) / (1 - ref) - 1) < 1e-3:
                    members.append(i)
                    break
            else:
                clusters.append((names, prop, [i]))
        veh = pts[(pts["type"] == "vehicle") & (pts["cell_line"] == line)]
        for names, _, members in clusters:
            rows = part.iloc[members]
            comps = np.array([[parsed[i].dose_of(a) for a in names] for i in members])
            units = [next(c.unit for c in parsed[members[0]].components if c.agent == a)
                     for a in names]
            total = comps.sum(axis=1)
            props = (comps / total[:, None]).mean(axis=0)
            label = _mixture_label(list(names), units, props)
            sub = pd.DataFrame({"dose": total, "replicate": rows["replicate"].to_numpy(),
                                "viability": rows["viability"].to_numpy(float),
                                "n_wells": rows["n_wells"].to_numpy()})
            vsub = pd.DataFrame({"dose": 0.0, "replicate": veh["replicate"].to_numpy(),
                                 "viability": veh["viability"].to_numpy(float),
                                 "n_wells": veh["n_wells"].to_numpy()})
            both = pd.concat([sub, vsub], ignore_index=True).assign(
                cell_line=line, mixture=label, agent_1=names[0], agent_2=names[1],
                unit_1=units[0], unit_2=units[1], ratio_1=float(props[0]),
                ratio_2=float(props[1]))
            out.append(both[_MIX_COLUMNS])
    if not out:
        return pd.DataFrame(columns=_MIX_COLUMNS)
    return pd.concat(out, ignore_index=True)


def _as_plates(plates: pd.DataFrame | str | Path | Sequence[str | Path]) -> pd.DataFrame:
    if isinstance(plates, pd.DataFrame):
        return plates
    paths = [plates] if isinstance(plates, str | Path) else list(plates)
    return read_plates(paths)


def _as_layout(layout: pd.DataFrame | str | Path) -> pd.DataFrame:
    if isinstance(layout, str | Path):
        return read_layout(layout)
    if "agents" in layout.columns and "row" in layout.columns:
        return layout
    return layout_from_table(layout.astype(object).fillna(""), source="layout table")


def _combination(wells: pd.DataFrame, params: ViabilityParams, notes: list[str]) -> pd.DataFrame:
    mix = wells[(wells["type"] == "treated") & wells["agents"].str.contains("+", regex=False)]
    if mix.empty or not params.combination:
        return pd.DataFrame()
    from blotquant.viability.combination import combination_index

    lines = mix["cell_line"].unique()
    agents = {a for s in mix["agents"] for a in s.split("+")}
    data = wells[wells["cell_line"].isin(lines) & wells["viability"].notna()
                 & (wells["type"] == "treated")]
    data = data[data["agents"].map(lambda s: set(s.split("+")) <= agents)]
    if params.exclude_outliers:
        data = data[~data["outlier"]]
    try:
        res = combination_index(data[["cell_line", "treatment", "viability"]].reset_index(
            drop=True), treatment="treatment", response="viability", scale="viability_percent",
            by="cell_line", interval=params.combination_interval)
    except InvalidInputError as exc:
        notes.append(f"combination index not computed: {exc}")
        return pd.DataFrame()
    return res.ci


# ------------------------------------------------------------------ fits per replicate


def _fit(part: pd.DataFrame, model: str, label: str) -> object | None:
    """Fit one curve; None when the data cannot be fitted (too few doses...)."""
    from blotquant.viability.doseresponse import fit_curve

    x = part["dose"].to_numpy(float)
    y = part["viability"].to_numpy(float)
    try:
        return fit_curve(x, y, model=model, curve=label)
    except InvalidInputError:
        return None


def _replicate_fits(points: pd.DataFrame, keys: list[str], model: str) -> dict[tuple, object]:
    fits: dict[tuple, object] = {}
    for key, part in points.groupby([*keys, "replicate"], sort=False):
        if (part["dose"] > 0).sum() == 0:
            continue
        fits[key] = _fit(part, model, " | ".join(map(str, key)))
    return fits


def _replicate_ed(rep_fits: Mapping[tuple, object], units: Mapping[tuple, str],
                  levels: Sequence[float]) -> pd.DataFrame:
    from blotquant.viability.ed import effective_dose

    rows = []
    for (line, agent, rep), fit in rep_fits.items():
        for kind in ("relative", "absolute"):
            if fit is None:
                for v in levels:
                    rows.append({"cell_line": line, "agent": agent,
                                 "unit": units[(line, agent)], "replicate": rep,
                                 "type": kind, "level": v, "estimate": math.nan,
                                 "reached": False, "converged": False,
                                 "note": "too few data to fit this replicate"})
                continue
            ed = effective_dose(fit, list(levels), type=kind, interval="none")
            for r in ed.itertuples(index=False):
                rows.append({"cell_line": line, "agent": agent, "unit": units[(line, agent)],
                             "replicate": rep, "type": kind, "level": float(r.level),
                             "estimate": float(r.estimate), "reached": bool(r.reached),
                             "converged": bool(fit.converged), "note": str(r.note)})
    return pd.DataFrame(rows, columns=list(REPLICATE_ED_COLUMNS))


def _merge_ed(pooled: pd.DataFrame, reps: pd.DataFrame, params: ViabilityParams) -> pd.DataFrame:
    out = pooled.copy()
    out["n_replicates"] = 0
    out["n_used"] = 0
    out["sd_log10"] = math.nan
    out["pooled_estimate"] = out["estimate"]
    out["pooled_lower"] = out["lower"]
    out["pooled_upper"] = out["upper"]
    out["pooled_interval"] = out["interval"]
    out["note"] = out["note"].astype(object)
    out["interval"] = out["interval"].astype(object)
    keys = ["cell_line", "agent", "type", "level"]
    groups = {k: g for k, g in reps.groupby(keys, sort=False)} if len(reps) else {}
    for i in out.index:
        key = tuple(out.loc[i, keys])
        g = groups.get(key)
        if g is None:
            continue
        vals = g["estimate"].to_numpy(float)
        est, lo, hi, n, sd = replicate_interval(vals, level=params.level)
        out.loc[i, ["n_replicates", "n_used", "sd_log10"]] = [len(g), n, sd]
        if params.interval != "replicates":
            continue
        notes = [str(out.loc[i, "note"])] if out.loc[i, "note"] else []
        if n < len(g):
            notes.append(f"{len(g) - n} of {len(g)} replicate fits do not reach the level")
        if n >= 2:
            se = est * math.log(10.0) * sd / math.sqrt(n)
            out.loc[i, ["estimate", "se", "lower", "upper", "df"]] = [est, se, lo, hi, n - 1]
            out.loc[i, "interval"] = "replicates"
        elif len(g) < 2:
            notes.append("one biological replicate: pooled-fit interval reported (it "
                         "reflects within-experiment variation only)")
        else:
            notes.append(f"replicate interval needs >= 2 replicates reaching the level, "
                         f"got {n}; pooled-fit interval reported")
        out.loc[i, "note"] = "; ".join(notes)
    return out


# ------------------------------------------------------------------ 4PL-based Loewe CI


def _as_curve(fit: object, params: Mapping[str, float] | None = None) -> object:
    return SimpleNamespace(params=dict(params if params is not None else fit.params),
                           model=fit.model, curve=fit.curve)


def _loewe_value(s1: object, s2: object, mix: object, r1: float, r2: float,
                 y: float) -> tuple[float, float, str]:
    """Loewe CI at response ``y``: (ci, total mixture dose, reason if NaN)."""
    from blotquant.viability.combination import _curve_inverse, loewe_ci

    total, why = _curve_inverse(mix, y)
    if not math.isfinite(total):
        return math.nan, math.nan, f"mixture: {why}"
    ci, _, why = loewe_ci([s1, s2], [r1 * total, r2 * total], y)
    return ci, total, why


def _usable(fit: object | None) -> bool:
    return fit is not None and fit.converged and all(
        np.isfinite(fit.params[n]) for n in fit.param_names)


def _loewe_delta(fits: Sequence[object], r1: float, r2: float, y: float, ci: float,
                 level: float) -> tuple[float, float]:
    """Delta-method interval of log CI (independent fits, central differences)."""
    var = 0.0
    df = min(max(int(f.df), 1) for f in fits)
    for k, fit in enumerate(fits):
        names = list(fit.param_names)
        cov = np.asarray(fit.covariance, dtype=float)
        if cov.shape != (len(names), len(names)) or not np.all(np.isfinite(cov)):
            return math.nan, math.nan
        grad = np.zeros(len(names))
        for j, name in enumerate(names):
            val = float(fit.params[name])
            h = 1e-5 * max(abs(val), 1e-3)
            vals = []
            for sign in (1.0, -1.0):
                p = dict(fit.params)
                p[name] = val + sign * h
                curves = [_as_curve(f) for f in fits]
                curves[k] = _as_curve(fit, p)
                c, _, _ = _loewe_value(*curves, r1, r2, y)
                vals.append(math.log(c) if c > 0 else math.nan)
            grad[j] = (vals[0] - vals[1]) / (2 * h)
        if not np.all(np.isfinite(grad)):
            return math.nan, math.nan
        var += float(grad @ cov @ grad)
    if not var >= 0:
        return math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, df)) * math.sqrt(var)
    return ci * math.exp(-half), ci * math.exp(half)


def _call(lower: float, upper: float) -> str:
    if not (math.isfinite(lower) and math.isfinite(upper)):
        return "undetermined"
    if upper < 1:
        return "synergy"
    if lower > 1:
        return "antagonism"
    return "additive"


def _loewe_table(wells: pd.DataFrame, pooled_single: Mapping[tuple, object],
                 rep_single: Mapping[tuple, object], params: ViabilityParams,
                 notes: list[str]) -> pd.DataFrame:
    from blotquant.viability.combination import interpret_ci

    pooled_pts = mixture_data(wells, fit_on=params.fit_on,
                              exclude_outliers=params.exclude_outliers)
    if pooled_pts.empty or not params.combination:
        return pd.DataFrame(columns=list(LOEWE_COLUMNS))
    well_pts = mixture_data(wells, fit_on="wells", exclude_outliers=params.exclude_outliers)
    single_means = curve_data(wells, fit_on="replicate_means",
                              exclude_outliers=params.exclude_outliers)
    mix_means = mixture_data(wells, fit_on="replicate_means",
                             exclude_outliers=params.exclude_outliers)
    rows = []
    for (line, label), part in pooled_pts.groupby(["cell_line", "mixture"], sort=False):
        a1, a2 = part["agent_1"].iloc[0], part["agent_2"].iloc[0]
        u1, u2 = part["unit_1"].iloc[0], part["unit_2"].iloc[0]
        r1, r2 = float(part["ratio_1"].iloc[0]), float(part["ratio_2"].iloc[0])
        s1, s2 = pooled_single.get((line, a1)), pooled_single.get((line, a2))
        if s1 is None or s2 is None:
            notes.append(f"{line} | {label}: Loewe CI needs single-agent curves of both agents")
            continue
        mix = _fit(part, params.model, f"{line} | {label}")
        # per-replicate mixture fits
        wpart = well_pts[(well_pts["cell_line"] == line) & (well_pts["mixture"] == label)]
        reps = [r for r in pd.unique(wpart.loc[wpart["dose"] > 0, "replicate"])]
        rep_mix = {r: _fit(wpart[wpart["replicate"] == r], params.model,
                           f"{line} | {label} | {r}") for r in reps}
        # observed response ranges (replicate means, treated points only)
        ranges = []
        for sub in (single_means[(single_means["cell_line"] == line)
                                 & (single_means["agent"] == a)] for a in (a1, a2)):
            means = sub[sub["dose"] > 0].groupby("dose")["viability"].mean()
            ranges.append((means.min(), means.max()))
        msub = mix_means[(mix_means["cell_line"] == line) & (mix_means["mixture"] == label)]
        mm = msub[msub["dose"] > 0].groupby("dose")["viability"].mean()
        ranges.append((mm.min(), mm.max()))
        for fa in params.loewe_fa_levels:
            y = 100.0 * (1.0 - float(fa))
            note: list[str] = []
            ci = total = lo = hi = math.nan
            if _usable(mix) and _usable(s1) and _usable(s2):
                ci, total, why = _loewe_value(s1, s2, mix, r1, r2, y)
                if why:
                    note.append(why)
                elif math.isfinite(ci):
                    lo, hi = _loewe_delta([s1, s2, mix], r1, r2, y, ci, params.level)
            else:
                note.append("a pooled fit did not converge")
            rep_vals = []
            for r in reps:
                f1, f2 = rep_single.get((line, a1, r)), rep_single.get((line, a2, r))
                fm = rep_mix.get(r)
                if _usable(f1) and _usable(f2) and _usable(fm):
                    rep_vals.append(_loewe_value(f1, f2, fm, r1, r2, y)[0])
                else:
                    rep_vals.append(math.nan)
            est, rlo, rhi, n, sd = replicate_interval(rep_vals, level=params.level)
            primary = (ci, lo, hi, "delta" if math.isfinite(lo) else "none")
            if params.interval == "replicates" and n >= 2:
                primary = (est, rlo, rhi, "replicates")
                if n < len(reps):
                    note.append(f"Loewe CI undefined in {len(reps) - n} of {len(reps)} "
                                "replicates")
            elif params.interval == "replicates" and math.isfinite(ci):
                note.append("one biological replicate: pooled delta interval reported"
                            if len(reps) < 2 else
                            f"replicate interval needs >= 2 replicates with a defined CI, "
                            f"got {n}; pooled delta interval reported")
            extrap = any(not (lo_r <= y <= hi_r) for lo_r, hi_r in ranges
                         if np.isfinite(lo_r) and np.isfinite(hi_r))
            if extrap and math.isfinite(primary[0]):
                note.append("extrapolated: level outside the observed response range")
            dose_text = (f"{a1} {total * r1:.4g} {u1} + {a2} {total * r2:.4g} {u2}"
                         if math.isfinite(total) else "")
            rows.append({"cell_line": line, "mixture": label, "fa": float(fa), "effect": y,
                         "mixture_dose": total, "doses": dose_text, "loewe_ci": primary[0],
                         "ci_lower": primary[1], "ci_upper": primary[2],
                         "interval": primary[3], "n_replicates": len(reps), "n_used": n,
                         "sd_log10": sd, "pooled_ci": ci, "pooled_lower": lo,
                         "pooled_upper": hi, "extrapolated": bool(extrap),
                         "call": _call(primary[1], primary[2]),
                         "interpretation": interpret_ci(primary[0]),
                         "note": "; ".join(note)})
    return pd.DataFrame(rows, columns=list(LOEWE_COLUMNS))


def analyze_viability(
    plates: pd.DataFrame | str | Path | Sequence[str | Path],
    layout: pd.DataFrame | str | Path,
    *,
    reference_wavelength: float | None = None,
    wavelength: float | None = None,
    measurement: str | None = None,
    model: str = "LL.4",
    fit_on: str = "replicate_means",
    exclude_outliers: bool = False,
    interval: str = "replicates",
    pooled_interval: str = "tfls",
    level: float = 0.95,
    combination: bool = True,
    combination_interval: str = "delta",
    loewe_fa_levels: Sequence[float] = (0.25, 0.5, 0.75, 0.9),
    qc: QCParams | None = None,
) -> ViabilityResult:
    """Analyse MTT plates: normalise, QC, fit, IC50s, combination indices.

    Parameters
    ----------
    plates : DataFrame, path or sequence of paths
        A plate table (:func:`blotquant.viability.plates.read_plate`) or export files.
    layout : DataFrame or path
        Layout (:func:`blotquant.viability.layout.read_layout` or a long table).
    reference_wavelength : float, optional
        Subtracted from the measurement wavelength well by well (e.g. 630).
    wavelength : float, optional
        Measurement wavelength when the files hold several.
    measurement : str, optional
        Read label to use when a file has several reads at one wavelength.
    model : str
        drc model of the single-agent and mixture curves (default ``"LL.4"``).
    fit_on : {"replicate_means", "wells"}
        Data of the pooled fits: biological-replicate means (default) or every well.
    exclude_outliers : bool
        Leave flagged wells out of normalisation, summaries and fits (they stay in
        ``wells``, flagged). Default False: flag only.
    interval : {"replicates", "tfls", "delta", "profile", "none"}
        Primary IC50 and Loewe-CI interval. ``"replicates"`` (default): one fit per
        biological replicate, geometric mean and t interval over replicates (module
        docstring); falls back to the pooled interval with fewer than 2 usable
        replicates. Any other value reports the pooled fit's interval as primary.
    pooled_interval : {"tfls", "delta", "profile", "none"}
        Delta-method/profile interval of the pooled fit (``pooled_*`` columns of ``ed``);
        ``tfls`` = log scale, never negative.
    level : float
        Confidence level of the IC50 and Loewe intervals.
    combination : bool
        Compute Chou-Talalay and Loewe CIs when the layout holds mixtures.
    combination_interval : {"delta", "bootstrap", "auto", "none"}
        Chou CI uncertainty (``combination_index``).
    loewe_fa_levels : sequence of float
        Effect levels (fraction affected) of the Loewe CI rows.
    qc : QCParams, optional
        QC thresholds.

    Returns
    -------
    ViabilityResult

    Raises
    ------
    InvalidInputError
        Unreadable or mismatched inputs (named), plates without blank/vehicle, unknown
        ``interval``.
    """
    from blotquant.viability.doseresponse import fit_curve, fits_table
    from blotquant.viability.ed import ED_COLUMNS, effective_dose

    if interval not in _INTERVALS:
        msg = f"`interval` must be one of {_INTERVALS}, got {interval!r}"
        raise InvalidInputError(msg)
    if pooled_interval not in _INTERVALS[1:]:
        msg = f"`pooled_interval` must be one of {_INTERVALS[1:]}, got {pooled_interval!r}"
        raise InvalidInputError(msg)
    if not 0 < level < 1:
        msg = f"`level` must be in (0, 1), got {level!r}"
        raise InvalidInputError(msg)
    bad_fa = [f for f in loewe_fa_levels if not 0 < f < 1]
    if bad_fa:
        msg = f"`loewe_fa_levels` must be fractions in (0, 1), got {bad_fa}"
        raise InvalidInputError(msg)
    if fit_on not in ("replicate_means", "wells"):
        msg = f"`fit_on` must be 'replicate_means' or 'wells', got {fit_on!r}"
        raise InvalidInputError(msg)
    params = ViabilityParams(wavelength=wavelength, reference_wavelength=reference_wavelength,
                             measurement=measurement, model=model, fit_on=fit_on,
                             exclude_outliers=exclude_outliers, interval=interval,
                             pooled_interval=pooled_interval, level=level,
                             combination=combination,
                             combination_interval=combination_interval,
                             loewe_fa_levels=tuple(float(f) for f in loewe_fa_levels),
                             qc=qc or QCParams())
    if interval != "replicates":
        pooled_interval = interval
    table = _as_plates(plates)
    lay = _as_layout(layout)
    readings = select_absorbance(table, wavelength=wavelength,
                                 reference_wavelength=reference_wavelength,
                                 measurement=measurement)
    matched = match_layout(table.drop_duplicates(["plate", "well"]), lay)
    wells = normalize_plates(readings, matched, qc=params.qc, exclude_outliers=exclude_outliers)
    qc_table = plate_qc(wells, params=params.qc)
    conditions = summarize_conditions(wells, exclude_outliers=exclude_outliers)
    replicates = replicate_means(wells, exclude_outliers=exclude_outliers)
    notes: list[str] = []
    points = curve_data(wells, fit_on=fit_on, exclude_outliers=exclude_outliers)
    curves = {}
    units: dict[tuple, str] = {}
    fit_rows, ed_rows = [], []
    for (line, agent), part in points.groupby(["cell_line", "agent"], sort=False):
        label = f"{line} | {agent}" if line else agent
        fit = fit_curve(part["dose"].to_numpy(float), part["viability"].to_numpy(float),
                        model=model, curve=label)
        unit = part["unit"].iloc[0]
        units[(line, agent)] = unit
        curves[(line, agent)] = fit
        fit_rows.append(fits_table(fit).assign(cell_line=line, agent=agent, unit=unit))
        for kind in ("relative", "absolute"):
            ed = effective_dose(fit, list(params.ic_levels), type=kind,
                                interval=pooled_interval, level=level)  # type: ignore[arg-type]
            ed_rows.append(ed.assign(cell_line=line, agent=agent, unit=unit,
                                     df=int(fit.df)))
        if not fit.converged:
            notes.append(f"{label}: fit did not converge ({fit.message})")
    well_points = curve_data(wells, fit_on="wells", exclude_outliers=exclude_outliers)
    rep_fits = _replicate_fits(well_points, ["cell_line", "agent"], model)
    rep_ed = _replicate_ed(rep_fits, units, params.ic_levels)
    lead = ["cell_line", "agent", "unit"]
    fits = pd.concat(fit_rows, ignore_index=True) if fit_rows else pd.DataFrame(columns=lead)
    fits = fits[lead + [c for c in fits.columns if c not in lead]]
    eds = pd.concat(ed_rows, ignore_index=True) if ed_rows else pd.DataFrame(columns=lead)
    eds = eds[lead + [c for c in eds.columns if c not in lead]]
    if len(eds):
        eds = _merge_ed(eds, rep_ed, params)
        eds = eds[[*lead, *ED_COLUMNS, *ED_EXTRA_COLUMNS]]
    combo = _combination(wells, params, notes)
    loewe = _loewe_table(wells, curves, rep_fits, params, notes)
    out_params = {"analysis": params.to_dict(), "notes": notes,
                  "plates": sorted(map(str, wells["plate"].unique())),
                  "n_outliers": int(wells["outlier"].sum())}
    if "format" in table.columns:
        out_params["formats"] = {str(s): str(f) for s, f in
                                 table[["source", "format"]].drop_duplicates().itertuples(
                                     index=False)}
    elif "format" in table.attrs:
        out_params["formats"] = {str(table.attrs.get("source", "")): table.attrs["format"]}
    return ViabilityResult(wells=wells, conditions=conditions, replicates=replicates,
                           qc=qc_table, fits=fits, ed=eds, combination=combo, curves=curves,
                           params=out_params, loewe=loewe, replicate_ed=rep_ed)


def treatment_dose(treatment: str, agent: str) -> float:
    """Dose of ``agent`` in canonical ``treatment`` text (0 if absent, NaN if unparsable)."""
    try:
        return parse_treatment(treatment).dose_of(agent)
    except InvalidInputError:
        return math.nan
