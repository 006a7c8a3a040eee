"""One journal style for every blotquant figure.

* Sizes in millimetres: one column 85 mm, two columns 180 mm (:data:`WIDTH_MM`).
* Colour-blind-safe Okabe-Ito palette (:data:`OKABE_ITO`), used as the colour cycle.
* Fonts embedded as text: ``pdf.fonttype = 42`` (TrueType), ``svg.fonttype = 'none'``
  (editable text in Illustrator/Inkscape); 7 pt text, 0.6 pt axes lines.
* :func:`save_figure` writes PDF/SVG/PNG atomically (temporary file, then rename),
  with creation dates stripped so the same figure gives the same file.

Use :func:`style_context` (or :func:`new_figure`, which applies it) around the code
that builds a figure::

    from blotquant.figures import style
    fig, ax = style.new_figure("single", height_mm=60)
    ...
    style.save_figure(fig, out / "dose_response")
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import matplotlib as mpl
from matplotlib.figure import Figure

from blotquant.errors import InvalidInputError

__all__ = [
    "MM_PER_INCH",
    "OKABE_ITO",
    "RC_PARAMS",
    "WIDTH_MM",
    "color_for",
    "figure_size",
    "new_figure",
    "save_figure",
    "style_context",
]

MM_PER_INCH = 25.4

#: Figure widths in millimetres.
WIDTH_MM: dict[str, float] = {"single": 85.0, "double": 180.0}

#: Okabe & Ito (2008) colour-blind-safe palette, black first.
OKABE_ITO: tuple[str, ...] = (
    "#000000",  # black
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
)

#: matplotlib settings of the house style.
RC_PARAMS: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["Arial", "Helvetica", "Liberation Sans", "DejaVu Sans"],
    "font.size": 7,
    "axes.titlesize": 8,
    "axes.labelsize": 7,
    "xtick.labelsize": 6,
    "ytick.labelsize": 6,
    "legend.fontsize": 6,
    "legend.frameon": False,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.minor.width": 0.4,
    "ytick.minor.width": 0.4,
    "xtick.major.size": 3,
    "ytick.major.size": 3,
    "lines.linewidth": 1.0,
    "lines.markersize": 3.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=list(OKABE_ITO)),
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
    "figure.dpi": 100,
    "image.cmap": "viridis",
}

_METADATA = {
    "pdf": {"CreationDate": None, "Creator": "blotquant", "Producer": None},
    "svg": {"Date": None, "Creator": "blotquant"},
    "png": {"Software": "blotquant"},
}


def color_for(index: int) -> str:
    """Colour ``index`` of the Okabe-Ito cycle (wraps around).

    Parameters
    ----------
    index : int
        Position in the cycle (0 is black).

    Returns
    -------
    str
        Hex colour.

    Examples
    --------
    >>> color_for(1)
    '#E69F00'
    """
    return OKABE_ITO[index % len(OKABE_ITO)]


def figure_size(width: Literal["single", "double"] | float = "single", *,
                height_mm: float | None = None, aspect: float = 0.75) -> tuple[float, float]:
    """Figure size in inches from a width in mm (or ``"single"``/``"double"`` column).

    Parameters
    ----------
    width : {'single', 'double'} or float
        Column width name or width in millimetres.
    height_mm : float, optional
        Height in millimetres; default ``aspect * width``.
    aspect : float
        Height / width when ``height_mm`` is not given.

    Returns
    -------
    tuple of float
        ``(width, height)`` in inches, for ``figsize``.

    Examples
    --------
    >>> [round(v, 3) for v in figure_size("single", height_mm=60)]
    [3.346, 2.362]
    """
    if isinstance(width, str):
        if width not in WIDTH_MM:
            msg = f"`width` must be 'single', 'double' or millimetres, got {width!r}"
            raise InvalidInputError(msg)
        w_mm = WIDTH_MM[width]
    else:
        w_mm = float(width)
    h_mm = float(height_mm) if height_mm is not None else aspect * w_mm
    if not (w_mm > 0 and h_mm > 0):
        msg = f"figure width and height must be > 0 mm, got {w_mm} x {h_mm}"
        raise InvalidInputError(msg)
    return w_mm / MM_PER_INCH, h_mm / MM_PER_INCH


@contextlib.contextmanager
def style_context() -> Iterator[None]:
    """Context manager applying :data:`RC_PARAMS` (restored on exit)."""
    with mpl.rc_context(RC_PARAMS):
        yield


def new_figure(width: Literal["single", "double"] | float = "single", *,
               height_mm: float | None = None, nrows: int = 1, ncols: int = 1,
               **subplot_kw: Any) -> tuple[Figure, Any]:
    """Create a figure in the house style (``plt.subplots`` with mm sizes).

    Parameters
    ----------
    width : {'single', 'double'} or float
        Column width or millimetres.
    height_mm : float, optional
        Height in millimetres (default 0.75 x width).
    nrows, ncols : int
        Subplot grid.
    **subplot_kw
        Passed to :func:`matplotlib.pyplot.subplots` (e.g. ``sharex``).

    Returns
    -------
    fig : Figure
    axes : Axes or ndarray of Axes
    """
    import matplotlib.pyplot as plt

    with style_context():
        fig, axes = plt.subplots(nrows, ncols, figsize=figure_size(width, height_mm=height_mm),
                                 layout="constrained", **subplot_kw)
    return fig, axes


def save_figure(fig: Figure, path_stem: str | os.PathLike[str], *,
                formats: Sequence[str] = ("pdf", "svg", "png"), dpi: int = 300) -> list[Path]:
    """Save ``fig`` in several formats, each written atomically.

    Every file is first written to a temporary file in the target folder and then
    renamed, so a crash never leaves a half-written figure; if any format fails,
    none of the new files replaces an existing one.

    Parameters
    ----------
    fig : Figure
        The figure.
    path_stem : str or path
        Output path without suffix (a suffix, if given, is replaced).
    formats : sequence of str
        Any of ``'pdf'``, ``'svg'``, ``'png'``.
    dpi : int
        Resolution of raster output (PNG; raster parts of PDF/SVG).

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.

    Raises
    ------
    InvalidInputError
        Unknown format or a non-positive ``dpi``.
    """
    fmts = [f.lower().lstrip(".") for f in formats]
    bad = [f for f in fmts if f not in _METADATA]
    if bad or not fmts:
        msg = f"`formats`: unsupported {bad or fmts}; choose from {sorted(_METADATA)}"
        raise InvalidInputError(msg)
    if dpi <= 0:
        msg = f"`dpi` must be > 0, got {dpi}"
        raise InvalidInputError(msg)
    stem = Path(path_stem)
    if stem.suffix.lower().lstrip(".") in _METADATA:
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    temps: list[tuple[Path, Path]] = []
    try:
        with mpl.rc_context({k: RC_PARAMS[k] for k in
                             ("pdf.fonttype", "ps.fonttype", "svg.fonttype",
                              "savefig.bbox", "savefig.pad_inches")}):
            for fmt in fmts:
                fd, tmp = tempfile.mkstemp(prefix=f".{stem.name}.", suffix=f".{fmt}",
                                           dir=stem.parent)
                os.close(fd)
                temps.append((Path(tmp), stem.with_suffix(f".{fmt}")))
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=_METADATA[fmt])
        for tmp, final in temps:
            tmp.replace(final)
    finally:
        for tmp, _ in temps:
            if tmp.exists():
                tmp.unlink()
    return [final for _, final in temps]
