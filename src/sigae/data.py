"""Reading and writing arrays of signals and codes: `.npy`, `.npz` and `.csv`.

Readers take a path and return a float32 array; they never unpickle. Writers pick the
format from the extension and write atomically.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import numpy as np

from sigae._atomic import atomic_path
from sigae.errors import DataError

PathLike = str | os.PathLike[str]
FORMATS = (".npy", ".npz", ".csv")


def read_array(path: PathLike, *, key: str | None = None) -> np.ndarray:
    """Reads a numeric array of shape `(n, length)` or `(n, length, channels)`.

    Args:
        path: A `.npy`, `.npz` or `.csv` file. A CSV holds one signal per row, comma
            separated, with an optional header line.
        key: The array to take from an `.npz` holding several.

    Returns:
        float32 array with 2 or 3 dimensions and only finite values.

    Raises:
        DataError: If the file is missing, a directory, of an unknown format, pickled,
            non-numeric, non-finite, or has the wrong number of dimensions.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file. Check the path.")
    if path.is_dir():
        raise DataError(f"{path}: is a directory; expected a data file ({', '.join(FORMATS)}).")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            array = _read_npy(path)
        elif suffix == ".npz":
            array = _read_npz(path, key)
        elif suffix == ".csv":
            array = _read_csv(path)
        else:
            raise DataError(
                f"{path}: unknown data format {suffix or '(no extension)'!r}; use one of "
                f"{', '.join(FORMATS)}."
            )
    except PermissionError:
        raise DataError(f"{path}: permission denied; make the file readable.") from None
    return _validated(array, path)


def _read_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as error:
        if "pickle" in str(error).lower():
            raise DataError(
                f"{path}: holds Python objects (a pickled array), which sigae never loads "
                "because unpickling can run code. Save a numeric array with "
                "np.save(path, array.astype('float32'))."
            ) from None
        raise DataError(f"{path}: not a valid .npy file ({error}).") from None
    except (OSError, EOFError) as error:
        raise DataError(f"{path}: not a valid .npy file ({error}).") from None


def _read_npz(path: Path, key: str | None) -> np.ndarray:
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.keys())
            if key is None:
                if len(keys) != 1:
                    raise DataError(
                        f"{path}: holds {len(keys)} arrays ({', '.join(keys) or 'none'}); "
                        "choose one with --key NAME."
                    )
                key = keys[0]
            if key not in keys:
                raise DataError(
                    f"{path}: has no array {key!r}; it holds {', '.join(keys) or 'none'}."
                )
            return _read_npz_member(archive, key, path)
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"{path}: not a valid .npz file ({error}).") from None


def _read_npz_member(archive: np.lib.npyio.NpzFile, key: str, path: Path) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as error:
        if "pickle" in str(error).lower():
            raise DataError(
                f"{path}: array {key!r} holds Python objects (pickled), which sigae never "
                "loads. Save numeric arrays only."
            ) from None
        raise DataError(f"{path}: array {key!r} is damaged ({error}).") from None


def _read_csv(path: Path) -> np.ndarray:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text CSV file (it is not UTF-8).") from None
    rows = [
        (number, row)
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1)
        if row and not (len(row) == 1 and not row[0].strip())
    ]
    if rows and not _is_numeric_row(rows[0][1]):
        rows = rows[1:]  # a header line
    if not rows:
        raise DataError(f"{path}: holds no numeric rows; expected one signal per row.")
    width = len(rows[0][1])
    values = np.empty((len(rows), width), dtype="float64")
    for i, (number, row) in enumerate(rows):
        if len(row) != width:
            raise DataError(
                f"{path}: line {number} has {len(row)} values, but the first row has {width}; "
                "every signal (row) must have the same length."
            )
        for column, cell in enumerate(row, start=1):
            try:
                values[i, column - 1] = float(cell)
            except ValueError:
                raise DataError(
                    f"{path}: line {number}, column {column}: {cell.strip()!r} is not a number. "
                    "Fix or remove the cell."
                ) from None
    return values


def _is_numeric_row(row: list[str]) -> bool:
    try:
        for cell in row:
            float(cell)
    except ValueError:
        return False
    return True


def _validated(array: np.ndarray, path: Path) -> np.ndarray:
    if array.dtype.kind not in "iuf":
        raise DataError(
            f"{path}: holds {array.dtype} values; expected real numbers (int or float)."
        )
    if array.ndim not in (2, 3):
        raise DataError(
            f"{path}: holds an array of shape {array.shape}; expected (n_signals, length) or "
            "(n_signals, length, channels)."
        )
    if 0 in array.shape:
        raise DataError(f"{path}: holds an empty array of shape {array.shape}.")
    array = np.asarray(array, dtype="float32")
    check_finite(array, f"{path}:")
    return array


def check_finite(array: np.ndarray, what: str) -> None:
    """Raises `DataError` naming how many values are NaN or infinite, and the first one."""
    bad = ~np.isfinite(array)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"{what} holds {int(bad.sum())} NaN or infinite value(s), the first at index "
            f"{first}. Remove or fill them first."
        )


def write_array(path: PathLike, array: np.ndarray, *, key: str = "data") -> None:
    """Writes `array` atomically in the format of the extension of `path`.

    Args:
        path: Destination `.npy`, `.npz` (stored under `key`) or `.csv` file. A CSV holds
            2-D arrays (one row per signal); a 3-D array with one channel is squeezed.
        array: The array.
        key: Array name inside an `.npz`.

    Raises:
        DataError: For an unknown extension, or a multi-channel array to a CSV.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise DataError(
            f"{path}: unknown output format {suffix or '(no extension)'!r}; use one of "
            f"{', '.join(FORMATS)}."
        )
    array = np.asarray(array)
    if suffix == ".csv":
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[:, :, 0]
        if array.ndim != 2:
            raise DataError(
                f"{path}: a CSV holds one row per signal, so it cannot hold an array of shape "
                f"{array.shape}; write .npy or .npz instead."
            )
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        if suffix == ".npy":
            np.save(handle, array, allow_pickle=False)
        elif suffix == ".npz":
            np.savez(handle, **{key: array})
        else:
            np.savetxt(handle, array, delimiter=",", fmt="%.9g")
