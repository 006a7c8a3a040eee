"""Replicate summaries and tests against the reference condition.

Biological replicates are the unit of analysis: technical lanes of one sample on one
membrane are averaged first, then a biological replicate measured on several membranes
is averaged over them. Conditions are then summarised over biological replicates and
compared with the reference condition of the same target, cell line and time point
(Welch t-test from :func:`scipy.stats.ttest_ind`; family-wise correction by Dunnett's
test :func:`scipy.stats.dunnett` or by Holm on the Welch p-values with
:func:`statsmodels.stats.multitest.multipletests`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from blotquant._schema import check_columns
from blotquant.errors import InvalidInputError

__all__ = [
    "CONDITION_TABLE_COLUMNS",
    "FLAG_COLUMNS",
    "REPLICATE_COLUMNS",
    "compare_conditions",
    "summarize_replicates",
]

#: Flag columns of the per-lane table.
FLAG_COLUMNS: tuple[str, ...] = ("saturated", "below_detection", "loading_outlier",
                                 "outside_linear_range", "lane_missing")

_SAMPLE = ["target", "cell_line", "treatment", "agents", "dose", "unit", "time"]

#: Columns of :func:`summarize_replicates`.
REPLICATE_COLUMNS: tuple[str, ...] = (*_SAMPLE, "replicate", "is_reference", "n_lanes",
                                      "n_membranes", "n_flagged", "ratio", "fold_change")

#: Columns of :func:`compare_conditions`.
CONDITION_TABLE_COLUMNS: tuple[str, ...] = (
    *_SAMPLE, "reference", "n", "mean", "sd", "sem", "cv", "n_flagged", "p_welch", "p_anova",
    "p_adjusted", "method",
)


def summarize_replicates(
    lanes: pd.DataFrame,
    *,
    exclude_flags: Iterable[str] = (),
) -> pd.DataFrame:
    """Average technical lanes into one value per biological replicate.

    Parameters
    ----------
    lanes : DataFrame
        Per-lane table of :func:`blotquant.experiment.normalize_lanes`.
    exclude_flags : iterable of str
        Lanes carrying any of these flags (columns of :data:`FLAG_COLUMNS`) are left out.
        By default every lane with a finite fold change is used and flagged lanes are
        counted in ``n_flagged``.

    Returns
    -------
    DataFrame
        One row per target x sample x replicate, columns :data:`REPLICATE_COLUMNS`:

        * ``target, cell_line, treatment, agents, dose, unit, time, replicate``
        * ``is_reference``: the sample is a reference on its membrane(s)
        * ``n_lanes``: technical lanes used; ``n_membranes``: membranes they were on
        * ``n_flagged``: lanes used that carry any flag
        * ``ratio``: mean ratio (mean over membranes of the per-membrane mean)
        * ``fold_change``: mean fold change, same averaging
    """
    check_columns(lanes, (*_SAMPLE, "replicate", "membrane", "is_reference", "ratio",
                          "fold_change", *FLAG_COLUMNS), name="per-lane table")
    exclude = list(exclude_flags)
    unknown = [f for f in exclude if f not in FLAG_COLUMNS]
    if unknown:
        msg = f"`exclude_flags`: unknown flag(s) {unknown}; use {list(FLAG_COLUMNS)}"
        raise InvalidInputError(msg)
    df = lanes[np.isfinite(lanes["fold_change"].to_numpy(dtype=float))].copy()
    flags = df[list(FLAG_COLUMNS)].fillna(False).astype(bool)
    if exclude:
        df = df[~flags[exclude].any(axis=1).to_numpy()]
        flags = flags.loc[df.index]
    df["_flagged"] = flags.any(axis=1).to_numpy()
    df["_ref"] = df["is_reference"].fillna(False).astype(bool)
    keys = [*_SAMPLE, "replicate"]
    per_membrane = (df.groupby([*keys, "membrane"], sort=False, dropna=False)
                    .agg(ratio=("ratio", "mean"), fold_change=("fold_change", "mean"),
                         n_lanes=("fold_change", "size"), n_flagged=("_flagged", "sum"),
                         is_reference=("_ref", "any"))
                    .reset_index())
    out = (per_membrane.groupby(keys, sort=False, dropna=False)
           .agg(is_reference=("is_reference", "any"), n_lanes=("n_lanes", "sum"),
                n_membranes=("membrane", "nunique"), n_flagged=("n_flagged", "sum"),
                ratio=("ratio", "mean"), fold_change=("fold_change", "mean"))
           .reset_index())
    out["n_flagged"] = out["n_flagged"].astype(int)
    return out.loc[:, list(REPLICATE_COLUMNS)]


@contextmanager
def _zero_variance_ok() -> Iterator[None]:
    # A reference group of identical fold changes (one reference lane per blot: all 1)
    # has variance exactly 0; scipy warns about "precision loss" for it, which here is
    # expected and harmless (its contribution to the pooled variance is 0).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Precision loss occurred",
                                category=RuntimeWarning)
        yield


def _constant(a: np.ndarray) -> bool:
    return bool(np.ptp(a) <= 1e-9 * max(float(np.max(np.abs(a))), 1e-300))


def _welch(a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 2 or b.size < 2:
        return math.nan
    if _constant(a) and _constant(b):
        return math.nan
    if _constant(b):
        # Welch's t with a zero-variance group is the one-sample t-test against its value
        return float(stats.ttest_1samp(a, float(np.mean(b))).pvalue)
    if _constant(a):
        return float(stats.ttest_1samp(b, float(np.mean(a))).pvalue)
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def _pooled_ok(groups: list[np.ndarray]) -> bool:
    return all(g.size >= 2 for g in groups) and not all(_constant(g) for g in groups)


def compare_conditions(
    replicates: pd.DataFrame,
    *,
    method: Literal["dunnett", "holm"] = "dunnett",
) -> pd.DataFrame:
    """Summarise each condition over biological replicates and test it against its reference.

    Parameters
    ----------
    replicates : DataFrame
        Output of :func:`summarize_replicates`.
    method : {"dunnett", "holm"}
        Multiple-comparison procedure for ``p_adjusted`` within each family (target x
        cell line x time): Dunnett's many-to-one test on the fold changes, or Holm's
        correction of the Welch p-values.

    Returns
    -------
    DataFrame
        One row per target x condition, columns :data:`CONDITION_TABLE_COLUMNS`:

        * ``target, cell_line, treatment, agents, dose, unit, time``
        * ``reference``: treatment text of the reference condition it is compared with
        * ``n``: biological replicates; ``mean, sd, sem``: of the fold change (sd with
          ddof = 1, NaN for n < 2); ``cv``: sd / mean (a fraction, 0.1 = 10 %)
        * ``n_flagged``: technical lanes with any flag that went into the replicates
        * ``p_welch``: Welch t-test of the replicate fold changes against the reference
          condition (NaN for the reference itself, n < 2 or no variance); when the
          reference fold changes are all equal (one reference lane per blot: all 1), this
          is the one-sample t-test against that value, which Welch's test reduces to
        * ``p_anova``: one-way ANOVA over all conditions of the family
        * ``p_adjusted``: Dunnett or Holm p-value; ``method``: which one

    Notes
    -----
    The reference condition of a family is the condition whose replicates are marked
    ``is_reference``; with references at several time points, each time is its own
    family, and conditions at a time without a reference use the family's only
    reference condition when there is exactly one.
    """
    check_columns(replicates, REPLICATE_COLUMNS, name="replicate table")
    if method not in ("dunnett", "holm"):
        msg = f"`method` must be 'dunnett' or 'holm', got {method!r}"
        raise InvalidInputError(msg)
    df = replicates[np.isfinite(replicates["fold_change"].to_numpy(dtype=float))]
    rows: list[dict] = []
    cond_keys = ["treatment", "time"]
    for (target, cell_line), fam in df.groupby(["target", "cell_line"], sort=False):
        conds = fam.groupby(cond_keys, sort=False, dropna=False)
        refs = fam[fam["is_reference"].astype(bool)][cond_keys].drop_duplicates()
        ref_by_time = {}
        for r in refs.itertuples(index=False):
            ref_by_time.setdefault(r.time, []).append(r.treatment)
        only = [(t, tr[0]) for t, tr in ref_by_time.items()]
        summary: dict[tuple[str, str], dict] = {}
        values: dict[tuple[str, str], np.ndarray] = {}
        for (treatment, time), g in conds:
            v = g["fold_change"].to_numpy(dtype=float)
            values[(treatment, time)] = v
            n = v.size
            mean = float(v.mean())
            sd = float(v.std(ddof=1)) if n > 1 else math.nan
            first = g.iloc[0]
            if time in ref_by_time:
                ref = (time, ref_by_time[time][0])
            elif len(only) == 1:
                ref = only[0]
            else:
                ref = None
            summary[(treatment, time)] = {
                "target": target, "cell_line": cell_line, "treatment": treatment,
                "agents": first["agents"], "dose": first["dose"], "unit": first["unit"],
                "time": time, "reference": ref[1] if ref else "", "_ref": ref,
                "n": n, "mean": mean, "sd": sd,
                "sem": sd / math.sqrt(n) if n > 1 else math.nan,
                "cv": sd / mean if n > 1 and mean != 0 else math.nan,
                "n_flagged": int(g["n_flagged"].sum()),
                "p_welch": math.nan, "p_anova": math.nan, "p_adjusted": math.nan,
                "method": method,
            }
        # families: one per reference condition
        by_ref: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for key, s in summary.items():
            if s["_ref"] is not None and (s["_ref"][1], s["_ref"][0]) != key:
                by_ref.setdefault((s["_ref"][1], s["_ref"][0]), []).append(key)
        for ref_key, members in by_ref.items():
            if ref_key not in values:
                continue
            control = values[ref_key]
            pw = [_welch(values[k], control) for k in members]
            for k, p in zip(members, pw, strict=True):
                summary[k]["p_welch"] = p
            groups = [control, *(values[k] for k in members)]
            if _pooled_ok(groups):
                with _zero_variance_ok():
                    p_anova = float(stats.f_oneway(*groups).pvalue)
                for k in [ref_key, *members]:
                    summary[k]["p_anova"] = p_anova
            if method == "dunnett":
                if _pooled_ok(groups):
                    with _zero_variance_ok():
                        res = stats.dunnett(*(values[k] for k in members), control=control,
                                            random_state=0)
                    for k, p in zip(members, np.atleast_1d(res.pvalue), strict=True):
                        summary[k]["p_adjusted"] = float(p)
            else:
                finite = [i for i, p in enumerate(pw) if np.isfinite(p)]
                if finite:
                    adj = multipletests([pw[i] for i in finite], method="holm")[1]
                    for i, p in zip(finite, adj, strict=True):
                        summary[members[i]]["p_adjusted"] = float(p)
        rows.extend(summary.values())
    out = pd.DataFrame(rows, columns=[*CONDITION_TABLE_COLUMNS, "_ref"])
    return out.drop(columns="_ref").loc[:, list(CONDITION_TABLE_COLUMNS)]
