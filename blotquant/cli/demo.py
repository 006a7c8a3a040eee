"""``blotquant demo --out DIR``: generate the simulated demo experiment and analyse it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo", help="generate the SIMULATED demo experiment into OUT/input and analyse it",
        description="Write the simulated temsirolimus x IFN-alpha experiment (786-O, Caki-1; "
                    "known ground truth in OUT/input/truth/) and run `blotquant run` on it.")
    parser.add_argument("--out", required=True, help="output folder (input/ is written inside)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the simulation")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Generate the demo folder, then analyse it into ``--out``."""
    from blotquant.demo import make_demo_experiment
    from blotquant.run import run_experiment

    out = Path(args.out)
    folder = out / "input"
    make_demo_experiment(folder, seed=args.seed)
    print(f"simulated experiment written to {folder} (ground truth in {folder / 'truth'})")
    result = run_experiment(folder, out, progress=not args.no_progress,
                            command=f"blotquant demo --out {args.out} --seed {args.seed}")
    print(f"report (SIMULATED data): {result.report}")
    return 0
