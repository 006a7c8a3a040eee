"""Finding membranes and lanes without input.

The approach follows adaptive lane finding (column projections of a band-enhanced
image, peaks, consensus) with three additions:

* **tilt**: the shear angle that makes column projections sharpest is found first
  and the image is deskewed before anything else;
* **membranes**: several membranes in one image are separated either by their
  distinct background plateau (a membrane glowing on a dark platen) or by band
  blocks whose lane patterns disagree (cut membranes with offset lanes);
* **compression**: each pixel's contribution to the column projection is capped
  at a few noise SDs, so faint lanes count as much as bright ones.

All functions work on the *detection* image: a shrunken, background-removed copy
of the signal. Coordinates returned are in pixels of that image times ``scale``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage as ndi
from scipy import signal as sps

__all__ = [
    "DetectionImage",
    "LaneGeometry",
    "detect_lanes_in_region",
    "estimate_tilt",
    "find_membranes",
    "make_detection_image",
]


@dataclass(frozen=True)
class DetectionImage:
    """A shrunken, band-enhanced copy of the signal used to find lanes.

    Attributes
    ----------
    enhanced : (m, n) ndarray
        Signal minus a vertical-line opening (bands kept, background removed).
    occupancy : (m, n) ndarray
        ``clip((enhanced - 2 noise) / (3 noise), 0, 1)``: how band-like each pixel is
        (0 for background noise, 1 for anything 5 noise SDs above background).
    coarse : (m, n) ndarray
        The shrunken signal itself (membrane plateaus live here).
    background : (m, n) ndarray
        The vertical-line opening of ``coarse``: bands removed, plateaus and gaps kept.
    factor : int
        Shrink factor (full-resolution pixels per detection pixel).
    noise : float
        Robust noise SD of ``enhanced``.
    """

    enhanced: np.ndarray
    occupancy: np.ndarray
    coarse: np.ndarray
    background: np.ndarray
    factor: int
    noise: float


@dataclass(frozen=True)
class LaneGeometry:
    """Lanes of one membrane in (deskewed) full-resolution coordinates.

    Attributes
    ----------
    centers, lefts, rights : (L,) ndarray
        Lane centre and the integration box edges (half-open), left to right.
    top, bottom : int
        Rows of the membrane region (half-open).
    cut_by_edge : (L,) ndarray of bool
    """

    centers: np.ndarray
    lefts: np.ndarray
    rights: np.ndarray
    top: int
    bottom: int
    cut_by_edge: np.ndarray


def robust_sd(values: npt.ArrayLike) -> float:
    """SD from the median absolute deviation of first differences (drift-free)."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 2:
        # every few rows suffice for a median of tens of thousands of differences
        step = max(1, v.shape[0] * v.shape[1] // 40_000)
        d = np.diff(v[::step], axis=1).ravel()
    else:
        d = np.diff(v)
    if d.size == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2.0))


