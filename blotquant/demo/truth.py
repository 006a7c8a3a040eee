"""The documented ground-truth model of the simulated demo experiment.

Everything here is pure computation (no files, no images). The demo simulates the
reference study - temsirolimus and interferon alfa (``IFN-alpha``), alone and combined,
on the renal carcinoma lines 786-O and Caki-1 - with a known truth for every number the
analysis reports. The full description with the formulas is in ``docs/demo_model.md``.

Viability
    Taken from :func:`blotquant.viability.simulate_mtt_experiment` (the simulator's own
    true LL.4 curves, Loewe interaction index and per-plate biological variation), so the
    blot half and the viability half of the demo describe the same cells.

Blot readouts (levels relative to the vehicle, i.e. true fold changes)
    With ``t`` the temsirolimus dose (nM), ``i`` the IFN-alpha dose (IU/mL) and ``V`` the
    true viability of the same condition and biological replicate (% of vehicle):

    * phospho-S6 (Ser240/244, 32 kDa), the mTORC1 readout, falls with temsirolimus only::

          pS6(t) = b + (1 - b) / (1 + (t / ic50_pS6)^h)

      with ``ic50_pS6 = ps6_ic50_fraction * e_viability`` (below the viability IC50:
      the pathway is inhibited at doses that do not yet kill).
    * phospho-STAT1 (Tyr701, 91 kDa), the interferon readout, rises with IFN only::

          pSTAT1(i) = 1 + (m - 1) * i^h / (i^h + ec50^h)

    * cleaved caspase-3 (19 + 17 kDa doublet), apoptosis, rises with cell death::

          casp(V) = 1 + k * (1 - V / 100)

      split 40 % / 60 % between the 19 and 17 kDa bands; in the combination it follows
      the combination's (synergistic) viability.
    * beta-actin (42 kDa), the loading control: constant (level 1).

    Biological replicate ``r`` draws its own ``log10 ic50_pS6`` and ``log10 ec50`` (SD
    ``bio_sd_log10``) and multiplies every sample's level by ``exp(N(0, sample_sd))``;
    its viability is the simulator's true viability of plate replicate ``r``.

Images
    Band volume = loading x level x scale: each lane's loading factor is drawn uniformly
    in ``1 +- loading_spread`` and is shared by every target of the lane (normalisation
    to beta-actin must remove it). All images of a membrane share the lane geometry, so
    the true fold change of a lane equals the ratio of the true band volumes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = [
    "AGENT_IFN",
    "AGENT_TEM",
    "CASPASE_19_FRACTION",
    "TARGETS",
    "ReadoutCurves",
    "ReadoutModel",
    "TargetInfo",
    "default_readout_models",
    "expected_correlation_sign",
    "ps6_absolute_ic50",
    "readout_levels",
]

#: Agent names as written in the sample sheet and the plate layout.
AGENT_TEM = "temsirolimus"
AGENT_IFN = "IFN-alpha"


@dataclass(frozen=True)
class TargetInfo:
    """Display information of one blot target.

    Attributes
    ----------
    name : str
        Target name used in the sample sheet.
    mw_kda : tuple of float
        Expected band(s) in kDa, top to bottom (two for a doublet).
    pathway : str
        What the readout reports.
    epitope : str
        Antibody epitope.
    loading_control : str
        Target it is divided by (``""`` for the loading control itself).
    """

    name: str
    mw_kda: tuple[float, ...]
    pathway: str
    epitope: str = ""
    loading_control: str = "beta-actin"


#: The four targets of the demo, in the order they are listed.
TARGETS: dict[str, TargetInfo] = {
    "phospho-S6": TargetInfo("phospho-S6", (32.0,), "mTORC1 (temsirolimus target)",
                             "Ser240/244"),
    "cleaved caspase-3": TargetInfo("cleaved caspase-3", (19.0, 17.0), "apoptosis",
                                    "Asp175 (17/19 kDa doublet)"),
    "phospho-STAT1": TargetInfo("phospho-STAT1", (91.0,), "interferon / JAK-STAT",
                                "Tyr701"),
    "beta-actin": TargetInfo("beta-actin", (42.0,), "loading control", "",
                             loading_control=""),
}

#: Fraction of cleaved caspase-3 signal in the upper (19 kDa) band of the doublet.
CASPASE_19_FRACTION = 0.4


@dataclass(frozen=True)
class ReadoutModel:
    """True pathway response of one cell line (see the module docstring).

    Attributes
    ----------
    cell_line : str
    ps6_ic50_fraction : float
        IC50 of phospho-S6 suppression as a fraction of the relative viability IC50 of
        temsirolimus (< 1: the pathway is hit below the cytotoxic dose).
    ps6_hill : float
        Hill slope of the phospho-S6 curve.
    ps6_bottom : float
        Residual phospho-S6 at saturating temsirolimus (fraction of vehicle).
    pstat1_ec50 : float
        IFN-alpha dose (IU/mL) of the half-maximal phospho-STAT1 rise.
    pstat1_hill : float
        Hill slope of the phospho-STAT1 curve.
    pstat1_max : float
        Maximal phospho-STAT1 fold change.
    caspase_gain : float
        Cleaved caspase-3 fold change minus one at complete cell death.
    bio_sd_log10 : float
        SD of each biological replicate's ``log10`` IC50/EC50 around the truth.
    sample_sd : float
        SD of the multiplicative (log-normal) sample-to-sample variation of every level.
    """

    cell_line: str
    ps6_ic50_fraction: float = 0.1
    ps6_hill: float = 1.2
    ps6_bottom: float = 0.12
    pstat1_ec50: float = 100.0
    pstat1_hill: float = 1.3
    pstat1_max: float = 6.0
    caspase_gain: float = 5.0
    bio_sd_log10: float = 0.05
    sample_sd: float = 0.06

    def to_dict(self) -> dict[str, object]:
        """Plain dict (JSON-ready)."""
        return asdict(self)


def default_readout_models() -> dict[str, ReadoutModel]:
    """The pathway models of the demo's two cell lines.

    Returns
    -------
    dict of str to ReadoutModel
        ``{"786-O": ..., "Caki-1": ...}``.
    """
    return {
        "786-O": ReadoutModel("786-O", ps6_ic50_fraction=0.1, ps6_hill=1.2, ps6_bottom=0.12,
                              pstat1_ec50=80.0, pstat1_hill=1.3, pstat1_max=6.0,
                              caspase_gain=5.0),
        "Caki-1": ReadoutModel("Caki-1", ps6_ic50_fraction=0.15, ps6_hill=1.0,
                               ps6_bottom=0.15, pstat1_ec50=150.0, pstat1_hill=1.2,
                               pstat1_max=4.5, caspase_gain=4.0),
    }


@dataclass(frozen=True)
class ReadoutCurves:
    """The readout curve parameters of one cell line in one replicate (or the population).

    Attributes
    ----------
    ps6_ic50 : float
        Temsirolimus dose (nM) of half-maximal phospho-S6 suppression.
    pstat1_ec50 : float
        IFN-alpha dose (IU/mL) of the half-maximal phospho-STAT1 rise.
    model : ReadoutModel
        The remaining parameters.
    """

    ps6_ic50: float
    pstat1_ec50: float
    model: ReadoutModel = field(repr=False)


def readout_levels(
    tem_dose: npt.ArrayLike,
    ifn_dose: npt.ArrayLike,
    viability: npt.ArrayLike,
    *,
    curves: ReadoutCurves,
) -> dict[str, npt.NDArray[np.float64]]:
    """True level of every target relative to the vehicle (the true fold change).

    Parameters
    ----------
    tem_dose : array_like
        Temsirolimus dose, nM (0 for none).
    ifn_dose : array_like
        IFN-alpha dose, IU/mL (0 for none).
    viability : array_like
        True viability of the same condition, % of vehicle.
    curves : ReadoutCurves
        Readout curve parameters (population or one biological replicate).

    Returns
    -------
    dict of str to ndarray
        Keys ``"phospho-S6"``, ``"phospho-STAT1"``, ``"cleaved caspase-3"``,
        ``"cleaved caspase-3 (19 kDa)"``, ``"cleaved caspase-3 (17 kDa)"`` and
        ``"beta-actin"``; every level is 1 for the vehicle (dose 0, viability 100 %).

    Examples
    --------
    >>> c = ReadoutCurves(1.5, 80.0, ReadoutModel("786-O", pstat1_ec50=80.0))
    >>> lv = readout_levels([0.0, 1.5], [0.0, 80.0], [100.0, 100.0], curves=c)
    >>> [round(float(v), 3) for v in lv["phospho-S6"]]
    [1.0, 0.56]
    >>> [round(float(v), 3) for v in lv["phospho-STAT1"]]
    [1.0, 3.5]
    """
    m = curves.model
    t = np.asarray(tem_dose, dtype=float)
    i = np.asarray(ifn_dose, dtype=float)
    v = np.asarray(viability, dtype=float)
    ps6 = m.ps6_bottom + (1.0 - m.ps6_bottom) / (1.0 + (t / curves.ps6_ic50) ** m.ps6_hill)
    ih = i ** m.pstat1_hill
    pstat1 = 1.0 + (m.pstat1_max - 1.0) * ih / (ih + curves.pstat1_ec50 ** m.pstat1_hill)
    casp = 1.0 + m.caspase_gain * np.clip(1.0 - v / 100.0, 0.0, 1.0)
    return {
        "phospho-S6": ps6,
        "phospho-STAT1": pstat1,
        "cleaved caspase-3": casp,
        "cleaved caspase-3 (19 kDa)": CASPASE_19_FRACTION * casp,
        "cleaved caspase-3 (17 kDa)": (1.0 - CASPASE_19_FRACTION) * casp,
        "beta-actin": np.ones_like(casp),
    }


def ps6_absolute_ic50(curves: ReadoutCurves) -> float:
    """Temsirolimus dose (nM) where phospho-S6 is 50 % of vehicle (NaN if never reached)."""
    m = curves.model
    if m.ps6_bottom >= 0.5:
        return math.nan
    return curves.ps6_ic50 * ((1.0 - 0.5) / (0.5 - m.ps6_bottom)) ** (1.0 / m.ps6_hill)


def expected_correlation_sign(target: str) -> int:
    """Expected sign of the correlation of a readout's fold change with viability.

    Parameters
    ----------
    target : str
        A key of :data:`TARGETS`.

    Returns
    -------
    int
        +1 (phospho-S6: falls where temsirolimus kills), -1 (phospho-STAT1 and cleaved
        caspase-3: rise where cells die), 0 (beta-actin: constant).
    """
    return {"phospho-S6": 1, "phospho-STAT1": -1, "cleaved caspase-3": -1,
            "beta-actin": 0}[target]
