"""The HTML report: self-contained, complete, and rendered by a real browser."""

from __future__ import annotations

import base64
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from blotquant.report import ReportFigure, ReportTable, render_report, write_report


def _figure(tmp_path: Path, name: str) -> Path:
    from blotquant.figures.experiment import plot_replicates
    from blotquant.figures.style import save_figure

    reps = pd.DataFrame({"target": "phospho-S6", "cell_line": "786-O",
                         "treatment": ["vehicle"] * 3 + ["temsirolimus 10 nM"] * 3,
                         "replicate": [1, 2, 3] * 2,
                         "fold_change": [1.0, 1.0, 1.0, 0.4, 0.5, 0.45]})
    ax = plot_replicates(reps, target="phospho-S6", cell_line="786-O")
    save_figure(ax.figure, tmp_path / name)
    import matplotlib.pyplot as plt

    plt.close(ax.figure)
    return tmp_path / f"{name}.png"


def _report(tmp_path: Path) -> tuple[str, dict]:
    figs = [ReportFigure("Blots", f"Figure {i}", _figure(tmp_path, f"fig{i}"), "caption",
                         (f"figures/fig{i}.pdf",)) for i in range(2)]
    table = pd.DataFrame({"target": ["phospho-S6", "<b>x</b>"], "r": [-0.91, np.nan],
                          "reached": [True, False]})
    tables = [ReportTable("Results", "Correlations", table, "join/correlations.csv", "", True),
              ReportTable("Blots", "Lanes", table, "blots/lanes.csv")]
    flags = pd.DataFrame([{"source": "blot", "item": "phospho-S6 | M1 lane 2",
                           "flag": "saturated", "detail": "786-O"}])
    digest = "ab" * 32
    prov = {"versions": {"blotquant": "0.1.0", "numpy": np.__version__},
            "parameters": {"join": {"level": 0.95}}, "created": "now",
            "inputs": pd.DataFrame([{"file": "samples.csv", "bytes": 10, "sha256": digest}])}
    html = render_report(title="Test experiment", figures=figs, tables=tables, flags=flags,
                         provenance=prov, simulated=True, summary=["one result"])
    return html, {"digest": digest, "figs": figs}


def test_report_contains_everything(tmp_path):
    html, info = _report(tmp_path)
    assert html.count('src="data:image/png;base64,') == 2
    # the embedded bytes are the PNG files themselves
    png = info["figs"][0].png.read_bytes()
    assert base64.b64encode(png).decode() in html
    for name in ("join/correlations.csv", "blots/lanes.csv", "figures/fig0.pdf",
                 "figures/fig1.pdf", info["digest"], "SIMULATED DATA", "saturated",
                 "phospho-S6 | M1 lane 2", "Quality flags (1)", np.__version__):
        assert name in html, name
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html  # escaped
    assert "-0.91" in html


def test_report_without_flags_says_so(tmp_path):
    html = render_report(title="t", figures=[], tables=[], provenance={},
                         flags=pd.DataFrame(columns=["source", "item", "flag", "detail"]))
    assert "No quality flags." in html


_MARK_IMAGES = """<script>
window.addEventListener('load', function () {
  var imgs = Array.from(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-images', imgs.length + '/' + ok);
});
</script></body>"""


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_report_renders_in_chromium(tmp_path):
    from PIL import Image

    html, _ = _report(tmp_path)
    page = write_report(tmp_path / "report.html", html.replace("</body>", _MARK_IMAGES))
    base = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--virtual-time-budget=5000"]
    shot = tmp_path / "shot.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([*base, f"--user-data-dir={profile}", f"--screenshot={shot}",
                        "--window-size=1280,2000", page.as_uri()],
                       check=True, capture_output=True, timeout=120)
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run([*base, f"--user-data-dir={profile}", "--dump-dom",
                              page.as_uri()], check=True, capture_output=True, text=True,
                             timeout=120).stdout
    assert 'data-images="2/2"' in dom  # both figures decoded (naturalWidth > 0)
    img = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert img.shape == (2000, 1280)
    dark = (img < 128).mean()
    assert 0.005 < dark < 0.5  # text and figures drawn, not blank
    assert img.std() > 10
