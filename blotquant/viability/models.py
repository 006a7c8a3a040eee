"""Dose-response curve families in the drc parameterisation.

Every model is written with the five drc parameters ``b`` (slope), ``c`` (lower
limit), ``d`` (upper limit), ``e`` (location; the ED50 only for LL.3/LL.4) and
``f`` (asymmetry, LL.5 only); a model is a family plus the parameters it fixes::

    F(x) = c + (d - c) * g(z),   z = b * (log x - log e)
    LL (log-logistic):  g = 1 / (1 + exp(z))^f
    W1 (Weibull 1):     g = exp(-exp(z))
    W2 (Weibull 2):     g = 1 - exp(-exp(z))

``x = 0`` is legal: ``z`` is then ``-inf * sign(b)`` and ``g`` its limit, so no
``log(0)`` is ever used (for LL with ``b > 0``, ``F(0) = d``).

The functions here are pure numpy and never warn on ``x = 0`` or on huge
``|z|``. Parameters are always passed as a full mapping ``{"b", "c", "d", "e",
"f"}``; fixed ones are taken from :attr:`Model.fixed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from blotquant.errors import InvalidInputError

__all__ = ["ALL_PARAMETERS", "MODELS", "Model", "get_model"]

#: Every parameter name, in drc order.
ALL_PARAMETERS: tuple[str, ...] = ("b", "c", "d", "e", "f")

FloatArray = npt.NDArray[np.float64]
_ZMAX = 700.0


@dataclass(frozen=True)
class Model:
    """A dose-response model: a curve family and the parameters it fixes.

    Attributes
    ----------
    name : str
        drc name, e.g. ``"LL.4"``.
    family : {"LL", "W1", "W2"}
        Log-logistic, Weibull type 1 or type 2.
    fixed : mapping of str to float
        Parameters the model itself fixes (``LL.3``: ``c = 0``; ``LL.2``:
        ``c = 0, d = 1``; every 4-parameter model: ``f = 1``).
    description : str
        One-line formula.
    """

    name: str
    family: str
    fixed: MappingProxyType[str, float] = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""

    @property
    def parameters(self) -> tuple[str, ...]:
        """Names of the parameters the model estimates (before user-fixed ones)."""
        return tuple(p for p in ALL_PARAMETERS if p not in self.fixed)


def _m(name: str, family: str, fixed: dict[str, float], description: str) -> Model:
    return Model(name, family, MappingProxyType(fixed), description)


_LL = "c + (d - c) / (1 + exp(b (log x - log e)))"
#: Registry of the supported models by drc name.
MODELS: MappingProxyType[str, Model] = MappingProxyType(
    {
        "LL.2": _m("LL.2", "LL", {"c": 0.0, "d": 1.0, "f": 1.0}, _LL + ", c = 0, d = 1"),
        "LL.3": _m("LL.3", "LL", {"c": 0.0, "f": 1.0}, _LL + ", c = 0"),
        "LL.3u": _m("LL.3u", "LL", {"d": 1.0, "f": 1.0}, _LL + ", d = 1"),
        "LL.4": _m("LL.4", "LL", {"f": 1.0}, _LL),
        "LL.5": _m("LL.5", "LL", {}, "c + (d - c) / (1 + exp(b (log x - log e)))^f"),
        "W1.3": _m("W1.3", "W1", {"c": 0.0, "f": 1.0}, "d exp(-exp(b (log x - log e)))"),
        "W1.4": _m("W1.4", "W1", {"f": 1.0}, "c + (d - c) exp(-exp(b (log x - log e)))"),
        "W2.3": _m("W2.3", "W2", {"c": 0.0, "f": 1.0}, "d (1 - exp(-exp(b (log x - log e))))"),
        "W2.4": _m(
            "W2.4", "W2", {"f": 1.0}, "c + (d - c) (1 - exp(-exp(b (log x - log e))))"
        ),
    }
)


def get_model(name: str | Model) -> Model:
    """Return the :class:`Model` called ``name`` (e.g. ``"LL.4"``).

    Parameters
    ----------
    name : str or Model
        A key of :data:`MODELS` (case-insensitive) or a model.

    Returns
    -------
    Model
        The model.

    Raises
    ------
    InvalidInputError
        For an unknown name, listing the known ones.
    """
    if isinstance(name, Model):
        return name
    for key, model in MODELS.items():
        if key.lower() == str(name).strip().lower():
            return model
    msg = f"`model` {name!r} is unknown; choose one of {list(MODELS)}"
    raise InvalidInputError(msg)


# ---------------------------------------------------------------------------
# Evaluation, derivatives and inverse (pure numpy, no warnings)


def _z(x: FloatArray, b: float, e: float) -> tuple[FloatArray, FloatArray]:
    """Return ``z = b (log x - log e)`` and ``log x - log e`` (0 where x = 0)."""
    pos = x > 0
    logx = np.log(np.where(pos, x, 1.0))
    dlog = np.where(pos, logx - np.log(e), 0.0)
    zero_z = 0.0 if b == 0 else -np.inf * np.sign(b)
    z = np.where(pos, b * dlog, zero_z)
    return z, dlog


def _g(family: str, z: FloatArray, f: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return ``g(z)``, ``dg/dz`` and ``dg/df``."""
    if family == "LL":
        s = np.logaddexp(0.0, z)  # softplus, inf at z = inf
        g = np.exp(-f * s)
        finite = np.isfinite(s)
        dg_dz = -f * expit(z) * g
        dg_df = -np.where(finite, s, 0.0) * g
        return g, dg_dz, dg_df
    zc = np.clip(z, -np.inf, _ZMAX)
    ez = np.exp(zc)
    t = np.exp(zc - ez)  # exp(z) exp(-exp(z)), 0 at both ends
    zeros = np.zeros_like(z)
    if family == "W1":
        return np.exp(-ez), -t, zeros
    return -np.expm1(-ez), t, zeros


