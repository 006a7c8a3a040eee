"""Plate-reader readers and layouts: real exports in ../shared/real_more and round trips."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from blotquant.errors import InvalidInputError
from blotquant.viability.layout import layout_from_table, match_layout, read_layout
from blotquant.viability.plates import PLATE_COLUMNS, detect_plate_format, read_plate

REAL = "real_more"


def _value(table: pd.DataFrame, well: str, wavelength: float | None = None, **kw) -> float:
    sel = table[table["well"] == well]
    if wavelength is not None:
        sel = sel[np.isclose(sel["wavelength"], wavelength)]
    for key, val in kw.items():
        sel = sel[sel[key] == val]
    assert len(sel) == 1, sel
    return float(sel["value"].iloc[0])


# --------------------------------------------------------------------------- real exports
def test_softmax_two_wavelengths(shared_dir):
    t = read_plate(shared_dir / REAL / "ezmtt_softmaxpro_mtt_562_660_plate.txt")
    assert t.attrs["format"] == "softmax"
    assert list(t.columns) == list(PLATE_COLUMNS)
    assert len(t) == 192
    assert set(t["plate"]) == {"Plate#1"}
    assert sorted(t["wavelength"].unique()) == [562.0, 660.0]
    # hand-picked from the file: row A starts 0.5625 (562) and 0.0688 (660); H12 0.7763 / 0.0865
    assert _value(t, "A1", 562) == pytest.approx(0.5625)
    assert _value(t, "A1", 660) == pytest.approx(0.0688)
    assert _value(t, "A6", 562) == pytest.approx(0.0471)
    assert _value(t, "H12", 562) == pytest.approx(0.7763)
    assert _value(t, "H12", 660) == pytest.approx(0.0865)


def test_bmg_mars_384(shared_dir):
    t = read_plate(shared_dir / REAL / "allotropy_bmgmars_pherastar_abs384_2fold_dye_dilution.csv")
    assert t.attrs["format"] == "grid"
    assert len(t) == 384 and t["col"].max() == 24 and t["row"].nunique() == 16
    assert t["value"].notna().sum() == 99  # MARS leaves empty wells blank
    assert (t.loc[t["value"].isna(), "flag"] == "no value").all()
    assert _value(t, "C1") == pytest.approx(2.368)
    assert _value(t, "I7") == pytest.approx(0.07)
    assert _value(t, "P24") == pytest.approx(0.032)
    assert math.isnan(_value(t, "J1"))
    blanks = t[t["row"].isin(["A", "B", "O", "P"])]["value"].mean()
    assert blanks == pytest.approx(0.0318, abs=5e-4)  # README: blank mean 0.0318


def test_envision_blocks(shared_dir):
    t = read_plate(shared_dir / REAL / "allotropy_envision_abs562_384_bca.csv")
    assert t.attrs["format"] == "envision"
    assert len(t) == 3 * 384
    bca = t[t["measurement"] == "BCA Absorbance @ 562"]
    assert len(bca) == 384 and set(bca["plate"]) == {"1"}
    assert (bca["wavelength"] == 562).all()
    assert _value(bca, "A1") == pytest.approx(2.63)
    assert _value(bca, "A24") == pytest.approx(2.727)
    assert _value(bca, "P1") == pytest.approx(2.921)
    assert bca["value"].between(2.6, 3.31).all()


def test_tecan_icontrol(shared_dir):
    t = read_plate(shared_dir / REAL / "tread_tecan_icontrol_infinite200pro_abs600_endpoint.xlsx")
    assert t.attrs["format"] == "tecan"
    assert len(t) == 96 and (t["wavelength"] == 600).all()
    assert _value(t, "A1") == pytest.approx(0.0932, abs=1e-6)
    assert _value(t, "D10") == pytest.approx(1.2636, abs=1e-6)
    assert _value(t, "H12") == pytest.approx(0.0889, abs=1e-6)


def test_gen5_overflow_flags(shared_dir):
    t = read_plate(shared_dir / REAL / "allotropy_gen5_abs450_ovrflw_SIMULATED.txt")
    assert t.attrs["format"] == "gen5"
    assert len(t) == 96 and (t["wavelength"] == 450).all()
    assert set(t.loc[t["flag"] == "OVRFLW", "well"]) == {
        "A8", "B7", "C6", "D5", "E4", "F3", "G2", "H1"}
    assert set(t.loc[t["flag"] == "MISSED", "well"]) == {"D12", "E11", "F10", "G9", "H8"}
    assert t.loc[t["flag"] != "", "value"].isna().all()
    assert _value(t, "A1") == pytest.approx(2.1)
    assert _value(t, "H12") == pytest.approx(2.5)


def test_gen5_interleaved_results(shared_dir):
    t = read_plate(shared_dir / REAL / "allotropy_gen5_layout_stdcurve_MOCKVALUES.txt")
    assert len(t) == 96 and (t["wavelength"] == 630).all()
    # only the raw read row per letter (not the blank-subtracted / concentration rows)
    assert _value(t, "A1") == pytest.approx(3.337)
    assert _value(t, "H1") == pytest.approx(0.001)
    assert _value(t, "H12") == pytest.approx(0.194)


def test_skanit_raw_sheet_only(shared_dir):
    t = read_plate(shared_dir / REAL / "allotropy_skanit_varioskan_elisa_stdcurve_4pl.xlsx")
    assert t.attrs["format"] == "skanit"
    assert len(t) == 96 and (t["wavelength"] == 450).all()
    assert _value(t, "A1") == pytest.approx(1.7455)
    assert _value(t, "H1") == pytest.approx(0.0905)
    # the Blank Subtraction sheet is a calculation; asking for it by name reads it
    b = read_plate(shared_dir / REAL / "allotropy_skanit_varioskan_elisa_stdcurve_4pl.xlsx",
                   sheet="Blank Subtraction 1_02")
    assert _value(b, "A1") == pytest.approx(1.655)


def test_semicolon_matrix(shared_dir):
    t = read_plate(shared_dir / REAL / "axpknickei_mtt_5fu_abs_plate.csv")
    assert t.attrs["format"] == "grid"
    assert len(t) == 96 and t["value"].notna().sum() == 48
    assert _value(t, "C4") == pytest.approx(0.1181)
    assert _value(t, "E4") == pytest.approx(0.3765)
    assert _value(t, "E2") == pytest.approx(0.9827)
    assert _value(t, "F9") == pytest.approx(0.1317)


# --------------------------------------------------------------------------- round trips
def _grid_lines(values: np.ndarray, *, sep: str = ",") -> list[str]:
    n_rows, n_cols = values.shape
    lines = [sep + sep.join(str(c) for c in range(1, n_cols + 1))]
    for r in range(n_rows):
        lines.append(chr(65 + r) + sep + sep.join(f"{v:.4f}" for v in values[r]))
    return lines


def test_grid_two_plates_two_wavelengths(tmp_path):
    rng = np.random.default_rng(0)
    a, b, c = (rng.uniform(0, 2, (8, 12)) for _ in range(3))
    lines = ["Plate 1", "Wavelength: 570 nm", *_grid_lines(a), "", "Wavelength: 630 nm",
             *_grid_lines(b), "", "Plate 2", "570 nm", *_grid_lines(c)]
    path = tmp_path / "two.csv"
    path.write_text("\n".join(lines))
    t = read_plate(path)
    assert t.groupby(["plate", "wavelength"]).size().to_dict() == {
        ("Plate 1", 570.0): 96, ("Plate 1", 630.0): 96, ("Plate 2", 570.0): 96}
    assert _value(t, "B3", 570, plate="Plate 1") == pytest.approx(round(a[1, 2], 4))
    assert _value(t, "H12", 630, plate="Plate 1") == pytest.approx(round(b[7, 11], 4))
    assert _value(t, "A1", 570, plate="Plate 2") == pytest.approx(round(c[0, 0], 4))


def test_grid_384_xlsx_and_long(tmp_path):
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 2, (16, 24))
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["A570", *range(1, 25)])
    for r in range(16):
        ws.append([chr(65 + r), *a[r].tolist()])
    book.save(tmp_path / "p384.xlsx")
    t = read_plate(tmp_path / "p384.xlsx")
    assert len(t) == 384 and (t["wavelength"] == 570).all()
    assert _value(t, "P24") == pytest.approx(a[15, 23])
    long = pd.DataFrame({"Well": ["A01", "B2", "c3"], "Absorbance": [0.5, 1.5, "OVRFLW"]})
    long.to_csv(tmp_path / "long.csv", index=False)
    assert detect_plate_format(tmp_path / "long.csv") == "long"
    t = read_plate(tmp_path / "long.csv", plate="P9")
    assert list(t["well"]) == ["A1", "B2", "C3"] and set(t["plate"]) == {"P9"}
    assert t["flag"].tolist() == ["", "", "OVRFLW"]


def test_bad_plate_files(tmp_path):
    with pytest.raises(InvalidInputError, match="no such file"):
        read_plate(tmp_path / "missing.csv")
    (tmp_path / "junk.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InvalidInputError, match=r"junk\.csv: no plate grid"):
        read_plate(tmp_path / "junk.csv")
    with pytest.raises(InvalidInputError, match="unknown plate format"):
        read_plate(tmp_path / "junk.csv", format="nope")


# --------------------------------------------------------------------------- layouts
def _long_layout() -> pd.DataFrame:
    return pd.DataFrame({
        "plate": ["P1"] * 5,
        "well": ["A1", "A2", "A3", "A4", "A5"],
        "type": ["blank", "vehicle", "treated", "treated", ""],
        "cell_line": ["", "786-O", "786-O", "786-O", "786-O"],
        "treatment": ["", "DMSO", "temsirolimus 0.01 uM", "temsirolimus 10 nM + IFN-alpha 100 IU/mL",
                      "IFN-alpha 50 IU/mL"],
        "replicate": ["", "1", "1", "1", "1"],
    })


def test_layout_long_parses_treatments(tmp_path):
    _long_layout().to_csv(tmp_path / "layout.csv", index=False)
    lay = read_layout(tmp_path / "layout.csv")
    assert lay["type"].tolist() == ["blank", "vehicle", "treated", "treated", "treated"]
    assert lay.loc[2, "treatment"] == "temsirolimus 10 nM"
    assert lay.loc[2, "dose"] == 10.0 and lay.loc[2, "unit"] == "nM"
    assert lay.loc[3, "treatment"] == "IFN-alpha 100 IU/mL + temsirolimus 10 nM"
    assert lay.loc[3, "agents"] == "IFN-alpha+temsirolimus" and math.isnan(lay.loc[3, "dose"])
    assert lay.loc[1, "treatment"] == "vehicle"


def test_layout_grid_form(tmp_path):
    text = "\n".join([  # noqa: FLY002 - one line per file line
        "plate,P1",
        "type,1,2,3",
        "A,blank,vehicle,treated",
        "B,,vehicle,treated",
        "treatment,1,2,3",
        "A,,,temsirolimus 1 uM",
        "B,,,IFN-alpha 10 IU/mL",
        "cell_line,1,2,3",
        "A,,Caki-1,Caki-1",
        "B,,Caki-1,Caki-1",
    ])
    (tmp_path / "grid.csv").write_text(text)
    lay = read_layout(tmp_path / "grid.csv").set_index("well")
    assert lay.loc["A1", "type"] == "blank" and lay.loc["B1", "type"] == "empty"
    assert lay.loc["A3", "treatment"] == "temsirolimus 1000 nM"
    assert lay.loc["B3", "cell_line"] == "Caki-1" and lay.loc["B3", "unit"] == "IU/mL"
    assert set(lay["plate"]) == {"P1"}


@pytest.mark.parametrize(("change", "message"), [
    ({"treatment": ["", "DMSO", "temsirolimus 10", "DMSO", ""]},
     r"layout\.csv, plate P1, well A3"),
    ({"type": ["vehicle", "vehicle", "treated", "treated", ""]}, "no blank wells"),
    ({"type": ["blank", "treated", "treated", "treated", ""],
      "treatment": ["", "temsirolimus 1 nM", "temsirolimus 2 nM", "temsirolimus 3 nM", ""]},
     "no vehicle wells"),
    ({"type": ["blank", "vehicle", "dead", "treated", ""]}, "well A3: type 'dead'"),
    ({"well": ["A1", "A2", "A3", "A3", "A5"]}, "A3 of plate P1 is listed twice"),
])
def test_layout_errors_name_file_and_well(tmp_path, change, message):
    table = _long_layout()
    for k, v in change.items():
        table[k] = v
    table.to_csv(tmp_path / "layout.csv", index=False)
    with pytest.raises(InvalidInputError, match=message):
        read_layout(tmp_path / "layout.csv")


def test_layout_must_match_plate(tmp_path):
    plate = pd.DataFrame({"plate": "P1", "well": [f"A{c}" for c in range(1, 13)], "row": "A",
                          "col": range(1, 13), "wavelength": 570.0, "measurement": "",
                          "value": np.linspace(0.1, 1.2, 12), "flag": ""})
    lay = layout_from_table(_long_layout(), source="layout.csv")
    with pytest.raises(InvalidInputError, match=r"layout.csv: plate P1 has readings in wells \['A6'"):
        match_layout(plate, lay)
    extra = pd.concat([_long_layout(), pd.DataFrame({"plate": ["P1"], "well": ["H12"],
                                                     "type": ["empty"]})]).fillna("")
    small = plate[plate["col"] <= 5]
    with pytest.raises(InvalidInputError, match="well H12 of plate P1 is not on the plate"):
        match_layout(small, layout_from_table(extra, source="layout.csv"))
    other = _long_layout().assign(plate="P2")
    with pytest.raises(InvalidInputError, match=r"plate\(s\) \['P2'\] are not among"):
        match_layout(small, layout_from_table(other, source="layout.csv"))
    ok = match_layout(small, lay)
    assert len(ok) == 5 and ok.loc[ok["well"] == "A1", "replicate"].item() == "P1"
