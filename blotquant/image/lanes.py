"""Finding membranes and lanes without input.

The approach follows adaptive lane finding (one column projection per band-row
strip of a band-enhanced image, peaks, consensus) with these additions:

* **tilt**: the shear angle that makes column projections sharpest is found first
  and the image is deskewed before anything else;
* **membranes**: several membranes in one image are separated either by their
  distinct background plateau (a membrane glowing on a dark platen) or by band
  blocks whose lane patterns disagree (cut membranes with offset lanes);
* **compression**: half of each strip's projection is occupancy (capped at a few
  noise SDs), so faint lanes count as much as bright ones;
* **pitch**: peaks are smoothed on the scale of the lane spacing, and a gap of
  exactly two or three spacings between loaded lanes holds inferred empty lanes
  (checked again by :func:`add_inferred_lanes` once artefact lanes are dropped);
  the spacing may be half the median one when every other lane is empty;
* **faint lanes**: lanes too faint for the profile's peaks are found again from
  the occupancy count, and a faint lane touching a bright one from the flat
  shelf it makes on the bright lane's flank;
* **touching lanes**: a plateau several pitches wide is split evenly, or, when too
  few peaks are left to measure the pitch from, at the dips the lightly smoothed
  profile still shows between the lanes; peaks that stand whole multiples of the
  autocorrelation pitch apart get the lanes smoothing merged between them back,
  where the light profile dips between every pair;
* **specks**: a "lane" under 0.4 of the median lane width (dust, an edge glow) is
  dropped unless the lane count is given.

All functions work on the *detection* image: a shrunken, background-removed copy
of the signal. Coordinates returned are in pixels of that image times ``scale``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage as ndi

from blotquant.image import peaks as sps

__all__ = [
    "DetectionImage",
    "LaneGeometry",
    "detect_lanes_in_region",
    "estimate_tilt",
    "find_membranes",
    "make_detection_image",
]


#: A lane box is the lane widened on each side by this fraction of its half width.
BOX_MARGIN = 0.35


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
    inferred : (L,) ndarray of bool
        True for an empty lane placed from the lane spacing (a gap of exactly
        two or three pitches between loaded lanes), not seen in the image.
    """

    centers: np.ndarray
    lefts: np.ndarray
    rights: np.ndarray
    top: int
    bottom: int
    cut_by_edge: np.ndarray
    inferred: np.ndarray


