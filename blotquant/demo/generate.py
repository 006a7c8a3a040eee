"""Write the simulated demo experiment folder with its ground truth.

:func:`make_demo_experiment` writes a complete experiment folder (the layout that
``blotquant run EXPERIMENT`` reads) plus ``truth/``. The model behind every number is
described in :mod:`blotquant.demo.truth` and ``docs/demo_model.md``.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from blotquant._io import atomic_output_dir, write_json
from blotquant.conditions import parse_treatment
from blotquant.demo.truth import (
    AGENT_IFN,
    AGENT_TEM,
    CASPASE_19_FRACTION,
    TARGETS,
    ReadoutCurves,
    ReadoutModel,
    default_readout_models,
    expected_correlation_sign,
    ps6_absolute_ic50,
    readout_levels,
)
from blotquant.errors import InvalidInputError

__all__ = [
    "DEMO_LADDER_KDA",
    "FOLD_CHANGE_COLUMNS",
    "IC50_COLUMNS",
    "LANE_TRUTH_COLUMNS",
    "REPLICATE_TRUTH_COLUMNS",
    "DemoTruth",
    "make_demo_experiment",
]

#: Pre-stained ladder of the marker lane (kDa, top to bottom).
DEMO_LADDER_KDA: tuple[float, ...] = (250.0, 130.0, 100.0, 70.0, 55.0, 35.0, 25.0, 15.0, 10.0)

#: Columns of ``truth/fold_changes.csv`` (population truth per condition and target).
FOLD_CHANGE_COLUMNS: tuple[str, ...] = (
    "cell_line", "treatment", "agents", "temsirolimus_nM", "ifn_alpha_IU_mL", "target",
    "true_fold_change", "true_viability", "mean_replicate_fold_change",
)
#: Columns of ``truth/replicate_fold_changes.csv`` (what the images hold, per replicate).
REPLICATE_TRUTH_COLUMNS: tuple[str, ...] = (
    "cell_line", "treatment", "replicate", "membrane", "lane", "target", "true_fold_change",
    "true_viability", "saturated",
)
#: Columns of ``truth/lanes.csv`` (per image band row and lane).
LANE_TRUTH_COLUMNS: tuple[str, ...] = (
    "image", "membrane", "lane", "kind", "cell_line", "treatment", "replicate", "target",
    "band_kda", "loading", "level", "amount", "true_volume", "saturated",
)
#: Columns of ``truth/ic50.csv``.
IC50_COLUMNS: tuple[str, ...] = (
    "cell_line", "readout", "agent", "unit", "ic50_relative", "ic50_absolute", "hill",
    "bottom", "top", "source",
)

_SIM_NOTE = "SIMULATED DATA - blotquant demo; not a real experiment"
_N_TEM, _N_IFN, _N_MIX = 4, 3, 3
_GRADIENT = 0.02  # peak-to-peak background gradient, fraction of full scale
_SHAPE = (320, 600)
_MARGIN = 36  # px between the image edge and the outer lane pitch


@dataclass(frozen=True)
class DemoTruth:
    """Ground truth of a generated demo experiment (also written to ``truth/``).

    Attributes
    ----------
    folder : Path
        The experiment folder.
    fold_changes : DataFrame
        ``truth/fold_changes.csv``, one row per cell line x blot condition x target,
        columns :data:`FOLD_CHANGE_COLUMNS`: ``cell_line``, ``treatment`` (canonical
        label, the join key), ``agents``, ``temsirolimus_nM``, ``ifn_alpha_IU_mL``,
        ``target``, ``true_fold_change`` (population model, relative to vehicle),
        ``true_viability`` (population, % of vehicle), ``mean_replicate_fold_change``
        (mean over the biological replicates of the fold changes the images hold; what
        a replicate mean estimates).
    replicates : DataFrame
        ``truth/replicate_fold_changes.csv``, one row per sample lane x target, columns
        :data:`REPLICATE_TRUTH_COLUMNS`: ``true_fold_change`` is the ratio of true band
        volumes (target / beta-actin) of the lane to that of the vehicle lane of the same
        membrane (for beta-actin itself, divided by nothing: the relative loading of the
        lane); ``true_viability`` is the simulator's viability of the same replicate;
        ``saturated`` True when a band of the target (or its actin band) clips.
    lanes : DataFrame
        ``truth/lanes.csv``: every sample band in every image, columns
        :data:`LANE_TRUTH_COLUMNS` (``loading`` relative protein load of the lane,
        ``level`` true level relative to vehicle, ``amount`` peak height drawn (grey
        levels), ``true_volume`` noiseless band volume, ``saturated`` band clips).
    ic50 : DataFrame
        ``truth/ic50.csv``, columns :data:`IC50_COLUMNS`: viability IC50s of each agent
        (``readout`` = ``"viability"``, from the simulator) and of phospho-S6
        suppression by temsirolimus (``readout`` = ``"phospho-S6"``; relative = midpoint
        of the curve, absolute = 50 % of vehicle), plus the phospho-STAT1 EC50.
    combination : DataFrame
        ``truth/combination.csv``: the simulator's true interaction table (``tau`` =
        true combination index) with a ``on_blot`` column marking the ratio on the blots.
    correlations : DataFrame
        ``truth/correlations.csv``: ``cell_line, target, expected_sign, pearson_r,
        spearman_r, n_conditions`` - the correlation of the population fold change with
        population viability over the blot conditions.
    viability : DataFrame
        ``truth/viability.csv``: ``cell_line, treatment, replicate, true_viability`` for
        every plate condition (``replicate`` ``"population"`` = no biological variation).
    params : dict
        Everything of ``truth/truth.json``.
    """

    folder: Path
    fold_changes: pd.DataFrame
    replicates: pd.DataFrame
    lanes: pd.DataFrame
    ic50: pd.DataFrame
    combination: pd.DataFrame
    correlations: pd.DataFrame
    viability: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


def _mw_row(mw: float, *, height: float, stretch: float = 1.0) -> float:
    """Band row of a protein of ``mw`` kDa (log-linear migration, 250 -> 8 %, 10 -> 92 %)."""
    frac = (math.log10(250.0) - math.log10(mw)) / math.log10(25.0)
    return height * (0.5 + (0.08 + 0.84 * frac - 0.5) * stretch)


def _pick(doses: list[float], *, center: float, n: int, stride: int) -> list[float]:
    """``n`` doses (every ``stride``-th, ascending) whose log-mean is closest to ``center``."""
    doses = sorted(doses)
    while stride > 1 and (n - 1) * stride + 1 > len(doses):
        stride -= 1
    span = (n - 1) * stride + 1
    if len(doses) < span:
        return doses
    best = min(range(len(doses) - span + 1), key=lambda s: abs(
        np.mean(np.log10(doses[s:s + span:stride])) - math.log10(center)))
    return doses[best:best + span:stride]


def _plate_conditions(sim: Any) -> pd.DataFrame:
    """Per plate condition and replicate: canonical treatment, doses, true viability."""
    wells = sim.wells
    wells = wells[wells["type"].isin(["treated", "vehicle"])]
    rep_of = (sim.layout[["plate", "replicate"]].drop_duplicates("plate")
              .set_index("plate")["replicate"].astype(str))
    rows = []
    for (plate, line, text), g in wells.groupby(["plate", "cell_line", "treatment"], sort=False):
        tr = parse_treatment(text, where=f"simulated plate {plate}")
        rows.append({"cell_line": str(line), "treatment": tr.label, "agents": tr.agents,
                     "tem": tr.dose_of(AGENT_TEM), "ifn": tr.dose_of(AGENT_IFN),
                     "replicate": str(rep_of.get(plate, plate)),
                     "true_viability": float(g["true_viability"].mean())})
    return pd.DataFrame(rows)


def _choose_conditions(cond: pd.DataFrame, line: str, curves: pd.DataFrame,
                       combination: pd.DataFrame, model: ReadoutModel) -> list[str]:
    """Blot conditions of one cell line: vehicle, temsirolimus x4, IFN x3, mixture x3."""
    c = cond[cond["cell_line"] == line].drop_duplicates("treatment")
    e = curves[curves["cell_line"] == line].set_index("agent")["e"]
    tem = c[(c["tem"] > 0) & (c["ifn"] == 0)]["tem"].tolist()
    ifn = c[(c["ifn"] > 0) & (c["tem"] == 0)]["ifn"].tolist()
    e_tem, e_ifn = float(e[AGENT_TEM]), float(e[AGENT_IFN])
    tem_pick = _pick(tem, center=math.sqrt(model.ps6_ic50_fraction) * e_tem, n=_N_TEM, stride=1)
    ifn_pick = _pick(ifn, center=math.sqrt(model.pstat1_ec50 * e_ifn), n=_N_IFN, stride=2)
    mix = c[(c["tem"] > 0) & (c["ifn"] > 0)].copy()
    labels = ["vehicle"]
    labels += [c.loc[(c["tem"] == x) & (c["ifn"] == 0), "treatment"].iloc[0] for x in tem_pick]
    labels += [c.loc[(c["ifn"] == x) & (c["tem"] == 0), "treatment"].iloc[0] for x in ifn_pick]
    if not mix.empty:
        mix["log_ratio"] = np.round(np.log10(mix["tem"] / mix["ifn"]), 3)
        target = math.log10(e_tem / e_ifn)
        ratio = min(mix["log_ratio"].unique(), key=lambda r: abs(r - target))
        chosen = mix[mix["log_ratio"] == ratio]
        combo = combination[combination["cell_line"] == line] if not combination.empty \
            else combination
        center = float(np.sqrt(chosen["tem"].min() * chosen["tem"].max()))
        if "mixture_dose_1" in combo.columns and not combo.empty:
            m = combo["mixture_dose_1"].to_numpy(dtype=float)
            m = m[np.isfinite(m) & (m > 0)]
            if m.size:
                center = float(m[np.argmin(np.abs(np.log10(m) - np.log10(center)))])
        mix_pick = _pick(chosen["tem"].tolist(), center=center, n=_N_MIX, stride=2)
        labels += [chosen.loc[chosen["tem"] == x, "treatment"].iloc[0] for x in mix_pick]
    return labels


def _image_plan(line_index: int, rep: int, target: str) -> dict[str, Any]:
    """Per-image acquisition settings (which image is tilted, film, saturated)."""
    plan: dict[str, Any] = {"format": "tif", "polarity": "light", "dtype": "uint16",
                            "tilt_deg": 0.0, "exposure_factor": 1.0, "saturation": None,
                            "exposure": {"phospho-S6": 30.0, "cleaved caspase-3": 60.0,
                                         "phospho-STAT1": 45.0, "beta-actin": 5.0}[target],
                            "note": ""}
    if (line_index, rep, target) == (0, 1, "phospho-STAT1"):
        plan.update(exposure_factor=3.0, exposure=120.0,
                    note="long exposure: the strongest bands clip at 65535")
    if (line_index, rep, target) == (0, 3, "phospho-S6"):
        plan.update(tilt_deg=2.0, note="membrane placed 2 degrees tilted")
    if (line_index, rep, target) == (1, 2, "phospho-S6"):
        plan.update(format="png", polarity="dark", dtype="uint8",
                    note="8-bit film scan, dark bands on light")
    return plan


#: Peak height (grey levels, 16-bit) of a level-1 band with loading 1, per target.
_SCALE16 = {"phospho-S6": 14000.0, "cleaved caspase-3": 3500.0, "phospho-STAT1": 4200.0,
            "beta-actin": 22000.0}
#: A weak non-specific band (kDa, peak relative to the vehicle target band) per target.
_NONSPECIFIC = {"phospho-S6": (60.0, 0.35), "phospho-STAT1": (130.0, 0.2)}


def _write_image(path: Path, image: np.ndarray, *, description: str) -> None:
    if path.suffix == ".png":
        from PIL import Image
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text("Description", description)
        Image.fromarray(image).save(path, pnginfo=info, optimize=True)
    else:
        import tifffile

        tifffile.imwrite(path, image, compression="zlib", predictor=True,
                         description=description, metadata=None)


# --------------------------------------------------------------------------- main


def make_demo_experiment(folder: str | os.PathLike[str], *, seed: int = 0) -> DemoTruth:
    """Write the simulated temsirolimus x IFN-alpha demo experiment with its truth.

    The folder follows the experiment folder contract::

        FOLDER/
          README.txt         says SIMULATED, what is inside, where the truth is
          experiment.json    {"name", "simulated": true, "description", "sample_sheet":
                             "samples.csv", "plates": ["plates/..."], "layout": "layout.csv",
                             "viability": {"reference_wavelength": 630, "model": "LL.4"},
                             "targets": {name: {"mw_kda", "pathway", "epitope",
                             "loading_control"}}, "seed", "truth": "truth/truth.json"}
          samples.csv        sample sheet (blotquant.experiment format, [images] [lanes]
                             [targets]); one membrane per cell line x biological replicate
                             (``786-O_R1`` ...), 12 lanes: ladder + vehicle, temsirolimus x4,
                             IFN-alpha x3, fixed-ratio mixture x3
          blots/             SIMULATED_<membrane>_<target>.tif (16-bit chemiluminescence)
                             and one .png (8-bit film scan, dark bands)
          plates/            SIMULATED_<cell line>_r<k>.csv, grid exports at 570 and 630 nm
          layout.csv         long plate layout
          truth/             truth.json + fold_changes.csv, replicate_fold_changes.csv,
                             lanes.csv, ic50.csv, combination.csv, correlations.csv,
                             viability.csv

    Treatments in ``samples.csv`` and ``layout.csv`` have identical canonical labels
    (:func:`blotquant.conditions.parse_treatment`), so blots and viability join on
    ``(cell_line, treatment)``. The sheet leaves ``time`` blank.

    Parameters
    ----------
    folder : path
        Output folder; created if needed. It must be empty, absent, or a previous demo
        folder (``experiment.json`` with ``"simulated": true``), which is replaced.
    seed : int
        Seed of every random draw (viability simulator, biology, loading, images).

    Returns
    -------
    DemoTruth
        The truth tables (also written to ``truth/``).

    Raises
    ------
    InvalidInputError
        When ``folder`` is a file or a non-empty folder that is not a demo experiment.
    """
    from blotquant.image.synthetic import make_blot
    from blotquant.viability.simulate import simulate_mtt_experiment, write_simulated_experiment

    folder = Path(folder)
    if folder.exists():
        if not folder.is_dir():
            msg = f"demo folder {folder}: exists and is not a folder"
            raise InvalidInputError(msg)
        meta = folder / "experiment.json"
        is_demo = False
        if meta.is_file():
            try:
                is_demo = bool(json.loads(meta.read_text()).get("simulated"))
            except (ValueError, AttributeError):
                is_demo = False
        if any(folder.iterdir()) and not is_demo:
            msg = (f"demo folder {folder}: not empty and not a previous demo experiment; "
                   "choose an empty or new folder")
            raise InvalidInputError(msg)
    rng = np.random.default_rng(seed)
    sim = simulate_mtt_experiment(seed=seed, n_replicates=3)
    pop = simulate_mtt_experiment(seed=seed, n_replicates=1, bio_sd=0.0)
    cond = _plate_conditions(sim)
    pop_cond = _plate_conditions(pop).drop_duplicates(["cell_line", "treatment"])
    pop_v = pop_cond.set_index(["cell_line", "treatment"])["true_viability"]
    rep_v = cond.set_index(["cell_line", "treatment", "replicate"])["true_viability"]
    curves = sim.curves
    agents = set(curves["agent"])
    if not {AGENT_TEM, AGENT_IFN} <= agents:
        msg = f"viability simulator agents {sorted(agents)} lack {AGENT_TEM} / {AGENT_IFN}"
        raise InvalidInputError(msg)
    lines = list(dict.fromkeys(curves["cell_line"].astype(str)))
    replicates = sorted(cond["replicate"].unique(), key=lambda r: (len(r), r))
    models = default_readout_models()
    H, W = _SHAPE
    n_lanes = 1 + 1 + _N_TEM + _N_IFN + _N_MIX
    pitch = (W - 2 * _MARGIN) / n_lanes

    pop_curves: dict[str, ReadoutCurves] = {}
    blot_conditions: dict[str, list[str]] = {}
    images: list[tuple[str, np.ndarray, str]] = []
    sheet_images, sheet_lanes, lane_truth, image_notes = [], [], [], []
    for li, line in enumerate(lines):
        model = models.get(line, ReadoutModel(line))
        e_tem = float(curves[(curves["cell_line"] == line)
                             & (curves["agent"] == AGENT_TEM)]["e"].iloc[0])
        pop_curves[line] = ReadoutCurves(model.ps6_ic50_fraction * e_tem, model.pstat1_ec50,
                                         model)
        labels = _choose_conditions(cond, line, curves, sim.combination, model)
        blot_conditions[line] = labels
        treatments = [parse_treatment(t) for t in labels]
        tem = np.array([t.dose_of(AGENT_TEM) for t in treatments])
        ifn = np.array([t.dose_of(AGENT_IFN) for t in treatments])
        for rep in replicates:
            r = int(rep) if rep.isdigit() else replicates.index(rep) + 1
            membrane = f"{line}_R{rep}"
            shift = rng.normal(0.0, model.bio_sd_log10, size=2)
            rc = ReadoutCurves(pop_curves[line].ps6_ic50 * 10 ** shift[0],
                               model.pstat1_ec50 * 10 ** shift[1], model)
            v = np.array([rep_v.get((line, t, rep), pop_v[(line, t)]) for t in labels])
            levels = readout_levels(tem, ifn, v, curves=rc)
            noise = {k: np.exp(rng.normal(0.0, model.sample_sd, len(labels)))
                     for k in ("phospho-S6", "phospho-STAT1", "cleaved caspase-3")}
            noise["beta-actin"] = np.ones(len(labels))
            loading = rng.uniform(0.85, 1.15, len(labels))
            centers = [_MARGIN + pitch * (k + 0.5) + rng.normal(0, 0.8) for k in range(n_lanes)]
            widths = list(0.62 * pitch * (1 + 0.05 * rng.standard_normal(n_lanes)))
            stretch = rng.uniform(0.95, 1.05)
            marker_rows = [_mw_row(m, height=H, stretch=stretch) for m in DEMO_LADDER_KDA]
            sheet_lanes.append(f"{membrane},1,ladder,,,,,{';'.join(f'{m:g}' for m in DEMO_LADDER_KDA)}")
            for k, label in enumerate(labels):
                sheet_lanes.append(f"{membrane},{k + 2},sample,{line},{label},,{rep},")
            for target, info in TARGETS.items():
                plan = _image_plan(li, r, target)
                fs = 65535.0 if plan["dtype"] == "uint16" else 255.0
                scale = _SCALE16[target] * plan["exposure_factor"] * fs / 65535.0
                if plan["dtype"] == "uint8":
                    scale *= 1.9  # film: strong, dark bands
                rows_kda = list(info.mw_kda)
                if target == "cleaved caspase-3":
                    lv = [levels["cleaved caspase-3 (19 kDa)"],
                          levels["cleaved caspase-3 (17 kDa)"]]
                else:
                    lv = [levels[target]]
                lv = [x * noise[target] for x in lv]
                if target in _NONSPECIFIC:
                    kda, rel = _NONSPECIFIC[target]
                    rows_kda = [kda, *rows_kda] if kda > rows_kda[0] else [*rows_kda, kda]
                    ns = np.full(len(labels), rel)
                    lv = [ns, *lv] if kda > info.mw_kda[0] else [*lv, ns]
                amounts = np.zeros((n_lanes, len(rows_kda)))
                for j, col in enumerate(lv):
                    amounts[1:, j] = scale * loading * col
                brows = [_mw_row(m, height=H, stretch=stretch) for m in rows_kda]
                sig = [2.6 if target == "cleaved caspase-3" else 3.4] * len(rows_kda)
                blot = make_blot(
                    shape=(H, W), lane_centers=centers, lane_widths=widths,
                    band_rows=brows, amounts=amounts, band_sigmas=sig,
                    band_profiles="gaussian", band_sigma_jitter=0.0, band_y_jitter=0.3,
                    tilt_deg=plan["tilt_deg"], smile=1.5, gradient=_GRADIENT * fs, blotches=2,
                    blotch_amplitude=0.02 * fs, dust=2, dtype=plan["dtype"],
                    polarity=plan["polarity"], saturation=plan["saturation"],
                    marker_lane=1, marker_rows=marker_rows,
                    rng=int(rng.integers(0, 2**31 - 1)))
                safe = target.replace(" ", "-")
                file = f"blots/SIMULATED_{membrane}_{safe}.{plan['format']}"
                images.append((file, blot.image, f"{_SIM_NOTE}: {membrane} {target}"))
                sheet_images.append(f"{file},{target},{membrane},{plan['exposure']:g},"
                                    f"{plan['polarity']}")
                if plan["note"]:
                    image_notes.append({"image": file, "note": plan["note"]})
                b = blot.bands[blot.bands["kind"] == "sample"]
                sample_rows = [j for j, kda in enumerate(rows_kda) if kda in info.mw_kda]
                for k, label in enumerate(labels):
                    for j in sample_rows:
                        rec = b[(b["lane"] == k + 2) & (b["band"] == j + 1)].iloc[0]
                        lane_truth.append({
                            "image": file, "membrane": membrane, "lane": k + 2,
                            "kind": "sample", "cell_line": line, "treatment": label,
                            "replicate": rep, "target": target, "band_kda": rows_kda[j],
                            "loading": float(loading[k]), "level": float(lv[j][k]),
                            "amount": float(rec["amount"]), "true_volume": float(rec["volume"]),
                            "saturated": bool(rec["saturated"])})
    lanes = pd.DataFrame(lane_truth, columns=list(LANE_TRUTH_COLUMNS))

    # ---- replicate truth: ratio of true volumes, relative to the vehicle lane
    per = (lanes.groupby(["cell_line", "treatment", "replicate", "membrane", "lane", "target"],
                         sort=False)
           .agg(volume=("true_volume", "sum"), saturated=("saturated", "any")).reset_index())
    actin = per[per["target"] == "beta-actin"].set_index(["membrane", "lane"])
    # a loading control is divided by nothing: its "ratio" is its volume (relative loading)
    is_lc = (per["target"] == "beta-actin").to_numpy()
    per["ratio"] = per["volume"].to_numpy() / np.where(is_lc, 1.0, actin.loc[
        list(zip(per["membrane"], per["lane"], strict=True)), "volume"].to_numpy())
    per["saturated"] = per["saturated"].to_numpy() | actin.loc[
        list(zip(per["membrane"], per["lane"], strict=True)), "saturated"].to_numpy()
    veh = per[per["treatment"] == "vehicle"].set_index(["membrane", "target"])["ratio"]
    per["true_fold_change"] = per["ratio"].to_numpy() / veh.loc[
        list(zip(per["membrane"], per["target"], strict=True))].to_numpy()
    per["true_viability"] = [float(rep_v.get((c, t, r), pop_v[(c, t)])) for c, t, r in
                             zip(per["cell_line"], per["treatment"], per["replicate"],
                                 strict=True)]
    rep_table = per[list(REPLICATE_TRUTH_COLUMNS)].reset_index(drop=True)

    # ---- population truth per condition
    fc_rows = []
    for line in lines:
        labels = blot_conditions[line]
        trs = [parse_treatment(t) for t in labels]
        tem = np.array([t.dose_of(AGENT_TEM) for t in trs])
        ifn = np.array([t.dose_of(AGENT_IFN) for t in trs])
        v = np.array([float(pop_v[(line, t)]) for t in labels])
        levels = readout_levels(tem, ifn, v, curves=pop_curves[line])
        for target in TARGETS:
            for k, (label, tr) in enumerate(zip(labels, trs, strict=True)):
                sel = rep_table[(rep_table["cell_line"] == line)
                                & (rep_table["treatment"] == label)
                                & (rep_table["target"] == target)]
                fc_rows.append({"cell_line": line, "treatment": label, "agents": tr.agents,
                                "temsirolimus_nM": tem[k], "ifn_alpha_IU_mL": ifn[k],
                                "target": target, "true_fold_change": float(levels[target][k]),
                                "true_viability": float(v[k]),
                                "mean_replicate_fold_change": float(
                                    sel["true_fold_change"].mean())})
    fold_changes = pd.DataFrame(fc_rows, columns=list(FOLD_CHANGE_COLUMNS))

    # ---- IC50s, combination, correlations, viability
    ic_rows = []
    for rec in curves.itertuples(index=False):
        ic_rows.append({"cell_line": rec.cell_line, "readout": "viability", "agent": rec.agent,
                        "unit": rec.unit, "ic50_relative": float(rec.ic50_relative),
                        "ic50_absolute": float(rec.ic50_absolute), "hill": float(rec.hill),
                        "bottom": float(rec.bottom), "top": float(rec.top),
                        "source": "viability simulator (% of vehicle)"})
    for line in lines:
        pc = pop_curves[line]
        m = pc.model
        ic_rows.append({"cell_line": line, "readout": "phospho-S6", "agent": AGENT_TEM,
                        "unit": "nM", "ic50_relative": pc.ps6_ic50,
                        "ic50_absolute": ps6_absolute_ic50(pc), "hill": m.ps6_hill,
                        "bottom": m.ps6_bottom, "top": 1.0,
                        "source": "readout model (fold change; falling)"})
        ic_rows.append({"cell_line": line, "readout": "phospho-STAT1", "agent": AGENT_IFN,
                        "unit": "IU/mL", "ic50_relative": pc.pstat1_ec50,
                        "ic50_absolute": math.nan, "hill": m.pstat1_hill, "bottom": 1.0,
                        "top": m.pstat1_max, "source": "readout model (fold change; rising EC50)"})
    ic50 = pd.DataFrame(ic_rows, columns=list(IC50_COLUMNS))
    combination = sim.combination.copy()
    if not combination.empty and {"dose_1", "dose_2"} <= set(combination.columns):
        on_blot = []
        for rec in combination.itertuples(index=False):
            mix = [parse_treatment(t) for t in blot_conditions.get(str(rec.cell_line), [])]
            ratios = {round(math.log10(t.dose_of(AGENT_TEM) / t.dose_of(AGENT_IFN)), 3)
                      for t in mix if t.dose_of(AGENT_TEM) > 0 and t.dose_of(AGENT_IFN) > 0}
            on_blot.append(round(math.log10(rec.dose_1 / rec.dose_2), 3) in ratios)
        combination["on_blot"] = on_blot
    corr_rows = []
    for (line, target), g in fold_changes.groupby(["cell_line", "target"], sort=False):
        x, y = g["true_fold_change"].to_numpy(), g["true_viability"].to_numpy()
        const = np.ptp(x) < 1e-12
        corr_rows.append({"cell_line": line, "target": target,
                          "expected_sign": expected_correlation_sign(target),
                          "pearson_r": math.nan if const else float(np.corrcoef(x, y)[0, 1]),
                          "spearman_r": math.nan if const else float(
                              pd.Series(x).rank().corr(pd.Series(y).rank())),
                          "n_conditions": len(g)})
    correlations = pd.DataFrame(corr_rows, columns=["cell_line", "target", "expected_sign",
                                                    "pearson_r", "spearman_r", "n_conditions"])
    viab = pd.concat([
        cond[["cell_line", "treatment", "replicate", "true_viability"]],
        pop_cond[["cell_line", "treatment", "true_viability"]].assign(replicate="population")],
        ignore_index=True)[["cell_line", "treatment", "replicate", "true_viability"]]

    saturated = rep_table[rep_table["saturated"]]
    params: dict[str, Any] = {
        "simulated": True, "seed": seed, "note": _SIM_NOTE,
        "cell_lines": lines, "replicates": replicates,
        "blot_conditions": blot_conditions,
        "readout_models": {k: v.model.to_dict() | {"ps6_ic50_nM": v.ps6_ic50}
                           for k, v in pop_curves.items()},
        "caspase_19_fraction": CASPASE_19_FRACTION,
        "loading_spread": 0.15, "ladder_kda": list(DEMO_LADDER_KDA),
        "image_shape": list(_SHAPE), "lanes_per_membrane": n_lanes,
        "special_images": image_notes,
        "saturated_lanes": [
            {"membrane": s.membrane, "lane": int(s.lane), "target": s.target,
             "treatment": s.treatment} for s in saturated.itertuples(index=False)],
        "viability_simulator": sim.params,
        "recovery_tolerances": {
            "fold_change": "median |log2(measured / mean_replicate_fold_change)| < 0.15 over "
                           "unflagged conditions",
            "ic50": "true relative IC50 inside the reported 95 % interval"},
        "files": {"fold_changes": "fold_changes.csv",
                  "replicate_fold_changes": "replicate_fold_changes.csv",
                  "lanes": "lanes.csv", "ic50": "ic50.csv", "combination": "combination.csv",
                  "correlations": "correlations.csv", "viability": "viability.csv"},
    }

    with atomic_output_dir(folder) as tmp:
        (tmp / "blots").mkdir()
        for file, image, description in images:
            _write_image(tmp / file, image, description=description)
        simdir = tmp / ".sim"
        paths = write_simulated_experiment(sim, simdir)
        (tmp / "plates").mkdir()
        plate_files = []
        for pid, p in paths.items():
            if pid in sim.plates:
                name = f"plates/SIMULATED_{pid}.csv"
                Path(p).replace(tmp / name)
                plate_files.append(name)
        Path(paths["layout"]).replace(tmp / "layout.csv")
        for p in simdir.iterdir():
            p.unlink()
        simdir.rmdir()
        (tmp / "samples.csv").write_text("\n".join([
            f"# {_SIM_NOTE} (seed {seed}); ground truth in truth/",
            "[images]", "file,target,membrane,exposure,polarity", *sheet_images, "",
            "[lanes]", "membrane,lane,kind,cell_line,treatment,time,replicate,markers",
            *sheet_lanes, "",
            "[targets]", "target,loading_control,mw_kda",
            *[f"{t.name},{t.loading_control},{';'.join(f'{m:g}' for m in t.mw_kda)}"
              for t in TARGETS.values()], ""]))
        write_json(tmp / "experiment.json", {
            "name": "SIMULATED demo: temsirolimus x IFN-alpha in 786-O and Caki-1",
            "simulated": True,
            "description": ("Simulated version of the reference experiment (temsirolimus and "
                            "interferon alfa, alone and combined, on renal carcinoma lines "
                            "786-O and Caki-1; 3 biological replicates) with known ground "
                            "truth in truth/. Not real data."),
            "sample_sheet": "samples.csv", "plates": sorted(plate_files),
            "layout": "layout.csv",
            "viability": {"reference_wavelength": 630, "model": "LL.4"},
            "targets": {t.name: {"mw_kda": list(t.mw_kda), "pathway": t.pathway,
                                 "epitope": t.epitope, "loading_control": t.loading_control}
                        for t in TARGETS.values()},
            "seed": seed, "truth": "truth/truth.json"})
        (tmp / "README.txt").write_text(_readme(seed, lines, replicates, n_lanes,
                                                image_notes, saturated))
        tdir = tmp / "truth"
        tdir.mkdir()
        for key, table in (("fold_changes", fold_changes),
                           ("replicate_fold_changes", rep_table), ("lanes", lanes),
                           ("ic50", ic50), ("combination", combination),
                           ("correlations", correlations), ("viability", viab)):
            table.to_csv(tdir / f"{key}.csv", index=False, float_format="%.8g")
        truth_json = dict(params)
        truth_json["ic50"] = json.loads(ic50.to_json(orient="records"))
        truth_json["combination"] = json.loads(combination.to_json(orient="records"))
        truth_json["correlations"] = json.loads(correlations.to_json(orient="records"))
        write_json(tdir / "truth.json", truth_json)
    return DemoTruth(folder=folder, fold_changes=fold_changes, replicates=rep_table,
                     lanes=lanes, ic50=ic50, combination=combination,
                     correlations=correlations, viability=viab, params=params)


def _readme(seed: int, lines: list[str], replicates: list[str], n_lanes: int,
            notes: list[dict[str, str]], saturated: pd.DataFrame) -> str:
    sat = "\n".join(f"  - membrane {s.membrane} lane {s.lane}: {s.target} ({s.treatment})"
                    for s in saturated.itertuples(index=False)) or "  (none)"
    special = "\n".join(f"  - {n['image']}: {n['note']}" for n in notes)
    return f"""SIMULATED DATA - blotquant demo experiment (seed {seed})
