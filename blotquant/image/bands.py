"""Finding bands in lane profiles and grouping them into band rows.

A lane profile is the mean of the lane's central columns at every row of the
(deskewed) signal. Bands are its peaks that stand out from a running baseline by
several noise SDs *and* appear in both halves of the lane (a dust speck or a
bubble does not). Peaks are then linked across lanes into band rows (tracks) by
predicting each row's position from the lanes already seen, which follows a
smile (band rows curving across the blot) without confusing a close doublet.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage as ndi

from blotquant.image import peaks as sps
from blotquant.image.background import profile_baseline
from blotquant.image.lanes import robust_sd

__all__ = ["LanePeaks", "find_lane_peaks", "link_band_rows"]


@dataclass(frozen=True)
class LanePeaks:
    """Peaks found in one lane's profile (rows in full-resolution deskewed pixels).

    Attributes
    ----------
    rows : (K,) ndarray of float
        Peak positions (sub-pixel, parabolic interpolation).
    heights : (K,) ndarray
        Peak height above the baseline, grey levels (lane-mean units).
    noise : float
        Noise SD of the lane-mean profile.
    widths : (K,) ndarray
        Full width at half maximum of each peak, rows.
    """

    rows: np.ndarray
    heights: np.ndarray
    noise: float
    widths: np.ndarray

    def subset(self, keep: np.ndarray) -> LanePeaks:
        """The peaks where ``keep`` is True."""
        return LanePeaks(self.rows[keep], self.heights[keep], self.noise, self.widths[keep])

    def shifted(self, rows: float) -> LanePeaks:
        """The same peaks with their rows moved by ``rows``."""
        return LanePeaks(self.rows + rows, self.heights, self.noise, self.widths)


def lane_columns(left: int, right: int, *, core: float = 0.6) -> tuple[int, int]:
    """The central ``core`` fraction of a lane box's columns (at least 1)."""
    width = right - left
    margin = round(width * (1 - core) / 2)
    a, b = left + margin, right - margin
    if b <= a:
        a, b = left, max(right, left + 1)
    return a, b


def find_lane_peaks(
    strip: npt.ArrayLike,
    *,
    window: int,
    min_snr: float = 5.0,
    max_width: float = np.inf,
) -> LanePeaks:
    """Find band peaks in one lane.

    Parameters
    ----------
    strip : (K, w) array_like
        The lane's central columns, rows of the membrane.
    window : int
        Baseline window (rows), wider than the widest band.
    min_snr : float
        Minimum prominence in noise SDs of the smoothed profile.
    max_width : float
        Largest full width at half maximum (rows) a band may have.
    """
    data = np.asarray(strip, dtype=np.float64)
    w = data.shape[1]
    profile = data.mean(axis=1)
    base = profile_baseline(profile, window=window)
    resid = profile - base
    # white noise from pixel differences, or the slow wiggle of a blotchy
    # background (MAD of the baseline-removed profile; bands are usually too
    # sparse to move a median), whichever is larger
    smooth_resid = ndi.gaussian_filter1d(resid, 1.0)
    wiggle = 1.4826 * float(np.median(np.abs(smooth_resid - np.median(smooth_resid)))) / 0.53
    white = robust_sd(profile)
    # capped: in a short strip that bands mostly fill, the MAD measures bands
    noise = max(white, min(wiggle, 4.0 * white))
    # noise of the per-column pixels, for the two-halves test
    smooth = ndi.gaussian_filter1d(resid, 1.0)
    noise_s = max(noise * 0.53, 1e-12)
    peaks, _props = sps.find_peaks(smooth, prominence=min_snr * noise_s, height=0.6 * min_snr * noise_s)
    if peaks.size == 0:
        return LanePeaks(np.zeros(0), np.zeros(0), noise, np.zeros(0))
    keep = np.ones(peaks.size, dtype=bool)
    if w >= 4:
        # a band spans the lane: every part of the lane core must show the peak
        # (a dust speck, a bubble or a pinhole covers only part of it)
        n_parts = 4 if w >= 12 else 2
        edges = np.linspace(0, w, n_parts + 1).astype(int)
        parts = np.stack([
            ndi.gaussian_filter1d(data[:, a:b].mean(axis=1) - base, 1.0)
            for a, b in itertools.pairwise(edges)
        ])
        for i, p in enumerate(peaks):
            values = parts[:, p]
            keep[i] = bool(values.min() > 0 and values.min() >= 0.25 * values.max())
    # bands are bars across the lane, shorter than the lane is wide; broader
    # bumps are background (blotches, smears) the baseline did not follow
    widths = sps.peak_widths(smooth, peaks, rel_height=0.5)[0]
    keep &= widths <= max(3.0, max_width)
    peaks, widths = peaks[keep], widths[keep]
    # sub-pixel position by parabola through the three top samples
    rows = []
    for p in peaks:
        if 0 < p < smooth.size - 1:
            a, b, c = smooth[p - 1], smooth[p], smooth[p + 1]
            denom = a - 2 * b + c
            offset = 0.5 * (a - c) / denom if denom < 0 else 0.0
            rows.append(p + float(np.clip(offset, -0.5, 0.5)))
        else:
            rows.append(float(p))
    return LanePeaks(np.asarray(rows), smooth[peaks], noise, widths)


