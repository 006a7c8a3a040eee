"""Viability figures: dose-response curves, median-effect, Fa-CI, isobologram, heatmap.

Every function draws tables computed elsewhere onto ``ax`` (a new house-style
figure when ``ax`` is None) and returns the Axes; nothing is shown or saved
(use :func:`blotquant.figures.style.save_figure`). The only computation is
evaluating fitted curves for display.

Log-dose axes never take ``log(0)``: vehicle (dose 0) wells are drawn at an offset
position left of the lowest dose, labelled ``"0"``, and separated from the log
axis by break marks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm

from blotquant._schema import check_columns
from blotquant.errors import InvalidInputError
from blotquant.figures.style import color_for, new_figure, style_context

__all__ = [
    "plot_dose_response",
    "plot_fa_ci",
    "plot_isobologram",
    "plot_median_effect",
    "plot_synergy_heatmap",
]

#: Decades between the vehicle position and the lowest tested dose.
VEHICLE_OFFSET_DECADES = 1.0


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    _, new = new_figure("single", height_mm=60)
    return new


def _label(mixture: str, source: str, extrapolated: bool, n_mixtures: int) -> str:
    text = {"observed": "observed points", "level": "fa levels"}[source]
    text += " (extrapolated)" if extrapolated else ""
    return f"{mixture}: {text}" if n_mixtures > 1 else text


def plot_dose_response(
    data: pd.DataFrame,
    fits: Mapping[str, Any] | None = None,
    *,
    dose: str = "dose",
    response: str = "response",
    curve: str = "curve",
    predict: Callable[[Any, np.ndarray], np.ndarray] | None = None,
    band: Callable[[Any, np.ndarray], pd.DataFrame] | None = None,
    ax: Axes | None = None,
    xlabel: str = "Dose",
    ylabel: str = "Viability (% of vehicle)",
    n_grid: int = 200,
) -> Axes:
    """Dose-response points (every replicate) with fitted curves and confidence bands.

    Parameters
    ----------
    data : DataFrame
        One row per well: ``dose`` (>= 0), ``response`` and ``curve`` (label).
    fits : mapping of str to fit, optional
        Curve label -> fitted curve (e.g. :class:`blotquant.viability.CurveFit`).
    dose, response, curve : str
        Column names in ``data``.
    predict : callable, optional
        ``predict(fit, dose_array) -> response_array``; default
        :func:`blotquant.viability.doseresponse.predict`.
    band : callable, optional
        ``band(fit, dose_array) -> DataFrame`` with ``lower``/``upper`` columns; default
        :func:`blotquant.viability.doseresponse.predict_band`. Pass ``False``-like
        ``lambda f, x: None`` to omit bands.
    ax : Axes, optional
        Where to draw.
    xlabel, ylabel : str
        Axis labels (put the unit in ``xlabel``).
    n_grid : int
        Points per drawn curve.

    Returns
    -------
    Axes
        One scatter collection per curve (all replicates), one line and one band
        (``fill_between``) per fitted curve; vehicle points sit at an offset
        position labelled ``"0"`` left of a break mark.
    """
    check_columns(data, [dose, response, curve], name="dose-response data")
    ax = _axes(ax)
    x_all = pd.to_numeric(data[dose], errors="coerce").to_numpy(dtype=float)
    pos = x_all[np.isfinite(x_all) & (x_all > 0)]
    if pos.size == 0:
        msg = f"dose-response data: column {dose!r} has no dose > 0 to place on a log axis"
        raise InvalidInputError(msg)
    lo, hi = float(pos.min()), float(pos.max())
    x_vehicle = lo / 10 ** (VEHICLE_OFFSET_DECADES + 0.5)
    x_break = lo / 10 ** 0.5 / 10 ** (VEHICLE_OFFSET_DECADES / 2)
    if predict is None or band is None:
        from blotquant.viability import doseresponse as _dr

        predict = predict or _dr.predict
        band = band or _dr.predict_band
    grid = np.logspace(np.log10(lo) - 0.25, np.log10(hi) + 0.25, n_grid)
    labels = list(dict.fromkeys(data[curve].astype(str).tolist()))
    with style_context():
        for i, lab in enumerate(labels):
            color = color_for(i)
            sub = data.loc[data[curve].astype(str) == lab]
            xs = pd.to_numeric(sub[dose], errors="coerce").to_numpy(dtype=float)
            ys = pd.to_numeric(sub[response], errors="coerce").to_numpy(dtype=float)
            xs_plot = np.where(xs > 0, xs, x_vehicle)
            ax.scatter(xs_plot, ys, s=8, color=color, alpha=0.8, linewidths=0, label=lab,
                       zorder=3)
            fit = None if fits is None else fits.get(lab)
            if fit is None:
                continue
            ax.plot(grid, predict(fit, grid), color=color, lw=1.0, label="_fit " + lab)
            ax.plot([x_vehicle], predict(fit, np.array([0.0])), marker="_", ms=6,
                    color=color, ls="none", label="_vehicle fit")
            bnd = band(fit, grid)
            if bnd is not None and {"lower", "upper"} <= set(bnd.columns):
                lower = bnd["lower"].to_numpy(dtype=float)
                upper = bnd["upper"].to_numpy(dtype=float)
                ok = np.isfinite(lower) & np.isfinite(upper)
                if ok.any():
                    ax.fill_between(grid, lower, upper, where=ok, color=color, alpha=0.2,
                                    linewidth=0, label="_band " + lab)
        ax.set_xscale("log")
        ax.set_xlim(x_vehicle / 10 ** 0.4, hi * 10 ** 0.4)
        ticks = [t for t in ax.get_xticks() if lo / 10 ** 0.3 <= t <= hi * 10 ** 0.3]
        ax.set_xticks([x_vehicle, *ticks])
        ax.set_xticklabels(["0", *[f"{t:g}" for t in ticks]])
        ax.minorticks_off()
        ax.axvline(x_break, color="0.6", lw=0.5, ls=(0, (2, 2)), label="_vehicle break")
        ax.text(x_break, 0, "//", transform=ax.get_xaxis_transform(), ha="center",
                va="center", fontsize=7, clip_on=False)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if len(labels) > 1:
            ax.legend(loc="best")
    return ax


def plot_median_effect(points: pd.DataFrame, fits: pd.DataFrame, *, ax: Axes | None = None,
                       series: list[str] | None = None) -> Axes:
    """Median-effect plot: ``log10(fa/fu)`` against ``log10(dose)`` with fitted lines.

    Parameters
    ----------
    points : DataFrame
        :attr:`CombinationResult.points` (``series, dose, fa, used``).
    fits : DataFrame
        :attr:`CombinationResult.fits` (``series, m, dm``).
    ax : Axes, optional
        Where to draw.
    series : list of str, optional
        Series to draw (default all with a fit), single agents and mixtures.

    Returns
    -------
    Axes
        Per series: one scatter (used points) and one regression line; excluded points
        (fa outside (0, 1)) cannot be placed and are listed in the legend count only.
    """
    check_columns(points, ["series", "dose", "fa", "used"], name="median-effect points")
    check_columns(fits, ["series", "m", "dm"], name="median-effect fits")
    ax = _axes(ax)
    names = series or [s for s in fits["series"].tolist() if np.isfinite(
        fits.loc[fits["series"] == s, "m"].iloc[0])]
    with style_context():
        for i, name in enumerate(names):
            color = color_for(i)
            p = points.loc[(points["series"] == name) & points["used"].astype(bool)]
            x = np.log10(p["dose"].to_numpy(dtype=float))
            fa = p["fa"].to_numpy(dtype=float)
            y = np.log10(fa / (1 - fa))
            n_excl = int(((points["series"] == name) & ~points["used"].astype(bool)).sum())
            lab = name + (f" ({n_excl} excluded)" if n_excl else "")
            ax.scatter(x, y, s=10, color=color, label=lab, zorder=3)
            f = fits.loc[fits["series"] == name].iloc[0]
            xr = np.linspace(x.min() - 0.3, x.max() + 0.3, 50) if x.size else np.array([])
            ax.plot(xr, f["m"] * (xr - np.log10(f["dm"])), color=color, label="_line " + name)
        ax.axhline(0, color="0.6", lw=0.5, label="_fa 0.5")
        ax.set_xlabel("log10(dose)")
        ax.set_ylabel("log10(fa / fu)")
        ax.legend(loc="best")
    return ax


def plot_fa_ci(ci: pd.DataFrame, *, ax: Axes | None = None, mixture: str | None = None,
               show_interval: bool = True) -> Axes:
    """Fa-CI plot (Chou-Talalay) with the additivity line CI = 1.

    Parameters
    ----------
    ci : DataFrame
        :attr:`CombinationResult.ci` (``mixture, fa, source, ci, ci_lower, ci_upper,
        extrapolated``).
    ax : Axes, optional
        Where to draw.
    mixture : str, optional
        Mixture to draw (default every mixture in the table, one colour each).
    show_interval : bool
        Draw ``ci_lower``-``ci_upper`` error bars where available.

    Returns
    -------
    Axes
        Filled markers: within the observed fa range; open markers: extrapolated.
        Circles: observed points; squares: effect levels. A dashed line at CI = 1.
    """
    check_columns(ci, ["mixture", "fa", "source", "ci", "ci_lower", "ci_upper",
                       "extrapolated"], name="CI table")
    ax = _axes(ax)
    mixtures = [mixture] if mixture is not None else list(dict.fromkeys(ci["mixture"]))
    with style_context():
        ax.axhline(1.0, color="0.4", lw=0.8, ls="--", label="additive (CI = 1)")
        for i, mix in enumerate(mixtures):
            color = color_for(i + 1)
            sub = ci.loc[(ci["mixture"] == mix) & np.isfinite(ci["ci"].to_numpy(dtype=float))]
            for source, marker in (("observed", "o"), ("level", "s")):
                for extrap in (False, True):
                    s = sub.loc[(sub["source"] == source)
                                & (sub["extrapolated"].astype(bool) == extrap)]
                    if s.empty:
                        continue
                    label = _label(mix, source, extrap, len(mixtures))
                    ax.scatter(s["fa"], s["ci"], marker=marker, s=18, label=label, zorder=3,
                               facecolors="none" if extrap else color, edgecolors=color,
                               linewidths=0.8)
                    if show_interval:
                        lo_ = s["ci_lower"].to_numpy(dtype=float)
                        hi_ = s["ci_upper"].to_numpy(dtype=float)
                        ok = np.isfinite(lo_) & np.isfinite(hi_)
                        if ok.any():
                            yv = s["ci"].to_numpy(dtype=float)[ok]
                            ax.errorbar(s["fa"].to_numpy(dtype=float)[ok], yv,
                                        yerr=[yv - lo_[ok], hi_[ok] - yv], fmt="none",
                                        ecolor=color, elinewidth=0.6, capsize=1.5,
                                        label="_interval")
        ax.set_xlim(0, 1)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("Fraction affected (fa)")
        ax.set_ylabel("Combination index (CI)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax


def plot_isobologram(dri: pd.DataFrame, *, ax: Axes | None = None, mixture: str | None = None
                     ) -> Axes:
    """Normalised isobologram: ``(D)1/(Dx)1`` against ``(D)2/(Dx)2`` (two agents).

    Parameters
    ----------
    dri : DataFrame
        :attr:`CombinationResult.dri` (``mixture, fa, source, agent, dri, extrapolated``).
    ax : Axes, optional
        Where to draw.
    mixture : str, optional
        Mixture to draw (default: every two-agent mixture).

    Returns
    -------
    Axes
        The additive line from (1, 0) to (0, 1) and one scatter per mixture and source
        (open markers for extrapolated levels). Points below the line: synergy.
    """
    check_columns(dri, ["mixture", "fa", "source", "agent", "dri", "extrapolated"],
                  name="DRI table")
    ax = _axes(ax)
    mixtures = [mixture] if mixture is not None else list(dict.fromkeys(dri["mixture"]))
    with style_context():
        ax.plot([0, 1], [1, 0], color="0.4", ls="--", lw=0.8, label="additive")
        agents_seen: list[str] = []
        for i, mix in enumerate(mixtures):
            sub = dri.loc[dri["mixture"] == mix]
            agents = list(dict.fromkeys(sub["agent"]))
            if len(agents) != 2:
                msg = f"isobologram: mixture {mix!r} has {len(agents)} agents; needs exactly 2"
                raise InvalidInputError(msg)
            agents_seen = agents
            wide = sub.pivot_table(index=["fa", "source", "extrapolated"], columns="agent",
                                   values="dri", aggfunc="first").reset_index()
            color = color_for(i + 1)
            for source, marker in (("observed", "o"), ("level", "s")):
                for extrap in (False, True):
                    s = wide.loc[(wide["source"] == source)
                                 & (wide["extrapolated"].astype(bool) == extrap)]
                    if s.empty:
                        continue
                    xv = 1.0 / s[agents[0]].to_numpy(dtype=float)
                    yv = 1.0 / s[agents[1]].to_numpy(dtype=float)
                    ax.scatter(xv, yv, marker=marker, s=18, edgecolors=color, linewidths=0.8,
                               facecolors="none" if extrap else color, zorder=3,
                               label=_label(mix, source, extrap, len(mixtures)))
                    for fa, x_, y_ in zip(s["fa"], xv, yv, strict=True):
                        if source == "level":
                            ax.annotate(f"{fa:g}", (x_, y_), textcoords="offset points",
                                        xytext=(3, 3), fontsize=5)
        lim = max(1.2, *(c.get_offsets()[:, :2].max() * 1.05 for c in ax.collections
                         if len(c.get_offsets())))
        ax.set_xlim(0, lim)
        ax.set_ylim(0, lim)
        ax.set_aspect("equal", adjustable="box")
        if agents_seen:
            ax.set_xlabel(f"(D)/(Dx) {agents_seen[0]}")
            ax.set_ylabel(f"(D)/(Dx) {agents_seen[1]}")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax


def plot_synergy_heatmap(scores: pd.DataFrame, *, model: str = "bliss", ax: Axes | None = None,
                         annotate: bool = True, percent: bool = True, xlabel: str = "dose B",
                         ylabel: str = "dose A", vmax: float | None = None) -> Axes:
    """Heatmap of a synergy model's excess over the dose matrix.

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`blotquant.viability.synergy.synergy_scores` for one matrix.
    model : str
        ``'bliss'``, ``'hsa'``, ``'loewe'`` or ``'zip'``.
    ax : Axes, optional
        Where to draw.
    annotate : bool
        Write the value in each cell.
    percent : bool
        Show excess in % inhibition (SynergyFinder scale) rather than as a fraction.
    xlabel, ylabel : str
        Axis labels (dose B on x, dose A on y); include the units.
    vmax : float, optional
        Symmetric colour limit; default the largest absolute excess.

    Returns
    -------
    Axes
        One ``QuadMesh`` (pcolormesh) with a diverging, zero-centred colour map
        (red = synergy, blue = antagonism), a colour bar, and grey hatched cells
        where the model is undefined (NaN).
    """
    check_columns(scores, ["dose_a", "dose_b", "model", "excess"], name="synergy scores")
    sub = scores.loc[scores["model"] == model]
    if sub.empty:
        msg = f"synergy scores: no rows for model {model!r}; have {sorted(set(scores['model']))}"
        raise InvalidInputError(msg)
    if sub.duplicated(["dose_a", "dose_b"]).any():
        msg = "synergy scores: several matrices in the table; select one group first"
        raise InvalidInputError(msg)
    grid = sub.pivot(index="dose_a", columns="dose_b", values="excess").sort_index()
    grid = grid.reindex(sorted(grid.columns), axis=1)
    z = grid.to_numpy(dtype=float) * (100.0 if percent else 1.0)
    ax = _axes(ax)
    lim = vmax if vmax is not None else float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1
    lim = lim if lim > 0 else 1.0
    with style_context():
        mesh = ax.pcolormesh(np.arange(z.shape[1] + 1), np.arange(z.shape[0] + 1),
                             np.ma.masked_invalid(z), cmap="RdBu_r",
                             norm=TwoSlopeNorm(0.0, -lim, lim), edgecolors="white",
                             linewidth=0.5)
        for i, j in np.argwhere(~np.isfinite(z)):
            ax.add_patch(plt.Rectangle((j, i), 1, 1, facecolor="0.85", hatch="///",
                                       edgecolor="0.6", linewidth=0.3))
        if annotate:
            for i in range(z.shape[0]):
                for j in range(z.shape[1]):
                    txt = f"{z[i, j]:.1f}" if percent else f"{z[i, j]:.2f}"
                    dark = np.isfinite(z[i, j]) and abs(z[i, j]) > 0.6 * lim
                    ax.text(j + 0.5, i + 0.5, "n/a" if not np.isfinite(z[i, j]) else txt,
                            ha="center", va="center", fontsize=5,
                            color="white" if dark else "black")
        ax.set_xticks(np.arange(z.shape[1]) + 0.5)
        ax.set_xticklabels([f"{v:g}" for v in grid.columns])
        ax.set_yticks(np.arange(z.shape[0]) + 0.5)
        ax.set_yticklabels([f"{v:g}" for v in grid.index])
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        title = {"bliss": "Bliss", "hsa": "HSA", "loewe": "Loewe", "zip": "ZIP"}.get(model, model)
        ax.set_title(f"{title} excess"
                     + (" (% inhibition)" if percent else " (fraction)"))
        cbar = ax.figure.colorbar(mesh, ax=ax)
        cbar.set_label("excess (> 0 synergy)")
    return ax

