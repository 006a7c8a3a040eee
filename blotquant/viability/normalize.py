"""Absorbance to viability, per plate, with quality control.

Pipeline per plate (NOTES §2.0): optional reference-wavelength subtraction
(``A = A570 - A630``), minus the plate's mean blank (medium + MTT, no cells),
``viability = 100 * (A - blank) / (vehicle - blank)`` with the same plate's vehicle wells of
the same cell line. Viability is **never clipped** (values below 0 or above 100 are kept).

Outliers (:func:`flag_outliers`) are flagged, never dropped: a well is an outlier when its
distance from its condition's median (same plate, cell line, treatment) exceeds
``threshold`` robust standard deviations. The SD comes from a plate-wide noise model
``sd(m) = sqrt(s0**2 + (cv * m)**2)`` (``m`` = the condition's median net absorbance):
``cv`` is pooled from the residuals of the brighter conditions, ``s0`` from the dimmer ones,
each residual scaled to a consistent sigma for its group size. Pooling across the plate
keeps two bad wells in one triplicate/sextuplicate from hiding each other, which a
per-condition MAD cannot do. Conditions with fewer than 3 wells are not tested.

Table columns
-------------
Wells (:data:`WELL_COLUMNS`), one row per used (non-empty) well:

* ``plate, well, row, col`` - as in the plate table.
* ``type, cell_line, treatment, agents, dose, unit, replicate`` - from the layout.
* ``absorbance`` - reading (minus the reference wavelength when given).
* ``net_absorbance`` - ``absorbance`` minus the plate's blank mean.
* ``viability`` - % of the same-plate, same-cell-line vehicle; not clipped.
* ``outlier`` (bool) - flagged by :func:`flag_outliers`.
* ``robust_z`` - the outlier statistic (NaN when the condition has < 3 wells).
* ``flag`` - the reading's flag from the plate file (``""`` or e.g. ``"OVRFLW"``).

QC (:data:`QC_COLUMNS`), one row per (plate, cell line):

* ``plate, cell_line``; ``n_blank, blank_mean, blank_sd, blank_cv`` (CV in %);
* ``n_vehicle, vehicle_mean, vehicle_sd, vehicle_cv`` (net absorbance; CV in %);
* ``window`` - vehicle / blank mean absorbance ratio;
* ``n_positive, z_prime`` - Z' = 1 - 3 (sd_pos + sd_veh) / |mean_veh - mean_pos| (NaN without
  positive-control wells);
* ``edge_ratio, edge_p, edge_effect`` - outer-ring vs inner wells of the same conditions
  (relative to each condition's median; ratio of means, Welch t-test p);
  ``edge_effect`` is True when p < ``edge_alpha`` and ``|ratio - 1| > edge_min_shift``;
* ``n_outliers`` - flagged wells of this plate and cell line (blanks counted on every row);
* ``warnings`` - ``"; "``-joined QC messages (``""`` when all is well).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from blotquant.errors import InvalidInputError

__all__ = [
    "QC_COLUMNS",
    "WELL_COLUMNS",
    "QCParams",
    "flag_outliers",
    "normalize_plates",
    "plate_qc",
    "replicate_means",
    "select_absorbance",
    "summarize_conditions",
]

WELL_COLUMNS: tuple[str, ...] = (
    "plate", "well", "row", "col", "type", "cell_line", "treatment", "agents", "dose", "unit",
    "replicate", "absorbance", "net_absorbance", "viability", "outlier", "robust_z", "flag",
)
QC_COLUMNS: tuple[str, ...] = (
    "plate", "cell_line", "n_blank", "blank_mean", "blank_sd", "blank_cv", "n_vehicle",
    "vehicle_mean", "vehicle_sd", "vehicle_cv", "window", "n_positive", "z_prime",
    "edge_ratio", "edge_p", "edge_effect", "n_outliers", "warnings",
)

#: sigma / median(|x - median|) over the non-zero residuals of a normal sample of size n
#: (Monte Carlo, 4e5 samples each); large n tends to 1.4826.
_CONSISTENCY = {3: 1.450, 4: 2.056, 5: 1.459, 6: 1.898, 7: 1.466, 8: 1.773, 9: 1.469,
                10: 1.703, 11: 1.472, 12: 1.655}


@dataclass(frozen=True)
class QCParams:
    """Thresholds for outlier flags and plate QC warnings.

    Attributes
    ----------
    outlier_threshold : float
        Robust z above which a well is an outlier. 4.0 rather than Iglewicz-Hoaglin's 3.5:
        residuals from the median of 3-6 wells have heavier tails than normal (0.13 % of
        clean simulated wells exceed 4, 0.36 % exceed 3.5).
    max_vehicle_cv : float
        Vehicle CV (%) above which a warning is given.
    max_blank_sd_fraction : float
        Warn when the blank SD exceeds this fraction of the vehicle-blank window.
    min_z_prime : float
        Warn below this Z'.
    min_window : float
        Warn when vehicle/blank absorbance is below this.
    edge_alpha, edge_min_shift : float
        Edge effect: p-value and minimum relative shift (0.1 = 10 %).
    """

    outlier_threshold: float = 4.0
    max_vehicle_cv: float = 15.0
    max_blank_sd_fraction: float = 0.05
    min_z_prime: float = 0.5
    min_window: float = 3.0
    edge_alpha: float = 0.01
    edge_min_shift: float = 0.10

    def to_dict(self) -> dict[str, float]:
        """Plain dict for params.json."""
        return asdict(self)


# ----------------------------------------------------------------------------- readings
def select_absorbance(plates: pd.DataFrame, *, wavelength: float | None = None,
                      reference_wavelength: float | None = None,
                      measurement: str | None = None) -> pd.DataFrame:
    """One absorbance per (plate, well), optionally minus a reference wavelength.

    Parameters
    ----------
    plates : DataFrame
        Plate table from :func:`blotquant.viability.plates.read_plate`.
    wavelength : float, optional
        Measurement wavelength (nm); needed when a plate has several and no reference is
        given, or two besides the reference.
    reference_wavelength : float, optional
        Reference wavelength (630-690 nm) subtracted well by well.
    measurement : str, optional
        Keep only reads with this label (files with several reads of the same wavelength).

    Returns
    -------
    DataFrame
        ``plate, well, row, col, absorbance, flag`` (``flag`` joins both reads' flags).

    Raises
    ------
    InvalidInputError
        A requested wavelength is absent, or the choice is ambiguous; names the plate.
    """
    table = plates if measurement is None else plates[plates["measurement"] == measurement]
    if table.empty:
        msg = f"no readings with measurement {measurement!r}"
        raise InvalidInputError(msg)
    out = []
    for pid, reads in table.groupby("plate", sort=False):
        keys = reads[["wavelength", "measurement"]].drop_duplicates()
        waves = sorted({float(w) for w in keys["wavelength"] if not math.isnan(w)})
        described = ", ".join(f"{w:g} nm" if not math.isnan(w) else "unknown"
                              for w in keys["wavelength"])

        def pick(wl: float | None, *, pid: object = pid, reads: pd.DataFrame = reads,
                 described: str = described) -> pd.DataFrame:
            if wl is None:
                if len(reads[["wavelength", "measurement"]].drop_duplicates()) != 1:
                    msg = (f"plate {pid}: several reads ({described}); choose one with "
                           "wavelength= (and reference_wavelength= for a reference read)")
                    raise InvalidInputError(msg)
                sel = reads
            else:
                sel = reads[np.isclose(reads["wavelength"], wl)]
                if sel.empty:
                    msg = f"plate {pid}: no read at {wl:g} nm (reads: {described})"
                    raise InvalidInputError(msg)
                if sel["measurement"].nunique() > 1:
                    msg = (f"plate {pid}: several reads at {wl:g} nm "
                           f"({sorted(sel['measurement'].unique())}); choose measurement=")
                    raise InvalidInputError(msg)
            return sel.set_index("well")

        if reference_wavelength is not None:
            ref = pick(reference_wavelength)
            main_wl = wavelength
            if main_wl is None:
                others = [w for w in waves if not math.isclose(w, reference_wavelength)]
                if len(others) != 1:
                    msg = (f"plate {pid}: cannot tell the measurement wavelength from the "
                           f"reads ({described}); give wavelength=")
                    raise InvalidInputError(msg)
                main_wl = others[0]
            main = pick(main_wl)
            absorbance = main["value"] - ref["value"].reindex(main.index)
            flag = [";".join(f for f in pair if f) for pair in
                    zip(main["flag"], ref["flag"].reindex(main.index).fillna("no value"),
                        strict=True)]
        else:
            main = pick(wavelength)
            absorbance = main["value"]
            flag = list(main["flag"])
        part = pd.DataFrame({"plate": str(pid), "well": main.index, "row": main["row"].values,
                             "col": main["col"].values, "absorbance": absorbance.values,
                             "flag": flag})
        out.append(part)
    result = pd.concat(out, ignore_index=True)
    result["flag"] = result["flag"].astype(str)
    return result


# ----------------------------------------------------------------------------- outliers
def _group_keys(wells: pd.DataFrame) -> pd.Series:
    blank = wells["type"] == "blank"
    key = (wells["plate"].astype(str) + "|" + wells["type"] + "|" + wells["cell_line"] + "|"
           + wells["treatment"])
    return key.where(~blank, wells["plate"].astype(str) + "|blank")


def flag_outliers(wells: pd.DataFrame, *, threshold: float = 4.0,
                  value: str = "absorbance") -> pd.DataFrame:
    """Flag outlier wells within each condition, per plate (see the module docstring).

    Parameters
    ----------
    wells : DataFrame
        Needs ``plate, type, cell_line, treatment`` and the ``value`` column.
    threshold : float
        Robust z above which a well is flagged.
    value : str
        Column tested (absorbance, so blank wells are tested too).

    Returns
    -------
    DataFrame
        A copy with ``robust_z`` (float, NaN where not tested) and ``outlier`` (bool).
    """
    out = wells.copy()
    out["robust_z"] = np.nan
    out["outlier"] = False
    keys = _group_keys(out)
    for idx in out.groupby("plate", sort=False).groups.values():
        plate = out.loc[idx]
        blanks = plate.loc[plate["type"] == "blank", value].dropna()
        base = float(blanks.median()) if len(blanks) else 0.0
        groups = []
        for key, gidx in plate.groupby(keys.loc[idx], sort=False).groups.items():
            x = plate.loc[gidx, value].dropna()
            if len(x) < 3:
                continue
            med = float(x.median())
            resid = x - med
            factor = _CONSISTENCY.get(len(x), 1.4826) / 1.4826
            groups.append((key, x.index, resid, max(med - base, 0.0), factor))
        if not groups:
            continue
        resid = np.concatenate([g[2].to_numpy() * g[4] for g in groups])
        level = np.concatenate([np.full(len(g[2]), g[3]) for g in groups])
        nonzero = np.abs(resid) > 1e-12
        resid, level = np.abs(resid[nonzero]), level[nonzero]
        s0, cv = _noise_model(resid, level)
        for _k, gidx, r, m, _f in groups:
            sd = math.sqrt(s0**2 + (cv * m) ** 2)
            if sd <= 0:
                continue
            z = r / sd
            out.loc[gidx, "robust_z"] = z.to_numpy()
            out.loc[gidx, "outlier"] = (np.abs(z) > threshold).to_numpy()
    return out


def _solve_scale(resid: np.ndarray, other: np.ndarray, weight: np.ndarray) -> float:
    """Scale ``s`` with median(|r| / sqrt(other + (s * weight)^2)) = 0.6745 (normal)."""
    if resid.size == 0:
        return 0.0

    def f(s: float) -> float:
        return float(np.median(resid / np.sqrt(other + (s * weight) ** 2 + 1e-300))) - 0.6745

    hi = 1.0
    while f(hi) > 0 and hi < 1e9:
        hi *= 10
    if f(0.0) <= 0:
        return 0.0
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-12 * hi))


#: Floors of the noise model: reader accuracy (absorbance units) and pipetting CV.
_MIN_S0, _MIN_CV = 0.003, 0.02


def _noise_model(resid: np.ndarray, level: np.ndarray) -> tuple[float, float]:
    """Robust ``(s0, cv)`` of ``sd(m) = sqrt(s0^2 + (cv m)^2)``.

    ``s0`` from the conditions near zero signal (below 10 % of the brightest: blanks, full
    kill), else from the dimmest quarter; ``cv`` from the rest, by matching the median of
    the normalised residuals to the normal's 0.6745. Floors: :data:`_MIN_S0`, :data:`_MIN_CV`.
    """
    if resid.size == 0:
        return _MIN_S0, _MIN_CV
    top = float(level.max())
    low = level <= 0.1 * top
    if low.sum() < 3:
        low = level <= np.quantile(level, 0.25)
    high = ~low
    s0 = max(1.4826 * float(np.median(resid[low])), _MIN_S0) if low.any() else _MIN_S0
    cv = _MIN_CV
    for _ in range(5):
        if high.any():
            cv = max(_solve_scale(resid[high], np.full(int(high.sum()), s0**2), level[high]),
                     _MIN_CV)
        if low.any():
            s0 = max(_solve_scale(resid[low], (cv * level[low]) ** 2, np.ones(int(low.sum()))),
                     _MIN_S0)
    return s0, cv


# ----------------------------------------------------------------------------- normalise
def normalize_plates(readings: pd.DataFrame, layout: pd.DataFrame, *,
                     qc: QCParams | None = None,
                     exclude_outliers: bool = False) -> pd.DataFrame:
    """Per-plate blank subtraction and vehicle normalisation.

    Parameters
    ----------
    readings : DataFrame
        :func:`select_absorbance` output (``plate, well, row, col, absorbance, flag``).
    layout : DataFrame
        Layout matched to these plates (:func:`blotquant.viability.layout.match_layout`).
    qc : QCParams, optional
        Outlier threshold.
    exclude_outliers : bool
        When True, flagged wells do not enter the blank and vehicle means (they stay in
        the table, flagged). Default False: flag only.

    Returns
    -------
    DataFrame
        Columns :data:`WELL_COLUMNS` (see the module docstring).

    Raises
    ------
    InvalidInputError
        A plate whose blank or vehicle wells have no valid reading, or whose vehicle is not
        above its blank.
    """
    qc = qc or QCParams()
    used = layout[layout["type"] != "empty"]
    wells = used.merge(readings[["plate", "well", "absorbance", "flag"]], on=["plate", "well"],
                       how="left", validate="one_to_one")
    wells["flag"] = wells["flag"].fillna("no value").astype(str)
    wells = flag_outliers(wells, threshold=qc.outlier_threshold)
    wells["net_absorbance"] = np.nan
    wells["viability"] = np.nan
    keep = ~wells["outlier"] if exclude_outliers else pd.Series(True, index=wells.index)
    for pid, idx in wells.groupby("plate", sort=False).groups.items():
        plate = wells.loc[idx]
        ok = keep.loc[idx] & plate["absorbance"].notna()
        blank = plate.loc[ok & (plate["type"] == "blank"), "absorbance"]
        if blank.empty:
            msg = f"plate {pid}: no valid blank reading to subtract"
            raise InvalidInputError(msg)
        blank_mean = float(blank.mean())
        wells.loc[idx, "net_absorbance"] = plate["absorbance"] - blank_mean
        for line, lidx in plate.groupby("cell_line", sort=False).groups.items():
            sub = plate.loc[lidx]
            if (sub["type"] == "blank").all():
                continue
            veh = sub.loc[ok.loc[lidx] & (sub["type"] == "vehicle"), "absorbance"]
            if veh.empty:
                msg = f"plate {pid}, cell line {line!r}: no valid vehicle reading"
                raise InvalidInputError(msg)
            window = float(veh.mean()) - blank_mean
            if window <= 0:
                msg = (f"plate {pid}, cell line {line!r}: vehicle mean {veh.mean():.4g} is not "
                       f"above the blank mean {blank_mean:.4g}")
                raise InvalidInputError(msg)
            target = lidx.intersection(plate.index[plate["type"] != "blank"])
            wells.loc[target, "viability"] = (100.0 * (wells.loc[target, "absorbance"]
                                                       - blank_mean) / window)
        bidx = plate.index[plate["type"] == "blank"]
        lines = plate.loc[plate["type"] == "vehicle", "cell_line"].unique()
        if len(lines) == 1:  # blanks on a one-line plate get a viability too (~0 %)
            veh = plate.loc[ok & (plate["type"] == "vehicle"), "absorbance"]
            wells.loc[bidx, "viability"] = (100.0 * (wells.loc[bidx, "absorbance"] - blank_mean)
                                            / (float(veh.mean()) - blank_mean))
    wells = wells.sort_values(["plate", "row", "col"], key=_row_sort, kind="stable")
    return wells.reset_index(drop=True)[list(WELL_COLUMNS)]


def _row_sort(s: pd.Series) -> pd.Series:
    if s.name == "row":
        return s.map(lambda r: (len(r), r))
    return s


# ----------------------------------------------------------------------------- QC
def _cv(x: pd.Series) -> float:
    if len(x) < 2 or x.mean() == 0:
        return math.nan
    return float(100.0 * x.std(ddof=1) / abs(x.mean()))


def _sd(x: pd.Series) -> float:
    return float(x.std(ddof=1)) if len(x) >= 2 else math.nan


def plate_qc(wells: pd.DataFrame, *, plate_shape: dict[str, tuple[int, int]] | None = None,
             params: QCParams | None = None) -> pd.DataFrame:
    """Quality control per plate and cell line.

    Parameters
    ----------
    wells : DataFrame
        :func:`normalize_plates` output.
    plate_shape : dict, optional
        ``{plate: (n_rows, n_cols)}`` for the outer ring; default from the plate's largest
        column (12 -> 8 x 12, 24 -> 16 x 24).
    params : QCParams, optional
        Thresholds.

    Returns
    -------
    DataFrame
        Columns :data:`QC_COLUMNS` (see the module docstring).
    """
    params = params or QCParams()
    rows = []
    for pid, plate in wells.groupby("plate", sort=False):
        max_col = int(plate["col"].max())
        shape = (plate_shape or {}).get(str(pid))
        if shape is None:
            n_cols = next((c for c in (12, 24, 48) if max_col <= c), max_col)
            shape = ({12: 8, 24: 16, 48: 32}[n_cols], n_cols) if n_cols in (12, 24, 48) else (
                8, max_col)
        n_rows, n_cols = shape
        row_idx = plate["row"].map(lambda r: (ord(r[0]) - 65) if len(r) == 1 else 26 + ord(r[1]) - 65)
        outer = (row_idx == 0) | (row_idx == n_rows - 1) | (plate["col"] == 1) | (
            plate["col"] == n_cols)
        valid = plate["absorbance"].notna()
        blank = plate.loc[valid & (plate["type"] == "blank"), "absorbance"]
        blank_outliers = int(plate.loc[plate["type"] == "blank", "outlier"].sum())
        for line, sub in plate[plate["type"] != "blank"].groupby("cell_line", sort=False):
            sv = sub["absorbance"].notna()
            veh = sub.loc[sv & (sub["type"] == "vehicle"), "net_absorbance"]
            pos = sub.loc[sv & (sub["type"] == "positive_control"), "net_absorbance"]
            warnings = []
            vcv = _cv(veh)
            window = float(veh.mean() + blank.mean()) / float(blank.mean()) if len(
                blank) and blank.mean() > 0 else math.nan
            z_prime = math.nan
            if len(pos) >= 2 and len(veh) >= 2:
                z_prime = 1 - 3 * (_sd(pos) + _sd(veh)) / abs(float(veh.mean() - pos.mean()))
            # edge: conditions with wells both in the outer ring and inside
            ratio, p_edge = math.nan, math.nan
            rel_out, rel_in = [], []
            cond = sub[sv & sub["type"].isin(["vehicle", "treated"])]
            for _t, g in cond.groupby("treatment", sort=False):
                o = outer.loc[g.index]
                med = float(g["net_absorbance"].median())
                if o.any() and (~o).any() and med > 0:
                    rel = g["net_absorbance"] / med
                    rel_out += list(rel[o])
                    rel_in += list(rel[~o])
            if len(rel_out) >= 3 and len(rel_in) >= 3:
                ratio = float(np.mean(rel_out) / np.mean(rel_in))
                if np.std(rel_out) + np.std(rel_in) > 0:
                    p_edge = float(stats.ttest_ind(rel_out, rel_in, equal_var=False).pvalue)
            edge = bool(p_edge < params.edge_alpha and abs(ratio - 1) > params.edge_min_shift) \
                if not math.isnan(p_edge) else False
            n_out = int(sub["outlier"].sum()) + blank_outliers
            if not math.isnan(vcv) and vcv > params.max_vehicle_cv:
                warnings.append(f"vehicle CV {vcv:.1f}% > {params.max_vehicle_cv:g}%")
            bsd = _sd(blank)
            if (not math.isnan(bsd) and len(veh)
                    and bsd > params.max_blank_sd_fraction * float(veh.mean())):
                warnings.append(f"blank SD {bsd:.3g} > {params.max_blank_sd_fraction:g} of the "
                                "vehicle window")
            if not math.isnan(z_prime) and z_prime < params.min_z_prime:
                warnings.append(f"Z' {z_prime:.2f} < {params.min_z_prime:g}")
            if not math.isnan(window) and window < params.min_window:
                warnings.append(f"vehicle/blank ratio {window:.2f} < {params.min_window:g}")
            if edge:
                warnings.append(f"edge effect: outer/inner {ratio:.2f} (p={p_edge:.2g})")
            if n_out:
                flagged = sorted(set(sub.loc[sub["outlier"], "well"]) | set(
                    plate.loc[(plate["type"] == "blank") & plate["outlier"], "well"]))
                warnings.append(f"{n_out} outlier well(s): {', '.join(flagged)}")
            if len(veh) < 3:
                warnings.append(f"only {len(veh)} vehicle well(s)")
            if len(blank) < 3:
                warnings.append(f"only {len(blank)} blank well(s)")
            rows.append({
                "plate": str(pid), "cell_line": line, "n_blank": len(blank),
                "blank_mean": float(blank.mean()) if len(blank) else math.nan,
                "blank_sd": bsd, "blank_cv": _cv(blank), "n_vehicle": len(veh),
                "vehicle_mean": float(veh.mean()) if len(veh) else math.nan,
                "vehicle_sd": _sd(veh), "vehicle_cv": vcv, "window": window,
                "n_positive": len(pos), "z_prime": z_prime, "edge_ratio": ratio,
                "edge_p": p_edge, "edge_effect": edge, "n_outliers": n_out,
                "warnings": "; ".join(warnings),
            })
    return pd.DataFrame(rows, columns=list(QC_COLUMNS))


# ----------------------------------------------------------------------------- summaries
_COND = ["cell_line", "type", "treatment", "agents", "dose", "unit"]


def replicate_means(wells: pd.DataFrame, *, exclude_outliers: bool = False) -> pd.DataFrame:
    """Mean viability per condition and biological replicate.

    Returns
    -------
    DataFrame
        ``cell_line, type, treatment, agents, dose, unit, replicate, n_wells,
        viability_mean, viability_sd`` (SD over the technical wells).
    """
    use = wells[(wells["type"] != "blank") & wells["viability"].notna()]
    if exclude_outliers:
        use = use[~use["outlier"]]
    grouped = use.groupby([*_COND, "replicate"], sort=False, dropna=False)["viability"]
    return grouped.agg(n_wells="count", viability_mean="mean", viability_sd="std").reset_index()


def summarize_conditions(wells: pd.DataFrame, *, exclude_outliers: bool = False) -> pd.DataFrame:
    """Viability per condition, over biological replicates.

    Returns
    -------
    DataFrame
        ``cell_line, type, treatment, agents, dose, unit`` and

        * ``n_replicates`` - biological replicates with data;
        * ``n_wells`` - wells used;
        * ``viability_mean`` - mean of the replicate means;
        * ``viability_sd`` - SD of the replicate means (NaN for one replicate);
        * ``viability_sem`` - ``viability_sd / sqrt(n_replicates)``;
        * ``well_mean``, ``well_sd`` - over all wells pooled;
        * ``n_outliers`` - flagged wells in the condition.
    """
    reps = replicate_means(wells, exclude_outliers=exclude_outliers)
    g = reps.groupby(_COND, sort=False, dropna=False)
    out = g.agg(n_replicates=("replicate", "nunique"), n_wells=("n_wells", "sum"),
                viability_mean=("viability_mean", "mean"),
                viability_sd=("viability_mean", "std")).reset_index()
    out["viability_sem"] = out["viability_sd"] / np.sqrt(out["n_replicates"])
    use = wells[(wells["type"] != "blank") & wells["viability"].notna()]
    pooled = use.groupby(_COND, sort=False, dropna=False).agg(
        well_mean=("viability", "mean"), well_sd=("viability", "std"),
        n_outliers=("outlier", "sum")).reset_index()
    out = out.merge(pooled, on=_COND, how="left")
    out["n_outliers"] = out["n_outliers"].fillna(0).astype("int64")
    return out.sort_values(["cell_line", "agents", "dose"], kind="stable").reset_index(drop=True)