def _assign(cost: np.ndarray, big: float) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost assignment; without SciPy's solver when no choice is contested.

    When every peak has at most one row within reach and every row at most one
    peak, the pairs themselves are the optimum; only contested cases need the
    Hungarian method (and the slow-to-import :mod:`scipy.optimize`).
    """
    reachable = cost < big
    if (reachable.sum(axis=0) <= 1).all() and (reachable.sum(axis=1) <= 1).all():
        rows, cols = np.nonzero(reachable)
        return rows, cols
    from scipy.optimize import linear_sum_assignment

    return linear_sum_assignment(cost)


def _predict_row(pos: dict[int, float], lane: int) -> float:
    """Row position expected in ``lane`` from a band row's positions in other lanes.

    Interpolated between the nearest lanes on either side; beyond the row's ends,
    extrapolated along a least-squares line through its nearest (up to four)
    lanes, so that one noisy position does not send the row astray across a gap.
    """
    lanes = np.array(sorted(pos), dtype=np.float64)
    ys = np.array([pos[int(k)] for k in lanes])
    if lanes.size == 1:
        return float(ys[0])
    if lanes[0] <= lane <= lanes[-1]:
        return float(np.interp(lane, lanes, ys))
    near = np.argsort(np.abs(lanes - lane), kind="stable")[:4]
    x, y = lanes[near], ys[near]
    slope = float(np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2))
    return float(y.mean() + slope * (lane - x.mean()))


def _merge_disjoint_rows(tracks: list[dict[int, int]], positions: list[dict[int, float]],
                         tolerance: float) -> None:
    """Join band rows that share no lane and lie on one line (a row broken by a gap).

    A row that loses its way across lanes without the band (or a noisy position
    that tilts its prediction) restarts as a new row; two rows are one when each
    position of either lies within ``tolerance`` of where the other predicts it.
    Both lists are updated in place.
    """
    merged = True
    while merged:
        merged = False
        order = sorted(range(len(positions)), key=lambda i: np.mean(list(positions[i].values())))
        for a, b in itertools.pairwise(order):
            pa, pb = positions[a], positions[b]
            if set(pa) & set(pb):
                continue
            fits = all(abs(_predict_row(pa, k) - y) <= tolerance for k, y in pb.items()) and all(
                abs(_predict_row(pb, k) - y) <= tolerance for k, y in pa.items())
            if fits:
                pa.update(pb)
                tracks[a].update(tracks[b])
                positions.pop(b)
                tracks.pop(b)
                merged = True
                break


def link_band_rows(
    lane_peaks: list[np.ndarray],
    *,
    tolerance: float,
) -> list[dict[int, int]]:
    """Link peaks across lanes (left to right) into band rows.

    Parameters
    ----------
    lane_peaks : list of (K_i,) arrays
        Peak rows of each lane, in lane order.
    tolerance : float
        Largest distance (rows) between a peak and a row's predicted position.

    Returns
    -------
    list of dict
        One dict per band row mapping lane index -> peak index, sorted top to bottom.
    """
    tracks: list[dict[int, int]] = []
    positions: list[dict[int, float]] = []
    for lane, rows in enumerate(lane_peaks):
        if rows.size == 0:
            continue
        assigned = set()
        if positions:
            pred = np.array([_predict_row(p, lane) for p in positions])
            cost = np.abs(rows[:, None] - pred[None, :])
            big = 1e6
            cost_m = np.where(cost <= tolerance, cost, big)
            r_idx, c_idx = _assign(cost_m, big)
            for r, c in zip(r_idx, c_idx, strict=True):
                if cost_m[r, c] < big:
                    tracks[c][lane] = int(r)
                    positions[c][lane] = float(rows[r])
                    assigned.add(int(r))
        for r in range(rows.size):
            if r not in assigned:
                tracks.append({lane: r})
                positions.append({lane: float(rows[r])})
    _merge_disjoint_rows(tracks, positions, tolerance)
    order = np.argsort([np.mean(list(p.values())) for p in positions])
    return [dict(sorted(tracks[i].items())) for i in order]
