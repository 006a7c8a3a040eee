"""blotquant: quantitative Western blots and viability assays, reproducibly.

The stage functions live in subpackages (:mod:`blotquant.image`,
:mod:`blotquant.viability`, :mod:`blotquant.experiment`); the friendly one-call
entry points are re-exported here. Plotting lives in :mod:`blotquant.figures`
and is not imported by ``import blotquant``.

The re-exports are lazy: ``import blotquant`` is fast (it loads neither numpy,
pandas, scipy nor matplotlib), and ``blotquant.analyze`` imports
:mod:`blotquant.image` on first use.

Examples
--------
>>> import blotquant
>>> blotquant.fit_curve.__module__
'blotquant.viability.doseresponse'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from blotquant.errors import BlotquantError, BlotquantWarning, DetectionError, InvalidInputError

__version__ = "0.1.0"

#: Public name -> module that defines it (imported on first attribute access).
_LAZY: dict[str, str] = {
    # image pipeline
    "analyze": "blotquant.image",
    "read_image": "blotquant.image",
    "make_blot": "blotquant.image.synthetic",
    # sample sheet, normalisation, statistics
    "read_sample_sheet": "blotquant.experiment",
    "analyze_experiment": "blotquant.experiment",
    # viability: plates, fits, combinations
    "read_plate": "blotquant.viability",
    "read_plates": "blotquant.viability",
    "read_layout": "blotquant.viability",
    "analyze_viability": "blotquant.viability",
    "fit_curve": "blotquant.viability",
    "fit_curves": "blotquant.viability",
    "effective_dose": "blotquant.viability",
    "combination_index": "blotquant.viability",
    "synergy_scores": "blotquant.viability",
    "simulate_mtt_experiment": "blotquant.viability",
    # treatments (the join key)
    "parse_treatment": "blotquant.conditions",
    # the joined analysis and the one-command run
    "run_experiment": "blotquant.run",
    "make_demo_experiment": "blotquant.demo",
}

__all__ = [
    "BlotquantError",
    "BlotquantWarning",
    "DetectionError",
    "InvalidInputError",
    "__version__",
    "analyze",
    "analyze_experiment",
    "analyze_viability",
    "combination_index",
    "effective_dose",
    "fit_curve",
    "fit_curves",
    "make_blot",
    "make_demo_experiment",
    "parse_treatment",
    "read_image",
    "read_layout",
    "read_plate",
    "read_plates",
    "read_sample_sheet",
    "run_experiment",
    "simulate_mtt_experiment",
    "synergy_scores",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from blotquant.conditions import parse_treatment
    from blotquant.demo import make_demo_experiment
    from blotquant.experiment import analyze_experiment, read_sample_sheet
    from blotquant.image import analyze, read_image
    from blotquant.image.synthetic import make_blot
    from blotquant.run import run_experiment
    from blotquant.viability import (
        analyze_viability,
        combination_index,
        effective_dose,
        fit_curve,
        fit_curves,
        read_layout,
        read_plate,
        read_plates,
        simulate_mtt_experiment,
        synergy_scores,
    )


def __getattr__(name: str) -> Any:
    """Import a re-exported entry point on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'blotquant' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the public names, including the lazily imported ones."""
    return sorted(__all__)
