"""Band volumes: background-subtracted integrated signal with local baselines.

For every lane the signal is summed across the lane box at each row, giving the
lane's *sum profile* P(y). Each band gets an integration window (out to where
its peak has fallen into the noise, plus a margin for the tails); overlapping
windows form a cluster. The background under a cluster is the straight line
between the mean of P over a band-free flank above it and one below it, exactly
what an expert draws by hand under a peak in ImageJ's gel analyser, but placed
by the data. The cluster's volume above the line is shared between its bands in
proportion to a sum-of-Gaussians fit row by row, so a doublet is split by its
shape rather than cut at a line.

With ``method="rolling_ball"`` a 2-D background image is subtracted instead and
the windows are summed without flank baselines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage as ndi

__all__ = ["BandWindow", "LaneMeasurement", "clean_blobs", "clean_dust", "measure_lane"]


@dataclass(frozen=True)
class BandWindow:
    """Where to integrate one band of one lane (rows of the lane strip).

    Attributes
    ----------
    row : float
        Centre (peak) row.
    half_width : float
        Half of the full width at half maximum, rows.
    top, bottom : int
        Integration window, half-open.
    detected : bool
        False for a predicted position where the lane shows no band.
    """

    row: float
    half_width: float
    top: int
    bottom: int
    detected: bool


@dataclass(frozen=True)
class LaneMeasurement:
    """Per-band measurements of one lane, in the order of the windows given."""

    volume: np.ndarray
    center: np.ndarray
    top: np.ndarray
    bottom: np.ndarray
    peak: np.ndarray
    background: np.ndarray
    area: np.ndarray
    n_saturated: np.ndarray
    noise: float


def clean_dust(strip: npt.NDArray[np.float32], *, noise: float, core: slice) -> np.ndarray:
    """Replace isolated specks (dust, hot pixels, pinholes) by a local median.

    A pixel is a speck when it departs, in the same direction, from three
    references: its 3 x 3 median, the median of its four row neighbours (bands
    are continuous across a lane) and the median of the 7 pixels of its column
    (bands are smooth along the lane) — by 6 noise SDs each, and by a quarter of
    the local signal for the first two, so band corners, edges and the shot noise
    of a narrow band's peak are never touched.

    Parameters
    ----------
    strip : (K, w) ndarray
        Lane box signal.
    noise : float
        Per-pixel noise SD.
    core : slice
        Columns of the lane core within the strip.
    """
    thr = 6.0 * noise
    # cheap screen: a speck of amplitude A moves its pixel 8A/9 from the 3 x 3 mean
    mean3 = ndi.uniform_filter(strip, size=3, mode="nearest")
    rr, cc = np.nonzero(np.abs(strip - mean3) > 0.8 * thr)
    if rr.size == 0:
        return strip
    n_rows, n_cols = strip.shape

    def at(dy: int, dx: int, r: np.ndarray = rr, c: np.ndarray = cc) -> np.ndarray:
        # neighbours with the edge repeated (indices clipped, no padded copy)
        return strip[np.clip(r + dy, 0, n_rows - 1), np.clip(c + dx, 0, n_cols - 1)]

    med3 = np.median(np.stack([at(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]), axis=0)
    vert = np.median(np.stack([at(dy, 0) for dy in range(-3, 4)]), axis=0)
    horiz = np.median(np.stack([at(0, dx) for dx in (-2, -1, 1, 2)]), axis=0)
    value = strip[rr, cc]
    # the lane's background level (every 4th row is plenty for a median)
    floor = np.median(strip[::4, core])
    dev = value - med3
    d_h = value - horiz
    d_vert = value - vert
    # a speck stands out from its 3 x 3 neighbourhood, from its row neighbours
    # (a band is continuous across the lane) and from its column (bands are
    # smooth along the lane), each time by 6 noise SDs and by a quarter of the
    # local signal, so shot noise at a band's peak is never taken for dust
    local = np.abs(np.maximum(horiz, med3) - floor)
    speck = (
        (np.abs(dev) > np.maximum(thr, 0.25 * local))
        & (np.sign(d_h) == np.sign(dev)) & (np.abs(d_h) > np.maximum(thr, 0.25 * local))
        & (np.sign(d_vert) == np.sign(dev)) & (np.abs(d_vert) > thr)
    )
    if not speck.any():
        return strip
    # each speck and its 4-neighbours (a speck's blur) are replaced
    mask = np.zeros(strip.shape, dtype=bool)
    for dy, dx in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)):
        mask[np.clip(rr[speck] + dy, 0, n_rows - 1), np.clip(cc[speck] + dx, 0, n_cols - 1)] = True
    cleaned = strip.copy()
    mr, mc = np.nonzero(mask)
    column = np.stack([at(dy, 0, mr, mc) for dy in range(-3, 4)])
    cleaned[mr, mc] = np.median(column, axis=0)
    return cleaned


def window_from_profile(resid: np.ndarray, row: float, *, noise: float) -> tuple[int, int, float]:
    """Integration window around a peak of a baseline-removed lane-mean profile.

    Walks out from the peak until the profile drops below ``max(noise, 1 % of the
    peak)``, turns up again at a real valley below half the peak, or reaches six
    half-widths (a band's tails never reach further; a sloping background does),
    then adds a margin of one half-width (at least 2 rows) for the tails.

    Returns
    -------
    top, bottom : int
        Half-open window.
    half_width : float
        Half width at half maximum.
    """
    n = resid.size
    p = int(np.clip(round(row), 0, n - 1))
    height = resid[p]
    level = max(noise, 0.01 * height)
    above = resid > 0.5 * height
    ha = p
    while ha > 0 and above[ha - 1]:
        ha -= 1
    hb = p
    while hb < n - 1 and above[hb + 1]:
        hb += 1
    half_width = max(0.5, (hb - ha + 1) / 2.0)
    # stop at the noise floor, or at a real valley (the profile rising again by
    # several noise SDs towards a neighbouring band), not at a wiggle in a tail
    rise = 3.0 * noise

    def valley(lowest: float, here: float) -> bool:
        return here > lowest + rise and lowest < 0.5 * height

    a, low = p, height
    reach = max(4, int(np.ceil(6.0 * half_width)))
    while a > max(0, p - reach) and resid[a - 1] > level and not valley(low, resid[a - 1]):
        a -= 1
        low = min(low, resid[a])
    b, low = p, height
    while b < min(n - 1, p + reach) and resid[b + 1] > level and not valley(low, resid[b + 1]):
        b += 1
        low = min(low, resid[b])
    margin = max(2, int(np.ceil(1.0 * half_width)))
    return max(0, a - margin), min(n, b + 1 + margin), half_width


def _clusters(windows: list[BandWindow], *, min_gap: int) -> list[list[int]]:
    order = sorted(range(len(windows)), key=lambda i: windows[i].top)
    groups: list[list[int]] = []
    end = -(10**9)
    for i in order:
        if groups and windows[i].top < end + min_gap:
            groups[-1].append(i)
            end = max(end, windows[i].bottom)
        else:
            groups.append([i])
            end = windows[i].bottom
    return groups


def _nonnegative_lstsq(basis: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Non-negative least squares by the Lawson-Hanson active-set method.

    The same solution as :func:`scipy.optimize.nnls`, without importing
    :mod:`scipy.optimize` (a fifth of a second, a tenth of a large scan's run).
    """
    n = basis.shape[1]
    x = np.zeros(n)
    free = np.zeros(n, dtype=bool)
    tol = 10 * np.finfo(float).eps * float(np.abs(basis).sum(axis=0).max()) * max(basis.shape)
    gradient = basis.T @ target
    for _ in range(3 * n):
        if free.all() or gradient[~free].max() <= tol:
            break
        free[np.flatnonzero(~free)[np.argmax(gradient[~free])]] = True
        while True:
            trial = np.zeros(n)
            trial[free], *_ = np.linalg.lstsq(basis[:, free], target, rcond=None)
            if trial[free].min() > 0:
                break
            # step from x towards the trial until the first weight reaches zero
            hit = free & (trial <= 0)
            step = float(np.min(x[hit] / (x[hit] - trial[hit])))
            x = x + step * (trial - x)
            free &= x > tol
            x[~free] = 0.0
        x = trial
        gradient = basis.T @ (target - basis @ x)
    return x


def _gaussian_shares(y: np.ndarray, resid: np.ndarray, comps: list[BandWindow]) -> np.ndarray:
    """Row-by-row shares of each band of a cluster (doublets, crowded rows).

    Each band is modelled by a small dictionary of Gaussians around its detected
    centre (shifted by up to one half-width either way, 0.7-1.6 times its width: a
    peak pulled towards a strong neighbour still finds its band), so that
    skewed or broadened bands are represented by their own shape; all weights are
    found at once by non-negative least squares (linear, fast, stable). A row's
    signal is then shared between bands in proportion to each band's fitted
    contribution to that row, so the cluster's total volume is preserved exactly.
    """
    target = np.clip(resid, 0, None)
    owners, columns = [], []
    for k, c in enumerate(comps):
        sd = max(0.7, c.half_width / 1.1774)
        for shift in (-1.0, -0.5, 0.0, 0.5, 1.0):
            for scale in (0.7, 1.0, 1.6):
                mu = c.row + shift * c.half_width
                columns.append(np.exp(-0.5 * ((y - mu) / (sd * scale)) ** 2))
                owners.append(k)
    basis = np.stack(columns, axis=1)
    weights = _nonnegative_lstsq(basis, target)
    owner = np.asarray(owners)
    comp = np.stack([(basis[:, owner == k] * weights[owner == k]).sum(axis=1)
                     for k in range(len(comps))])
    total = comp.sum(axis=0)
    shares = np.divide(comp, total, out=np.zeros_like(comp), where=total > 0)
    empty = total <= 0
    if empty.any():
        centres = np.array([c.row for c in comps])
        nearest = np.argmin(np.abs(y[None, empty] - centres[:, None]), axis=0)
        shares[nearest, np.flatnonzero(empty)] = 1.0
    return shares


def clean_blobs(strip: np.ndarray, *, noise: float, size: int,
                core: slice | None = None, core_rows: np.ndarray | None = None,
                slope: float = 0.0) -> np.ndarray:
    """Replace small blobs (dust a few pixels across) by the median of their row.

    A band is a bar across its lane: along a row it is flat or, at the lane's
    edges, monotone, and a running median of ``size`` pixels along the row
    returns it unchanged. A blob narrower than half that window is not: pixels
    departing from the row median by 6 noise SDs and a fifth of the local signal,
    and from the median of ``size`` pixels of their column by 6 noise SDs in the
    same direction, and the three pixels around them (the blob's tails), are
    replaced by the row median (by the median of the window's pixels the blob
    leaves, where the blob covers over a third of the window). Flagged pixels
    forming a diagonal streak at least half a window wide are a thin band tilted
    across the lane, not dust. Only pixels that a running mean already flags are
    looked at.

    Parameters
    ----------
    strip : (K, w) ndarray
        Lane box signal.
    noise : float
        Per-pixel noise SD.
    size : int
        Row window (odd); blobs up to about half of it are removed. Keep it under
        the lane's width, so that a whole lane is never taken for a blob.
    core : slice, optional
        Columns of the lane core. A blob too wide for the row window but under
        half the core is found, in the middle two thirds of the core, against
        the median of its row's core pixels (it must also depart from that
        median in the rows two above and below), by 6 noise SDs and half the
        local signal, and only in rows with no band within three rows (a band
        tilted across the lane by smile departs from its row's median too).
        Its core pixels take the median of the core pixels the blob leaves.
    core_rows : (K,) bool ndarray, optional
        Rows in which that test may be used (rows whose core is real data, not
        the fill beside a deskewed image); default all.
    slope : float
        The bands' slope across the lane, rows per column (smile). The strip is
        sheared (linear interpolation along each column) so that its bands lie
        level and cleaned there; each change goes back to the two rows its pixel
        was read from. A band tilted across its lane is not mistaken for a blob.
    """
    shift = slope * (np.arange(strip.shape[1]) - (strip.shape[1] - 1) / 2.0)
    if np.abs(shift).max() >= 0.5:
        return _clean_level(strip, shift, lambda level: clean_blobs(
            level, noise=noise, size=size, core=core, core_rows=core_rows))
    size = int(size) | 1
    n_rows, n_cols = strip.shape
    if n_cols < size or size < 5:
        return strip
    thr = 6.0 * noise
    mean_h = ndi.uniform_filter1d(strip, size, axis=1, mode="nearest")
    rr, cc = np.nonzero(np.abs(strip - mean_h) > 0.6 * thr)
    if rr.size == 0:
        return strip
    offsets = np.arange(-(size // 2), size // 2 + 1)[:, None]

    def row_median(r: np.ndarray, c: np.ndarray) -> np.ndarray:
        return np.median(strip[r[None, :], np.clip(c[None, :] + offsets, 0, n_cols - 1)], axis=0)

    median = row_median(rr, cc)
    floor = float(np.median(strip[::4]))
    dev = strip[rr, cc] - median
    blob = np.abs(dev) > np.maximum(thr, 0.2 * np.abs(median - floor))
    across = None
    if core is not None:
        # wider blobs, against the median of the row's core pixels; the test and
        # the fill keep to the middle two thirds of the core (a box wider than
        # its lane puts the lane's soft edges inside the core)
        trim = (core.stop - core.start) // 6
        full_core, core = core, slice(core.start + trim, core.stop - trim)
        # row statistics only for the rows near candidates (a few per cent)
        near_rows = np.zeros(n_rows, dtype=bool)
        near_rows[rr[(cc >= core.start) & (cc < core.stop)]] = True
        near_rows = ndi.binary_dilation(near_rows, iterations=3)
        across = np.full(n_rows, np.nan)
        lower = np.full(n_rows, np.inf)
        across[near_rows] = np.median(strip[near_rows, full_core], axis=1)
        lower[near_rows] = np.percentile(strip[near_rows, core], 25, axis=1)
        highest = ndi.maximum_filter1d(np.nan_to_num(across, nan=np.inf), 5, mode="nearest")
        lowest = ndi.minimum_filter1d(np.nan_to_num(across, nan=-np.inf), 5, mode="nearest")
        value = strip[rr, cc]
        level = np.maximum(thr, 0.5 * np.abs(across[rr] - floor))
        dev_core = np.where(value > across[rr], value - highest[rr], value - lowest[rr])
        wide = (cc >= core.start) & (cc < core.stop) & (np.abs(dev_core) > level)
        wide &= np.sign(dev_core) == np.sign(value - across[rr])
        # only where no band lies within three rows: a band tilted across the
        # lane (smile) departs from its row's median by far more than noise
        # (the row's lower quartile, which a blob under half the core leaves alone)
        quiet = ndi.maximum_filter1d(np.abs(lower - floor), 7, mode="nearest") < 3 * thr
        if core_rows is not None:
            quiet &= core_rows
        wide &= quiet[rr]
        dev = np.where(wide, dev_core, dev)
        blob |= wide
    if blob.any():
        # a blob also stands out from its column (a vertical streak or smear does
        # not: it is background for the lane baseline); checked for the few
        # pixels the row test flags
        br, bc = rr[blob], cc[blob]
        vsize = min(size, n_rows)
        start = np.clip(br - vsize // 2, 0, n_rows - vsize)
        col = np.median(strip[start[None, :] + np.arange(vsize)[:, None], bc[None, :]], axis=0)
        dev_col = strip[br, bc] - col
        blob[blob] = (np.sign(dev_col) == np.sign(dev[blob])) & (np.abs(dev_col) > thr)
        blob[blob] = ~_streaks(rr[blob], cc[blob], strip.shape, min_width=size // 2)
    if not blob.any():
        return strip
    # the blob's tails, under the threshold, go with it: a diamond of radius 3
    # around each blob pixel (few pixels, so gathered by offsets, not dilated)
    cleaned = strip.copy()
    narrow = blob & ~wide if across is not None else blob
    mr, mc = _around(rr[narrow], cc[narrow], strip.shape)
    if mr.size:
        # where the blob covers over a third of the row window, a plain median is
        # pulled towards it: the median of the window's other pixels is used there
        covered = np.zeros(strip.shape, dtype=bool)
        covered[rr[narrow], cc[narrow]] = True
        cols = np.clip(mc[None, :] + offsets, 0, n_cols - 1)
        window = np.where(covered[mr[None, :], cols], np.nan, strip[mr[None, :], cols])
        left = np.isfinite(window).sum(axis=0)
        biased = (left >= 3) & (left <= window.shape[0] - window.shape[0] // 3)
        fill = row_median(mr, mc)
        fill[biased] = np.nanmedian(window[:, biased], axis=0)
        cleaned[mr, mc] = fill
    if across is not None and (blob & wide).any():
        # wider blobs: each row's median of the core pixels the blob leaves (its
        # lower quartile if it leaves too few), inside the core; beside it the
        # running median, capped at that level
        mr, mc = _around(rr[blob & wide], cc[blob & wide], strip.shape)
        covered = np.zeros(strip.shape, dtype=bool)
        covered[mr, mc] = True
        fill = lower.copy()
        for r in np.unique(mr):
            rest = strip[r, full_core][~covered[r, full_core]]
            if rest.size >= 3:
                fill[r] = np.median(rest)
        inside = (mc >= core.start) & (mc < core.stop)
        capped = np.minimum(row_median(mr, mc), np.maximum(fill[mr], floor))
        cleaned[mr, mc] = np.where(inside, fill[mr], capped)
    return cleaned


def _clean_level(strip: np.ndarray, shift: np.ndarray,
                 clean: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Clean a strip whose bands climb by ``shift[c]`` rows in column ``c``.

    The strip is read level, ``level[r, c] = strip[r + shift[c], c]`` (linear
    interpolation; rows past the ends repeat the edge), cleaned, and each change
    goes back to the two rows its pixel was read from, in proportion.
    """
    n_rows = strip.shape[0]
    base = np.floor(shift).astype(int)
    frac = (shift - base).astype(np.float32)
    padded = np.pad(strip, ((-base.min(), base.max() + 1), (0, 0)), mode="edge")
    level = np.empty(strip.shape, dtype=np.float32)
    for b in np.unique(base):  # columns read with the same whole-row offset
        c = np.flatnonzero(base == b)
        r = b - base.min()
        level[:, c] = ((1 - frac[c]) * padded[r : r + n_rows, c]
                       + frac[c] * padded[r + 1 : r + 1 + n_rows, c])
    cleaned = clean(level)
    lr, lc = np.nonzero(cleaned != level)
    if lr.size == 0:
        return strip
    delta = (cleaned[lr, lc] - level[lr, lc]).astype(np.float64)
    out = strip.astype(np.float64, copy=True)
    for row, weight in ((lr + base[lc], 1 - frac[lc]), (lr + base[lc] + 1, frac[lc])):
        ok = (row >= 0) & (row < n_rows)
        np.add.at(out, (row[ok], lc[ok]), weight[ok] * delta[ok])
    return out.astype(strip.dtype)


def _streaks(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], *,
             min_width: int) -> np.ndarray:
    """Which flagged pixels belong to tilted streaks, not to compact blobs.

    Dust is compact and round; a thin band tilted across its lane (smile, tilt)
    also stands out from its row's median and its column, but as a diagonal
    streak: a connected group at least ``min_width`` columns wide whose rows
    climb or fall steadily with its columns (correlation above 0.7).
    """
    streak = np.zeros(rows.size, dtype=bool)
    if rows.size < 3:
        return streak
    mask = np.zeros(shape, dtype=bool)
    mask[rows, cols] = True
    labels, n = ndi.label(mask, structure=np.ones((3, 3), dtype=bool))
    lab = labels[rows, cols]
    diagonal = np.zeros(n + 1, dtype=bool)
    for k, (_, cols_sl) in enumerate(ndi.find_objects(labels), start=1):
        if cols_sl.stop - cols_sl.start < min_width:
            continue
        r, c = rows[lab == k].astype(float), cols[lab == k].astype(float)
        if r.std() > 0 and c.std() > 0:
            diagonal[k] = abs(np.corrcoef(r, c)[0, 1]) > 0.7
    return diagonal[lab]


def _around(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Unique pixels within a city-block distance of 3 of the given pixels."""
    dy, dx = np.mgrid[-3:4, -3:4]
    near = np.abs(dy) + np.abs(dx) <= 3
    mr = np.clip(rows[:, None] + dy[near][None, :], 0, shape[0] - 1).ravel()
    mc = np.clip(cols[:, None] + dx[near][None, :], 0, shape[1] - 1).ravel()
    mr, mc = np.unique(np.stack([mr, mc]), axis=1)
    return mr, mc


def measure_lane(
    strip: npt.NDArray[np.float32],
    windows: list[BandWindow],
    *,
    saturated: npt.NDArray[np.bool_] | None = None,
    background: npt.NDArray[np.float32] | None = None,
    noise: float,
    flank: int | None = None,
) -> LaneMeasurement:
    """Measure the bands of one lane.

    Parameters
    ----------
    strip : (K, w) ndarray
        Signal of the lane box (rows of the membrane, columns of the lane).
    windows : list of BandWindow
        One per band row, detected or predicted.
    saturated : (K, w) bool ndarray, optional
        Clipped pixels.
    background : (K, w) ndarray, optional
        A 2-D background to subtract instead of flank baselines.
    noise : float
        Per-pixel noise SD.
    flank : int, optional
        Flank length in rows; by default from the band widths.
    """
    n_rows, width = strip.shape
    k = len(windows)
    out = {name: np.zeros(k) for name in ("volume", "center", "top", "bottom", "peak",
                                          "background", "area")}
    n_sat = np.zeros(k, dtype=np.int64)
    if k == 0:
        return LaneMeasurement(**out, n_saturated=n_sat, noise=noise)
    data = strip - background if background is not None else strip
    profile = data.sum(axis=1, dtype=np.float64)
    typical = float(np.median([w.half_width for w in windows]))
    flank_len = flank or max(4, int(np.ceil(2.0 * typical)))
    groups = _clusters(windows, min_gap=3)
    tops = [min(windows[i].top for i in g) for g in groups]
    bottoms = [max(windows[i].bottom for i in g) for g in groups]
    for gi, group in enumerate(groups):
        top, bottom = tops[gi], bottoms[gi]
        if background is None:
            lim_above = bottoms[gi - 1] if gi > 0 else 0
            lim_below = tops[gi + 1] if gi + 1 < len(groups) else n_rows
            a0 = max(lim_above, top - flank_len)
            b1 = min(lim_below, bottom + flank_len)
            above = profile[a0:top]
            below = profile[bottom:b1]
            if above.size == 0 and below.size == 0:
                base_rows = np.zeros(bottom - top)
            elif above.size == 0:
                base_rows = np.full(bottom - top, below.mean())
            elif below.size == 0:
                base_rows = np.full(bottom - top, above.mean())
            else:
                ya, yb = (a0 + top - 1) / 2.0, (bottom + b1 - 1) / 2.0
                va, vb = above.mean(), below.mean()
                rows = np.arange(top, bottom)
                base_rows = va + (vb - va) * (rows - ya) / (yb - ya)
        else:
            base_rows = np.zeros(bottom - top)
        resid = profile[top:bottom] - base_rows
        rows = np.arange(top, bottom, dtype=np.float64)
        if len(group) == 1:
            shares = np.ones((1, resid.size))
        else:
            shares = _gaussian_shares(rows, resid, [windows[i] for i in group])
        box = data[top:bottom] - (base_rows / width)[:, None]
        for j, i in enumerate(group):
            contrib = resid * shares[j]
            out["volume"][i] = float(contrib.sum())
            weight = np.clip(contrib, 0, None)
            out["center"][i] = (float((rows * weight).sum() / weight.sum()) if weight.sum() > 0
                                else windows[i].row)
            main = shares[j] >= 0.5 if len(group) > 1 else np.ones(resid.size, dtype=bool)
            if not main.any():
                main = np.zeros(resid.size, dtype=bool)
                main[int(np.clip(round(windows[i].row) - top, 0, resid.size - 1))] = True
            sel = np.flatnonzero(main)
            out["top"][i] = top + sel[0]
            out["bottom"][i] = top + sel[-1] + 1
            out["peak"][i] = float(box[sel].max()) if sel.size else 0.0
            out["background"][i] = float(np.mean(base_rows[sel]) / width) if background is None \
                else float(background[top + sel].mean())
            out["area"][i] = float(sel.size * width) if len(group) > 1 else float((bottom - top) * width)
            if len(group) == 1:
                out["top"][i], out["bottom"][i] = top, bottom
            if saturated is not None:
                n_sat[i] = int(saturated[int(out["top"][i]) : int(out["bottom"][i])].sum())
    return LaneMeasurement(**out, n_saturated=n_sat, noise=noise)
