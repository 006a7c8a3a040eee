"""The walkthrough notebook runs top to bottom (outputs are stripped in the repository)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "walkthrough.ipynb"


def test_notebook_outputs_are_stripped():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def _this_interpreter_kernel(tmp_path, monkeypatch) -> str:
    """A kernelspec running ``sys.executable`` that shadows any user or system one.

    The kernel gets the inline matplotlib backend even when the test run exports
    ``MPLBACKEND=Agg`` (as CI does), so the figures become ``image/png`` outputs.
    """
    spec = tmp_path / "jupyter" / "kernels" / "blotquant-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "env": {"MPLBACKEND": "module://matplotlib_inline.backend_inline"},
        "display_name": "blotquant test interpreter", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))  # searched first
    return spec.name


def test_notebook_executes(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    kernel = _this_interpreter_kernel(tmp_path, monkeypatch)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name=kernel,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.outputs)
    assert "simulated: True" in text
    assert "r_rm =" in text and "ratio" in text  # the joined results were printed
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert len(images) >= 3  # overlay, blot panel, composed figure
