"""Molecular weight from a ladder lane, and choosing the band row of a target.

MW calibration follows the usual log-linear model of SDS-PAGE migration:
``log10(MW) = intercept + slope * y`` fitted to the ladder bands (``y`` = band centre
row). A target's band row is then chosen by expected MW, expected position (pixel row
or fraction of the lane height), explicit row number, or as the strongest row; the rule
used is recorded with every choice.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from blotquant._schema import check_columns
from blotquant.errors import InvalidInputError

__all__ = ["BandChoice", "LadderFit", "band_rows", "choose_bands", "fit_ladder"]

_MAX_SUBSETS = 20000


@dataclass(frozen=True)
class LadderFit:
    """A log-linear MW calibration ``log10(MW) = intercept + slope * y``.

    Attributes
    ----------
    slope, intercept : float
        Fit coefficients (slope < 0: bands lower on the blot are smaller).
    r2 : float
        Coefficient of determination of the fit in log10 space.
    y : tuple of float
        Ladder band rows used, top to bottom.
    mw : tuple of float
        Marker sizes (kDa) assigned to them.
    n_unassigned : int
        Marker sizes (or detected ladder bands) left without a partner.
    """

    slope: float
    intercept: float
    r2: float
    y: tuple[float, ...]
    mw: tuple[float, ...]
    n_unassigned: int = 0

    def mw_at(self, y: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Estimated MW (kDa) at row(s) ``y``."""
        return np.power(10.0, self.intercept + self.slope * np.asarray(y, dtype=float))

    def y_at(self, mw: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Row where a protein of ``mw`` kDa is expected."""
        return (np.log10(np.asarray(mw, dtype=float)) - self.intercept) / self.slope


def _linfit(y: np.ndarray, logm: np.ndarray) -> tuple[float, float, float, float]:
    slope, intercept = np.polyfit(y, logm, 1)
    resid = logm - (intercept + slope * y)
    ss_res = float(resid @ resid)
    ss_tot = float(((logm - logm.mean()) ** 2).sum())
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    return float(slope), float(intercept), r2, ss_res


def fit_ladder(y: npt.ArrayLike, sizes: npt.ArrayLike) -> LadderFit:
    """Fit log10(MW) against migration for a ladder lane.

    Parameters
    ----------
    y : (K,) array_like of float
        Rows of the detected ladder bands (any order).
    sizes : (M,) array_like of float
        Marker sizes in kDa (any order; the largest migrates least).

    Returns
    -------
    LadderFit
        When K == M bands and sizes pair up in order. Otherwise the ordered pairing of
        the shorter list with a subset of the longer one that fits the line best.

    Raises
    ------
    InvalidInputError
        With fewer than two pairs, or three when the counts differ.

    Examples
    --------
    >>> fit = fit_ladder([100, 200, 300], [100, 50, 25])
    >>> round(float(fit.mw_at(250)), 2)
    35.36
    """
    yy = np.sort(np.asarray(y, dtype=float).ravel())
    yy = yy[np.isfinite(yy)]
    mw = np.sort(np.asarray(sizes, dtype=float).ravel())[::-1]
    if np.any(mw <= 0):
        msg = f"marker sizes must be > 0 kDa, got {mw.tolist()}"
        raise InvalidInputError(msg)
    k, m = yy.size, mw.size
    need = 2 if k == m else 3
    if min(k, m) < need:
        msg = (f"cannot calibrate MW: {k} ladder band(s) detected for {m} marker size(s); "
               f"need at least {need} pairs")
        raise InvalidInputError(msg)
    if k == m:
        slope, intercept, r2, _ = _linfit(yy, np.log10(mw))
        return LadderFit(slope, intercept, r2, tuple(yy), tuple(mw), 0)
    short, long_ = (yy, mw) if k < m else (mw, yy)
    if math.comb(long_.size, short.size) > _MAX_SUBSETS:
        msg = (f"cannot calibrate MW: {k} ladder bands for {m} marker sizes is too far apart to "
               "pair up; list only the sizes visible on the blot")
        raise InvalidInputError(msg)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for idx in itertools.combinations(range(long_.size), short.size):
        sub = long_[list(idx)]
        ys, ms = (short, sub) if k < m else (sub, short)
        slope, _, _, ss = _linfit(ys, np.log10(ms))
        if slope >= 0:
            continue
        if best is None or ss < best[0]:
            best = (ss, ys, ms)
    if best is None:
        msg = "cannot calibrate MW: no pairing of ladder bands and sizes decreases with y"
        raise InvalidInputError(msg)
    _, ys, ms = best
    slope, intercept, r2, _ = _linfit(ys, np.log10(ms))
    return LadderFit(slope, intercept, r2, tuple(ys), tuple(ms), abs(k - m))


@dataclass(frozen=True)
class BandChoice:
    """The band row(s) chosen for a target in one image region.

    Attributes
    ----------
    rows : tuple of int or None
        Band row per expected band (None where no row fits).
    labels : tuple of str
        Label per expected band (``"17 kDa"``, ``"y=0.42"``, ``"band 2"``, ``"strongest"``).
    rule : str
        ``"mw"``, ``"y_px"``, ``"y_fraction"``, ``"band"`` or ``"strongest"``.
    estimated_mw : tuple of float
        Estimated MW of each chosen row (NaN without a ladder).
    note : str
        Why a fallback was taken or a band not found ("" when all went to plan).
    """

    rows: tuple[int | None, ...]
    labels: tuple[str, ...]
    rule: str
    estimated_mw: tuple[float, ...] = ()
    note: str = ""


def band_rows(bands: pd.DataFrame, *, lanes: pd.DataFrame | None = None,
              sample_lanes: npt.ArrayLike | None = None) -> pd.DataFrame:
    """Summarise the band rows of one image region.

    Parameters
    ----------
    bands : DataFrame
        Bands table of one image region (columns ``lane, band, detected, y, volume``).
    lanes : DataFrame, optional
        Lanes table of that region (``y_top, y_bottom``) for the fractional position.
    sample_lanes : array_like of int, optional
        Image lane numbers holding samples; rows are summarised over these (all lanes
        when None or when none of them has the row detected).

    Returns
    -------
    DataFrame
        One row per band row: ``band`` (row number), ``y`` (median centre row of the
        detected bands), ``fraction`` ((y - lane top) / lane height, NaN without lanes),
        ``volume`` (summed volume over the detected sample-lane bands), ``n_detected``.
    """
    check_columns(bands, ("lane", "band", "detected", "y", "volume"), name="bands table")
    cols = ["band", "y", "fraction", "volume", "n_detected"]
    if bands.empty:
        return pd.DataFrame(columns=cols)
    top = bottom = math.nan
    if (lanes is not None and {"y_top", "y_bottom"} <= set(lanes.columns)
            and lanes["y_top"].notna().any() and lanes["y_bottom"].notna().any()):
        top = float(np.nanmedian(lanes["y_top"].to_numpy(dtype=float)))
        bottom = float(np.nanmedian(lanes["y_bottom"].to_numpy(dtype=float)))
    det = bands[bands["detected"].astype(bool)]
    if sample_lanes is not None:
        sub = det[det["lane"].isin(list(np.asarray(sample_lanes).ravel()))]
    else:
        sub = det
    out = []
    for row in sorted(bands["band"].unique()):
        here = sub[sub["band"] == row]
        if here.empty:
            here = det[det["band"] == row]
        if here.empty:
            here_all = bands[bands["band"] == row]
            y = float(np.nanmedian(here_all["y"].to_numpy(dtype=float))) \
                if here_all["y"].notna().any() else math.nan
            vol, n = 0.0, 0
        else:
            y = float(np.median(here["y"].to_numpy(dtype=float)))
            vol, n = float(here["volume"].to_numpy(dtype=float).sum()), len(here)
        frac = (y - top) / (bottom - top) if bottom > top else math.nan
        out.append({"band": int(row), "y": y, "fraction": frac, "volume": vol, "n_detected": n})
    return pd.DataFrame(out, columns=cols)


def choose_bands(
    rows: pd.DataFrame,
    *,
    mw_kda: tuple[float, ...] = (),
    y_px: tuple[float, ...] = (),
    y_fraction: tuple[float, ...] = (),
    band: tuple[int, ...] = (),
    ladder: LadderFit | None = None,
    mw_tolerance: float = 0.2,
    position_tolerance: float = 0.05,
    lane_height: float = math.nan,
) -> BandChoice:
    """Choose the band row(s) of a target.

    Parameters
    ----------
    rows : DataFrame
        Output of :func:`band_rows` for the image region.
    mw_kda, y_px, y_fraction, band : tuple
        Expected band(s) by MW (kDa), pixel row, fraction of lane height, or row number;
        the first non-empty one (in this order; ``mw_kda`` only with a ``ladder``) is used,
        else the strongest row.
    ladder : LadderFit, optional
        MW calibration of the membrane.
    mw_tolerance : float
        Largest accepted relative difference between estimated and expected MW.
    position_tolerance : float
        Largest accepted distance from the expected position, as a fraction of the lane
        height (``lane_height`` pixels converts it for ``y_px``).
    lane_height : float
        Lane height in pixels (for ``y_px``; NaN accepts the nearest row).

    Returns
    -------
    BandChoice
        Rows (None where nothing is within tolerance), labels, the rule used and a note.

    Examples
    --------
    >>> rows = pd.DataFrame({"band": [1, 2], "y": [50.0, 120.0], "fraction": [0.2, 0.5],
    ...                      "volume": [10.0, 30.0], "n_detected": [4, 4]})
    >>> choose_bands(rows).rows, choose_bands(rows, y_px=(52,)).rows
    ((2,), (1,))
    """
    note = ""
    if mw_kda and ladder is None:
        note = "expected MW given but no ladder calibration on this membrane; "
    y = rows["y"].to_numpy(dtype=float) if not rows.empty else np.zeros(0)
    numbers = rows["band"].to_numpy(dtype=int) if not rows.empty else np.zeros(0, dtype=int)
    est = ladder.mw_at(y) if ladder is not None else np.full(y.size, np.nan)

    def pick(dist: np.ndarray, limit: float) -> int | None:
        ok = np.isfinite(dist)
        if not ok.any():
            return None
        i = int(np.nanargmin(np.where(ok, dist, np.inf)))
        return int(numbers[i]) if dist[i] <= limit else None

    chosen: list[int | None] = []
    labels: list[str]
    if mw_kda and ladder is not None:
        rule = "mw"
        labels = [f"{m:g} kDa" for m in mw_kda]
        limit = math.log10(1.0 + mw_tolerance)
        chosen = [pick(np.abs(np.log10(est) - math.log10(m)), limit) for m in mw_kda]
    elif y_px:
        rule = "y_px"
        labels = [f"y={v:g}px" for v in y_px]
        limit = position_tolerance * lane_height if np.isfinite(lane_height) else math.inf
        chosen = [pick(np.abs(y - v), limit) for v in y_px]
    elif y_fraction:
        rule = "y_fraction"
        labels = [f"y={v:g}" for v in y_fraction]
        frac = rows["fraction"].to_numpy(dtype=float) if not rows.empty else np.zeros(0)
        chosen = [pick(np.abs(frac - v), position_tolerance) for v in y_fraction]
    elif band:
        rule = "band"
        labels = [f"band {b}" for b in band]
        chosen = [b if b in set(numbers.tolist()) else None for b in band]
    else:
        rule = "strongest"
        labels = ["strongest"]
        if rows.empty or not (rows["volume"].to_numpy(dtype=float) > 0).any():
            chosen = [None]
        else:
            chosen = [int(numbers[int(np.argmax(rows["volume"].to_numpy(dtype=float)))])]
    missing = [lab for lab, c in zip(labels, chosen, strict=True) if c is None]
    if missing:
        note += f"no band row within tolerance of {', '.join(missing)}; "
    mws = []
    for c in chosen:
        if c is None or ladder is None:
            mws.append(math.nan)
        else:
            mws.append(float(est[int(np.flatnonzero(numbers == c)[0])]))
    return BandChoice(tuple(chosen), tuple(labels), rule, tuple(mws), note.rstrip("; "))
