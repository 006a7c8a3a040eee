"""Loading-control / total-protein normalisation, fold change and quality flags.

Pure computation on tidy tables; no image and no file access. The input is a
*measurements* table (one row per target x membrane x sheet lane, built by
:func:`blotquant.experiment.analyze_experiment` from the image results and the sample
sheet); the output is the per-lane table of the experiment.

Definitions
-----------
``ratio``
    target volume / loading-control volume of the same lane on the same membrane (the
    loading control is a housekeeping band or, for total-protein normalisation, the
    whole-lane signal of a stain image). For a loading control itself (and targets
    whose loading control is ``none``) the ratio is the volume.
``fold_change``
    ratio / mean ratio of the reference lanes (vehicle unless the sheet says otherwise)
    of the same target, membrane and cell line.
Flags (never silent fixes; the numbers are kept)
    ``saturated`` the target band or its loading band has saturated pixels;
    ``below_detection`` the target band was not detected or its SNR is below
    ``min_snr``; ``loading_outlier`` the loading-control volume of the lane deviates from
    the median of the membrane's sample lanes by more than ``max_loading_deviation``
    (a fraction); ``outside_linear_range`` the target or loading volume lies outside the
    linear range fitted to a dilution series on the membrane; ``lane_missing`` the lane
    was not found in the image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from blotquant._schema import check_columns
from blotquant.errors import InvalidInputError

__all__ = [
    "LANE_TABLE_COLUMNS",
    "LINEAR_RANGE_COLUMNS",
    "MEASUREMENT_COLUMNS",
    "LinearRange",
    "fit_linear_range",
    "normalize_lanes",
]

#: Input of :func:`normalize_lanes`: one row per target x membrane x sheet lane.
MEASUREMENT_COLUMNS: tuple[str, ...] = (
    "target", "loading_target", "image", "membrane", "lane", "image_lane", "cell_line",
    "treatment", "agents", "dose", "unit", "time", "replicate", "is_reference", "band",
    "band_rule", "volume", "snr", "detected", "saturated", "lane_missing",
)

#: Output of :func:`normalize_lanes` (``lanes.csv`` of ``blotquant analyze``).
LANE_TABLE_COLUMNS: tuple[str, ...] = (
    "target", "image", "membrane", "lane", "image_lane", "cell_line", "treatment", "agents",
    "dose", "unit", "time", "replicate", "is_reference", "band", "band_rule", "volume", "snr",
    "loading_target", "loading_image", "loading_volume", "ratio", "reference_ratio",
    "fold_change", "saturated", "below_detection", "loading_outlier", "outside_linear_range",
    "lane_missing",
)

#: Columns of the linear-range table.
LINEAR_RANGE_COLUMNS: tuple[str, ...] = (
    "target", "membrane", "image", "n_points", "n_linear", "load_min", "load_max",
    "volume_min", "volume_max", "slope", "intercept", "r2", "max_deviation",
)


@dataclass(frozen=True)
class LinearRange:
    """The linear part of a dilution series ``volume = intercept + slope * load``.

    Attributes
    ----------
    n_points : int
        Dilution points with a positive volume.
    n_linear : int
        Points in the chosen linear window (0 when no window is linear).
    load_min, load_max, volume_min, volume_max : float
        Extent of the linear window (NaN when there is none).
    slope, intercept, r2 : float
        Least-squares line through the window.
    max_deviation : float
        Largest |volume - line| / line in the window.
    """

    n_points: int
    n_linear: int
    load_min: float
    load_max: float
    volume_min: float
    volume_max: float
    slope: float
    intercept: float
    r2: float
    max_deviation: float

    def contains(self, volume: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """True where ``volume`` lies inside ``[volume_min, volume_max]``."""
        v = np.asarray(volume, dtype=float)
        if self.n_linear == 0:
            return np.zeros(v.shape, dtype=bool)
        return (v >= self.volume_min) & (v <= self.volume_max)


def fit_linear_range(
    load: npt.ArrayLike,
    volume: npt.ArrayLike,
    *,
    max_deviation: float = 0.15,
    min_points: int = 3,
) -> LinearRange:
    """Find the widest contiguous part of a dilution series that is linear.

    Parameters
    ----------
    load : (K,) array_like of float
        Relative amounts loaded (> 0).
    volume : (K,) array_like of float
        Measured band volumes; points with volume <= 0 or NaN are ignored.
    max_deviation : float
        A window is linear when every point lies within this relative distance of the
        least-squares line through the window.
    min_points : int
        Smallest window size.

    Returns
    -------
    LinearRange
        The window with the most points (ties: the widest load span, then the smallest
        deviation); ``n_linear = 0`` when none qualifies.

    Examples
    --------
    >>> r = fit_linear_range([1, 2, 4, 8, 16], [10, 20, 40, 80, 100])
    >>> r.n_linear, r.load_max, r.volume_max
    (4, 8.0, 80.0)
    """
    x = np.asarray(load, dtype=float).ravel()
    y = np.asarray(volume, dtype=float).ravel()
    if x.shape != y.shape:
        msg = f"`load` and `volume` differ in length ({x.size} vs {y.size})"
        raise InvalidInputError(msg)
    if max_deviation <= 0:
        msg = f"`max_deviation` must be > 0, got {max_deviation}"
        raise InvalidInputError(msg)
    ok = np.isfinite(x) & np.isfinite(y) & (y > 0) & (x > 0)
    x, y = x[ok], y[ok]
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    nan = math.nan
    best: tuple | None = None
    for i in range(x.size):
        for j in range(i + min_points, x.size + 1):
            xs, ys = x[i:j], y[i:j]
            if np.ptp(xs) == 0:
                continue
            slope, intercept = np.polyfit(xs, ys, 1)
            fit = intercept + slope * xs
            if slope <= 0 or np.any(fit <= 0):
                continue
            dev = float(np.max(np.abs(ys - fit) / fit))
            if dev > max_deviation:
                continue
            key = (j - i, float(xs[-1] / xs[0]), -dev)
            if best is None or key > best[0]:
                ss_tot = float(((ys - ys.mean()) ** 2).sum())
                r2 = 1 - float(((ys - fit) ** 2).sum()) / ss_tot if ss_tot > 0 else nan
                best = (key, LinearRange(int(x.size), j - i, float(xs[0]), float(xs[-1]),
                                         float(ys.min()), float(ys.max()), float(slope),
                                         float(intercept), r2, dev))
    if best is None:
        return LinearRange(int(x.size), 0, nan, nan, nan, nan, nan, nan, nan, nan)
    return best[1]


def _as_bool(series: pd.Series) -> np.ndarray:
    return series.fillna(False).astype(bool).to_numpy()


def normalize_lanes(
    measurements: pd.DataFrame,
    *,
    min_snr: float = 3.0,
    max_loading_deviation: float = 0.5,
    linear_ranges: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Divide by the loading control, compute fold changes and set the quality flags.

    Parameters
    ----------
    measurements : DataFrame
        One row per target x membrane x sheet lane with the columns of
        :data:`MEASUREMENT_COLUMNS`. Loading controls (housekeeping band or stain lane
        total) are rows whose ``target`` is named in another row's ``loading_target``;
        their own ``loading_target`` is ``""``. ``is_reference`` marks the reference lanes.
    min_snr : float
        Bands with ``snr`` below this (or not detected) are ``below_detection``; NaN SNR
        (stain lane totals) is not tested.
    max_loading_deviation : float
        ``loading_outlier`` when |loading volume / membrane median - 1| exceeds this.
    linear_ranges : DataFrame, optional
        Table with :data:`LINEAR_RANGE_COLUMNS` (``target, membrane, n_linear,
        volume_min, volume_max`` are used); bands of a target on a membrane with a range
        get ``outside_linear_range`` when outside it.

    Returns
    -------
    DataFrame
        One row per input row, with the columns of :data:`LANE_TABLE_COLUMNS`:

        * ``target, image, membrane, lane, image_lane``: what was measured where
          (``lane`` = sheet lane, ``image_lane`` = detected lane in the image, 0 = missing)
        * ``cell_line, treatment, agents, dose, unit, time, replicate``: the sample
        * ``is_reference``: lane is a fold-change reference
        * ``band, band_rule``: chosen band row(s) (``"2"``, ``"3+4"``) and the rule used
        * ``volume, snr``: target band volume (sum for a summed doublet) and SNR
        * ``loading_target, loading_image, loading_volume``: the loading control used
        * ``ratio``: volume / loading_volume (volume itself for a loading control)
        * ``reference_ratio``: mean ratio of the reference lanes of the same target,
          membrane and cell line
        * ``fold_change``: ratio / reference_ratio
        * ``saturated, below_detection, loading_outlier, outside_linear_range,
          lane_missing``: flags (bool)

    Raises
    ------
    InvalidInputError
        If a column is missing, or a row names a loading control with no row for the
        same membrane and lane.

    Examples
    --------
    >>> m = pd.DataFrame({
    ...     "target": ["pS6", "pS6", "actin", "actin"], "loading_target": ["actin", "actin", "", ""],
    ...     "image": "a", "membrane": "M1", "lane": [1, 2, 1, 2], "image_lane": [1, 2, 1, 2],
    ...     "cell_line": "786-O", "treatment": ["vehicle", "temsirolimus 10 nM"] * 2,
    ...     "agents": "", "dose": 0.0, "unit": "", "time": "", "replicate": "1",
    ...     "is_reference": [True, False] * 2, "band": "1", "band_rule": "band",
    ...     "volume": [100.0, 30.0, 50.0, 60.0], "snr": 50.0, "detected": True,
    ...     "saturated": False, "lane_missing": False})
    >>> normalize_lanes(m)["fold_change"].round(3).tolist()
    [1.0, 0.25, 1.0, 1.2]
    """
    check_columns(measurements, MEASUREMENT_COLUMNS, name="measurements table")
    if min_snr < 0 or max_loading_deviation <= 0:
        msg = (f"`min_snr` must be >= 0 and `max_loading_deviation` > 0, got {min_snr} and "
               f"{max_loading_deviation}")
        raise InvalidInputError(msg)
    m = measurements.reset_index(drop=True).copy()
    volume = m["volume"].to_numpy(dtype=float)
    snr = m["snr"].to_numpy(dtype=float)
    missing = _as_bool(m["lane_missing"])
    detected = _as_bool(m["detected"])
    saturated_own = _as_bool(m["saturated"])
    with np.errstate(invalid="ignore"):
        below = ~missing & (~detected | (np.isfinite(snr) & (snr < min_snr)))

    # outside linear range, per row (own band)
    outside_own = np.zeros(len(m), dtype=bool)
    if linear_ranges is not None and not linear_ranges.empty:
        check_columns(linear_ranges, ("target", "membrane", "n_linear", "volume_min",
                                      "volume_max"), name="linear range table")
        for rng in linear_ranges.itertuples(index=False):
            sel = ((m["target"] == rng.target) & (m["membrane"] == rng.membrane)).to_numpy()
            sel = sel & ~missing & np.isfinite(volume)
            if int(rng.n_linear) == 0:
                outside_own |= sel
            else:
                with np.errstate(invalid="ignore"):
                    outside_own |= sel & ((volume < rng.volume_min) | (volume > rng.volume_max))

    # loading outlier, per row of a loading control (deviation from the membrane median)
    loading_names = set(m["loading_target"].astype(str)) - {"", "none", "nan"}
    is_loading = m["target"].isin(loading_names).to_numpy()
    outlier_own = np.zeros(len(m), dtype=bool)
    for idx in m[is_loading].groupby(["target", "membrane"]).groups.values():
        idx = np.asarray(list(idx))
        sample = idx[~missing[idx] & np.isfinite(volume[idx])]
        if sample.size == 0:
            continue
        med = float(np.median(volume[sample]))
        if med <= 0:
            outlier_own[sample] = True
            continue
        outlier_own[sample] = np.abs(volume[sample] / med - 1.0) > max_loading_deviation

    # look up each row's loading control in the same membrane and lane
    key = list(zip(m["target"], m["membrane"], m["lane"], strict=True))
    where = {k: i for i, k in enumerate(key) if is_loading[i]}
    n = len(m)
    load_vol = np.full(n, np.nan)
    load_img = np.full(n, "", dtype=object)
    sat = saturated_own.copy()
    outlier = outlier_own.copy()
    outside = outside_own.copy()
    load_missing = np.zeros(n, dtype=bool)
    for i in range(n):
        lc = str(m.at[i, "loading_target"])
        if lc in ("", "none", "nan"):
            continue
        j = where.get((lc, m.at[i, "membrane"], m.at[i, "lane"]))
        if j is None:
            msg = (f"measurements table: target {m.at[i, 'target']!r} lane {m.at[i, 'lane']} on "
                   f"membrane {m.at[i, 'membrane']} has no row for its loading control {lc!r}")
            raise InvalidInputError(msg)
        load_vol[i] = volume[j]
        load_img[i] = m.at[j, "image"]
        sat[i] |= saturated_own[j]
        outlier[i] |= outlier_own[j]
        outside[i] |= outside_own[j]
        load_missing[i] = missing[j]
    has_lc = ~m["loading_target"].astype(str).isin(["", "none", "nan"]).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(has_lc, np.where(load_vol > 0, volume / load_vol, np.nan), volume)
    ratio = np.where(missing | load_missing, np.nan, ratio)

    m["loading_image"] = load_img.astype(str)
    m["loading_volume"] = load_vol
    m["ratio"] = ratio
    ref = _as_bool(m["is_reference"])
    ref_ratio = np.full(n, np.nan)
    groups = m.groupby(["target", "membrane", "cell_line"], sort=False).indices
    for idx in groups.values():
        idx = np.asarray(idx)
        r = idx[ref[idx] & np.isfinite(ratio[idx])]
        if r.size:
            ref_ratio[idx] = float(np.mean(ratio[r]))
    m["reference_ratio"] = ref_ratio
    with np.errstate(invalid="ignore", divide="ignore"):
        m["fold_change"] = np.where(ref_ratio > 0, ratio / ref_ratio, np.nan)
    m["saturated"] = sat
    m["below_detection"] = below
    m["loading_outlier"] = outlier & ~missing
    m["outside_linear_range"] = outside
    m["lane_missing"] = missing | load_missing
    m["is_reference"] = ref
    return m.loc[:, list(LANE_TABLE_COLUMNS)]
