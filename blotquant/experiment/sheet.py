"""The sample sheet: one file a scientist edits that describes a blot experiment.

The sheet is a CSV file with blocks, or an XLSX workbook with one worksheet per block.
Each block starts with a line whose first cell is the block name in brackets, followed by
a header row and one row per record::

    [images]
    file,target,membrane,exposure,kind
    m1_pS6.tif,phospho-S6,M1,30,
    m1_actin.tif,beta-actin,M1,5,

    [lanes]
    membrane,lane,kind,cell_line,treatment,time,replicate
    M1,1,ladder,,,,
    M1,2,sample,786-O,vehicle,24 h,1
    M1,3,sample,786-O,temsirolimus 10 nM,24 h,1

    [targets]
    target,loading_control,mw_kda
    phospho-S6,beta-actin,32
    beta-actin,,42

In an XLSX workbook the blocks are worksheets named ``images``, ``lanes``, ``targets``
and (optionally) ``references``; a single worksheet holding bracketed blocks like the
CSV is accepted too. Blank rows and rows whose first cell starts with ``#`` are skipped.
File paths are relative to the sheet's folder.

Blocks and columns (``*`` = required)
-------------------------------------
``[images]`` one row per image (or per membrane region of an image):
    ``file*`` path; ``target*`` antibody/target name (or stain name); ``membrane*`` the
    membrane id shared with ``[lanes]``; ``region`` 1-based membrane region inside the
    image when one scan holds several membranes or strips (default 1); ``exposure``
    seconds; ``kind`` ``target`` (default) or ``stain`` (total-protein stain, quantified
    as whole-lane signal); ``polarity`` ``auto`` (default), ``light`` or ``dark``;
    ``n_lanes`` lane count expected in this image (default: lanes of the membrane).
``[lanes]`` one row per lane of each membrane:
    ``membrane*``; ``lane*`` 1-based, left to right; ``kind`` ``sample`` (default),
    ``ladder`` (alias ``marker``), ``empty`` or ``dilution``; for samples ``cell_line*``,
    ``treatment*`` (parsed by :func:`blotquant.conditions.parse_treatment`),
    ``replicate*`` (biological replicate) and ``time``; for ladders ``markers`` (sizes in
    kDa top to bottom, separated by ``;``); for dilution lanes ``load`` (relative amount
    loaded, > 0).
``[targets]`` one row per target:
    ``target*``; ``loading_control`` the target (housekeeping protein or stain) it is
    divided by, ``none`` for no normalisation, blank only for a loading control itself;
    band choice, first given wins: ``mw_kda`` expected MW (needs a ladder lane),
    ``y_px`` expected row in pixels, ``y_fraction`` expected position as a fraction of the
    lane height, ``band`` band row number, else the strongest row; several values
    separated by ``;`` describe a doublet (e.g. cleaved caspase-3 ``19;17``);
    ``combine`` ``sum`` (default) or ``separate`` for several bands; ``mw_tolerance``
    accepted relative MW error (default 0.2).
``[references]`` optional; which lanes each fold change is relative to:
    ``treatment*``; ``membrane`` and ``cell_line`` (blank = all); ``time`` (blank = any).
    Without a matching row, the reference of a membrane and cell line is its vehicle lanes.
"""

from __future__ import annotations

import csv
import itertools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from blotquant.conditions import Treatment, parse_treatment
from blotquant.errors import InvalidInputError

__all__ = [
    "ImageEntry",
    "LaneEntry",
    "ReferenceEntry",
    "SampleSheet",
    "TargetEntry",
    "read_sample_sheet",
    "validate_sheet",
]