def robust_sd(values: npt.ArrayLike) -> float:
    """SD from the median absolute deviation of first differences (drift-free).

    Integer data whose noise is below one grey level has mostly zero differences
    (a zero MAD); its SD then comes from the mean absolute deviation.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 2:
        # every few rows suffice for a median of tens of thousands of differences
        step = max(1, v.shape[0] * v.shape[1] // 40_000)
        d = np.diff(v[::step], axis=1).ravel()
    else:
        d = np.diff(v)
    if d.size == 0:
        return 0.0
    deviation = np.abs(d - np.median(d))
    mad = float(np.median(deviation))
    if mad > 0:
        return float(1.4826 * mad / np.sqrt(2.0))
    # over half the differences are exactly zero: integer data whose noise is
    # below one grey level (8-bit, JPEG); the mean absolute deviation still sees it
    return float(np.sqrt(np.pi / 2.0) * np.mean(deviation) / np.sqrt(2.0))


def make_detection_image(
    signal: npt.ArrayLike, *, target: int = 700, quantum: float = 0.0
) -> DetectionImage:
    """Shrink the signal and enhance band-like structure for lane finding.

    Parameters
    ----------
    signal : (M, N) array_like
        Bands bright.
    target : int
        Approximate size of the longer side after shrinking.
    quantum : float
        Grey-level step of the input (1 for integer images, 0 for float): the
        noise is never taken below the rounding noise of a shrunken pixel, so a
        perfectly flat (clipped or compressed) background is not read as noise-free.
    """
    from blotquant.image.background import block_reduce, edge_padded_opening

    data = np.asarray(signal, dtype=np.float32)
    factor = max(1, round(max(data.shape) / target))
    coarse = block_reduce(data, factor=factor)
    h, w = coarse.shape
    # a vertical line opening: bands are short along the lane, while blotches,
    # gradients, smears and membrane plateaus are tall, so this removes bands and
    # keeps everything else; a short strip (a cropped band row) uses whole columns
    length = h if h < w / 4 else max(7, int(0.15 * h))
    opened = edge_padded_opening(coarse, (length | 1, 1))
    background = ndi.uniform_filter(opened, size=(max(3, length // 4) | 1, 3), mode="nearest")
    enhanced = coarse - np.minimum(background, coarse)
    # an opening sits below the noise; most pixels are background, so the median
    # of the difference is that offset
    enhanced = enhanced - np.median(enhanced)
    # pixel-to-pixel differences measure white noise; the spread of the lower half
    # of the values (bands only add to the upper half) also catches noise that is
    # correlated between neighbouring pixels (binned or smoothed imagers, film grain)
    spread = -float(np.percentile(enhanced, 15.87))
    floor = 0.3 * quantum / factor + 1e-6 * float(np.ptp(coarse)) + 1e-12
    noise = max(robust_sd(enhanced), spread, floor)
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
    """Membranes that stand out as bright plateaus of background (glowing membranes).

    The plateaus must hold at least 80 % of the band occupancy.
    """
    coarse = ndi.median_filter(det.coarse, size=3)
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
    if len(boxes) < 2:
        return []
    # membranes hold the bands: bright patches of background (blotches, a
    # gradient) that leave most of the band signal outside are not membranes
    inside = np.zeros(coarse.shape, dtype=bool)
    for top, bottom, left, right in boxes:
        inside[top:bottom, left:right] = True
    total = float(det.occupancy.sum())
    if total > 0 and float(det.occupancy[inside].sum()) < 0.8 * total:
        return []
    return boxes


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
    """True when two lane patterns match only after a shift (offset membranes).

    A shift by a whole number of lane pitches (the first autocorrelation lag of
    the two patterns together) does not count: that is one lane grid whose band
    rows have different lanes loaded.
    """
    n = a.size
    best, best_shift = -1.0, 0
    for shift in range(-n // 4, n // 4 + 1):
        if shift >= 0:
            c = float(np.dot(a[shift:], b[: n - shift]))
        else:
            c = float(np.dot(a[: n + shift], b[-shift:]))
        if c > best:
            best, best_shift = c, shift
    if not (float(np.dot(a, b)) < 0.5 and best > 0.7 and abs(best_shift) >= 2):
        return False
    # a shift by whole lane pitches is the same lane grid with other lanes loaded
    pitches = pitch_candidates(a + b)
    if pitches.size:
        turns = abs(best_shift) / float(pitches[0])
        if turns >= 0.75 and abs(turns - round(turns)) <= 0.25:
            return False
    return True


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


def lane_profile(
    enhanced: np.ndarray, occupancy: np.ndarray, *, noise: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Column profiles of a membrane in which every band row and every lane counts.

    The membrane is cut into horizontal strips, one per band row (runs of rows
    whose mean occupancy is above 10 % of the busiest row's), as in adaptive
    lane finding. In each strip every column takes its *maximum* over the strip's
    rows, so a band that drifts up or down across the blot (smile, tilt) is seen
    whole. Strips are added weighted by how much of their width holds bands, so
    a strip holding one lane's band (a ladder) adds little.

    Returns
    -------
    presence : ndarray
        Occupancy: a faint lane counts as much as a bright one.
    intensity : ndarray
        Signal relative to each strip's 90th percentile, counted from 2 ``noise``
        SDs up and scaled by at least 6 SDs (so noise between lanes adds
        nothing): the dips between lanes that touch, and the lane edges.
    """
    weights = occupancy.mean(axis=1)
    presence_total = np.zeros(enhanced.shape[1])
    intensity_total = np.zeros(enhanced.shape[1])
    if not np.any(weights > 0):
        return presence_total, intensity_total
    active = ndi.gaussian_filter1d(weights, 1.0) > max(0.02, 0.1 * weights.max())
    for a, b in _runs(active):
        a, b = max(0, a - 1), min(enhanced.shape[0], b + 1)
        presence = occupancy[a:b].max(axis=0)
        above = enhanced[a:b].max(axis=0) - 2.0 * noise
        scale = max(float(np.percentile(above, 90)), 6.0 * noise)
        weight = float(presence.mean())
        presence_total += weight * presence
        if scale > 0:
            intensity_total += weight * np.clip(above / scale, 0.0, 1.0)
    return presence_total, intensity_total


def pitch_candidates(profile: npt.ArrayLike, *, min_lag: float = 4.0) -> np.ndarray:
    """Lags at which a lane profile repeats: local maxima of its autocorrelation.

    The profile minus its slow trend is autocorrelated; every local maximum at
    lags from ``min_lag`` to 0.6 of the length with a correlation above 0.1 is
    returned (parabolic sub-sample refinement), smallest lag first. The lane
    pitch is usually the first, but lanes of alternating brightness or groups of
    lanes also correlate at multiples, so callers choose among them.
    """
    x = np.asarray(profile, dtype=np.float64)
    n = x.size
    lo, hi = max(2, int(np.ceil(min_lag))), int(0.6 * n)
    if hi - lo < 3:
        return np.zeros(0)
    x = x - ndi.gaussian_filter1d(x, max(2.0, n / 6.0), mode="nearest")
    spectrum = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    if ac[0] <= 0:
        return np.zeros(0)
    ac = ac / ac[0]
    lags = np.arange(lo, hi)
    maxima = lags[(ac[lags] > ac[lags - 1]) & (ac[lags] >= ac[lags + 1]) & (ac[lags] > 0.1)]
    a, b, c = ac[maxima - 1], ac[maxima], ac[maxima + 1]
    denom = a - 2 * b + c
    shift = np.where(denom < 0, 0.5 * (a - c) / np.where(denom < 0, denom, -1.0), 0.0)
    return maxima + shift


