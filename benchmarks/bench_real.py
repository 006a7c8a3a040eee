"""Benchmark the image pipeline on real scans against what people see and a paper.

Usage (from the project root)::

    python benchmarks/bench_real.py                 # every real scan, eLife, GelGenie
    python benchmarks/bench_real.py --only elife    # files whose name contains "elife"
    python benchmarks/bench_real.py --json out.json # also write every number

Ground truth, all from outside the pipeline:

* ``benchmarks/real_truth.csv``: what a person counts on each real scan in
  ``../shared/real/`` (and the GelGenie ladder gel in ``../shared/real_more/``),
  decided by looking at contrast-stretched renderings and checked against the
  row/column profiles. One row per membrane (a person's membrane: one gel, one
  cut strip, one figure panel): its box ``x0, x1, y0, y1`` (input pixels), the
  polarity, the sample-lane centres ``lane_x`` and marker-lane centres
  ``marker_x`` (``;``-separated columns), and the band ``rows`` a person sees,
  top to bottom, ``;``-separated. A row is either one ``y`` or ``x:y|x:y|...``
  anchors interpolated linearly in ``x`` (tilted or smiling rows); a leading
  ``~`` marks a faint row, which a tool may find but need not.
* ``../shared/real/elife_gelquant_reference.csv``: the 20 band values of Harman
  et al., eLife 2020, relative to the t = 0 lane of their group.
* ``../shared/real_more/gelgenie_neb1kbplus_band_masses.csv``: ng per band of the
  NEB 1 kb Plus ladder (4 identical lanes, 19 bands).

``blotquant.image.analyze(path)`` runs once per file with default settings (no
boxes, no lane count, ``polarity="auto"``). Scores:

* lanes: a detected lane belongs to a person's membrane when its centre, moved
  along its own slope to the membrane's band rows, lies inside the box (± a
  quarter pitch) and its vertical extent covers those rows; of the tool's
  membranes, the one holding most such lanes is scored. ``lanes ok`` = the count
  equals the sample lanes (or sample + marker lanes) and every centre is within
  a third of the lane pitch of the person's centre;
* rows: each band row of the tool (``band`` index, >= 2 detected bands, or 1 on
  membranes of <= 3 lanes) is assigned to the person's row with the smallest
  median ``|y - row(x)|`` within ``tol`` (0.45 x the gap to the neighbouring row,
  4-25 px; single rows 5 % of the membrane height, 6-25 px). ``rows`` = main rows
  found / main rows seen; ``extra`` = tool rows matching no row (main or faint);
* polarity: the tool's ``params.polarity_used`` against the manifest;
* eLife: each published lane gets the tool lane whose centre lies in the paper's
  lane x-range (nearest its middle); its volume is the sum of the tool's detected
  bands whose centre lies in the paper's band rows (``band_y_abs``), the same
  region the paper integrated (``all rows`` variant: detected or not). Relative
  value = volume / volume of the t = 0 lane of its group. The paper's boxes pick
  the correspondence only; the pipeline never sees them. MAE over the 16 non-t=0
  values (target <= 0.05) and over all 20;
* GelGenie: per ladder lane, the tool's detected bands are matched to the 15
  resolved ladder bands (the crowded 0.9-0.6 kb bands are left out); Pearson r of
  volume vs ng and the slope of log(volume) on log(ng) (1 = proportional);
  per band the CV of its volume over the lanes where it was matched.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
TRUTH = Path(__file__).resolve().parent / "real_truth.csv"
ELIFE_FILE = "elife_gelquant_coomassie_gel-example.png"
GELGENIE_FILE = "gelgenie_neb1kbplus_4ladders_uvp_8bit.tif"
TARGET_ELIFE_MAE = 0.05


# --------------------------------------------------------------------- truth
@dataclass(frozen=True)
class Row:
    """One band row a person sees: anchors ``(x, y)`` and whether it is faint."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]
    faint: bool

    def y_at(self, x: float | np.ndarray) -> np.ndarray:
        """Row centre (input row) at column(s) ``x``; flat beyond the anchors."""
        return np.interp(np.asarray(x, float), self.xs, self.ys)

    @property
    def y_mean(self) -> float:
        """Mean of the anchors' rows."""
        return float(np.mean(self.ys))


