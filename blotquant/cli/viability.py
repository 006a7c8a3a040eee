"""``blotquant viability``: MTT plates + layout -> viability, QC, IC50s, CIs.

Writes into ``--out`` atomically: ``wells.csv``, ``conditions.csv``, ``replicates.csv``,
``qc.csv``, ``fits.csv``, ``ed.csv``, ``ed_replicates.csv``, ``combination.csv`` (Chou) and
``combination_loewe.csv`` (4PL Loewe CI) when mixtures exist, ``params.json`` and ``figures/dose_response_<cell line>.{pdf,svg,png}``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from blotquant import __version__
from blotquant._io import atomic_output_dir, write_csv, write_json
from blotquant.viability.normalize import QCParams
from blotquant.viability.pipeline import ViabilityResult, analyze_viability, curve_data
from blotquant.viability.plates import FORMATS, read_plates

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``viability`` subcommand."""
    p = subparsers.add_parser(
        "viability",
        help="MTT plates + layout -> viability, QC, IC50s and combination indices",
        description=("Read plate-reader exports and a layout, normalise each plate to its "
                     "blank and vehicle, flag outliers, fit dose-response curves and write "
                     "the tables, params.json and figures into --out."),
    )
    p.add_argument("plates", nargs="+", type=Path, metavar="PLATE",
                   help="plate-reader export(s): grid/long CSV or XLSX, SoftMax, EnVision, "
                        "Gen5, SkanIt, Tecan")
    p.add_argument("--layout", required=True, type=Path, help="layout CSV/XLSX (long or grid)")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--format", default="auto", choices=["auto", *FORMATS],
                   help="plate file format (default: detect)")
    p.add_argument("--wavelength", type=float, default=None, help="measurement wavelength, nm")
    p.add_argument("--reference-wavelength", type=float, default=None,
                   help="reference wavelength subtracted well by well (e.g. 630)")
    p.add_argument("--model", default="LL.4", help="dose-response model (default LL.4)")
    p.add_argument("--fit-on", default="replicate_means", choices=["replicate_means", "wells"],
                   help="fit biological-replicate means (default) or every well")
    p.add_argument("--exclude-outliers", action="store_true",
                   help="leave flagged outlier wells out of means and fits (still reported)")
    p.add_argument("--outlier-threshold", type=float, default=QCParams().outlier_threshold,
                   help="robust z above which a well is flagged")
    p.add_argument("--interval", default="replicates",
                   choices=["replicates", "tfls", "delta", "profile", "none"],
                   help="primary IC50 / Loewe CI interval (default replicates: one fit per "
                        "biological replicate, t interval over replicates; else the pooled "
                        "fit's interval)")
    p.add_argument("--pooled-interval", default="tfls",
                   choices=["tfls", "delta", "profile", "none"],
                   help="interval of the pooled fit, pooled_* columns (default tfls)")
    p.add_argument("--no-figures", action="store_true", help="skip the figures")
    p.set_defaults(func=run)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "all"


def _figures(result: ViabilityResult, folder: Path) -> list[str]:
    try:
        from blotquant.figures.style import new_figure, save_figure
        from blotquant.figures.viability import plot_dose_response
    except ImportError:  # figures module not available
        return []
    written = []
    points = curve_data(result.wells, fit_on="wells",
                        exclude_outliers=bool(result.params["analysis"]["exclude_outliers"]))
    folder.mkdir(exist_ok=True)
    for line, part in points.groupby("cell_line", sort=False):
        for unit, sub in part.groupby("unit", sort=False):
            data = sub.assign(curve=sub["agent"])
            fits = {a: f for (cl, a), f in result.curves.items() if cl == line
                    and a in set(sub["agent"])}
            fig, ax = new_figure("single")
            plot_dose_response(data, fits, dose="dose", response="viability", curve="curve",
                               ax=ax, xlabel=f"Dose ({unit})")
            ax.set_title(str(line))
            stem = folder / f"dose_response_{_slug(str(line))}_{_slug(unit)}"
            save_figure(fig, stem)
            import matplotlib.pyplot as plt

            plt.close(fig)
            written.append(stem.name)
    return written


def run(args: argparse.Namespace) -> int:
    """Run the analysis and write the outputs."""
    table = read_plates(args.plates, format=args.format)
    for source, fmt in table[["source", "format"]].drop_duplicates().itertuples(index=False):
        print(f"{source}: read as {fmt}", file=sys.stderr)
    result = analyze_viability(
        table, args.layout, reference_wavelength=args.reference_wavelength,
        wavelength=args.wavelength, model=args.model, fit_on=args.fit_on,
        exclude_outliers=args.exclude_outliers, interval=args.interval,
        pooled_interval=args.pooled_interval, qc=QCParams(outlier_threshold=args.outlier_threshold))
    inputs = (*args.plates, args.layout)
    with atomic_output_dir(args.out, inputs=tuple(inputs)) as tmp:
        write_csv(result.wells, tmp / "wells.csv")
        write_csv(result.conditions, tmp / "conditions.csv")
        write_csv(result.replicates, tmp / "replicates.csv")
        write_csv(result.qc, tmp / "qc.csv")
        write_csv(result.fits, tmp / "fits.csv")
        write_csv(result.ed, tmp / "ed.csv")
        write_csv(result.replicate_ed, tmp / "ed_replicates.csv")
        if not result.combination.empty:
            write_csv(result.combination, tmp / "combination.csv")
        if not result.loewe.empty:
            write_csv(result.loewe, tmp / "combination_loewe.csv")
        figures = [] if args.no_figures else _figures(result, tmp / "figures")
        params = dict(result.params)
        params.update(version=__version__, plates_files=[str(p) for p in args.plates],
                      layout_file=str(args.layout), figures=figures)
        write_json(tmp / "params.json", params)
    for row in result.qc.itertuples(index=False):
        if row.warnings:
            print(f"QC {row.plate} {row.cell_line}: {row.warnings}", file=sys.stderr)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0