def _lane_pitch(profile: np.ndarray) -> float | None:
    """The lane pitch: the autocorrelation lag nearest the spacing of plain peaks.

    Peaks of the lightly smoothed profile give a rough spacing (too small when
    lanes have internal wiggles, too large when lanes are missed); the
    autocorrelation gives exact but ambiguous candidates (multiples from groups
    or alternating lanes). The candidate within a factor 0.7-1.6 of the rough
    spacing, nearest it, is taken. When none agrees, the rough spacing is
    measured again without the peaks less than 0.3 of the median peak's
    prominence (noise wiggles in the gaps between lanes); None when still no
    candidate agrees.
    """
    smooth = ndi.gaussian_filter1d(profile, 1.0)
    if smooth.size < 8 or smooth.max() <= 0:
        return None
    candidates = pitch_candidates(profile)
    if candidates.size == 0:
        return None
    peaks, props = sps.find_peaks(np.pad(smooth, 3), prominence=0.12 * smooth.max(), distance=2)
    prominence = props["prominences"]
    for keep in (prominence > 0, prominence >= 0.3 * np.median(prominence)):
        if keep.sum() < 3:
            return None
        rough = float(np.median(np.diff(peaks[keep])))
        ratio = candidates / rough
        ok = (ratio >= 0.7) & (ratio <= 1.6)
        if ok.any():
            return float(candidates[ok][np.argmin(np.abs(np.log(ratio[ok])))])
    return None


def run_above(profile: np.ndarray, start: int, level: float, *, lo: float = 0,
              hi: float | None = None) -> tuple[int, int]:
    """The run of samples around ``start`` that stay above ``level`` (inclusive ends).

    The walk stops at the first sample not above ``level``, or when the run's
    ends reach ``lo`` and ``hi`` (default: the ends of the profile).
    """
    hi = profile.size - 1 if hi is None else hi
    a = b = int(start)
    while a > lo and profile[a - 1] > level:
        a -= 1
    while b < hi and profile[b + 1] > level:
        b += 1
    return a, b


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


def _merged_lanes(peaks: np.ndarray, pitch: float) -> bool:
    """True when peaks stand whole multiples of ``pitch`` apart, mostly over one.

    The signature of touching lanes merged by smoothing: at least 70 % of the
    spacings lie within 8 % per pitch of a whole multiple ``m`` (so ``0.08 m``
    pitches: the pitch's own error adds up over the lanes in a gap), and the
    median multiple is two or more.
    """
    multiples = np.diff(peaks) / pitch
    m = np.maximum(np.round(multiples), 1)
    whole = np.abs(multiples - m) <= 0.08 * m
    return bool(whole.mean() >= 0.7 and np.median(np.round(multiples)) >= 2)


def _dip_near(light: np.ndarray, centre: int, *, lo: int, hi: int, pitch: float,
              depth: float) -> int | None:
    """The lowest point of ``light`` within a quarter ``pitch`` of ``centre``, if a dip.

    The search stays inside ``[lo, hi]``; the point is a dip when it lies lower by
    ``depth`` than the lower of its shoulders (the highest points within half a
    pitch on either side). None when there is no such dip.
    """
    reach = max(1, round(0.25 * pitch))
    half = max(2, round(0.5 * pitch))
    a, b = max(lo, centre - reach), min(hi, centre + reach)
    if b <= a:
        return None
    x = a + int(np.argmin(light[a : b + 1]))
    shoulder = min(light[max(0, x - half) : x + 1].max(), light[x : x + half + 1].max())
    return x if shoulder - light[x] >= depth * shoulder else None


