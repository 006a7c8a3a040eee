"""The image pipeline: read, polarity, background, lanes, bands, volumes.

:func:`analyze` does it all in one call; the stage modules underneath
(:mod:`~blotquant.image.io`, :mod:`~blotquant.image.polarity`,
:mod:`~blotquant.image.background`, :mod:`~blotquant.image.lanes`,
:mod:`~blotquant.image.bands`, :mod:`~blotquant.image.quantify`) are there for
people who want control.
"""

from __future__ import annotations

from blotquant.image.io import Scan, read_image
from blotquant.image.pipeline import AnalysisParams, BlotResult, analyze
from blotquant.image.polarity import guess_polarity, to_signal

__all__ = ["AnalysisParams", "BlotResult", "Scan", "analyze", "guess_polarity", "read_image",
           "to_signal"]
