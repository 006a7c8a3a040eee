"""Blot figures as journals print them, and the source-data scans they were cut from.

* :func:`crop_strips` cuts each target's band strip out of its scan (the chosen band
  row(s) of one membrane, sample lanes only) and resamples it onto a common lane grid,
  so strips from separate images of the same membrane (reprobes, shifted scans) line up
  lane by lane. It only prepares pixels for display; no number in any table comes from
  it. Display contrast is stretched per strip (bands dark on white), which journals
  allow when it is applied to the whole strip and said in the legend.
* :func:`plot_blot_panel` draws the strips stacked (loading control last), lanes
  labelled with the treatment doses above (one row per agent, ``-`` for absent), target
  names on the left and the band's apparent MW on the right.
* :func:`plot_scan_crops` draws an uncropped scan with the crop boxes marked (the
  source-data figure journals ask for).

Every function takes ``ax=None`` and returns the Axes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from blotquant.conditions import parse_treatment
from blotquant.errors import InvalidInputError
from blotquant.figures.style import color_for, new_figure, style_context

__all__ = ["BlotStrip", "crop_strips", "lane_label_rows", "plot_blot_panel", "plot_scan_crops"]

#: Output pixels per lane of a resampled strip.
PIXELS_PER_LANE = 48


@dataclass(frozen=True)
class BlotStrip:
    """One target's band strip, ready for display.

    Attributes
    ----------
    target : str
        Target (antibody) name.
    image : str
        Scan file the strip was cut from.
    membrane : str
        Membrane label of the sample sheet.
    box : tuple of float
        Crop box ``(top, bottom, left, right)`` in pixels of the scan (half-open).
    pixels : (M, N) ndarray
        Display values in [0, 1], bands dark (0) on white (1); ``N`` is
        ``PIXELS_PER_LANE`` per lane.
    lanes : tuple of int
        Sheet lane numbers, left to right.
    treatments : tuple of str
        Canonical treatment of every lane.
    cell_lines : tuple of str
        Cell line of every lane.
    mw_kda : tuple of float
        Apparent MW of the band(s), largest first (empty when unknown).
    is_loading : bool
        True for a loading control.
    """

    target: str
    image: str
    membrane: str
    box: tuple[float, float, float, float]
    pixels: npt.NDArray[np.float64]
    lanes: tuple[int, ...]
    treatments: tuple[str, ...]
    cell_lines: tuple[str, ...]
    mw_kda: tuple[float, ...] = ()
    is_loading: bool = False


def _bands_used(text: object) -> list[int]:
    out = []
    for part in str(text).split("+"):
        part = part.strip()
        try:
            out.append(int(float(part)))
        except ValueError:
            continue
    return out


def _display(signal: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    lo, hi = np.percentile(signal, [5.0, 99.7])
    if not hi > lo:
        return np.ones_like(signal)
    return 1.0 - np.clip((signal - lo) / (hi - lo), 0.0, 1.0)


def crop_strips(
    images: Mapping[str, npt.ArrayLike],
    lanes: pd.DataFrame,
    image_lanes: Mapping[str, pd.DataFrame],
    image_bands: Mapping[str, pd.DataFrame],
    *,
    membrane: str,
    band_choice: pd.DataFrame | None = None,
    polarity: Mapping[str, str] | None = None,
    targets: Sequence[str] | None = None,
    pad: float = 0.8,
) -> list[BlotStrip]:
    """Cut every target's band strip of one membrane out of its scan.

    Parameters
    ----------
    images : mapping of str to (M, N) array
        Raw scan of every image file (key: ``image`` as in ``lanes``).
    lanes : DataFrame
        Per-lane table of :func:`blotquant.experiment.analyze_experiment`
        (``target, image, membrane, lane, image_lane, cell_line, treatment, band,
        loading_target``).
    image_lanes, image_bands : mapping of str to DataFrame
        Lanes and bands tables of every image (``ExperimentResult.image_lanes`` /
        ``image_bands``).
    membrane : str
        Membrane to draw.
    band_choice : DataFrame, optional
        ``ExperimentResult.band_choice``; gives the region of multi-membrane scans and
        the estimated MW.
    polarity : mapping of str to str, optional
        ``"light"`` (bands bright, default) or ``"dark"`` per image.
    targets : sequence of str, optional
        Targets in drawing order (default: sheet order, loading controls last).
    pad : float
        Vertical margin around the band row(s), in band heights.

    Returns
    -------
    list of BlotStrip
        Targets quantified as whole-lane stains (no band row) are skipped.

    Raises
    ------
    InvalidInputError
        The membrane has no lanes in ``lanes`` or an image is missing from ``images``.
    """
    sub = lanes[lanes["membrane"].astype(str) == str(membrane)]
    if sub.empty:
        msg = f"membrane {membrane!r}: no lanes in the lanes table"
        raise InvalidInputError(msg)
    loading = {t for t in sub["loading_target"].astype(str) if t}
    order = list(targets) if targets is not None else (
        [t for t in dict.fromkeys(sub["target"]) if t not in loading]
        + [t for t in dict.fromkeys(sub["target"]) if t in loading])
    strips = []
    for target in order:
        rows = sub[sub["target"] == target].sort_values("lane")
        if rows.empty:
            continue
        file = str(rows["image"].iloc[0])
        used = sorted({b for text in rows["band"] for b in _bands_used(text)})
        if not used:
            continue
        if file not in images:
            msg = f"image {file!r} of {target} on membrane {membrane} was not given"
            raise InvalidInputError(msg)
        region, mw = 1, ()
        if band_choice is not None and not band_choice.empty:
            bc = band_choice[(band_choice["target"] == target)
                             & (band_choice["membrane"].astype(str) == str(membrane))
                             & (band_choice["image"] == file)]
            if "used" in bc.columns and bc["used"].astype(bool).any():
                bc = bc[bc["used"].astype(bool)]
            if not bc.empty:
                region = int(bc["region"].iloc[0])
                mws = pd.to_numeric(bc["estimated_mw"], errors="coerce").dropna()
                mw = tuple(sorted({float(round(m)) for m in mws}, reverse=True))
        il = image_lanes[file]
        il = il[il["membrane"] == region]
        ib = image_bands[file]
        ib = ib[(ib["membrane"] == region) & ib["band"].isin(used)]
        xc = dict(zip(il["lane"].astype(int), il["x_center"].astype(float), strict=True))
        known = [(int(r.lane), xc[int(r.image_lane)]) for r in rows.itertuples()
                 if int(r.image_lane) in xc]
        if len(known) < 2:
            continue
        sheet_lanes = rows["lane"].astype(int).to_numpy()
        kl = np.array([k for k, _ in known], float)
        kx = np.array([x for _, x in known], float)
        slope, intercept = np.polyfit(kl, kx, 1)
        det = ib[ib["detected"].astype(bool)] if ib["detected"].astype(bool).any() else ib
        top = float(np.median(det["y_top"].to_numpy(float)))
        bottom = float(np.median(det["y_bottom"].to_numpy(float)))
        if len(used) > 1:
            top = float(det["y_top"].min())
            bottom = float(det["y_bottom"].max())
        h = max(bottom - top, 4.0)
        data = np.asarray(images[file], dtype=np.float64)
        if data.ndim != 2:
            msg = f"image {file!r}: expected a 2-D greyscale array, got shape {data.shape}"
            raise InvalidInputError(msg)
        y0 = int(max(0, math.floor(top - pad * h)))
        y1 = int(min(data.shape[0], math.ceil(bottom + pad * h)))
        n = len(sheet_lanes)
        u = (np.arange(n * PIXELS_PER_LANE) + 0.5) / PIXELS_PER_LANE - 0.5  # lane index
        k = np.clip(np.floor(u + 0.5).astype(int), 0, n - 1)
        lane_at = sheet_lanes[k].astype(float) + (u - k)  # each lane +/- half a pitch
        x = np.clip(np.rint(intercept + slope * lane_at), 0, data.shape[1] - 1).astype(int)
        signal = data[y0:y1][:, x]
        if polarity is not None and polarity.get(file, "light") == "dark":
            signal = float(np.max(data)) - signal
        strips.append(BlotStrip(
            target=str(target), image=file, membrane=str(membrane),
            box=(float(y0), float(y1), float(x.min()), float(x.max() + 1)),
            pixels=_display(signal), lanes=tuple(int(v) for v in sheet_lanes),
            treatments=tuple(str(t) for t in rows["treatment"]),
            cell_lines=tuple(str(c) for c in rows["cell_line"]), mw_kda=mw,
            is_loading=target in loading))
    return strips


def lane_label_rows(treatments: Sequence[str], cell_lines: Sequence[str] | None = None
                    ) -> list[tuple[str, list[str]]]:
    """Label rows above a blot: one per agent (dose or ``-``), one for cell lines.

    Parameters
    ----------
    treatments : sequence of str
        Treatment of every lane.
    cell_lines : sequence of str, optional
        Cell line of every lane; a row is added when there are several.

    Returns
    -------
    list of (str, list of str)
        ``(row label, text per lane)``, e.g. ``("temsirolimus (nM)", ["-", "10", ...])``.

    Examples
    --------
    >>> lane_label_rows(["vehicle", "temsirolimus 10 nM"])
    [('temsirolimus (nM)', ['-', '10'])]
    """
    parsed = []
    for t in treatments:
        try:
            parsed.append(parse_treatment(t))
        except InvalidInputError:
            parsed.append(None)
    agents: dict[str, str] = {}
    for p in parsed:
        if p is not None:
            for c in p.components:
                agents.setdefault(c.agent, c.unit)
    rows: list[tuple[str, list[str]]] = []
    if cell_lines is not None and len(set(cell_lines)) > 1:
        rows.append(("", [str(c) for c in cell_lines]))
    for agent, unit in agents.items():
        texts = []
        for p in parsed:
            dose = p.dose_of(agent) if p is not None else math.nan
            texts.append(f"{dose:.3g}" if dose > 0 else ("?" if math.isnan(dose) else "-"))
        rows.append((f"{agent} ({unit})", texts))
    return rows


def plot_blot_panel(strips: Sequence[BlotStrip], *, ax: Axes | None = None,
                    title: str | None = None, gap: float = 0.25) -> Axes:
    """Draw band strips stacked as a journal blot panel.

    Parameters
    ----------
    strips : sequence of BlotStrip
        From :func:`crop_strips`; all must have the same lanes.
    ax : Axes, optional
        Where to draw (a new single-column figure when omitted).
    title : str, optional
        Panel title (e.g. ``"786-O, replicate 1 (simulated)"``).
    gap : float
        Space between strips, in strip heights.

    Returns
    -------
    Axes
        One image per strip; lane labels above, target names left, MW right.

    Raises
    ------
    InvalidInputError
        No strips, or strips with different lanes.
    """
    if not strips:
        msg = "plot_blot_panel: no strips to draw"
        raise InvalidInputError(msg)
    lanes = strips[0].lanes
    if any(s.lanes != lanes for s in strips):
        msg = "plot_blot_panel: strips have different lanes; crop them from one membrane"
        raise InvalidInputError(msg)
    if ax is None:
        n_rows = len(lane_label_rows(strips[0].treatments, strips[0].cell_lines))
        _, ax = new_figure("single", height_mm=14 + 9 * len(strips) + 3.5 * n_rows)
    n = len(lanes)
    with style_context():
        y = 0.0
        for s in strips:
            ax.imshow(s.pixels, cmap="gray", vmin=0, vmax=1, aspect="auto",
                      extent=(0.5, n + 0.5, y + 1.0, y), interpolation="bilinear")
            ax.text(0.4, y + 0.5, s.target, ha="right", va="center", fontsize=6)
            if s.mw_kda:
                ax.text(n + 0.6, y + 0.5, "/".join(f"{m:.0f}" for m in s.mw_kda) + " kDa",
                        ha="left", va="center", fontsize=5.5)
            y += 1.0 + gap
        rows = lane_label_rows(strips[0].treatments, strips[0].cell_lines)
        for i, (label, texts) in enumerate(reversed(rows)):
            yy = -0.35 - 0.45 * i
            ax.text(0.4, yy, label, ha="right", va="center", fontsize=5.5)
            for k, text in enumerate(texts):
                ax.text(k + 1, yy, text, ha="center", va="center", fontsize=5.5)
        ax.set_xlim(0.5, n + 0.5)
        ax.set_ylim(y - gap, -0.35 - 0.45 * len(rows))
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        if title:
            ax.set_title(title, fontsize=7, pad=2)
    return ax


def plot_scan_crops(image: npt.ArrayLike, boxes: Sequence[tuple[str, tuple[float, ...]]], *,
                    ax: Axes | None = None, title: str | None = None,
                    polarity: str = "light") -> Axes:
    """Uncropped scan with the crop boxes of the blot panels marked (source data).

    Parameters
    ----------
    image : (M, N) array_like
        The raw scan.
    boxes : sequence of (label, (top, bottom, left, right))
        Crop boxes in scan pixels, e.g. ``[(s.target, s.box) for s in strips]``.
    ax : Axes, optional
        Where to draw.
    title : str, optional
        Title (the file name).
    polarity : {"light", "dark"}
        ``"light"``: bands bright in the file, shown dark (inverted for print).

    Returns
    -------
    Axes
        The scan as an image, one rectangle and label per box.
    """
    data = np.asarray(image, dtype=np.float64)
    if data.ndim != 2:
        msg = f"plot_scan_crops: expected a 2-D image, got shape {data.shape}"
        raise InvalidInputError(msg)
    if ax is None:
        h_mm = 85.0 * data.shape[0] / max(data.shape[1], 1)
        _, ax = new_figure("single", height_mm=min(max(h_mm, 30.0), 120.0) + 8)
    step = max(1, math.ceil(max(data.shape) / 1600))
    small = data[::step, ::step]
    shown = _display(small if polarity != "dark" else float(small.max()) - small)
    with style_context():
        ax.imshow(shown, cmap="gray", vmin=0, vmax=1,
                  extent=(-0.5, data.shape[1] - 0.5, data.shape[0] - 0.5, -0.5))
        for i, (label, (top, bottom, left, right)) in enumerate(boxes):
            color = color_for(i % 7 + 1)
            ax.add_patch(Rectangle((left - 0.5, top - 0.5), right - left, bottom - top,
                                   fill=False, edgecolor=color, lw=0.8))
            ax.text(left, top - 2, label, color=color, fontsize=5.5, va="bottom")
        ax.set_xticks([])
        ax.set_yticks([])
        if title:
            ax.set_title(title, fontsize=7)
    return ax


def close(ax: Axes) -> None:
    """Close the figure of ``ax`` (for batch runs that make many figures)."""
    plt.close(ax.figure)
