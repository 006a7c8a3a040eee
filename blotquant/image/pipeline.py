"""One call from a scan to lane and band tables: :func:`analyze`."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import ndimage as ndi

from blotquant._schema import BAND_COLUMNS, LANE_COLUMNS
from blotquant.errors import DetectionError, InvalidInputError
from blotquant.image.background import profile_baseline, rolling_ball
from blotquant.image.bands import LanePeaks, find_lane_peaks, lane_columns, link_band_rows
from blotquant.image.geometry import Deskew
from blotquant.image.io import Scan, read_image, scan_from_array
from blotquant.image.lanes import (
    BOX_MARGIN,
    LaneGeometry,
    add_inferred_lanes,
    detect_lanes_in_region,
    estimate_tilt,
    find_membranes,
    make_detection_image,
    robust_sd,
    run_above,
)
from blotquant.image.polarity import guess_polarity, saturation_mask, to_signal
from blotquant.image.quantify import (
    BandWindow,
    clean_blobs,
    clean_dust,
    measure_lane,
    window_from_profile,
)

__all__ = ["AnalysisParams", "BlotResult", "analyze"]

BackgroundMethod = Literal["lane", "rolling_ball"]
T = TypeVar("T")


@dataclass(frozen=True)
class AnalysisParams:
    """Every choice :func:`analyze` made or was given, for ``params.json``.

    Attributes
    ----------
    polarity : {"auto", "light", "dark"}
        Requested polarity; ``polarity_used`` is what was applied.
    n_lanes : int or None
        Lanes expected per membrane (None: found automatically).
    lane_centers : tuple of float or None
        Explicit lane centres (columns of the input image); overrides detection.
    roi : (top, bottom, left, right) or None
        Region of interest in input pixels; outside is ignored.
    background : {"lane", "rolling_ball"}
        ``"lane"``: straight baselines between band-free flanks of each band in the
        lane's sum profile (default, most accurate in the benchmark);
        ``"rolling_ball"``: 2-D rolling-ball background of ``radius``.
    radius : float
        Rolling-ball radius, pixels.
    min_snr : float
        Band detection threshold, noise SDs of the lane profile.
    tilt : float or None
        Lane tilt in degrees (None: estimated).
    page : int or None
        Page of a multi-page file.
    """

    polarity: Literal["auto", "light", "dark"] = "auto"
    n_lanes: int | None = None
    lane_centers: tuple[float, ...] | None = None
    roi: tuple[int, int, int, int] | None = None
    background: BackgroundMethod = "lane"
    radius: float = 50.0
    min_snr: float = 5.0
    tilt: float | None = None
    page: int | None = None
    polarity_used: str = ""
    polarity_score: float = float("nan")
    tilt_used: float = 0.0
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """Plain-JSON dictionary."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class BlotResult:
    """Everything :func:`analyze` found in one scan.

    Attributes
    ----------
    scan : Scan
        The input as read.
    lanes : DataFrame
        Columns :data:`blotquant._schema.LANE_COLUMNS`.
    bands : DataFrame
        Columns :data:`blotquant._schema.BAND_COLUMNS`; one row per (lane, band row).
    params : AnalysisParams
        Parameters given and decided.
    """

    scan: Scan
    lanes: pd.DataFrame
    bands: pd.DataFrame
    params: AnalysisParams


def _lanes_from_centers(
    centers_in: tuple[float, ...], deskew: Deskew, region: tuple[int, int], width: int
) -> LaneGeometry:
    h_mid = (region[0] + region[1]) / 2
    cx, _ = deskew.forward(np.asarray(centers_in, float), np.full(len(centers_in), h_mid))
    cx = np.sort(np.asarray(cx))
    pitch = np.diff(cx)
    lefts, rights = [], []
    for i, c in enumerate(cx):
        lo = (cx[i - 1] + c) / 2 if i > 0 else c - (pitch[0] / 2 if pitch.size else width / 2)
        hi = (cx[i + 1] + c) / 2 if i + 1 < cx.size else c + (pitch[-1] / 2 if pitch.size else width / 2)
        lefts.append(max(0, int(np.floor(lo))))
        rights.append(min(width, int(np.ceil(hi))))
    cut = np.array([lo <= 0 or hi >= width for lo, hi in zip(lefts, rights, strict=True)])
    return LaneGeometry(cx, np.array(lefts), np.array(rights), region[0], region[1], cut,
                        np.zeros(cx.size, dtype=bool))


