"""Delimited text: `.csv`, `.tsv`, `.txt`, with the delimiter sniffed.

Lines starting with `#` or `%` are comments; a first line that is not all numbers is a
header. Columns named `source_row` and `source_start` (which sigae writes beside its
results) are read as provenance, not as samples.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from sigae.errors import DataError
from sigae.io.found import INDEX_NAMES, NAME_COLUMN, Found

_DELIMITERS = (",", "\t", ";", "|")
_COMMENTS = ("#", "%")


def read_text(path: Path, key: str | None) -> Found:
    """Reads a table of numbers, one value per cell."""
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise DataError(f"{path}: is binary, not text; give a .csv, .tsv or .txt table.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(
            f"{path}: is not UTF-8 text (byte {error.start}); save it as UTF-8."
        ) from None
    lines = [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith(_COMMENTS)
    ]
    if not lines:
        raise DataError(f"{path}: holds no data lines (only blank or comment lines).")
    split = _splitter([line for _, line in lines[:50]])
    header = None
    if not _numeric(split(lines[0][1])):
        header = [cell.strip() for cell in split(lines[0][1])]
        lines = lines[1:]
    if not lines:
        raise DataError(f"{path}: holds a header line but no numeric rows.")
    if header is not None and NAME_COLUMN in header:  # sigae's names of the recordings
        split, header = _without_names(header)
    width = len(split(lines[0][1]))
    values = np.empty((len(lines), width), dtype="float64")
    for i, (number, line) in enumerate(lines):
        cells = split(line)
        if len(cells) != width:
            raise DataError(
                f"{path}: line {number} has {len(cells)} values, but the first data line has "
                f"{width}; every row must have as many values."
            )
        try:
            values[i] = np.asarray(cells, dtype="float64")
        except ValueError:
            column, cell = next(
                (c, cell) for c, cell in enumerate(cells, start=1) if not _numeric([cell])
            )
            raise DataError(
                f"{path}: line {number}, column {column}: {cell.strip()!r} is not a number. "
                "Fix or remove the cell."
            ) from None
    return _with_index(values, header)


def _with_index(values: np.ndarray, header: list[str] | None) -> Found:
    if header is None or len(header) != values.shape[1]:
        return Found(values)
    positions = [header.index(name) if name in header else None for name in INDEX_NAMES]
    if None in positions:
        return Found(values)
    keep = [i for i in range(len(header)) if i not in positions]
    index = tuple(values[:, p].astype("int64") for p in positions)
    return Found(values[:, keep], index=index)  # type: ignore[arg-type]


def _without_names(header: list[str]) -> tuple[Callable[[str], list[str]], list[str]]:
    """A splitter that drops the `source_name` column sigae writes (CSV-quoted text)."""
    import csv

    position = header.index(NAME_COLUMN)

    def split(line: str) -> list[str]:
        cells = next(csv.reader([line]))
        return cells[:position] + cells[position + 1:]

    return split, header[:position] + header[position + 1:]


def _splitter(sample: list[str]) -> Callable[[str], list[str]]:
    """Splits at the first delimiter that every sample line holds, else at whitespace."""
    for delimiter in _DELIMITERS:
        if all(delimiter in line for line in sample):
            return lambda line: line.split(delimiter)
    return str.split


def _numeric(cells: list[str]) -> bool:
    try:
        np.asarray(cells, dtype="float64")
    except ValueError:
        return False
    return True
