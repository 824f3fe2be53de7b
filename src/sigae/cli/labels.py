"""Labels for the commands that take them (`--labels FILE --color-by COLUMN`)."""

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
    values, name = _label_values(path, column)
    n = len(signals)
    if len(values) == n:
        return values, name
    rows = np.asarray(signals.row)
    if len(rows) and len(np.unique(rows)) < n and len(values) > rows.max():
        return values[rows], name  # one per recording, given to each of its windows
    if path.suffix.lower() == ".npy":
        raise DataError(f"{path}: holds labels of shape {values.shape}; give one label per "
                        f"signal, shape ({n},).")
    if len(values) == n - 1 and column is None:
        headerless = _headerless(path)
        if headerless is not None:  # one label per line, no header: its first line is one
            return headerless, path.stem
    raise DataError(f"{path}: has {len(values)} label rows below its header line ({name!r}) "
                    f"but the data has {n} signals; give one row per signal, in order, "
                    "under a header line.")


def _headerless(path: Path) -> Any:
    """The labels of a one-column file read without a header line, if it is one: every
    line one value, and the first line one of them (all numbers, or a class named again
    below it; a header is neither)."""
    import numpy as np

    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.reader(handle) if row]
    if not rows or any(len(row) != 1 for row in rows):
        return None
    values = [row[0].strip() for row in rows]

    def number(text: str) -> bool:
        try:
            float(text)
        except ValueError:
            return False
        return True

    if all(number(v) for v in values):
        return np.asarray(values, dtype="float64")
    return np.asarray(values) if values[0] in values[1:] else None


def _label_values(path: Path, column: str | None) -> tuple[Any, str]:
    """The labels a file holds, and their name."""
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
    if len(rows) < 2:
        raise DataError(f"{path}: expected a header line and one row per signal.")
    header, rows = [h.strip() for h in rows[0]], [r for r in rows[1:] if r]
    name = column or header[0]
    if name not in header:
        raise DataError(f"{path}: has no column {name!r}; it has {', '.join(header)}. "
                        "Choose one with --color-by.")
    position = header.index(name)
    try:
        values = [row[position].strip() for row in rows]
    except IndexError:
        raise DataError(f"{path}: a row has no value in column {name!r}.") from None
    try:
        return np.asarray(values, dtype="float64"), name
    except ValueError:
        return np.asarray(values), name