def evaluate(model: Model, x: npt.ArrayLike, p: dict[str, float]) -> FloatArray:
    """Model response at doses ``x`` for full parameters ``p``."""
    xa = np.asarray(x, dtype=float)
    z, _ = _z(xa, p["b"], p["e"])
    g, _, _ = _g(model.family, z, p["f"])
    return p["c"] + (p["d"] - p["c"]) * g


def fraction(model: Model, x: npt.ArrayLike, p: dict[str, float]) -> FloatArray:
    """``g`` at doses ``x``: the position between ``c`` (0) and ``d`` (1)."""
    xa = np.asarray(x, dtype=float)
    z, _ = _z(xa, p["b"], p["e"])
    return _g(model.family, z, p["f"])[0]


def jacobian(model: Model, x: npt.ArrayLike, p: dict[str, float]) -> dict[str, FloatArray]:
    """Derivatives of the response w.r.t. every parameter and the dose ``x``.

    Returns a mapping with keys ``b, c, d, e, f, x`` (``x``: dF/dx, 0 at x = 0).
    """
    xa = np.asarray(x, dtype=float)
    b, c, d, e, f = (p[k] for k in ALL_PARAMETERS)
    z, dlog = _z(xa, b, e)
    g, g_z, g_f = _g(model.family, z, f)
    h = d - c
    pos = xa > 0
    dx = np.where(pos, h * g_z * b / np.where(pos, xa, 1.0), 0.0)
    return {
        "b": h * g_z * dlog,
        "c": 1.0 - g,
        "d": g,
        "e": h * g_z * (-b / e),
        "f": h * g_f,
        "x": dx,
    }


def fraction_jacobian(
    model: Model, x: npt.ArrayLike, p: dict[str, float]
) -> dict[str, FloatArray]:
    """Derivatives of ``g`` w.r.t. ``b, c, d, e, f`` and ``x`` (c, d give 0)."""
    xa = np.asarray(x, dtype=float)
    b, e, f = p["b"], p["e"], p["f"]
    z, dlog = _z(xa, b, e)
    _, g_z, g_f = _g(model.family, z, f)
    pos = xa > 0
    zeros = np.zeros_like(xa)
    return {
        "b": g_z * dlog,
        "c": zeros,
        "d": zeros,
        "e": g_z * (-b / e),
        "f": g_f,
        "x": np.where(pos, g_z * b / np.where(pos, xa, 1.0), 0.0),
    }


def fraction_at_zero(model: Model, b: float) -> float:
    """``g`` at dose 0 (1 when the curve starts at ``d``, 0 when it starts at ``c``)."""
    if b == 0:
        return float(_g(model.family, np.zeros(1), 1.0)[0][0])
    return float(_g(model.family, np.array([-np.inf * np.sign(b)]), 1.0)[0][0])


def inverse_z(model: Model, g: float, f: float) -> float:
    """``z`` at which ``g(z) = g`` (``0 < g < 1``)."""
    if model.family == "LL":
        return float(np.log(np.expm1(-np.log(g) / f)))
    if model.family == "W1":
        return float(np.log(-np.log(g)))
    return float(np.log(-np.log1p(-g)))