def _split_gaps_at_dips(peaks: np.ndarray, prom: np.ndarray, light: np.ndarray, *,
                        pitch: float, depth: float = 0.1):
    """Lanes between two peaks that stand a whole number of pitches apart.

    Between neighbouring peaks ``m`` pitches apart (``m`` >= 2, within 8 % per
    pitch) lie ``m - 1`` lanes that smoothing merged into their neighbours; they
    are added at the middles between the dips of the lightly smoothed ``light``
    profile, but only when all ``m`` dips are found, each within a quarter pitch
    of its even position and lower by ``depth`` than the lower of its shoulders
    (the highest points within half a pitch on either side).
    """
    out_p, out_q = [int(peaks[0])], [prom[0]]
    for k in range(1, peaks.size):
        a, b = int(peaks[k - 1]), int(peaks[k])
        m = round((b - a) / pitch)
        if m >= 2 and abs((b - a) / m - pitch) <= 0.08 * pitch:
            step = (b - a) / m
            dips = []
            for j in range(m):
                x = _dip_near(light, round(a + step * (j + 0.5)), lo=a + 1, hi=b - 1,
                              pitch=pitch, depth=depth)
                if x is None:
                    break
                dips.append(x)
            if len(dips) == m:
                for lo, hi in itertools.pairwise(dips):
                    out_p.append((lo + hi) // 2)
                    out_q.append(min(prom[k - 1], prom[k]))
        out_p.append(b)
        out_q.append(prom[k])
    return np.asarray(out_p, dtype=int), np.asarray(out_q)


def _split_wide(peaks: np.ndarray, prom: np.ndarray, profile: np.ndarray, *, pitch: float):
    """Split a plateau that spans several pitches into that many lanes (touching lanes)."""
    out_p, out_q = [], []
    for p, q in zip(peaks, prom, strict=True):
        a, b = run_above(profile, p, 0.5 * profile[p])
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


def _split_at_dips(peaks: np.ndarray, prom: np.ndarray, smooth: np.ndarray, light: np.ndarray,
                   *, pitch: float, depth: float = 0.1):
    """Split plateaus several lane pitches wide where the lightly smoothed profile dips.

    Lanes that nearly touch merge into one plateau once the profile is smoothed on
    the scale of the pitch, but the narrow gaps between them still show as dips in
    the lightly smoothed ``light`` profile. A plateau (the run above half its
    highest peak's height in ``smooth``) at least 1.6 ``pitch`` wide that should
    hold ``n`` lanes but holds fewer peaks is cut only where every one of the
    ``n - 1`` cuts finds a dip within a quarter pitch of its even position, lower
    by ``depth`` than the lower of its shoulders (the highest points within half
    a pitch on either side); the lanes are then the pieces between the cuts.
    """
    out_p, out_q = [], []
    done = np.zeros(peaks.size, dtype=bool)
    for k in np.argsort(-smooth[peaks]):
        if done[k]:
            continue
        p = int(peaks[k])
        a, b = run_above(smooth, p, 0.5 * smooth[p])
        inside = (peaks >= a) & (peaks <= b) & ~done
        done |= inside
        n_parts = round((b - a + 1) / pitch)
        cuts = []
        if n_parts > int(inside.sum()) and (b - a + 1) > 1.6 * pitch:
            step = (b - a + 1) / n_parts
            for j in range(1, n_parts):
                x = _dip_near(light, round(a + j * step), lo=a + 1, hi=b - 1, pitch=pitch,
                              depth=depth)
                if x is None:
                    break
                cuts.append(x)
        if cuts and len(cuts) == n_parts - 1:
            edges = [a, *cuts, b + 1]
            for lo, hi in itertools.pairwise(edges):
                out_p.append((lo + hi) // 2)
                out_q.append(float(np.max(prom[inside])))
        else:
            out_p.extend(int(x) for x in peaks[inside])
            out_q.extend(prom[inside])
    order = np.argsort(out_p)
    return np.asarray(out_p, dtype=int)[order], np.asarray(out_q)[order]


def _merge_edge_pairs(peaks: np.ndarray, prom: np.ndarray, light: np.ndarray):
    """Merge the two edges of a lane whose band is darker at its sides.

    Wide lanes often carry bands that are stronger at the lane's edges than in
    its middle (edge effect, "smiling" bands), so one lane shows two peaks. Two
    neighbouring peaks are one lane when the profile dips between them but
    stays above 0.6 of the lower peak, while on the far side of each it falls
    to within 0.1 of the lower peak of that gap (bare membrane between lanes),
    and the pairs are spaced like the edges of one lane: at most 0.8 of the
    lane pitch once they are merged (two touching lanes flanked by empty lanes
    stand a whole pitch apart) and at least 0.8 of the narrowest gap flanking
    them (lanes in pairs, with empty lanes between the pairs, stand closer
    within a pair than across the gap).
    """
    n = peaks.size
    if n < 3:
        return peaks, prom
    # lowest point between neighbouring peaks, relative to the lower peak
    valley = np.array([
        float(light[peaks[i] : peaks[i + 1] + 1].min())
        / max(min(float(light[peaks[i]]), float(light[peaks[i + 1]])), 1e-12)
        for i in range(n - 1)
    ])
    pair = np.zeros(n - 1, dtype=bool)
    for i in range(n - 1):
        sides = [j for j in (i - 1, i + 1) if 0 <= j < n - 1]
        pair[i] = 0.6 <= valley[i] <= 0.95 and all(valley[j] <= 0.1 for j in sides)
    if not pair.any():
        return peaks, prom
    out_p, out_q, spans, i = [], [], [], 0
    while i < n:
        if i < n - 1 and pair[i]:
            out_p.append((int(peaks[i]) + int(peaks[i + 1])) // 2)
            out_q.append(max(prom[i], prom[i + 1]))
            spans.append(int(peaks[i + 1] - peaks[i]))
            i += 2
        else:
            out_p.append(int(peaks[i]))
            out_q.append(prom[i])
            i += 1
    spacing = np.diff(peaks)
    flanks = [spacing[j] for k in np.flatnonzero(pair) for j in (k - 1, k + 1) if 0 <= j < n - 1]
    if (len(out_p) < 2 or max(spans) > 0.8 * float(np.median(np.diff(out_p)))
            or min(spans) < 0.8 * min(flanks)):
        return peaks, prom
    return np.asarray(out_p, dtype=int), np.asarray(out_q)


def _with_extra_peaks(peaks: np.ndarray, prom: np.ndarray, extra: list[int]):
    """``peaks`` with ``extra`` added (sorted), the added ones at the lowest prominence."""
    if not extra:
        return peaks, prom
    all_peaks = np.concatenate([peaks, extra])
    all_prom = np.concatenate([prom, np.full(len(extra), float(np.min(prom)))])
    order = np.argsort(all_peaks)
    return all_peaks[order], all_prom[order]


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
    return _with_extra_peaks(peaks, prom, extra)


def _fill_gaps(centers: np.ndarray, *, n_lanes: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Empty lanes show nothing; when the user says how many lanes there are,
    place the missing ones on the lane pitch in the widest gaps (then past the ends).

    Returns the centres (sorted) and ``seen`` (False for the placed lanes).
    """
    centers = [float(v) for v in centers]
    seen = [True] * len(centers)
    pitch = float(np.min(np.diff(centers))) if len(centers) > 1 else float(size)
    while len(centers) < n_lanes:
        gaps = np.diff(centers)
        k = int(np.argmax(gaps))
        if gaps[k] >= 1.5 * pitch:
            new = centers[k] + gaps[k] / round(gaps[k] / pitch)
        elif centers[-1] + pitch < size:
            new = centers[-1] + pitch
        elif centers[0] - pitch >= 0:
            new = centers[0] - pitch
        else:
            break
        centers.append(new)
        seen.append(False)
        order = np.argsort(centers, kind="stable")
        centers = [centers[i] for i in order]
        seen = [seen[i] for i in order]
    return np.asarray(centers), np.asarray(seen, dtype=bool)


def _comb_pitch(gaps: np.ndarray) -> float | None:
    """The comb's pitch from the spacings of loaded lanes, or None when irregular.

    Most spacings must agree with the median (within 12 %), or, when every other
    lane is empty, at least two must agree with half the median and explain more
    spacings as whole multiples (1-3) of it than the median does.
    """
    best, best_explained = None, 0
    for k in (1, 2):
        pitch = float(np.median(gaps)) / k
        regular = np.abs(gaps - pitch) <= 0.12 * pitch
        needed = max(2, 0.5 * gaps.size) if k == 1 else 2
        if pitch <= 0 or regular.sum() < needed:
            continue
        pitch = float(np.mean(gaps[regular]))
        ratio = gaps / pitch
        explained = int(np.sum((np.round(ratio) <= 3) & (np.abs(ratio - np.round(ratio)) <= 0.12)))
        if explained > best_explained:
            best, best_explained = pitch, explained
    return best


def _infer_empty_lanes(
    centers: np.ndarray, lefts: npt.ArrayLike | None = None, rights: npt.ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Place empty lanes where loaded lanes leave a gap of exactly 2 or 3 pitches.

    Lanes are loaded through an evenly spaced comb, so when the spacings agree
    with one pitch (see :func:`_comb_pitch`; it may be half the median spacing
    when every other lane is empty) a gap of twice or three times it (within
    12-15 % of a pitch) holds one or two lanes that were loaded with nothing.
    Gaps that are not whole multiples (spacers between groups) stay gaps, and
    with the lanes' boxes (``lefts``, ``rights``) given, a lane is only placed
    where the neighbours' boxes leave a quarter pitch free on both sides of it.

    Returns
    -------
    centers : ndarray
        Lane centres including the inferred ones, sorted.
    seen : ndarray of bool
        False for the inferred lanes.
    """
    centers = np.asarray(centers, dtype=np.float64)
    seen = np.ones(centers.size, dtype=bool)
    if centers.size < 3:
        return centers, seen
    gaps = np.diff(centers)
    pitch = _comb_pitch(gaps)
    if pitch is None:
        return centers, seen
    regular = np.abs(gaps - pitch) <= 0.12 * pitch
    # a gap is the difference of two centres, each a little off: allow the
    # scatter of the regular spacings, from 12 % up to 15 % of a pitch
    spread = float(np.std(gaps[regular]))
    tolerance = float(np.clip(2.5 * spread, 0.12 * pitch, 0.15 * pitch))
    new = []
    for k, (a, g) in enumerate(zip(centers[:-1], gaps, strict=True)):
        m = round(g / pitch)
        if m not in (2, 3) or abs(g - m * pitch) > tolerance:
            continue
        placed = [a + g * j / m for j in range(1, m)]
        if lefts is not None and rights is not None and (
                rights[k] > placed[0] - 0.25 * pitch or lefts[k + 1] < placed[-1] + 0.25 * pitch):
            continue
        new.extend(placed)
    if not new:
        return centers, seen
    all_centers = np.concatenate([centers, new])
    all_seen = np.concatenate([seen, np.zeros(len(new), dtype=bool)])
    order = np.argsort(all_centers, kind="stable")
    return all_centers[order], all_seen[order]


def _boxes_with_placed_lanes(
    centers: np.ndarray, seen: np.ndarray, lefts: npt.ArrayLike, rights: npt.ArrayLike,
    cut: npt.ArrayLike,
) -> tuple[list[float], list[float], list[bool]]:
    """Boxes for all ``centers``, the seen lanes keeping theirs (in order).

    A placed (empty) lane shows no edges and gets the typical box centred on its
    place; no box passes half-way to a neighbouring lane's centre.
    """
    half_width = float(np.median(np.subtract(rights, lefts))) / 2.0
    boxes = iter(zip(lefts, rights, cut, strict=True))
    out_l, out_r, out_c = [], [], []
    for k, (c, is_seen) in enumerate(zip(centers, seen, strict=True)):
        box = next(boxes) if is_seen else (c - half_width, c + half_width, False)
        lo = (centers[k - 1] + c) / 2.0 if k > 0 else -np.inf
        hi = (c + centers[k + 1]) / 2.0 if k + 1 < len(centers) else np.inf
        out_l.append(max(float(box[0]), lo))
        out_r.append(min(float(box[1]), hi))
        out_c.append(bool(box[2]))
    return out_l, out_r, out_c


def add_inferred_lanes(geom: LaneGeometry, *, width: int) -> LaneGeometry:
    """``geom`` with empty lanes placed in gaps of exactly two or three pitches.

    For lanes found again after artefact "lanes" were dropped (which can leave
    the gap an empty lane stood in). ``width`` is the image width, to clip boxes.
    Returns ``geom`` itself when no lane is placed.
    """
    centers, seen = _infer_empty_lanes(geom.centers, geom.lefts, geom.rights)
    if seen.all():
        return geom
    lefts, rights, cut = _boxes_with_placed_lanes(centers, seen, geom.lefts, geom.rights,
                                                  geom.cut_by_edge)
    inferred = np.ones(centers.size, dtype=bool)
    inferred[seen] = geom.inferred
    return LaneGeometry(
        centers=centers,
        lefts=np.clip(np.floor(lefts), 0, width).astype(int),
        rights=np.clip(np.ceil(rights), 0, width).astype(int),
        top=geom.top,
        bottom=geom.bottom,
        cut_by_edge=np.asarray(cut, dtype=bool),
        inferred=inferred,
    )


def _half_height_runs(peaks: np.ndarray, smooth: np.ndarray) -> list[tuple[int, int]]:
    """The run of columns around each peak above half its height (inclusive ends).

    The run stops at the valleys (lowest points) between the peak and its
    neighbours, or at the image edges; half height is counted from the lower of
    those valleys.
    """
    n = smooth.size
    runs = []
    for k, p in enumerate(peaks):
        p = int(p)
        # from the valleys between it and its neighbours (or the image edges)
        lo = int(peaks[k - 1]) + int(np.argmin(smooth[peaks[k - 1] : p + 1])) if k > 0 else 0
        hi = p + int(np.argmin(smooth[p : peaks[k + 1] + 1])) if k + 1 < peaks.size else n - 1
        floor = min(float(smooth[lo : p + 1].min()), float(smooth[p : hi + 1].min()))
        runs.append(run_above(smooth, p, 0.5 * (floor + float(smooth[p])), lo=lo, hi=hi))
    return runs


def _plateau_middles(peaks: np.ndarray, smooth: np.ndarray) -> np.ndarray:
    """Middle of the run of columns around each peak above half its height.

    A lane whose profile is a plateau thus gets its middle, not the position of
    the highest wiggle on it (see :func:`_half_height_runs`).
    """
    runs = _half_height_runs(np.asarray(peaks, dtype=int), smooth)
    return np.asarray([(a + b + 1) / 2.0 for a, b in runs], dtype=np.float64)


def _add_shelf_lanes(peaks: np.ndarray, prom: np.ndarray, smooth: np.ndarray):
    """Lanes that are a flat shelf on the flank of a brighter neighbour.

    A faint lane touching a bright one makes no peak of its own in the profile,
    only a step down to the gap beyond it. A run of columns outside every lane's
    half-height run (see :func:`_half_height_runs`) is added as one lane at its
    middle when it

    * stays above a third of the median lane height for at least 0.6 of the
      median run width,
    * is flat (its 10-90 % range under a third of its level),
    * falls to a gap at one end and leans on a lane's run at the other (a run
      between two lanes' runs is part of one of them; a plateau between two
      gaps was already weighed as a peak), and
    * stands at least a third as high as the lane it leans on.

    The median lane height and width are those of the peaks at least a fifth as
    high as the highest.
    """
    if peaks.size < 2:
        return peaks, prom
    heights = smooth[peaks]
    runs = _half_height_runs(peaks, smooth)
    major = heights >= 0.2 * heights.max()
    typical_width = float(np.median([b - a + 1 for (a, b), m in zip(runs, major, strict=True) if m]))
    level = float(np.median(heights[major])) / 3.0
    free = smooth > level
    for a, b in runs:
        free[a : b + 1] = False
    ends = {b + 1: k for k, (a, b) in enumerate(runs)}
    starts = {a: k for k, (a, b) in enumerate(runs)}
    extra = []
    for a, b in _runs(free):
        falls = (a == 0 or smooth[a - 1] <= level) or (b == smooth.size or smooth[b] <= level)
        if b - a < 0.6 * typical_width or not falls:
            continue
        values = smooth[a:b]
        shelf = float(np.median(values))
        # as high as a third of the lane it leans on
        leans_on = [heights[k] for k in (ends.get(a), starts.get(b)) if k is not None]
        lo_v, hi_v = np.percentile(values, [10, 90])
        if hi_v - lo_v < shelf / 3.0 and leans_on and all(shelf >= h / 3.0 for h in leans_on):
            extra.append((a + b) // 2)
    return _with_extra_peaks(peaks, prom, extra)


def _lane_boxes(
    peaks: np.ndarray, smooth: np.ndarray
) -> tuple[list[float], list[float], list[float], list[bool]]:
    """Centre, box edges and edge-cut flag of each lane peak in an intensity profile.

    A lane spans the columns above 20 % of the way from the lowest point between
    it and its neighbours to its peak; its box adds a margin of ``BOX_MARGIN`` of
    the half width but never passes half-way to a neighbour's middle (see
    :func:`_plateau_middles`; the outer lanes mirror their inner spacing, so an end
    lane's box does not run out over the empty membrane).
    """
    centers, lefts, rights, cut = [], [], [], []
    n = smooth.size
    peaks = np.clip(np.asarray(peaks, dtype=int), 0, n - 1)
    # the limits between lanes are half-way between lane *middles*: a peak can sit
    # anywhere on a flat-topped lane (a speck on it, a brighter band at one side)
    mid = _plateau_middles(peaks, smooth)
    for k, p in enumerate(peaks):
        p = int(p)
        if peaks.size > 1:
            lo_lim = (mid[k - 1] + mid[k]) / 2 if k > 0 else max(0, mid[k] - (mid[1] - mid[k]) / 2)
            hi_lim = ((mid[k + 1] + mid[k]) / 2 if k + 1 < peaks.size
                      else min(n, mid[k] + (mid[k] - mid[k - 1]) / 2))
            lo_lim, hi_lim = min(lo_lim, p), max(hi_lim, p + 1)
        else:
            lo_lim, hi_lim = 0, n
        height = smooth[p]
        floor = min(smooth[int(lo_lim) : p + 1].min(), smooth[p : int(np.ceil(hi_lim)) + 1].min())
        level = floor + 0.2 * (height - floor)
        a, b = run_above(smooth, p, level, lo=lo_lim, hi=hi_lim - 1)
        touches = a <= 0 or b >= n - 1
        margin = max(1.0, BOX_MARGIN * (b - a + 1) / 2.0)
        lefts.append(max(lo_lim, a - margin))
        rights.append(min(hi_lim, b + 1 + margin))
        centers.append((a + b + 1) / 2.0 if not touches else float(p) + 0.5)
        cut.append(bool(touches))
    return centers, lefts, rights, cut


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
    presence, intensity = lane_profile(det.enhanced[top:bottom, left:right], occ,
                                       noise=det.noise)
    profile = 0.5 * (presence + intensity)
    # smooth on the scale of the lane spacing: wiggles inside a lane (uneven
    # loading, bubbles, a band's own texture) are narrower than the lane, the
    # gaps between lanes are what must survive
    pitch0 = _lane_pitch(profile)
    smooth = ndi.gaussian_filter1d(profile, max(1.0, 0.1 * pitch0) if pitch0 else 1.0)
    pad = 3
    padded = np.pad(smooth, pad, mode="constant")
    peak_max = float(smooth.max()) if smooth.size else 0.0
    empty = LaneGeometry(np.zeros(0), np.zeros(0), np.zeros(0), top * f, bottom * f,
                         np.zeros(0, dtype=bool), np.zeros(0, dtype=bool))
    if peak_max <= 0:
        return empty
    distance = max(2, int(0.5 * pitch0)) if pitch0 else 2
    peaks, props = sps.find_peaks(padded, prominence=0.12 * peak_max, distance=distance)
    if peaks.size == 0:
        return empty
    prominences = props["prominences"]
    # the lightly smoothed profile still shows the narrow gaps between touching lanes
    light = np.pad(ndi.gaussian_filter1d(profile, 1.0), pad, mode="constant")
    if peaks.size >= 3:
        # typical lane pitch from the peaks themselves; peaks much closer than it
        # are one lane with a dip, plateaus much wider are touching lanes
        pitch = float(np.median(np.diff(peaks)))
        merged = bool(pitch0) and n_lanes is None and _merged_lanes(peaks, pitch0)
        if merged:
            pitch = pitch0
        peaks, prominences = _merge_close(peaks, prominences, padded, min_distance=0.5 * pitch)
        pitch = float(np.median(np.diff(peaks))) if peaks.size >= 3 else pitch
        if pitch0 and n_lanes is None:
            # neighbouring peaks a whole number (>= 2) of autocorrelation pitches
            # apart: smoothing merged touching lanes, which the light profile
            # still parts (nothing is added unless every dip is found)
            peaks, prominences = _split_gaps_at_dips(peaks, prominences, light, pitch=pitch0)
            pitch = float(np.median(np.diff(peaks)))
        peaks, prominences = _split_wide(peaks, prominences, padded, pitch=pitch)
        peaks, prominences = _merge_edge_pairs(peaks, prominences, light)
    elif pitch0 and n_lanes is None:
        # too few peaks to measure the pitch from: smoothing merged touching lanes
        peaks, prominences = _split_at_dips(peaks, prominences, padded, light, pitch=pitch0)
    if peaks.size >= 2 and (n_lanes is None or peaks.size < n_lanes):
        peaks, prominences = _add_faint_lanes(peaks, prominences, occ, pad=pad)
        peaks, prominences = _add_shelf_lanes(peaks, prominences, padded)
    if n_lanes is not None and peaks.size > n_lanes:
        strongest = np.sort(np.argsort(-prominences)[:n_lanes])
        peaks, prominences = peaks[strongest], prominences[strongest]
    peaks = peaks - pad
    # boxes and centres follow the lightly smoothed intensity (true lane edges)
    smooth = ndi.gaussian_filter1d(intensity, 1.0)
    n = smooth.size
    centers, lefts, rights, cut = _lane_boxes(peaks, smooth)
    if n_lanes is None and len(centers) >= 3:
        # a "lane" far narrower than the others is a speck of dust or an edge
        # glow, not a lane (a lane cut by the image edge keeps most of its width);
        # the boxes of its neighbours are measured again without it
        box_widths = np.subtract(rights, lefts)
        wide = box_widths >= 0.4 * float(np.median(box_widths))
        if not wide.all():
            centers, lefts, rights, cut = _lane_boxes(peaks[wide], smooth)
    seen = np.ones(len(centers), dtype=bool)
    if n_lanes is None or 2 <= len(centers) < n_lanes:
        if n_lanes is None:
            all_centers, seen = _infer_empty_lanes(np.asarray(centers), lefts, rights)
        else:
            all_centers, seen = _fill_gaps(np.asarray(centers), n_lanes=n_lanes, size=n)
        if not seen.all():
            lefts, rights, cut = _boxes_with_placed_lanes(all_centers, seen, lefts, rights, cut)
            centers = list(all_centers)
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
        inferred=~seen,
    )
