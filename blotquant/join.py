"""Pathway readouts joined with viability: correlations and IC50 comparisons.

Western blots and MTT plates of one experiment are joined on the **condition**
(``cell_line`` x canonical ``treatment`` text, :func:`blotquant.conditions.parse_treatment`),
not on the time point: lysates are typically taken at 24 h, viability read at 72 h.
Biological replicates are the unit of analysis; technical lanes and wells are averaged
before anything here sees them.

Three analyses, all on plain tables:

* :func:`join_replicates` / :func:`join_conditions` - one row per target, condition
  (and biological replicate), with the readout (fold change) and the viability.
* :func:`correlate` - per target and cell line: Pearson (Fisher-z interval) and
  Spearman (Fisher-z interval with the Bonett-Wright standard error) on condition
  means, and the repeated-measures correlation (rmcorr, Bakdash & Marusich 2017) on
  replicate-level pairs with the biological replicate as the subject. rmcorr uses the
  within-replicate covariation only, so replicate-to-replicate offsets (a stronger
  blot, a denser plate) neither create nor hide a correlation, and technical points
  are never pooled as if independent.
* :func:`fit_readouts` and :func:`ic50_ratio` - dose-response fits of the readouts
  themselves (e.g. p-S6 suppression against temsirolimus dose) with
  :func:`blotquant.viability.fit_curve`, and the ratio of the readout IC50 to the
  viability IC50 with a delta-method interval on the log scale.

:func:`results_table` turns the correlation and ratio tables into one table a paper
can quote.

References
----------
Bakdash JZ, Marusich LR (2017). Repeated measures correlation. Front Psychol 8:456.
Bland JM, Altman DG (1995). Calculating correlation coefficients with repeated
observations: Part 1 - correlation within subjects. BMJ 310:446.
Bonett DG, Wright TA (2000). Sample size requirements for estimating Pearson,
Kendall and Spearman correlations. Psychometrika 65:23-28.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from blotquant._schema import check_columns
from blotquant.conditions import parse_treatment
from blotquant.errors import InvalidInputError

__all__ = [
    "CONDITION_JOIN_COLUMNS",
    "CORRELATION_COLUMNS",
    "IC50_RATIO_COLUMNS",
    "REPLICATE_JOIN_COLUMNS",
    "RESULTS_COLUMNS",
    "Correlation",
    "ReadoutFits",
    "correlate",
    "correlation_ci",
    "fit_readouts",
    "ic50_ratio",
    "join_conditions",
    "join_replicates",
    "results_table",
    "rmcorr",
]

_KEY = ["cell_line", "treatment"]

#: Columns of :func:`join_replicates`.
REPLICATE_JOIN_COLUMNS: tuple[str, ...] = (
    "target", "cell_line", "treatment", "agents", "dose", "unit", "time", "replicate",
    "fold_change", "log2_fold_change", "n_flagged", "viability", "n_wells",
)
#: Columns of :func:`join_conditions`.
CONDITION_JOIN_COLUMNS: tuple[str, ...] = (
    "target", "cell_line", "treatment", "agents", "dose", "unit", "time", "n_blot",
    "fold_change_mean", "fold_change_sd", "log2_fold_change_mean", "n_viability",
    "viability_mean", "viability_sd",
)
#: Columns of :func:`correlate`.
CORRELATION_COLUMNS: tuple[str, ...] = (
    "target", "cell_line", "time", "method", "unit_of_analysis", "x", "y", "n",
    "n_replicates", "r", "ci_lower", "ci_upper", "level", "p", "df", "interval", "note",
)
#: Columns of :func:`ic50_ratio`.
IC50_RATIO_COLUMNS: tuple[str, ...] = (
    "target", "cell_line", "time", "agent", "unit", "type", "level", "readout_ic50",
    "readout_lower", "readout_upper", "readout_reached", "viability_ic50", "viability_lower",
    "viability_upper", "viability_reached", "ratio", "ratio_lower", "ratio_upper", "log_se",
    "df", "p_equal", "reached", "note",
)
#: Columns of :func:`results_table`.
RESULTS_COLUMNS: tuple[str, ...] = (
    "cell_line", "target", "time", "quantity", "method", "n", "estimate", "ci_lower",
    "ci_upper", "p", "text",
)


# --------------------------------------------------------------------------- helpers


def _canonical(text: object) -> str:
    """Canonical treatment label; unparsable text is kept as written (never guessed)."""
    try:
        return parse_treatment(text).label
    except InvalidInputError:
        return str(text)


def _with_key(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    out["cell_line"] = out["cell_line"].astype(object).where(out["cell_line"].notna(), "")
    out["cell_line"] = out["cell_line"].astype(str)
    out["treatment"] = [_canonical(t) for t in out["treatment"]]
    return out


def _rep_key(values: pd.Series) -> pd.Series:
    """Replicate labels as text (``1``, ``1.0`` and ``"1"`` are the same replicate)."""
    def one(v: object) -> str:
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()
    return values.map(one).astype(object)


def _log2(values: pd.Series) -> np.ndarray:
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    out = np.full(x.shape, np.nan)
    ok = np.isfinite(x) & (x > 0)
    out[ok] = np.log2(x[ok])
    return out


def _viability_types(table: pd.DataFrame) -> pd.DataFrame:
    if "type" in table.columns:
        return table[table["type"].isin(["vehicle", "treated"])]
    return table


# --------------------------------------------------------------------------- joins


def join_replicates(
    blot: pd.DataFrame,
    viability: pd.DataFrame,
    *,
    value: str = "fold_change",
    viability_value: str = "viability_mean",
) -> pd.DataFrame:
    """Pair readout and viability per condition and biological replicate.

    Parameters
    ----------
    blot : DataFrame
        Per biological replicate blot table
        (:data:`blotquant.experiment.REPLICATE_COLUMNS`): ``target, cell_line,
        treatment, agents, dose, unit, replicate`` and ``value``; ``time`` and
        ``n_flagged`` are used when present.
    viability : DataFrame
        Per biological replicate viability table
        (:attr:`blotquant.viability.ViabilityResult.replicates`): ``cell_line,
        treatment, replicate`` and ``viability_value``; ``type`` (only ``vehicle`` and
        ``treated`` rows are used) and ``n_wells`` when present.
    value : str
        Readout column of ``blot`` (default the fold change).
    viability_value : str
        Viability column of ``viability`` (default the replicate mean, % of vehicle).

    Returns
    -------
    DataFrame
        One row per target x condition x replicate present in both tables, columns
        :data:`REPLICATE_JOIN_COLUMNS`:

        * ``target, cell_line, treatment, agents, dose, unit, time``: the condition
          (``treatment`` canonical; ``time`` of the blot, ``""`` when absent);
        * ``replicate``: biological replicate label (text), the same experiment in both;
        * ``fold_change``: the readout (``value``); ``log2_fold_change`` (NaN for <= 0);
        * ``n_flagged``: flagged lanes behind the readout (0 when unknown);
        * ``viability``: viability of that replicate (% of vehicle);
        * ``n_wells``: wells behind the viability (NaN when unknown).

        Replicate labels are matched as text; when the two tables share no label the
        result is empty (pair conditions with :func:`join_conditions` instead).

    Raises
    ------
    InvalidInputError
        A required column is missing (named).
    """
    check_columns(blot, ["target", *_KEY, "agents", "dose", "unit", "replicate", value],
                  name="blot replicates table")
    check_columns(viability, [*_KEY, "replicate", viability_value],
                  name="viability replicates table")
    b = _with_key(blot)
    v = _with_key(_viability_types(viability))
    b["replicate"] = _rep_key(b["replicate"])
    v["replicate"] = _rep_key(v["replicate"])
    if "time" not in b.columns:
        b["time"] = ""
    b["time"] = b["time"].astype(object).where(b["time"].notna(), "").astype(str)
    if "n_flagged" not in b.columns:
        b["n_flagged"] = 0
    if "n_wells" not in v.columns:
        v["n_wells"] = np.nan
    v = (v.groupby([*_KEY, "replicate"], sort=False)
         .agg(viability=(viability_value, "mean"), n_wells=("n_wells", "sum"))
         .reset_index())
    b = b.rename(columns={value: "fold_change"})
    merged = b.merge(v, on=[*_KEY, "replicate"], how="inner", validate="many_to_one")
    merged["fold_change"] = pd.to_numeric(merged["fold_change"], errors="coerce")
    merged["log2_fold_change"] = _log2(merged["fold_change"])
    out = merged[list(REPLICATE_JOIN_COLUMNS)]
    return out.sort_values(["target", "cell_line", "time", "treatment", "replicate"],
                           kind="stable").reset_index(drop=True)


def join_conditions(
    blot: pd.DataFrame,
    viability: pd.DataFrame,
    *,
    value: str = "fold_change",
    viability_value: str = "viability_mean",
) -> pd.DataFrame:
    """Pair readout and viability condition means (each side over its own replicates).

    Parameters
    ----------
    blot : DataFrame
        Per biological replicate blot table (as for :func:`join_replicates`).
    viability : DataFrame
        Per biological replicate viability table (as for :func:`join_replicates`).
    value, viability_value : str
        Readout and viability columns.

    Returns
    -------
    DataFrame
        One row per target x condition present in both tables, columns
        :data:`CONDITION_JOIN_COLUMNS`:

        * ``target, cell_line, treatment, agents, dose, unit, time``: the condition;
        * ``n_blot``: biological replicates of the readout;
        * ``fold_change_mean, fold_change_sd``: mean and SD over them;
        * ``log2_fold_change_mean``: mean of the replicate log2 fold changes;
        * ``n_viability``: biological replicates of the viability;
        * ``viability_mean, viability_sd``: mean and SD of the replicate means.

    Raises
    ------
    InvalidInputError
        A required column is missing (named).
    """
    check_columns(blot, ["target", *_KEY, "agents", "dose", "unit", "replicate", value],
                  name="blot replicates table")
    check_columns(viability, [*_KEY, "replicate", viability_value],
                  name="viability replicates table")
    b = _with_key(blot)
    if "time" not in b.columns:
        b["time"] = ""
    b["time"] = b["time"].astype(object).where(b["time"].notna(), "").astype(str)
    b["fc"] = pd.to_numeric(b[value], errors="coerce")
    b["lfc"] = _log2(b["fc"])
    b = b[np.isfinite(b["fc"].to_numpy(dtype=float))]
    keys = ["target", *_KEY, "time"]
    bs = (b.groupby(keys, sort=False)
          .agg(agents=("agents", "first"), dose=("dose", "first"), unit=("unit", "first"),
               n_blot=("fc", "count"), fold_change_mean=("fc", "mean"),
               fold_change_sd=("fc", "std"), log2_fold_change_mean=("lfc", "mean"))
          .reset_index())
    v = _with_key(_viability_types(viability))
    v["via"] = pd.to_numeric(v[viability_value], errors="coerce")
    v = v[np.isfinite(v["via"].to_numpy(dtype=float))]
    vs = (v.groupby(_KEY, sort=False)
          .agg(n_viability=("via", "count"), viability_mean=("via", "mean"),
               viability_sd=("via", "std"))
          .reset_index())
    merged = bs.merge(vs, on=_KEY, how="inner", validate="many_to_one")
    return (merged[list(CONDITION_JOIN_COLUMNS)]
            .sort_values(["target", "cell_line", "time", "treatment"], kind="stable")
            .reset_index(drop=True))


# --------------------------------------------------------------------------- correlations


@dataclass(frozen=True)
class Correlation:
    """One correlation coefficient with its interval.

    Attributes
    ----------
    method : {"pearson", "spearman", "rmcorr"}
        Which coefficient.
    r : float
        The coefficient (NaN when not computable; see ``note``).
    ci_lower, ci_upper : float
        Confidence limits.
    level : float
        Confidence level.
    p : float
        Two-sided p-value of r = 0.
    n : int
        Observations used (points; for rmcorr all paired observations).
    df : float
        Degrees of freedom of the test (``n - 2``; rmcorr ``N - k - 1``).
    n_replicates : int
        Subjects (biological replicates) for rmcorr, else 0.
    interval : str
        How the interval was computed.
    note : str
        Why a value is missing, or ``""``.
    """

    method: str
    r: float
    ci_lower: float
    ci_upper: float
    level: float
    p: float
    n: int
    df: float
    n_replicates: int = 0
    interval: str = ""
    note: str = ""


def correlation_ci(r: float, n_eff: float, *, level: float = 0.95,
                   method: Literal["pearson", "spearman"] = "pearson") -> tuple[float, float]:
    """Fisher-z confidence interval of a correlation coefficient.

    Parameters
    ----------
    r : float
        The coefficient.
    n_eff : float
        Effective sample size: ``n`` for Pearson and Spearman; for rmcorr ``df + 2``.
    level : float
        Confidence level.
    method : {"pearson", "spearman"}
        ``"pearson"``: SE ``1 / sqrt(n - 3)``; ``"spearman"``: the Bonett-Wright SE
        ``sqrt((1 + r**2 / 2) / (n - 3))``.

    Returns
    -------
    tuple of float
        ``(lower, upper)``; NaN when ``n_eff <= 3`` or ``r`` is NaN; ``(r, r)`` when
        ``|r| == 1``.

    Examples
    --------
    >>> [round(v, 4) for v in correlation_ci(-0.5067697, 40)]   # rmcorr bland1995, df 38
    [-0.7067, -0.2319]
    """
    if not (0 < level < 1):
        msg = f"`level` must be in (0, 1), got {level}"
        raise InvalidInputError(msg)
    if not math.isfinite(r) or n_eff <= 3:
        return math.nan, math.nan
    if abs(r) >= 1:
        return float(r), float(r)
    se = 1.0 / math.sqrt(n_eff - 3)
    if method == "spearman":
        se *= math.sqrt(1.0 + r * r / 2.0)
    elif method != "pearson":
        msg = f"`method` must be 'pearson' or 'spearman', got {method!r}"
        raise InvalidInputError(msg)
    z = math.atanh(r)
    q = float(stats.norm.ppf(0.5 + level / 2))
    return math.tanh(z - q * se), math.tanh(z + q * se)


def _finite_pairs(x: Sequence[float], y: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if xa.shape != ya.shape:
        msg = f"x and y must have the same length, got {xa.size} and {ya.size}"
        raise InvalidInputError(msg)
    ok = np.isfinite(xa) & np.isfinite(ya)
    return xa[ok], ya[ok]


def _simple(method: str, x: Sequence[float], y: Sequence[float], level: float) -> Correlation:
    xa, ya = _finite_pairs(x, y)
    n = int(xa.size)
    interval = "fisher_z" if method == "pearson" else "fisher_z_bonett_wright"
    empty = Correlation(method, math.nan, math.nan, math.nan, level, math.nan, n,
                        float(max(n - 2, 0)), 0, interval, "")
    if n < 3:
        return Correlation(**{**empty.__dict__, "note": f"{n} points; need at least 3"})
    if np.ptp(xa) == 0 or np.ptp(ya) == 0:
        which = "readout" if np.ptp(xa) == 0 else "viability"
        return Correlation(**{**empty.__dict__, "note": f"{which} is constant"})
    res = stats.pearsonr(xa, ya) if method == "pearson" else stats.spearmanr(xa, ya)
    r = float(res.statistic)
    p = float(res.pvalue)
    lo, hi = correlation_ci(r, n, level=level, method=method)  # type: ignore[arg-type]
    note = "" if n > 3 else "3 points: no interval"
    return Correlation(method, r, lo, hi, level, p, n, float(n - 2), 0, interval, note)


def rmcorr(x: Sequence[float], y: Sequence[float], subject: Sequence[object], *,
           level: float = 0.95) -> Correlation:
    """Repeated-measures correlation (Bakdash & Marusich 2017).

    The ANCOVA ``y ~ subject + x`` (one intercept per subject, one common slope) is fitted
    by least squares (:class:`statsmodels.regression.linear_model.OLS`);

    ``r_rm = sign(slope) * sqrt(SS_x / (SS_x + SS_residual))``

    where ``SS_x`` is the sum of squares explained by ``x`` after the subjects. The
    test is the t test of the slope with ``df = N - k - 1`` (N observations, k
    subjects); the interval is Fisher's z with SE ``1 / sqrt(df - 1)``, as R's
    rmcorr >= 0.5 computes it.

    Parameters
    ----------
    x, y : sequence of float
        Paired measurements.
    subject : sequence
        Subject (here: biological replicate) of each pair.
    level : float
        Confidence level.

    Returns
    -------
    Correlation
        ``method="rmcorr"``; NaN with a ``note`` when fewer than 3 residual degrees of
        freedom remain or ``x`` / ``y`` do not vary within subjects. Subjects with one
        observation carry no within-subject information and are dropped (this does
        not change ``r`` or ``df``).

    Examples
    --------
    The published rmcorr example (bland1995: r = -0.5067697, df = 38, p = 0.000847,
    95 % CI -0.7067 to -0.2319) reproduces from the same formulas; see
    ``tests/test_join.py``.
    """
    import statsmodels.api as sm

    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    sa = np.asarray([str(s) for s in subject], dtype=object)
    if not (xa.size == ya.size == sa.size):
        msg = (f"rmcorr: x, y and subject must have the same length, got {xa.size}, "
               f"{ya.size}, {sa.size}")
        raise InvalidInputError(msg)
    ok = np.isfinite(xa) & np.isfinite(ya)
    xa, ya, sa = xa[ok], ya[ok], sa[ok]
    labels, counts = np.unique(sa, return_counts=True)
    keep = np.isin(sa, labels[counts >= 2])
    xa, ya, sa = xa[keep], ya[keep], sa[keep]
    subjects = list(dict.fromkeys(sa.tolist()))
    n, k = int(xa.size), len(subjects)
    df = n - k - 1
    interval = "fisher_z"
    empty = Correlation("rmcorr", math.nan, math.nan, math.nan, level, math.nan, n,
                        float(max(df, 0)), k, interval, "")
    if k < 1 or df < 2:
        return Correlation(**{**empty.__dict__,
                              "note": f"{n} paired points in {k} replicate(s): df = {df}; "
                                      "need >= 2 (2+ conditions in 2+ replicates)"})
    design = np.zeros((n, k))
    index = {s: i for i, s in enumerate(subjects)}
    design[np.arange(n), [index[s] for s in sa]] = 1.0
    xc = xa - (design @ (design.T @ xa / design.sum(axis=0)))
    yc = ya - (design @ (design.T @ ya / design.sum(axis=0)))
    if np.allclose(xc, 0) or np.allclose(yc, 0):
        which = "readout" if np.allclose(xc, 0) else "viability"
        return Correlation(**{**empty.__dict__,
                              "note": f"{which} does not vary within replicates"})
    full = sm.OLS(ya, np.column_stack([design, xa])).fit()
    reduced = sm.OLS(ya, design).fit()
    ss_res = float(full.ssr)
    ss_x = max(float(reduced.ssr) - ss_res, 0.0)
    slope = float(full.params[-1])
    r = math.copysign(math.sqrt(ss_x / (ss_x + ss_res)), slope) if ss_x + ss_res > 0 else 0.0
    p = float(full.pvalues[-1])
    lo, hi = correlation_ci(r, df + 2, level=level)
    return Correlation("rmcorr", r, lo, hi, level, p, n, float(df), k, interval, "")


def correlate(
    replicates: pd.DataFrame,
    conditions: pd.DataFrame | None = None,
    *,
    x: Literal["log2_fold_change", "fold_change"] = "log2_fold_change",
    level: float = 0.95,
    by: Sequence[str] = ("target", "cell_line", "time"),
) -> pd.DataFrame:
    """Correlate each readout with viability, per target and cell line.

    Parameters
    ----------
    replicates : DataFrame
        :func:`join_replicates` output (may be empty: then no rmcorr).
    conditions : DataFrame, optional
        :func:`join_conditions` output; when omitted, condition means are computed
        from ``replicates``.
    x : {"log2_fold_change", "fold_change"}
        Readout scale of Pearson and rmcorr (Spearman is the same on both). Fold changes
        are ratios, so the log scale is the default.
    level : float
        Confidence level.
    by : sequence of str
        Grouping columns.

    Returns
    -------
    DataFrame
        Three rows per group (``pearson``, ``spearman`` on condition means; ``rmcorr``
        on replicate-level pairs), columns :data:`CORRELATION_COLUMNS`:

        * ``target, cell_line, time``: the group;
        * ``method``: ``pearson``, ``spearman`` or ``rmcorr``;
        * ``unit_of_analysis``: ``condition means`` or ``replicates (within)``;
        * ``x, y``: the columns correlated (readout, ``viability``);
        * ``n``: points used; ``n_replicates``: replicates (subjects) for rmcorr;
        * ``r, ci_lower, ci_upper, level``: coefficient and interval;
        * ``p``: two-sided p-value; ``df``: degrees of freedom;
        * ``interval``: ``fisher_z`` or ``fisher_z_bonett_wright``;
        * ``note``: why a value is missing.
    """
    if x not in ("log2_fold_change", "fold_change"):
        msg = f"`x` must be 'log2_fold_change' or 'fold_change', got {x!r}"
        raise InvalidInputError(msg)
    by = list(by)
    check_columns(replicates, [*by, x, "viability", "replicate", "treatment"],
                  name="joined replicates table")
    if conditions is None:
        g = replicates.groupby([*by, "treatment"], sort=False)
        conditions = g.agg(fold_change_mean=("fold_change", "mean"),
                           log2_fold_change_mean=("log2_fold_change", "mean"),
                           viability_mean=("viability", "mean")).reset_index()
    check_columns(conditions, [*by, "viability_mean", f"{x}_mean"],
                  name="joined conditions table")
    groups = pd.concat([conditions[by], replicates[by]]).drop_duplicates()
    rows: list[dict[str, Any]] = []
    cx = f"{x}_mean"
    for key in groups.itertuples(index=False):
        sel_c = np.ones(len(conditions), bool)
        sel_r = np.ones(len(replicates), bool)
        for col, val in zip(by, key, strict=True):
            sel_c &= (conditions[col] == val).to_numpy()
            sel_r &= (replicates[col] == val).to_numpy()
        c = conditions[sel_c]
        r = replicates[sel_r]
        base = dict(zip(by, key, strict=True))
        results = [
            (_simple("pearson", c[cx], c["viability_mean"], level), "condition means", cx),
            (_simple("spearman", c[cx], c["viability_mean"], level), "condition means", cx),
            (rmcorr(r[x].to_numpy(float), r["viability"].to_numpy(float), r["replicate"],
                    level=level), "replicates (within)", x),
        ]
        for res, unit, xcol in results:
            rows.append({**base, "method": res.method, "unit_of_analysis": unit, "x": xcol,
                         "y": "viability", "n": res.n, "n_replicates": res.n_replicates,
                         "r": res.r, "ci_lower": res.ci_lower, "ci_upper": res.ci_upper,
                         "level": level, "p": res.p, "df": res.df,
                         "interval": res.interval, "note": res.note})
    return pd.DataFrame(rows, columns=[*by, *[c for c in CORRELATION_COLUMNS if c not in by]])


# --------------------------------------------------------------------------- readout curves


@dataclass(frozen=True)
class ReadoutFits:
    """Dose-response fits of blot readouts.

    Attributes
    ----------
    points : DataFrame
        Data fitted: ``target, cell_line, time, agent, unit, dose, replicate,
        fold_change`` (vehicle rows at dose 0 repeated for every agent).
    fits : DataFrame
        One row per curve: ``target, cell_line, time, agent, unit, curve`` then the
        columns of :func:`blotquant.viability.fits_table` (``b, c, d, e, ..., df,
        converged, message``) and ``note``.
    ed : DataFrame
        ``target, cell_line, time, agent, unit, df`` then
        :data:`blotquant.viability.ed.ED_COLUMNS`; the relative ED50 is the dose of
        half-maximal suppression (or induction) of the readout.
    curves : dict
        ``{(target, cell_line, time, agent): CurveFit}`` for figures.
    """

    points: pd.DataFrame
    fits: pd.DataFrame
    ed: pd.DataFrame
    curves: dict = field(default_factory=dict)


def fit_readouts(
    blot: pd.DataFrame,
    *,
    targets: Sequence[str] | None = None,
    model: str = "LL.4",
    interval: Literal["delta", "tfls", "profile", "none"] = "tfls",
    level: float = 0.95,
    value: str = "fold_change",
) -> ReadoutFits:
    """Fit a dose-response curve to each readout against each single agent's dose.

    Every target x cell line x time x agent with single-agent conditions is fitted on
    the biological-replicate values (vehicle at dose 0) with
    :func:`blotquant.viability.fit_curve`; the relative ED50 (halfway between the fitted plateaus: the IC50 of suppression for a
    falling readout, the EC50 of induction for a rising one) is reported. Series with
    too few doses for the model are listed in ``fits`` with a ``note`` and no numbers.

    Parameters
    ----------
    blot : DataFrame
        Per biological replicate blot table (``target, cell_line, treatment, replicate``
        and ``value``; ``time`` when present).
    targets : sequence of str, optional
        Targets to fit (default: every target with a dose series).
    model : str
        drc model (default ``"LL.4"``).
    interval : {"tfls", "delta", "profile", "none"}
        ED50 interval (``effective_dose``).
    level : float
        Confidence level.
    value : str
        Readout column.

    Returns
    -------
    ReadoutFits
    """
    from blotquant.viability.doseresponse import fit_curve, fits_table
    from blotquant.viability.ed import effective_dose

    check_columns(blot, ["target", *_KEY, "replicate", value], name="blot replicates table")
    b = _with_key(blot)
    if "time" not in b.columns:
        b["time"] = ""
    b["time"] = b["time"].astype(object).where(b["time"].notna(), "").astype(str)
    b["y"] = pd.to_numeric(b[value], errors="coerce")
    b = b[np.isfinite(b["y"].to_numpy(dtype=float))]
    if targets is not None:
        b = b[b["target"].isin(list(targets))]
    parsed = {t: parse_treatment(t) if t else None for t in b["treatment"].unique()}
    rows = []
    for row in b.itertuples(index=False):
        tr = parsed.get(row.treatment)
        if tr is None:
            continue
        if tr.is_vehicle:
            rows.append((row.target, row.cell_line, row.time, None, "", 0.0, row.replicate,
                         row.y))
        elif len(tr.components) == 1:
            comp = tr.components[0]
            rows.append((row.target, row.cell_line, row.time, comp.agent, comp.unit,
                         comp.dose, row.replicate, row.y))
    cols = ["target", "cell_line", "time", "agent", "unit", "dose", "replicate", "fold_change"]
    raw = pd.DataFrame(rows, columns=cols)
    series = raw[raw["agent"].notna()]
    pts = []
    for (tg, line, time, agent), part in series.groupby(
            ["target", "cell_line", "time", "agent"], sort=False):
        veh = raw[(raw["agent"].isna()) & (raw["target"] == tg) & (raw["cell_line"] == line)
                  & (raw["time"] == time)]
        pts.append(pd.concat([part, veh.assign(agent=agent, unit=part["unit"].iloc[0])],
                             ignore_index=True))
    points = (pd.concat(pts, ignore_index=True) if pts else raw.iloc[0:0]).astype(
        {"dose": float, "fold_change": float})
    fit_rows, ed_rows, curves = [], [], {}
    lead = ["target", "cell_line", "time", "agent", "unit"]
    for key, part in points.groupby(["target", "cell_line", "time", "agent"], sort=False):
        tg, line, time, agent = key
        unit = str(part["unit"].iloc[0])
        label = " | ".join(str(v) for v in (tg, line, time, agent) if v != "")
        base = {"target": tg, "cell_line": line, "time": time, "agent": agent, "unit": unit}
        doses = part["dose"].to_numpy(float)
        try:
            fit = fit_curve(doses, part["fold_change"].to_numpy(float), model=model,
                            curve=label)
        except InvalidInputError as exc:
            fit_rows.append(pd.DataFrame([{**base, "curve": label, "converged": False,
                                           "note": f"not fitted: {exc}"}]))
            continue
        curves[key] = fit
        note = ""
        try:
            ed = effective_dose(fit, [50.0], type="relative", interval=interval, level=level)
        except (OverflowError, FloatingPointError) as exc:  # an unbounded log-scale interval
            ed = effective_dose(fit, [50.0], type="relative", interval="delta", level=level)
            note = f"{interval} interval failed ({exc}); delta interval instead"
            ed = ed.assign(note=[f"{n}; {note}" if n else note for n in ed["note"]])
        fit_rows.append(fits_table(fit).assign(**base, note=note))
        ed_rows.append(ed.assign(**base, df=float(fit.df)))
    fits = pd.concat(fit_rows, ignore_index=True) if fit_rows else pd.DataFrame(
        columns=[*lead, "curve", "converged", "note"])
    fits = fits[lead + [c for c in fits.columns if c not in lead]]
    from blotquant.viability.ed import ED_COLUMNS

    eds = pd.concat(ed_rows, ignore_index=True) if ed_rows else pd.DataFrame(
        columns=[*lead, "df", *ED_COLUMNS])
    eds = eds[[*lead, "df"] + [c for c in eds.columns if c not in (*lead, "df")]]
    return ReadoutFits(points=points, fits=fits, ed=eds, curves=curves)


def ic50_ratio(
    readout_ed: pd.DataFrame,
    viability_ed: pd.DataFrame,
    *,
    level: float = 0.95,
    type: Literal["relative", "absolute"] = "relative",
) -> pd.DataFrame:
    """Ratio of a readout's IC50 to the viability IC50 of the same cell line and agent.

    ``ratio = IC50_readout / IC50_viability``. The two fits are independent (different
    assays), so on the log scale ``Var(log ratio) = (se_r / IC50_r)**2 +
    (se_v / IC50_v)**2`` (delta method, ``se`` from ``effective_dose``); the interval
    is ``exp(log ratio -/+ t * SE)`` with Welch-Satterthwaite degrees of freedom from
    the two fits' residual df (normal quantile when df is unknown). ``p_equal`` tests
    ratio = 1. A ratio below 1 means the pathway is suppressed at lower doses than
    viability falls.

    Parameters
    ----------
    readout_ed : DataFrame
        ``target, cell_line, agent, type, level, estimate, se, reached`` (and ``df``,
        ``lower``, ``upper``, ``time``, ``unit`` when present), e.g.
        :attr:`ReadoutFits.ed`.
    viability_ed : DataFrame
        ``cell_line, agent, type, level, estimate, se, reached`` (``df`` and
        ``lower``/``upper`` when present), e.g. the ``ed`` table of
        :func:`blotquant.viability.analyze_viability` with the fits' ``df`` merged in.
    level : float
        Confidence level.
    type : {"relative", "absolute"}
        Viability IC50 type to compare with (the readout's is relative: readouts have no
        natural absolute 50 %).

    Returns
    -------
    DataFrame
        Columns :data:`IC50_RATIO_COLUMNS`; ``reached`` is True only when both IC50s
        were reached within the tested doses; ``note`` says otherwise.
    """
    need = ["cell_line", "agent", "type", "level", "estimate", "se", "reached"]
    check_columns(readout_ed, ["target", *need], name="readout IC50 table")
    check_columns(viability_ed, need, name="viability IC50 table")
    q_level = 0.5 + level / 2
    r = readout_ed[(readout_ed["type"] == "relative")
                   & np.isclose(readout_ed["level"].astype(float), 50)].copy()
    v = viability_ed[(viability_ed["type"] == type)
                     & np.isclose(viability_ed["level"].astype(float), 50)].copy()
    for t in (r, v):
        for col in ("df", "lower", "upper"):
            if col not in t.columns:
                t[col] = np.nan
    if "time" not in r.columns:
        r["time"] = ""
    if "unit" not in r.columns:
        r["unit"] = v["unit"] if "unit" in v.columns else ""
    v = v[["cell_line", "agent", "estimate", "se", "lower", "upper", "df", "reached"]]
    m = r.merge(v, on=["cell_line", "agent"], how="inner", suffixes=("_r", "_v"))
    rows = []
    for row in m.itertuples(index=False):
        er, ev = float(row.estimate_r), float(row.estimate_v)
        ser, sev = float(row.se_r), float(row.se_v)
        note = []
        ratio = lo = hi = se = df = p = math.nan
        if math.isfinite(er) and math.isfinite(ev) and er > 0 and ev > 0:
            ratio = er / ev
            if math.isfinite(ser) and math.isfinite(sev):
                a2, b2 = (ser / er) ** 2, (sev / ev) ** 2
                se = math.sqrt(a2 + b2)
                dfr, dfv = float(row.df_r), float(row.df_v)
                if math.isfinite(dfr) and math.isfinite(dfv) and dfr > 0 and dfv > 0 and se > 0:
                    df = (a2 + b2) ** 2 / (a2 * a2 / dfr + b2 * b2 / dfv)
                    q = float(stats.t.ppf(q_level, df))
                    p = float(2 * stats.t.sf(abs(math.log(ratio)) / se, df))
                else:
                    q = float(stats.norm.ppf(q_level))
                    p = float(2 * stats.norm.sf(abs(math.log(ratio)) / se)) if se > 0 else math.nan
                lo, hi = ratio * _exp(-q * se), ratio * _exp(q * se)
            else:
                note.append("no standard error: no interval")
        else:
            note.append("an IC50 is missing (not reached or fit failed)")
        rr, vr = bool(row.reached_r), bool(row.reached_v)
        if not rr:
            note.append("readout IC50 not reached within the tested doses")
        if not vr:
            note.append("viability IC50 not reached within the tested doses")
        rows.append({
            "target": row.target, "cell_line": row.cell_line, "time": row.time,
            "agent": row.agent, "unit": row.unit, "type": type, "level": level,
            "readout_ic50": er, "readout_lower": float(row.lower_r),
            "readout_upper": float(row.upper_r), "readout_reached": rr,
            "viability_ic50": ev, "viability_lower": float(row.lower_v),
            "viability_upper": float(row.upper_v), "viability_reached": vr,
            "ratio": ratio, "ratio_lower": lo, "ratio_upper": hi, "log_se": se, "df": df,
            "p_equal": p, "reached": rr and vr, "note": "; ".join(note)})
    return pd.DataFrame(rows, columns=list(IC50_RATIO_COLUMNS))


def _exp(v: float) -> float:
    """``exp`` that returns inf instead of overflowing (unbounded intervals)."""
    return math.exp(v) if v < 700 else math.inf


# --------------------------------------------------------------------------- paper table


def _fmt(v: float, digits: int = 2) -> str:
    if not math.isfinite(v):
        return "NA"
    if v != 0 and (abs(v) >= 1e4 or abs(v) < 10 ** -(digits)):
        return f"{v:.{digits}g}"
    return f"{v:.{digits}f}"


def _fmt_p(p: float) -> str:
    if not math.isfinite(p):
        return "p = NA"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def results_table(correlations: pd.DataFrame, ratios: pd.DataFrame | None = None
                  ) -> pd.DataFrame:
    """One quotable table: correlations with viability and IC50 ratios.

    Parameters
    ----------
    correlations : DataFrame
        :func:`correlate` output.
    ratios : DataFrame, optional
        :func:`ic50_ratio` output.

    Returns
    -------
    DataFrame
        Columns :data:`RESULTS_COLUMNS`: ``cell_line, target, time``; ``quantity``
        (``correlation with viability`` or ``IC50 ratio vs viability (<agent>)``);
        ``method`` (``pearson``, ``spearman``, ``rmcorr``, ``delta (log)``); ``n``;
        ``estimate, ci_lower, ci_upper, p``; ``text``, e.g.
        ``"r = -0.91 (95% CI -0.98 to -0.62), p = 0.002, n = 8 condition means"``.
    """
    rows = []
    for c in correlations.itertuples(index=False):
        pct = f"{100 * float(c.level):g}%"
        unit = ("condition means" if c.method != "rmcorr"
                else f"pairs in {c.n_replicates} replicates")
        sym = {"pearson": "r", "spearman": "rho", "rmcorr": "r_rm"}[c.method]
        if math.isfinite(c.r):
            text = (f"{sym} = {_fmt(c.r)} ({pct} CI {_fmt(c.ci_lower)} to {_fmt(c.ci_upper)}), "
                    f"{_fmt_p(c.p)}, n = {c.n} {unit}")
        else:
            text = f"{sym} not computed: {c.note}"
        rows.append({"cell_line": c.cell_line, "target": c.target, "time": c.time,
                     "quantity": "correlation with viability", "method": c.method, "n": c.n,
                     "estimate": c.r, "ci_lower": c.ci_lower, "ci_upper": c.ci_upper,
                     "p": c.p, "text": text})
    if ratios is not None:
        for q in ratios.itertuples(index=False):
            pct = f"{100 * float(q.level):g}%"
            if math.isfinite(q.ratio):
                text = (f"IC50 {_fmt(q.readout_ic50, 3)} vs {_fmt(q.viability_ic50, 3)} {q.unit}: "
                        f"ratio {_fmt(q.ratio)} ({pct} CI {_fmt(q.ratio_lower)} to "
                        f"{_fmt(q.ratio_upper)}), {_fmt_p(q.p_equal)}")
            else:
                text = "ratio not computed"
            if q.note:
                text += f" [{q.note}]"
            rows.append({"cell_line": q.cell_line, "target": q.target, "time": q.time,
                         "quantity": f"IC50 ratio vs viability ({q.agent})",
                         "method": "delta (log)", "n": 2, "estimate": q.ratio,
                         "ci_lower": q.ratio_lower, "ci_upper": q.ratio_upper,
                         "p": q.p_equal, "text": text})
    out = pd.DataFrame(rows, columns=list(RESULTS_COLUMNS))
    return out.sort_values(["cell_line", "target", "quantity"], kind="stable").reset_index(
        drop=True)
