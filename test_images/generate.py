"""Write the committed synthetic test images and their exact truth tables.

Run from anywhere::

    python test_images/generate.py            # the small committed set + manifest.csv
    python test_images/generate.py --large    # also test_images/large/ (git-ignored)

Every image ``NAME.ext`` comes with ``NAME_lanes.csv`` and ``NAME_bands.csv``
(columns documented in :class:`blotquant.image.synthetic.SyntheticBlot`).
Everything is seeded: rerunning reproduces the files (``tests/test_synthetic.py``
checks that one of them still does).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from blotquant.image.synthetic import (
    SyntheticBlot,
    make_blot,
    make_dilution_series,
    make_large_blot,
    save_blot,
)

HERE = Path(__file__).resolve().parent
SHAPE = (360, 520)  # small committed images; rows x columns
ROWS3 = (90.0, 180.0, 270.0)


@dataclass(frozen=True)
class Case:
    """One committed test image."""

    file: str
    tests: str
    build: Callable[[], SyntheticBlot]
    save: dict[str, Any] = field(default_factory=dict)


def _multipage() -> tuple[SyntheticBlot, dict[str, Any]]:
    amounts = np.random.default_rng(117).uniform(2000, 12000, (7, 3))
    kw: dict[str, Any] = {
        "shape": SHAPE,
        "n_lanes": 7,
        "band_rows": ROWS3,
        "gradient": 800.0,
        "rng": 17,
    }
    short = make_blot(amounts=amounts, **kw)
    long = make_blot(amounts=4 * amounts, **kw)
    return short, {"extra_pages": [long.image]}


def _cases() -> list[Case]:
    g = np.random.default_rng(12345)  # only for amount tables written out explicitly

    def amt(n_lanes: int, n_rows: int, lo: float = 4000, hi: float = 30000) -> np.ndarray:
        return g.uniform(lo, hi, (n_lanes, n_rows))

    faint = amt(8, 3)
    faint[:, 1] = np.array([150, 220, 300, 400, 550, 800, 1100, 1600])  # noise SD ~ 70
    faint[:, 2] = np.array([400, 300, 250, 200, 3000, 6000, 12000, 24000])
    empty = amt(8, 3)
    empty[2, :] = 0  # empty lane
    empty[5, :] = 0  # empty lane
    empty[[0, 3, 7], 1] = 0  # missing bands in one row
    sat_max = amt(8, 3, 5000, 25000)
    sat_max[[1, 4], 0] = 150000
    sat_max[6, 2] = 90000
    sat_plateau = amt(8, 3, 5000, 25000)
    sat_plateau[[0, 5], 1] = 120000
    sat_plateau[3, 2] = 70000
    groups = [40, 80, 120, 160, 220, 260, 300, 340, 400, 440, 480]
    touching = 20 + np.arange(12) * 40.0
    return [
        Case(
            "clean_chemi16.tif",
            "clean 16-bit chemiluminescence, 8 lanes, 3 band rows",
            lambda: make_blot(shape=SHAPE, n_lanes=8, band_rows=ROWS3, rng=1),
        ),
        Case(
            "tilt_plus4.tif",
            "tilt +4 degrees",
            lambda: make_blot(
                shape=SHAPE, n_lanes=8, band_rows=ROWS3, tilt_deg=4.0, gradient=600.0, rng=2
            ),
        ),
        Case(
            "tilt_minus5.tif",
            "tilt -5 degrees",
            lambda: make_blot(shape=SHAPE, n_lanes=7, band_rows=ROWS3, tilt_deg=-5.0, rng=3),
        ),
        Case(
            "smile_strong.tif",
            "strong smile: edge rows 14 px higher than the centre",
            lambda: make_blot(shape=SHAPE, n_lanes=9, band_rows=ROWS3, smile=14.0, rng=4),
        ),
        Case(
            "uneven_groups.tif",
            "uneven spacing, lane groups (4+4+3) separated by gaps",
            lambda: make_blot(
                shape=SHAPE, lane_centers=groups, lane_width=26.0, band_rows=ROWS3, rng=5
            ),
        ),
        Case(
            "touching_lanes.tif",
            "12 nearly touching lanes (3 px gaps)",
            lambda: make_blot(
                shape=SHAPE,
                lane_centers=touching,
                lane_widths=[37.0] * 12,
                band_rows=ROWS3,
                edge_softness=1.0,
                rng=6,
            ),
        ),
        Case(
            "edge_cut_lane.tif",
            "leftmost lane 35% outside the image, rightmost touching",
            lambda: make_blot(
                shape=SHAPE,
                lane_centers=[8 + 70 * i for i in range(8)],
                lane_widths=[46.0] + [40.0] * 6 + [44.0],
                band_rows=ROWS3,
                rng=7,
            ),
        ),
        Case(
            "marker_lane.tif",
            "molecular-weight ladder in lane 1 (7 ladder bands)",
            lambda: make_blot(
                shape=SHAPE, n_lanes=8, band_rows=(120.0, 230.0), marker_lane=1, rng=8
            ),
        ),
        Case(
            "two_membranes.tif",
            "two membranes in one image, lanes offset, gap between",
            lambda: make_blot(
                shape=(480, 520),
                n_lanes=7,
                band_rows=(60.0, 140.0),
                n_membranes=2,
                membrane_gap=40,
                membrane_shifts=(0.0, 18.0),
                gradient=500.0,
                rng=9,
            ),
        ),
        Case(
            "doublets.tif",
            "close doublets 6, 8 and 10 px apart (e.g. cleaved caspase-3)",
            lambda: make_blot(
                shape=SHAPE,
                n_lanes=8,
                band_rows=(70.0, 76.0, 170.0, 178.0, 270.0, 280.0),
                band_sigmas=(1.2, 1.2, 1.6, 1.6, 2.0, 2.0),
                rng=10,
            ),
        ),
        Case(
            "faint_bands.tif",
            "faint bands near the noise floor (peak SNR 2-25)",
            lambda: make_blot(shape=SHAPE, n_lanes=8, band_rows=ROWS3, amounts=faint, rng=11),
        ),
        Case(
            "empty_lanes.tif",
            "two empty lanes and missing bands in one row",
            lambda: make_blot(shape=SHAPE, n_lanes=8, band_rows=ROWS3, amounts=empty, rng=12),
        ),
        Case(
            "saturated_max.tif",
            "bands clipped at the uint16 maximum",
            lambda: make_blot(shape=SHAPE, n_lanes=8, band_rows=ROWS3, amounts=sat_max, rng=13),
        ),
        Case(
            "saturated_plateau.tif",
            "bands clipped at an imager plateau of 60000",
            lambda: make_blot(
                shape=SHAPE,
                n_lanes=8,
                band_rows=ROWS3,
                amounts=sat_plateau,
                saturation=60000.0,
                rng=14,
            ),
        ),
        Case(
            "film_dark8.png",
            "8-bit film: dark bands on light background, gradient",
            lambda: make_blot(
                shape=SHAPE,
                n_lanes=8,
                band_rows=ROWS3,
                dtype="uint8",
                polarity="dark",
                gradient=18.0,
                rng=15,
            ),
        ),
        Case(
            "rgb_dark.jpg",
            "RGB JPEG (R=G=B), dark on light, lossy",
            lambda: make_blot(
                shape=SHAPE, n_lanes=6, band_rows=ROWS3, dtype="uint8", polarity="dark", rng=16
            ),
            {"rgb": True, "jpeg_quality": 90},
        ),
        Case(
            "blotches_smears_dust.tif",
            "large blotches, lane smears, dust specks, gradient",
            lambda: make_blot(
                shape=SHAPE,
                n_lanes=8,
                band_rows=ROWS3,
                gradient=2500.0,
                blotches=5,
                smears=0.08,
                dust=25,
                rng=18,
            ),
        ),
        Case(
            "dilution_series.tif",
            "2-fold dilution over 10 lanes, top 2 lanes saturated",
            lambda: make_dilution_series(n_lanes=10, shape=(260, 620), band_rows=(130.0,), rng=19),
        ),
    ]


def cases() -> dict[str, Case]:
    """The committed cases by file name."""
    return {c.file: c for c in _cases()}


def build(file: str) -> tuple[SyntheticBlot, dict[str, Any]]:
    """Build one committed image by file name; returns the blot and ``save_blot`` options."""
    if file == "multipage.tif":
        return _multipage()
    case = cases()[file]
    return case.build(), dict(case.save)


def all_files() -> list[str]:
    """Every committed image file name, in manifest order."""
    return [*cases(), "multipage.tif"]


def _manifest_row(file: str, tests: str, blot: SyntheticBlot) -> dict[str, Any]:
    p = blot.params
    lanes = blot.lanes
    return {
        "file": file,
        "tests": tests,
        "n_lanes": int((lanes["membrane"] == 1).sum()),
        "n_membranes": int(p["n_membranes"]),
        "polarity": p["polarity"],
        "dtype": p["dtype"],
        "rgb": file.endswith((".jpg", ".jpeg")),
        "n_band_rows": len(p["band_rows"]),
        "saturation": p["saturation"],
        "seed": p["seed"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Write the committed set (and the large scan with ``--large``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also write large/ (4000x3000)")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for file in all_files():
        blot, save = build(file)
        save_blot(blot, out / file, **save)
        tests = (
            "two pages: short and 4x longer exposure; truth is page 1"
            if file == "multipage.tif"
            else cases()[file].tests
        )
        rows.append(_manifest_row(file, tests, blot))
    pd.DataFrame(rows).to_csv(out / "manifest.csv", index=False)
    if args.large:
        blot = make_large_blot()
        save_blot(blot, out / "large" / "large_4000x3000.tif")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
