"""Benchmark the image pipeline against synthetic blots with exact ground truth.

Usage (from the project root)::

    python benchmarks/bench_image.py                   # committed set + large-scan timing
    python benchmarks/bench_image.py --no-large        # skip the 4000x3000 timing
    python benchmarks/bench_image.py --extra DIR ...   # also images with truth CSVs in DIR
    python benchmarks/bench_image.py --json out.json   # also write every number

For every image ``NAME.ext`` with ``NAME_lanes.csv`` and ``NAME_bands.csv`` truth
(written by :func:`blotquant.image.synthetic.save_blot`) it runs
``blotquant.image.analyze(path)`` with default settings and scores:

* lanes right: per membrane the lane count equals the truth and every centre lies
  within 1/3 lane width of the true centre (the visible centre for lanes cut by the
  image edge; tool centres moved along the tool's own slope to the truth's row);
* band recall / precision: each present band of a sample lane is matched to a
  detected band of the tool lane that matches its lane, nearest in ``y`` within
  ``max(4 px, height / 2)``, one to one; marker lanes are excluded;
* relative volume error: over matched, unsaturated, present sample bands, each volume
  is divided by the mean volume of its band row (tool and truth alike, same set of
  bands, rows with >= 2 bands), error = ``|tool / truth - 1|``; median and p95;
* saturated true bands whose match is not flagged ``saturated`` (or is missing);
* dilution series: slope and R^2 of log(tool volume) vs log(true volume) over the
  unsaturated lanes;
* an "ImageJ-like" expert baseline: perfect boxes at the TRUE band positions
  (lane width x half-way to the neighbouring band rows) summed after a whole-image
  rolling ball (``skimage.restoration.rolling_ball(radius=50)`` on the 3x3-smoothed
  image, as ImageJ's Subtract Background does by default), scored the same way;
* the large scan: wall time and peak RSS of ``blotquant quantify`` as a subprocess.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TEST_IMAGES = ROOT / "test_images"
LARGE = TEST_IMAGES / "large" / "large_4000x3000.tif"
LARGE_TIMEOUT_S = 240  # keeps the whole benchmark bounded when the pipeline is slow
IMAGE_SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg", ".gif", ".bmp")

TARGETS = {
    "recall": 0.98,
    "precision": 0.98,
    "rel_err_median": 0.005,
    "rel_err_p95": 0.05,
    "dilution_slope_tol": 0.01,
    "dilution_r2": 0.999,
    "large_wall_s": 2.1,
    "large_rss_gb": 1.5,
}


# --------------------------------------------------------------------------- I/O
def find_images(folder: Path) -> list[Path]:
    """Images in ``folder`` that have both truth CSVs, in manifest order if any."""
    manifest = folder / "manifest.csv"
    if manifest.is_file():
        names = pd.read_csv(manifest)["file"].tolist()
        paths = [folder / n for n in names]
    else:
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return [p for p in paths if truth_paths(p)[0].is_file() and truth_paths(p)[1].is_file()]


def truth_paths(image: Path) -> tuple[Path, Path]:
    stem = image.with_suffix("")
    return Path(f"{stem}_lanes.csv"), Path(f"{stem}_bands.csv")


def read_truth(image: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    lanes_p, bands_p = truth_paths(image)
    lanes = pd.read_csv(lanes_p)
    bands = pd.read_csv(bands_p)
    if "kind" not in lanes:
        lanes["kind"] = "sample"
    if "kind" not in bands:
        bands["kind"] = "sample"
    if "membrane" not in lanes:
        lanes["membrane"] = 1
    if "membrane" not in bands:
        bands["membrane"] = 1
    bands["present"] = bands["present"].astype(str).str.lower().isin(["true", "1"])
    bands["saturated"] = bands["saturated"].astype(str).str.lower().isin(["true", "1"])
    if "height" not in bands:
        bands["height"] = 8.0
    return lanes, bands


def read_grey(path: Path) -> np.ndarray:
    """First page / grey version of an image, float64 (for the baseline only)."""
    if path.suffix.lower() in (".tif", ".tiff"):
        import tifffile

        img = tifffile.imread(path, key=0)
    else:
        from PIL import Image

        with Image.open(path) as im:
            img = np.asarray(im)
    img = np.asarray(img, dtype=float)
    if img.ndim == 3:
        img = img[..., :3].mean(axis=2)
    return img


def polarity_of(path: Path, grey: np.ndarray, bands: pd.DataFrame) -> str:
    """Polarity from the manifest, else from the truth: are band centres bright?"""
    manifest = path.parent / "manifest.csv"
    if manifest.is_file():
        m = pd.read_csv(manifest).set_index("file")
        if path.name in m.index and "polarity" in m.columns:
            return str(m.loc[path.name, "polarity"])
    pres = bands[bands["present"]]
    ys = np.clip(np.rint(pres["y"]).astype(int), 0, grey.shape[0] - 1)
    xs = np.clip(np.rint(pres["x"]).astype(int), 0, grey.shape[1] - 1)
    return "light" if np.median(grey[ys, xs]) > np.median(grey) else "dark"


# --------------------------------------------------------------------------- scoring
@dataclass
class Score:
    """Scores of one image (tool or baseline)."""

    image: str
    n_lanes_true: int = 0
    n_lanes_tool: int = 0
    lanes_ok: bool = False
    lane_err_max: float = math.nan  # max |dx| / width over paired lanes
    n_true: int = 0
    n_detected: int = 0
    n_matched: int = 0
    recall: float = math.nan
    precision: float = math.nan
    rel_err_median: float = math.nan
    rel_err_p95: float = math.nan
    abs_err_median: float = math.nan  # |tool volume / true volume - 1|, not row-normalised
    n_rel: int = 0
    n_saturated_true: int = 0
    n_saturated_missed: int = 0
    dilution_slope: float = math.nan
    dilution_r2: float = math.nan
    seconds: float = math.nan
    error: str = ""
    base_rel_err_median: float = math.nan
    base_rel_err_p95: float = math.nan
    base_dilution_slope: float = math.nan
    base_dilution_r2: float = math.nan
    notes: list[str] = field(default_factory=list)
    rel_errs: list[float] = field(default_factory=list, repr=False)
    base_rel_errs: list[float] = field(default_factory=list, repr=False)


def _visible_center(row: pd.Series, width_px: int) -> float:
    if bool(row.get("cut_by_edge", False)):
        return (max(row["x_left"], -0.5) + min(row["x_right"], width_px - 0.5)) / 2
    return float(row["x_center"])


def _tool_x_at(tool_lanes: pd.DataFrame, y: np.ndarray | float) -> np.ndarray:
    """Tool lane centres moved along the tool's slope to row ``y``."""
    x = tool_lanes["x_center"].to_numpy(dtype=float)
    if {"slope", "y_top", "y_bottom"} <= set(tool_lanes.columns):
        slope = np.nan_to_num(tool_lanes["slope"].to_numpy(dtype=float))
        yc = (
            tool_lanes["y_top"].to_numpy(dtype=float) + tool_lanes["y_bottom"].to_numpy(float)
        ) / 2
        ok = np.isfinite(yc)
        x = np.where(ok, x + slope * (np.asarray(y) - np.where(ok, yc, 0)), x)
    return x