@dataclass(frozen=True)
class Membrane:
    """A person's membrane (gel, strip or panel) in one file."""

    folder: str
    file: str
    membrane: int
    box: tuple[float, float, float, float]  # x0, x1, y0, y1
    polarity: str
    lane_x: tuple[float, ...]
    marker_x: tuple[float, ...]
    rows: tuple[Row, ...]
    note: str = ""

    @property
    def pitch(self) -> float:
        """Median distance between neighbouring sample lanes."""
        xs = np.sort(np.array(self.lane_x + self.marker_x))
        return float(np.median(np.diff(xs))) if xs.size > 1 else float(self.box[1] - self.box[0])

    @property
    def main_rows(self) -> tuple[Row, ...]:
        """Rows that are not faint."""
        return tuple(r for r in self.rows if not r.faint)

    def tolerance(self, index: int) -> float:
        """Matching tolerance in pixels for row ``index``."""
        ys = [r.y_mean for r in self.rows]
        if len(ys) == 1:
            return float(np.clip(0.05 * (self.box[3] - self.box[2]), 6, 25))
        gaps = [abs(ys[index] - ys[j]) for j in (index - 1, index + 1) if 0 <= j < len(ys)]
        return float(np.clip(0.45 * min(gaps), 4, 25))


def parse_row(text: str) -> Row:
    """Parse ``"y"``, ``"x:y|x:y"`` or either with a leading ``~`` (faint)."""
    text = text.strip()
    faint = text.startswith("~")
    text = text.lstrip("~")
    if ":" not in text:
        return Row((0.0,), (float(text),), faint)
    pts = sorted(tuple(float(v) for v in p.split(":")) for p in text.split("|"))
    return Row(tuple(p[0] for p in pts), tuple(p[1] for p in pts), faint)


def _numbers(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split(";") if v.strip())


def load_truth(path: Path = TRUTH) -> list[Membrane]:
    """Read ``real_truth.csv`` into :class:`Membrane` records."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = []
    for rec in table.to_dict("records"):
        out.append(Membrane(
            folder=rec["folder"], file=rec["file"], membrane=int(rec["membrane"]),
            box=(float(rec["x0"]), float(rec["x1"]), float(rec["y0"]), float(rec["y1"])),
            polarity=rec["polarity"], lane_x=_numbers(rec["lane_x"]),
            marker_x=_numbers(rec["marker_x"]),
            rows=tuple(parse_row(r) for r in rec["rows"].split(";") if r.strip()),
            note=rec["note"],
        ))
    return out


# ------------------------------------------------------------------- scoring
@dataclass
class MembraneScore:
    """Scores of one person's membrane."""

    file: str
    membrane: int
    lanes_true: int
    markers_true: int
    lanes_found: int
    tool_membrane: int
    lanes_ok: bool
    max_centre_err: float  # in lane pitches, over matched lanes (nan when counts differ)
    rows_seen: int
    rows_found: int
    rows_missed: list[float] = field(default_factory=list)  # mean y of missed main rows
    extra_rows: list[float] = field(default_factory=list)  # median y of unmatched tool rows
    faint_found: int = 0


def lane_x_at(lanes: pd.DataFrame, y: float) -> np.ndarray:
    """Detected lane centres moved along their slope to row ``y``."""
    yc = (lanes["y_top"].to_numpy(float) + lanes["y_bottom"].to_numpy(float)) / 2
    return lanes["x_center"].to_numpy(float) + lanes["slope"].to_numpy(float) * (y - yc)


