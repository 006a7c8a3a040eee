"""Blot panels, source-data scans and experiment figures on synthetic blots with known truth."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle
from scipy import stats

from blotquant.errors import InvalidInputError
from blotquant.figures.blot import (
    PIXELS_PER_LANE,
    crop_strips,
    lane_label_rows,
    plot_blot_panel,
    plot_scan_crops,
)
from blotquant.figures.experiment import plot_correlation, plot_replicates
from blotquant.image import analyze
from blotquant.image.synthetic import make_blot

CENTRES = [40.0, 100.0, 160.0, 220.0, 280.0]
TREATMENTS = ["vehicle", "temsirolimus 1 nM", "temsirolimus 10 nM", "IFN-alpha 100 IU/mL",
              "IFN-alpha 100 IU/mL + temsirolimus 10 nM"]
PS6 = np.array([3000.0, 2000.0, 700.0, 2800.0, 500.0])


@pytest.fixture(scope="module")
def membrane():
    target = make_blot(shape=(200, 320), lane_centers=CENTRES, band_rows=(80,),
                       amounts=PS6[:, None], rng=1)
    shift = 20.0  # the reprobe was scanned 20 px to the right
    actin = make_blot(shape=(200, 340), lane_centers=[c + shift for c in CENTRES],
                      band_rows=(120,), amounts=np.full((5, 1), 2000.0), rng=2)
    images, image_lanes, image_bands = {}, {}, {}
    for name, blot in (("ps6.tif", target), ("actin.tif", actin)):
        res = analyze(blot.image, polarity="light", n_lanes=5)
        images[name], image_lanes[name], image_bands[name] = blot.image, res.lanes, res.bands
    rows = []
    for tgt, file, loading in (("phospho-S6", "ps6.tif", "beta-actin"),
                               ("beta-actin", "actin.tif", "")):
        for lane, tr in enumerate(TREATMENTS, start=1):
            rows.append({"target": tgt, "image": file, "membrane": "M1", "lane": lane,
                         "image_lane": lane, "cell_line": "786-O", "treatment": tr,
                         "band": "1", "loading_target": loading})
    return images, pd.DataFrame(rows), image_lanes, image_bands, shift


def test_strips_hold_the_bands_in_lane_order(membrane):
    images, lanes, il, ib, _ = membrane
    strips = crop_strips(images, lanes, il, ib, membrane="M1")
    assert [s.target for s in strips] == ["phospho-S6", "beta-actin"]  # loading control last
    ps6, actin = strips
    assert ps6.box[0] < 80 < ps6.box[1] and actin.box[0] < 120 < actin.box[1]
    assert ps6.pixels.shape[1] == 5 * PIXELS_PER_LANE
    assert ps6.pixels.min() >= 0 and ps6.pixels.max() <= 1
    darkness = [1 - ps6.pixels[:, k * PIXELS_PER_LANE:(k + 1) * PIXELS_PER_LANE].mean()
                for k in range(5)]
    assert stats.spearmanr(darkness, PS6).statistic == pytest.approx(1.0)


def test_shifted_reprobe_is_aligned_lane_by_lane(membrane):
    images, lanes, il, ib, shift = membrane
    _, actin = crop_strips(images, lanes, il, ib, membrane="M1")
    # the crop starts ~shift px further right in the shifted scan
    ps6 = crop_strips(images, lanes, il, ib, membrane="M1", targets=["phospho-S6"])[0]
    assert actin.box[2] - ps6.box[2] == pytest.approx(shift, abs=3)
    # every lane's band sits in the middle of its lane cell (darkest column near the centre)
    prof = 1 - actin.pixels.mean(axis=0)
    for k in range(5):
        cell = prof[k * PIXELS_PER_LANE:(k + 1) * PIXELS_PER_LANE]
        assert cell[PIXELS_PER_LANE // 2 - 6:PIXELS_PER_LANE // 2 + 6].mean() > cell[:3].mean()


def test_panel_on_user_axes(membrane):
    images, lanes, il, ib, _ = membrane
    strips = crop_strips(images, lanes, il, ib, membrane="M1")
    fig, ax = plt.subplots()
    out = plot_blot_panel(strips, ax=ax, title="M1 (simulated)")
    assert out is ax
    assert sum(isinstance(a, AxesImage) for a in ax.get_children()) == 2
    texts = {t.get_text() for t in ax.texts}
    assert {"phospho-S6", "beta-actin", "temsirolimus (nM)", "IFN-alpha (IU/mL)"} <= texts
    plt.close(fig)
    ax2 = plot_scan_crops(images["ps6.tif"], [(s.target, s.box) for s in strips[:1]])
    rects = [p for p in ax2.patches if isinstance(p, Rectangle)]
    assert len(rects) == 1
    assert rects[0].get_y() == pytest.approx(strips[0].box[0] - 0.5)
    plt.close(ax2.figure)


def test_panel_errors():
    with pytest.raises(InvalidInputError, match="no strips"):
        plot_blot_panel([])
    with pytest.raises(InvalidInputError, match="membrane 'M9'"):
        crop_strips({}, pd.DataFrame({"membrane": ["M1"], "target": ["x"],
                                      "loading_target": [""]}), {}, {}, membrane="M9")


def test_lane_label_rows():
    rows = dict(lane_label_rows(TREATMENTS))
    assert rows["temsirolimus (nM)"] == ["-", "1", "10", "-", "10"]
    assert rows["IFN-alpha (IU/mL)"] == ["-", "-", "-", "100", "100"]
    two = lane_label_rows(["vehicle", "vehicle"], ["786-O", "Caki-1"])
    assert two[0] == ("", ["786-O", "Caki-1"])


def test_replicate_and_correlation_plots_show_every_replicate():
    reps = pd.DataFrame({"target": "phospho-S6", "cell_line": "786-O",
                         "treatment": ["vehicle"] * 3 + ["temsirolimus 10 nM"] * 3,
                         "replicate": [1, 2, 3] * 2,
                         "fold_change": [1.0, 1.0, 1.0, 0.4, 0.5, 0.45]})
    cond = pd.DataFrame({"target": "phospho-S6", "cell_line": "786-O",
                         "treatment": ["vehicle", "temsirolimus 10 nM"],
                         "p_adjusted": [np.nan, 0.004]})
    fig, ax = plt.subplots()
    plot_replicates(reps, target="phospho-S6", cell_line="786-O", conditions=cond, ax=ax)
    assert len(ax.collections) >= 3  # one scatter per replicate (+ error bars)
    offsets = np.concatenate([c.get_offsets() for c in ax.collections[:3]])
    assert len(offsets) == 6
    assert "**" in {t.get_text() for t in ax.texts}
    plt.close(fig)
    joined = reps.assign(viability=[100, 100, 100, 60, 55, 58],
                         log2_fold_change=np.log2(reps["fold_change"]))
    fig, ax = plt.subplots()
    plot_correlation(joined, target="phospho-S6", cell_line="786-O", ax=ax)
    pts = np.concatenate([c.get_offsets() for c in ax.collections])
    assert len(pts) == 6
    plt.close(fig)
    with pytest.raises(InvalidInputError, match="Caki-1"):
        plot_replicates(reps, target="phospho-S6", cell_line="Caki-1")