def match_lanes(
    true_lanes: pd.DataFrame, tool_lanes: pd.DataFrame, width_px: int, score: Score
) -> dict[tuple[int, int], tuple[int, int]]:
    """Map true (membrane, lane) -> tool (membrane, lane); fill the lane scores."""
    mapping: dict[tuple[int, int], tuple[int, int]] = {}
    score.n_lanes_true = len(true_lanes)
    score.n_lanes_tool = len(tool_lanes)
    ok = True
    errs: list[float] = []
    true_m = sorted(true_lanes["membrane"].unique())
    tool_m = sorted(tool_lanes["membrane"].unique()) if len(tool_lanes) else []
    if len(true_m) != len(tool_m):
        ok = False
        score.notes.append(f"membranes {len(tool_m)} vs true {len(true_m)}")
    # pair membranes by mean lane-top row order (both are numbered top to bottom)
    for tm, om in zip(true_m, tool_m, strict=False):
        t = true_lanes[true_lanes["membrane"] == tm].sort_values("x_center")
        o = tool_lanes[tool_lanes["membrane"] == om].sort_values("x_center")
        y_mid = float(((t["y_top"] + t["y_bottom"]) / 2).mean()) if "y_top" in t else 0.0
        tx = np.array([_visible_center(r, width_px) for _, r in t.iterrows()])
        ox = _tool_x_at(o, y_mid) if len(o) else np.array([])
        widths = (
            t["width"].to_numpy(float) if "width" in t else (t["x_right"] - t["x_left"]).to_numpy()
        )
        if len(o) != len(t):
            ok = False
            score.notes.append(f"membrane {tm}: {len(o)} lanes vs true {len(t)}")
        # nearest-centre matching, one to one, within half a width
        used: set[int] = set()
        for k, (_, row) in enumerate(t.iterrows()):
            if len(ox) == 0:
                ok = False
                continue
            d = np.abs(ox - tx[k])
            for j in np.argsort(d):
                if j not in used:
                    break
            else:
                ok = False
                continue
            err = float(d[j] / widths[k])
            if err <= 0.5:
                used.add(int(j))
                mapping[(int(tm), int(row["lane"]))] = (int(om), int(o.iloc[j]["lane"]))
                errs.append(err)
            if err > 1 / 3:
                ok = False
    score.lanes_ok = ok and len(mapping) == len(true_lanes)
    score.lane_err_max = max(errs) if errs else math.nan
    return mapping