def score_membrane(result: Any, truth: Membrane) -> MembraneScore:
    """Score a :class:`~blotquant.image.BlotResult` on one person's membrane."""
    x0, x1, _, _ = truth.box
    ys_main = [r.y_mean for r in truth.main_rows] or [r.y_mean for r in truth.rows]
    y_ref = float(np.median(ys_main))
    pitch = truth.pitch
    lanes = result.lanes
    best = (0, -1, lanes.iloc[0:0])
    for m, group in lanes.groupby("membrane"):
        xs = lane_x_at(group, y_ref)
        inside = ((xs >= x0 - 0.25 * pitch) & (xs <= x1 + 0.25 * pitch)
                  & (group["y_top"].to_numpy(float) <= y_ref)
                  & (group["y_bottom"].to_numpy(float) >= y_ref))
        if inside.sum() > best[0]:
            best = (int(inside.sum()), int(m), group[inside])
    n_found, tool_m, mine = best
    xs = np.sort(lane_x_at(mine, y_ref)) if n_found else np.zeros(0)
    n_true, n_mark = len(truth.lane_x), len(truth.marker_x)
    lanes_ok, max_err = False, float("nan")
    for expected in (np.sort(truth.lane_x), np.sort(truth.lane_x + truth.marker_x)):
        if xs.size == expected.size and xs.size:
            err = float(np.max(np.abs(xs - expected)) / pitch)
            if err <= 1 / 3:
                lanes_ok, max_err = True, err
                break
            max_err = err if math.isnan(max_err) else min(max_err, err)
    if n_mark == 0 and xs.size not in (n_true,):
        lanes_ok = False
    # rows
    bands = result.bands
    bands = bands[(bands["membrane"] == tool_m) & bands["lane"].isin(mine["lane"])
                  & bands["detected"].astype(bool)]
    min_count = 1 if n_true <= 3 else 2
    assigned: dict[int, list[float]] = {}
    extra: list[float] = []
    for _, group in bands.groupby("band"):
        if len(group) < min_count:
            continue
        bx, by = group["x"].to_numpy(float), group["y"].to_numpy(float)
        errs = [float(np.median(np.abs(by - r.y_at(bx)))) for r in truth.rows]
        k = int(np.argmin(errs))
        if errs[k] <= truth.tolerance(k):
            assigned.setdefault(k, []).append(errs[k])
        else:
            extra.append(float(np.median(by)))
    main_idx = [i for i, r in enumerate(truth.rows) if not r.faint]
    found = [i for i in main_idx if i in assigned]
    missed = [truth.rows[i].y_mean for i in main_idx if i not in assigned]
    faint = sum(1 for i, r in enumerate(truth.rows) if r.faint and i in assigned)
    return MembraneScore(truth.file, truth.membrane, n_true, n_mark, n_found, tool_m, lanes_ok,
                         max_err, len(main_idx), len(found), missed, extra, faint)


# --------------------------------------------------------------------- eLife
def elife_comparison(result: Any, reference: pd.DataFrame) -> pd.DataFrame:
    """Tool volumes for the 20 published eLife bands, relative to t = 0.

    Returns
    -------
    DataFrame
        One row per published band: ``dataset, replicate, timepoint_min,
        published`` (paper value), ``tool_lane`` (membrane-lane label or ""),
        ``n_bands`` (detected bands summed), ``volume``, ``volume_all`` (all rows,
        detected or not), ``relative``, ``relative_all``, ``abs_diff``,
        ``abs_diff_all``.
    """
    lanes, bands = result.lanes, result.bands
    out = []
    for (dataset, rep), group in reference.groupby(["dataset", "replicate"], sort=False):
        rows = []
        for rec in group.sort_values("lane_in_group").to_dict("records"):
            y_lo, y_hi = (float(v) for v in str(rec["band_y_abs"]).split(":"))
            lx0, lx1 = float(rec["lane_x_start"]), float(rec["lane_x_end_excl"])
            xs = lane_x_at(lanes, (y_lo + y_hi) / 2)
            cand = np.flatnonzero((xs >= lx0) & (xs < lx1)
                                  & (lanes["y_top"].to_numpy(float) <= y_hi)
                                  & (lanes["y_bottom"].to_numpy(float) >= y_lo))
            vol = vol_all = float("nan")
            label, n = "", 0
            if cand.size:
                j = cand[np.argmin(np.abs(xs[cand] - (lx0 + lx1) / 2))]
                lane = lanes.iloc[j]
                sel = bands[(bands["membrane"] == lane["membrane"]) & (bands["lane"] == lane["lane"])
                            & (bands["y"] >= y_lo) & (bands["y"] < y_hi)]
                det = sel[sel["detected"].astype(bool)]
                vol, vol_all, n = float(det["volume"].sum()), float(sel["volume"].sum()), len(det)
                label = f"{int(lane['membrane'])}-{int(lane['lane'])}"
            rows.append({"dataset": dataset, "replicate": int(rep),
                         "timepoint_min": int(rec["timepoint_min"]),
                         "published": float(rec["value_rel_to_t0"]), "tool_lane": label,
                         "n_bands": n, "volume": vol, "volume_all": vol_all})
        ref_vol, ref_all = rows[0]["volume"], rows[0]["volume_all"]
        for r in rows:
            r["relative"] = r["volume"] / ref_vol if ref_vol and ref_vol > 0 else float("nan")
            r["relative_all"] = (r["volume_all"] / ref_all if ref_all and ref_all > 0
                                 else float("nan"))
            r["abs_diff"] = abs(r["relative"] - r["published"])
            r["abs_diff_all"] = abs(r["relative_all"] - r["published"])
        out.extend(rows)
    return pd.DataFrame(out)


