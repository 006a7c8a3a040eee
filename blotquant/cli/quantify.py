"""``blotquant quantify IMAGE... --out DIR``: bands and lanes of blot scans."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from blotquant import __version__
from blotquant._io import atomic_output_dir, write_json
from blotquant.errors import InvalidInputError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``quantify`` subcommand."""
    p = subparsers.add_parser(
        "quantify",
        help="find lanes and bands in blot scans and measure band volumes",
        description="Find lanes and bands in blot scans and measure background-subtracted "
        "band volumes. Writes bands.csv, lanes.csv, params.json and an overlay PNG per image.",
    )
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--polarity", choices=["auto", "light", "dark"], default="auto",
                   help="light bands on dark (chemiluminescence) or dark on light (film)")
    p.add_argument("--lanes", type=int, default=None, dest="n_lanes",
                   help="number of lanes per membrane (default: found automatically)")
    p.add_argument("--lane-centers", type=str, default=None,
                   help="comma-separated lane centre columns, overrides detection")
    p.add_argument("--roi", type=str, default=None, help="region TOP,BOTTOM,LEFT,RIGHT in pixels")
    p.add_argument("--background", choices=["lane", "rolling_ball"], default="lane")
    p.add_argument("--radius", type=float, default=50.0, help="rolling-ball radius, pixels")
    p.add_argument("--min-snr", type=float, default=5.0, help="band detection threshold")
    p.add_argument("--page", type=int, default=None, help="page of a multi-page TIFF (0-based)")
    p.add_argument("--no-overlay", action="store_true", help="skip the overlay PNGs")
    p.set_defaults(func=run)


def _numbers(text: str | None, *, option: str, count: int | None = None) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError as exc:
        msg = f"{option} {text!r}: expected comma-separated numbers"
        raise InvalidInputError(msg) from exc
    if count is not None and len(values) != count:
        msg = f"{option} {text!r}: expected {count} numbers"
        raise InvalidInputError(msg)
    return values


def run(args: argparse.Namespace) -> int:
    """Analyse every image, then write all outputs at once."""
    from blotquant.image.overlay import write_overlay
    from blotquant.image.pipeline import analyze

    roi = _numbers(args.roi, option="--roi", count=4)
    centers = _numbers(args.lane_centers, option="--lane-centers")
    stems = [p.stem for p in args.images]
    if len(set(stems)) != len(stems):
        msg = "two images have the same file name stem; bands.csv could not tell them apart"
        raise InvalidInputError(msg)
    results = []
    images = args.images
    if len(images) > 1:
        from tqdm import tqdm

        images = tqdm(images, desc="quantify", unit="image")
    for path in images:
        results.append(analyze(
            path, polarity=args.polarity, n_lanes=args.n_lanes, lane_centers=centers,
            roi=tuple(int(v) for v in roi) if roi else None, background=args.background,
            radius=args.radius, min_snr=args.min_snr, page=args.page,
        ))
    with atomic_output_dir(args.out, inputs=tuple(args.images)) as tmp:
        pd.concat([r.bands for r in results], ignore_index=True).to_csv(tmp / "bands.csv", index=False)
        pd.concat([r.lanes for r in results], ignore_index=True).to_csv(tmp / "lanes.csv", index=False)
        write_json(tmp / "params.json", {
            "blotquant_version": __version__,
            "images": {r.scan.name: {"path": r.scan.path, **r.params.to_dict()} for r in results},
        })
        if not args.no_overlay:
            for r in results:
                write_overlay(tmp / f"{r.scan.name}_overlay.png", r.scan, r.lanes, r.bands)
    n_bands = sum(int(r.bands.detected.sum()) for r in results)
    print(f"{len(results)} image(s), {sum(len(r.lanes) for r in results)} lanes, "
          f"{n_bands} bands detected -> {args.out}")
    return 0