def _match_bands(
    true_b: pd.DataFrame, tool_b: pd.DataFrame, mapping: dict[tuple[int, int], tuple[int, int]]
) -> dict[int, int]:
    """Match true present sample bands (index) to detected tool bands (index)."""
    matches: dict[int, int] = {}
    if tool_b.empty:
        return matches
    by_lane = {k: g for k, g in tool_b.groupby(["membrane", "lane"])}
    for (m, ln), tb in true_b.groupby(["membrane", "lane"]):
        key = mapping.get((int(m), int(ln)))
        if key is None or key not in by_lane:
            continue
        cand = by_lane[key]
        pairs = []
        for ti, trow in tb.iterrows():
            tol = max(4.0, 0.5 * float(trow["height"]))
            d = np.abs(cand["y"].to_numpy(float) - float(trow["y"]))
            for ci, dist in zip(cand.index, d, strict=True):
                if dist <= tol:
                    pairs.append((dist, ti, ci))
        taken_t: set[int] = set()
        taken_c: set[int] = set()
        for _dist, ti, ci in sorted(pairs):
            if ti in taken_t or ci in taken_c:
                continue
            matches[int(ti)] = int(ci)
            taken_t.add(ti)
            taken_c.add(ci)
    return matches


def _row_normalised_errors(truth: pd.Series, tool: pd.Series, rows: pd.Series) -> np.ndarray:
    df = pd.DataFrame({"t": truth.to_numpy(float), "o": tool.to_numpy(float), "r": rows.to_numpy()})
    df = df[df.groupby("r")["t"].transform("size") >= 2]
    if df.empty:
        return np.array([])
    tn = df["t"] / df.groupby("r")["t"].transform("mean")
    on = df["o"] / df.groupby("r")["o"].transform("mean")
    return np.abs(on.to_numpy() / tn.to_numpy() - 1)


def _dilution(truth_vol: np.ndarray, tool_vol: np.ndarray) -> tuple[float, float]:
    ok = (truth_vol > 0) & (tool_vol > 0) & np.isfinite(tool_vol)
    if ok.sum() < 3 or ok.sum() < len(truth_vol):
        return math.nan, math.nan  # a non-positive volume fails the series
    x, y = np.log(truth_vol[ok]), np.log(tool_vol[ok])
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (slope * x + intercept)
    r2 = 1 - float(np.sum(resid**2) / np.sum((y - y.mean()) ** 2))
    return float(slope), r2


