"""Plate-reader exports as one tidy long table.

Every reader returns the same table, one row per (plate, measurement, wavelength, well):

``plate, well, row, col, wavelength, measurement, value, flag``

* ``plate`` (str) - plate identifier: the plate name written in the file when there is one
  (``"Plate 1"``, SoftMax ``"Plate#1"``, EnVision plate number), else the file stem; for a
  file with several unnamed plates ``"<stem>_1"``, ``"<stem>_2"``...
* ``well`` (str) - ``"A1"``...``"P24"`` (no zero padding).
* ``row`` (str) - row letter; ``col`` (int) - 1-based column.
* ``wavelength`` (float) - nm, NaN when the file does not say.
* ``measurement`` (str) - the read's label in the file (``"abs450"``, ``"Raw"``...), ``""`` if none.
* ``value`` (float) - the reading; NaN for an empty or non-numeric cell.
* ``flag`` (str) - ``""`` for a number, ``"no value"`` for an empty cell, otherwise the
  original non-numeric text (``"OVRFLW"``, ``"MISSED"``...). Never silently dropped.

:func:`read_plate` detects the format and records it in ``table.attrs["format"]``
(also ``attrs["source"]``). Formats (each its own function):

``grid``      a plate matrix: a header row ``1 2 ... 12`` (or 24) and rows ``A``... ; several
              blocks per file (plates or wavelengths, named by a ``Plate ...`` or
              ``... 570 nm`` line above the block); CSV (comma, semicolon, tab) or XLSX.
              Covers BMG MARS, Tecan i-control, SkanIt sheets, BioTek Gen5 ``Results``.
``long``      a table with a ``well`` column and a ``value`` column (optional ``plate``,
              ``wavelength``), CSV or XLSX.
``softmax``   SoftMax Pro plate blocks (``##BLOCKS``; several wavelengths side by side).
``envision``  PerkinElmer EnVision CSV (``Plate information`` blocks, headerless matrices).
``gen5``      BioTek Gen5 text (grid with a read label in the last column).
``skanit``    Thermo SkanIt XLSX report (raw measurement sheets only; calculated sheets such
              as ``Blank Subtraction`` are skipped).
``tecan``     Tecan i-control XLSX (``<>`` corner cell).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from blotquant.errors import InvalidInputError

__all__ = [
    "FORMATS",
    "PLATE_COLUMNS",
    "detect_plate_format",
    "normalize_well",
    "read_envision",
    "read_gen5",
    "read_grid",
    "read_long",
    "read_plate",
    "read_plates",
    "read_skanit",
    "read_softmax",
    "read_tecan",
    "well_name",
]

#: Columns of every plate table.
PLATE_COLUMNS: tuple[str, ...] = (
    "plate", "well", "row", "col", "wavelength", "measurement", "value", "flag",
)
FORMATS: tuple[str, ...] = ("grid", "long", "softmax", "envision", "gen5", "skanit", "tecan")

#: Plate shapes by number of columns -> number of rows.
_SHAPES = {3: 2, 4: 3, 6: 4, 8: 6, 12: 8, 24: 16, 48: 32}
_NUMBER = re.compile(r"^\s*[-+]?(?:\d+[.,]?\d*|[.,]\d+)(?:[eE][-+]?\d+)?\s*$")
_WAVELENGTH = re.compile(r"(?:\b|[A-Za-z])(\d{3,4})\s*nm\b|wavelength[^0-9]{0,20}(\d{3,4})",
                         re.IGNORECASE)
_PLATE_LABEL = re.compile(r"^\s*plate\s*(?:[:#]|number|name|id)?\s*[:#]?\s*(.+?)\s*$",
                          re.IGNORECASE)


# ----------------------------------------------------------------------------- wells
def row_letter(index: int) -> str:
    """Row letter for a 0-based row index (``0 -> "A"``, ``26 -> "AA"``)."""
    if index < 26:
        return chr(ord("A") + index)
    return "A" + chr(ord("A") + index - 26)


def _row_index(letter: str) -> int:
    letter = letter.strip().upper()
    if len(letter) == 1:
        return ord(letter) - ord("A")
    return 26 + ord(letter[1]) - ord("A")


def well_name(row: str, col: int) -> str:
    """Canonical well name, e.g. ``well_name("B", 3) -> "B3"``."""
    return f"{row.upper()}{int(col)}"


_WELL = re.compile(r"^\s*([A-Za-z]{1,2})\s*0*(\d{1,2})\s*$")


def normalize_well(text: object, *, where: str = "well") -> tuple[str, str, int]:
    """Parse ``"A01"``, ``"a1"`` or ``"A 1"`` into ``("A1", "A", 1)``.

    Raises
    ------
    InvalidInputError
        If the text is not a well name.
    """
    match = _WELL.match(str(text))
    if match is None or int(match[2]) < 1:
        msg = f"{where}: {text!r} is not a well name like 'A1' or 'B12'"
        raise InvalidInputError(msg)
    row, col = match[1].upper(), int(match[2])
    return f"{row}{col}", row, col


# ----------------------------------------------------------------------------- cells
def _to_number(cell: object) -> tuple[float, str]:
    """A cell as (value, flag)."""
    if cell is None:
        return math.nan, "no value"
    if isinstance(cell, bool):
        return math.nan, str(cell)
    if isinstance(cell, int | float | np.number):
        value = float(cell)
        return (value, "") if math.isfinite(value) else (math.nan, "no value")
    text = str(cell).strip().strip('"').strip()
    if text.startswith("="):
        text = text.lstrip("=").strip('"')
    if not text or text in {"-", "—"}:
        return math.nan, "no value"
    if _NUMBER.match(text):
        return float(text.replace(",", ".")), ""
    if text.lower() in {"nan", "n/a", "na"}:
        return math.nan, "no value"
    return math.nan, text


def _is_number(cell: object) -> bool:
    return _to_number(cell)[1] == ""


def _cell_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # SoftMax Pro writes Latin-1


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:200] if ln.strip()]
    counts = {d: sum(ln.count(d) for ln in lines) for d in ("\t", ";", ",")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _text_rows(path: Path) -> list[list[str]]:
    text = _read_text(path)
    delimiter = _sniff_delimiter(text)
    return [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_sheets(path: Path, sheet: str | int | None) -> list[tuple[str, list[list[object]]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad file
        msg = f"{path}: cannot open as an Excel workbook ({exc})"
        raise InvalidInputError(msg) from exc
    try:
        names = book.sheetnames
        if sheet is not None:
            if isinstance(sheet, int):
                if not 0 <= sheet < len(names):
                    msg = f"{path}: sheet index {sheet} out of range; sheets are {names}"
                    raise InvalidInputError(msg)
                names = [names[sheet]]
            elif sheet not in names:
                msg = f"{path}: no sheet {sheet!r}; sheets are {names}"
                raise InvalidInputError(msg)
            else:
                names = [sheet]
        return [(n, [list(r) for r in book[n].iter_rows(values_only=True)]) for n in names]
    finally:
        book.close()


def _is_excel(path: Path) -> bool:
    return path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}


# ----------------------------------------------------------------------------- grid blocks
def _header_run(row: Sequence[object]) -> list[tuple[int, int]]:
    """Runs ``1, 2, ..., n`` (n >= 3) in a row: list of (start index, n)."""
    runs = []
    j = 0
    cells = [_cell_text(c) for c in row]
    while j < len(cells):
        if cells[j] == "1":
            n = 1
            while j + n < len(cells) and cells[j + n] == str(n + 1):
                n += 1
            if n >= 3:
                runs.append((j, n))
                j += n
                continue
        j += 1
    return runs


def _block_context(rows: list[list[object]], start: int, stop: int) -> tuple[str, float]:
    """Plate label and wavelength from the lines between ``stop`` and ``start`` (exclusive)."""
    label, wavelength = "", math.nan
    for i in range(start - 1, max(stop, start - 12) - 1, -1):
        texts = [_cell_text(c) for c in rows[i] if _cell_text(c)]
        if not texts:
            continue
        line = " ".join(texts)
        if math.isnan(wavelength):
            match = _WAVELENGTH.search(line)
            if match:
                wavelength = float(match[1] or match[2])
        if not label and len(texts) <= 2 and not _header_run(rows[i]):
            text = " ".join(texts)
            match = _PLATE_LABEL.match(text)
            if match:
                named = re.match(r"^\s*plate\s*(?:name|id)?\s*:\s*(.+)$", text, re.IGNORECASE)
                label = named[1].strip() if named else text
    return label, wavelength


def _grid_blocks(rows: list[list[object]]) -> list[dict]:
    """Numeric plate blocks: header ``1..n`` then rows ``A, B, ...``."""
    blocks: list[dict] = []
    i = 0
    previous_stop = 0
    while i < len(rows):
        runs = _header_run(rows[i])
        run = next(((j, n) for j, n in runs if j >= 1 and n in _SHAPES), None)
        if run is None:
            i += 1
            continue
        j0, n_cols = run
        corner = _cell_text(rows[i][j0 - 1])
        values: dict[tuple[str, int], tuple[float, str]] = {}
        labels: list[str] = []
        k = i + 1
        expected = 0
        while k < len(rows) and expected < 32:
            cells = rows[k]
            head = _cell_text(cells[j0 - 1]) if len(cells) > j0 - 1 else ""
            if head.upper() == row_letter(expected):
                for c in range(n_cols):
                    cell = cells[j0 + c] if j0 + c < len(cells) else None
                    values[(row_letter(expected), c + 1)] = _to_number(cell)
                tail = [_cell_text(x) for x in cells[j0 + n_cols:] if _cell_text(x)]
                labels.append(tail[0] if tail else "")
                expected += 1
                k += 1
            elif not head and expected > 0 and any(_cell_text(x) for x in cells):
                k += 1  # continuation row (Gen5 blank-subtracted / concentration rows)
            else:
                break
        n_rows = expected
        if n_rows >= 2:
            cells_all = list(values.values())
            numeric = sum(1 for _, f in cells_all if f == "")
            text = sum(1 for _, f in cells_all if f not in ("", "no value"))
            if numeric > 0 and numeric >= text:
                label, wavelength = _block_context(rows, i, previous_stop)
                if math.isnan(wavelength):
                    match = re.search(r"(\d{3,4})", corner)
                    if match and 200 <= float(match[1]) <= 1100:
                        wavelength = float(match[1])
                tail_label = next((t for t in labels if t), "")
                blocks.append({"values": values, "n_rows": n_rows, "n_cols": n_cols,
                               "label": label, "wavelength": wavelength, "corner": corner,
                               "tail": tail_label})
            previous_stop = k
        i = max(k, i + 1)
    return blocks


def _table_from_blocks(blocks: list[dict], *, stem: str, source: str) -> pd.DataFrame:
    if not blocks:
        msg = f"{source}: no plate grid found (a header row 1..12 or 1..24 followed by rows A, B, ...)"
        raise InvalidInputError(msg)
    # An unlabeled block right after a labelled one at another wavelength is the same
    # plate read again (a "Plate: P1" line, then one grid per wavelength).
    last = ""
    used: dict[str, set[str]] = {}
    for b in blocks:
        key = f"{b['wavelength']}|{b.get('measurement', '')}"
        if b["label"]:
            last = b["label"]
        elif last and key not in used.get(last, set()):
            b["label"] = last
        if b["label"]:
            used.setdefault(b["label"], set()).add(key)
    # Name plates: explicit label, else stem (one block per wavelength) or stem_k.
    unlabeled = [b for b in blocks if not b["label"]]
    keys = [(b["wavelength"], b.get("measurement", "")) for b in unlabeled]
    distinct = len({(str(w), m) for w, m in keys}) == len(keys)
    k = 0
    for b in blocks:
        if b["label"]:
            b["plate"] = b["label"]
        elif distinct:
            b["plate"] = stem
        else:
            k += 1
            b["plate"] = f"{stem}_{k}"
    records = []
    for b in blocks:
        for (row, col), (value, flag) in b["values"].items():
            records.append((b["plate"], well_name(row, col), row, col, b["wavelength"],
                            b.get("measurement", ""), value, flag))
    table = pd.DataFrame.from_records(records, columns=list(PLATE_COLUMNS))
    return _finish(table, source=source)


def _finish(table: pd.DataFrame, *, source: str) -> pd.DataFrame:
    table = table.astype({"plate": str, "well": str, "row": str, "col": "int64",
                          "wavelength": "float64", "measurement": str, "value": "float64",
                          "flag": str})
    key = ["plate", "measurement", "wavelength", "well"]
    dup = table.assign(wavelength=table["wavelength"].fillna(-1)).duplicated(key, keep=False)
    if dup.any():
        first = table[dup].iloc[0]
        msg = (f"{source}: well {first['well']} of plate {first['plate']!r} appears twice for "
               f"the same wavelength; name the plates (a 'Plate <name>' line above each grid)")
        raise InvalidInputError(msg)
    table = table.sort_values(["plate", "measurement", "wavelength", "row", "col"],
                              key=lambda s: s.map(_sort_key) if s.name == "row" else s,
                              kind="stable").reset_index(drop=True)
    table.attrs["source"] = source
    return table


def _sort_key(letter: str) -> int:
    return _row_index(letter)


# ----------------------------------------------------------------------------- readers
def read_grid(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read plate matrices (header ``1..n``, rows ``A...``) from CSV/TSV/XLSX.

    Parameters
    ----------
    path : str or Path
        The file. Text files may be comma, semicolon or tab separated.
    sheet : str or int, optional
        XLSX only: one sheet; by default every sheet is searched.

    Returns
    -------
    DataFrame
        The plate table (see the module docstring for the columns).
    """
    path = Path(path)
    blocks: list[dict] = []
    if _is_excel(path):
        for name, rows in _xlsx_sheets(path, sheet):
            sheet_blocks = _grid_blocks(rows)
            for b in sheet_blocks:
                if math.isnan(b["wavelength"]):
                    match = _WAVELENGTH.search(name)
                    b["wavelength"] = float(match[1] or match[2]) if match else math.nan
            blocks += sheet_blocks
    else:
        blocks = _grid_blocks(_text_rows(path))
    return _table_from_blocks(blocks, stem=path.stem, source=str(path))


