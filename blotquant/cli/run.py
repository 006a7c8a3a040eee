"""``blotquant run EXPERIMENT --out DIR``: the whole analysis of an experiment folder."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``run`` subcommand."""
    parser = subparsers.add_parser(
        "run", help="analyse an experiment folder: blots, viability, join, figures, report",
        description="Quantify the blots, analyse the plates, join them on the condition, "
                    "draw the figures and write report.html into --out (all or nothing).")
    parser.add_argument("experiment", help="experiment folder (with experiment.json)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the analysis; print where the report is."""
    from blotquant.run import run_experiment

    result = run_experiment(args.experiment, args.out, progress=not args.no_progress,
                            command="blotquant run " + " ".join(sys.argv[2:]))
    print(f"report: {result.report}")
    print(f"tables: {result.out}/results.csv, blots/, viability/, join/; "
          f"{len(result.flags)} quality flag(s) in flags.csv")
    return 0
