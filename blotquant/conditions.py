"""Treatments as text a scientist types, and their canonical form.

A treatment is written the way it is said: ``"vehicle"``, ``"temsirolimus 10 nM"``
or ``"temsirolimus 10 nM + IFN-alpha 100 IU/mL"``. Components are separated by
``" + "`` (spaces around the plus, so ``1e+3`` stays a number); each component is
``<agent> <dose> <unit>``. Molar units are converted to nM so that ``1 uM`` and
``1000 nM`` are the same condition; other units (IU/mL, ug/mL, %) are kept as
written and never converted into each other. The canonical text lists the agents
in alphabetical order, so the same mixture always gets the same label, and it is
the key on which blot and viability tables are joined.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from blotquant.errors import InvalidInputError

__all__ = ["Component", "Treatment", "parse_treatment"]

VEHICLE_WORDS = frozenset({"vehicle", "control", "untreated", "none", "dmso", "veh", "ctrl"})

_MOLAR_TO_NM = {"pm": 1e-3, "nm": 1.0, "um": 1e3, "µm": 1e3, "μm": 1e3, "mm": 1e6, "m": 1e9}
_UNIT_SPELLING = {"iu/ml": "IU/mL", "u/ml": "U/mL", "ug/ml": "ug/mL", "µg/ml": "ug/mL",
                  "μg/ml": "ug/mL", "ng/ml": "ng/mL", "mg/ml": "mg/mL", "%": "%"}
_COMPONENT = re.compile(
    r"^\s*(?P<agent>.+?)\s+(?P<dose>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<unit>\S+)\s*$"
)


def _format_number(value: float) -> str:
    return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.6e}"


@dataclass(frozen=True)
class Component:
    """One agent at one dose.

    Attributes
    ----------
    agent : str
        Agent name as written (case kept), e.g. ``"temsirolimus"``.
    dose : float
        Dose in ``unit``; molar doses are in nM.
    unit : str
        Canonical unit text, e.g. ``"nM"`` or ``"IU/mL"``.
    """

    agent: str
    dose: float
    unit: str

    @property
    def label(self) -> str:
        """Canonical text ``"<agent> <dose> <unit>"``."""
        return f"{self.agent} {_format_number(self.dose)} {self.unit}"


@dataclass(frozen=True)
class Treatment:
    """A vehicle control or a mixture of agents at fixed doses.

    Attributes
    ----------
    components : tuple of Component
        Sorted by agent name (case-insensitive); empty for the vehicle.
    """

    components: tuple[Component, ...] = ()

    @property
    def is_vehicle(self) -> bool:
        """True for the vehicle control (no agent)."""
        return not self.components

    @property
    def label(self) -> str:
        """Canonical treatment text, the join key."""
        if self.is_vehicle:
            return "vehicle"
        return " + ".join(c.label for c in self.components)

    @property
    def agents(self) -> str:
        """Agent names joined with ``"+"``, or ``"vehicle"``."""
        if self.is_vehicle:
            return "vehicle"
        return "+".join(c.agent for c in self.components)

    @property
    def dose(self) -> float:
        """The single agent's dose, the sum for a same-unit mixture, else NaN (0 for vehicle)."""
        if self.is_vehicle:
            return 0.0
        units = {c.unit for c in self.components}
        if len(units) == 1:
            return float(sum(c.dose for c in self.components))
        return math.nan

    @property
    def unit(self) -> str:
        """Unit of :attr:`dose` (empty for the vehicle or a mixed-unit mixture)."""
        units = {c.unit for c in self.components}
        return units.pop() if len(units) == 1 else ""

    def dose_of(self, agent: str) -> float:
        """Dose of ``agent`` in this treatment (0 if absent)."""
        for c in self.components:
            if c.agent.lower() == agent.lower():
                return c.dose
        return 0.0


def _parse_component(text: str, *, where: str) -> Component:
    match = _COMPONENT.match(text)
    if match is None:
        msg = (f"{where}: cannot read treatment component {text!r}; write it as "
               "'<agent> <dose> <unit>', e.g. 'temsirolimus 10 nM'")
        raise InvalidInputError(msg)
    agent, dose, unit = match["agent"].strip(), float(match["dose"]), match["unit"]
    if not math.isfinite(dose) or dose < 0:
        msg = f"{where}: dose {dose} in {text!r} must be a finite number >= 0"
        raise InvalidInputError(msg)
    key = unit.lower()
    if key in _MOLAR_TO_NM:
        return Component(agent, dose * _MOLAR_TO_NM[key], "nM")
    if key[:1].isdigit() or key in {"x"}:
        msg = f"{where}: {text!r} has no usable unit after the dose"
        raise InvalidInputError(msg)
    return Component(agent, dose, _UNIT_SPELLING.get(key, unit))


def parse_treatment(text: object, *, where: str = "treatment") -> Treatment:
    """Parse treatment text into a canonical :class:`Treatment`.

    Parameters
    ----------
    text : str
        ``"vehicle"`` (also control, untreated, none, DMSO) or components joined by
        ``" + "``, each ``"<agent> <dose> <unit>"``.
    where : str
        Where the text came from (file and row), used in error messages.

    Returns
    -------
    Treatment
        Components sorted by agent; components with dose 0 are dropped, so
        ``"temsirolimus 0 nM"`` is the vehicle.

    Raises
    ------
    InvalidInputError
        If a component has no dose or no unit, or an agent appears twice.

    Examples
    --------
    >>> parse_treatment("IFN-alpha 100 IU/mL + temsirolimus 0.01 uM").label
    'IFN-alpha 100 IU/mL + temsirolimus 10 nM'
    >>> parse_treatment("DMSO").is_vehicle
    True
    """
    if not isinstance(text, str) or not text.strip():
        msg = f"{where}: empty treatment; write 'vehicle' for the control"
        raise InvalidInputError(msg)
    if text.strip().lower() in VEHICLE_WORDS:
        return Treatment()
    parts = [_parse_component(p, where=where) for p in re.split(r"\s\+\s", text.strip())]
    parts = [p for p in parts if p.dose > 0]
    names = [p.agent.lower() for p in parts]
    if len(set(names)) != len(names):
        msg = f"{where}: an agent appears twice in {text!r}"
        raise InvalidInputError(msg)
    return Treatment(tuple(sorted(parts, key=lambda c: c.agent.lower())))