BLOCKS: dict[str, tuple[str, ...]] = {
    "images": ("file", "target", "membrane", "region", "exposure", "kind", "polarity", "n_lanes"),
    "lanes": ("membrane", "lane", "kind", "cell_line", "treatment", "time", "replicate", "load",
              "markers"),
    "targets": ("target", "loading_control", "mw_kda", "y_px", "y_fraction", "band", "combine",
                "mw_tolerance"),
    "references": ("membrane", "cell_line", "treatment", "time"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "images": ("file", "target", "membrane"),
    "lanes": ("membrane", "lane"),
    "targets": ("target",),
    "references": ("treatment",),
}
_IGNORED = ("notes", "note", "comment", "comments", "description")
_ALIASES = {
    "image": "file", "path": "file", "filename": "file", "antibody": "target",
    "cell": "cell_line", "cellline": "cell_line", "line": "cell_line", "rep": "replicate",
    "biological_replicate": "replicate", "mw": "mw_kda", "expected_mw": "mw_kda",
    "mw_(kda)": "mw_kda", "loading": "loading_control", "exposure_s": "exposure",
    "marker_sizes": "markers", "ladder": "markers", "type": "kind", "role": "kind",
    "lanes": "n_lanes",
}
_LANE_KINDS = {"sample": "sample", "ladder": "ladder", "marker": "ladder", "markers": "ladder",
               "empty": "empty", "blank": "empty", "dilution": "dilution", "standard": "dilution"}
_NONE_WORDS = {"none", "no", "-"}


@dataclass(frozen=True)
class ImageEntry:
    """One ``[images]`` row: an image (region) showing one target on one membrane.

    Attributes
    ----------
    file : str
        Path as written in the sheet (relative to the sheet folder).
    path : Path
        Resolved path.
    target, membrane : str
        Target (antibody or stain) name and membrane id.
    region : int or None
        1-based membrane region inside the image (None when not given: region 1, and
        the image must then hold a single membrane).
    exposure : float
        Exposure in seconds (NaN when not given).
    kind : str
        ``"target"`` or ``"stain"``.
    polarity : str
        ``"auto"``, ``"light"`` or ``"dark"``.
    n_lanes : int or None
        Expected lane count, None for the membrane's lane count.
    where : str
        Sheet file and row, for messages.
    """

    file: str
    path: Path
    target: str
    membrane: str
    region: int | None = None
    exposure: float = math.nan
    kind: str = "target"
    polarity: str = "auto"
    n_lanes: int | None = None
    where: str = ""


@dataclass(frozen=True)
class LaneEntry:
    """One ``[lanes]`` row.

    Attributes
    ----------
    membrane : str
    lane : int
        1-based lane number, left to right.
    kind : str
        ``"sample"``, ``"ladder"``, ``"empty"`` or ``"dilution"``.
    cell_line, time, replicate : str
        Sample description (empty strings for non-sample lanes / when not given).
    treatment : Treatment or None
        Parsed treatment (None when not given).
    load : float
        Relative amount loaded (dilution lanes); NaN otherwise.
    markers : tuple of float
        Ladder sizes in kDa, top to bottom (ladder lanes).
    where : str
    """

    membrane: str
    lane: int
    kind: str = "sample"
    cell_line: str = ""
    treatment: Treatment | None = None
    time: str = ""
    replicate: str = ""
    load: float = math.nan
    markers: tuple[float, ...] = ()
    where: str = ""


@dataclass(frozen=True)
class TargetEntry:
    """One ``[targets]`` row: how a target's band is chosen and normalised.

    Attributes
    ----------
    target : str
    loading_control : str
        Target name it is divided by; ``""`` for a loading control itself, ``"none"`` for
        no normalisation.
    mw_kda, y_px, y_fraction : tuple of float
        Expected band(s), by MW, pixel row or fraction of the lane height.
    band : tuple of int
        Explicit band row numbers.
    combine : str
        ``"sum"`` or ``"separate"`` when several bands are listed.
    mw_tolerance : float
        Accepted relative difference between expected and estimated MW.
    where : str
    """

    target: str
    loading_control: str = ""
    mw_kda: tuple[float, ...] = ()
    y_px: tuple[float, ...] = ()
    y_fraction: tuple[float, ...] = ()
    band: tuple[int, ...] = ()
    combine: str = "sum"
    mw_tolerance: float = 0.2
    where: str = ""

    @property
    def rule(self) -> str:
        """Band-choice rule: ``"mw"``, ``"y_px"``, ``"y_fraction"``, ``"band"`` or ``"strongest"``."""
        for name in ("mw_kda", "y_px", "y_fraction", "band"):
            if getattr(self, name):
                return "mw" if name == "mw_kda" else name
        return "strongest"


@dataclass(frozen=True)
class ReferenceEntry:
    """One ``[references]`` row: the reference sample of a membrane and cell line.

    Attributes
    ----------
    treatment : Treatment
    membrane, cell_line, time : str
        Filters; ``""`` matches everything.
    where : str
    """

    treatment: Treatment
    membrane: str = ""
    cell_line: str = ""
    time: str = ""
    where: str = ""


@dataclass(frozen=True)
class SampleSheet:
    """A parsed, validated sample sheet.

    Attributes
    ----------
    path : Path
        The sheet file (``Path()`` when built in memory).
    images, lanes, targets, references : tuple
        The rows of each block as :class:`ImageEntry`, :class:`LaneEntry`,
        :class:`TargetEntry` and :class:`ReferenceEntry`.
    """

    path: Path
    images: tuple[ImageEntry, ...]
    lanes: tuple[LaneEntry, ...]
    targets: tuple[TargetEntry, ...]
    references: tuple[ReferenceEntry, ...] = field(default=())

    @property
    def folder(self) -> Path:
        """Folder that relative image paths start from."""
        return self.path.parent

    def membranes(self) -> list[str]:
        """Membrane ids in order of first appearance in ``[lanes]``."""
        return list(dict.fromkeys(lane.membrane for lane in self.lanes))

    def n_lanes(self, membrane: str) -> int:
        """Number of lanes of ``membrane`` (the highest lane number in ``[lanes]``)."""
        return max((lane.lane for lane in self.lanes if lane.membrane == membrane), default=0)

    def target(self, name: str) -> TargetEntry:
        """The ``[targets]`` row of ``name``."""
        for t in self.targets:
            if t.target == name:
                return t
        msg = f"{self.path.name}: target {name!r} has no row in [targets]"
        raise InvalidInputError(msg)

    def loading_targets(self) -> set[str]:
        """Names used as a loading control by some target."""
        return {t.loading_control for t in self.targets
                if t.loading_control and t.loading_control.lower() not in _NONE_WORDS}

    def lanes_table(self) -> pd.DataFrame:
        """The ``[lanes]`` block as a table.

        Returns
        -------
        DataFrame
            Columns ``membrane, lane, kind, cell_line, treatment, agents, dose, unit, time,
            replicate, load, markers``; ``treatment`` is the canonical text.
        """
        rows = []
        for lane in self.lanes:
            tr = lane.treatment
            rows.append({
                "membrane": lane.membrane, "lane": lane.lane, "kind": lane.kind,
                "cell_line": lane.cell_line,
                "treatment": tr.label if tr is not None else "",
                "agents": tr.agents if tr is not None else "",
                "dose": tr.dose if tr is not None else math.nan,
                "unit": tr.unit if tr is not None else "",
                "time": lane.time, "replicate": lane.replicate, "load": lane.load,
                "markers": ";".join(f"{m:g}" for m in lane.markers),
            })
        return pd.DataFrame(rows, columns=["membrane", "lane", "kind", "cell_line", "treatment",
                                           "agents", "dose", "unit", "time", "replicate", "load",
                                           "markers"])


# --------------------------------------------------------------------------- reading


def _norm_header(text: object) -> str:
    key = re.sub(r"[\s\-]+", "_", str(text if text is not None else "").strip().lower())
    return _ALIASES.get(key, key)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:g}" if value.is_integer() else repr(value)
    return str(value).strip()


