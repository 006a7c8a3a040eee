"""Publication figures. The only subpackage that imports matplotlib.

Nothing here is imported by ``import blotquant``; import the modules directly,
e.g. ``from blotquant.figures import style, viability``. Every plotting function
takes tables and ``ax=None`` and returns the :class:`~matplotlib.axes.Axes`; it never
shows or saves. Save with :func:`blotquant.figures.style.save_figure`.
"""

from __future__ import annotations

__all__: list[str] = []
