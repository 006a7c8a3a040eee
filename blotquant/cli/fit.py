"""``blotquant fit``: dose-response fits and effective doses from a table.

Writes ``fits.csv`` (one row per curve, see :func:`blotquant.viability.fits_table`),
``ed.csv`` (see :func:`blotquant.viability.effective_dose`) and ``params.json``
into ``--out`` atomically.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

from blotquant import __version__
from blotquant._io import atomic_output_dir, write_csv, write_json
from blotquant.errors import InvalidInputError
from blotquant.viability.doseresponse import fit_curves, fit_quantal, fits_table
from blotquant.viability.ed import effective_dose
from blotquant.viability.models import MODELS

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``fit`` subcommand."""
    p = subparsers.add_parser(
        "fit",
        help="fit dose-response curves (drc models) and report ED/IC50 values",
        description=(
            "Fit dose-response curves to a long table (CSV or XLSX; leading '#' lines "
            "are skipped) and write fits.csv, ed.csv and params.json into --out."
        ),
    )
    p.add_argument("table", type=Path, help="CSV or XLSX file, one row per observation")
    p.add_argument("--dose", required=True, help="dose column (>= 0; 0 = vehicle)")
    p.add_argument("--response", required=True,
                   help="response column (number affected with --total)")
    p.add_argument("--curve", nargs="+", default=None, metavar="COL",
                   help="column(s) identifying separate curves")
    p.add_argument("--total", default=None, metavar="COL",
                   help="number tested: quantal (r of n) data, binomial likelihood")
    p.add_argument("--weights", default=None, metavar="COL", help="precision-weight column")
    p.add_argument("--model", default=None, choices=list(MODELS),
                   help="drc model (default LL.4, or LL.2 with --total)")
    p.add_argument("--fixed", nargs="+", default=[], metavar="NAME=VALUE",
                   help="fix parameters, e.g. --fixed c=0 d=100")
    p.add_argument("--shared", nargs="+", default=[], metavar="NAME",
                   help="parameters shared by all curves (joint fit), e.g. --shared c d")
    p.add_argument("--ed", nargs="+", type=float, default=[50.0], metavar="LEVEL",
                   help="ED levels: percent (relative) or response values (absolute)")
    p.add_argument("--type", nargs="+", default=["relative"], choices=["relative", "absolute"],
                   dest="ed_type", help="relative and/or absolute effective doses")
    p.add_argument("--interval", default="delta", choices=["delta", "tfls", "profile", "none"],
                   help="confidence interval method (default delta, as drc)")
    p.add_argument("--level", type=float, default=0.95, help="confidence level")
    p.add_argument("--covariance", default="hessian", choices=["hessian", "jtj"],
                   help="covariance for standard errors (hessian = drc)")
    p.add_argument("--nan-policy", default="raise", choices=["raise", "omit"],
                   help="rows with missing dose/response: error or drop")
    p.add_argument("--sheet", default=None, help="XLSX sheet name (default: the first)")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.set_defaults(func=run)


def _parse_fixed(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            msg = f"--fixed {item!r}: expected NAME=VALUE, e.g. c=0"
            raise InvalidInputError(msg) from None
    return out


def read_table(path: Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read a CSV (skipping leading ``#`` lines) or an XLSX sheet."""
    if not path.is_file():
        msg = f"{path}: file not found"
        raise InvalidInputError(msg)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return pd.read_excel(path, sheet_name=sheet or 0)
        with path.open(encoding="utf-8-sig") as fh:
            skip = 0
            for line in fh:
                if not line.startswith("#"):
                    break
                skip += 1
        return pd.read_csv(path, skiprows=skip)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        msg = f"{path}: cannot read the table ({exc})"
        raise InvalidInputError(msg) from None


def _numeric(table: pd.DataFrame, col: str, path: Path) -> pd.Series:
    values = pd.to_numeric(table[col], errors="coerce")
    bad = values.isna() & table[col].notna()
    if bad.any():
        rows = (table.index[bad][:5] + 2).tolist()
        msg = f"{path}: column {col!r} has non-numeric values on line(s) {rows}"
        raise InvalidInputError(msg)
    return values


def run(args: argparse.Namespace) -> int:
    """Fit, compute effective doses and write the outputs."""
    table = read_table(args.table, sheet=args.sheet)
    need = [args.dose, args.response, *(args.curve or [])]
    need += [c for c in (args.total, args.weights) if c]
    missing = [c for c in need if c not in table.columns]
    if missing:
        msg = f"{args.table}: missing column(s) {missing}; it has {list(table.columns)}"
        raise InvalidInputError(msg)
    table = table.copy()
    for col in [args.dose, args.response] + [c for c in (args.total, args.weights) if c]:
        table[col] = _numeric(table, col, args.table)
    fixed = _parse_fixed(args.fixed)
    quantal = args.total is not None
    model = args.model or ("LL.2" if quantal else "LL.4")
    if quantal:
        if args.shared:
            msg = "--shared is not available with --total (quantal data)"
            raise InvalidInputError(msg)
        cols = args.curve or []
        keys = (table[cols].astype(str).agg(" / ".join, axis=1) if cols
                else pd.Series("all", index=table.index))
        fits = {}
        for lab in dict.fromkeys(keys.tolist()):
            sub = table.loc[keys == lab]
            fits[lab] = fit_quantal(sub[args.dose], sub[args.response], sub[args.total],
                                    model=model, fixed=fixed, curve=lab,
                                    nan_policy=args.nan_policy)
    else:
        fits = fit_curves(table, dose=args.dose, response=args.response, curve=args.curve,
                          model=model, fixed=fixed, shared=tuple(args.shared),
                          weights=args.weights, nan_policy=args.nan_policy)
    fits_df = fits_table(fits)
    eds = [effective_dose(fits, args.ed, type=t, interval=args.interval, level=args.level,
                          covariance=args.covariance) for t in args.ed_type]
    ed_df = pd.concat(eds, ignore_index=True)
    params = {
        "command": "fit",
        "blotquant_version": __version__,
        "table": str(args.table),
        "dose": args.dose,
        "response": args.response,
        "curve": args.curve,
        "total": args.total,
        "weights": args.weights,
        "family": "binomial" if quantal else "gaussian",
        "model": model,
        "fixed": fixed,
        "shared": list(args.shared),
        "ed_levels": list(args.ed),
        "ed_types": list(args.ed_type),
        "interval": args.interval,
        "confidence_level": args.level,
        "covariance": args.covariance,
        "nan_policy": args.nan_policy,
        "n_curves": len(fits),
        "n_converged": int(sum(f.converged for f in fits.values())),
        "fits": {
            lab: {
                "params": {k: (v if math.isfinite(v) else None) for k, v in f.params.items()},
                "estimated": list(f.param_names),
                "converged": f.converged,
                "message": f.message,
            }
            for lab, f in fits.items()
        },
    }
    with atomic_output_dir(args.out, inputs=(args.table,)) as tmp:
        write_csv(fits_df, tmp / "fits.csv")
        write_csv(ed_df, tmp / "ed.csv")
        write_json(tmp / "params.json", params)
    return 0
