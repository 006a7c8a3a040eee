"""Exceptions and warnings raised by blotquant.

Library code raises and never prints; only :func:`blotquant.cli.main` catches
:class:`BlotquantError` and turns it into a message and a non-zero exit code.
"""

from __future__ import annotations

__all__ = ["BlotquantError", "BlotquantWarning", "DetectionError", "InvalidInputError"]


class BlotquantError(Exception):
    """Base class of every error blotquant raises on purpose."""


class InvalidInputError(BlotquantError, ValueError):
    """An input file, table row or parameter is invalid; the message names it."""


class DetectionError(BlotquantError):
    """A detection step found nothing a later step can work with."""


class BlotquantWarning(UserWarning):
    """Something was decided or found that the user should know about."""