def score_tool(
    name: str,
    true_lanes: pd.DataFrame,
    true_bands: pd.DataFrame,
    tool_lanes: pd.DataFrame,
    tool_bands: pd.DataFrame,
    width_px: int,
    *,
    dilution: bool,
) -> Score:
    """Score a tool's lanes and bands tables against the truth."""
    s = Score(image=name)
    mapping = match_lanes(true_lanes, tool_lanes, width_px, s)
    sample_lanes = true_lanes[true_lanes["kind"] == "sample"][["membrane", "lane"]]
    tb = true_bands.merge(sample_lanes, on=["membrane", "lane"])
    tb = tb[(tb["kind"] == "sample") & tb["present"]].reset_index(drop=True)
    det = tool_bands
    if "detected" in det:
        det = det[det["detected"].astype(str).str.lower().isin(["true", "1"])]
    det = det.reset_index(drop=True)
    marker_tool = {
        mapping[(int(r.membrane), int(r.lane))]
        for r in true_lanes.itertuples()
        if r.kind == "marker" and (int(r.membrane), int(r.lane)) in mapping
    }
    keep = [
        (int(m), int(ln)) not in marker_tool
        for m, ln in zip(det["membrane"], det["lane"], strict=True)
    ]
    det = det[np.array(keep, dtype=bool)].reset_index(drop=True) if len(det) else det
    matches = _match_bands(tb, det, mapping)
    s.n_true, s.n_detected, s.n_matched = len(tb), len(det), len(matches)
    s.recall = s.n_matched / s.n_true if s.n_true else math.nan
    s.precision = s.n_matched / s.n_detected if s.n_detected else (1.0 if not s.n_true else 0.0)

    sat = tb[tb["saturated"]]
    s.n_saturated_true = len(sat)
    flagged = det["saturated"].astype(str).str.lower().isin(["true", "1"]) if len(det) else None
    s.n_saturated_missed = sum(
        1 for i in sat.index if i not in matches or not bool(flagged.iloc[matches[i]])
    )

    idx = [i for i in tb.index if i in matches and not tb.loc[i, "saturated"]]
    if idx:
        truth_v = tb.loc[idx, "volume"]
        tool_v = pd.Series([float(det.loc[matches[i], "volume"]) for i in idx], index=idx)
        rows = tb.loc[idx, "membrane"].astype(str) + ":" + tb.loc[idx, "band"].astype(str)
        err = _row_normalised_errors(truth_v, tool_v, rows)
        s.n_rel = len(err)
        s.rel_errs = [float(e) for e in err]
        if len(err):
            s.rel_err_median = float(np.median(err))
            s.rel_err_p95 = float(np.percentile(err, 95))
        s.abs_err_median = float(np.median(np.abs(tool_v.to_numpy() / truth_v.to_numpy() - 1)))
        if dilution:
            unsat = tb.loc[idx]
            slopes = []
            for _, g in unsat.groupby(["membrane", "band"]):
                tv = tool_v.loc[g.index].to_numpy(float)
                slopes.append(_dilution(g["volume"].to_numpy(float), tv))
            if slopes:
                s.dilution_slope, s.dilution_r2 = slopes[0]
    if dilution and idx and len(idx) < int((~tb["saturated"]).sum()):
        s.notes.append("dilution: unmatched unsaturated lanes")
        s.dilution_slope = s.dilution_r2 = math.nan
    return s


# --------------------------------------------------------------------------- baseline
def baseline_volumes(
    grey: np.ndarray, polarity: str, lanes: pd.DataFrame, bands: pd.DataFrame
) -> pd.Series:
    """ImageJ-like expert: perfect boxes at the true positions after a rolling ball."""
    from scipy.ndimage import uniform_filter
    from skimage.restoration import rolling_ball

    sig = grey if polarity == "light" else grey.max() - grey
    # ImageJ "Subtract Background" defaults: radius 50, 3x3 mean pre-smoothing of the
    # image the ball rolls under, "light background" = inverted
    corrected = sig - rolling_ball(uniform_filter(sig, 3), radius=50)
    vols = pd.Series(np.nan, index=bands.index)
    H, W = grey.shape
    lane_w = lanes.set_index(["membrane", "lane"])["width"] if "width" in lanes else None
    for (_m, _ln), g in bands[bands["present"]].groupby(["membrane", "lane"]):
        g = g.sort_values("y")
        ys = g["y"].to_numpy(float)
        for k, (i, row) in enumerate(g.iterrows()):
            half = 1.5 * float(row["height"])
            top = max(ys[k] - half, (ys[k - 1] + ys[k]) / 2 if k > 0 else -np.inf)
            bot = min(ys[k] + half, (ys[k + 1] + ys[k]) / 2 if k + 1 < len(ys) else np.inf)
            w = float(lane_w.loc[(row["membrane"], row["lane"])]) if lane_w is not None else 20.0
            c0, c1 = max(round(row["x"] - w / 2), 0), min(round(row["x"] + w / 2), W)
            r0, r1 = max(round(top), 0), min(round(bot) + 1, H)
            vols[i] = float(corrected[r0:r1, c0:c1].sum())
    return vols