def make_detection_image(signal: npt.ArrayLike, *, target: int = 700) -> DetectionImage:
    """Shrink the signal and enhance band-like structure for lane finding.

    Parameters
    ----------
    signal : (M, N) array_like
        Bands bright.
    target : int
        Approximate size of the longer side after shrinking.
    """
    from blotquant.image.background import block_reduce

    data = np.asarray(signal, dtype=np.float32)
    factor = max(1, round(max(data.shape) / target))
    coarse = block_reduce(data, factor=factor)
    h, w = coarse.shape
    # a vertical line opening: bands are short along the lane, while blotches,
    # gradients, smears and membrane plateaus are tall, so this removes bands and
    # keeps everything else; a short strip (a cropped band row) uses whole columns
    length = h if h < w / 4 else max(7, int(0.15 * h))
    opened = ndi.grey_opening(coarse, size=(length | 1, 1), mode="nearest")
    background = ndi.uniform_filter(opened, size=(max(3, length // 4) | 1, 3), mode="nearest")
    enhanced = coarse - np.minimum(background, coarse)
    # an opening sits below the noise; most pixels are background, so the median
    # of the difference is that offset
    enhanced = enhanced - np.median(enhanced)
    noise = max(robust_sd(enhanced), 1e-6 * float(np.ptp(coarse)) + 1e-12)
    occupancy = np.clip((enhanced - 2.0 * noise) / (3.0 * noise), 0.0, 1.0)
    return DetectionImage(enhanced, occupancy, coarse, opened, factor, noise)


def _shear_profile(image: np.ndarray, tan: float) -> np.ndarray:
    h, w = image.shape
    yy = np.arange(h, dtype=np.float64) - (h - 1) / 2.0
    shift = -tan * yy
    pad = int(np.ceil(np.abs(shift).max())) + 1
    xs = np.arange(w)[None, :] + shift[:, None] + pad
    i0 = np.floor(xs).astype(np.int64)
    frac = xs - i0
    out = np.zeros(w + 2 * pad + 2)
    np.add.at(out, i0.ravel(), (image * (1 - frac)).ravel())
    np.add.at(out, (i0 + 1).ravel(), (image * frac).ravel())
    return out


def estimate_tilt(occupancy: npt.ArrayLike, *, max_degrees: float = 6.0) -> float:
    """Angle (degrees) of lane tilt: positive when lanes lean right going down.

    A rotated blot tilts its lanes and its band rows by the same angle. For each
    candidate angle the image is sheared to undo it, and the sharpness (sum of
    squares) of the column projection (lanes) and of the row projection (band
    rows) are measured; each is scaled by its maximum over the angles and the two
    are added, so a blot with a single band row or a single lane still gives a
    well-defined answer, and a periodic lane pattern cannot alias onto the
    neighbouring lane. Coarse search in 0.25 degree steps, then 0.05.

    Parameters
    ----------
    occupancy : (m, n) array_like
        Band-likeness image (see :class:`DetectionImage`).
    max_degrees : float
        Largest tilt considered.
    """
    from blotquant.image.background import block_reduce

    small = np.asarray(occupancy, dtype=np.float64)
    if small.size > 250_000:
        step = int(np.ceil(np.sqrt(small.size / 250_000)))
        small = block_reduce(small, factor=step).astype(np.float64)
    if not small.any():
        return 0.0

    def scores(degrees: np.ndarray) -> np.ndarray:
        cols, rows = [], []
        for deg in degrees:
            t = np.tan(np.radians(deg))
            cols.append(np.sum(_shear_profile(small, t) ** 2))
            rows.append(np.sum(_shear_profile(small.T, -t) ** 2))
        cols_a, rows_a = np.asarray(cols), np.asarray(rows)
        return cols_a / cols_a.max() + rows_a / rows_a.max() - 1e-3 * np.abs(degrees)

    coarse = np.arange(-max_degrees, max_degrees + 1e-9, 0.25)
    best = float(coarse[int(np.argmax(scores(coarse)))])
    fine = np.arange(best - 0.25, best + 0.25 + 1e-9, 0.05)
    return float(fine[int(np.argmax(scores(fine)))])


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open runs of True in a 1-D boolean array."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _plateau_membranes(det: DetectionImage) -> list[tuple[int, int, int, int]]:
    """Membranes that stand out as bright plateaus of background (glowing membranes)."""
    coarse = ndi.median_filter(det.coarse, size=5)
    lo, hi = np.percentile(coarse, [2, 98])
    if hi - lo <= 0:
        return []
    from skimage.filters import threshold_otsu

    threshold = threshold_otsu(coarse)
    bright = coarse > threshold
    inner_lo = np.median(coarse[~bright]) if np.any(~bright) else lo
    inner_hi = np.median(coarse[bright]) if np.any(bright) else hi
    spread = robust_sd(coarse) * 4 + 1e-12
    # the two plateaus must differ by much more than the texture within them
    if inner_hi - inner_lo < 10 * spread or bright.mean() > 0.9 or bright.mean() < 0.15:
        return []
    bright = ndi.binary_opening(bright, iterations=2)
    labels, _n = ndi.label(bright)
    boxes = []
    for index, sl in enumerate(ndi.find_objects(labels), start=1):
        if sl is None:
            continue
        region = labels[sl] == index
        if region.sum() < 0.05 * coarse.size or region.mean() < 0.5:
            continue
        boxes.append((sl[0].start, sl[0].stop, sl[1].start, sl[1].stop))
    return boxes if len(boxes) >= 2 else []


def _lane_pattern(occ: np.ndarray) -> np.ndarray:
    prof = occ.sum(axis=0)
    prof = ndi.gaussian_filter1d(prof, 1.0)
    norm = np.linalg.norm(prof - prof.mean())
    return (prof - prof.mean()) / norm if norm > 0 else prof * 0


def _gap_membranes(det: DetectionImage) -> list[tuple[int, int, int, int]]:
    """Membranes stacked vertically, separated by interior rows of lower background.

    The median of each row of the band-free background (a wide opening, which
    removes bands but keeps dark gaps) is compared with a grey closing of itself:
    a gap between membranes is a dip at least 8 pixel-noise SDs deep and 10 % of
    the membrane's height above the darkest pixels, with steep edges (a slow
    blotch is not a gap), that does not touch the top or bottom of the image.
    """
    coarse = det.coarse
    h, w = coarse.shape
    level = ndi.gaussian_filter1d(np.median(det.background, axis=1), 1.0)
    closed = ndi.grey_closing(level, size=max(5, h // 3), mode="nearest")
    dip = closed - level
    noise = det.noise + 1e-12
    floor = float(np.percentile(coarse, 0.5))
    elevation = float(np.median(level)) - floor
    gap = (dip > 8 * noise) & (dip > 0.1 * max(elevation, 1e-12))
    steps = np.abs(np.diff(level, prepend=level[0]))

    def sharp(a: int, b: int) -> bool:
        depth = float(dip[a:b].max())
        edge_a = steps[max(0, a - 3) : a + 3].max()
        edge_b = steps[max(0, b - 3) : b + 3].max()
        return min(edge_a, edge_b) >= 0.25 * depth

    runs = [(a, b) for a, b in _runs(gap)
            if a > 0 and b < h and 2 <= b - a <= h // 4 and sharp(a, b)]
    if not runs:
        return []
    pieces, start = [], 0
    for a, b in runs:
        pieces.append((start, a))
        start = b
    pieces.append((start, h))
    margin = 1
    pieces = [(max(0, a + margin if a else 0), min(h, b - margin if b < h else h))
              for a, b in pieces]
    pieces = [(a, b) for a, b in pieces if b - a >= 0.1 * h]
    if len(pieces) < 2:
        return []
    return [(a, b, 0, w) for a, b in pieces]


def _offset_patterns(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two lane patterns match only after a shift (offset membranes)."""
    n = a.size
    best, best_shift = -1.0, 0
    for shift in range(-n // 4, n // 4 + 1):
        if shift >= 0:
            c = float(np.dot(a[shift:], b[: n - shift]))
        else:
            c = float(np.dot(a[: n + shift], b[-shift:]))
        if c > best:
            best, best_shift = c, shift
    return float(np.dot(a, b)) < 0.5 and best > 0.7 and abs(best_shift) >= 2


def find_membranes(det: DetectionImage) -> list[tuple[int, int, int, int]]:
    """Regions (top, bottom, left, right) of the membranes, detection pixels.

    Tried in turn: membranes glowing on a darker platen (2-D plateaus), membranes
    stacked with a darker gap between them (row dips), and cut membranes whose
    band blocks show the same lane pattern shifted sideways. A single region
    covering the whole image is returned when nothing suggests several membranes.
    Regions are ordered top to bottom, then left to right.
    """
    h, w = det.occupancy.shape
    boxes = _plateau_membranes(det)
    if boxes:
        boxes.sort(key=lambda b: (b[0] // max(1, (h // 4)), b[2]))
        return boxes
    boxes = _gap_membranes(det)
    if boxes:
        return boxes
    # band blocks: rows that hold bands; split where lane patterns are offset
    row_activity = det.occupancy.mean(axis=1)
    active = ndi.gaussian_filter1d(row_activity, 1.0) > max(0.02, 0.15 * row_activity.max())
    blocks = [b for b in _runs(active) if b[1] - b[0] >= 2]
    if len(blocks) < 2:
        return [(0, h, 0, w)]
    groups: list[list[tuple[int, int]]] = [[blocks[0]]]
    for block in blocks[1:]:
        prev = groups[-1]
        a = _lane_pattern(det.occupancy[prev[0][0] : prev[-1][1]])
        b = _lane_pattern(det.occupancy[block[0] : block[1]])
        blank_gap = block[0] - prev[-1][1] >= max(4, h // 25)
        if blank_gap and _offset_patterns(a, b):
            groups.append([block])
        else:
            prev.append(block)
    if len(groups) == 1:
        return [(0, h, 0, w)]
    cuts = [0]
    for g1, g2 in itertools.pairwise(groups):
        cuts.append((g1[-1][1] + g2[0][0]) // 2)
    cuts.append(h)
    return [(cuts[i], cuts[i + 1], 0, w) for i in range(len(groups))]


def lane_profile(enhanced: np.ndarray, occupancy: np.ndarray) -> np.ndarray:
    """Column profile in which faint and bright lanes count alike and gaps still dip.

    Each row is divided by its own 95th percentile and square-root compressed,
    then rows are added with weights equal to how band-like they are (their mean
    occupancy), so rows of noise contribute nothing.
    """
    weights = occupancy.mean(axis=1)
    rows = np.flatnonzero(weights > 0.01)
    if rows.size == 0:
        return np.zeros(enhanced.shape[1])
    sub = np.clip(enhanced[rows], 0, None)
    scale = np.percentile(sub, 95, axis=1)[:, None]
    scale[scale <= 0] = np.inf
    norm = np.sqrt(np.clip(sub / scale, 0, 1.0))
    norm = norm * (occupancy[rows] > 0)
    return (weights[rows, None] * norm).sum(axis=0).astype(np.float64)


def _merge_close(peaks: np.ndarray, prom: np.ndarray, profile: np.ndarray, *, min_distance: float):
    """Merge neighbouring peaks closer than ``min_distance`` (one lane with a dip)."""
    peaks, prom = list(peaks), list(prom)
    i = 0
    while i < len(peaks) - 1:
        if peaks[i + 1] - peaks[i] < min_distance:
            a, b = peaks[i], peaks[i + 1]
            wa, wb = profile[a], profile[b]
            peaks[i] = round((a * wa + b * wb) / max(wa + wb, 1e-12))
            prom[i] = max(prom[i], prom[i + 1])
            del peaks[i + 1], prom[i + 1]
        else:
            i += 1
    return np.asarray(peaks, dtype=int), np.asarray(prom)


def _split_wide(peaks: np.ndarray, prom: np.ndarray, profile: np.ndarray, *, pitch: float):
    """Split a plateau that spans several pitches into that many lanes (touching lanes)."""
    out_p, out_q = [], []
    for p, q in zip(peaks, prom, strict=True):
        height = profile[p]
        level = 0.5 * height
        a = p
        while a > 0 and profile[a - 1] > level:
            a -= 1
        b = p
        while b < profile.size - 1 and profile[b + 1] > level:
            b += 1
        n_parts = round((b - a + 1) / pitch)
        if n_parts >= 2 and (b - a + 1) > 1.6 * pitch:
            step = (b - a + 1) / n_parts
            for k in range(n_parts):
                centre = round(a + step * (k + 0.5))
                if not any(abs(centre - x) < 0.5 * pitch for x in out_p):
                    out_p.append(centre)
                    out_q.append(q)
        elif not any(abs(p - x) < 0.5 * pitch for x in out_p):
            out_p.append(int(p))
            out_q.append(q)
    order = np.argsort(out_p)
    return np.asarray(out_p, dtype=int)[order], np.asarray(out_q)[order]


def _add_faint_lanes(peaks: np.ndarray, prom: np.ndarray, occupancy: np.ndarray, *, pad: int):
    """Second pass: lanes too faint for the intensity profile, away from known lanes.

    The occupancy count (how many rows of each column hold band-like pixels)
    counts a faint lane as fully as a bright one; its peaks at least 0.75 pitch
    from every lane already found, and at least a fifth as tall as the typical
    lane's count, are added.
    """
    count = ndi.gaussian_filter1d(occupancy.sum(axis=0).astype(np.float64), 1.0)
    padded = np.pad(count, pad, mode="constant")
    pitch = float(np.median(np.diff(peaks)))
    typical = float(np.median(padded[peaks]))
    if typical <= 0:
        return peaks, prom
    found, _ = sps.find_peaks(padded, prominence=0.2 * typical, height=0.2 * typical)
    extra = [int(q) for q in found if np.min(np.abs(peaks - q)) >= 0.75 * pitch]
    if not extra:
        return peaks, prom
    all_peaks = np.concatenate([peaks, extra])
    all_prom = np.concatenate([prom, np.full(len(extra), float(np.min(prom)))])
    order = np.argsort(all_peaks)
    return all_peaks[order], all_prom[order]


def _fill_gaps(peaks: np.ndarray, prom: np.ndarray, *, n_lanes: int, size: int):
    """Empty lanes show nothing; when the user says how many lanes there are,
    place the missing ones on the lane pitch in the widest gaps (then past the ends)."""
    peaks = [int(v) for v in peaks]
    prom_list = [float(v) for v in prom]
    pitch = float(np.min(np.diff(peaks))) if len(peaks) > 1 else float(size)
    while len(peaks) < n_lanes:
        gaps = np.diff(peaks)
        k = int(np.argmax(gaps))
        if gaps[k] >= 1.5 * pitch:
            new = peaks[k] + round(gaps[k] / round(gaps[k] / pitch))
        elif peaks[-1] + pitch < size:
            new = peaks[-1] + round(pitch)
        elif peaks[0] - pitch >= 0:
            new = peaks[0] - round(pitch)
        else:
            break
        peaks.append(new)
        prom_list.append(0.0)
        order = np.argsort(peaks)
        peaks = [peaks[i] for i in order]
        prom_list = [prom_list[i] for i in order]
    return np.asarray(peaks, dtype=int), np.asarray(prom_list)


def detect_lanes_in_region(
    det: DetectionImage,
    region: tuple[int, int, int, int],
    *,
    n_lanes: int | None = None,
    full_shape: tuple[int, int],
) -> LaneGeometry:
    """Find lanes inside one membrane region.

    Parameters
    ----------
    det : DetectionImage
    region : (top, bottom, left, right)
        Detection-image pixels.
    n_lanes : int, optional
        Exact number of lanes expected (the strongest ``n_lanes`` peaks are kept).
    full_shape : (M, N)
        Shape of the full-resolution image, to clip boxes.

    Returns
    -------
    LaneGeometry
        Full-resolution coordinates. Empty arrays when no lane is found.
    """
    top, bottom, left, right = region
    occ = det.occupancy[top:bottom, left:right]
    f = det.factor
    profile = lane_profile(det.enhanced[top:bottom, left:right], occ)
    smooth = ndi.gaussian_filter1d(profile, 1.0)
    pad = 3
    padded = np.pad(smooth, pad, mode="constant")
    peak_max = float(smooth.max()) if smooth.size else 0.0
    empty = LaneGeometry(np.zeros(0), np.zeros(0), np.zeros(0), top * f, bottom * f,
                         np.zeros(0, dtype=bool))
    if peak_max <= 0:
        return empty
    peaks, props = sps.find_peaks(padded, prominence=0.12 * peak_max, distance=2)
    if peaks.size == 0:
        return empty
    prominences = props["prominences"]
    if peaks.size >= 3:
        # typical lane pitch from the peaks themselves; peaks much closer than it
        # are one lane with a dip, plateaus much wider are touching lanes
        pitch = float(np.median(np.diff(peaks)))
        peaks, prominences = _merge_close(peaks, prominences, padded, min_distance=0.5 * pitch)
        pitch = float(np.median(np.diff(peaks))) if peaks.size >= 3 else pitch
        peaks, prominences = _split_wide(peaks, prominences, padded, pitch=pitch)
    if peaks.size >= 2 and (n_lanes is None or peaks.size < n_lanes):
        peaks, prominences = _add_faint_lanes(peaks, prominences, occ, pad=pad)
    if n_lanes is not None and 2 <= peaks.size < n_lanes:
        peaks, prominences = _fill_gaps(peaks, prominences, n_lanes=n_lanes, size=padded.size)
    if n_lanes is not None and peaks.size > n_lanes:
        strongest = np.sort(np.argsort(-prominences)[:n_lanes])
        peaks, prominences = peaks[strongest], prominences[strongest]
    peaks = peaks - pad
    centers, lefts, rights, cut = [], [], [], []
    n = smooth.size
    for k, p in enumerate(peaks):
        p = int(np.clip(p, 0, n - 1))
        lo_lim = (peaks[k - 1] + p) / 2 if k > 0 else 0
        hi_lim = (peaks[k + 1] + p) / 2 if k + 1 < peaks.size else n
        height = smooth[p]
        floor = min(smooth[int(lo_lim) : p + 1].min(), smooth[p : int(np.ceil(hi_lim)) + 1].min())
        level = floor + 0.2 * (height - floor)
        a = p
        while a > lo_lim and smooth[a - 1] > level:
            a -= 1
        b = p
        while b < hi_lim - 1 and smooth[b + 1] > level:
            b += 1
        touches = a <= 0 or b >= n - 1
        # box: the 20 % width, widened by a margin, never past the midpoints
        half = (b - a + 1) / 2.0
        margin = max(1.0, 0.35 * half)
        box_l = max(lo_lim, a - margin)
        box_r = min(hi_lim, b + 1 + margin)
        centers.append((a + b + 1) / 2.0 if not touches else float(p) + 0.5)
        lefts.append(box_l)
        rights.append(box_r)
        cut.append(bool(touches))
    to_full = lambda v: (np.asarray(v, dtype=np.float64) + left) * f
    W = full_shape[1]
    lefts_full = np.clip(np.floor(to_full(lefts)), 0, W).astype(int)
    rights_full = np.clip(np.ceil(to_full(rights)), 0, W).astype(int)
    return LaneGeometry(
        centers=to_full(centers),
        lefts=lefts_full,
        rights=rights_full,
        top=int(top * f),
        bottom=int(min(bottom * f, full_shape[0])),
        cut_by_edge=np.asarray(cut, dtype=bool),
    )
