"""blotquant: quantitative Western blots and viability assays, reproducibly.

The stage functions live in subpackages (:mod:`blotquant.image`,
:mod:`blotquant.viability`, :mod:`blotquant.experiment`); the friendly one-call
entry points are re-exported here. Plotting lives in :mod:`blotquant.figures`
and is not imported by ``import blotquant``.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
