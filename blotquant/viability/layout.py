"""Plate layouts: what is in each well.

A layout says, for every used well, its ``type``, ``cell_line``, ``treatment`` and
biological ``replicate``. Two ways to write one (CSV or XLSX):

**Long** - one row per well::

    plate,well,type,cell_line,treatment,replicate
    P1,A1,blank,,,
    P1,B2,vehicle,786-O,vehicle,1
    P1,B3,treated,786-O,temsirolimus 10 nM,1
    P1,B4,treated,786-O,temsirolimus 10 nM + IFN-alpha 100 IU/mL,1

``plate`` may be left out (or ``*``): the row applies to every plate read. ``type`` may be
left out and is then inferred from ``treatment``: empty -> ``empty``; ``blank``/``medium``/
``no cells`` -> ``blank``; ``vehicle``/``DMSO``/``control``/``untreated`` -> ``vehicle``;
anything else -> ``treated``. ``positive_control`` (e.g. a full kill) must be written as a
type. ``replicate`` (biological: independent experiments) defaults to the plate id.

**Grid** - one plate-shaped grid per field, the field named in the corner cell; an optional
``plate,<id>`` line before a set of grids names the plate they describe::

    type,1,2,3,...
    A,blank,vehicle,treated,...
    treatment,1,2,3,...
    A,,vehicle,temsirolimus 10 nM,...

Treatments are parsed with :func:`blotquant.conditions.parse_treatment` (canonical text,
molar doses in nM); a dose without a unit is an error naming the file and the well.

Layout table columns (:data:`LAYOUT_COLUMNS`):

* ``plate`` (str) - plate id, ``"*"`` for every plate.
* ``well``, ``row``, ``col`` - ``"B3"``, ``"B"``, 3.
* ``type`` - one of :data:`WELL_TYPES`.
* ``cell_line`` (str) - ``""`` when not given.
* ``treatment`` (str) - canonical label (``"vehicle"`` for vehicle wells, ``""`` for blank/empty).
* ``agents`` (str) - ``"+"``-joined agent names, ``"vehicle"``, or ``""``.
* ``dose`` (float) - single-agent dose (nM for molar units); NaN for mixed units/none.
* ``unit`` (str) - unit of ``dose``.
* ``replicate`` (str) - biological replicate id (``""`` = the plate id, filled in later).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from blotquant.conditions import VEHICLE_WORDS, parse_treatment
from blotquant.errors import InvalidInputError
from blotquant.viability.plates import (
    _SHAPES,
    _cell_text,
    _header_run,
    _is_excel,
    _text_rows,
    _xlsx_sheets,
    normalize_well,
    row_letter,
)

__all__ = [
    "LAYOUT_COLUMNS",
    "WELL_TYPES",
    "layout_from_table",
    "match_layout",
    "read_layout",
]

WELL_TYPES: tuple[str, ...] = ("blank", "vehicle", "treated", "empty", "positive_control")
LAYOUT_COLUMNS: tuple[str, ...] = (
    "plate", "well", "row", "col", "type", "cell_line", "treatment", "agents", "dose", "unit",
    "replicate",
)
_FIELDS = ("type", "cell_line", "treatment", "replicate")
_FIELD_ALIASES = {"cell line": "cell_line", "cells": "cell_line", "cell": "cell_line",
                  "line": "cell_line", "condition": "treatment", "drug": "treatment",
                  "sample": "treatment", "rep": "replicate", "biological_replicate": "replicate",
                  "experiment": "replicate", "well type": "type", "role": "type"}
_BLANK_WORDS = frozenset({"blank", "medium", "media", "no cells", "background", "bkg", "bg"})
_EMPTY_WORDS = frozenset({"", "empty", "unused", "-", "none used", "nan"})
_TYPE_ALIASES = {"positive": "positive_control", "positive control": "positive_control",
                 "pos": "positive_control", "kill": "positive_control", "sample": "treated",
                 "treatment": "treated", "control": "vehicle", "negative_control": "vehicle",
                 "negative control": "vehicle", "unused": "empty"}


def _field_name(text: str) -> str | None:
    key = text.strip().lower()
    key = _FIELD_ALIASES.get(key, key).replace(" ", "_")
    return key if key in (*_FIELDS, "plate") else None


def _clean(value: object) -> str:
    text = _cell_text(value)
    return "" if text.lower() == "nan" else text


def _infer_type(treatment: str) -> str:
    key = treatment.strip().lower()
    if key in _EMPTY_WORDS:
        return "empty"
    if key in _BLANK_WORDS:
        return "blank"
    if key in VEHICLE_WORDS:
        return "vehicle"
    return "treated"


def layout_from_table(table: pd.DataFrame, *, source: str = "layout") -> pd.DataFrame:
    """Validate a long layout table and add the parsed treatment columns.

    Parameters
    ----------
    table : DataFrame
        At least ``well``, and ``treatment`` or ``type``; optional ``plate``,
        ``cell_line``, ``replicate`` (case-insensitive names).
    source : str
        Name used in error messages (the file name).

    Returns
    -------
    DataFrame
        Columns :data:`LAYOUT_COLUMNS` (see the module docstring), one row per well.

    Raises
    ------
    InvalidInputError
        Unknown type, unreadable treatment or dose without unit, type/treatment conflict,
        duplicate well, or a plate without blank or vehicle wells; names file and well.
    """
    columns = {}
    for c in table.columns:
        name = _field_name(str(c)) or str(c).strip().lower()
        columns[name] = c
    if "well" not in columns:
        msg = f"{source}: a layout needs a 'well' column; it has {list(table.columns)}"
        raise InvalidInputError(msg)
    if "treatment" not in columns and "type" not in columns:
        msg = f"{source}: a layout needs a 'treatment' or a 'type' column"
        raise InvalidInputError(msg)
    records = []
    for rec in table.to_dict("records"):
        get = {k: _clean(rec[c]) for k, c in columns.items()}
        plate = get.get("plate", "") or "*"
        where = f"{source}, plate {plate}, well {get['well']}"
        well, row, col = normalize_well(get["well"], where=where)
        where = f"{source}, plate {plate}, well {well}"
        text = get.get("treatment", "")
        wtype = get.get("type", "").lower().replace("-", "_")
        wtype = _TYPE_ALIASES.get(wtype, wtype) or _infer_type(text)
        if wtype not in WELL_TYPES:
            msg = f"{where}: type {get.get('type')!r} is not one of {list(WELL_TYPES)}"
            raise InvalidInputError(msg)
        treatment, agents, dose, unit = "", "", math.nan, ""
        if wtype in ("treated", "vehicle") or (wtype == "positive_control" and text):
            if wtype == "vehicle" and not text:
                text = "vehicle"
            if wtype == "positive_control":
                try:
                    parsed = parse_treatment(text, where=where)
                except InvalidInputError:
                    parsed = None
            else:
                parsed = parse_treatment(text, where=where)
            if parsed is None:
                treatment, agents = text, text
            else:
                if wtype == "treated" and parsed.is_vehicle:
                    msg = (f"{where}: type 'treated' but treatment {text!r} is the vehicle; "
                           "give the agent and dose, or type 'vehicle'")
                    raise InvalidInputError(msg)
                if wtype == "vehicle" and not parsed.is_vehicle:
                    msg = (f"{where}: type 'vehicle' but treatment {text!r} has an agent; "
                           "use type 'treated'")
                    raise InvalidInputError(msg)
                treatment, agents = parsed.label, parsed.agents
                dose, unit = parsed.dose, parsed.unit
        elif wtype in ("blank", "empty") and _infer_type(text) in ("treated", "vehicle"):
            msg = f"{where}: type {wtype!r} wells take no treatment (got {text!r})"
            raise InvalidInputError(msg)
        replicate = get.get("replicate", "")
        if replicate.endswith(".0") and replicate[:-2].isdigit():
            replicate = replicate[:-2]
        records.append((plate, well, row, col, wtype, get.get("cell_line", ""), treatment,
                        agents, dose, unit, replicate))
    layout = pd.DataFrame.from_records(records, columns=list(LAYOUT_COLUMNS))
    layout = layout.astype({"plate": str, "well": str, "row": str, "col": "int64", "type": str,
                            "cell_line": str, "treatment": str, "agents": str,
                            "dose": "float64", "unit": str, "replicate": str})
    dup = layout.duplicated(["plate", "well"], keep=False)
    if dup.any():
        first = layout[dup].iloc[0]
        msg = f"{source}: well {first['well']} of plate {first['plate']} is listed twice"
        raise InvalidInputError(msg)
    _check_controls(layout, source=source)
    layout.attrs["source"] = source
    return layout


def _check_controls(layout: pd.DataFrame, *, source: str) -> None:
    for plate, wells in layout.groupby("plate", sort=False):
        label = "every plate" if plate == "*" else f"plate {plate}"
        if not (wells["type"] == "blank").any():
            msg = (f"{source}: {label} has no blank wells (medium + MTT, no cells); "
                   "viability needs a same-plate blank")
            raise InvalidInputError(msg)
        used = wells[wells["type"].isin(["treated", "positive_control"])]
        for line in used["cell_line"].unique():
            if not ((wells["type"] == "vehicle") & (wells["cell_line"] == line)).any():
                first = used[used["cell_line"] == line].iloc[0]["well"]
                what = f"cell line {line!r}" if line else "the treated wells"
                msg = (f"{source}: {label} has no vehicle wells for {what} (e.g. well "
                       f"{first}); viability needs a same-plate vehicle control")
                raise InvalidInputError(msg)


def _grid_layout_rows(rows: list[list[object]], *, source: str) -> list[dict]:
    """Cells of field-named grids as long records."""
    cells: dict[tuple[str, str], dict] = {}
    plate = "*"
    i = 0
    found = False
    while i < len(rows):
        r = rows[i]
        texts = [_clean(c) for c in r]
        runs = [(j, n) for j, n in _header_run(r) if j >= 1 and n in _SHAPES]
        if not runs:
            nonempty = [t for t in texts if t]
            if len(nonempty) == 2 and nonempty[0].lower() in {"plate", "plate:"}:
                plate = nonempty[1]
            i += 1
            continue
        j0, n_cols = runs[0]
        field = _field_name(texts[j0 - 1])
        if field is None or field == "plate":
            msg = (f"{source}, line {i + 1}: name the grid's field in its corner cell, one of "
                   f"{list(_FIELDS)} (got {texts[j0 - 1]!r})")
            raise InvalidInputError(msg)
        found = True
        k = i + 1
        for ri in range(32):
            if k >= len(rows):
                break
            row_cells = rows[k]
            head = _clean(row_cells[j0 - 1]) if len(row_cells) > j0 - 1 else ""
            if head.upper() != row_letter(ri):
                break
            for c in range(n_cols):
                value = _clean(row_cells[j0 + c]) if j0 + c < len(row_cells) else ""
                well = f"{row_letter(ri)}{c + 1}"
                entry = cells.setdefault((plate, well), {"plate": plate, "well": well})
                entry[field] = value
            k += 1
        i = k
    if not found:
        msg = f"{source}: no layout grid found (corner cell naming a field, header 1..12)"
        raise InvalidInputError(msg)
    out = []
    for entry in cells.values():
        if not entry.get("type") and not entry.get("treatment"):
            entry.setdefault("type", "empty")
        out.append(entry)
    return out


def read_layout(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a plate layout (long or grid form, CSV or XLSX).

    Parameters
    ----------
    path : str or Path
        The layout file (format in the module docstring).
    sheet : str or int, optional
        XLSX sheet (default: the first).

    Returns
    -------
    DataFrame
        Columns :data:`LAYOUT_COLUMNS`.

    Raises
    ------
    InvalidInputError
        As :func:`layout_from_table`, naming the file and well.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such layout file"
        raise InvalidInputError(msg)
    if _is_excel(path):
        rows = _xlsx_sheets(path, sheet if sheet is not None else 0)[0][1]
    else:
        rows = _text_rows(path)
    header = [_clean(c).lower() for c in (rows[0] if rows else [])]
    source = path.name
    if "well" in header:
        n = len(header)
        body = [list(r) + [None] * (n - len(r)) for r in rows[1:] if any(_clean(c) for c in r)]
        table = pd.DataFrame([r[:n] for r in body], columns=[_clean(c) for c in rows[0]],
                             dtype=object)
        return layout_from_table(table, source=source)
    records = _grid_layout_rows(rows, source=source)
    return layout_from_table(pd.DataFrame(records, dtype=object).fillna(""), source=source)


def match_layout(plates: pd.DataFrame, layout: pd.DataFrame, *,
                 source: str | None = None) -> pd.DataFrame:
    """Join plate readings to a layout, checking that they describe the same wells.

    Parameters
    ----------
    plates : DataFrame
        Plate table (:func:`blotquant.viability.plates.read_plate`) for one wavelength per
        (plate, well) - select the wavelength first.
    layout : DataFrame
        Layout table (:func:`read_layout`); ``plate == "*"`` rows apply to every plate.
    source : str, optional
        Layout name for messages (default ``layout.attrs["source"]``).

    Returns
    -------
    DataFrame
        The layout, expanded to explicit plate ids, with ``replicate`` filled (plate id when
        empty), for the wells of every plate in ``plates``; ``empty`` wells are kept.

    Raises
    ------
    InvalidInputError
        A layout plate that was not read; a layout well that is not on the plate or has no
        reading; a well with a reading but no layout entry. Names the file, plate and well.
    """
    source = source or layout.attrs.get("source", "layout")
    plate_ids = list(dict.fromkeys(plates["plate"]))
    named = set(layout["plate"]) - {"*"}
    unknown = sorted(named - set(plate_ids))
    if unknown:
        msg = f"{source}: plate(s) {unknown} are not among the plates read ({plate_ids})"
        raise InvalidInputError(msg)
    parts = []
    for pid in plate_ids:
        rows = layout[layout["plate"] == pid]
        if rows.empty:
            rows = layout[layout["plate"] == "*"]
        if rows.empty:
            msg = f"{source}: no layout for plate {pid!r} (and no rows for every plate '*')"
            raise InvalidInputError(msg)
        parts.append(rows.assign(plate=pid))
    expanded = pd.concat(parts, ignore_index=True)
    expanded["replicate"] = expanded["replicate"].where(expanded["replicate"] != "",
                                                        expanded["plate"])
    for pid, wells in expanded.groupby("plate", sort=False):
        readings = plates[plates["plate"] == pid]
        on_plate = set(readings["well"])
        off = wells[~wells["well"].isin(on_plate)]
        if not off.empty:
            n = len(on_plate)
            msg = (f"{source}: well {off.iloc[0]['well']} of plate {pid} is not on the plate "
                   f"({n} wells read)" + (f"; also {list(off['well'][1:6])}" if len(off) > 1
                                          else ""))
            raise InvalidInputError(msg)
        used = wells[wells["type"] != "empty"]
        missing = readings[readings["well"].isin(used["well"]) & (readings["flag"] == "no value")]
        if not missing.empty:
            msg = (f"{source}: plate {pid} well {missing.iloc[0]['well']} is used in the layout "
                   "but the plate file has no reading there")
            raise InvalidInputError(msg)
        unlisted = readings[~readings["well"].isin(wells["well"]) & (readings["flag"] != "no value")]
        if not unlisted.empty:
            extra = list(unlisted["well"][:6])
            msg = (f"{source}: plate {pid} has readings in wells {extra} that the layout does "
                   "not list; add them (type 'empty' to ignore a well)")
            raise InvalidInputError(msg)
    return expanded


def layout_records(wells: Sequence[dict], *, source: str = "layout") -> pd.DataFrame:
    """Build a layout from a list of dicts (keys as in the long form)."""
    return layout_from_table(pd.DataFrame(list(wells), dtype=object).fillna(""), source=source)
