"""Shared fixtures: paths to the project's own and the external test data."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
#: Real scans and reference datasets that live beside the project, not in it.
SHARED = ROOT.parent / "shared"
TEST_IMAGES = ROOT / "test_images"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout; the test is skipped when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared/ (real scans and reference data) is not available")
    return SHARED