def score_baseline(
    s: Score,
    grey: np.ndarray,
    polarity: str,
    lanes: pd.DataFrame,
    bands: pd.DataFrame,
    *,
    dilution: bool,
) -> None:
    sample = lanes[lanes["kind"] == "sample"][["membrane", "lane"]]
    tb = bands.merge(sample, on=["membrane", "lane"])
    tb = tb[(tb["kind"] == "sample") & tb["present"]].reset_index(drop=True)
    vols = baseline_volumes(grey, polarity, lanes, tb)
    ok = tb[~tb["saturated"]]
    rows = ok["membrane"].astype(str) + ":" + ok["band"].astype(str)
    err = _row_normalised_errors(ok["volume"], vols.loc[ok.index], rows)
    s.base_rel_errs = [float(e) for e in err]
    if len(err):
        s.base_rel_err_median = float(np.median(err))
        s.base_rel_err_p95 = float(np.percentile(err, 95))
    if dilution and len(ok):
        g = ok[ok["band"] == ok["band"].min()]
        s.base_dilution_slope, s.base_dilution_r2 = _dilution(
            g["volume"].to_numpy(float), vols.loc[g.index].to_numpy(float)
        )


# --------------------------------------------------------------------------- runs
def run_image(path: Path, *, baseline: bool) -> Score:
    from blotquant.image import analyze

    true_lanes, true_bands = read_truth(path)
    grey = read_grey(path)
    dilution = "dilution" in path.stem
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = analyze(path)
        seconds = time.perf_counter() - t0
        s = score_tool(
            path.name,
            true_lanes,
            true_bands,
            res.lanes,
            res.bands,
            grey.shape[1],
            dilution=dilution,
        )
        s.seconds = seconds
    except Exception as exc:  # noqa: BLE001 - report, keep benchmarking the rest
        s = Score(image=path.name, error=f"{type(exc).__name__}: {exc}".splitlines()[0][:120])
        s.seconds = time.perf_counter() - t0
        s.notes.append(traceback.format_exc(limit=3).strip().splitlines()[-1][:200])
    if baseline:
        score_baseline(
            s, grey, polarity_of(path, grey, true_bands), true_lanes, true_bands, dilution=dilution
        )
    return s


def run_large(path: Path) -> dict[str, Any]:
    """Time ``blotquant quantify`` on the large scan in a fresh process."""
    if not path.is_file():  # generated in-process so it does not count as a child
        from blotquant.image.synthetic import make_large_blot, save_blot

        save_blot(make_large_blot(), path)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "blotquant", "quantify", str(path), "--out", str(out)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, check=False, timeout=LARGE_TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            return {
                "wall_s": math.inf,
                "peak_rss_gb": math.nan,
                "rss_is_lower_bound": True,
                "returncode": "timeout",
                "stderr": f"killed after {LARGE_TIMEOUT_S} s",
            }
        wall = time.perf_counter() - t0
        rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        result: dict[str, Any] = {
            "wall_s": wall,
            "peak_rss_gb": rss_kb / 1024**2,
            "rss_is_lower_bound": rss_kb <= before,
            "returncode": proc.returncode,
            "stderr": proc.stderr.strip()[-400:],
        }
        if proc.returncode == 0 and (out / "bands.csv").is_file():
            true_lanes, true_bands = read_truth(path)
            s = score_tool(
                path.name,
                true_lanes,
                true_bands,
                pd.read_csv(out / "lanes.csv"),
                pd.read_csv(out / "bands.csv"),
                4000,
                dilution=False,
            )
            result["score"] = asdict(s)
    return result


# --------------------------------------------------------------------------- report
def _pooled(scores: list[Score], attr: str, q: float) -> float:
    """Percentile ``q`` of the per-band errors pooled over images."""
    vals = [e for s in scores for e in getattr(s, attr)]
    return float(np.percentile(vals, q)) if vals else math.nan


