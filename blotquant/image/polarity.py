"""Polarity: which way bands go, and the one internal convention (bands bright).

Chemiluminescence and fluorescence scans show light bands on a dark background;
film, colorimetric and Coomassie scans show dark bands on a light background.
Every later stage works on a *signal* image in which bands are bright and whose
units are grey levels of the input, so volumes are positive for both polarities.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import ndimage as ndi

from blotquant.errors import InvalidInputError
from blotquant.image.io import Scan

__all__ = ["SATURATION_MARGIN", "Polarity", "guess_polarity", "saturation_mask", "to_signal"]

#: Pixels within this fraction of the detector range of the clip level count as
#: saturated (see :func:`saturation_mask`).
SATURATION_MARGIN = 0.002

Polarity = Literal["light", "dark"]


def _downsample(data: np.ndarray, *, target: int = 512) -> np.ndarray:
    step = max(1, int(np.ceil(max(data.shape) / target)))
    return np.asarray(data[::step, ::step], dtype=np.float64)


def guess_polarity(data: npt.ArrayLike) -> tuple[Polarity, float]:
    """Guess whether bands are light on dark (``"light"``) or dark on light (``"dark"``).

    Bands cover a minority of the blot, so they form the longer tail of the grey
    value distribution around the background. The score compares how far the
    upper and lower tails of a lightly smoothed copy reach from the median
    (local contrast after removing large-scale background, so that a bright
    membrane on a dark platen is not mistaken for a band).

    Parameters
    ----------
    data : (M, N) array_like
        Grey values.

    Returns
    -------
    polarity : {"light", "dark"}
        The guess.
    score : float
        ``log(upper tail / lower tail)``; positive means light bands. Values near
        0 mean the guess is uncertain.

    Examples
    --------
    >>> img = np.full((64, 64), 100.0); img[30:34, 10:50] = 900.0
    >>> guess_polarity(img)[0]
    'light'
    >>> guess_polarity(1000 - img)[0]
    'dark'
    """
    small = _downsample(np.asarray(data), target=256)
    small = ndi.median_filter(small, size=3)
    # remove large-scale variation (membrane edges, gradients) with a wide mean
    size = max(5, min(small.shape) // 6)
    local = small - ndi.uniform_filter(small, size=size, mode="nearest")
    med = float(np.median(local))
    lo, hi = np.percentile(local, [0.5, 99.5])
    upper, lower = hi - med, med - lo
    eps = 1e-12 + 1e-9 * float(np.ptp(small))
    score = float(np.log((upper + eps) / (lower + eps)))
    return ("light" if score >= 0 else "dark"), score


def to_signal(scan: Scan, *, polarity: Polarity) -> npt.NDArray[np.float32]:
    """Convert a scan to the internal signal image: bands bright, grey-level units.

    Parameters
    ----------
    scan : Scan
        From :func:`blotquant.image.io.read_image`.
    polarity : {"light", "dark"}
        ``"light"`` keeps values; ``"dark"`` maps ``v -> top - v`` with ``top`` the
        bright saturation level (dtype maximum) or the data maximum for floats.

    Returns
    -------
    (M, N) ndarray of float32
        A new array; the scan is not modified.
    """
    data = np.array(scan.data, dtype=np.float32, copy=True)
    if polarity == "light":
        return data
    if polarity == "dark":
        top = scan.saturation_high if np.isfinite(scan.saturation_high) else float(data.max())
        np.subtract(np.float32(top), data, out=data)
        return data
    msg = f"`polarity` must be 'light' or 'dark', got {polarity!r}"
    raise InvalidInputError(msg)


def saturation_mask(
    scan: Scan, *, polarity: Polarity, margin: float = SATURATION_MARGIN
) -> npt.NDArray[np.bool_]:
    """Pixels clipped at the band end of the detector range.

    For light bands that is the bright end (dtype maximum or a lower plateau);
    for dark bands the dark end (0 or a plateau above it). Pixels within
    ``margin`` of the range between the two clip levels (at least one grey level
    for integer data) count too: read noise added after the detector clipped
    lifts a clipped pixel off the clip level.
    """
    high, low = scan.saturation_high, scan.saturation_low
    tolerance = margin * (high - low) if np.isfinite(high) and np.isfinite(low) else 0.0
    if np.issubdtype(scan.data.dtype, np.integer):
        tolerance = max(tolerance, 1.0)
    if polarity == "light":
        return np.asarray(scan.data >= high - tolerance)
    return np.asarray(scan.data <= low + tolerance)
