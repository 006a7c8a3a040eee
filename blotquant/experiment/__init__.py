"""The experiment layer: sample sheets, lane matching, band choice, normalisation, statistics.

:func:`analyze_experiment` does it all in one call from a sample sheet; the stage
modules underneath (:mod:`~blotquant.experiment.sheet`,
:mod:`~blotquant.experiment.matching`, :mod:`~blotquant.experiment.markers`,
:mod:`~blotquant.experiment.normalize`, :mod:`~blotquant.experiment.stats`) work on
plain tables.
"""

from __future__ import annotations

from blotquant.experiment.markers import BandChoice, LadderFit, band_rows, choose_bands, fit_ladder
from blotquant.experiment.matching import LaneMatch, estimate_pitch, match_lanes, match_membrane
from blotquant.experiment.normalize import (
    LANE_TABLE_COLUMNS,
    LINEAR_RANGE_COLUMNS,
    MEASUREMENT_COLUMNS,
    LinearRange,
    fit_linear_range,
    normalize_lanes,
)
from blotquant.experiment.pipeline import (
    ExperimentParams,
    ExperimentResult,
    analyze_experiment,
)
from blotquant.experiment.sheet import SampleSheet, read_sample_sheet, validate_sheet
from blotquant.experiment.stats import (
    CONDITION_TABLE_COLUMNS,
    REPLICATE_COLUMNS,
    compare_conditions,
    summarize_replicates,
)

__all__ = [
    "CONDITION_TABLE_COLUMNS",
    "LANE_TABLE_COLUMNS",
    "LINEAR_RANGE_COLUMNS",
    "MEASUREMENT_COLUMNS",
    "REPLICATE_COLUMNS",
    "BandChoice",
    "ExperimentParams",
    "ExperimentResult",
    "LadderFit",
    "LaneMatch",
    "LinearRange",
    "SampleSheet",
    "analyze_experiment",
    "band_rows",
    "choose_bands",
    "compare_conditions",
    "estimate_pitch",
    "fit_ladder",
    "fit_linear_range",
    "match_lanes",
    "match_membrane",
    "normalize_lanes",
    "read_sample_sheet",
    "summarize_replicates",
    "validate_sheet",
]
