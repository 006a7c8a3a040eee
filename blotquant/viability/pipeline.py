"""One call from plate-reader exports and a layout to viability, IC50s and CIs.

:func:`analyze_viability` reads (or takes) the plates and the layout, checks that they
match, normalises every plate to its own blank and vehicle
(:mod:`blotquant.viability.normalize`), runs QC, fits one dose-response curve per
cell line and single agent (:func:`blotquant.viability.doseresponse.fit_curve`), reports
relative and absolute IC50s with confidence intervals
(:func:`blotquant.viability.ed.effective_dose`) and, when the layout holds fixed-ratio
mixtures, Chou-Talalay combination indices
(:func:`blotquant.viability.combination.combination_index`).

Curves are fitted to the **biological-replicate means** at each dose by default
(``fit_on="replicate_means"``): wells on one plate are technical replicates, and CIs that
generalise need the experiment as the unit (NOTES §2.0; Prism FAQ 549). Vehicle points
enter at dose 0 (LL models define f(0) = d). ``fit_on="wells"`` fits every well.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from blotquant.conditions import parse_treatment
from blotquant.errors import InvalidInputError
from blotquant.viability.layout import layout_from_table, match_layout, read_layout
from blotquant.viability.normalize import (
    QCParams,
    normalize_plates,
    plate_qc,
    replicate_means,
    select_absorbance,
    summarize_conditions,
)
from blotquant.viability.plates import read_plates

__all__ = ["ViabilityParams", "ViabilityResult", "analyze_viability", "curve_data"]


@dataclass(frozen=True)
class ViabilityParams:
    """Settings of :func:`analyze_viability` (written to ``params.json``)."""

    wavelength: float | None = None
    reference_wavelength: float | None = None
    measurement: str | None = None
    model: str = "LL.4"
    fit_on: str = "replicate_means"
    exclude_outliers: bool = False
    interval: str = "tfls"
    ic_levels: tuple[float, ...] = (50.0,)
    combination: bool = True
    combination_interval: str = "delta"
    qc: QCParams = field(default_factory=QCParams)

    def to_dict(self) -> dict[str, object]:
        """Plain dict (JSON-ready)."""
        out = asdict(self)
        out["ic_levels"] = list(self.ic_levels)
        return out


@dataclass(frozen=True)
class ViabilityResult:
    """Tables of a viability analysis.

    Attributes
    ----------
    wells : DataFrame
        Per well (:data:`blotquant.viability.normalize.WELL_COLUMNS`).
    conditions : DataFrame
        Per condition (:func:`blotquant.viability.normalize.summarize_conditions`).
    replicates : DataFrame
        Per condition and biological replicate
        (:func:`blotquant.viability.normalize.replicate_means`).
    qc : DataFrame
        Per plate and cell line (:data:`blotquant.viability.normalize.QC_COLUMNS`).
    fits : DataFrame
        One row per cell line and agent: ``cell_line, agent, unit`` then the columns of
        :func:`blotquant.viability.doseresponse.fits_table`.
    ed : DataFrame
        IC50s: ``cell_line, agent, unit`` then
        :data:`blotquant.viability.ed.ED_COLUMNS` (``type`` is ``relative`` - halfway
        between the fitted plateaus - or ``absolute`` - 50 % of vehicle; ``reached`` False
        with a ``note`` when not reached or outside the tested doses).
    combination : DataFrame
        Chou-Talalay CI table (:func:`blotquant.viability.combination.combination_index`,
        ``ci`` table, grouped by ``cell_line``); empty without mixtures.
    curves : dict
        ``{(cell_line, agent): CurveFit}`` for figures.
    params : dict
        Settings, detected plate formats, notes.
    """

    wells: pd.DataFrame
    conditions: pd.DataFrame
    replicates: pd.DataFrame
    qc: pd.DataFrame
    fits: pd.DataFrame
    ed: pd.DataFrame
    combination: pd.DataFrame
    curves: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)


def curve_data(wells: pd.DataFrame, *, fit_on: str = "replicate_means",
               exclude_outliers: bool = False) -> pd.DataFrame:
    """Points for the single-agent fits: one row per cell line, agent and dose.

    Returns
    -------
    DataFrame
        ``cell_line, agent, unit, dose, replicate, viability, n_wells``; vehicle points
        (dose 0) are repeated for every agent of their cell line.
    """
    if fit_on not in ("replicate_means", "wells"):
        msg = f"`fit_on` must be 'replicate_means' or 'wells', got {fit_on!r}"
        raise InvalidInputError(msg)
    use = wells[wells["viability"].notna() & wells["type"].isin(["treated", "vehicle"])]
    if exclude_outliers:
        use = use[~use["outlier"]]
    if fit_on == "replicate_means":
        pts = replicate_means(use, exclude_outliers=False).rename(
            columns={"viability_mean": "viability"})
    else:
        pts = use.assign(n_wells=1)
    single = pts[(pts["type"] == "treated") & ~pts["agents"].str.contains("+", regex=False)]
    out = []
    for (line, agent), part in single.groupby(["cell_line", "agents"], sort=False):
        veh = pts[(pts["type"] == "vehicle") & (pts["cell_line"] == line)]
        rows = pd.concat([part, veh.assign(dose=0.0)], ignore_index=True)
        rows = rows.assign(agent=agent, unit=part["unit"].iloc[0])
        out.append(rows[["cell_line", "agent", "unit", "dose", "replicate", "viability",
                         "n_wells"]])
    if not out:
        return pd.DataFrame(columns=["cell_line", "agent", "unit", "dose", "replicate",
                                     "viability", "n_wells"])
    return pd.concat(out, ignore_index=True)


def _as_plates(plates: pd.DataFrame | str | Path | Sequence[str | Path]) -> pd.DataFrame:
    if isinstance(plates, pd.DataFrame):
        return plates
    paths = [plates] if isinstance(plates, str | Path) else list(plates)
    return read_plates(paths)


def _as_layout(layout: pd.DataFrame | str | Path) -> pd.DataFrame:
    if isinstance(layout, str | Path):
        return read_layout(layout)
    if "agents" in layout.columns and "row" in layout.columns:
        return layout
    return layout_from_table(layout.astype(object).fillna(""), source="layout table")


def _combination(wells: pd.DataFrame, params: ViabilityParams, notes: list[str]) -> pd.DataFrame:
    mix = wells[(wells["type"] == "treated") & wells["agents"].str.contains("+", regex=False)]
    if mix.empty or not params.combination:
        return pd.DataFrame()
    from blotquant.viability.combination import combination_index

    lines = mix["cell_line"].unique()
    agents = {a for s in mix["agents"] for a in s.split("+")}
    data = wells[wells["cell_line"].isin(lines) & wells["viability"].notna()
                 & (wells["type"] == "treated")]
    data = data[data["agents"].map(lambda s: set(s.split("+")) <= agents)]
    if params.exclude_outliers:
        data = data[~data["outlier"]]
    try:
        res = combination_index(data[["cell_line", "treatment", "viability"]].reset_index(
            drop=True), treatment="treatment", response="viability", scale="viability_percent",
            by="cell_line", interval=params.combination_interval)
    except InvalidInputError as exc:
        notes.append(f"combination index not computed: {exc}")
        return pd.DataFrame()
    return res.ci


def analyze_viability(
    plates: pd.DataFrame | str | Path | Sequence[str | Path],
    layout: pd.DataFrame | str | Path,
    *,
    reference_wavelength: float | None = None,
    wavelength: float | None = None,
    measurement: str | None = None,
    model: str = "LL.4",
    fit_on: str = "replicate_means",
    exclude_outliers: bool = False,
    interval: str = "tfls",
    combination: bool = True,
    combination_interval: str = "delta",
    qc: QCParams | None = None,
) -> ViabilityResult:
    """Analyse MTT plates: normalise, QC, fit, IC50s, combination indices.

    Parameters
    ----------
    plates : DataFrame, path or sequence of paths
        A plate table (:func:`blotquant.viability.plates.read_plate`) or export files.
    layout : DataFrame or path
        Layout (:func:`blotquant.viability.layout.read_layout` or a long table).
    reference_wavelength : float, optional
        Subtracted from the measurement wavelength well by well (e.g. 630).
    wavelength : float, optional
        Measurement wavelength when the files hold several.
    measurement : str, optional
        Read label to use when a file has several reads at one wavelength.
    model : str
        drc model of the single-agent curves (default ``"LL.4"``).
    fit_on : {"replicate_means", "wells"}
        Fit biological-replicate means (default) or every well.
    exclude_outliers : bool
        Leave flagged wells out of normalisation, summaries and fits (they stay in
        ``wells``, flagged). Default False: flag only.
    interval : {"tfls", "delta", "profile", "none"}
        IC50 confidence interval (``effective_dose``); ``tfls`` = log scale, never negative.
    combination : bool
        Compute Chou-Talalay CIs when the layout holds mixtures.
    combination_interval : {"delta", "bootstrap", "auto", "none"}
        CI uncertainty (``combination_index``).
    qc : QCParams, optional
        QC thresholds.

    Returns
    -------
    ViabilityResult

    Raises
    ------
    InvalidInputError
        Unreadable or mismatched inputs (named), plates without blank/vehicle.
    """
    from blotquant.viability.doseresponse import fit_curve, fits_table
    from blotquant.viability.ed import effective_dose

    params = ViabilityParams(wavelength=wavelength, reference_wavelength=reference_wavelength,
                             measurement=measurement, model=model, fit_on=fit_on,
                             exclude_outliers=exclude_outliers, interval=interval,
                             combination=combination,
                             combination_interval=combination_interval, qc=qc or QCParams())
    table = _as_plates(plates)
    lay = _as_layout(layout)
    readings = select_absorbance(table, wavelength=wavelength,
                                 reference_wavelength=reference_wavelength,
                                 measurement=measurement)
    matched = match_layout(table.drop_duplicates(["plate", "well"]), lay)
    wells = normalize_plates(readings, matched, qc=params.qc, exclude_outliers=exclude_outliers)
    qc_table = plate_qc(wells, params=params.qc)
    conditions = summarize_conditions(wells, exclude_outliers=exclude_outliers)
    replicates = replicate_means(wells, exclude_outliers=exclude_outliers)
    notes: list[str] = []
    points = curve_data(wells, fit_on=fit_on, exclude_outliers=exclude_outliers)
    curves = {}
    fit_rows, ed_rows = [], []
    for (line, agent), part in points.groupby(["cell_line", "agent"], sort=False):
        label = f"{line} | {agent}" if line else agent
        fit = fit_curve(part["dose"].to_numpy(float), part["viability"].to_numpy(float),
                        model=model, curve=label)
        curves[(line, agent)] = fit
        unit = part["unit"].iloc[0]
        fit_rows.append(fits_table(fit).assign(cell_line=line, agent=agent, unit=unit))
        for kind in ("relative", "absolute"):
            ed = effective_dose(fit, list(params.ic_levels), type=kind, interval=interval)
            ed_rows.append(ed.assign(cell_line=line, agent=agent, unit=unit))
        if not fit.converged:
            notes.append(f"{label}: fit did not converge ({fit.message})")
    lead = ["cell_line", "agent", "unit"]
    fits = pd.concat(fit_rows, ignore_index=True) if fit_rows else pd.DataFrame(columns=lead)
    fits = fits[lead + [c for c in fits.columns if c not in lead]]
    eds = pd.concat(ed_rows, ignore_index=True) if ed_rows else pd.DataFrame(columns=lead)
    eds = eds[lead + [c for c in eds.columns if c not in lead]]
    combo = _combination(wells, params, notes)
    out_params = {"analysis": params.to_dict(), "notes": notes,
                  "plates": sorted(map(str, wells["plate"].unique())),
                  "n_outliers": int(wells["outlier"].sum())}
    if "format" in table.columns:
        out_params["formats"] = {str(s): str(f) for s, f in
                                 table[["source", "format"]].drop_duplicates().itertuples(
                                     index=False)}
    elif "format" in table.attrs:
        out_params["formats"] = {str(table.attrs.get("source", "")): table.attrs["format"]}
    return ViabilityResult(wells=wells, conditions=conditions, replicates=replicates,
                           qc=qc_table, fits=fits, ed=eds, combination=combo, curves=curves,
                           params=out_params)


def treatment_dose(treatment: str, agent: str) -> float:
    """Dose of ``agent`` in canonical ``treatment`` text (0 if absent, NaN if unparsable)."""
    try:
        return parse_treatment(treatment).dose_of(agent)
    except InvalidInputError:
        return math.nan


