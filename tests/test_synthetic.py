"""Ground truth of the synthetic blot generator and the committed test images."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tifffile
from PIL import Image

from blotquant.errors import InvalidInputError
from blotquant.image.synthetic import (
    SYNTH_BAND_COLUMNS,
    SYNTH_LANE_COLUMNS,
    make_blot,
    make_dilution_series,
    make_large_blot,
    save_blot,
)

TEST_IMAGES = Path(__file__).resolve().parents[1] / "test_images"


def _generate_module():
    spec = importlib.util.spec_from_file_location("_bq_generate", TEST_IMAGES / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _single(**kw):
    base = {
        "shape": (200, 160),
        "n_lanes": 1,
        "lane_widths": [50.0],
        "band_rows": (100.0,),
        "amounts": [[20000.0]],
        "band_profiles": "gaussian",
        "band_sigmas": (3.0,),
        "band_sigma_jitter": 0.0,
        "band_y_jitter": 0.0,
        "edge_falloff": 0.0,
        "noise": False,
        "level": 1000.0,
        "rng": 0,
    }
    base.update(kw)
    return make_blot(**base)


def test_volume_equals_analytic_integral():
    # flat top with erf edges integrates to the width; a Gaussian row to sigma*sqrt(2 pi)
    blot = _single()
    expected = 20000.0 * 50.0 * 3.0 * math.sqrt(2 * math.pi)
    assert blot.bands.loc[0, "volume"] == pytest.approx(expected, rel=1e-9)
    # rotation preserves area: the same band tilted has the same volume
    tilted = _single(tilt_deg=4.0)
    assert tilted.bands.loc[0, "volume"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("polarity", ["light", "dark"])
def test_volumes_sum_to_noiseless_image(polarity):
    level = 2000.0 if polarity == "light" else 60000.0
    blot = make_blot(
        shape=(300, 400),
        n_lanes=5,
        band_rows=(80.0, 150.0, 158.0, 230.0),
        amounts=np.full((5, 4), 9000.0),
        tilt_deg=3.0,
        smile=6.0,
        noise=False,
        level=level,
        polarity=polarity,
        rng=3,
    )
    excess = blot.image.astype(float) - level
    if polarity == "dark":
        excess = -excess
    total = blot.bands["volume"].sum()
    assert excess.sum() == pytest.approx(total, rel=1e-4)  # rounding to integers only
    assert (blot.bands["volume"] > 0).all()


def test_single_band_volume_is_its_own_image():
    # volume of one band = sum over (image with the band) - (image without it)
    amounts = np.full((4, 2), 8000.0)
    with_band = make_blot(
        shape=(200, 300),
        n_lanes=4,
        band_rows=(70.0, 140.0),
        amounts=amounts,
        noise=False,
        tilt_deg=-2.0,
        smile=4.0,
        level=500.0,
        rng=5,
    )
    amounts[2, 1] = 0.0
    without = make_blot(
        shape=(200, 300),
        n_lanes=4,
        band_rows=(70.0, 140.0),
        amounts=amounts,
        noise=False,
        tilt_deg=-2.0,
        smile=4.0,
        level=500.0,
        rng=5,
    )
    diff = with_band.image.astype(float) - without.image.astype(float)
    row = with_band.bands.query("lane == 3 and band == 2").iloc[0]
    assert diff.sum() == pytest.approx(row["volume"], rel=1e-3)
    absent = without.bands.query("lane == 3 and band == 2").iloc[0]
    assert not absent["present"]
    assert absent["volume"] == 0.0
    assert np.isnan(absent["y"])


def test_polarity_inversion_preserves_truth():
    kw = {
        "shape": (240, 320),
        "n_lanes": 5,
        "band_rows": (60.0, 120.0, 180.0),
        "rng": 21,
        "tilt_deg": 2.0,
        "smile": 3.0,
    }
    light = make_blot(polarity="light", **kw)
    dark = make_blot(polarity="dark", **kw)
    pd.testing.assert_frame_equal(light.bands, dark.bands)
    pd.testing.assert_frame_equal(light.lanes, dark.lanes)
    # dark bands really are darker than the paper around them
    row = dark.bands.iloc[4]
    y, x = round(row["y"]), round(row["x"])
    assert dark.image[y, x] < dark.params["level"] - 0.5 * row["peak"]


def test_geometry_of_tilted_band():
    theta = math.radians(4.0)
    blot = _single(tilt_deg=4.0, shape=(240, 200), band_rows=(60.0,))
    xm, ym = (200 - 1) / 2, (240 - 1) / 2
    c = blot.params["lane_centers"][0]
    du, dv = c - xm, 60.0 - ym
    x_exp = xm + du * math.cos(theta) - dv * math.sin(theta)
    y_exp = ym + du * math.sin(theta) + dv * math.cos(theta)
    row = blot.bands.iloc[0]
    assert row["x"] == pytest.approx(x_exp, abs=1e-6)
    assert row["y"] == pytest.approx(y_exp, abs=1e-6)
    lane = blot.lanes.iloc[0]
    assert lane["slope"] == pytest.approx(-math.tan(theta))
    # the lane centre line passes through the band: x(y) = x_center + slope * (y - ym)
    assert lane["x_center"] == pytest.approx(xm + (c - xm) / math.cos(theta))
    assert lane["x_center"] + lane["slope"] * (row["y"] - ym) == pytest.approx(row["x"], abs=1e-6)


def test_smile_raises_edge_rows():
    blot = make_blot(
        shape=(200, 400),
        n_lanes=5,
        band_rows=(100.0,),
        smile=10.0,
        band_y_jitter=0.0,
        band_profiles="gaussian",
        noise=False,
        rng=2,
    )
    y = blot.bands.sort_values("lane")["y"].to_numpy()
    lanes = blot.lanes.sort_values("lane")
    xc, w = lanes["x_center"].to_numpy(), lanes["width"].to_numpy()
    # centroid of the bowed row over a flat-top lane (variance w**2/12 + edge**2)
    spread = (xc - 199.5) ** 2 + w**2 / 12 + 1.6**2
    np.testing.assert_allclose(y, 100.0 - 10.0 * spread / 200.0**2, atol=0.003)
    assert y[0] < y[1] < y[2] > y[3] > y[4]


@pytest.mark.parametrize("plateau", [None, 60000.0])
def test_saturation_flag_matches_clipping(plateau):
    amounts = np.array([[5000.0, 90000.0], [120000.0, 3000.0], [20000.0, 40000.0]])
    blot = make_blot(
        shape=(200, 240),
        n_lanes=3,
        band_rows=(60.0, 140.0),
        amounts=amounts,
        band_profiles="gaussian",
        saturation=plateau,
        noise=False,
        level=2000.0,
        edge_falloff=0.0,
        rng=4,
    )
    sat = 65535 if plateau is None else 60000
    assert blot.image.max() == sat
    for row in blot.bands.itertuples():
        lane = blot.lanes.iloc[row.lane - 1]
        r0, r1 = int(row.y - row.height), int(row.y + row.height) + 1
        c0, c1 = int(lane.x_left) + 2, int(lane.x_right) - 1
        clipped = bool((blot.image[r0:r1, c0:c1] == sat).any())
        assert row.saturated == clipped, (row.lane, row.band)
    flagged = {(r.lane, r.band) for r in blot.bands.itertuples() if r.saturated}
    assert flagged == {(1, 2), (2, 1)}  # 90000 and 120000 clip; 40000 + 2000 does not


def test_dark_saturation_clips_at_floor():
    blot = make_blot(
        shape=(160, 200),
        n_lanes=2,
        band_rows=(80.0,),
        amounts=[[100.0], [300.0]],
        dtype="uint8",
        polarity="dark",
        noise=False,
        level=230.0,
        rng=0,
    )
    assert blot.bands["saturated"].tolist() == [False, True]
    assert blot.image.min() == 0


def test_seed_reproduces_and_differs():
    kw = {
        "shape": (200, 300),
        "n_lanes": 6,
        "gradient": 500.0,
        "blotches": 2,
        "dust": 5,
        "smears": 0.05,
    }
    a, b, c = make_blot(rng=7, **kw), make_blot(rng=7, **kw), make_blot(rng=8, **kw)
    np.testing.assert_array_equal(a.image, b.image)
    pd.testing.assert_frame_equal(a.bands, b.bands)
    assert a.params == b.params
    assert not np.array_equal(a.image, c.image)


def test_noise_level_matches_model():
    # flat membrane: variance = gain * level + read_noise**2
    blot = make_blot(
        shape=(200, 200),
        n_lanes=1,
        amounts=np.zeros((1, 3)),
        level=4000.0,
        gain=2.0,
        read_noise=30.0,
        rng=1,
    )
    sd = blot.image.astype(float).std()
    assert sd == pytest.approx(math.sqrt(2.0 * 4000.0 + 30.0**2), rel=0.02)
    assert blot.image.astype(float).mean() == pytest.approx(4000.0, abs=1.0)


def test_tables_have_documented_columns():
    blot = make_blot(n_lanes=4, marker_lane=1, n_membranes=2, shape=(400, 300), rng=0)
    assert tuple(blot.lanes.columns) == SYNTH_LANE_COLUMNS
    assert tuple(blot.bands.columns) == SYNTH_BAND_COLUMNS
    assert set(blot.lanes["kind"]) == {"sample", "marker"}
    assert blot.lanes.groupby("membrane").size().tolist() == [4, 4]
    samples = blot.bands.query("kind == 'sample'")
    assert samples.groupby(["membrane", "lane"]).size().eq(3).all()
    # band rows numbered top to bottom, same row number = same protein in every lane
    for _, grp in samples.groupby(["membrane", "lane"]):
        assert grp.sort_values("band")["y"].is_monotonic_increasing
    # membranes top to bottom
    assert (
        blot.bands.query("membrane == 2")["y"].min() > blot.bands.query("membrane == 1")["y"].max()
    )


def test_dilution_series_volumes_halve():
    blot = make_dilution_series(n_lanes=9, shape=(200, 540), band_rows=(100.0,), rng=0)
    vol = blot.bands.sort_values("lane")["volume"].to_numpy()
    np.testing.assert_allclose(vol[:-1] / vol[1:], 2.0, rtol=1e-9)
    assert blot.bands.sort_values("lane")["saturated"].tolist() == [True, True] + [False] * 7


def test_large_blot_geometry():
    blot = make_large_blot(
        shape=(600, 800),
        n_lanes=24,
        blotches=0,
        dust=0,
        gradient=0.0,
        band_rows=[100.0, 300.0],
        band_sigmas=[4.0, 6.0],
    )
    assert blot.image.shape == (600, 800)
    assert blot.image.dtype == np.uint16
    assert len(blot.lanes) == 24
    assert blot.lanes["x_center"].is_monotonic_increasing


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"dtype": "float32"}, "dtype"),
        ({"polarity": "bright"}, "polarity"),
        ({"amounts": np.ones((2, 2))}, "amounts"),
        ({"band_rows": (50.0, 40.0)}, "band_rows"),
        ({"marker_lane": 9}, "marker_lane"),
    ],
)
def test_invalid_input_names_the_parameter(kwargs, word):
    with pytest.raises(InvalidInputError, match=word):
        make_blot(n_lanes=4, **kwargs)


@pytest.mark.parametrize(
    ("suffix", "dtype", "rgb"),
    [
        (".tif", "uint16", False),
        (".png", "uint16", False),
        (".png", "uint8", False),
        (".jpg", "uint8", True),
    ],
)
def test_save_round_trip(tmp_path, suffix, dtype, rgb):
    blot = make_blot(shape=(120, 160), n_lanes=3, dtype=dtype, rng=0)
    path = save_blot(blot, tmp_path / f"b{suffix}", rgb=rgb)
    img = tifffile.imread(path) if suffix == ".tif" else np.asarray(Image.open(path))
    if suffix == ".jpg":
        assert img.shape == (120, 160, 3)
        assert np.abs(img[..., 0].astype(int) - blot.image).mean() < 3
    else:
        np.testing.assert_array_equal(img, blot.image)
    bands = pd.read_csv(tmp_path / "b_bands.csv")
    assert bands["volume"].to_numpy() == pytest.approx(blot.bands["volume"].to_numpy(), rel=1e-9)
    assert len(pd.read_csv(tmp_path / "b_lanes.csv")) == 3


def test_committed_files_match_generator(tmp_path):
    gen = _generate_module()
    manifest = pd.read_csv(TEST_IMAGES / "manifest.csv")
    assert sorted(manifest["file"]) == sorted(gen.all_files())
    for file in manifest["file"]:
        assert (TEST_IMAGES / file).is_file(), file
    committed_mb = sum(p.stat().st_size for p in TEST_IMAGES.glob("*.*")) / 1e6
    assert committed_mb < 6.0
    for file in ("clean_chemi16.tif", "film_dark8.png"):
        blot, save = gen.build(file)
        save_blot(blot, tmp_path / file, **save)
        path = TEST_IMAGES / file
        old = tifffile.imread(path) if file.endswith(".tif") else np.asarray(Image.open(path))
        diff = np.abs(old.astype(int) - blot.image.astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 1e-3, file  # libm rounding only
        stem = Path(file).stem
        for table in ("bands", "lanes"):
            a = pd.read_csv(TEST_IMAGES / f"{stem}_{table}.csv")
            b = pd.read_csv(tmp_path / f"{stem}_{table}.csv")
            pd.testing.assert_frame_equal(a, b, rtol=1e-6)


def _bench_module():
    path = TEST_IMAGES.parent / "benchmarks" / "bench_image.py"
    spec = importlib.util.spec_from_file_location("_bq_bench_image", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_benchmark_scores_truth_as_perfect_and_catches_errors():
    bench = _bench_module()
    blot = make_blot(
        shape=(300, 400),
        n_lanes=6,
        marker_lane=1,
        band_rows=(80.0, 160.0, 168.0),
        tilt_deg=3.0,
        rng=4,
    )
    lanes, bands = blot.lanes, blot.bands.assign(detected=blot.bands["present"])
    perfect = bench.score_tool("t", lanes, blot.bands, lanes, bands, 400, dilution=False)
    assert perfect.lanes_ok
    assert perfect.recall == 1.0
    assert perfect.precision == 1.0
    assert perfect.rel_err_p95 == 0.0
    # 10 % too much volume in one band, one lane shifted by half a width, one spurious band
    worse = bands.copy()
    worse.loc[worse.index[9], "volume"] *= 1.10
    spurious = worse.iloc[[9]].assign(y=worse.iloc[9]["y"] + 40)
    worse = pd.concat([worse, spurious], ignore_index=True)
    shifted = lanes.copy()
    shifted.loc[2, "x_center"] += 0.4 * shifted.loc[2, "width"]
    s = bench.score_tool("t", blot.lanes, blot.bands, shifted, worse, 400, dilution=False)
    assert not s.lanes_ok
    assert s.precision == pytest.approx(s.n_matched / (s.n_matched + 1))
    row = bands.iloc[9]
    same_row = bands.query("kind == 'sample' and band == @row.band")["volume"]
    n, total = len(same_row), same_row.sum()
    expected = 1.10 * (total / n) / ((total + 0.10 * row["volume"]) / n) - 1
    assert max(s.rel_errs) == pytest.approx(expected, rel=1e-9)
