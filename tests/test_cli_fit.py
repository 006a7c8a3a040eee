"""``blotquant fit`` run in-process through :func:`blotquant.cli.main`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from blotquant.cli import main
from blotquant.viability.ed import ED_COLUMNS

FIT_COLUMNS = [
    "curve", "model", "b", "c", "d", "e", "b_se", "c_se", "d_se", "e_se", "rse", "df", "rss",
    "loglik", "aic", "n", "converged", "message",
]


def _ll4(x, b, c, d, e):
    return c + (d - c) / (1 + (np.asarray(x, dtype=float) / e) ** b)


@pytest.fixture
def two_lines(tmp_path):
    """Two cell lines, known IC50s 2 and 20 nM, vehicle at dose 0, tiny noise."""
    rng = np.random.default_rng(0)
    x = np.repeat([0, 0.3, 1, 3, 10, 30, 100, 300], 3).astype(float)
    rows = []
    for line, e in (("786-O", 2.0), ("Caki-1", 20.0)):
        y = _ll4(x, 1.2, 10.0, 100.0, e) + rng.normal(0, 0.5, x.size)
        rows.append(pd.DataFrame({"cell_line": line, "dose_nM": x, "viability": y}))
    path = tmp_path / "viability.csv"
    pd.concat(rows).to_csv(path, index=False)
    return path


def test_fit_writes_tables_and_params(two_lines, tmp_path):
    out = tmp_path / "res"
    rc = main(["fit", str(two_lines), "--dose", "dose_nM", "--response", "viability",
               "--curve", "cell_line", "--ed", "50", "90", "--type", "relative", "absolute",
               "--out", str(out)])
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == ["ed.csv", "fits.csv", "params.json"]
    fits = pd.read_csv(out / "fits.csv")
    assert list(fits.columns[: len(FIT_COLUMNS)]) == FIT_COLUMNS
    assert list(fits["curve"]) == ["786-O", "Caki-1"]
    np.testing.assert_allclose(fits["e"], [2.0, 20.0], rtol=0.03)
    assert fits["converged"].all()
    ed = pd.read_csv(out / "ed.csv")
    assert list(ed.columns) == list(ED_COLUMNS)
    assert len(ed) == 2 * 2 * 2
    rel50 = ed[(ed["type"] == "relative") & (ed["level"] == 50)]
    np.testing.assert_allclose(rel50["estimate"], [2.0, 20.0], rtol=0.03)
    # absolute 50 % viability with c = 10, d = 100: e * (50/40)^(1/1.2)
    abs50 = ed[(ed["type"] == "absolute") & (ed["level"] == 50)]
    np.testing.assert_allclose(abs50["estimate"], np.array([2.0, 20.0]) * 1.25 ** (1 / 1.2),
                               rtol=0.03)
    # absolute 90 % viability is reached; 'absolute 90' means response 90, not 90 %-effect
    abs90 = ed[(ed["type"] == "absolute") & (ed["level"] == 90)]
    assert abs90["reached"].all()
    params = json.loads((out / "params.json").read_text())
    assert params["model"] == "LL.4"
    assert params["ed_types"] == ["relative", "absolute"]
    assert params["n_converged"] == 2
    assert params["fits"]["786-O"]["estimated"] == ["b", "c", "d", "e"]


def test_fit_fixed_and_shared(two_lines, tmp_path):
    out = tmp_path / "res"
    rc = main(["fit", str(two_lines), "--dose", "dose_nM", "--response", "viability",
               "--curve", "cell_line", "--fixed", "d=100", "--shared", "c",
               "--interval", "tfls", "--out", str(out)])
    assert rc == 0
    fits = pd.read_csv(out / "fits.csv")
    assert (fits["d"] == 100).all()
    assert fits["d_se"].isna().all()
    assert fits["c"].nunique() == 1
    assert fits["df"].iloc[0] == 48 - 5
    ed = pd.read_csv(out / "ed.csv")
    assert (ed["interval"] == "tfls").all()
    assert (ed["lower"] > 0).all()


def test_fit_ryegrass_reproduces_drc(shared_dir, tmp_path):
    table = shared_dir / "reference" / "doseresponse" / "drc_ryegrass.csv"
    out = tmp_path / "rye"
    assert main(["fit", str(table), "--dose", "conc", "--response", "rootl",
                 "--ed", "10", "20", "50", "90", "--out", str(out)]) == 0
    fits = pd.read_csv(out / "fits.csv")
    ref = json.loads((table.parent / "reference_values.json").read_text())["ryegrass_LL4"]
    for k in "bcde":
        assert fits.loc[0, k] == pytest.approx(ref[k], rel=1e-5)
        assert fits.loc[0, f"{k}_se"] == pytest.approx(ref["SE_drc"][k], rel=1e-4)
    assert fits.loc[0, "aic"] == pytest.approx(ref["AIC"], rel=1e-6)
    ed = pd.read_csv(out / "ed.csv")
    for _, row in ed.iterrows():
        est, se, lo, hi = ref["ED_relative_delta"][str(int(row["level"]))]
        assert row["estimate"] == pytest.approx(est, rel=1e-5)
        assert row["se"] == pytest.approx(se, rel=1e-5)
        assert row["lower"] == pytest.approx(lo, rel=1e-5)
        assert row["upper"] == pytest.approx(hi, rel=1e-5)


def test_fit_quantal_xlsx(shared_dir, tmp_path):
    csv = shared_dir / "reference" / "doseresponse" / "drc_finney71.csv"
    xlsx = tmp_path / "finney.xlsx"
    pd.read_csv(csv, comment="#").to_excel(xlsx, index=False)
    out = tmp_path / "q"
    assert main(["fit", str(xlsx), "--dose", "dose", "--response", "affected",
                 "--total", "total", "--out", str(out)]) == 0
    fits = pd.read_csv(out / "fits.csv")
    assert fits.loc[0, "model"] == "LL.2"
    assert fits.loc[0, "b"] == pytest.approx(-3.103632, rel=1e-4)
    assert fits.loc[0, "e"] == pytest.approx(4.828897, rel=1e-4)
    ed = pd.read_csv(out / "ed.csv")
    assert ed.loc[0, "lower"] == pytest.approx(4.339738, rel=1e-4)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--dose", "nope", "--response", "viability"], "missing column"),
        (["--dose", "dose_nM", "--response", "viability", "--fixed", "c"], "NAME=VALUE"),
        (["--dose", "dose_nM", "--response", "viability", "--shared", "f"], "shared"),
        (["--dose", "dose_nM", "--response", "viability", "--ed", "150"], "between 0 and 100"),
    ],
)
def test_fit_errors_exit_2_and_write_nothing(two_lines, tmp_path, capsys, extra, message):
    out = tmp_path / "never"
    rc = main(["fit", str(two_lines), *extra, "--curve", "cell_line", "--out", str(out)])
    assert rc == 2
    err = capsys.readouterr().err
    assert "blotquant fit: error:" in err
    assert message in err
    assert not out.exists()


def test_fit_non_numeric_dose_names_the_line(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("dose,resp\n0,100\n1,90\nten,50\n100,10\n1000,5\n")
    rc = main(["fit", str(path), "--dose", "dose", "--response", "resp",
               "--out", str(tmp_path / "o")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "'dose'" in err and "[4]" in err
