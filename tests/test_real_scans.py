"""The image pipeline on real scans, against what a person sees and a paper.

Ground truth: ``benchmarks/real_truth.csv`` (lanes and band rows a person counts,
see ``benchmarks/bench_real.py``), the eLife gelquant published values and the
NEB ladder masses in ``../shared``. Known failures are ``xfail(strict=True)`` with
the reason measured by ``benchmarks/bench_real.py``; when the pipeline is fixed
they turn into XPASS and must be un-marked.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_real", ROOT / "benchmarks" / "bench_real.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_real"] = module
    spec.loader.exec_module(module)
    return module


bench = _load_bench()
TRUTH = bench.load_truth()
FILES = list(dict.fromkeys((m.folder, m.file) for m in TRUTH))


@cache
def _result(shared: Path, folder: str, name: str):
    from blotquant.image import analyze

    return analyze(shared / folder / name)


# ---------------------------------------------------------------- the truth
def test_truth_table_is_consistent(shared_dir):
    masses = pd.read_csv(shared_dir / "real_more" / "gelgenie_neb1kbplus_band_masses.csv")
    for m in TRUTH:
        assert (shared_dir / m.folder / m.file).is_file(), m.file
        x0, x1, y0, y1 = m.box
        xs = np.array(m.lane_x)
        assert np.all(np.diff(xs) > 0), (m.file, m.membrane)
        assert xs.min() >= x0 and xs.max() <= x1, (m.file, m.membrane)
        assert m.polarity in ("light", "dark")
        assert m.main_rows, (m.file, m.membrane)
        ys = [r.y_mean for r in m.rows]
        assert ys == sorted(ys), (m.file, m.membrane)
        assert y0 <= min(ys) and max(ys) <= y1, (m.file, m.membrane)
    ladder = next(m for m in TRUTH if m.file == bench.GELGENIE_FILE)
    assert len(ladder.rows) == len(masses) == 19
    # manifest of ../shared/real: every real image has a person's count
    manifest = pd.read_csv(shared_dir / "real" / "manifest.csv")
    assert set(manifest["file"]) <= {m.file for m in TRUTH}


# ------------------------------------------------------- the scorer itself
def _perfect_result(truth_rows, *, volume=None):
    """A fake BlotResult with lanes and detected bands exactly where a person sees them."""
    lanes, bands = [], []
    for mi, m in enumerate(truth_rows, start=1):
        half = m.pitch / 2
        for li, x in enumerate(m.lane_x, start=1):
            lanes.append({"membrane": mi, "lane": li, "x_center": x, "x_left": x - half,
                          "x_right": x + half, "y_top": m.box[2], "y_bottom": m.box[3],
                          "slope": 0.0})
            for bi, row in enumerate(m.main_rows, start=1):
                y = float(row.y_at(x))
                vol = volume(mi, li, y) if volume else 100.0
                bands.append({"membrane": mi, "lane": li, "band": bi, "detected": True,
                              "x": x, "y": y, "volume": vol})
    return SimpleNamespace(lanes=pd.DataFrame(lanes), bands=pd.DataFrame(bands))


def test_scorer_gives_full_marks_to_a_perfect_result():
    for _, name in FILES:
        mems = [m for m in TRUTH if m.file == name]
        fake = _perfect_result(mems)
        for i, m in enumerate(mems, start=1):
            s = bench.score_membrane(fake, m)
            assert s.lanes_ok, (name, i)
            assert s.tool_membrane == i
            assert s.rows_found == s.rows_seen and not s.extra_rows, (name, i)


def test_scorer_catches_shifted_lanes_and_rows():
    m = next(m for m in TRUTH if m.file.startswith("csitron"))
    fake = _perfect_result([m])
    fake.lanes["x_center"] += 0.5 * m.pitch  # lanes on the gaps between bands
    fake.bands["y"] += 60  # rows far from what a person sees
    s = bench.score_membrane(fake, m)
    assert not s.lanes_ok
    assert s.rows_found == 0 and len(s.extra_rows) == 1


def test_elife_comparison_reproduces_published_values_from_exact_volumes(shared_dir):
    reference = pd.read_csv(shared_dir / "real" / "elife_gelquant_reference.csv")
    lanes, bands = [], []
    for i, rec in enumerate(reference.to_dict("records"), start=1):
        x = (rec["lane_x_start"] + rec["lane_x_end_excl"]) / 2
        y_lo, y_hi = (float(v) for v in rec["band_y_abs"].split(":"))
        lanes.append({"membrane": 1, "lane": i, "x_center": x, "y_top": float(rec["crop_y1"]),
                      "y_bottom": float(rec["crop_y2"]), "slope": 0.0})
        # the published value split over a doublet, plus an undetected row outside the region
        v = 1000.0 * rec["value_rel_to_t0"]
        bands += [{"membrane": 1, "lane": i, "detected": True, "y": y_lo + 5, "volume": 0.3 * v},
                  {"membrane": 1, "lane": i, "detected": True, "y": y_hi - 5, "volume": 0.7 * v},
                  {"membrane": 1, "lane": i, "detected": False, "y": y_hi + 30, "volume": 55.0}]
    fake = SimpleNamespace(lanes=pd.DataFrame(lanes), bands=pd.DataFrame(bands))
    table = bench.elife_comparison(fake, reference)
    summary = bench.elife_summary(table)
    assert len(table) == 20
    assert summary["mae20"] < 1e-9 and summary["n_missing"] == 0


# ---------------------------------------------------------- the real scans
LANES_XFAIL = {
    "pysternblot_rhoa_ImageQuant800_chemi.tif": "10 lanes on the upper membrane for 6 + marker",
    "elife_gelquant_coomassie_gel-example.png": "15 lanes per gel, but the gel edge is taken for a lane and lanes 4-6 misplaced",
    "facuperezt_chemi_wide_pic_bands.jpeg": "13 lanes for 8: smiling bands split in two",
    "plosone_pone.0237759.s005_original_blots.tif": "figure panels: lanes right in 6 of 8, but not split into membranes",
}
ROWS_XFAIL = {
    "gelgenie_neb1kbplus_4ladders_uvp_8bit.tif": "0.3 kb ladder band not found",
}


def _mark(name, table):
    if name in table:
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=table[name]))
    return name


@pytest.mark.parametrize("name", [_mark(n, LANES_XFAIL) for _, n in FILES])
def test_lane_count_and_positions_match_a_person(shared_dir, name):
    folder = next(m.folder for m in TRUTH if m.file == name)
    result = _result(shared_dir, folder, name)
    for m in (m for m in TRUTH if m.file == name):
        s = bench.score_membrane(result, m)
        assert s.lanes_ok, (m.membrane, s.lanes_found, s.lanes_true, s.max_centre_err)


@pytest.mark.parametrize("name", [_mark(n, ROWS_XFAIL) for _, n in FILES])
def test_main_band_rows_are_found(shared_dir, name):
    folder = next(m.folder for m in TRUTH if m.file == name)
    result = _result(shared_dir, folder, name)
    for m in (m for m in TRUTH if m.file == name):
        s = bench.score_membrane(result, m)
        assert s.rows_found == s.rows_seen, (m.membrane, s.rows_missed)


@pytest.mark.parametrize("name", [n for _, n in FILES])
def test_polarity_matches_the_manifest(shared_dir, name):
    folder, want = next((m.folder, m.polarity) for m in TRUTH if m.file == name)
    assert _result(shared_dir, folder, name).params.polarity_used == want


@pytest.mark.xfail(strict=True, reason="left-group lanes misplaced: MAE over the 16 non-t0 values 0.50")
def test_elife_relative_volumes_within_005_of_published(shared_dir):
    reference = pd.read_csv(shared_dir / "real" / "elife_gelquant_reference.csv")
    result = _result(shared_dir, "real", bench.ELIFE_FILE)
    summary = bench.elife_summary(bench.elife_comparison(result, reference))
    assert summary["n_missing"] == 0
    assert summary["mae16"] <= bench.TARGET_ELIFE_MAE


@pytest.mark.xfail(strict=True, reason="4 lanes, 13-14 bands matched each, but r 0.80-0.95 and lane 3 log-log slope 1.45")
def test_gelgenie_volume_tracks_known_ng(shared_dir):
    masses = pd.read_csv(shared_dir / "real_more" / "gelgenie_neb1kbplus_band_masses.csv")
    ladder = next(m for m in TRUTH if m.file == bench.GELGENIE_FILE)
    result = _result(shared_dir, "real_more", bench.GELGENIE_FILE)
    lanes, bands = bench.ladder_comparison(result, ladder, masses)
    assert (lanes["n_matched"] >= 13).all()
    assert (lanes["pearson_r"] >= 0.9).all()
    assert lanes["loglog_slope"].between(0.8, 1.2).all()
    assert bands["cv"].median() <= 0.10