========================================================

This folder is NOT a real experiment. It is a simulated version of the reference
study: temsirolimus and interferon alfa (IFN-alpha), alone and combined at a fixed
ratio, on the renal carcinoma lines {", ".join(lines)}, {len(replicates)} biological
replicates, with a known ground truth for every number in truth/.

  experiment.json   experiment description ("simulated": true)
  samples.csv       blot sample sheet: one membrane per cell line x replicate,
                    {n_lanes} lanes (ladder + 11 samples), targets phospho-S6 (32 kDa),
                    cleaved caspase-3 (19/17 kDa doublet), phospho-STAT1 (91 kDa),
                    beta-actin (42 kDa, loading control)
  blots/            SIMULATED_*.tif 16-bit chemiluminescence scans, one 8-bit film
                    scan (.png, dark bands on light)
  plates/           SIMULATED_*.csv MTT plate-reader exports (570 and 630 nm)
  layout.csv        plate layout
  truth/            truth.json and tables (true fold changes, IC50s, combination
                    index, expected correlations); see docs/demo_model.md

Built-in imperfections:
{special}
  - uneven background (gradient, blotches, dust) on every scan
  - lane loading varies +-15 % (normalisation to beta-actin removes it)

Bands that clip (flagged "saturated" by a correct analysis):
{sat}

Analyse with:  blotquant run <this folder> --out results/
"""
