"""Reading blot scans into plain arrays, without losing bit depth.

:func:`read_image` returns a :class:`Scan`: the 2-D greyscale array in the file's
own dtype (uint8, uint16 or float; never silently reduced to 8 bit) and what is
known about it (bit depth, saturation levels, the page read, what was converted).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from blotquant.errors import BlotquantWarning, InvalidInputError

__all__ = ["RGB_WEIGHTS", "Scan", "read_image", "scan_from_array"]

#: ITU-R BT.601 luma weights used to turn RGB into grey (documented conversion).
RGB_WEIGHTS = (0.299, 0.587, 0.114)

_TIFF_SUFFIXES = {".tif", ".tiff"}
_PIL_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp"}


@dataclass(frozen=True)
class Scan:
    """A greyscale scan and what is known about it.

    Attributes
    ----------
    data : (M, N) ndarray
        Grey values in the file's dtype (RGB converted, see ``notes``).
    name : str
        File stem, or ``"array"``.
    path : str
        Path read, or ``""`` for arrays.
    saturation_high, saturation_low : float
        Values at or beyond which a pixel is clipped at the bright / dark end
        (the dtype range for integer data, or a lower plateau the imager clips at).
    notes : tuple of str
        What was decided while reading (page chosen, RGB conversion, plateau found).
    """

    data: npt.NDArray[np.generic]
    name: str = "array"
    path: str = ""
    saturation_high: float = np.inf
    saturation_low: float = -np.inf
    notes: tuple[str, ...] = field(default=())

    @property
    def lossy(self) -> bool:
        """True when the scan came from a lossy format (JPEG)."""
        return Path(self.path).suffix.lower() in {".jpg", ".jpeg"}


def _to_grey(data: np.ndarray, *, where: str, notes: list[str]) -> np.ndarray:
    if data.ndim == 2:
        return data
    if data.ndim == 3 and data.shape[-1] in (3, 4):
        channels = data[..., :3]
        if data.shape[-1] == 4:
            notes.append("alpha channel ignored")
        if np.array_equal(channels[..., 0], channels[..., 1]) and np.array_equal(
            channels[..., 0], channels[..., 2]
        ):
            notes.append("RGB with equal channels: first channel used")
            return channels[..., 0]
        grey = channels.astype(np.float64) @ np.asarray(RGB_WEIGHTS)
        notes.append("RGB converted to grey with ITU-R BT.601 weights 0.299 R + 0.587 G + 0.114 B")
        if np.issubdtype(data.dtype, np.integer):
            grey = np.round(grey).astype(data.dtype)
        return grey
    msg = (f"{where}: image has shape {data.shape}; expected a 2-D greyscale or RGB(A) image. "
           "For a stack, choose one plane with `page=`")
    raise InvalidInputError(msg)


def _plateau(data: np.ndarray, *, high: bool) -> float | None:
    """Detect a clipping plateau below the dtype maximum (or above its minimum)."""
    value = data.max() if high else data.min()
    count = int(np.count_nonzero(data == value))
    # A 16-bit or float image that is not clipped has a unique-ish extreme value;
    # many pixels at exactly the extreme mean the detector or export clipped there.
    if count >= max(20, data.size // 200_000) and data.dtype != np.uint8:
        return float(value)
    return None


def scan_from_array(
    data: npt.ArrayLike, *, name: str = "array", path: str = "", notes: tuple[str, ...] = ()
) -> Scan:
    """Wrap an array as a :class:`Scan`, converting RGB and finding saturation levels.

    Parameters
    ----------
    data : (M, N) or (M, N, 3|4) array_like
        Grey or RGB(A) values.
    name, path : str
        Where the data came from, for tables and messages.
    notes : tuple of str
        Notes already made while reading.

    Returns
    -------
    Scan

    Raises
    ------
    InvalidInputError
        If the array is not 2-D (or RGB), is empty, is constant or has NaNs.
    """
    where = path or name
    array = np.asarray(data)
    collected = list(notes)
    array = _to_grey(array, where=where, notes=collected)
    if array.size == 0 or min(array.shape) < 8:
        msg = f"{where}: image is empty or too small ({array.shape})"
        raise InvalidInputError(msg)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        msg = f"{where}: unsupported pixel type {array.dtype}"
        raise InvalidInputError(msg)
    if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
        msg = f"{where}: image contains NaN or infinite values"
        raise InvalidInputError(msg)
    if array.min() == array.max():
        msg = f"{where}: image is constant (every pixel is {array.min()}); nothing to measure"
        raise InvalidInputError(msg)
    if np.issubdtype(array.dtype, np.integer):
        info = np.iinfo(array.dtype)
        high, low = float(info.max), float(info.min)
    else:
        high, low = np.inf, -np.inf
    plateau_high = _plateau(array, high=True)
    if plateau_high is not None and plateau_high < high:
        collected.append(f"clipping plateau found at {plateau_high:g} (below the dtype maximum)")
        high = plateau_high
    plateau_low = _plateau(array, high=False)
    if plateau_low is not None and plateau_low > low:
        collected.append(f"clipping plateau found at {plateau_low:g} (above the dtype minimum)")
        low = plateau_low
    return Scan(array, name=name, path=path, saturation_high=high, saturation_low=low,
                notes=tuple(collected))


def _read_tiff(path: Path, *, page: int | None, notes: list[str]) -> np.ndarray:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            n_pages = len(tif.pages)
            index = 0 if page is None else page
            if not 0 <= index < n_pages:
                msg = f"{path}: page={page} does not exist; the file has {n_pages} page(s)"
                raise InvalidInputError(msg)
            tiff_page = tif.pages[index]
            data = tiff_page.asarray()
            photometric = getattr(tiff_page, "photometric", None)
    except InvalidInputError:
        raise
    except Exception as exc:  # tifffile raises several types for broken files
        msg = f"{path}: cannot read TIFF ({exc})"
        raise InvalidInputError(msg) from exc
    if n_pages > 1:
        note = f"multi-page TIFF with {n_pages} pages: page {index} read"
        if page is None:
            note += " (the first; choose another with page=)"
            warnings.warn(f"{path}: {note}", BlotquantWarning, stacklevel=3)
        notes.append(note)
    if photometric is not None and int(photometric) == 0:
        notes.append("TIFF says MinIsWhite; raw values are used and polarity is judged from the data")
    if data.ndim == 3 and data.shape[-1] not in (3, 4) and page is None:
        msg = (f"{path}: the page holds a stack of shape {data.shape}; "
               "blotquant needs one 2-D plane")
        raise InvalidInputError(msg)
    return data


def _read_pil(path: Path, *, page: int | None, notes: list[str]) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            n_frames = getattr(image, "n_frames", 1)
            if page is not None:
                if not 0 <= page < n_frames:
                    msg = f"{path}: page={page} does not exist; the file has {n_frames} frame(s)"
                    raise InvalidInputError(msg)
                image.seek(page)
            if image.mode == "P":
                image = image.convert("RGBA" if "transparency" in image.info else "RGB")
                notes.append("palette image expanded to RGB")
            elif image.mode in ("I;16", "I;16B", "I;16L"):
                return np.asarray(image).astype(np.uint16)
            elif image.mode in ("LA", "PA"):
                image = image.convert("L")
            elif image.mode == "CMYK":
                image = image.convert("RGB")
            data = np.asarray(image)
    except InvalidInputError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        msg = f"{path}: cannot read image ({exc})"
        raise InvalidInputError(msg) from exc
    if data.dtype == np.int32 and data.min() >= 0 and data.max() <= 65535:
        data = data.astype(np.uint16)
    return data


def read_image(path: str | os.PathLike[str], *, page: int | None = None) -> Scan:
    """Read a blot scan as a 2-D greyscale array in its own bit depth.

    Parameters
    ----------
    path : str or path-like
        TIFF (8/16-bit, multi-page, compressed), PNG (also 16-bit and RGBA), JPEG,
        GIF or BMP.
    page : int, optional
        Page (0-based) of a multi-page file. By default the first page is read and
        a :class:`BlotquantWarning` says so when there are several.

    Returns
    -------
    Scan
        Grey values in the file's dtype; RGB is converted with ITU-R BT.601 luma
        weights and the conversion is recorded in ``Scan.notes``.

    Raises
    ------
    InvalidInputError
        If the file is missing, unreadable, empty, constant, or a stack without a
        page choice.
    """
    file = Path(path)
    if not file.is_file():
        msg = f"{file}: no such file"
        raise InvalidInputError(msg)
    if file.stat().st_size == 0:
        msg = f"{file}: file is empty"
        raise InvalidInputError(msg)
    suffix = file.suffix.lower()
    notes: list[str] = []
    if suffix in _TIFF_SUFFIXES:
        data = _read_tiff(file, page=page, notes=notes)
    elif suffix in _PIL_SUFFIXES:
        data = _read_pil(file, page=page, notes=notes)
    else:
        msg = (f"{file}: unsupported file type {suffix!r}; "
               "use TIFF, PNG, JPEG, GIF or BMP")
        raise InvalidInputError(msg)
    if suffix in {".jpg", ".jpeg"}:
        notes.append("JPEG is lossy: volumes are approximate, prefer the imager's TIFF")
    if data.dtype == np.uint8 and suffix in _TIFF_SUFFIXES | {".png"}:
        notes.append("8-bit data: dynamic range is limited, prefer 16-bit exports")
    return scan_from_array(data, name=file.stem, path=str(file), notes=tuple(notes))
