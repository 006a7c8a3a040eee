"""Matching detected lanes to the sample sheet's lane numbers.

Several images of one membrane (reprobes, exposures, a total-protein stain) show the
same lanes, but one image may be shifted sideways or miss a lane that another shows.
Lanes are matched by their centres: every image is compared with a reference layout of
the membrane (an image in which all the sheet's lanes were found, or, failing that, an
equally spaced layout built from the image with the most lanes), after estimating the
translation (and, when the lane pitch differs by more than 5 %, the scale) that best
overlays its lane centres on the reference. Detected lanes farther than half a lane
pitch from every reference lane stay unmatched.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from blotquant.errors import BlotquantWarning, InvalidInputError

__all__ = ["LaneMatch", "estimate_pitch", "match_lanes", "match_membrane"]


@dataclass(frozen=True)
class LaneMatch:
    """How one image's detected lanes map onto the sheet's lanes.

    Attributes
    ----------
    lanes : tuple of int
        Sheet lane number for each detected lane (in the order given), 0 when unmatched.
    shift : float
        Translation added to the (scaled) detected centres to reach the reference, pixels.
    scale : float
        Scale applied to the detected centres (1 unless the lane pitch differs > 5 %).
    residual : float
        Mean absolute distance of matched lanes from their reference position, pixels.
    ambiguous : bool
        True when another shift explained the centres equally well; the smaller shift
        (or the one leaving ladder/empty lanes unmatched) was chosen.
    """

    lanes: tuple[int, ...]
    shift: float
    scale: float
    residual: float
    ambiguous: bool = False


def estimate_pitch(centres: npt.ArrayLike) -> float:
    """Estimate the lane pitch (centre-to-centre distance) from lane centres.

    Gaps left by missing lanes count as whole multiples of the pitch.

    Parameters
    ----------
    centres : (K,) array_like of float
        Lane centres in pixels, any order, K >= 2.

    Returns
    -------
    float
        The pitch in pixels (NaN for fewer than two centres).

    Examples
    --------
    >>> round(estimate_pitch([10, 30, 50, 90, 110]), 6)
    20.0
    """
    x = np.sort(np.asarray(centres, dtype=float))
    x = x[np.isfinite(x)]
    if x.size < 2:
        return float("nan")
    diffs = np.diff(x)
    diffs = diffs[diffs > 0]
    if diffs.size == 0:
        return float("nan")
    p = float(np.median(diffs))
    for _ in range(3):
        k = np.maximum(np.round(diffs / p), 1.0)
        p = float(diffs.sum() / k.sum())
    return p


def match_lanes(
    centres: npt.ArrayLike,
    reference: npt.ArrayLike,
    *,
    optional: Iterable[int] = (),
) -> LaneMatch:
    """Match detected lane centres to reference lane positions.

    Parameters
    ----------
    centres : (K,) array_like of float
        Detected lane centres of one image, pixels.
    reference : (N,) array_like of float
        Reference centre of sheet lanes 1..N (NaN for a lane with unknown position).
    optional : iterable of int
        Sheet lanes that may well be undetected (ladder, empty); when two shifts fit
        equally well, the one leaving these unmatched wins.

    Returns
    -------
    LaneMatch
        Sheet lane per detected lane (0 = unmatched), the shift, scale and residual.

    Notes
    -----
    Every pairing of a detected centre with a reference centre proposes a shift; each
    proposal is scored by the number of lanes matched within half a pitch (Hungarian
    assignment), then by the number of non-optional sheet lanes left unmatched, then by
    the summed distance, then by the size of the shift.

    Examples
    --------
    >>> m = match_lanes([45, 65, 105], [20, 40, 60, 80, 100])
    >>> m.lanes, m.shift
    ((2, 3, 5), -5.0)
    """
    d = np.asarray(centres, dtype=float)
    r = np.asarray(reference, dtype=float)
    if d.ndim != 1 or r.ndim != 1:
        msg = "`centres` and `reference` must be 1-D arrays of lane centres"
        raise InvalidInputError(msg)
    if d.size == 0:
        return LaneMatch((), 0.0, 1.0, float("nan"))
    known = np.flatnonzero(np.isfinite(r))
    if known.size == 0:
        msg = "`reference` has no finite lane centre"
        raise InvalidInputError(msg)
    p_ref = estimate_pitch(r[known])
    p_img = estimate_pitch(d)
    if not np.isfinite(p_ref):
        p_ref = p_img if np.isfinite(p_img) else max(1.0, float(np.ptp(d)) or 1.0)
    scales = [1.0]
    if d.size >= 3 and np.isfinite(p_img) and abs(p_ref / p_img - 1) > 0.05:
        scales.append(p_ref / p_img)
    cap = 0.5 * p_ref
    optional_set = {int(o) for o in optional}
    required = [j for j in known if (j + 1) not in optional_set]
    best: tuple | None = None
    candidates: list[tuple] = []
    for s in scales:
        ds = s * d
        shifts = np.unique(np.round((r[known][None, :] - ds[:, None]).ravel(), 6))
        for t in shifts:
            cost = np.abs(ds[:, None] + t - r[None, known])
            rows, cols = linear_sum_assignment(np.minimum(cost, cap * 4))
            ok = cost[rows, cols] <= cap
            rows, cols = rows[ok], cols[ok]
            matched = {int(known[c]) for c in cols}
            n_req_missing = sum(1 for j in required if j not in matched)
            dist = float(cost[rows, cols].sum())
            key = (-len(rows), n_req_missing, round(dist / max(cap, 1e-9), 3), abs(float(t)))
            assign = [0] * d.size
            for i, c in zip(rows, cols, strict=True):
                assign[int(i)] = int(known[c]) + 1
            cand = (key, tuple(assign), float(t), s, dist / max(len(rows), 1))
            candidates.append(cand)
            if best is None or key < best[0]:
                best = cand
    assert best is not None
    ambiguous = any(c[0][:2] == best[0][:2] and abs(c[0][2] - best[0][2]) < 0.05
                    and c[1] != best[1] for c in candidates)
    return LaneMatch(lanes=best[1], shift=best[2], scale=best[3], residual=best[4],
                     ambiguous=ambiguous)


def match_membrane(
    centres: Mapping[str, npt.ArrayLike],
    *,
    n_lanes: int,
    optional: Iterable[int] = (),
) -> tuple[dict[str, LaneMatch], str]:
    """Match the lanes of several images of one membrane to sheet lanes 1..``n_lanes``.

    Parameters
    ----------
    centres : mapping of str to (K,) array_like
        Detected lane centres per image (key: any image id), pixels.
    n_lanes : int
        Number of lanes the sheet describes for this membrane.
    optional : iterable of int
        Sheet lanes that may be undetected (ladder, empty lanes).

    Returns
    -------
    matches : dict of str to LaneMatch
        One match per image.
    reference : str
        The image whose layout served as reference (``""`` when an equally spaced layout
        was built because no image showed ``n_lanes`` lanes).

    Warns
    -----
    BlotquantWarning
        When no image shows all lanes and the position of the missing lanes is ambiguous.

    Examples
    --------
    >>> m, ref = match_membrane({"a": [10, 30, 50, 70], "b": [42, 62, 82]}, n_lanes=4)
    >>> ref, m["b"].lanes
    ('a', (2, 3, 4))
    """
    if n_lanes < 1:
        msg = f"`n_lanes` must be >= 1, got {n_lanes}"
        raise InvalidInputError(msg)
    optional = tuple(optional)
    arrays = {k: np.sort(np.asarray(v, dtype=float)) for k, v in centres.items()}
    full = [k for k, v in arrays.items() if v.size == n_lanes]
    ref_name = ""
    if full:
        # the full image whose spacing is most regular is the reference
        def irregularity(k: str) -> float:
            v = arrays[k]
            p = estimate_pitch(v)
            return float(np.std(np.diff(v)) / p) if v.size > 2 and np.isfinite(p) else 0.0

        ref_name = min(full, key=irregularity)
        reference = arrays[ref_name]
    else:
        usable = {k: v for k, v in arrays.items() if v.size >= 1}
        if not usable:
            return {k: LaneMatch((), 0.0, 1.0, float("nan")) for k in arrays}, ""
        base_name = max(usable, key=lambda k: (min(usable[k].size, n_lanes), -abs(
            usable[k].size - n_lanes)))
        base = usable[base_name]
        pitch = estimate_pitch(base)
        if not np.isfinite(pitch):
            pitch = 1.0
        grid = base[0] + pitch * np.arange(n_lanes)
        first = match_lanes(base, grid, optional=optional)
        if first.ambiguous:
            warnings.warn(
                f"no image of this membrane shows all {n_lanes} lanes and the position of the "
                f"missing lane(s) is ambiguous; assumed lanes {first.lanes} for image "
                f"{base_name!r} - set n_lanes or check the lane_matching table",
                BlotquantWarning, stacklevel=2)
        # express the equally spaced layout in the base image's coordinates
        reference = (grid - first.shift) / first.scale
    matches = {}
    for k, v in arrays.items():
        if k == ref_name:
            matches[k] = LaneMatch(tuple(range(1, n_lanes + 1)), 0.0, 1.0, 0.0)
        else:
            matches[k] = match_lanes(v, reference, optional=optional)
    return matches, ref_name
