"""A simulated MTT experiment with known true curves and a known interaction.

Design (the reference experiment): each cell line is treated with temsirolimus
(1 nM-100 uM, 9 doses), IFN-alpha (10-1000 IU/mL, 7 doses) and two fixed-ratio mixtures
(6 doses each), in triplicate wells, plus vehicle (6 wells), blank (3) and a
positive control (3, full kill). One 96-well plate per cell line and biological replicate;
the 32 triplicate slots are placed in a random order on every plate.

True single-agent curves are drc LL.4 in % of vehicle::

    V(x) = c + (d - c) / (1 + (x / e)^b),   d = 100

with partial efficacy (``c`` > 0) for temsirolimus. Relative IC50 = ``e``; absolute IC50
(V = 50) = ``e ((d - 50)/(50 - c))^(1/b)``, which does not exist when ``c >= 50``.

Mixtures follow a constant **Loewe interaction index** ``tau`` (the 4PL-based Loewe
combination index): the viability ``V`` of a mixture ``(x1, x2)`` solves::

    x1 / D1(V) + x2 / D2(V) = tau,   Di(V) = e_i ((d - V)/(V - c_i))^(1/b_i)

with ``Di(V) = inf`` where drug i cannot reach ``V`` (``V <= c_i``). ``tau < 1`` is
synergy; the true Loewe CI is ``tau`` at every effect level both agents reach, in
particular at fa = 0.5. Chou's median-effect CI equals ``tau`` only when both curves have
``c = 0`` (the median-effect model); with a plateau it is an approximation.

Absorbance per well (570 nm and a 630 nm reference)::

    A570 = blank + S * V/100 * exp(N(0, cv)) * edge + bg + N(0, sd_add)
    A630 = bg + 0.02 * S * V/100 + N(0, sd_add / 3)

``S`` = plate vehicle signal (uniform 0.95-1.40), ``blank`` ~ 0.05 (medium + MTT), ``bg``
the well's optical background (~0.04, read at both wavelengths). Each plate (biological
replicate) draws its own ``log10 e`` around the truth (SD ``bio_sd``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize

from blotquant.errors import InvalidInputError
from blotquant.viability.layout import layout_from_table
from blotquant.viability.plates import PLATE_COLUMNS, row_letter

__all__ = [
    "AgentCurve",
    "CellLineTruth",
    "SimulatedExperiment",
    "default_cell_lines",
    "mixture_viability",
    "simulate_mtt_experiment",
    "write_simulated_experiment",
]


@dataclass(frozen=True)
class AgentCurve:
    """A true single-agent LL.4 curve in % of vehicle.

    Attributes
    ----------
    agent, unit : str
        Agent name and dose unit (``"nM"``, ``"IU/mL"``).
    e : float
        Relative IC50 (dose halfway between ``top`` and ``bottom``).
    hill : float
        drc ``b`` (> 0: falling curve).
    bottom, top : float
        Plateaus in % of vehicle.
    """

    agent: str
    unit: str
    e: float
    hill: float
    bottom: float
    top: float = 100.0

    def viability(self, dose: np.ndarray | float) -> np.ndarray:
        """True viability (%) at ``dose``."""
        x = np.asarray(dose, dtype=float)
        with np.errstate(divide="ignore"):
            return self.bottom + (self.top - self.bottom) / (1.0 + (x / self.e) ** self.hill)

    def dose_for(self, v: float) -> float:
        """Dose giving viability ``v``; ``inf`` if ``v`` is at or below the plateau."""
        if v >= self.top:
            return 0.0
        if v <= self.bottom:
            return math.inf
        return self.e * ((self.top - v) / (v - self.bottom)) ** (1.0 / self.hill)

    @property
    def ic50_absolute(self) -> float:
        """Dose at 50 % of vehicle (NaN when never reached)."""
        d = self.dose_for(50.0)
        return d if math.isfinite(d) and d > 0 else math.nan


@dataclass(frozen=True)
class CellLineTruth:
    """True curves of one cell line and the true interaction of its mixtures.

    Attributes
    ----------
    name : str
        Cell line.
    curves : tuple of AgentCurve
        Exactly two agents (first, second).
    tau : float
        True Loewe interaction index (combination index) of the mixtures.
    ratios : tuple of (float, float)
        Fixed mixture ratios ``(dose of agent 1, dose of agent 2)`` at the middle mixture
        dose; mixtures are these times ``2**k``.
    """

    name: str
    curves: tuple[AgentCurve, AgentCurve]
    tau: float
    ratios: tuple[tuple[float, float], ...]


def default_cell_lines() -> tuple[CellLineTruth, ...]:
    """The reference design: 786-O and Caki-1 with temsirolimus and IFN-alpha."""
    return (
        CellLineTruth("786-O", (AgentCurve("temsirolimus", "nM", 15.0, 1.0, 40.0),
                                AgentCurve("IFN-alpha", "IU/mL", 120.0, 1.3, 15.0)),
                      tau=0.6, ratios=((15.0, 120.0), (60.0, 120.0))),
        CellLineTruth("Caki-1", (AgentCurve("temsirolimus", "nM", 4.0, 0.9, 30.0),
                                 AgentCurve("IFN-alpha", "IU/mL", 350.0, 1.1, 25.0)),
                      tau=0.75, ratios=((4.0, 350.0), (16.0, 350.0))),
    )


def mixture_viability(curves: Sequence[AgentCurve], doses: Sequence[float], *,
                      tau: float) -> float:
    """True viability of a mixture under a constant Loewe interaction index ``tau``.

    A single agent (one non-zero dose) follows its own curve.
    """
    doses = [float(x) for x in doses]
    active = [(c, x) for c, x in zip(curves, doses, strict=True) if x > 0]
    if not active:
        return float(curves[0].top)
    if len(active) == 1:  # a single agent follows its own curve; tau concerns mixtures
        return float(active[0][0].viability(active[0][1]))

    def g(v: float) -> float:
        return sum(x / c.dose_for(v) if x > 0 else 0.0 for c, x in zip(curves, doses,
                                                                       strict=True)) - tau

    lo = min(c.bottom for c, x in zip(curves, doses, strict=True) if x > 0) + 1e-9
    hi = min(c.top for c in curves) - 1e-9
    if g(lo) >= 0:
        return lo
    return float(optimize.brentq(g, lo, hi, xtol=1e-10))


@dataclass(frozen=True)
class SimulatedExperiment:
    """Plates, layout and ground truth of a simulated MTT experiment.

    Attributes
    ----------
    plates : dict of str to DataFrame
        Plate tables (:data:`blotquant.viability.plates.PLATE_COLUMNS`), reads at 570 and
        630 nm, keyed by plate id.
    layout : DataFrame
        Layout table (:func:`blotquant.viability.layout.layout_from_table` output).
    curves : DataFrame
        Truth per cell line and agent: ``cell_line, agent, unit, e, hill, bottom, top,
        ic50_relative, ic50_absolute`` (NaN = not reached).
    combination : DataFrame
        Truth per cell line and mixture ratio: ``cell_line, ratio, dose_1, dose_2, tau,
        fa, ci_true, mixture_dose_1, mixture_dose_2`` (the mixture doses giving fa 0.5).
    wells : DataFrame
        Per well: ``plate, well, cell_line, treatment, true_viability, outlier_injected,
        edge``.
    params : dict
        Simulation settings.
    """

    plates: dict[str, pd.DataFrame]
    layout: pd.DataFrame
    curves: pd.DataFrame
    combination: pd.DataFrame
    wells: pd.DataFrame
    params: dict = field(default_factory=dict)

    def plate_table(self) -> pd.DataFrame:
        """All plates stacked into one plate table."""
        return pd.concat(self.plates.values(), ignore_index=True)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _treatment(curves: Sequence[AgentCurve], doses: Sequence[float]) -> str:
    return " + ".join(f"{c.agent} {_fmt(x)} {c.unit}" for c, x in zip(curves, doses,
                                                                      strict=True) if x > 0)


def simulate_mtt_experiment(
    *,
    seed: int,
    cell_lines: Sequence[CellLineTruth] | None = None,
    n_replicates: int = 3,
    doses_1: Sequence[float] = tuple(float(f"{x:.3g}") for x in np.logspace(0, 5, 9)),
    doses_2: Sequence[float] = tuple(float(f"{x:.3g}") for x in np.logspace(1, 3, 7)),
    mixture_steps: Sequence[float] = (1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0, 2.0),
    blank: float = 0.05,
    vehicle_signal: tuple[float, float] = (0.95, 1.40),
    cv: float = 0.06,
    sd_add: float = 0.008,
    bio_sd: float = 0.05,
    edge_factor: float = 1.0,
    n_outliers: int = 0,
) -> SimulatedExperiment:
    """Simulate the reference MTT experiment (see the module docstring).

    Parameters
    ----------
    seed : int
        Seed of ``np.random.default_rng``; the same seed gives the same experiment.
    cell_lines : sequence of CellLineTruth, optional
        True curves; default :func:`default_cell_lines`.
    n_replicates : int
        Biological replicates (one plate each per cell line).
    doses_1, doses_2 : sequence of float
        Single-agent doses of the first and second agent (their units).
    mixture_steps : sequence of float
        Multipliers of each ratio's base doses (6 values fit the plate).
    blank, vehicle_signal, cv, sd_add : float
        Absorbance model (module docstring).
    bio_sd : float
        SD of each plate's ``log10 e`` around the truth.
    edge_factor : float
        Signal multiplier in the outer ring (1 = no edge effect; 0.8 = 20 % evaporation loss).
    n_outliers : int
        Wells per plate drawn at random whose cell signal is cut to 10-40 % (pipetting
        errors) when their true viability is >= 50 % (so the loss is visible), recorded in
        ``wells.outlier_injected``.

    Returns
    -------
    SimulatedExperiment
    """
    rng = np.random.default_rng(seed)
    lines = tuple(cell_lines) if cell_lines is not None else default_cell_lines()
    n_slots = 32
    records, layout_rows, truth_wells = [], [], []
    for line in lines:
        c1, c2 = line.curves
        conditions: list[tuple[str, tuple[float, float]]] = []
        conditions += [("treated", (x, 0.0)) for x in doses_1]
        conditions += [("treated", (0.0, x)) for x in doses_2]
        for p, q in line.ratios:
            conditions += [("treated", (p * k, q * k)) for k in mixture_steps]
        controls = [("vehicle", (0.0, 0.0)), ("vehicle", (0.0, 0.0)), ("blank", (0.0, 0.0)),
                    ("positive_control", (0.0, 0.0))]
        slots = conditions + controls
        if len(slots) > n_slots:
            msg = f"{len(slots)} triplicate slots do not fit a 96-well plate ({n_slots})"
            raise InvalidInputError(msg)
        slots += [("empty", (0.0, 0.0))] * (n_slots - len(slots))
        for rep in range(1, n_replicates + 1):
            pid = f"{line.name}_r{rep}"
            shift = rng.normal(0.0, bio_sd, size=2)
            plate_curves = [AgentCurve(c.agent, c.unit, c.e * 10 ** s, c.hill, c.bottom, c.top)
                            for c, s in zip((c1, c2), shift, strict=True)]
            signal = rng.uniform(*vehicle_signal)
            order = rng.permutation(n_slots)
            n_used = 3 * sum(1 for s in slots if s[0] != "empty")
            bad = set(rng.choice(n_used, size=min(n_outliers, n_used), replace=False).tolist()) \
                if n_outliers else set()
            used_index = 0
            for slot_pos, slot_id in enumerate(order):
                kind, (x1, x2) = slots[slot_id]
                r, c0 = divmod(slot_pos, 4)
                for k in range(3):
                    row, col = row_letter(r), 3 * c0 + k + 1
                    well = f"{row}{col}"
                    edge = r in (0, 7) or col in (1, 12)
                    if kind == "empty":
                        layout_rows.append({"plate": pid, "well": well, "type": "empty"})
                        records += [(pid, well, row, col, 570.0, "", math.nan, "no value"),
                                    (pid, well, row, col, 630.0, "", math.nan, "no value")]
                        continue
                    if kind == "blank":
                        v, treatment, cells = 0.0, "", 0.0
                    elif kind == "vehicle":
                        v, treatment, cells = 100.0, "vehicle", 1.0
                    elif kind == "positive_control":
                        v, treatment, cells = 0.0, "staurosporine 10 uM", 1.0
                    else:
                        v = mixture_viability(plate_curves, (x1, x2), tau=line.tau)
                        treatment, cells = _treatment((c1, c2), (x1, x2)), 1.0
                    injected = (kind in ("treated", "vehicle") and used_index in bad
                                and v >= 50.0)
                    used_index += 1
                    s = signal * v / 100.0 * cells * math.exp(rng.normal(0.0, cv))
                    s *= edge_factor if edge else 1.0
                    if injected:
                        s *= rng.uniform(0.1, 0.4)
                    bg = 0.04 + rng.normal(0.0, 0.01)
                    a570 = blank + rng.normal(0.0, 0.003) + s + bg + rng.normal(0.0, sd_add)
                    a630 = bg + 0.02 * s + rng.normal(0.0, sd_add / 3)
                    records += [(pid, well, row, col, 570.0, "", round(a570, 4), ""),
                                (pid, well, row, col, 630.0, "", round(a630, 4), "")]
                    layout_rows.append({"plate": pid, "well": well, "type": kind,
                                        "cell_line": "" if kind == "blank" else line.name,
                                        "treatment": treatment, "replicate": str(rep)})
                    truth_wells.append({"plate": pid, "well": well, "cell_line": line.name,
                                        "type": kind, "treatment": treatment,
                                        "true_viability": v, "outlier_injected": injected,
                                        "edge": edge})
    table = pd.DataFrame.from_records(records, columns=list(PLATE_COLUMNS))
    plates = {pid: t.reset_index(drop=True) for pid, t in table.groupby("plate", sort=False)}
    layout = layout_from_table(pd.DataFrame(layout_rows, dtype=object).fillna(""),
                               source="simulated layout")
    curves, combos = [], []
    for line in lines:
        for c in line.curves:
            curves.append({"cell_line": line.name, "agent": c.agent, "unit": c.unit, "e": c.e,
                           "hill": c.hill, "bottom": c.bottom, "top": c.top,
                           "ic50_relative": c.e, "ic50_absolute": c.ic50_absolute})
        c1, c2 = line.curves
        for p, q in line.ratios:
            # mixture dose t*(p, q) at fa 0.5: t (p/D1(50) + q/D2(50)) = tau
            inv = p / c1.dose_for(50.0) + q / c2.dose_for(50.0)
            t = line.tau / inv if inv > 0 else math.nan
            combos.append({"cell_line": line.name, "ratio": f"{_fmt(p)}:{_fmt(q)}",
                           "dose_1": p, "dose_2": q, "tau": line.tau, "fa": 0.5,
                           "ci_true": line.tau, "mixture_dose_1": t * p,
                           "mixture_dose_2": t * q})
    params = {"seed": seed, "n_replicates": n_replicates, "blank": blank,
              "vehicle_signal": list(vehicle_signal), "cv": cv, "sd_add": sd_add,
              "bio_sd": bio_sd, "edge_factor": edge_factor, "n_outliers": n_outliers,
              "doses_1": list(doses_1), "doses_2": list(doses_2),
              "mixture_steps": list(mixture_steps)}
    return SimulatedExperiment(plates=plates, layout=layout, curves=pd.DataFrame(curves),
                               combination=pd.DataFrame(combos),
                               wells=pd.DataFrame(truth_wells), params=params)


def write_simulated_experiment(sim: SimulatedExperiment, folder: str | Path) -> dict[str, Path]:
    """Write the plates as grid CSV exports and the layout as a long CSV.

    Each plate becomes ``<folder>/<plate>.csv``: a ``Plate: <id>`` line, then one
    ``Wavelength: <nm> nm`` grid per wavelength (readable by
    :func:`blotquant.viability.plates.read_plate`). The layout is ``<folder>/layout.csv``
    (columns ``plate, well, type, cell_line, treatment, replicate``); the truth tables are
    ``truth_curves.csv`` (true curve, relative and absolute IC50 per cell line and agent),
    ``truth_combination.csv`` (true Loewe interaction index ``tau`` per cell line and ratio)
    and ``truth.json`` (the same, nested by cell line, with the simulation settings). The
    truth is the population value: each plate draws its own IC50s around it (``bio_sd``).

    Parameters
    ----------
    sim : SimulatedExperiment
        From :func:`simulate_mtt_experiment`.
    folder : str or Path
        Output folder (created if needed).

    Returns
    -------
    dict of str to Path
        ``{"layout": path, "truth_curves": path, "truth_combination": path,
        "truth": path, <plate>: path}``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for pid, table in sim.plates.items():
        lines = [f"Plate: {pid}"]
        n_cols = int(table["col"].max())
        for wl, reads in table.groupby("wavelength", sort=True):
            lines += ["", f"Wavelength: {wl:g} nm", "," + ",".join(str(c) for c in
                                                                   range(1, n_cols + 1))]
            grid = reads.pivot(index="row", columns="col", values="value")
            for row in sorted(grid.index, key=lambda r: (len(r), r)):
                vals = ["" if math.isnan(v) else f"{v:.4f}" for v in grid.loc[row]]
                lines.append(row + "," + ",".join(vals))
        path = folder / f"{pid}.csv"
        path.write_text("\n".join(lines) + "\n")
        paths[pid] = path
    layout = sim.layout[["plate", "well", "type", "cell_line", "treatment", "replicate"]]
    paths["layout"] = folder / "layout.csv"
    layout.to_csv(paths["layout"], index=False)
    paths["truth_curves"] = folder / "truth_curves.csv"
    sim.curves.to_csv(paths["truth_curves"], index=False)
    paths["truth_combination"] = folder / "truth_combination.csv"
    sim.combination.to_csv(paths["truth_combination"], index=False)
    truth: dict[str, object] = {"cell_lines": {}, "params": sim.params}
    for line, part in sim.curves.groupby("cell_line", sort=False):
        combo = sim.combination[sim.combination["cell_line"] == line]
        truth["cell_lines"][str(line)] = {  # type: ignore[index]
            "tau": float(combo["tau"].iloc[0]) if len(combo) else None,
            "agents": {str(r.agent): {"unit": str(r.unit), "e": float(r.e),
                                      "hill": float(r.hill), "bottom": float(r.bottom),
                                      "top": float(r.top),
                                      "ic50_relative": float(r.ic50_relative),
                                      "ic50_absolute": (None if math.isnan(r.ic50_absolute)
                                                        else float(r.ic50_absolute))}
                       for r in part.itertuples(index=False)}}
    paths["truth"] = folder / "truth.json"
    paths["truth"].write_text(json.dumps(truth, indent=2) + "\n")
    return paths
