"""Synthetic Western blots with exact ground truth.

A physically plausible, *additive* image model: every pixel of the output image is

.. math::

    g(x, y) = \\mathrm{clip}\\big(L(x, y) \\pm [B(x, y) + \\sum_k S_k(x, y)] + \\varepsilon\\big)

where :math:`L` is the flat level of the membrane (imager bias for chemiluminescence,
paper white for film), :math:`B` the background (gradient, blotches, smears, dust),
:math:`S_k` the signal of band :math:`k` (``+`` for ``polarity="light"``, bands
bright; ``-`` for ``polarity="dark"``, bands dark on a light background) and
:math:`\\varepsilon` Poisson shot noise with a gain plus Gaussian read noise.
Because the model is additive in grey levels of the output image, the volume of a
band is known exactly: it is the sum over all pixels of :math:`S_k` alone, computed
from the noiseless, unclipped model, and it is positive for both polarities.

Geometry. Each membrane is drawn in an upright "blot frame" ``(u, v)`` (``u`` across
lanes, ``v`` down the lanes) that is rotated by ``tilt_deg`` about the membrane
centre; band rows are bowed by ``smile`` (a quadratic in ``u``). A band is a flat
top across its lane with soft ``erf`` edges and a slight fall-off towards the lane
edges, times a vertical profile (Gaussian, skewed, or flat-topped, widths differing
per band row and slightly per lane).

Truth tables (see :class:`SyntheticBlot`) use the conventions of
:mod:`blotquant._schema`: ``x`` = column, ``y`` = row, 0-based pixel centres,
1-based ``membrane``/``lane``/``band``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import erf

from blotquant.errors import InvalidInputError

__all__ = [
    "SYNTH_BAND_COLUMNS",
    "SYNTH_LANE_COLUMNS",
    "SyntheticBlot",
    "make_blot",
    "make_dilution_series",
    "make_large_blot",
    "save_blot",
]

#: Columns of :attr:`SyntheticBlot.lanes`.
SYNTH_LANE_COLUMNS: tuple[str, ...] = (
    "membrane",
    "lane",
    "kind",
    "x_center",
    "x_left",
    "x_right",
    "width",
    "slope",
    "y_top",
    "y_bottom",
    "cut_by_edge",
)

#: Columns of :attr:`SyntheticBlot.bands`.
SYNTH_BAND_COLUMNS: tuple[str, ...] = (
    "membrane",
    "lane",
    "band",
    "kind",
    "present",
    "x",
    "y",
    "volume",
    "saturated",
    "amount",
    "peak",
    "height",
    "profile",
)

Profile = Literal["gaussian", "skewed", "flat"]
_PROFILES: tuple[str, ...] = ("gaussian", "skewed", "flat")


@dataclass(frozen=True)
class SyntheticBlot:
    """A synthetic blot image and its exact ground truth.

    Attributes
    ----------
    image : (M, N) ndarray of uint8 or uint16
        The noisy, clipped, rounded image as an imager would write it.
    lanes : DataFrame
        One row per lane, columns :data:`SYNTH_LANE_COLUMNS`:

        * ``membrane``: 1-based membrane, top to bottom.
        * ``lane``: 1-based, left to right within the membrane (marker lanes included).
        * ``kind``: ``"sample"`` or ``"marker"``.
        * ``x_center``: lane centre (column) where the lane's centre line crosses the
          membrane's centre row (``(y_top + y_bottom) / 2`` of an untilted membrane).
        * ``x_left``, ``x_right``: lane (band) edges on that row; may lie outside
          the image for a lane cut by the edge.
        * ``width``: ``x_right - x_left`` (horizontal, i.e. ``w / cos(tilt)``).
        * ``slope``: dx/dy of the lane centre line (``-tan(tilt)``).
        * ``y_top``, ``y_bottom``: membrane rows at the lane centre.
        * ``cut_by_edge``: True when part of the lane lies outside the image.
    bands : DataFrame
        One row per (lane, band row), present or not, columns :data:`SYNTH_BAND_COLUMNS`:

        * ``membrane``, ``lane``: as in ``lanes``.
        * ``band``: 1-based band row, top to bottom within the membrane, the same for
          the same row in every sample lane (a doublet is two rows). Marker-lane bands
          are numbered separately within the marker lane.
        * ``kind``: ``"sample"`` or ``"marker"``.
        * ``present``: False where the lane has no band in this row (``amount == 0``).
        * ``x``, ``y``: signal-weighted centroid of the noiseless band (NaN if absent).
        * ``volume``: sum over all image pixels of this band's signal alone, grey levels
          x pixels, from the noiseless unclipped model; positive for both polarities.
        * ``saturated``: True when any pixel of the band (>= 2 % of its peak) clips in
          the noiseless model.
        * ``amount``: requested peak height in grey levels (the model's input).
        * ``peak``: maximum pixel of this band's signal alone, grey levels.
        * ``height``: vertical FWHM-equivalent size of the band, ``2.355 * SD`` of its
          vertical profile, pixels.
        * ``profile``: ``"gaussian"``, ``"skewed"`` or ``"flat"``.
    params : dict
        Every parameter of the model (JSON-serialisable), including the seed.
    """

    image: npt.NDArray[Any]
    lanes: pd.DataFrame
    bands: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- profiles
def _vertical_profile(z: npt.NDArray[np.float64], kind: str, sigma: float, skew: float):
    """Vertical band profile with maximum ~1 (shape only; volume is measured)."""
    if kind == "gaussian":
        return np.exp(-0.5 * (z / sigma) ** 2)
    if kind == "flat":  # generalised Gaussian, p = 4: flat top, soft shoulders
        return np.exp(-((z / (1.3 * sigma)) ** 4))
    # skew-normal, shifted so its mean is at 0 (sign of skew = direction of the tail)
    delta = skew / math.sqrt(1 + skew**2)
    mean = sigma * delta * math.sqrt(2 / math.pi)
    t = (z + mean) / sigma
    return np.exp(-0.5 * t**2) * (1 + erf(skew * t / math.sqrt(2)))


def _profile_sd(kind: str, sigma: float, skew: float) -> float:
    """Standard deviation of a vertical profile (numerically)."""
    z = np.linspace(-12 * sigma, 12 * sigma, 4001)
    p = _vertical_profile(z, kind, sigma, skew)
    m = np.sum(z * p) / np.sum(p)
    return float(np.sqrt(np.sum((z - m) ** 2 * p) / np.sum(p)))


def _across_profile(
    u: npt.NDArray[np.float64], center: float, width: float, edge: float, falloff: float
) -> npt.NDArray[np.float64]:
    """Flat top across a lane with erf edges and a slight quadratic edge fall-off."""
    s = math.sqrt(2) * edge
    top = 0.5 * (erf((u - (center - width / 2)) / s) - erf((u - (center + width / 2)) / s))
    fall = np.clip(1 - falloff * ((u - center) / (width / 2)) ** 2, 0, None)
    return top * fall


# --------------------------------------------------------------------------- helpers
def _as_rng(rng: int | np.random.Generator | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _full_scale(dtype: np.dtype) -> float:
    return float(np.iinfo(dtype).max)


@dataclass(frozen=True)
class _Frame:
    """Rotation of one membrane's blot frame about its centre."""

    xm: float
    ym: float
    cos: float
    sin: float

    def to_uv(self, x, y):
        dx, dy = x - self.xm, y - self.ym
        return self.xm + dx * self.cos + dy * self.sin, self.ym - dx * self.sin + dy * self.cos

    def to_xy(self, u, v):
        du, dv = u - self.xm, v - self.ym
        return self.xm + du * self.cos - dv * self.sin, self.ym + du * self.sin + dv * self.cos

    def bbox(self, u0, u1, v0, v1, shape):
        """Integer image box [r0, r1) x [c0, c1) covering a blot-frame rectangle."""
        us = np.array([u0, u1, u0, u1])
        vs = np.array([v0, v0, v1, v1])
        xs, ys = self.to_xy(us, vs)
        c0 = max(int(np.floor(xs.min())), 0)
        c1 = min(int(np.ceil(xs.max())) + 1, shape[1])
        r0 = max(int(np.floor(ys.min())), 0)
        r1 = min(int(np.ceil(ys.max())) + 1, shape[0])
        return r0, r1, c0, c1


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise InvalidInputError(msg)


# --------------------------------------------------------------------------- make_blot
def make_blot(
    *,
    shape: tuple[int, int] = (400, 560),
    n_lanes: int = 8,
    lane_width: float | None = None,
    lane_gap: float | None = None,
    lane_centers: Sequence[float] | None = None,
    lane_widths: Sequence[float] | None = None,
    lane_width_jitter: float = 0.06,
    band_rows: Sequence[float] | None = None,
    amounts: npt.ArrayLike | None = None,
    band_sigmas: Sequence[float] | None = None,
    band_profiles: Sequence[str] | str = "mixed",
    band_sigma_jitter: float = 0.08,
    band_y_jitter: float = 0.4,
    edge_softness: float = 1.6,
    edge_falloff: float = 0.12,
    tilt_deg: float = 0.0,
    smile: float = 0.0,
    level: float | None = None,
    gradient: float = 0.0,
    blotches: int = 0,
    blotch_amplitude: float | None = None,
    smears: float = 0.0,
    dust: int = 0,
    gain: float | None = None,
    read_noise: float | None = None,
    noise: bool = True,
    dtype: str = "uint16",
    saturation: float | None = None,
    polarity: Literal["light", "dark"] = "light",
    marker_lane: int | None = None,
    marker_rows: Sequence[float] | None = None,
    n_membranes: int = 1,
    membrane_gap: int = 40,
    membrane_shifts: Sequence[float] | None = None,
    rng: int | np.random.Generator | None = None,
) -> SyntheticBlot:
    """Draw a synthetic blot with exact ground truth.

    Parameters
    ----------
    shape : (int, int)
        Image ``(rows, columns)``.
    n_lanes : int
        Lanes per membrane, marker lane included. Ignored when ``lane_centers`` is given.
    lane_width : float, optional
        Mean lane (band) width in pixels; by default 60 % of the lane pitch.
    lane_gap : float, optional
        Gap between neighbouring lanes, pixels; by default the lanes fill the width
        with a margin of half a pitch on both sides.
    lane_centers : sequence of float, optional
        Explicit lane centres (columns, at the vertical centre of the membrane, before
        tilt), for uneven spacing, groups with gaps, or lanes cut by the edge.
    lane_widths : sequence of float, optional
        Explicit per-lane widths (overrides ``lane_width`` and the jitter).
    lane_width_jitter : float
        Relative SD of random per-lane width variation.
    band_rows : sequence of float, optional
        Band-row positions (rows from the top of the membrane, at the membrane's
        horizontal centre), top to bottom; close doublets allowed.
    amounts : array_like, shape (n_lanes, n_rows) or (n_membranes, n_lanes, n_rows)
        Peak height of each band in grey levels; 0 = no band. Random by default. The
        column of a marker lane is ignored.
    band_sigmas : sequence of float, optional
        Vertical size (Gaussian-equivalent SD, pixels) per band row; random in
        2-5 px by default.
    band_profiles : "mixed", "gaussian", "skewed", "flat" or sequence of those
        Vertical profile per band row; ``"mixed"`` draws one per row.
    band_sigma_jitter, band_y_jitter : float
        Per-lane relative SD of the band size, and per-lane SD (pixels) of the band
        position.
    edge_softness : float
        SD (pixels) of the ``erf`` lane edges.
    edge_falloff : float
        Relative signal loss at the lane edges (quadratic across the lane).
    tilt_deg : float
        Rotation of each membrane about its centre; positive moves the bottom of the
        lanes to the left.
    smile : float
        Bow of the band rows in pixels: the rows at the membrane's left and right edges
        sit ``smile`` pixels higher than at its centre (negative = frown).
    level : float, optional
        Flat membrane level in grey levels (imager offset for ``"light"``, paper white
        for ``"dark"``); 3 % / 90 % of full scale by default.
    gradient : float
        Peak-to-peak amplitude of a smooth illumination gradient, grey levels.
    blotches : int
        Number of large soft blotches (bright and dark).
    blotch_amplitude : float, optional
        Typical blotch amplitude, grey levels; 4 % of full scale by default.
    smears : float
        Amplitude of vertical smears inside lanes as a fraction of the lane's
        brightest band (each sample lane gets a smear with probability 0.6).
    dust : int
        Number of dust specks (small, sharp, bright and dark).
    gain : float, optional
        Grey levels per photo-electron of the Poisson shot noise (higher = noisier).
    read_noise : float, optional
        SD of Gaussian read noise, grey levels.
    noise : bool
        False draws the noiseless model (still clipped and rounded).
    dtype : {"uint16", "uint8"}
        Output dtype.
    saturation : float, optional
        Grey value where band pixels clip: an imager plateau below the dtype maximum
        for ``"light"`` (default: dtype maximum), the film's darkest value for
        ``"dark"`` (default: 0).
    polarity : {"light", "dark"}
        ``"light"``: bands bright on dark (chemiluminescence, fluorescence);
        ``"dark"``: bands dark on light (film, colorimetric, Coomassie).
    marker_lane : int, optional
        1-based lane that holds a molecular-weight ladder instead of sample bands.
    marker_rows : sequence of float, optional
        Ladder band rows (from the membrane top); 7 evenly spread rows by default.
    n_membranes : int
        Membranes stacked top to bottom in one image, with ``membrane_gap`` pixels of
        bare imager between them.
    membrane_gap : int
        Gap between membranes, pixels.
    membrane_shifts : sequence of float, optional
        Horizontal offset of the lanes of each membrane, pixels.
    rng : int or Generator, optional
        Seed; the same seed gives the same image and truth.

    Returns
    -------
    SyntheticBlot
        Image, ``lanes`` and ``bands`` truth tables (columns listed in
        :class:`SyntheticBlot`) and ``params``.

    Examples
    --------
    >>> blot = make_blot(n_lanes=4, band_rows=(100, 200), rng=0)
    >>> blot.image.shape, blot.image.dtype.name
    ((400, 560), 'uint16')
    >>> int(blot.bands["present"].sum())
    8
    """
    seed = rng if isinstance(rng, int) else None
    rng = _as_rng(rng)
    _check(dtype in ("uint8", "uint16"), f"`dtype` must be 'uint8' or 'uint16', got {dtype!r}")
    _check(polarity in ("light", "dark"), f"`polarity` must be 'light' or 'dark', got {polarity!r}")
    _check(len(shape) == 2 and min(shape) >= 16, f"`shape` must be (rows, cols) >= 16, got {shape}")
    _check(n_membranes >= 1, f"`n_membranes` must be >= 1, got {n_membranes}")
    np_dtype = np.dtype(dtype)
    fs = _full_scale(np_dtype)
    H, W = int(shape[0]), int(shape[1])

    # ---- membranes: stacked vertically
    mem_h = (H - (n_membranes - 1) * membrane_gap) / n_membranes
    _check(mem_h >= 16, f"`shape` {shape} too small for {n_membranes} membranes")
    mem_tops = [m * (mem_h + membrane_gap) for m in range(n_membranes)]
    if membrane_shifts is None:
        membrane_shifts = [0.0] * n_membranes
    _check(len(membrane_shifts) == n_membranes, "`membrane_shifts` needs one value per membrane")

    # ---- lanes
    if lane_centers is not None:
        centers = np.asarray(lane_centers, dtype=float)
        n_lanes = len(centers)
        pitch = float(np.median(np.diff(np.sort(centers)))) if n_lanes > 1 else W / 2
    else:
        _check(n_lanes >= 1, f"`n_lanes` must be >= 1, got {n_lanes}")
        if lane_gap is not None and lane_width is not None:
            pitch = lane_width + lane_gap
        else:
            pitch = W / n_lanes
        centers = W / 2 + (np.arange(n_lanes) - (n_lanes - 1) / 2) * pitch
    if lane_width is None:
        lane_width = 0.6 * pitch
    if lane_widths is not None:
        widths = np.asarray(lane_widths, dtype=float)
        _check(len(widths) == n_lanes, f"`lane_widths` needs {n_lanes} values")
    else:
        widths = lane_width * (1 + lane_width_jitter * rng.standard_normal(n_lanes))
        widths = np.clip(widths, 0.7 * lane_width, 1.3 * lane_width)
    _check(bool(np.all(widths > 2)), "lane widths must be > 2 px")
    order = np.argsort(centers)
    centers, widths = centers[order], widths[order]
    if marker_lane is not None:
        _check(1 <= marker_lane <= n_lanes, f"`marker_lane` must be in 1..{n_lanes}")

    # ---- band rows
    if band_rows is None:
        band_rows = list(np.linspace(0.25, 0.75, 3) * mem_h)
    rows = np.asarray(band_rows, dtype=float)
    n_rows = len(rows)
    _check(bool(np.all(np.diff(rows) > 0)), "`band_rows` must increase (top to bottom)")
    if band_sigmas is None:
        sig = rng.uniform(2.0, 5.0, n_rows)
        # close doublets need narrow bands to be separable
        for j in range(n_rows - 1):
            gap = rows[j + 1] - rows[j]
            if gap < 6 * max(sig[j], sig[j + 1]):
                sig[j] = sig[j + 1] = min(max(sig[j], sig[j + 1]), gap / 5.0)
    else:
        sig = np.asarray(band_sigmas, dtype=float)
        _check(len(sig) == n_rows, f"`band_sigmas` needs {n_rows} values")
    if isinstance(band_profiles, str):
        if band_profiles == "mixed":
            profs = [str(p) for p in rng.choice(_PROFILES, n_rows)]
        else:
            profs = [band_profiles] * n_rows
    else:
        profs = [str(p) for p in band_profiles]
    _check(
        len(profs) == n_rows and all(p in _PROFILES for p in profs),
        f"`band_profiles` must be 'mixed' or one of {_PROFILES} per row",
    )
    skews = rng.uniform(1.5, 4.0, n_rows) * rng.choice([-1.0, 1.0], n_rows)

    # ---- amounts
    if amounts is None:
        amt = rng.uniform(0.08, 0.5, (n_membranes, n_lanes, n_rows)) * fs
    else:
        amt = np.asarray(amounts, dtype=float)
        if amt.ndim == 2:
            amt = np.broadcast_to(amt, (n_membranes, *amt.shape))
        _check(
            amt.shape == (n_membranes, n_lanes, n_rows),
            f"`amounts` must have shape (n_lanes, n_rows) = ({n_lanes}, {n_rows}) "
            f"or (n_membranes, n_lanes, n_rows); got {amt.shape}",
        )
        _check(bool(np.all(amt >= 0)), "`amounts` must be >= 0")
    if marker_rows is None:
        marker_rows = list(np.linspace(0.1, 0.9, 7) * mem_h)
    mrows = np.asarray(marker_rows, dtype=float)

    if level is None:
        level = 0.03 * fs if polarity == "light" else 0.9 * fs
    if saturation is None:
        saturation = fs if polarity == "light" else 0.0
    if gain is None:
        gain = 1.0 if np_dtype == np.uint16 else 0.02
    if read_noise is None:
        read_noise = 0.0008 * fs if np_dtype == np.uint16 else 1.0
    if blotch_amplitude is None:
        blotch_amplitude = 0.04 * fs

    theta = math.radians(tilt_deg)
    signal = np.zeros((H, W))  # everything added to the level, "light" sense
    lane_rows: list[dict[str, Any]] = []
    band_recs: list[dict[str, Any]] = []
    band_patches: list[tuple[int, tuple[int, int, int, int], npt.NDArray[np.float64]]] = []

    for m in range(n_membranes):
        top = mem_tops[m]
        frame = _Frame(
            xm=(W - 1) / 2, ym=top + (mem_h - 1) / 2, cos=math.cos(theta), sin=math.sin(theta)
        )
        half_w = W / 2

        def row_v(v0: float, u: Any, frame: _Frame = frame, half_w: float = half_w) -> Any:
            return v0 - smile * ((u - frame.xm) / half_w) ** 2

        for i in range(n_lanes):
            c = centers[i] + membrane_shifts[m]
            w = widths[i]
            kind = "marker" if marker_lane == i + 1 else "sample"
            # where the lane's centre line and edges cross the membrane's centre row
            xc = frame.xm + (c - frame.xm) / frame.cos
            xl = frame.xm + (c - w / 2 - frame.xm) / frame.cos
            xr = frame.xm + (c + w / 2 - frame.xm) / frame.cos
            _, yt = frame.to_xy(c, top)
            _, yb = frame.to_xy(c, top + mem_h)
            lane_rows.append(
                {
                    "membrane": m + 1,
                    "lane": i + 1,
                    "kind": kind,
                    "x_center": float(xc),
                    "x_left": float(xl),
                    "x_right": float(xr),
                    "width": float(xr - xl),
                    "slope": -math.tan(theta),
                    "y_top": float(yt),
                    "y_bottom": float(yb),
                    "cut_by_edge": bool(
                        xl - 2 * edge_softness < -0.5 or xr + 2 * edge_softness > W - 0.5
                    ),
                }
            )
            if kind == "marker":
                lane_bands = [
                    (k + 1, top + r, 0.25 * fs * rng.uniform(0.6, 1.0), 1.6, "gaussian", 0.0)
                    for k, r in enumerate(mrows)
                ]
            else:
                lane_bands = [
                    (
                        j + 1,
                        top + rows[j] + band_y_jitter * rng.standard_normal(),
                        amt[m, i, j],
                        sig[j] * (1 + band_sigma_jitter * rng.standard_normal()),
                        profs[j],
                        skews[j],
                    )
                    for j in range(n_rows)
                ]
            for band, v0, a, s, prof, sk in lane_bands:
                rec = {
                    "membrane": m + 1,
                    "lane": i + 1,
                    "band": band,
                    "kind": kind,
                    "present": bool(a > 0),
                    "x": np.nan,
                    "y": np.nan,
                    "volume": 0.0,
                    "saturated": False,
                    "amount": float(a),
                    "peak": 0.0,
                    "height": 2.355 * _profile_sd(prof, s, sk),
                    "profile": prof,
                }
                if a > 0:
                    u_ext = w / 2 + 5 * edge_softness
                    vs = [row_v(v0, c - u_ext), row_v(v0, c + u_ext), row_v(v0, c)]
                    box = frame.bbox(c - u_ext, c + u_ext, min(vs) - 8 * s, max(vs) + 8 * s, (H, W))
                    r0, r1, c0, c1 = box
                    if r1 > r0 and c1 > c0:
                        yy, xx = np.mgrid[r0:r1, c0:c1].astype(float)
                        uu, vv = frame.to_uv(xx, yy)
                        across = _across_profile(uu, c, w, edge_softness, edge_falloff)
                        patch = a * across * _vertical_profile(vv - row_v(v0, uu), prof, s, sk)
                        vol = float(patch.sum())
                        if vol > 0:
                            rec["volume"] = vol
                            rec["peak"] = float(patch.max())
                            rec["x"] = float((patch * xx).sum() / vol)
                            rec["y"] = float((patch * yy).sum() / vol)
                            signal[r0:r1, c0:c1] += patch
                            band_patches.append((len(band_recs), box, patch))
                        else:
                            rec["present"] = False
                    else:
                        rec["present"] = False
                band_recs.append(rec)

        # vertical smears inside sample lanes (background, not band)
        if smears > 0:
            for i in range(n_lanes):
                if marker_lane == i + 1 or rng.random() > 0.6:
                    continue
                c = centers[i] + membrane_shifts[m]
                w = widths[i]
                amp = smears * float(amt[m, i].max()) * rng.uniform(0.3, 1.0)
                v_c = top + rng.uniform(0.2, 0.8) * mem_h
                v_s = rng.uniform(0.15, 0.4) * mem_h
                box = frame.bbox(c - w / 2 - 8, c + w / 2 + 8, top, top + mem_h, (H, W))
                r0, r1, c0, c1 = box
                if r1 > r0 and c1 > c0:
                    yy, xx = np.mgrid[r0:r1, c0:c1].astype(float)
                    uu, vv = frame.to_uv(xx, yy)
                    inside = (vv >= top) & (vv <= top + mem_h)
                    signal[r0:r1, c0:c1] += (
                        amp
                        * _across_profile(uu, c, 0.9 * w, 3.0, 0.0)
                        * np.exp(-0.5 * ((vv - v_c) / v_s) ** 2)
                        * inside
                    )

    # ---- background (additive, light sense)
    yy = np.arange(H, dtype=float)[:, None]
    xx = np.arange(W, dtype=float)[None, :]
    bg = np.zeros((H, W))
    if gradient:
        gx, gy = rng.uniform(-1, 1, 2)
        q = rng.uniform(-0.5, 0.5)
        g = (
            gx * (xx / W - 0.5)
            + gy * (yy / H - 0.5)
            + q * ((xx / W - 0.5) ** 2 + (yy / H - 0.5) ** 2)
        )
        g = g - g.min()
        bg += gradient * g / max(float(g.max()), 1e-12)
    for _ in range(blotches):
        sd = rng.uniform(0.05, 0.18) * max(H, W)
        bx, by = rng.uniform(0, W), rng.uniform(0, H)
        amp = blotch_amplitude * rng.uniform(0.4, 1.0) * rng.choice([1.0, -0.6])
        r0, r1 = max(int(by - 4 * sd), 0), min(int(by + 4 * sd) + 1, H)
        c0, c1 = max(int(bx - 4 * sd), 0), min(int(bx + 4 * sd) + 1, W)
        bg[r0:r1, c0:c1] += amp * np.exp(
            -0.5 * (((yy[r0:r1] - by) / sd) ** 2 + ((xx[:, c0:c1] - bx) / (1.3 * sd)) ** 2)
        )
    for _ in range(dust):
        r = rng.uniform(0.6, 2.2)
        bx, by = rng.uniform(0, W), rng.uniform(0, H)
        amp = rng.uniform(0.1, 0.6) * fs * rng.choice([1.0, -1.0])
        r0, r1 = max(int(by - 4 * r), 0), min(int(by + 4 * r) + 2, H)
        c0, c1 = max(int(bx - 4 * r), 0), min(int(bx + 4 * r) + 2, W)
        bg[r0:r1, c0:c1] += amp * np.exp(
            -0.5 * (((yy[r0:r1] - by) / r) ** 2 + ((xx[:, c0:c1] - bx) / r) ** 2)
        )

    # ---- membrane mask: bare imager between membranes
    base = np.full((H, W), float(level))
    if n_membranes > 1:
        mask = np.zeros((H, W))
        for m in range(n_membranes):
            top = mem_tops[m]
            frame = _Frame(
                xm=(W - 1) / 2, ym=top + (mem_h - 1) / 2, cos=math.cos(theta), sin=math.sin(theta)
            )
            _, vv = frame.to_uv(xx, yy)
            mask = np.maximum(mask, 0.5 * (erf((vv - top) / 1.5) - erf((vv - top - mem_h) / 1.5)))
        bare = 0.35 * level if polarity == "light" else min(0.98 * fs, 1.06 * level)
        base = bare + (level - bare) * mask

    total = signal + bg
    clean = base + total if polarity == "light" else base - total
    lo, hi = (0.0, float(saturation)) if polarity == "light" else (float(saturation), fs)

    # saturation truth from the noiseless, unclipped model
    for idx, (r0, r1, c0, c1), patch in band_patches:
        region = clean[r0:r1, c0:c1]
        core = patch >= 0.02 * patch.max()
        clips = region >= hi if polarity == "light" else region <= lo
        band_recs[idx]["saturated"] = bool(np.any(clips & core))

    if noise:
        counts = rng.poisson(np.clip(clean, 0, None) / gain) * gain
        noisy = counts + read_noise * rng.standard_normal((H, W))
    else:
        noisy = clean
    image = np.rint(np.clip(noisy, lo, hi)).astype(np_dtype)

    lanes = pd.DataFrame(lane_rows, columns=list(SYNTH_LANE_COLUMNS))
    bands = pd.DataFrame(band_recs, columns=list(SYNTH_BAND_COLUMNS))
    params = {
        "shape": [H, W],
        "n_lanes": int(n_lanes),
        "lane_centers": [float(c) for c in centers],
        "lane_widths": [float(w) for w in widths],
        "band_rows": [float(r) for r in rows],
        "band_sigmas": [float(s) for s in sig],
        "band_profiles": profs,
        "band_skews": [float(s) for s in skews],
        "amounts": amt.tolist(),
        "band_sigma_jitter": band_sigma_jitter,
        "band_y_jitter": band_y_jitter,
        "edge_softness": edge_softness,
        "edge_falloff": edge_falloff,
        "tilt_deg": tilt_deg,
        "smile": smile,
        "level": float(level),
        "gradient": gradient,
        "blotches": blotches,
        "blotch_amplitude": float(blotch_amplitude),
        "smears": smears,
        "dust": dust,
        "gain": float(gain),
        "read_noise": float(read_noise),
        "noise": noise,
        "dtype": dtype,
        "saturation": float(saturation),
        "polarity": polarity,
        "marker_lane": marker_lane,
        "marker_rows": [float(r) for r in mrows],
        "n_membranes": n_membranes,
        "membrane_gap": membrane_gap,
        "membrane_shifts": [float(s) for s in membrane_shifts],
        "seed": seed,
    }
    return SyntheticBlot(image=image, lanes=lanes, bands=bands, params=params)


# --------------------------------------------------------------------------- presets
def make_dilution_series(
    *,
    n_lanes: int = 10,
    top_amount: float | None = None,
    factor: float = 2.0,
    shape: tuple[int, int] = (300, 640),
    band_rows: Sequence[float] = (150.0,),
    n_saturated: int = 2,
    rng: int | np.random.Generator | None = None,
    **kwargs: Any,
) -> SyntheticBlot:
    """A serial dilution: lane ``i`` holds ``top_amount / factor**(i-1)``.

    Parameters
    ----------
    n_lanes : int
        Number of dilution lanes (>= 8 recommended); lane 1 is the most concentrated.
    top_amount : float, optional
        Peak height of lane 1 in grey levels; by default chosen so that about
        ``n_saturated`` top lanes exceed the dtype maximum.
    factor : float
        Dilution factor between neighbouring lanes.
    shape : (int, int)
        Image shape.
    band_rows : sequence of float
        Band rows; every row gets the same series.
    n_saturated : int
        Used for the default ``top_amount``: lanes 1..n_saturated clip.
    rng : int or Generator, optional
        Seed.
    **kwargs
        Passed to :func:`make_blot` (e.g. ``dtype``, ``polarity``, ``gradient``).

    Returns
    -------
    SyntheticBlot
        As :func:`make_blot`; ``params["dilution"]`` holds the relative amounts.
        Lane widths do not jitter, so volume is proportional to amount wherever
        the band does not clip.
    """
    fs = _full_scale(np.dtype(kwargs.get("dtype", "uint16")))
    level = kwargs.get("level") or 0.03 * fs
    if top_amount is None:
        top_amount = (fs - level) * factor ** (n_saturated - 0.5)
    rel = factor ** -np.arange(n_lanes, dtype=float)
    amounts = np.outer(rel * top_amount, np.ones(len(band_rows)))
    kwargs.setdefault("lane_width_jitter", 0.0)
    kwargs.setdefault("band_sigma_jitter", 0.0)
    kwargs.setdefault("band_profiles", "gaussian")
    blot = make_blot(
        shape=shape, n_lanes=n_lanes, band_rows=band_rows, amounts=amounts, rng=rng, **kwargs
    )
    params = dict(blot.params, dilution=rel.tolist(), top_amount=float(top_amount))
    return SyntheticBlot(image=blot.image, lanes=blot.lanes, bands=blot.bands, params=params)


def make_large_blot(
    *,
    shape: tuple[int, int] = (3000, 4000),
    n_lanes: int = 24,
    rng: int | np.random.Generator | None = 2024,
    **kwargs: Any,
) -> SyntheticBlot:
    """A full-resolution 16-bit imager scan (4000 x 3000 px, 24 lanes by default).

    Parameters
    ----------
    shape : (int, int)
        Image ``(rows, columns)``.
    n_lanes : int
        Number of lanes.
    rng : int or Generator, optional
        Seed.
    **kwargs
        Passed to :func:`make_blot`.

    Returns
    -------
    SyntheticBlot
        As :func:`make_blot`; five band rows including a doublet, mild tilt, smile,
        gradient, blotches and dust.
    """
    H = shape[0]
    kwargs.setdefault("band_rows", [0.18 * H, 0.35 * H, 0.35 * H + 24, 0.6 * H, 0.8 * H])
    kwargs.setdefault("band_sigmas", [10.0, 5.0, 5.0, 14.0, 9.0])
    kwargs.setdefault("tilt_deg", 0.8)
    kwargs.setdefault("smile", 12.0)
    kwargs.setdefault("gradient", 2500.0)
    kwargs.setdefault("blotches", 6)
    kwargs.setdefault("dust", 60)
    kwargs.setdefault("edge_softness", 4.0)
    return make_blot(shape=shape, n_lanes=n_lanes, rng=rng, **kwargs)


# --------------------------------------------------------------------------- saving
def save_blot(
    blot: SyntheticBlot,
    path: str | Path,
    *,
    rgb: bool = False,
    extra_pages: Sequence[npt.NDArray[Any]] = (),
    jpeg_quality: int = 92,
) -> Path:
    """Write the image and its truth tables ``<stem>_lanes.csv``, ``<stem>_bands.csv``.

    Parameters
    ----------
    blot : SyntheticBlot
        What to write.
    path : str or Path
        Image path; the suffix chooses the format: ``.tif``/``.tiff`` (tifffile, zlib
        compression, any dtype, multi-page with ``extra_pages``), ``.png`` (Pillow,
        8 or 16 bit grey, 8-bit RGB) or ``.jpg``/``.jpeg`` (Pillow, 8 bit only).
    rgb : bool
        Write three identical channels (R = G = B, so any grey conversion returns
        the same grey levels).
    extra_pages : sequence of ndarray
        Further TIFF pages after the first; the truth refers to the first page.
    jpeg_quality : int
        JPEG quality.

    Returns
    -------
    Path
        The image path.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    img = blot.image
    if rgb:
        img = np.repeat(img[..., None], 3, axis=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".tif", ".tiff"):
        import tifffile

        photometric = "rgb" if rgb else "minisblack"
        with tifffile.TiffWriter(path) as tif:
            tif.write(img, photometric=photometric, compression="zlib", predictor=True)
            for page in extra_pages:
                tif.write(
                    np.asarray(page, dtype=blot.image.dtype),
                    photometric="minisblack",
                    compression="zlib",
                    predictor=True,
                )
    elif suffix in (".png", ".jpg", ".jpeg"):
        from PIL import Image

        if extra_pages:
            msg = f"{path}: extra_pages need a TIFF path"
            raise InvalidInputError(msg)
        if img.dtype == np.uint16:
            _check(
                suffix == ".png" and not rgb,
                f"{path}: 16-bit images can only be written as grey PNG or TIFF",
            )
            pil = Image.fromarray(img.astype(np.uint16))
        else:
            pil = Image.fromarray(img)
        if suffix == ".png":
            pil.save(path, optimize=True)
        else:
            pil.save(path, quality=jpeg_quality, subsampling=0)
    else:
        msg = f"{path}: unsupported suffix {suffix!r}; use .tif, .png or .jpg"
        raise InvalidInputError(msg)
    stem = path.with_suffix("")
    blot.lanes.to_csv(f"{stem}_lanes.csv", index=False, float_format="%.6g")
    blot.bands.to_csv(f"{stem}_bands.csv", index=False, float_format="%.10g")
    return path