def read_gen5(path: str | Path) -> pd.DataFrame:
    """Read a BioTek Gen5 text export (its ``Results`` grids).

    Only the first row of each letter (the raw read) is taken; Gen5's extra rows (blank
    subtracted, concentrations) are skipped. The read label in the last column
    (``"abs450:450"``) gives ``measurement`` and ``wavelength``. ``OVRFLW``/``MISSED`` cells
    become NaN with the text in ``flag``.
    """
    path = Path(path)
    rows = _text_rows(path)
    blocks = _grid_blocks(rows)
    plate_name = ""
    for r in rows:
        if r and _cell_text(r[0]).lower() == "plate number" and len(r) > 1:
            plate_name = _cell_text(r[1])
            break
    for b in blocks:
        tail = b["tail"]
        if tail:
            name, _, wl = tail.partition(":")
            b["measurement"] = name
            match = re.search(r"\d{3,4}", wl)
            if match:
                b["wavelength"] = float(match[0])
        b["label"] = plate_name or b["label"]
    return _table_from_blocks(blocks, stem=path.stem, source=str(path))


def read_tecan(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a Tecan i-control XLSX export (``<>`` corner, ``Measurement Wavelength`` row)."""
    path = Path(path)
    blocks = []
    for _name, rows in _xlsx_sheets(path, sheet):
        found = _grid_blocks(rows)
        wl = math.nan
        for r in rows:
            if r and _cell_text(r[0]).lower().startswith("measurement wavelength"):
                nums = [c for c in r[1:] if _is_number(c)]
                wl = float(nums[0]) if nums else math.nan
        for b in found:
            b["wavelength"] = wl if math.isnan(b["wavelength"]) else b["wavelength"]
            b["label"] = ""
        blocks += found
    return _table_from_blocks(blocks, stem=path.stem, source=str(path))


_SKANIT_CALCULATED = ("blank subtraction", "standard curve", "dilution factor", "average",
                      "calculation", "quality control", "kinetic calculation")


def read_skanit(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a Thermo SkanIt XLSX report: the raw measurement sheets.

    Sheets of calculated results (``Blank Subtraction``, ``Standard Curve``,
    ``Dilution Factor``...) and the ``Sample`` name grids are skipped unless ``sheet`` names
    one. The step name (e.g. ``"Absorbance 1"``) is the ``measurement``; the
    ``Wavelength: 450 nm`` line gives ``wavelength``; ``Plate 1`` lines name the plate.
    """
    path = Path(path)
    blocks = []
    for name, rows in _xlsx_sheets(path, sheet):
        lowered = name.lower()
        if sheet is None and (any(lowered.startswith(c) for c in _SKANIT_CALCULATED)
                              or lowered.startswith(("general", "session", "instrument",
                                                     "protocol", "run log", "layout"))):
            continue
        step = ""
        for r in rows[:8]:
            text = _cell_text(r[0]) if r else ""
            if re.match(r"^(absorbance|fluorescence|luminescence|photometric)", text, re.IGNORECASE):
                step = text
        for b in _grid_blocks(rows):
            b["measurement"] = step
            blocks.append(b)
    return _table_from_blocks(blocks, stem=path.stem, source=str(path))


def read_softmax(path: str | Path) -> pd.DataFrame:
    """Read SoftMax Pro plate blocks (``Plate:`` sections, wavelengths side by side).

    The ``Plate:`` line names the plate and lists the wavelengths (``"562 660"``); the next
    line is the column header (``Temperature`` then ``1..12`` once per wavelength); the
    following rows hold one plate row each (A, B... in order). CRLF and Latin-1 are fine.
    """
    path = Path(path)
    rows = [list(r) for r in csv.reader(io.StringIO(_read_text(path)), delimiter="\t")]
    blocks = []
    i = 0
    while i < len(rows):
        r = rows[i]
        if not r or not _cell_text(r[0]).startswith("Plate:"):
            i += 1
            continue
        name = _cell_text(r[1]) if len(r) > 1 else path.stem
        read_mode = next((_cell_text(c) for c in r if _cell_text(c) in
                          {"Absorbance", "Fluorescence", "Luminescence"}), "")
        header = rows[i + 1] if i + 1 < len(rows) else []
        runs = [(j, n) for j, n in _header_run(header) if n in _SHAPES]
        wavelengths: list[float] = []
        for c in r[2:]:
            parts = _cell_text(c).split()
            if len(parts) == len(runs) and all(p.isdigit() and 200 <= int(p) <= 1100
                                               for p in parts):
                wavelengths = [float(p) for p in parts]
                break
        if not runs:
            msg = f"{path}: SoftMax block {name!r} has no column header 1..12"
            raise InvalidInputError(msg)
        if not wavelengths:
            wavelengths = [math.nan] * len(runs)
        n_rows = _SHAPES[runs[0][1]]
        data = rows[i + 2:i + 2 + n_rows]
        for (j0, n_cols), wl in zip(runs, wavelengths, strict=True):
            values = {}
            for ri, cells in enumerate(data):
                for c in range(n_cols):
                    cell = cells[j0 + c] if j0 + c < len(cells) else None
                    values[(row_letter(ri), c + 1)] = _to_number(cell)
            blocks.append({"values": values, "label": name, "wavelength": wl,
                           "measurement": read_mode})
        i += 2 + n_rows
    if not blocks:
        msg = f"{path}: no SoftMax 'Plate:' block found"
        raise InvalidInputError(msg)
    return _table_from_blocks(blocks, stem=path.stem, source=str(path))


def read_envision(path: str | Path) -> pd.DataFrame:
    """Read a PerkinElmer EnVision CSV export.

    Each ``Plate information`` section gives the plate number and the label (the
    measurement, e.g. ``"BCA Absorbance @ 562"``; wavelength from ``@ 562``); the headerless
    matrix that follows (16 x 24 or 8 x 12 numbers, trailing commas) holds the values.
    Excel-style ``="..."`` cells are unwrapped.
    """
    path = Path(path)
    rows = _text_rows(path)
    blocks = []
    i = 0
    while i < len(rows):
        if not rows[i] or _cell_text(rows[i][0]).lower() != "plate information":
            i += 1
            continue
        header = [_cell_text(c) for c in rows[i + 1]]
        info = [_cell_text(c) for c in rows[i + 2]]
        meta = dict(zip(header, info, strict=False))
        plate = meta.get("Plate", "")
        label = meta.get("Label") or meta.get("Formula") or ""
        label = re.sub(r"\(\d+\)$", "", label).strip()
        match = re.search(r"@\s*(\d{3,4})", label)
        wl = float(match[1]) if match else math.nan
        k = i + 3
        while k < len(rows) and not (rows[k] and all(_is_number(c) for c in rows[k]
                                                     if _cell_text(c))
                                     and sum(1 for c in rows[k] if _cell_text(c)) >= 3):
            if rows[k] and _cell_text(rows[k][0]).lower() == "plate information":
                break
            k += 1
        matrix = []
        while k < len(rows) and rows[k] and any(_cell_text(c) for c in rows[k]) and all(
                _is_number(c) for c in rows[k] if _cell_text(c)):
            matrix.append([c for c in rows[k] if _cell_text(c)])
            k += 1
        if matrix:
            n_cols = len(matrix[0])
            if n_cols not in _SHAPES or len(matrix) != _SHAPES[n_cols]:
                msg = (f"{path}: EnVision plate {plate} matrix is {len(matrix)} x {n_cols}, "
                       "not a plate shape")
                raise InvalidInputError(msg)
            values = {(row_letter(ri), c + 1): _to_number(v)
                      for ri, r in enumerate(matrix) for c, v in enumerate(r)}
            blocks.append({"values": values, "label": plate, "wavelength": wl,
                           "measurement": label})
        i = max(k, i + 1)
    return _table_from_blocks(blocks, stem=path.stem, source=str(path))


def read_long(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a long table with columns ``well`` and ``value`` (optional ``plate``,
    ``wavelength``, ``measurement``; names are case-insensitive, ``absorbance``/``od`` are
    accepted for ``value``)."""
    path = Path(path)
    if _is_excel(path):
        _name, rows = _xlsx_sheets(path, sheet if sheet is not None else 0)[0]
        frame = pd.DataFrame(rows[1:], columns=[_cell_text(c) for c in rows[0]])
    else:
        text = _read_text(path)
        frame = pd.read_csv(io.StringIO(text), sep=_sniff_delimiter(text), dtype=str)
    columns = {c.strip().lower(): c for c in frame.columns}
    value_col = next((columns[k] for k in ("value", "absorbance", "od", "abs") if k in columns),
                     None)
    if "well" not in columns or value_col is None:
        msg = f"{path}: a long plate table needs columns 'well' and 'value'; it has {list(frame.columns)}"
        raise InvalidInputError(msg)
    records = []
    for i, rec in enumerate(frame.to_dict("records")):
        well, row, col = normalize_well(rec[columns["well"]], where=f"{path}, row {i + 2}")
        value, flag = _to_number(rec[value_col])
        plate = _cell_text(rec[columns["plate"]]) if "plate" in columns else path.stem
        wl = _to_number(rec[columns["wavelength"]])[0] if "wavelength" in columns else math.nan
        meas = _cell_text(rec[columns["measurement"]]) if "measurement" in columns else ""
        records.append((plate or path.stem, well, row, col, wl, meas, value, flag))
    table = pd.DataFrame.from_records(records, columns=list(PLATE_COLUMNS))
    return _finish(table, source=str(path))


# ----------------------------------------------------------------------------- detection
def detect_plate_format(path: str | Path, *, sheet: str | int | None = None) -> str:
    """Guess the export format of ``path``; one of :data:`FORMATS`.

    Raises
    ------
    InvalidInputError
        If the file does not exist or no format fits.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such file"
        raise InvalidInputError(msg)
    if _is_excel(path):
        sheets = _xlsx_sheets(path, sheet)
        for _name, rows in sheets:
            for r in rows[:60]:
                first = _cell_text(r[0]) if r else ""
                if first.startswith("Application: Tecan") or first == "<>":
                    return "tecan"
                if first == "Measurement results" or "SkanIt" in " ".join(
                        _cell_text(c) for c in r):
                    return "skanit"
        first_rows = sheets[0][1] if sheets else []
        header = [_cell_text(c).lower() for c in (first_rows[0] if first_rows else [])]
        if "well" in header:
            return "long"
        return "grid"
    head = _read_text(path)[:20000]
    if head.lstrip().startswith("##BLOCKS") or "\nPlate:\t" in head.replace("\r", ""):
        return "softmax"
    if head.lstrip().lower().startswith("plate information"):
        return "envision"
    if re.search(r"^Software Version\t", head, re.MULTILINE) and "Results" in head:
        return "gen5"
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    cells = [c.strip().strip('"').lower() for c in re.split(r"[,;\t]", first)]
    if "well" in cells:
        return "long"
    return "grid"


_READERS = {
    "grid": lambda p, s: read_grid(p, sheet=s),
    "long": lambda p, s: read_long(p, sheet=s),
    "softmax": lambda p, s: read_softmax(p),
    "envision": lambda p, s: read_envision(p),
    "gen5": lambda p, s: read_gen5(p),
    "skanit": lambda p, s: read_skanit(p, sheet=s),
    "tecan": lambda p, s: read_tecan(p, sheet=s),
}


def read_plate(path: str | Path, *, format: str = "auto",
               sheet: str | int | None = None, plate: str | None = None) -> pd.DataFrame:
    """Read a plate-reader export into the tidy plate table.

    Parameters
    ----------
    path : str or Path
        CSV/TXT/XLSX export.
    format : {"auto", "grid", "long", "softmax", "envision", "gen5", "skanit", "tecan"}
        ``"auto"`` calls :func:`detect_plate_format`.
    sheet : str or int, optional
        XLSX sheet to read (default: all relevant sheets).
    plate : str, optional
        Rename the plate(s): a file holding one plate gets this id; several plates get
        ``"<plate>_<original id>"``.

    Returns
    -------
    DataFrame
        Columns ``plate, well, row, col, wavelength, measurement, value, flag`` (see the
        module docstring). ``attrs["format"]`` is the format used, ``attrs["source"]`` the path.

    Raises
    ------
    InvalidInputError
        Unknown format, unreadable file, or no plate found; the message names the file.
    """
    path = Path(path)
    if format == "auto":
        format = detect_plate_format(path, sheet=sheet)
    if format not in _READERS:
        msg = f"{path}: unknown plate format {format!r}; use one of {['auto', *FORMATS]}"
        raise InvalidInputError(msg)
    if not path.is_file():
        msg = f"{path}: no such file"
        raise InvalidInputError(msg)
    table = _READERS[format](path, sheet)
    if plate is not None:
        ids = table["plate"].unique()
        mapping = {ids[0]: plate} if len(ids) == 1 else {p: f"{plate}_{p}" for p in ids}
        table = table.assign(plate=table["plate"].map(mapping))
    table.attrs.update(format=format, source=str(path))
    return table


def read_plates(paths: Sequence[str | Path], *, format: str = "auto",
                sheet: str | int | None = None) -> pd.DataFrame:
    """Read several exports and stack them; plate ids must not repeat across files.

    Parameters
    ----------
    paths : sequence of str or Path
        CSV/TXT/XLSX exports, each read with :func:`read_plate`.
    format : str
        Export format for every file (``"auto"`` detects it per file).
    sheet : str or int, optional
        XLSX sheet to read (default: all relevant sheets).

    Returns
    -------
    DataFrame
        The plate table plus ``source`` (file path) and ``format`` (detected format) columns.
    """
    tables = []
    seen: dict[str, str] = {}
    for p in paths:
        t = read_plate(p, format=format, sheet=sheet)
        for pid in t["plate"].unique():
            if pid in seen:
                msg = (f"{p}: plate id {pid!r} is also in {seen[pid]}; give the files "
                       "distinct names or plate labels")
                raise InvalidInputError(msg)
            seen[pid] = str(p)
        tables.append(t.assign(source=str(p), format=t.attrs["format"]))
    if not tables:
        msg = "no plate files given"
        raise InvalidInputError(msg)
    return pd.concat(tables, ignore_index=True)
