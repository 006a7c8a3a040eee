"""Generalisation check: the image benchmark on randomly drawn synthetic blots.

The committed ``test_images/`` are few and were chosen by us; a pipeline tuned to
them can fail on blots that differ in lane count, spacing, band size, noise,
contrast or artefacts. This script draws ``N`` blots with every generator
parameter drawn at random over wide ranges (seeded, so a run is reproducible),
writes them with their truth into a temporary folder and scores them exactly
like ``bench_image.py`` (lanes right, band recall and precision, row-normalised
relative volume error).

Usage (from the project root)::

    python benchmarks/bench_random.py              # 40 blots, seed 0
    python benchmarks/bench_random.py -n 100 --seed 3
    python benchmarks/bench_random.py --keep DIR   # keep the images to look at them
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_image  # sibling script, not a package

from blotquant.image.synthetic import make_blot, save_blot


def random_case(rng: np.random.Generator) -> tuple[dict[str, Any], str]:
    """Keyword arguments for :func:`make_blot` and a file suffix, drawn at random."""
    dtype = "uint16" if rng.random() < 0.7 else "uint8"
    full = 65535.0 if dtype == "uint16" else 255.0
    polarity = "light" if rng.random() < 0.6 else "dark"
    rows, cols = int(rng.integers(260, 700)), int(rng.integers(360, 1100))
    n_lanes = int(rng.integers(3, 19))
    pitch = cols / (n_lanes + rng.uniform(0.2, 1.5))
    fill = rng.uniform(0.45, 0.92)  # lane width / pitch: up to nearly touching
    lane_width = max(8.0, fill * pitch)
    first = rng.uniform(0.5, 0.9) * pitch
    centers = first + pitch * np.arange(n_lanes)
    if n_lanes >= 6 and rng.random() < 0.3:  # groups separated by a wider gap
        cut = int(rng.integers(2, n_lanes - 2))
        centers[cut:] += rng.uniform(0.3, 0.9) * pitch
    centers = centers[centers < cols - 0.3 * pitch]
    n_rows = int(rng.integers(1, 5))
    margin = 0.12 * rows
    band_rows = np.sort(rng.uniform(margin, rows - margin, n_rows))
    # keep rows apart (a doublet is its own case below)
    band_rows = band_rows[np.concatenate([[True], np.diff(band_rows) > 25])]
    # band height scales with lane width (a band is a few times wider than tall)
    sigmas = np.clip(lane_width * rng.uniform(0.03, 0.08, band_rows.size), 1.5, 12.0)
    if rng.random() < 0.25:  # a close doublet under the first row
        gap = rng.uniform(8, 12)
        band_rows = np.insert(band_rows, 1, band_rows[0] + gap)
        sigmas = np.insert(sigmas, 1, sigmas[0])
        sigmas[:2] = min(sigmas[0], gap / 5.0)
        keep = np.concatenate([[True, True], np.diff(band_rows[1:]) > 25])
        band_rows, sigmas = band_rows[keep], sigmas[keep]
    peak_hi = full * rng.uniform(0.15, 0.7)
    amounts = peak_hi * rng.uniform(0.08, 1.0, (centers.size, band_rows.size))
    amounts[rng.random(amounts.shape) < 0.1] = 0.0  # missing bands
    # an empty lane at either end is invisible to anyone: keep the end lanes loaded
    amounts[[0, -1], 0] = np.maximum(amounts[[0, -1], 0], 0.3 * peak_hi)
    kwargs: dict[str, Any] = {
        "shape": (rows, cols),
        "lane_centers": centers.tolist(),
        "lane_width": lane_width,
        "band_rows": band_rows.tolist(),
        "band_sigmas": sigmas.tolist(),
        "amounts": amounts,
        "tilt_deg": float(rng.uniform(-5, 5)) if rng.random() < 0.4 else 0.0,
        "smile": float(rng.uniform(-0.03, 0.04) * rows) if rng.random() < 0.4 else 0.0,
        "gradient": float(rng.uniform(0, 0.08) * full),
        "blotches": int(rng.integers(0, 4)),
        "smears": float(rng.uniform(0, 0.15)) if rng.random() < 0.3 else 0.0,
        "dust": int(rng.integers(0, 30)),
        "dtype": dtype,
        "polarity": polarity,
        "rng": int(rng.integers(2**31)),
    }
    if polarity == "dark":
        kwargs["level"] = full * rng.uniform(0.75, 0.95)
        kwargs["amounts"] = np.minimum(amounts, kwargs["level"] * 0.6)
    suffix = ".tif" if dtype == "uint16" else str(rng.choice([".png", ".tif", ".jpg"]))
    return kwargs, suffix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40, help="number of random blots")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="write the images here and keep them")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for i in range(args.n):
            kwargs, suffix = random_case(rng)
            blot = make_blot(**kwargs)
            paths.append(save_blot(blot, folder / f"random_{args.seed}_{i:03d}{suffix}"))
        scores = [bench_image.run_image(p, baseline=False) for p in paths]
        bench_image.print_table(scores)
        bench_image.print_summary(bench_image.summarize(scores, None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