def _f(x: float, spec: str = ".3f") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def print_table(scores: list[Score]) -> None:
    head = (
        f"{'image':<26} {'lanes':>7} {'ok':>3} {'recall':>6} {'prec':>6} {'med%':>6} "
        f"{'p95%':>6} {'abs%':>6} {'IJmed%':>6} {'IJp95%':>6} {'sat':>5} {'slope':>6} "
        f"{'R2':>7} {'s':>5}"
    )
    print(head)
    print("-" * len(head))
    for s in scores:
        lanes = f"{s.n_lanes_tool}/{s.n_lanes_true}"
        sat = f"{s.n_saturated_missed}/{s.n_saturated_true}" if s.n_saturated_true else "-"
        slope = _f(s.dilution_slope, ".4f")
        if not math.isnan(s.base_dilution_slope):
            slope += f" (IJ {s.base_dilution_slope:.3f})"
        print(
            f"{s.image[:26]:<26} {lanes:>7} {'Y' if s.lanes_ok else 'N':>3} "
            f"{_f(s.recall)} {_f(s.precision):>6} {_f(100 * s.rel_err_median, '.2f'):>6} "
            f"{_f(100 * s.rel_err_p95, '.2f'):>6} {_f(100 * s.abs_err_median, '.1f'):>6} "
            f"{_f(100 * s.base_rel_err_median, '.2f'):>6} {_f(100 * s.base_rel_err_p95, '.2f'):>6} "
            f"{sat:>5} {slope:>6} {_f(s.dilution_r2, '.5f'):>7} {_f(s.seconds, '.2f'):>5}"
        )
        if s.error:
            print(f"    ERROR {s.error}")
        for n in s.notes:
            print(f"    note: {n}")


def summarize(scores: list[Score], large: dict[str, Any] | None) -> dict[str, Any]:
    ok_runs = [s for s in scores if not s.error]
    n_true = sum(s.n_true for s in ok_runs)
    n_det = sum(s.n_detected for s in ok_runs)
    n_match = sum(s.n_matched for s in ok_runs)
    summary: dict[str, Any] = {
        "images": len(scores),
        "errors": [s.image for s in scores if s.error],
        "lanes_right": f"{sum(s.lanes_ok for s in scores)}/{len(scores)}",
        "lanes_wrong": [s.image for s in scores if not s.lanes_ok],
        "recall": n_match / n_true if n_true else math.nan,
        "precision": n_match / n_det if n_det else math.nan,
        "rel_err_median": _pooled(ok_runs, "rel_errs", 50),
        "rel_err_p95": _pooled(ok_runs, "rel_errs", 95),
        "rel_err_p95_worst": float(np.nanmax([s.rel_err_p95 for s in ok_runs]))
        if ok_runs and any(not math.isnan(s.rel_err_p95) for s in ok_runs)
        else math.nan,
        "saturated_missed": f"{sum(s.n_saturated_missed for s in scores)}/"
        f"{sum(s.n_saturated_true for s in scores)}",
        "baseline_rel_err_median": _pooled(scores, "base_rel_errs", 50),
        "baseline_rel_err_p95": _pooled(scores, "base_rel_errs", 95),
    }
    dil = [s for s in scores if "dilution" in s.image]
    if dil:
        summary["dilution_slope"] = dil[0].dilution_slope
        summary["dilution_r2"] = dil[0].dilution_r2
        summary["baseline_dilution_slope"] = dil[0].base_dilution_slope
        summary["baseline_dilution_r2"] = dil[0].base_dilution_r2
    if large:
        summary["large_wall_s"] = large["wall_s"]
        summary["large_peak_rss_gb"] = large["peak_rss_gb"]
        summary["large_returncode"] = large["returncode"]
        if "score" in large:
            ls = large["score"]
            summary["large_lanes_ok"] = ls["lanes_ok"]
            summary["large_recall"] = ls["recall"]
            summary["large_precision"] = ls["precision"]
            summary["large_rel_err_median"] = ls["rel_err_median"]
    return summary