_Row = tuple[str, dict[str, str]]  # (where, {column: text})


def _split_blocks(lines: Iterable[tuple[str, list[str]]], *, source: str) -> dict[str, list[_Row]]:
    """Split (where, cells) rows into blocks keyed by block name."""
    blocks: dict[str, list[_Row]] = {}
    current: str | None = None
    header: list[str] | None = None
    for where, cells in lines:
        cells = [_cell(c) for c in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        head = cells[0].strip()
        match = re.fullmatch(r"\[\s*([A-Za-z_ ]+?)\s*\]", head)
        if match:
            name = match[1].lower().replace(" ", "_")
            if name not in BLOCKS:
                msg = f"{where}: unknown block [{name}]; use one of {[f'[{b}]' for b in BLOCKS]}"
                raise InvalidInputError(msg)
            if name in blocks:
                msg = f"{where}: block [{name}] appears twice"
                raise InvalidInputError(msg)
            current, header = name, None
            blocks[name] = []
            continue
        if current is None:
            msg = (f"{where}: expected a block header such as [images], [lanes] or [targets] "
                   f"before the first table row in {source}")
            raise InvalidInputError(msg)
        if header is None:
            header = [_norm_header(c) for c in cells]
            _check_header(header, block=current, where=where)
            continue
        row = {}
        for col, value in zip(header, cells, strict=False):
            if col and col not in _IGNORED:
                row[col] = value
        extra = [v for v in cells[len(header):] if v]
        if extra:
            msg = f"{where}: row has more cells than the [{current}] header ({extra})"
            raise InvalidInputError(msg)
        blocks[current].append((where, row))
    return blocks


def _check_header(header: list[str], *, block: str, where: str) -> None:
    allowed = BLOCKS[block]
    named = [c for c in header if c]
    unknown = [c for c in named if c not in allowed and c not in _IGNORED]
    if unknown:
        msg = (f"{where}: unknown column(s) {unknown} in [{block}]; allowed: {list(allowed)} "
               f"(and {list(_IGNORED[:3])} for free text)")
        raise InvalidInputError(msg)
    dup = sorted({c for c in named if named.count(c) > 1})
    if dup:
        msg = f"{where}: column(s) {dup} appear twice in the [{block}] header"
        raise InvalidInputError(msg)
    missing = [c for c in REQUIRED[block] if c not in named]
    if missing:
        msg = f"{where}: [{block}] header lacks required column(s) {missing}"
        raise InvalidInputError(msg)


def _read_csv_rows(path: Path) -> dict[str, list[_Row]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
    sample = text[:4096]
    delimiter = ","
    if sample.count(";") > sample.count(",") and sample.count(";") > sample.count("\t"):
        delimiter = ";"
    elif sample.count("\t") > sample.count(","):
        delimiter = "\t"
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    lines = ((f"{path.name} line {i}", row) for i, row in enumerate(reader, start=1))
    return _split_blocks(lines, source=path.name)


def _read_xlsx_rows(path: Path) -> dict[str, list[_Row]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        msg = f"{path}: cannot read as an XLSX workbook ({exc})"
        raise InvalidInputError(msg) from exc
    try:
        named = {ws.title.strip().lower(): ws for ws in wb.worksheets}
        blocks: dict[str, list[_Row]] = {}
        if any(name in BLOCKS for name in named):
            for name, ws in named.items():
                if name not in BLOCKS:
                    continue
                lines = [(f"{path.name} sheet {ws.title!r} row {i}", [_cell(v) for v in row])
                         for i, row in enumerate(ws.iter_rows(values_only=True), start=1)]
                lines.insert(0, (f"{path.name} sheet {ws.title!r}", [f"[{name}]"]))
                blocks.update(_split_blocks(lines, source=f"{path.name} sheet {ws.title!r}"))
        else:
            ws = wb.worksheets[0]
            lines = [(f"{path.name} sheet {ws.title!r} row {i}", [_cell(v) for v in row])
                     for i, row in enumerate(ws.iter_rows(values_only=True), start=1)]
            blocks = _split_blocks(lines, source=f"{path.name} sheet {ws.title!r}")
    finally:
        wb.close()
    return blocks


# --------------------------------------------------------------------------- parsing


def _number(text: str, *, where: str, column: str, positive: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        msg = f"{where}: {column} {text!r} is not a number"
        raise InvalidInputError(msg) from None
    if not math.isfinite(value) or (positive and value <= 0):
        msg = f"{where}: {column} must be a finite number{' > 0' if positive else ''}, got {text!r}"
        raise InvalidInputError(msg)
    return value


def _integer(text: str, *, where: str, column: str) -> int:
    value = _number(text, where=where, column=column, positive=True)
    if not value.is_integer():
        msg = f"{where}: {column} must be a whole number >= 1, got {text!r}"
        raise InvalidInputError(msg)
    return int(value)


def _numbers(text: str, *, where: str, column: str) -> tuple[float, ...]:
    if not text:
        return ()
    parts = [p for p in re.split(r"[;|/]", text) if p.strip()]
    return tuple(_number(p.strip(), where=where, column=column, positive=True) for p in parts)


def _parse_image(where: str, row: dict[str, str], folder: Path) -> ImageEntry:
    for col in REQUIRED["images"]:
        if not row.get(col):
            msg = f"{where}: [images] row has no {col}"
            raise InvalidInputError(msg)
    kind = (row.get("kind") or "target").lower()
    if kind in {"total_protein", "total protein", "tpn", "ponceau"}:
        kind = "stain"
    if kind not in {"target", "stain"}:
        msg = f"{where}: kind {row['kind']!r} must be 'target' or 'stain' (total-protein stain)"
        raise InvalidInputError(msg)
    polarity = (row.get("polarity") or "auto").lower()
    if polarity not in {"auto", "light", "dark"}:
        msg = f"{where}: polarity {row['polarity']!r} must be 'auto', 'light' or 'dark'"
        raise InvalidInputError(msg)
    exposure = (_number(row["exposure"], where=where, column="exposure", positive=True)
                if row.get("exposure") else math.nan)
    region = _integer(row["region"], where=where, column="region") if row.get("region") else None
    n_lanes = (_integer(row["n_lanes"], where=where, column="n_lanes")
               if row.get("n_lanes") else None)
    return ImageEntry(file=row["file"], path=(folder / row["file"]), target=row["target"],
                      membrane=row["membrane"], region=region, exposure=exposure, kind=kind,
                      polarity=polarity, n_lanes=n_lanes, where=where)


def _parse_lane(where: str, row: dict[str, str]) -> LaneEntry:
    for col in REQUIRED["lanes"]:
        if not row.get(col):
            msg = f"{where}: [lanes] row has no {col}"
            raise InvalidInputError(msg)
    kind_text = (row.get("kind") or "sample").lower()
    if kind_text not in _LANE_KINDS:
        msg = f"{where}: lane kind {row['kind']!r} must be one of sample, ladder, empty, dilution"
        raise InvalidInputError(msg)
    kind = _LANE_KINDS[kind_text]
    lane = _integer(row["lane"], where=where, column="lane")
    treatment = (parse_treatment(row["treatment"], where=f"{where} (treatment)")
                 if row.get("treatment") else None)
    if kind == "sample":
        for col in ("cell_line", "treatment", "replicate"):
            if not row.get(col):
                msg = f"{where}: sample lane {lane} of membrane {row['membrane']} has no {col}"
                raise InvalidInputError(msg)
    markers = _numbers(row.get("markers", ""), where=where, column="markers")
    if kind == "ladder" and markers and any(a <= b for a, b in itertools.pairwise(markers)):
        msg = f"{where}: marker sizes {row['markers']!r} must decrease from top to bottom"
        raise InvalidInputError(msg)
    if markers and kind != "ladder":
        msg = f"{where}: marker sizes are given for a lane of kind {kind!r}; set kind to ladder"
        raise InvalidInputError(msg)
    load = math.nan
    if row.get("load"):
        load = _number(row["load"], where=where, column="load", positive=True)
    if kind == "dilution" and math.isnan(load):
        msg = f"{where}: dilution lane {lane} needs a load (relative amount loaded, > 0)"
        raise InvalidInputError(msg)
    replicate = row.get("replicate", "")
    if re.fullmatch(r"\d+\.0", replicate):
        replicate = replicate[:-2]
    return LaneEntry(membrane=row["membrane"], lane=lane, kind=kind,
                     cell_line=row.get("cell_line", ""), treatment=treatment,
                     time=row.get("time", ""), replicate=replicate, load=load, markers=markers,
                     where=where)


def _parse_target(where: str, row: dict[str, str]) -> TargetEntry:
    if not row.get("target"):
        msg = f"{where}: [targets] row has no target"
        raise InvalidInputError(msg)
    combine = (row.get("combine") or "sum").lower()
    if combine not in {"sum", "separate"}:
        msg = f"{where}: combine {row['combine']!r} must be 'sum' or 'separate'"
        raise InvalidInputError(msg)
    y_fraction = _numbers(row.get("y_fraction", ""), where=where, column="y_fraction")
    if any(f > 1 for f in y_fraction):
        msg = f"{where}: y_fraction {row['y_fraction']!r} must lie between 0 and 1"
        raise InvalidInputError(msg)
    bands = _numbers(row.get("band", ""), where=where, column="band")
    if any(not b.is_integer() for b in bands):
        msg = f"{where}: band {row['band']!r} must be whole band-row numbers"
        raise InvalidInputError(msg)
    tol = (_number(row["mw_tolerance"], where=where, column="mw_tolerance", positive=True)
           if row.get("mw_tolerance") else 0.2)
    return TargetEntry(target=row["target"], loading_control=row.get("loading_control", ""),
                       mw_kda=_numbers(row.get("mw_kda", ""), where=where, column="mw_kda"),
                       y_px=_numbers(row.get("y_px", ""), where=where, column="y_px"),
                       y_fraction=y_fraction, band=tuple(int(b) for b in bands),
                       combine=combine, mw_tolerance=tol, where=where)


def _parse_reference(where: str, row: dict[str, str]) -> ReferenceEntry:
    if not row.get("treatment"):
        msg = f"{where}: [references] row has no treatment"
        raise InvalidInputError(msg)
    return ReferenceEntry(treatment=parse_treatment(row["treatment"], where=f"{where} (treatment)"),
                          membrane=row.get("membrane", ""), cell_line=row.get("cell_line", ""),
                          time=row.get("time", ""), where=where)


def read_sample_sheet(path: str | Path, *, check_files: bool = True) -> SampleSheet:
    """Read and validate a sample sheet (CSV with ``[block]`` sections, or XLSX).

    Parameters
    ----------
    path : str or Path
        The ``.csv`` (also ``.tsv``/``.txt``) or ``.xlsx`` sheet.
    check_files : bool
        Require every image file to exist (relative to the sheet folder).

    Returns
    -------
    SampleSheet
        The validated sheet (see :func:`validate_sheet` for the checks).

    Raises
    ------
    InvalidInputError
        Naming the sheet row and the problem: unknown block or column, a missing
        required value, an unreadable number, a treatment that cannot be parsed (e.g. a
        dose without a unit), two rows for one lane, a target without a loading control,
        a reference that matches no lane, a missing image file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "sheet.csv").write_text(
    ...     "[images]\\nfile,target,membrane\\na.tif,pS6,M1\\nb.tif,actin,M1\\n"
    ...     "[lanes]\\nmembrane,lane,cell_line,treatment,replicate\\n"
    ...     "M1,1,786-O,vehicle,1\\nM1,2,786-O,temsirolimus 10 nM,1\\n"
    ...     "[targets]\\ntarget,loading_control\\npS6,actin\\nactin,\\n")
    >>> sheet = read_sample_sheet(folder / "sheet.csv", check_files=False)
    >>> [lane.treatment.label for lane in sheet.lanes]
    ['vehicle', 'temsirolimus 10 nM']
    """
    path = Path(path)
    if not path.is_file():
        msg = f"sample sheet {path} does not exist"
        raise InvalidInputError(msg)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        blocks = _read_xlsx_rows(path)
    else:
        blocks = _read_csv_rows(path)
    for name in ("images", "lanes", "targets"):
        if not blocks.get(name):
            msg = f"{path.name}: the [{name}] block is missing or empty"
            raise InvalidInputError(msg)
    folder = path.parent
    sheet = SampleSheet(
        path=path,
        images=tuple(_parse_image(w, r, folder) for w, r in blocks["images"]),
        lanes=tuple(_parse_lane(w, r) for w, r in blocks["lanes"]),
        targets=tuple(_parse_target(w, r) for w, r in blocks["targets"]),
        references=tuple(_parse_reference(w, r) for w, r in blocks.get("references", [])),
    )
    validate_sheet(sheet, check_files=check_files)
    return sheet


# --------------------------------------------------------------------------- validation


def reference_lanes(sheet: SampleSheet, membrane: str, cell_line: str) -> list[LaneEntry]:
    """Sample lanes that are the fold-change reference for ``membrane`` and ``cell_line``.

    Parameters
    ----------
    sheet : SampleSheet
    membrane, cell_line : str

    Returns
    -------
    list of LaneEntry
        Lanes matching a ``[references]`` row that applies to this membrane and cell line,
        else the vehicle lanes; empty when there is none.
    """
    samples = [ln for ln in sheet.lanes
               if ln.kind == "sample" and ln.membrane == membrane and ln.cell_line == cell_line]
    rows = [r for r in sheet.references
            if r.membrane in ("", membrane) and r.cell_line in ("", cell_line)]
    if rows:
        # the most specific rows win (membrane and cell line given beat blanks)
        best = max((bool(r.membrane) + bool(r.cell_line)) for r in rows)
        rows = [r for r in rows if (bool(r.membrane) + bool(r.cell_line)) == best]
        return [ln for ln in samples if ln.treatment is not None and any(
            ln.treatment.label == r.treatment.label and r.time in ("", ln.time) for r in rows)]
    return [ln for ln in samples if ln.treatment is not None and ln.treatment.is_vehicle]


def validate_sheet(sheet: SampleSheet, *, check_files: bool = True) -> None:
    """Check a sample sheet for consistency.

    Parameters
    ----------
    sheet : SampleSheet
    check_files : bool
        Also require every image file to exist.

    Raises
    ------
    InvalidInputError
        Naming the row: duplicate lane, unknown membrane, image lane count smaller than a
        lane number, target without a ``[targets]`` row or without a loading control, a
        loading control that is not imaged on the membrane, a reference that matches no
        lane, a membrane and cell line without any reference lane, a missing file.
    """
    name = sheet.path.name or "sample sheet"
    seen: dict[tuple[str, int], LaneEntry] = {}
    for lane in sheet.lanes:
        key = (lane.membrane, lane.lane)
        if key in seen:
            msg = (f"{lane.where}: membrane {lane.membrane} lane {lane.lane} is already described "
                   f"at {seen[key].where}; one lane holds one sample")
            raise InvalidInputError(msg)
        seen[key] = lane
    membranes = set(sheet.membranes())
    targets = {t.target: t for t in sheet.targets}
    dup_t = [t.target for t in sheet.targets]
    for t in sheet.targets:
        if dup_t.count(t.target) > 1:
            msg = f"{t.where}: target {t.target!r} has more than one row in [targets]"
            raise InvalidInputError(msg)
    seen_img: dict[tuple[str, int, str], ImageEntry] = {}
    for img in sheet.images:
        if img.membrane not in membranes:
            msg = (f"{img.where}: membrane {img.membrane!r} has no lanes in [lanes] "
                   f"(membranes there: {sorted(membranes)})")
            raise InvalidInputError(msg)
        if check_files and not img.path.is_file():
            msg = f"{img.where}: image file {img.file!r} not found (looked for {img.path})"
            raise InvalidInputError(msg)
        n_sheet = sheet.n_lanes(img.membrane)
        if img.n_lanes is not None and img.n_lanes < n_sheet:
            msg = (f"{img.where}: n_lanes {img.n_lanes} but [lanes] describes lane {n_sheet} of "
                   f"membrane {img.membrane}; the image does not have that lane")
            raise InvalidInputError(msg)
        key = (img.file, img.region or 1, img.target)
        if key in seen_img:
            msg = f"{img.where}: repeats {seen_img[key].where} (same file, region and target)"
            raise InvalidInputError(msg)
        seen_img[key] = img
    loading = sheet.loading_targets()
    imaged = {img.target for img in sheet.images}
    for img in sheet.images:
        if img.target not in targets and img.target not in loading:
            msg = (f"{img.where}: target {img.target!r} has no row in [targets]; add one naming "
                   "its loading_control")
            raise InvalidInputError(msg)
    for t in sheet.targets:
        lc = t.loading_control
        if not lc:
            if t.target not in loading:
                msg = (f"{t.where}: target {t.target!r} has no loading control; name the "
                       "housekeeping protein or stain it is divided by (or write 'none')")
                raise InvalidInputError(msg)
            continue
        if lc.lower() in _NONE_WORDS:
            continue
        if lc == t.target:
            msg = f"{t.where}: target {t.target!r} cannot be its own loading control"
            raise InvalidInputError(msg)
        if lc not in imaged:
            msg = f"{t.where}: loading control {lc!r} of {t.target!r} is not in [images]"
            raise InvalidInputError(msg)
        if targets.get(lc) is not None and targets[lc].loading_control and \
                targets[lc].loading_control.lower() not in _NONE_WORDS:
            msg = (f"{t.where}: loading control {lc!r} is itself normalised to "
                   f"{targets[lc].loading_control!r}; a loading control is divided by nothing")
            raise InvalidInputError(msg)
    for img in sheet.images:
        t = targets.get(img.target)
        if t is None or not t.loading_control or t.loading_control.lower() in _NONE_WORDS:
            continue
        if not any(o.target == t.loading_control and o.membrane == img.membrane
                   for o in sheet.images):
            msg = (f"{img.where}: target {img.target!r} on membrane {img.membrane} has no image "
                   f"of its loading control {t.loading_control!r} on that membrane")
            raise InvalidInputError(msg)
    for ref in sheet.references:
        if ref.membrane and ref.membrane not in membranes:
            msg = f"{ref.where}: reference membrane {ref.membrane!r} is not in [lanes]"
            raise InvalidInputError(msg)
        hits = [ln for ln in sheet.lanes if ln.kind == "sample" and ln.treatment is not None
                and ln.treatment.label == ref.treatment.label
                and ref.membrane in ("", ln.membrane) and ref.cell_line in ("", ln.cell_line)
                and ref.time in ("", ln.time)]
        if not hits:
            msg = (f"{ref.where}: reference {ref.treatment.label!r}"
                   f"{' on ' + ref.membrane if ref.membrane else ''}"
                   f"{' for ' + ref.cell_line if ref.cell_line else ''}"
                   f"{' at ' + ref.time if ref.time else ''} matches no sample lane")
            raise InvalidInputError(msg)
    groups: dict[tuple[str, str], LaneEntry] = {}
    for ln in sheet.lanes:
        if ln.kind == "sample":
            groups.setdefault((ln.membrane, ln.cell_line), ln)
    for (membrane, cell_line), first in groups.items():
        if not reference_lanes(sheet, membrane, cell_line):
            msg = (f"{first.where}: membrane {membrane}, cell line {cell_line!r} has no reference "
                   f"lane (no vehicle lane and no matching [references] row) in {name}")
            raise InvalidInputError(msg)