def elife_summary(table: pd.DataFrame) -> dict[str, float]:
    """MAE over the 16 non-reference values and over all 20 (missing counts as 1.0)."""
    not_ref = table["timepoint_min"] != 0

    def mae(col: str, mask: pd.Series) -> float:
        return float(table.loc[mask, col].fillna(1.0).mean())

    every = pd.Series(True, index=table.index)
    return {"mae16": mae("abs_diff", not_ref), "mae20": mae("abs_diff", every),
            "mae16_all_rows": mae("abs_diff_all", not_ref),
            "n_missing": int(table["relative"].isna().sum())}


# ------------------------------------------------------------------ GelGenie
def ladder_comparison(result: Any, truth: Membrane,
                      masses: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Band volume vs known ng per ladder lane, and lane-to-lane CV per band.

    Returns
    -------
    lanes : DataFrame
        ``lane`` (person's lane, 1-based), ``x`` (person's centre), ``tool_lane``,
        ``n_matched`` (of the 15 resolved bands), ``pearson_r``, ``loglog_slope``,
        ``loglog_r``.
    bands : DataFrame
        ``band`` (1-19), ``size_kb``, ``ng``, ``n_lanes`` (lanes where matched),
        ``mean_volume``, ``cv`` (SD/mean over those lanes), ``vol_per_ng`` (mean
        volume / ng, relative to its median over bands: position bias).
    """
    ng = masses["ng_per_1ug_ladder"].to_numpy(float)
    resolved = [i for i, r in enumerate(truth.rows) if not r.faint]
    lanes, bands = result.lanes, result.bands
    y_ref = float(np.median([r.y_mean for r in truth.rows]))
    xs_tool = lane_x_at(lanes, y_ref)
    vols = np.full((len(truth.lane_x), len(truth.rows)), np.nan)
    lane_rows = []
    for li, x in enumerate(truth.lane_x):
        j = int(np.argmin(np.abs(xs_tool - x))) if xs_tool.size else -1
        label = ""
        if j >= 0 and abs(xs_tool[j] - x) <= truth.pitch / 3:
            lane = lanes.iloc[j]
            label = f"{int(lane['membrane'])}-{int(lane['lane'])}"
            sel = bands[(bands["membrane"] == lane["membrane"]) & (bands["lane"] == lane["lane"])
                        & bands["detected"].astype(bool)]
            for k in resolved:
                if sel.empty:
                    break
                d = np.abs(sel["y"].to_numpy(float) - truth.rows[k].y_at(x))
                i = int(np.argmin(d))
                if d[i] <= truth.tolerance(k):
                    vols[li, k] = float(sel["volume"].iloc[i])
        v = vols[li, resolved]
        ok = np.isfinite(v) & (v > 0)
        r = slope = rlog = float("nan")
        if ok.sum() >= 3:
            x_ng = ng[resolved][ok]
            r = float(np.corrcoef(x_ng, v[ok])[0, 1])
            slope, _ = np.polyfit(np.log(x_ng), np.log(v[ok]), 1)
            rlog = float(np.corrcoef(np.log(x_ng), np.log(v[ok]))[0, 1])
        lane_rows.append({"lane": li + 1, "x": x, "tool_lane": label, "n_matched": int(ok.sum()),
                          "pearson_r": r, "loglog_slope": float(slope), "loglog_r": rlog})
    band_rows = []
    for k in range(len(truth.rows)):
        v = vols[:, k][np.isfinite(vols[:, k])]
        mean = float(v.mean()) if v.size else float("nan")
        cv = float(v.std(ddof=1) / mean) if v.size >= 2 and mean > 0 else float("nan")
        band_rows.append({"band": k + 1, "size_kb": float(masses["size_kb"].iloc[k]), "ng": ng[k],
                          "n_lanes": int(v.size), "mean_volume": mean, "cv": cv})
    bt = pd.DataFrame(band_rows)
    per_ng = bt["mean_volume"] / bt["ng"]
    bt["vol_per_ng"] = per_ng / per_ng.median()
    return pd.DataFrame(lane_rows), bt


# ---------------------------------------------------------------------- main
def analyze_file(path: Path) -> tuple[Any, float, list[str], str]:
    """Run the pipeline with defaults; return result, seconds, warnings, error text."""
    from blotquant.image import analyze

    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = analyze(path)
            err = ""
        except Exception as exc:  # noqa: BLE001 - a benchmark reports every failure
            result, err = None, f"{type(exc).__name__}: {exc}"
            traceback.print_exc(file=sys.stderr)
    return result, time.perf_counter() - t0, [str(w.message)[:120] for w in caught], err


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="the ../shared folder")
    parser.add_argument("--only", default=None, help="only files whose name contains this")
    parser.add_argument("--json", type=Path, default=None, help="write every number here")
    args = parser.parse_args(argv)
    if not (args.shared / "real").is_dir():
        print(f"{args.shared / 'real'} not found; nothing to benchmark")
        return 1
    truth = load_truth()
    files = list(dict.fromkeys((m.folder, m.file) for m in truth))
    if args.only:
        files = [f for f in files if args.only in f[1]]
    pd.set_option("display.width", 200)
    results: dict[str, Any] = {}
    image_rows, membrane_rows = [], []
    t_all = time.perf_counter()
    for folder, name in files:
        path = args.shared / folder / name
        result, seconds, warns, err = analyze_file(path)
        results[name] = result
        mems = [m for m in truth if m.file == name]
        scores = [score_membrane(result, m) for m in mems] if result is not None else []
        for s in scores:
            membrane_rows.append(asdict(s))
        image_rows.append({
            "file": name[:38],
            "lanes found/true": " ".join(f"{s.lanes_found}/{s.lanes_true}"
                                         + (f"+{s.markers_true}m" if s.markers_true else "")
                                         for s in scores) or "-",
            "lanes ok": f"{sum(s.lanes_ok for s in scores)}/{len(mems)}",
            "rows found/seen": " ".join(f"{s.rows_found}/{s.rows_seen}" for s in scores) or "-",
            "extra rows": sum(len(s.extra_rows) for s in scores),
            "polarity": (f"{result.params.polarity_used}"
                         + ("" if result.params.polarity_used == mems[0].polarity
                            else f" (want {mems[0].polarity})")) if result is not None else "-",
            "tool membranes": int(result.lanes["membrane"].nunique()) if result is not None else 0,
            "time s": round(seconds, 2),
            "error/warnings": err or "; ".join(warns)[:60],
        })
    images = pd.DataFrame(image_rows)
    print("Real scans vs a person (defaults, no boxes)\n")
    print(images.to_string(index=False))
    membranes = pd.DataFrame(membrane_rows)
    if not membranes.empty:
        print("\nPer membrane (max centre error in lane pitches; missed/extra rows as y)\n")
        view = membranes.assign(
            max_centre_err=membranes["max_centre_err"].round(2),
            rows_missed=membranes["rows_missed"].map(lambda v: [round(y) for y in v]),
            extra_rows=membranes["extra_rows"].map(lambda v: [round(y) for y in v]),
        )
        print(view.drop(columns=["file"]).assign(file=membranes["file"].str[:24]).to_string(index=False))
    report: dict[str, Any] = {"images": image_rows, "membranes": membrane_rows}
    # eLife
    if ELIFE_FILE in results and results[ELIFE_FILE] is not None:
        reference = pd.read_csv(args.shared / "real" / "elife_gelquant_reference.csv")
        table = elife_comparison(results[ELIFE_FILE], reference)
        summary = elife_summary(table)
        print("\neLife gelquant (Harman et al. 2020): tool relative volume vs published\n")
        cols = ["dataset", "replicate", "timepoint_min", "published", "tool_lane", "n_bands",
                "relative", "abs_diff", "relative_all"]
        print(table[cols].round(3).to_string(index=False))
        verdict = "PASS" if summary["mae16"] <= TARGET_ELIFE_MAE else "FAIL"
        print(f"\nMAE (16 non-t0 values) = {summary['mae16']:.3f}  [{verdict}, target <= "
              f"{TARGET_ELIFE_MAE}];  MAE (all 20) = {summary['mae20']:.3f};  "
              f"all-rows variant MAE16 = {summary['mae16_all_rows']:.3f};  "
              f"missing = {summary['n_missing']}")
        report["elife"] = {"table": table.to_dict("records"), **summary}
    # GelGenie
    if GELGENIE_FILE in results and results[GELGENIE_FILE] is not None:
        masses = pd.read_csv(args.shared / "real_more" / "gelgenie_neb1kbplus_band_masses.csv")
        mem = next(m for m in truth if m.file == GELGENIE_FILE)
        lane_t, band_t = ladder_comparison(results[GELGENIE_FILE], mem, masses)
        print("\nGelGenie NEB 1 kb Plus ladder: band volume vs known ng (15 resolved bands)\n")
        print(lane_t.round(3).to_string(index=False))
        print("\nper band: lane-to-lane CV and volume per ng relative to the median band\n")
        print(band_t.round(3).to_string(index=False))
        print(f"\nmedian CV = {band_t['cv'].median():.3f}")
        report["gelgenie"] = {"lanes": lane_t.to_dict("records"), "bands": band_t.to_dict("records")}
    print(f"\ntotal {time.perf_counter() - t_all:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
