"""Writing outputs completely or not at all."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from blotquant.errors import InvalidInputError

__all__ = ["atomic_output_dir", "write_csv", "write_json"]


def write_json(path: Path, data: object) -> None:
    """Write ``data`` as indented JSON (NaN as null)."""
    path.write_text(json.dumps(data, indent=2, default=str, allow_nan=False) + "\n")


class atomic_output_dir:
    """Context manager: write into a temporary folder, then move files into ``out``.

    Files are written into a sibling temporary folder; only when the ``with`` block
    finishes without an exception are they moved into ``out`` (created if needed).
    On error nothing is left in ``out``. Existing files in ``out`` with the same
    names are replaced; inputs are never overwritten (an output path equal to an
    input path is refused by :meth:`guard`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "res"
    >>> with atomic_output_dir(out) as tmp:
    ...     _ = (tmp / "a.txt").write_text("x")
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt']
    """

    def __init__(self, out: str | os.PathLike[str], *, inputs: tuple[Path, ...] = ()) -> None:
        self.out = Path(out)
        self.inputs = tuple(Path(p).resolve() for p in inputs)
        self._tmp: Path | None = None

    def __enter__(self) -> Path:
        if self.out.exists() and not self.out.is_dir():
            msg = f"--out {self.out}: exists and is not a folder"
            raise InvalidInputError(msg)
        parent = self.out.resolve().parent
        parent.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(prefix=".blotquant-", dir=parent))
        return self._tmp

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self._tmp is not None
        try:
            if exc_type is None:
                self.out.mkdir(parents=True, exist_ok=True)
                for item in sorted(self._tmp.rglob("*")):
                    target = self.out / item.relative_to(self._tmp)
                    if target.resolve() in self.inputs:
                        msg = f"refusing to overwrite input file {target}"
                        raise InvalidInputError(msg)
                for item in sorted(self._tmp.iterdir()):
                    target = self.out / item.name
                    if target.is_dir():
                        shutil.rmtree(target)
                    item.replace(target)
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)


def write_csv(table: pd.DataFrame, path: Path, *, float_format: str | None = None) -> None:
    """Write a table as CSV without the index."""
    table.to_csv(path, index=False, float_format=float_format)

