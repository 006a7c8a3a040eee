"""Viability figures: returned Axes content (no pixel baselines) and atomic saving."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, PolyCollection, QuadMesh

from blotquant.errors import InvalidInputError
from blotquant.figures import style
from blotquant.figures import viability as fv
from blotquant.viability.combination import combination_index
from blotquant.viability.doseresponse import fit_curve
from blotquant.viability.synergy import synergy_scores


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _chou_like():
    m1, dm1, m2, dm2 = 1.2, 0.002, 1.5, 0.3
    rows = []
    for d in (0.001, 0.002, 0.005, 0.01, 0.02):
        rows.append((d, 0.0, 1 / (1 + (dm1 / d) ** m1)))
    for d in (0.05, 0.1, 0.3, 1.0, 2.0):
        rows.append((0.0, d, 1 / (1 + (dm2 / d) ** m2)))
    for k in (0.5, 1, 2, 4):
        rows.append((0.001 * k, 0.1 * k, [0.3, 0.55, 0.8, 0.97][int(np.log2(k)) + 1]))
    return pd.DataFrame(rows, columns=["a", "b", "fa"])


@pytest.fixture(scope="module")
def combo():
    return combination_index(_chou_like(), doses={"A": "a", "B": "b"}, interval="none")


@pytest.fixture(scope="module")
def scores():
    a, b = np.meshgrid([0, 0.5, 1, 2, 4.0], [0, 1, 3, 10.0], indexing="ij")
    a, b = a.ravel(), b.ravel()
    ia = 0.6 * a / (a + 1.0)
    ib = 0.25 * b / (b + 2.0)
    inh = ia + ib - ia * ib + 0.05 * ((a > 0) & (b > 0))
    return synergy_scores(pd.DataFrame({"dose_a": a, "dose_b": b, "response": inh}),
                          scale="inhibition")


def test_dose_response_axes():
    rng = np.random.default_rng(0)
    x = np.repeat([0, 0.1, 1, 10, 100, 1000.0], 3)
    data = []
    fits = {}
    for lab, e in (("786-O", 20.0), ("Caki-1", 80.0)):
        y = 100 / (1 + (x / e) ** 1.2) + rng.normal(0, 3, x.size)
        data.append(pd.DataFrame({"dose": x, "response": y, "curve": lab}))
        fits[lab] = fit_curve(x, y)
    data = pd.concat(data)
    ax = fv.plot_dose_response(data, fits, xlabel="temsirolimus (nM)")
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(scatters) == 2 and len(bands) == 2
    # every replicate drawn, vehicle at a finite positive offset position (never log 0)
    offsets = np.vstack([s.get_offsets() for s in scatters])
    assert len(offsets) == len(data)
    assert (offsets[:, 0] > 0).all() and (offsets[:, 0] < 0.1).sum() == 6
    assert ax.get_xscale() == "log"
    assert ax.get_xticklabels()[0].get_text() == "0"
    assert ax.get_xlabel() == "temsirolimus (nM)"
    fit_lines = [ln for ln in ax.get_lines() if ln.get_label().startswith("_fit ")]
    assert len(fit_lines) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["786-O", "Caki-1"]


def test_dose_response_needs_positive_dose():
    with pytest.raises(InvalidInputError, match="no dose > 0"):
        fv.plot_dose_response(pd.DataFrame({"dose": [0.0], "response": [1.0], "curve": "x"}))


def test_median_effect_plot(combo):
    ax = fv.plot_median_effect(combo.points, combo.fits)
    assert len(ax.collections) == 3  # A, B and the mixture
    lines = [ln for ln in ax.get_lines() if ln.get_label().startswith("_line")]
    assert len(lines) == 3
    # the drawn line goes through (log10 Dm, 0)
    fit_a = combo.fits.set_index("series").loc["A"]
    xd, yd = lines[0].get_data()
    assert np.interp(np.log10(fit_a["dm"]), xd, yd) == pytest.approx(0.0, abs=1e-9)


def test_fa_ci_plot_marks_extrapolation(combo):
    ax = fv.plot_fa_ci(combo.ci)
    ref = [ln for ln in ax.get_lines() if ln.get_label() == "additive (CI = 1)"]
    assert len(ref) == 1 and list(ref[0].get_ydata()) == [1.0, 1.0]
    labels = [c.get_label() for c in ax.collections if isinstance(c, PathCollection)]
    assert any("extrapolated" in lab for lab in labels)
    n_points = sum(len(c.get_offsets()) for c in ax.collections
                   if isinstance(c, PathCollection))
    assert n_points == combo.ci["ci"].notna().sum()
    assert ax.get_ylabel() == "Combination index (CI)"


def test_isobologram(combo):
    ax = fv.plot_isobologram(combo.dri)
    additive = [ln for ln in ax.get_lines() if ln.get_label() == "additive"]
    assert len(additive) == 1
    n_points = sum(len(c.get_offsets()) for c in ax.collections)
    assert n_points == combo.ci["ci"].notna().sum()
    # an isobologram point's coordinates sum to the (exclusive) CI
    lv = combo.ci.query("source == 'level' and fa == 0.5")["ci"].item()
    pts = np.vstack([c.get_offsets() for c in ax.collections])
    assert np.isclose(pts.sum(axis=1), lv).any()


def test_synergy_heatmap(scores):
    ax = fv.plot_synergy_heatmap(scores, model="bliss", xlabel="IFN-alpha (IU/mL)",
                                 ylabel="temsirolimus (nM)")
    meshes = [c for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(meshes) == 1
    arr = meshes[0].get_array()
    assert arr.size == 20
    assert len(ax.texts) == 20
    assert ax.get_title().startswith("Bliss")
    # combination cells carry the +5 % excess
    assert np.nanmax(arr) == pytest.approx(5.0, abs=1e-9)
    with pytest.raises(InvalidInputError, match="no rows"):
        fv.plot_synergy_heatmap(scores, model="musyc")


def test_save_figure_writes_all_formats(tmp_path, combo):
    fig, ax = style.new_figure("single", height_mm=60)
    fv.plot_fa_ci(combo.ci, ax=ax)
    paths = style.save_figure(fig, tmp_path / "sub" / "fa_ci")
    assert [p.name for p in paths] == ["fa_ci.pdf", "fa_ci.svg", "fa_ci.png"]
    assert paths[0].read_bytes()[:4] == b"%PDF"
    svg = paths[1].read_text()
    assert "<svg" in svg and "<text" in svg  # svg.fonttype 'none': text stays text
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == sorted(
        p.name for p in paths)  # no temporary files left
    pdf = paths[0].read_bytes()
    assert b"/FontFile2" in pdf  # TrueType (type 42) embedded
    with pytest.raises(InvalidInputError, match="formats"):
        style.save_figure(fig, tmp_path / "x", formats=("jpg",))


def test_figure_sizes_and_palette():
    w, h = style.figure_size("double", height_mm=90)
    assert (w * 25.4, h * 25.4) == pytest.approx((180.0, 90.0))
    assert style.figure_size("single")[0] * 25.4 == pytest.approx(85.0)
    assert len(set(style.OKABE_ITO)) == 8
    fig, _ = style.new_figure("single")
    assert fig.get_size_inches()[0] * 25.4 == pytest.approx(85.0)


def test_no_matplotlib_on_import():
    code = ("import sys, blotquant.figures, blotquant.viability.combination, "
            "blotquant.viability.synergy; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
