"""Sample sheet: reading CSV and XLSX, and every bad input named by its row."""

from __future__ import annotations

import re

import openpyxl
import pytest

from blotquant.errors import InvalidInputError
from blotquant.experiment import read_sample_sheet

IMAGES = "[images]\nfile,target,membrane,exposure\nps6.tif,phospho-S6,M1,30\nactin.tif,beta-actin,M1,5\n"
LANES = ("[lanes]\nmembrane,lane,kind,cell_line,treatment,time,replicate,markers\n"
         "M1,1,ladder,,,,,100;50;25\n"
         "M1,2,sample,786-O,vehicle,24 h,1,\n"
         "M1,3,sample,786-O,temsirolimus 10 nM + IFN-alpha 100 IU/mL,24 h,1,\n")
TARGETS = "[targets]\ntarget,loading_control,mw_kda,combine\nphospho-S6,beta-actin,32,\nbeta-actin,,42,\n"


def _write(tmp_path, text, *, images=True):
    path = tmp_path / "sheet.csv"
    path.write_text(text)
    if images:
        for name in ("ps6.tif", "actin.tif"):
            (tmp_path / name).write_bytes(b"x")
    return path


def test_reads_blocks_and_parses_treatments(tmp_path):
    sheet = read_sample_sheet(_write(tmp_path, IMAGES + "\n" + LANES + "\n" + TARGETS))
    assert [i.file for i in sheet.images] == ["ps6.tif", "actin.tif"]
    assert sheet.images[0].path == tmp_path / "ps6.tif"
    assert sheet.images[0].exposure == 30.0
    assert sheet.n_lanes("M1") == 3
    assert sheet.lanes[0].kind == "ladder" and sheet.lanes[0].markers == (100.0, 50.0, 25.0)
    assert sheet.lanes[2].treatment.label == "IFN-alpha 100 IU/mL + temsirolimus 10 nM"
    assert sheet.target("phospho-S6").mw_kda == (32.0,)
    assert sheet.target("phospho-S6").rule == "mw"
    assert sheet.loading_targets() == {"beta-actin"}
    table = sheet.lanes_table()
    assert table.loc[2, "agents"] == "IFN-alpha+temsirolimus"


def test_xlsx_sheets_equal_csv(tmp_path):
    csv_sheet = read_sample_sheet(_write(tmp_path, IMAGES + LANES + TARGETS))
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for block in (IMAGES, LANES, TARGETS):
        lines = block.strip().splitlines()
        ws = wb.create_sheet(lines[0].strip("[]"))
        for line in lines[1:]:
            ws.append([int(c) if c.isdigit() else (c or None) for c in line.split(",")])
    wb.save(tmp_path / "sheet.xlsx")
    xl = read_sample_sheet(tmp_path / "sheet.xlsx")
    assert xl.lanes_table().equals(csv_sheet.lanes_table())
    assert [i.target for i in xl.images] == [i.target for i in csv_sheet.images]
    assert xl.targets[0].loading_control == "beta-actin"


BAD = [
    # (replace old -> new in the good sheet, expected message pattern)
    ("ps6.tif,phospho-S6,M1,30", "missing.tif,phospho-S6,M1,30",
     r"line 3: image file 'missing.tif' not found"),
    ("M1,3,sample,786-O,temsirolimus", "M1,2,sample,786-O,temsirolimus",
     r"line 9: membrane M1 lane 2 is already described at sheet.csv line 8"),
    ("temsirolimus 10 nM +", "temsirolimus 10 +", r"line 9 \(treatment\).*no usable unit"),
    ("phospho-S6,beta-actin,32,", "phospho-S6,,32,", r"line 12: target 'phospho-S6' has no loading"),
    ("phospho-S6,beta-actin,32,", "phospho-S6,GAPDH,32,", r"line 12: loading control 'GAPDH'"),
    ("M1,2,sample,786-O,vehicle", "M1,2,sample,786-O,temsirolimus 1 nM",
     r"line 8: membrane M1, cell line '786-O' has no reference lane"),
    ("M1,2,sample,786-O,vehicle,24 h,1,", "M1,2,sample,786-O,vehicle,24 h,,",
     r"line 8: sample lane 2 of membrane M1 has no replicate"),
    ("[targets]", "[target]", r"line 10: unknown block \[target\]"),
    ("exposure\n", "exposure,colour\n", r"line 2: unknown column\(s\) \['colour'\]"),
    ("M1,1,ladder,,,,,100;50;25", "M1,1,ladder,,,,,25;50;100", r"line 7: marker sizes .* decrease"),
    ("combine\n", "combine\n", None),
]


@pytest.mark.parametrize(("old", "new", "pattern"), BAD)
def test_bad_sheet_names_row_and_problem(tmp_path, old, new, pattern):
    text = IMAGES + LANES + TARGETS
    assert old in text
    path = _write(tmp_path, text.replace(old, new, 1))
    if pattern is None:
        read_sample_sheet(path)  # the unchanged sheet is fine
        return
    with pytest.raises(InvalidInputError, match=pattern):
        read_sample_sheet(path)


def test_reference_that_does_not_exist(tmp_path):
    text = IMAGES + LANES + TARGETS + "[references]\ncell_line,treatment\n786-O,temsirolimus 1 nM\n"
    with pytest.raises(InvalidInputError, match=re.escape("line 16: reference 'temsirolimus 1 nM'")
                       + ".*matches no sample lane"):
        read_sample_sheet(_write(tmp_path, text))


def test_reference_row_overrides_vehicle(tmp_path):
    from blotquant.experiment.sheet import reference_lanes

    text = IMAGES + LANES + TARGETS + "[references]\ntreatment\ntemsirolimus 10 nM + IFN-alpha 100 IU/mL\n"
    sheet = read_sample_sheet(_write(tmp_path, text))
    assert [ln.lane for ln in reference_lanes(sheet, "M1", "786-O")] == [3]


def test_target_without_loading_image_on_membrane(tmp_path):
    text = (IMAGES.replace("actin.tif,beta-actin,M1,5", "actin.tif,beta-actin,M2,5")
            + LANES + "M2,1,sample,786-O,vehicle,24 h,2,\n" + TARGETS)
    with pytest.raises(InvalidInputError, match=r"line 3: target 'phospho-S6' on membrane M1 has "
                                                r"no image of its loading control"):
        read_sample_sheet(_write(tmp_path, text))


def test_lane_beyond_image_lane_count(tmp_path):
    text = IMAGES.replace("exposure\n", "exposure,n_lanes\n").replace(",30\n", ",30,2\n") \
        .replace(",5\n", ",5,\n") + LANES + TARGETS
    with pytest.raises(InvalidInputError, match=r"line 3: n_lanes 2 .* lane 3 of membrane M1"):
        read_sample_sheet(_write(tmp_path, text))
