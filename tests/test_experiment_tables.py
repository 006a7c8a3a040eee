"""The experiment layer on hand-made tables: exact answers known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from blotquant._schema import BAND_COLUMNS
from blotquant.errors import BlotquantWarning, InvalidInputError
from blotquant.experiment import (
    analyze_experiment,
    choose_bands,
    compare_conditions,
    fit_ladder,
    fit_linear_range,
    match_lanes,
    match_membrane,
    read_sample_sheet,
    summarize_replicates,
)

# ----------------------------------------------------------------------------- units


def test_match_lanes_shift_and_missing_lane():
    ref = np.arange(8) * 40.0 + 30
    img = np.delete(ref, 4) + 17.0  # shifted 17 px, lane 5 not detected
    m = match_lanes(img, ref)
    assert m.lanes == (1, 2, 3, 4, 6, 7, 8)
    assert m.shift == pytest.approx(-17.0)
    assert not m.ambiguous


def test_match_membrane_prefers_leaving_ladder_unmatched():
    # no image shows all 6 lanes: the missing one is the ladder (lane 1), not lane 6
    m, ref = match_membrane({"a": [100, 140, 180, 220, 260]}, n_lanes=6, optional=[1])
    assert ref == ""
    assert m["a"].lanes == (2, 3, 4, 5, 6)


def test_fit_ladder_log_linear_and_subset():
    y = np.array([20.0, 60.0, 100.0, 140.0])
    mw = 10 ** (2.5 - 0.005 * y)
    fit = fit_ladder(y, mw)
    assert fit.slope == pytest.approx(-0.005) and fit.intercept == pytest.approx(2.5)
    assert fit.r2 == pytest.approx(1.0)
    # one extra marker size without a detected band: the right pairing is found
    extra = fit_ladder(y, [*mw, 10 ** (2.5 - 0.005 * 300)])
    assert extra.n_unassigned == 1
    assert extra.intercept == pytest.approx(2.5)
    with pytest.raises(InvalidInputError, match="need at least 2 pairs"):
        fit_ladder([10.0], [100.0])


def test_choose_bands_by_mw_doublet_and_tolerance():
    fit = fit_ladder([20.0, 60.0, 100.0, 140.0], 10 ** (2.5 - 0.005 * np.array([20, 60, 100, 140])))
    rows = pd.DataFrame({"band": [1, 2, 3], "y": [150.0, 192.0, 200.0],
                         "fraction": [0.5, 0.64, 0.67], "volume": [5.0, 2.0, 3.0],
                         "n_detected": [4, 4, 4]})
    mw = fit.mw_at(rows["y"])
    choice = choose_bands(rows, mw_kda=(float(mw[1]), float(mw[2])), ladder=fit)
    assert choice.rows == (2, 3) and choice.rule == "mw"
    far = choose_bands(rows, mw_kda=(250.0,), ladder=fit)
    assert far.rows == (None,) and "250 kDa" in far.note
    assert choose_bands(rows).rows == (1,)
    assert choose_bands(rows, mw_kda=(30.0,)).rule == "strongest"
    assert choose_bands(rows, y_fraction=(0.63,)).rows == (2,)


def test_linear_range_finds_saturating_top():
    load = [1, 2, 4, 8, 16, 32]
    vol = [100, 200, 400, 800, 1200, 1300]  # saturates above 8
    r = fit_linear_range(load, vol)
    assert (r.n_linear, r.load_min, r.load_max) == (4, 1.0, 8.0)
    assert (r.volume_min, r.volume_max) == (100.0, 800.0)
    assert r.slope == pytest.approx(100.0) and r.r2 == pytest.approx(1.0)
    assert r.contains([50, 100, 500, 801]).tolist() == [False, True, True, False]


def _replicates(values):
    rows = []
    for treatment, fcs in values.items():
        for i, fc in enumerate(fcs, start=1):
            rows.append({"target": "pS6", "cell_line": "786-O", "treatment": treatment,
                         "agents": treatment.split()[0], "dose": 0.0, "unit": "", "time": "",
                         "replicate": str(i), "is_reference": treatment == "vehicle",
                         "n_lanes": 1, "n_membranes": 1, "n_flagged": 0, "ratio": fc,
                         "fold_change": fc})
    return pd.DataFrame(rows)


def test_condition_statistics_match_scipy_and_statsmodels():
    from statsmodels.stats.multitest import multipletests

    values = {"vehicle": [0.9, 1.0, 1.1, 1.05], "A 1 nM": [0.5, 0.6, 0.55, 0.7],
              "B 1 nM": [1.0, 1.2, 0.95, 1.1]}
    reps = _replicates(values)
    dun = compare_conditions(reps).set_index("treatment")
    ref = np.array(values["vehicle"])
    a, b = np.array(values["A 1 nM"]), np.array(values["B 1 nM"])
    assert dun.loc["A 1 nM", "mean"] == pytest.approx(a.mean())
    assert dun.loc["A 1 nM", "sd"] == pytest.approx(a.std(ddof=1))
    assert dun.loc["A 1 nM", "sem"] == pytest.approx(a.std(ddof=1) / 2)
    assert dun.loc["A 1 nM", "cv"] == pytest.approx(a.std(ddof=1) / a.mean())
    assert dun.loc["A 1 nM", "p_welch"] == pytest.approx(
        stats.ttest_ind(a, ref, equal_var=False).pvalue)
    expected = stats.dunnett(a, b, control=ref, random_state=0).pvalue
    assert dun.loc[["A 1 nM", "B 1 nM"], "p_adjusted"].to_numpy() == pytest.approx(expected,
                                                                                   rel=1e-3)
    assert dun.loc["A 1 nM", "p_anova"] == pytest.approx(stats.f_oneway(ref, a, b).pvalue)
    assert np.isnan(dun.loc["vehicle", "p_welch"])
    holm = compare_conditions(reps, method="holm").set_index("treatment")
    pw = [stats.ttest_ind(x, ref, equal_var=False).pvalue for x in (a, b)]
    assert holm.loc[["A 1 nM", "B 1 nM"], "p_adjusted"].to_numpy() == pytest.approx(
        multipletests(pw, method="holm")[1])
    assert set(holm["method"]) == {"holm"}


def test_constant_reference_is_one_sample_test():
    values = {"vehicle": [1.0, 1.0, 1.0], "A 1 nM": [0.5, 0.62, 0.55]}
    out = compare_conditions(_replicates(values)).set_index("treatment")
    assert out.loc["A 1 nM", "p_welch"] == pytest.approx(
        stats.ttest_1samp(values["A 1 nM"], 1.0).pvalue)
    assert out.loc["vehicle", "sd"] == 0.0


def test_technical_lanes_averaged_before_replicates():
    lanes = pd.DataFrame({
        "target": "pS6", "cell_line": "786-O", "treatment": ["vehicle"] * 4 + ["A 1 nM"] * 4,
        "agents": "x", "dose": 0.0, "unit": "", "time": "",
        "replicate": ["1", "1", "2", "2"] * 2, "membrane": ["M1", "M1", "M2", "M2"] * 2,
        "is_reference": [True] * 4 + [False] * 4, "ratio": 1.0,
        "fold_change": [0.9, 1.1, 1.0, 1.0, 0.4, 0.6, 0.7, np.nan],
        "saturated": [False] * 5 + [True, False, False], "below_detection": False,
        "loading_outlier": False, "outside_linear_range": False, "lane_missing": False})
    reps = summarize_replicates(lanes)
    a = reps[reps["treatment"] == "A 1 nM"].set_index("replicate")
    assert a.loc["1", "fold_change"] == pytest.approx(0.5)
    assert a.loc["1", "n_lanes"] == 2 and a.loc["1", "n_flagged"] == 1
    assert a.loc["2", "n_lanes"] == 1  # the NaN lane is not a measurement
    strict = summarize_replicates(lanes, exclude_flags=["saturated"])
    assert strict.set_index(["treatment", "replicate"]).loc[("A 1 nM", "1"), "fold_change"] == 0.4
    with pytest.raises(InvalidInputError, match="unknown flag"):
        summarize_replicates(lanes, exclude_flags=["blurry"])


# ------------------------------------------------------------ pipeline on given tables


def bands_table(name, xs, ys, volumes, *, saturated=(), undetected=()):
    """Bands table with lanes at ``xs``, rows at ``ys`` and volumes[lane][row]."""
    recs = []
    for li, x in enumerate(xs, start=1):
        for bi, y in enumerate(ys, start=1):
            v = float(volumes[li - 1][bi - 1])
            det = v > 0 and (li, bi) not in undetected
            recs.append({"image": name, "membrane": 1, "lane": li, "band": bi, "detected": det,
                         "x": x, "y": y, "x_left": x - 8, "x_right": x + 8, "y_top": y - 4,
                         "y_bottom": y + 4, "volume": v, "area": 80.0, "peak": v / 40,
                         "background": 10.0, "noise": 1.0, "snr": v / 10 if det else 1.0,
                         "n_saturated": 5 if (li, bi) in saturated else 0,
                         "saturated": (li, bi) in saturated})
    return pd.DataFrame(recs, columns=list(BAND_COLUMNS))


SHEET = """[images]
file,target,membrane,exposure,kind
casp.tif,cleaved caspase-3,M1,,
casp_sep.tif,cleaved caspase-3 separate,M1,,
ponceau.tif,Ponceau S,M1,,stain
[lanes]
membrane,lane,kind,cell_line,treatment,replicate,load,markers
M1,1,ladder,,,,,100;50;25;10
M1,2,sample,786-O,vehicle,1,,
M1,3,sample,786-O,temsirolimus 10 nM,1,,
M1,4,sample,786-O,IFN-alpha 100 IU/mL,1,,
M1,5,dilution,,,,1,
M1,6,dilution,,,,2,
M1,7,dilution,,,,4,
M1,8,dilution,,,,8,
[targets]
target,loading_control,mw_kda,combine
cleaved caspase-3,Ponceau S,19;17,sum
cleaved caspase-3 separate,Ponceau S,19;17,separate
"""

XS = [30.0 + 40 * i for i in range(8)]
# ladder rows 100/50/25/10 kDa at y = 20, 60, 100, 153 (log-linear, slope -log10(2)/40)
LADDER_Y = [20.0, 60.0, 100.0, 20 + 40 * np.log2(10)]


def _mw_y(mw):
    return 20 + 40 * np.log2(100 / mw)


def _experiment_tables():
    ys = [*LADDER_Y, _mw_y(19), _mw_y(17)]  # rows 1-4 ladder, 5-6 the doublet
    vols = []
    for lane in range(1, 9):
        if lane == 1:
            vols.append([900, 900, 900, 900, 0, 0])
        elif lane <= 4:
            k = {2: 1.0, 3: 2.0, 4: 3.0}[lane]
            vols.append([0, 0, 0, 0, 100 * k, 50 * k])
        else:
            load = {5: 1, 6: 2, 7: 4, 8: 8}[lane]
            vols.append([0, 0, 0, 0, 100 * min(load, 4), 50 * min(load, 4)])
    casp = bands_table("casp", XS, ys, vols, saturated={(8, 5)})
    ponceau = bands_table("ponceau", XS, [40.0, 80.0, 120.0],
                          [[0, 0, 0], [500, 500, 0], [500, 500, 0], [1000, 1000, 0],
                           [125, 125, 0], [250, 250, 0], [500, 500, 0], [1000, 1000, 0]])
    return {"casp.tif": casp, "casp_sep.tif": casp.copy(), "ponceau.tif": ponceau}


@pytest.fixture
def handmade(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text(SHEET)
    return read_sample_sheet(path, check_files=False)


def test_doublet_total_protein_and_dilution(handmade):
    res = analyze_experiment(handmade, bands=_experiment_tables())
    lanes = res.lanes.set_index(["target", "lane"])
    s = "cleaved caspase-3"
    # MW rule found the doublet rows 5 and 6 via the ladder
    assert lanes.loc[(s, 2), "band"] == "5+6" and lanes.loc[(s, 2), "band_rule"] == "mw"
    assert lanes.loc[(s, 2), "volume"] == 150.0
    # total-protein normalisation: lane 4 has twice the protein of lane 2
    assert lanes.loc[(s, 4), "loading_volume"] == 2000.0
    assert lanes.loc[(s, 3), "fold_change"] == pytest.approx(2.0)
    assert lanes.loc[(s, 4), "fold_change"] == pytest.approx(1.5)
    # lane 4's stain deviates from the membrane median (1000) by exactly 1 > 0.5
    assert lanes["loading_outlier"].groupby(level="lane").all().to_dict() == {
        2: False, 3: False, 4: True}
    # separate bands keep their own names and fold changes
    sep = res.lanes[res.lanes["target"].str.startswith("cleaved caspase-3 separate")]
    assert sorted(set(sep["target"])) == ["cleaved caspase-3 separate (17 kDa)",
                                          "cleaved caspase-3 separate (19 kDa)"]
    assert sep.set_index(["target", "lane"]).loc[
        ("cleaved caspase-3 separate (17 kDa)", 3), "volume"] == 100.0
    # dilution series: linear up to load 4 (volume 150..600), lane 4 (450) inside
    lr = res.linear_ranges.set_index("target")
    assert lr.loc[s, "n_linear"] == 3 and lr.loc[s, "volume_max"] == 600.0
    assert not lanes["outside_linear_range"].any()
    assert set(res.band_choice["rule"]) == {"mw", "lane_total"}
    assert res.ladders["r2"].dropna().iloc[0] == pytest.approx(1.0)


def test_outside_linear_range_and_saturation(handmade):
    tables = _experiment_tables()
    casp = tables["casp.tif"]
    casp.loc[(casp["lane"] == 4) & (casp["band"] == 5), "volume"] = 1000.0
    casp.loc[(casp["lane"] == 4) & (casp["band"] == 5), "saturated"] = True
    res = analyze_experiment(handmade, bands=tables)
    lanes = res.lanes[res.lanes["target"] == "cleaved caspase-3"].set_index("lane")
    assert lanes["outside_linear_range"].to_dict() == {2: False, 3: False, 4: True}
    assert lanes["saturated"].to_dict() == {2: False, 3: False, 4: True}
    assert not lanes["below_detection"].any()


def test_below_detection_and_missing_band(handmade):
    tables = _experiment_tables()
    casp = tables["casp.tif"]
    sel = (casp["lane"] == 3) & casp["band"].isin([5, 6])
    casp.loc[sel, "detected"] = False
    casp.loc[sel, "snr"] = 1.5
    res = analyze_experiment(handmade, bands=tables)
    lanes = res.lanes[res.lanes["target"] == "cleaved caspase-3"].set_index("lane")
    assert lanes["below_detection"].to_dict() == {2: False, 3: True, 4: False}


def test_exposure_choice_prefers_longest_unsaturated(tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("""[images]
file,target,membrane,exposure
short.tif,pS6,M1,5
long.tif,pS6,M1,60
mid.tif,pS6,M1,20
actin.tif,actin,M1,1
[lanes]
membrane,lane,cell_line,treatment,replicate
M1,1,786-O,vehicle,1
M1,2,786-O,temsirolimus 10 nM,1
[targets]
target,loading_control
pS6,actin
actin,
""")
    xs, ys = [20.0, 60.0], [50.0]
    tables = {"short.tif": bands_table("short", xs, ys, [[100], [50]]),
              "mid.tif": bands_table("mid", xs, ys, [[400], [200]]),
              "long.tif": bands_table("long", xs, ys, [[1000], [700]], saturated={(1, 1)}),
              "actin.tif": bands_table("actin", xs, ys, [[100], [100]])}
    res = analyze_experiment(sheet, bands=tables)
    used = res.band_choice.set_index("image")["used"].to_dict()
    assert used == {"short.tif": False, "long.tif": False, "mid.tif": True, "actin.tif": True}
    ps6 = res.lanes[res.lanes["target"] == "pS6"].set_index("lane")
    assert ps6.loc[2, "fold_change"] == pytest.approx(0.5)
    assert (ps6["image"] == "mid.tif").all()


def test_lane_no_image_shows_is_an_error(tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("[images]\nfile,target,membrane\na.tif,pS6,M1\nb.tif,actin,M1\n"
                     "[lanes]\nmembrane,lane,cell_line,treatment,replicate\n"
                     "M1,1,786-O,vehicle,1\nM1,2,786-O,vehicle,2\nM1,3,786-O,vehicle,3\n"
                     "[targets]\ntarget,loading_control\npS6,actin\nactin,\n")
    xs = [20.0, 60.0]
    tables = {"a.tif": bands_table("a", xs, [50.0], [[100], [100]]),
              "b.tif": bands_table("b", xs, [50.0], [[100], [100]])}
    with pytest.warns(BlotquantWarning, match="ambiguous"), \
            pytest.raises(InvalidInputError, match=r"line 9: lane 3 of membrane M1 was not found"):
        analyze_experiment(sheet, bands=tables)


def test_band_not_found_warns_and_flags(handmade):
    tables = _experiment_tables()
    casp = tables["casp.tif"]
    tables["casp.tif"] = casp[~casp["band"].isin([5, 6])].reset_index(drop=True)
    with pytest.warns(BlotquantWarning, match="reference lanes have no usable ratio"), \
            pytest.warns(BlotquantWarning, match="no band row within tolerance of 19 kDa, 17 kDa"):
        res = analyze_experiment(handmade, bands=tables, exclude_flags=["below_detection"])
    lanes = res.lanes[res.lanes["target"] == "cleaved caspase-3"]
    assert lanes["below_detection"].all() and lanes["volume"].isna().all()
