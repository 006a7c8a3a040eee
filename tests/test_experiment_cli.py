"""``blotquant analyze SHEET --out DIR`` in-process: outputs, hashes, atomicity."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import tifffile

from blotquant.cli import main
from blotquant.image.synthetic import make_blot

CENTRES = [40.0, 100.0, 160.0, 220.0]


def _experiment(folder):
    target = make_blot(shape=(200, 280), lane_centers=CENTRES, band_rows=(80,),
                       amounts=np.array([[2000.0], [1000.0], [2000.0], [800.0]]), rng=3)
    actin = make_blot(shape=(200, 280), lane_centers=CENTRES, band_rows=(120,),
                      amounts=np.full((4, 1), 1500.0), rng=5)
    tifffile.imwrite(folder / "ps6.tif", target.image)
    tifffile.imwrite(folder / "actin.tif", actin.image)
    sheet = folder / "sheet.csv"
    sheet.write_text(
        "[images]\nfile,target,membrane,polarity\nps6.tif,phospho-S6,M1,light\n"
        "actin.tif,beta-actin,M1,light\n\n[lanes]\nmembrane,lane,cell_line,treatment,replicate\n"
        "M1,1,786-O,vehicle,1\nM1,2,786-O,temsirolimus 10 nM,1\n"
        "M1,3,786-O,vehicle,2\nM1,4,786-O,temsirolimus 10 nM,2\n\n"
        "[targets]\ntarget,loading_control\nphospho-S6,beta-actin\nbeta-actin,\n")
    return sheet, target, actin


def test_cli_writes_tables_and_hashes(tmp_path):
    sheet, target, actin = _experiment(tmp_path)
    out = tmp_path / "out"
    assert main(["analyze", str(sheet), "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"lanes.csv", "replicates.csv", "conditions.csv", "lane_matching.csv",
            "band_choice.csv", "ladders.csv", "linear_ranges.csv", "params.json",
            "images"} <= names
    assert {p.name for p in (out / "images").iterdir()} == {
        "ps6.tif.bands.csv", "ps6.tif.lanes.csv", "actin.tif.bands.csv", "actin.tif.lanes.csv"}
    params = json.loads((out / "params.json").read_text())
    digest = hashlib.sha256((tmp_path / "ps6.tif").read_bytes()).hexdigest()
    assert params["inputs_sha256"]["ps6.tif"] == digest
    assert params["experiment"]["method"] == "dunnett"
    lanes = pd.read_csv(out / "lanes.csv")
    ps6 = lanes[lanes["target"] == "phospho-S6"].set_index("lane")
    truth_t = target.bands.groupby("lane")["volume"].sum()
    truth_l = actin.bands.groupby("lane")["volume"].sum()
    ratio = truth_t / truth_l
    expected = ratio / ratio[[1, 3]].mean()
    np.testing.assert_allclose(ps6["fold_change"], expected.loc[ps6.index], rtol=0.05)
    cond = pd.read_csv(out / "conditions.csv")
    assert set(cond["treatment"]) == {"vehicle", "temsirolimus 10 nM"}


def test_cli_bad_sheet_writes_nothing(tmp_path, capsys):
    sheet, _, _ = _experiment(tmp_path)
    sheet.write_text(sheet.read_text().replace("temsirolimus 10 nM,1", "temsirolimus 10,1"))
    out = tmp_path / "out"
    assert main(["analyze", str(sheet), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "sheet.csv line 9 (treatment)" in err and "no usable unit" in err
    assert not out.exists()
