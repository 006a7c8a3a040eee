"""Viability assays: plate readers, layouts, dose-response fits, combinations.

Dose-response fitting (drc parameterisation) lives in
:mod:`blotquant.viability.doseresponse` (fits, prediction, goodness of fit),
:mod:`blotquant.viability.ed` (effective doses / IC50 with intervals) and
:mod:`blotquant.viability.models` (the curve families). Other stages add their
re-exports below with one line each.
"""

from __future__ import annotations

from blotquant.viability.combination import (
    CombinationResult,
    MedianEffectFit,
    combination_index,
    loewe_ci,
    loewe_ci_table,
    median_effect,
)
from blotquant.viability.doseresponse import (
    CurveFit,
    compare_models,
    dose_effect_test,
    fit_curve,
    fit_curves,
    fit_quantal,
    fits_table,
    lack_of_fit,
    predict,
    predict_band,
)
from blotquant.viability.ed import effective_dose
from blotquant.viability.layout import match_layout, read_layout
from blotquant.viability.normalize import QCParams, normalize_plates, plate_qc
from blotquant.viability.pipeline import ViabilityResult, analyze_viability
from blotquant.viability.plates import read_plate, read_plates
from blotquant.viability.simulate import simulate_mtt_experiment, write_simulated_experiment
from blotquant.viability.synergy import synergy_scores, synergy_summary

__all__ = [
    "CombinationResult",
    "CurveFit",
    "MedianEffectFit",
    "QCParams",
    "ViabilityResult",
    "analyze_viability",
    "combination_index",
    "compare_models",
    "dose_effect_test",
    "effective_dose",
    "fit_curve",
    "fit_curves",
    "fit_quantal",
    "fits_table",
    "lack_of_fit",
    "loewe_ci",
    "loewe_ci_table",
    "match_layout",
    "median_effect",
    "normalize_plates",
    "plate_qc",
    "predict",
    "predict_band",
    "read_layout",
    "read_plate",
    "read_plates",
    "simulate_mtt_experiment",
    "synergy_scores",
    "synergy_summary",
    "write_simulated_experiment",
]
