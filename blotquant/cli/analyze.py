"""``blotquant analyze SHEET --out DIR``: a whole blot experiment from its sample sheet."""

from __future__ import annotations

import argparse
import hashlib
import math
import re
from pathlib import Path

from blotquant import __version__
from blotquant._io import atomic_output_dir, write_csv, write_json

__all__ = ["register", "run"]

#: Tables written by ``blotquant analyze`` (file name -> ExperimentResult attribute).
OUTPUT_TABLES: dict[str, str] = {
    "lanes.csv": "lanes",
    "replicates.csv": "replicates",
    "conditions.csv": "conditions",
    "lane_matching.csv": "matching",
    "band_choice.csv": "band_choice",
    "ladders.csv": "ladders",
    "linear_ranges.csv": "linear_ranges",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``analyze`` subcommand."""
    p = subparsers.add_parser(
        "analyze",
        help="quantify a blot experiment described by a sample sheet",
        description="Run the image pipeline on every image of a sample sheet, match lanes, "
        "normalise to the loading control, compute fold changes, flags and replicate "
        "statistics. Writes lanes.csv, replicates.csv, conditions.csv, lane_matching.csv, "
        "band_choice.csv, ladders.csv, linear_ranges.csv, images/<image>.bands.csv and "
        ".lanes.csv, and params.json (with SHA-256 of every input).",
    )
    p.add_argument("sheet", type=Path, metavar="SHEET", help="sample sheet (.csv or .xlsx)")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--min-snr", type=float, default=3.0,
                   help="bands below this SNR are flagged below_detection (default 3)")
    p.add_argument("--loading-deviation", type=float, default=0.5,
                   help="flag loading_outlier beyond this fractional deviation from the "
                        "membrane median (default 0.5)")
    p.add_argument("--linear-deviation", type=float, default=0.15,
                   help="largest relative deviation inside a dilution series' linear range")
    p.add_argument("--position-tolerance", type=float, default=0.05,
                   help="band choice by position: tolerance as a fraction of lane height")
    p.add_argument("--method", choices=["dunnett", "holm"], default="dunnett",
                   help="multiple-comparison procedure (default dunnett)")
    p.add_argument("--exclude", default="",
                   help="comma-separated flags whose lanes are left out of the statistics, "
                        "e.g. saturated,loading_outlier (default: none)")
    p.add_argument("--background", choices=["lane", "rolling_ball"], default="lane",
                   help="image pipeline background method")
    p.add_argument("--image-min-snr", type=float, default=5.0,
                   help="image pipeline band detection threshold")
    p.set_defaults(func=run)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _json_safe(value: object) -> object:
    """NaN/inf floats as None, recursively (params.json is strict JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name.replace("\\", "/").replace("/", "__"))


def run(args: argparse.Namespace) -> int:
    """Analyse the experiment, then write every output at once."""
    from blotquant.experiment import analyze_experiment, read_sample_sheet

    sheet = read_sample_sheet(args.sheet)
    exclude = tuple(f.strip() for f in args.exclude.split(",") if f.strip())
    result = analyze_experiment(
        sheet, min_snr=args.min_snr, max_loading_deviation=args.loading_deviation,
        linear_max_deviation=args.linear_deviation,
        position_tolerance=args.position_tolerance, method=args.method,
        exclude_flags=exclude, background=args.background, image_min_snr=args.image_min_snr)
    inputs = {str(args.sheet): _sha256(args.sheet)}
    for img in sheet.images:
        inputs[img.file] = _sha256(img.path)
    with atomic_output_dir(args.out, inputs=(args.sheet, *(i.path for i in sheet.images))) as tmp:
        for name, attr in OUTPUT_TABLES.items():
            write_csv(getattr(result, attr), tmp / name)
        (tmp / "images").mkdir()
        for file, table in result.image_bands.items():
            write_csv(table, tmp / "images" / f"{_safe(file)}.bands.csv")
        for file, table in result.image_lanes.items():
            write_csv(table, tmp / "images" / f"{_safe(file)}.lanes.csv")
        write_json(tmp / "params.json", _json_safe({
            "blotquant": __version__, "command": "analyze",
            "inputs_sha256": inputs, **result.params,
        }))
    return 0