def _band_columns(strip: np.ndarray, windows: list[BandWindow]) -> tuple[int, int]:
    """Columns of a lane box that the lane's bands actually cover, plus a margin.

    The column profile of the detected bands (their rows minus the rows just
    outside them) is followed out from its maximum to 2 % of it; a margin of a
    tenth of that width (at least 2 px) is added. Narrowing the box to the bands
    keeps neighbouring specks, blotches and lane edges out of the volumes.
    """
    n_rows, width = strip.shape
    inside = np.zeros(n_rows, dtype=bool)
    for w in windows:
        if w.detected:
            inside[w.top : w.bottom] = True
    if not inside.any() or width < 6:
        return 0, width
    near = ndi.binary_dilation(inside, iterations=6) & ~inside
    if not near.any():
        return 0, width
    columns = strip[inside].mean(axis=0) - strip[near].mean(axis=0)
    columns = ndi.uniform_filter1d(columns, 3, mode="nearest")
    peak = int(np.argmax(columns))
    level = 0.02 * columns[peak]
    if level <= 0:
        return 0, width
    a, b = run_above(columns, peak, level)
    margin = max(2, int(np.ceil(0.1 * (b - a + 1))))
    return max(0, a - margin), min(width, b + 1 + margin)


def _join_rows(tracks: list[dict[int, int]], peaks: list, *, lane: int, tolerance: float) -> None:
    """Add a lane's peaks to existing band rows where they lie near the row's line."""
    rows = peaks[lane].rows
    taken: set[int] = set()
    for track in tracks:
        if not track or rows.size == 0:
            continue
        seen = np.array(sorted(track))
        ys = np.array([peaks[s].rows[track[s]] for s in seen], dtype=np.float64)
        expected = float(np.interp(lane, seen, ys))
        distance = np.abs(rows - expected)
        k = int(np.argmin(distance))
        if distance[k] <= 0.5 * tolerance and k not in taken:
            track[lane] = k
            taken.add(k)