def print_summary(summary: dict[str, Any]) -> None:
    t = TARGETS

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    print("\nSummary (target in brackets)")
    print(
        f"  lanes right          {summary['lanes_right']}  [all]  "
        f"{verdict(not summary['lanes_wrong'])}  {', '.join(summary['lanes_wrong'])}"
    )
    print(
        f"  band recall          {_f(summary['recall'], '.4f')}  [>= {t['recall']}]  "
        f"{verdict(summary['recall'] >= t['recall'])}"
    )
    print(
        f"  band precision       {_f(summary['precision'], '.4f')}  [>= {t['precision']}]  "
        f"{verdict(summary['precision'] >= t['precision'])}"
    )
    med, p95 = summary["rel_err_median"], summary["rel_err_p95"]
    print(
        f"  rel. volume error    median {_f(100 * med, '.2f')}% [<= 0.5%] "
        f"{verdict(med <= t['rel_err_median'])}; p95 {_f(100 * p95, '.2f')}% "
        f"[<= 5%] {verdict(p95 <= t['rel_err_p95'])}; worst image p95 "
        f"{_f(100 * summary['rel_err_p95_worst'], '.2f')}%"
    )
    print(
        f"    ImageJ-like expert   median {_f(100 * summary['baseline_rel_err_median'], '.2f')}%, "
        f"p95 {_f(100 * summary['baseline_rel_err_p95'], '.2f')}% (perfect boxes + rolling ball)"
    )
    print(
        f"  saturated missed     {summary['saturated_missed']}  [0]  "
        f"{verdict(summary['saturated_missed'].startswith('0/'))}"
    )
    if "dilution_slope" in summary:
        sl, r2 = summary["dilution_slope"], summary["dilution_r2"]
        print(
            f"  dilution slope, R2   {_f(sl, '.4f')}, {_f(r2, '.5f')}  [1 +/- 0.01, >= 0.999]  "
            f"{verdict(abs(sl - 1) <= t['dilution_slope_tol'] and r2 >= t['dilution_r2'])}  "
            f"(baseline {_f(summary['baseline_dilution_slope'], '.4f')}, "
            f"{_f(summary['baseline_dilution_r2'], '.5f')})"
        )
    if "large_wall_s" in summary:
        w, r = summary["large_wall_s"], summary["large_peak_rss_gb"]
        rc = summary["large_returncode"]
        print(
            f"  large 4000x3000      {w:.2f} s, {r:.2f} GB peak RSS, exit {rc}  "
            f"[< 2.1 s, < 1.5 GB]  {verdict(rc == 0 and w < 2.1 and r < 1.5)}"
        )
        if "large_recall" in summary:
            print(
                f"                       lanes ok {summary['large_lanes_ok']}, recall "
                f"{_f(summary['large_recall'])}, precision {_f(summary['large_precision'])}, "
                f"median rel. err {_f(100 * summary['large_rel_err_median'], '.2f')}%"
            )
    if summary["errors"]:
        print(f"  errors in            {', '.join(summary['errors'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, default=TEST_IMAGES, help="truth image folder")
    parser.add_argument(
        "--extra",
        type=Path,
        action="append",
        default=[],
        help="another folder of images with <stem>_lanes/_bands.csv truth",
    )
    parser.add_argument("--no-large", action="store_true", help="skip the large-scan timing")
    parser.add_argument("--no-baseline", action="store_true", help="skip the ImageJ-like baseline")
    parser.add_argument("--only", default="", help="substring filter on image names")
    parser.add_argument("--json", type=Path, help="write all scores as JSON")
    args = parser.parse_args(argv)

    large = None
    if not args.no_large:  # first, so RUSAGE_CHILDREN holds only this child
        large = run_large(LARGE)
        if large["returncode"] != 0:
            print(
                f"large scan: blotquant quantify failed ({large['returncode']}): {large['stderr']}"
            )
    paths = find_images(args.images)
    for extra in args.extra:
        paths += find_images(extra)
    paths = [p for p in paths if args.only in p.name]
    scores = [run_image(p, baseline=not args.no_baseline) for p in paths]
    print_table(scores)
    summary = summarize(scores, large)
    print_summary(summary)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"summary": summary, "images": [asdict(s) for s in scores], "large": large},
                indent=2,
                default=str,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
