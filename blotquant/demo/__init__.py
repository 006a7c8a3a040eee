"""The bundled demo: a simulated temsirolimus x IFN-alpha study with known ground truth.

:func:`make_demo_experiment` writes an experiment folder (``experiment.json``,
``samples.csv``, ``blots/``, ``plates/``, ``layout.csv``, ``README.txt`` and ``truth/``)
that ``blotquant run`` analyses like a real one; every file and header says SIMULATED.
The model is documented in :mod:`blotquant.demo.truth` and ``docs/demo_model.md``.

Folder contract (written by :func:`make_demo_experiment`)::

    FOLDER/
      experiment.json   {"name", "simulated": true, "description", "sample_sheet": "samples.csv",
                         "plates": ["plates/SIMULATED_<line>_r<k>.csv", ...],
                         "layout": "layout.csv",
                         "viability": {"reference_wavelength": 630, "model": "LL.4"},
                         "targets": {name: {"mw_kda": [...], "pathway", "epitope",
                                            "loading_control"}},
                         "seed", "truth": "truth/truth.json"}
      samples.csv       sample sheet (blotquant.experiment), membranes "<line>_R<k>"
      blots/            SIMULATED_<membrane>_<target>.tif / .png
      plates/           plate-reader grid exports (blotquant.viability.read_plates)
      layout.csv        long plate layout (blotquant.viability.read_layout)
      truth/            truth.json, fold_changes.csv, replicate_fold_changes.csv, lanes.csv,
                        ic50.csv, combination.csv, correlations.csv, viability.csv
"""

from __future__ import annotations

from blotquant.demo.generate import DemoTruth, make_demo_experiment
from blotquant.demo.truth import ReadoutModel, default_readout_models, readout_levels

__all__ = ["DemoTruth", "ReadoutModel", "default_readout_models", "make_demo_experiment",
           "readout_levels"]