def _drop_tall_bumps(tracks: list[dict[int, int]], peaks: list[LanePeaks], *,
                     lane_width: float) -> list[dict[int, int]]:
    """Drop band rows that are tall bumps in a few lanes only.

    The bands of one membrane have similar heights along the lane; a row seen in
    at most a quarter of the lanes whose peaks are more than three times the
    median band's full width at half maximum, and taller than a quarter of the
    lane width, is background the baseline did not follow (a blotch, the end of
    a smear, the edge of the membrane), not a band.
    """
    all_widths = np.concatenate([p.widths for p in peaks] or [np.zeros(0)])
    if all_widths.size < 3:
        return tracks
    limit = max(3.0 * float(np.median(all_widths)), 0.25 * lane_width)
    few = max(1, len(peaks) // 4)

    def tall(track: dict[int, int]) -> bool:
        return len(track) <= few and all(peaks[i].widths[k] > limit for i, k in track.items())

    return [t for t in tracks if not tall(t)]


def _band_slopes(tracks: list[dict[int, int]], peaks: list[LanePeaks],
                 centers: np.ndarray) -> np.ndarray:
    """Each lane's band slope (rows per column) from the smile of the band rows.

    A parabola (a line for rows in under four lanes) is fitted to each row's
    positions across the lanes, so that one lane's own offset does not set the
    slope; a lane takes the median of the rows' derivatives at its centre.
    """
    per_lane: list[list[float]] = [[] for _ in range(centers.size)]
    for track in tracks:
        lanes = sorted(track)
        if len(lanes) < 2:
            continue
        xs = centers[lanes].astype(np.float64)
        ys = np.array([peaks[i].rows[track[i]] for i in lanes], dtype=np.float64)
        if np.ptp(xs) <= 0:
            continue
        mid, scale = xs.mean(), np.ptp(xs)
        coef = np.polyfit((xs - mid) / scale, ys, 2 if len(lanes) >= 4 else 1)
        slope = np.polyval(np.polyder(coef), (centers - mid) / scale) / scale
        for lane in range(centers.size):
            if xs[0] <= centers[lane] <= xs[-1]:
                per_lane[lane].append(float(slope[lane]))
    return np.array([float(np.median(v)) if v else 0.0 for v in per_lane])


def _gap_columns(geom: LaneGeometry, lane: int, width: int) -> list[tuple[int, int]]:
    """Column ranges of the bare membrane on either side of a lane (may be empty).

    A lane box is the lane widened on each side by ``BOX_MARGIN`` of its half
    width (:mod:`blotquant.image.lanes`), so the lane itself is the box shrunk
    by ``1 + BOX_MARGIN`` (less where a box stopped half-way to a neighbour).
    Between two lanes the gap is the middle half of the columns between them;
    beside an end lane, the same number of columns just outside it. Gaps under
    two columns or a tenth of a lane are left out.
    """
    half = (geom.rights - geom.lefts) / 2.0 / (1.0 + BOX_MARGIN)
    inner = geom.centers - half
    outer = geom.centers + half
    spaces = inner[1:] - outer[:-1]
    typical = float(np.median(spaces)) if spaces.size else 0.0
    bounds = []
    if lane > 0:
        bounds.append((outer[lane - 1], inner[lane]))
    else:
        bounds.append((inner[lane] - typical, inner[lane]))
    if lane + 1 < geom.centers.size:
        bounds.append((outer[lane], inner[lane + 1]))
    else:
        bounds.append((outer[lane], outer[lane] + typical))
    least = max(2.0, 0.1 * float(np.median(2 * half)))
    ranges = []
    for lo, hi in bounds:
        quarter = (hi - lo) / 4.0
        a, b = max(0, round(lo + quarter)), min(width, round(hi - quarter))
        if b - a >= least:
            ranges.append((a, b))
    return ranges


def _drop_background_bumps(found: LanePeaks, signal: np.ndarray, geom: LaneGeometry, *,
                           lane: int, window: int, broad: float, strong: float) -> LanePeaks:
    """Drop broad peaks that the bare membrane beside the lane shows as strongly.

    A band lies inside its lane; a blotch, a gradient's curve or the glow at a
    membrane edge runs on through the gap between lanes. A peak broader than
    ``broad`` rows (full width at half maximum) and lower than ``strong`` whose
    bump is at least half as high in the gaps on both sides (or the one side
    there is) is background. Peaks of a band's usual width, and strong peaks,
    are kept whatever lies beside them (a "gap" inside the next lane, when lanes
    are misplaced, shows that lane's bands; the fat bands of a Coomassie gel
    fill their lanes), and lanes without a gap of a few columns keep all peaks.
    """
    candidates = (found.widths > broad) & (found.heights < strong)
    if not candidates.any():
        return found
    top, bottom = geom.top, geom.bottom
    bumps = []
    for a, b in _gap_columns(geom, lane, signal.shape[1]):
        gap = signal[top:bottom, a:b].mean(axis=1)
        resid = ndi.gaussian_filter1d(gap - profile_baseline(gap, window=window), 1.0)
        bumps.append(resid)
    if not bumps:
        return found
    rows = np.clip(np.round(found.rows).astype(int), 0, bottom - top - 1)
    beside = np.min([r[rows] for r in bumps], axis=0)
    return found.subset(~candidates | (beside < 0.5 * found.heights))


def _measure_membrane(
    signal: np.ndarray,
    sat: np.ndarray,
    geom: LaneGeometry,
    *,
    valid: np.ndarray,
    params: AnalysisParams,
    background2d: np.ndarray | None,
) -> list[dict[str, object]]:
    """Bands of one membrane: one dict per (lane, band row), deskewed coordinates."""
    top, bottom = geom.top, geom.bottom
    n_lanes = geom.centers.size
    widths = geom.rights - geom.lefts
    window = int(np.clip(1.5 * np.median(widths), 15, max(15, bottom - top)))

    def core_of(i: int) -> tuple[slice, np.ndarray]:
        """Core columns of lane ``i`` in its box, and the rows where they are real data."""
        a, b = lane_columns(int(geom.lefts[i]), int(geom.rights[i]))
        return slice(a - geom.lefts[i], b - geom.lefts[i]), valid[top:bottom, a:b].all(axis=1)

    def clean_and_find(i: int) -> tuple[np.ndarray, LanePeaks, float]:
        strip = signal[top:bottom, geom.lefts[i] : geom.rights[i]]
        noise = robust_sd(strip)
        core_cols, inside = core_of(i)
        strip = clean_dust(strip, noise=noise, core=core_cols)
        # peaks are looked for, and must lie, where the deskewed lane holds real
        # pixels (a lane by the edge of a tilted scan runs out of the image)
        rows_ok = np.flatnonzero(inside)
        first, last = (int(rows_ok[0]), int(rows_ok[-1])) if rows_ok.size else (0, strip.shape[0] - 1)
        found = find_lane_peaks(strip[first : last + 1, core_cols], window=window,
                                min_snr=params.min_snr,
                                max_width=0.8 * float(np.median(widths))).shifted(first)
        if rows_ok.size and found.rows.size:
            keep = (found.rows >= first + 3) & (found.rows <= last - 3)
            found = found.subset(keep)
        return strip, found, noise

    def clean_lane(i: int) -> np.ndarray:
        # dust blobs a few pixels across are left to the detection rules (a band
        # spans its lane) but must not add to or take from any volume; they are
        # looked for along the bands' local slope (smile), where a band is level
        core_cols, inside = core_of(i)
        lane_width = (geom.rights[i] - geom.lefts[i]) / (1.0 + BOX_MARGIN)
        return clean_blobs(strips[i], noise=noises[i], size=int(min(21, 0.5 * lane_width)),
                           core=core_cols, core_rows=inside, slope=slopes[i])

    # lanes are independent; NumPy and SciPy release the GIL for most of the work
    def per_lane_map(func: Callable[[int], T]) -> list[T]:
        if n_lanes >= 8 and signal.size >= 4_000_000:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(2) as pool:
                return list(pool.map(func, range(n_lanes)))
        return [func(i) for i in range(n_lanes)]

    per_lane = per_lane_map(clean_and_find)
    strips = [s for s, _, _ in per_lane]
    peaks = [p for _, p, _ in per_lane]
    noises = [n for _, _, n in per_lane]
    # broad, weak peaks (over twice the median band width, under half the median
    # height) that the membrane beside the lane shows too are background
    widths_all = np.concatenate([p.widths for p in peaks] or [np.zeros(0)])
    if widths_all.size >= 3:
        broad = 2.0 * float(np.median(widths_all))
        strong = 0.5 * float(np.median(np.concatenate([p.heights for p in peaks])))
        peaks = [_drop_background_bumps(p, signal, geom, lane=i, window=window, broad=broad,
                                        strong=strong)
                 for i, p in enumerate(peaks)]
    spacings = np.concatenate([np.diff(p.rows) for p in peaks if p.rows.size > 1] or [np.zeros(0)])
    min_spacing = float(np.percentile(spacings, 10)) if spacings.size else float(window)
    tolerance = float(np.clip(0.45 * min_spacing, 2.5, 0.5 * np.median(widths)))
    # lanes placed from the spacing showed nothing in the projection: they may
    # hold faint bands in the rows the other lanes define, but start no row
    tracks = link_band_rows([np.zeros(0) if geom.inferred[i] else p.rows
                             for i, p in enumerate(peaks)], tolerance=tolerance)
    for i in np.flatnonzero(geom.inferred):
        _join_rows(tracks, peaks, lane=int(i), tolerance=tolerance)
    tracks = _drop_tall_bumps(tracks, peaks, lane_width=float(np.median(widths)))
    slopes = _band_slopes(tracks, peaks, geom.centers)
    strips = per_lane_map(clean_lane)

    # windows per lane: detected from the profile, others predicted from the row
    lane_windows: list[list[BandWindow]] = [[] for _ in range(n_lanes)]
    resids = []
    for i in range(n_lanes):
        a, b = lane_columns(int(geom.lefts[i]), int(geom.rights[i]))
        core = strips[i][:, a - geom.lefts[i] : b - geom.lefts[i]].mean(axis=1, dtype=np.float64)
        resids.append(core - profile_baseline(core, window=window))
    track_info = []
    for track in tracks:
        rows, halves = {}, []
        for lane, k in track.items():
            row = float(peaks[lane].rows[k])
            t, b_, hw = window_from_profile(resids[lane], row, noise=peaks[lane].noise * 0.53)
            rows[lane] = (row, t, b_, hw)
            halves.append((row - t, b_ - row, hw))
        track_info.append((rows, np.median(np.array(halves), axis=0)))
    for rows, (up, down, hw) in track_info:
        seen = np.array(sorted(rows))
        ys = np.array([rows[s][0] for s in seen])
        for lane in range(n_lanes):
            if lane in rows:
                row, t, b_, hw_l = rows[lane]
                lane_windows[lane].append(BandWindow(row, hw_l, t, b_, True))
            else:
                row = float(np.interp(lane, seen, ys)) if seen.size > 1 else float(ys[0])
                if seen.size > 1 and (lane < seen[0] or lane > seen[-1]):
                    # extrapolate linearly from the nearest two lanes
                    j = [0, 1] if lane < seen[0] else [-2, -1]
                    slope = (ys[j[1]] - ys[j[0]]) / (seen[j[1]] - seen[j[0]])
                    row = float(ys[j[0]] + slope * (lane - seen[j[0]]))
                n_rows = bottom - top
                t = int(np.clip(np.floor(row - up), 0, n_rows - 1))
                b_ = int(np.clip(np.ceil(row + down), t + 1, n_rows))
                lane_windows[lane].append(BandWindow(row, float(hw), t, b_, False))
    records: list[dict[str, object]] = []
    lefts, rights = geom.lefts.copy(), geom.rights.copy()
    for i in range(n_lanes):
        a, b = _band_columns(strips[i], lane_windows[i])
        strip = strips[i][:, a:b]
        lefts[i], rights[i] = geom.lefts[i] + a, geom.lefts[i] + b
        sat_strip = sat[top:bottom, lefts[i] : rights[i]]
        bg_strip = None
        if background2d is not None:
            bg_strip = background2d[top:bottom, lefts[i] : rights[i]]
        m = measure_lane(strip, lane_windows[i], saturated=sat_strip, background=bg_strip,
                         noise=noises[i])
        for band_index, win in enumerate(lane_windows[i]):
            peak = float(m.peak[band_index])
            # a detection must also hold up as a volume: clearly positive against
            # the noise of a sum over its box plus the uncertainty of its baseline
            area = float(m.area[band_index])
            volume_noise = m.noise * np.sqrt(max(area, 1.0)) * 2.0
            significant = m.volume[band_index] > 5.0 * volume_noise and peak > 0
            records.append({
                "lane_index": i,
                "band": band_index + 1,
                "detected": bool(win.detected and significant),
                "x_d": float(geom.centers[i]),
                "y_d": float(m.center[band_index]) + top,
                "x_left_d": float(lefts[i]),
                "x_right_d": float(rights[i]),
                "y_top_d": float(m.top[band_index]) + top,
                "y_bottom_d": float(m.bottom[band_index]) + top,
                "volume": float(m.volume[band_index]),
                "area": float(m.area[band_index]),
                "peak": peak,
                "background": float(m.background[band_index]),
                "noise": float(m.noise),
                "snr": peak / m.noise if m.noise > 0 else float("inf"),
                "n_saturated": int(m.n_saturated[band_index]),
            })
    return records


def analyze(
    image: str | os.PathLike[str] | npt.ArrayLike | Scan,
    *,
    polarity: Literal["auto", "light", "dark"] = "auto",
    n_lanes: int | None = None,
    lane_centers: tuple[float, ...] | None = None,
    roi: tuple[int, int, int, int] | None = None,
    background: BackgroundMethod = "lane",
    radius: float = 50.0,
    min_snr: float = 5.0,
    tilt: float | None = None,
    page: int | None = None,
) -> BlotResult:
    """Find lanes and bands in a blot scan and measure every band's volume.

    Parameters
    ----------
    image : path, (M, N) array or Scan
        A file (TIFF, PNG, JPEG, GIF, BMP), an array of grey values, or a read scan.
    polarity : {"auto", "light", "dark"}
        Light bands on dark (chemiluminescence) or dark on light (film); ``"auto"``
        guesses and records the guess in ``params.polarity_used``.
    n_lanes : int, optional
        Expected lanes per membrane.
    lane_centers : tuple of float, optional
        Explicit lane centres (input columns), one membrane.
    roi : (top, bottom, left, right), optional
        Region of interest in input pixels.
    background : {"lane", "rolling_ball"}
        Background method (see :class:`AnalysisParams`).
    radius : float
        Rolling-ball radius in pixels.
    min_snr : float
        Band detection threshold.
    tilt : float, optional
        Lane tilt in degrees; estimated when omitted.
    page : int, optional
        Page of a multi-page file.

    Returns
    -------
    BlotResult
        ``lanes`` and ``bands`` tables (columns in :mod:`blotquant._schema`).

    Raises
    ------
    InvalidInputError
        Unreadable or constant image, bad parameters.
    DetectionError
        When no lane can be found.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> img = rng.normal(100, 2, (120, 160))
    >>> for x in (30, 70, 110):
    ...     img[50:60, x - 10 : x + 10] += 500
    >>> res = analyze(img, polarity="light")
    >>> len(res.lanes), int(res.bands.detected.sum())
    (3, 3)
    """
    if isinstance(image, Scan):
        scan = image
    elif isinstance(image, (str, os.PathLike)):
        scan = read_image(image, page=page)
    else:
        scan = scan_from_array(image)
    where = scan.path or scan.name
    if background not in ("lane", "rolling_ball"):
        msg = f"`background` must be 'lane' or 'rolling_ball', got {background!r}"
        raise InvalidInputError(msg)
    if n_lanes is not None and (int(n_lanes) < 1 or int(n_lanes) > scan.data.shape[1] // 3):
        msg = f"{where}: `n_lanes`={n_lanes} does not fit an image {scan.data.shape[1]} px wide"
        raise InvalidInputError(msg)
    data_view = scan
    offset_y, offset_x = 0, 0
    if roi is not None:
        t, b, left, right = (int(v) for v in roi)
        h, w = scan.data.shape
        if not (0 <= t < b <= h and 0 <= left < right <= w):
            msg = f"{where}: `roi`={roi} is outside the image ({h} x {w})"
            raise InvalidInputError(msg)
        data_view = Scan(scan.data[t:b, left:right], scan.name, scan.path,
                         scan.saturation_high, scan.saturation_low, scan.notes)
        offset_y, offset_x = t, left
    if polarity == "auto":
        used, score = guess_polarity(data_view.data)
    elif polarity in ("light", "dark"):
        used, score = polarity, float("nan")
    else:
        msg = f"`polarity` must be 'auto', 'light' or 'dark', got {polarity!r}"
        raise InvalidInputError(msg)
    signal = to_signal(data_view, polarity=used)
    sat = saturation_mask(data_view, polarity=used)
    quantum = 1.0 if np.issubdtype(data_view.data.dtype, np.integer) else 0.0
    det = make_detection_image(signal, quantum=quantum)
    if tilt is None:
        tilt_used = estimate_tilt(det.occupancy) if lane_centers is None else 0.0
        if abs(tilt_used) < 0.2:
            tilt_used = 0.0
    else:
        tilt_used = float(tilt)
    deskew = Deskew(tilt_used, signal.shape)
    if tilt_used != 0.0:
        signal = deskew.apply(signal, order=1)
        sat = deskew.apply(sat, order=0) if sat.any() else np.zeros(deskew.out_shape, dtype=bool)
        det = make_detection_image(signal, quantum=quantum)
    valid = deskew.valid()
    if tilt_used != 0.0:
        # pixels filled in by the rotation hold no lanes
        from dataclasses import replace

        from blotquant.image.background import block_reduce

        inside = block_reduce(valid.astype(np.float32), factor=det.factor) > 0.999
        det = replace(det, occupancy=det.occupancy * inside[: det.occupancy.shape[0],
                                                            : det.occupancy.shape[1]])
    background2d = rolling_ball(signal, radius=radius) if background == "rolling_ball" else None

    geoms: list[LaneGeometry] = []
    if lane_centers is not None:
        centers = tuple(float(c) - offset_x for c in lane_centers)
        geoms.append(_lanes_from_centers(centers, deskew, (0, signal.shape[0]), signal.shape[1]))
    else:
        regions = find_membranes(det)
        for region in regions:
            geom = detect_lanes_in_region(det, region, n_lanes=n_lanes, full_shape=signal.shape)
            if geom.centers.size:
                geoms.append(geom)
        if len(regions) > 1 and all(g.centers.size <= 2 for g in geoms):
            # "membranes" holding one or two lanes each are really lanes of one blot
            whole = (0, det.occupancy.shape[0], 0, det.occupancy.shape[1])
            geoms = [detect_lanes_in_region(det, whole, n_lanes=n_lanes, full_shape=signal.shape)]
            geoms = [g for g in geoms if g.centers.size]
    if not geoms:
        msg = f"{where}: no lanes found; give `n_lanes` or `lane_centers`, or check `polarity`"
        raise DetectionError(msg)
    params = AnalysisParams(
        polarity=polarity, n_lanes=n_lanes, lane_centers=lane_centers, roi=roi,
        background=background, radius=radius, min_snr=min_snr, tilt=tilt, page=page,
        polarity_used=used, polarity_score=score, tilt_used=tilt_used, notes=scan.notes,
    )
    lane_rows, band_rows = [], []
    for m_index, geom in enumerate(geoms, start=1):
        records = _measure_membrane(signal, sat, geom, valid=valid, params=params,
                                    background2d=background2d)
        if lane_centers is None and n_lanes is None:
            # a lane found in the projection but holding no band is an artefact
            # (membrane edge, smear); drop it and renumber the rest
            # (empty lanes inferred from the lane spacing stay: they are lanes)
            with_band = sorted({r["lane_index"] for r in records if r["detected"]}
                               | set(np.flatnonzero(geom.inferred).tolist()))
            if with_band and len(with_band) < geom.centers.size:
                keep = np.asarray(with_band)
                remap = {old: new for new, old in enumerate(with_band)}
                records = [dict(r, lane_index=remap[r["lane_index"]]) for r in records
                           if r["lane_index"] in remap]
                geom = LaneGeometry(geom.centers[keep], geom.lefts[keep], geom.rights[keep],
                                    geom.top, geom.bottom, geom.cut_by_edge[keep],
                                    geom.inferred[keep])
                # the artefact may have stood in the gap of an empty lane
                placed = add_inferred_lanes(geom, width=signal.shape[1])
                if placed is not geom:
                    geom = placed
                    records = _measure_membrane(signal, sat, geom, valid=valid,
                                                params=params, background2d=background2d)
        for i in range(geom.centers.size):
            y_mid = (geom.top + geom.bottom) / 2
            (xc,), (_yc,) = deskew.inverse([geom.centers[i]], [y_mid])
            xl, _ = deskew.inverse([geom.lefts[i]], [y_mid])
            xr, _ = deskew.inverse([geom.rights[i]], [y_mid])
            (_, y_top) = deskew.inverse([geom.centers[i]], [geom.top])
            (_, y_bot) = deskew.inverse([geom.centers[i]], [geom.bottom])
            lane_rows.append({
                "image": scan.name, "membrane": m_index, "lane": i + 1,
                "x_center": float(xc) + offset_x, "x_left": float(xl[0]) + offset_x,
                "x_right": float(xr[0]) + offset_x, "width": float(xr[0] - xl[0]),
                "y_top": float(y_top[0]) + offset_y, "y_bottom": float(y_bot[0]) + offset_y,
                "slope": float(np.tan(np.radians(tilt_used))),
                "cut_by_edge": bool(geom.cut_by_edge[i]),
                "inferred": bool(geom.inferred[i]),
            })
        if not records:
            continue
        rec = pd.DataFrame(records)
        xs = rec[["x_d", "x_left_d", "x_right_d", "x_left_d", "x_right_d"]].to_numpy()
        ys = rec[["y_d", "y_top_d", "y_top_d", "y_bottom_d", "y_bottom_d"]].to_numpy()
        xi, yi = deskew.inverse(xs, ys)
        table = pd.DataFrame({
            "image": scan.name, "membrane": m_index, "lane": rec["lane_index"] + 1,
            "band": rec["band"], "detected": rec["detected"],
            "x": xi[:, 0] + offset_x, "y": yi[:, 0] + offset_y,
            "x_left": xi[:, 1:].min(axis=1) + offset_x, "x_right": xi[:, 1:].max(axis=1) + offset_x,
            "y_top": yi[:, 1:].min(axis=1) + offset_y, "y_bottom": yi[:, 1:].max(axis=1) + offset_y,
            "volume": rec["volume"], "area": rec["area"], "peak": rec["peak"],
            "background": rec["background"], "noise": rec["noise"], "snr": rec["snr"],
            "n_saturated": rec["n_saturated"], "saturated": rec["n_saturated"] > 0,
        })
        band_rows.append(table)
    lanes = pd.DataFrame(lane_rows, columns=list(LANE_COLUMNS))
    bands = (pd.concat(band_rows, ignore_index=True)[list(BAND_COLUMNS)] if band_rows
             else pd.DataFrame(columns=list(BAND_COLUMNS)))
    if used == "dark":
        bands["background"] = _to_input_levels(bands["background"], data_view)
    return BlotResult(scan=scan, lanes=lanes, bands=bands, params=params)


def _to_input_levels(background: pd.Series, scan: Scan) -> pd.Series:
    """Background of a dark-band scan in the input's own grey levels."""
    top = scan.saturation_high if np.isfinite(scan.saturation_high) else float(scan.data.max())
    return top - background

