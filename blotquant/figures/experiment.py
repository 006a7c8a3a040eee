"""Experiment figures: replicate dot plots, readout dose-response, readout-viability scatter.

Every function draws tables computed elsewhere (:mod:`blotquant.experiment`,
:mod:`blotquant.join`) onto ``ax`` (a new house-style figure when ``ax`` is None)
and returns the Axes. Every biological replicate is shown as a point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from blotquant._schema import check_columns
from blotquant.conditions import parse_treatment
from blotquant.errors import InvalidInputError
from blotquant.figures.style import color_for, new_figure, style_context

__all__ = ["plot_correlation", "plot_readout_curves", "plot_replicates", "short_label",
           "stars"]


def stars(p: float) -> str:
    """Significance mark: ``***`` p < 0.001, ``**`` < 0.01, ``*`` < 0.05, else ``""``.

    Examples
    --------
    >>> stars(0.004), stars(0.2)
    ('**', '')
    """
    if not math.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def short_label(treatment: str) -> str:
    """Compact treatment text for axis labels (agent abbreviated to 4 letters).

    Examples
    --------
    >>> short_label("IFN-alpha 100 IU/mL + temsirolimus 10 nM")
    'IFN- 100 + tems 10'
    """
    try:
        t = parse_treatment(treatment)
    except InvalidInputError:
        return str(treatment)
    if t.is_vehicle:
        return "vehicle"
    return " + ".join(f"{c.agent[:4]} {c.dose:g}" for c in t.components)


def _axes(ax: Axes | None, height_mm: float = 55) -> Axes:
    if ax is not None:
        return ax
    _, new = new_figure("single", height_mm=height_mm)
    return new


def _order(treatments: Sequence[str]) -> list[str]:
    def key(t: str) -> tuple:
        try:
            p = parse_treatment(t)
        except InvalidInputError:
            return (9, t, 0.0)
        if p.is_vehicle:
            return (0, "", 0.0)
        return (len(p.components), p.agents, sum(c.dose for c in p.components))
    return sorted(dict.fromkeys(treatments), key=key)


def plot_replicates(
    replicates: pd.DataFrame,
    *,
    target: str,
    cell_line: str,
    conditions: pd.DataFrame | None = None,
    value: str = "fold_change",
    ax: Axes | None = None,
) -> Axes:
    """Dot plot of one target in one cell line: every biological replicate, mean +/- SD.

    Parameters
    ----------
    replicates : DataFrame
        :data:`blotquant.experiment.REPLICATE_COLUMNS` table (``target, cell_line,
        treatment, replicate`` and ``value``).
    target, cell_line : str
        What to draw.
    conditions : DataFrame, optional
        :data:`blotquant.experiment.CONDITION_TABLE_COLUMNS` table; its ``p_adjusted``
        is marked with stars above each condition (vs the reference).
    value : str
        Column to plot (default fold change vs the reference).
    ax : Axes, optional
        Where to draw.

    Returns
    -------
    Axes
        One scatter per replicate (colour = replicate), one mean bar and one SD
        error bar per condition; a dotted line at 1.
    """
    check_columns(replicates, ["target", "cell_line", "treatment", "replicate", value],
                  name="replicates table")
    sub = replicates[(replicates["target"] == target) & (replicates["cell_line"] == cell_line)]
    if sub.empty:
        msg = f"plot_replicates: no rows for target {target!r} in cell line {cell_line!r}"
        raise InvalidInputError(msg)
    order = _order(sub["treatment"].astype(str).tolist())
    pos = {t: i for i, t in enumerate(order)}
    reps = list(dict.fromkeys(sub["replicate"].astype(str)))
    ax = _axes(ax)
    with style_context():
        for j, rep in enumerate(reps):
            part = sub[sub["replicate"].astype(str) == rep]
            x = np.array([pos[t] for t in part["treatment"].astype(str)], float)
            x = x + (j - (len(reps) - 1) / 2) * 0.12
            ax.scatter(x, pd.to_numeric(part[value], errors="coerce"), s=10,
                       color=color_for(j + 1), label=f"replicate {rep}", zorder=3,
                       linewidths=0)
        top = float(np.nanmax(pd.to_numeric(sub[value], errors="coerce").to_numpy(float)))
        for t in order:
            vals = pd.to_numeric(sub.loc[sub["treatment"].astype(str) == t, value],
                                 errors="coerce").dropna().to_numpy(float)
            if vals.size == 0:
                continue
            m = float(vals.mean())
            sd = float(vals.std(ddof=1)) if vals.size > 1 else 0.0
            ax.plot([pos[t] - 0.25, pos[t] + 0.25], [m, m], color="0.2", lw=1.0)
            if vals.size > 1:
                ax.errorbar([pos[t]], [m], yerr=[sd], color="0.2", capsize=2, lw=0.6)
            if conditions is not None and "p_adjusted" in conditions.columns:
                c = conditions[(conditions["target"] == target)
                               & (conditions["cell_line"] == cell_line)
                               & (conditions["treatment"].astype(str) == t)]
                if not c.empty:
                    mark = stars(float(c["p_adjusted"].iloc[0]))
                    if mark:
                        ax.text(pos[t], top * 1.06, mark, ha="center", va="bottom",
                                fontsize=7)
        ax.axhline(1.0, color="0.6", lw=0.5, ls=":")
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels([short_label(t) for t in order], rotation=45, ha="right")
        ax.set_ylabel(f"{target}: {value.replace('_', ' ')}")
        ax.set_ylim(bottom=0, top=max(top * 1.18, 1.2))
        ax.set_title(cell_line, fontsize=7)
        ax.legend(loc="upper right", fontsize=5)
    return ax


def plot_readout_curves(readouts, *, target: str, cell_line: str, time: str | None = None,
                        ax: Axes | None = None) -> Axes:
    """A readout against the dose of each single agent, with fitted curves and bands.

    Parameters
    ----------
    readouts : blotquant.join.ReadoutFits
        From :func:`blotquant.join.fit_readouts`.
    target, cell_line : str
        What to draw.
    time : str, optional
        Time point (default: the first).
    ax : Axes, optional
        Where to draw.

    Returns
    -------
    Axes
        :func:`blotquant.figures.viability.plot_dose_response` with one curve per agent
        (doses in each agent's own unit).
    """
    from blotquant.figures.viability import plot_dose_response

    pts = readouts.points
    sub = pts[(pts["target"] == target) & (pts["cell_line"] == cell_line)]
    if time is not None:
        sub = sub[sub["time"] == time]
    elif not sub.empty:
        sub = sub[sub["time"] == sub["time"].iloc[0]]
    if sub.empty:
        msg = f"plot_readout_curves: no points for {target!r} in {cell_line!r}"
        raise InvalidInputError(msg)
    t0 = sub["time"].iloc[0]
    units = dict(zip(sub["agent"], sub["unit"], strict=False))
    data = sub.assign(curve=[f"{a} ({units[a]})" for a in sub["agent"]])
    fits = {f"{a} ({units[a]})": fit for (tg, line, tm, a), fit in readouts.curves.items()
            if tg == target and line == cell_line and tm == t0}
    ax = _axes(ax)
    plot_dose_response(data, fits, dose="dose", response="fold_change", curve="curve", ax=ax,
                       xlabel="Dose (agent's unit)", ylabel=f"{target}: fold change")
    with style_context():
        ax.set_title(f"{cell_line}" + (f", {t0}" if t0 else ""), fontsize=7)
    return ax


def plot_correlation(
    replicates: pd.DataFrame,
    *,
    target: str,
    cell_line: str,
    conditions: pd.DataFrame | None = None,
    correlations: pd.DataFrame | None = None,
    x: str = "viability",
    y: str = "log2_fold_change",
    ax: Axes | None = None,
) -> Axes:
    """Scatter of a readout against viability: replicates, condition means, coefficients.

    Parameters
    ----------
    replicates : DataFrame
        :func:`blotquant.join.join_replicates` output.
    target, cell_line : str
        What to draw.
    conditions : DataFrame, optional
        :func:`blotquant.join.join_conditions` output: condition means with SD error
        bars (black).
    correlations : DataFrame, optional
        :func:`blotquant.join.correlate` output: Pearson, Spearman and rmcorr written
        in the corner.
    x, y : str
        Columns (viability on x; log2 fold change on y).
    ax : Axes, optional
        Where to draw.

    Returns
    -------
    Axes
        One scatter per replicate, one errorbar container of condition means.
    """
    sub = replicates[(replicates["target"] == target) & (replicates["cell_line"] == cell_line)]
    ax = _axes(ax)
    with style_context():
        for j, rep in enumerate(dict.fromkeys(sub["replicate"].astype(str))):
            part = sub[sub["replicate"].astype(str) == rep]
            ax.scatter(part[x], part[y], s=9, color=color_for(j + 1), linewidths=0,
                       alpha=0.85, label=f"replicate {rep}", zorder=3)
        if conditions is not None and not conditions.empty:
            c = conditions[(conditions["target"] == target)
                           & (conditions["cell_line"] == cell_line)]
            ycol = f"{y}_mean" if f"{y}_mean" in c.columns else "fold_change_mean"
            ax.errorbar(c[f"{x}_mean"], c[ycol], xerr=c[f"{x}_sd"].fillna(0), fmt="o",
                        ms=3, color="black", lw=0.5, capsize=1.5, label="condition mean",
                        zorder=4)
        if correlations is not None and not correlations.empty:
            cc = correlations[(correlations["target"] == target)
                              & (correlations["cell_line"] == cell_line)]
            lines = []
            for row in cc.itertuples(index=False):
                sym = {"pearson": "r", "spearman": "ρ", "rmcorr": "r_rm"}.get(row.method,
                                                                           row.method)
                if math.isfinite(row.r):
                    lines.append(f"{sym} = {row.r:.2f} [{row.ci_lower:.2f}, {row.ci_upper:.2f}]")
                else:
                    lines.append(f"{sym}: n/a")
            ax.text(0.0, 1.02, "\n".join(lines), transform=ax.transAxes, fontsize=5.5,
                    va="bottom", ha="left")
        ax.axhline(0.0, color="0.6", lw=0.5, ls=":")
        ax.set_xlabel("Viability (% of vehicle)")
        ax.set_ylabel(f"{target}: log2 fold change" if y == "log2_fold_change" else
                      f"{target}: {y.replace('_', ' ')}")
        ax.set_title(cell_line, fontsize=7, loc="right")
        if len(sub):
            ax.legend(loc="best", fontsize=5)
    return ax
