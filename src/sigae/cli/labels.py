"""Labels for the commands that take them (`--labels FILE --color-by COLUMN`), and the
quantities of `--factors FILE`."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sigae.errors import DataError


def read_labels(path: Path | None, column: str | None, signals: Any) -> tuple[Any, str]:
    """One label per signal: a column of a CSV with a header (`column`, or the first one),
    a 1-D `.npy` array (named after the file), or the labels of a `.ts` / `.arff` file.

    Labels may also be one per recording when the signals are windows of recordings: each
    window then takes its recording's label (through `signals.row`).
    """
    import numpy as np

    if path is None:
        return None, "label"
    n = len(signals)
    values, name = _label_values(path, column, n)
    if len(values) == n:
        return values, name
    rows = np.asarray(signals.row)
    if len(rows) and len(np.unique(rows)) < n and len(values) > rows.max():
        return values[rows], name  # one per recording, given to each of its windows
    if path.suffix.lower() == ".npy":
        raise DataError(f"{path}: holds labels of shape {values.shape}; give one label per "
                        f"signal, shape ({n},).")
    raise DataError(f"{path}: has {len(values)} label rows below its header line ({name!r}) "
                    f"but the data has {n} signals; give one row per signal, in order, "
                    "under a header line.")


def _label_values(path: Path, column: str | None, n: int) -> tuple[Any, str]:
    """The labels a file holds, and their name. A one-column text file of `n` lines is one
    label per line without a header when its first line is one of them: all are numbers,
    or the first names a class found again below it (a header is neither)."""
    import numpy as np

    if path.suffix.lower() in (".ts", ".arff"):
        from sigae.io.archive import read_collection

        labels = read_collection(path).labels
        if labels is None:
            raise DataError(f"{path}: holds no labels (no @classLabel or @targetLabel).")
        return labels, "class"
    if path.suffix.lower() == ".npy":
        try:
            values = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise DataError(f"{path}: cannot read the labels ({error}).") from None
        if values.ndim != 1:
            raise DataError(f"{path}: holds labels of shape {values.shape}; give a 1-D array, "
                            "one label per signal.")
        return values, path.stem
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read the labels ({error}).") from None
    rows = [row for row in rows if row]
    if len(rows) < 2:
        raise DataError(f"{path}: expected a header line and one row per signal.")
    first = [cell.strip() for cell in rows[0]]
    if (column is None and len(rows) == n and all(len(row) == 1 for row in rows)
            and (_numbers([row[0] for row in rows]) is not None
                 or first[0] in (row[0].strip() for row in rows[1:]))):
        return _as_labels([row[0].strip() for row in rows]), path.stem
    header, rows = first, rows[1:]
    name = column or header[0]
    if name not in header:
        raise DataError(f"{path}: has no column {name!r}; it has {', '.join(header)}. "
                        "Choose one with --color-by.")
    position = header.index(name)
    try:
        values = [row[position].strip() for row in rows]
    except IndexError:
        raise DataError(f"{path}: a row has no value in column {name!r}.") from None
    return _as_labels(values), name


def _numbers(values: list[str]) -> Any:
    """`values` as float64, or `None` if one is not a number."""
    import numpy as np

    try:
        return np.asarray(values, dtype="float64")
    except ValueError:
        return None


def _as_labels(values: list[str]) -> Any:
    """Numbers where every label is one, text otherwise."""
    import numpy as np

    numbers = _numbers(values)
    return np.asarray(values) if numbers is None else numbers


def read_factors(path: Path, names: list[str] | None, n: int) -> tuple[Any, list[str]]:
    """The quantities of `n` signals, one row per signal and one column per quantity: a CSV
    with a header (every column a quantity), a `.npy` array `(n, k)` (named by `names`,
    else after the file or `factor_0`, ...), or the regression targets of a `.ts` / `.arff`
    file (`target`)."""
    import numpy as np

    suffix = path.suffix.lower()
    if suffix in (".ts", ".arff"):
        values, found = np.asarray(_label_values(path, None, n)[0]), ["target"]
    elif suffix == ".npy":
        values, found = _factor_array(path, names)
    else:
        values, found = _factor_table(path)
    if values.dtype.kind not in "iuf":
        raise DataError(f"{path}: holds class labels, not quantities; give numbers (a "
                        "regression target).")
    if len(values) != n:
        raise DataError(f"{path}: has {len(values)} rows of quantities but the data has {n} "
                        "signals; give one row per signal, in order.")
    return values.reshape(n, -1), found


def _factor_array(path: Path, names: list[str] | None) -> tuple[Any, list[str]]:
    """A `.npy` array of quantities `(n,)` or `(n, k)`, and their names."""
    import numpy as np

    try:
        values = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: cannot read the quantities ({error}).") from None
    if values.ndim not in (1, 2):
        raise DataError(f"{path}: holds an array of shape {values.shape}; give one row of "
                        "quantities per signal, shape (n, k).")
    k = 1 if values.ndim == 1 else values.shape[1]
    if names is None:
        return values, [path.stem] if k == 1 else [f"factor_{i}" for i in range(k)]
    if len(names) != k:
        raise DataError(f"{path}: holds {k} quantities but --factor-names gives {len(names)} "
                        "names.")
    return values, names


def _factor_table(path: Path) -> tuple[Any, list[str]]:
    """A CSV's header and its columns of numbers."""
    import numpy as np

    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle) if row]
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read the quantities ({error}).") from None
    if len(rows) < 2 or _numbers(rows[0]) is not None:
        raise DataError(f"{path}: expected a header line naming the quantities, then one row "
                        "per signal.")
    header = [cell.strip() for cell in rows[0]]
    columns = []
    for position, name in enumerate(header):
        cells = [row[position] if position < len(row) else "" for row in rows[1:]]
        column = _numbers(cells)
        if column is None:
            bad = next(c for c in cells if _numbers([c]) is None)
            raise DataError(f"{path}: column {name!r} holds {bad!r}, not a number; a "
                            "quantities file holds numbers only.")
        columns.append(column)
    return np.stack(columns, axis=1), header
