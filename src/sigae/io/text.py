"""Delimited text: `.csv`, `.tsv`, `.txt`, with the delimiter sniffed.

Lines starting with `#` or `%` are comments; a first line that is not all numbers is a
header. Columns named `source_row` and `source_start` (which sigae writes beside its
results) are read as provenance, not as samples; `source_name` is left out, and so is a
column named as a time or an ID where others remain (`sigae.io.found.pick_columns`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from sigae.errors import DataError
from sigae.io.found import INDEX_NAMES, NAME_COLUMN, Found, pick_columns

_DELIMITERS = (",", "\t", ";", "|")
_COMMENTS = ("#", "%")


def read_text(path: Path, key: str | None, columns: Sequence[str] | None = None) -> Found:
    """Reads a table of numbers, one value per cell, of the `columns` asked for (by name or
    number from 1; by default all but a time or ID column: `sigae.io.found.pick_columns`)."""
    lines = _data_lines(path)
    split = _splitter([line for _, line in lines[:50]])
    header = None
    if not _numeric(split(lines[0][1])):
        header = [cell.strip() for cell in split(lines[0][1])]
        lines = lines[1:]
    if not lines:
        raise DataError(f"{path}: holds a header line but no numeric rows.")
    if header is not None and NAME_COLUMN in header:  # sigae's names: CSV-quoted text
        split = _csv_cells
    width = len(split(lines[0][1]))
    keep, note = pick_columns(path, header, width, columns)
    values = np.empty((len(lines), len(keep)), dtype="float64")
    for i, (number, line) in enumerate(lines):
        cells = split(line)
        if len(cells) != width:
            raise DataError(
                f"{path}: line {number} has {len(cells)} values, but the first data line has "
                f"{width}; every row must have as many values."
            )
        try:
            values[i] = np.asarray([cells[c] for c in keep], dtype="float64")
        except ValueError:
            raise _not_a_number(path, number, cells, keep, header) from None
    named = None if header is None or len(header) != width else [header[c] for c in keep]
    return dataclasses.replace(_with_index(values, named), note=note)


def _data_lines(path: Path) -> list[tuple[int, str]]:
    """The numbered lines that are neither blank nor comments."""
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
    return lines


def _not_a_number(path: Path, number: int, cells: list[str], keep: list[int],
                  header: list[str] | None) -> DataError:
    """The first cell of a row that is not a number, and how to leave its column out."""
    column = next(c for c in keep if not _numeric([cells[c]]))
    named = f" ({header[column]!r})" if header is not None and len(header) == len(cells) else ""
    return DataError(
        f"{path}: line {number}, column {column + 1}{named}: {cells[column].strip()!r} is not "
        "a number. Fix the cell, or leave its column out (columns= names the columns to read).")


def _with_index(values: np.ndarray, header: list[str] | None) -> Found:
    if header is None or len(header) != values.shape[1]:
        return Found(values)
    positions = [header.index(name) if name in header else None for name in INDEX_NAMES]
    if None in positions:
        return Found(values)
    keep = [i for i in range(len(header)) if i not in positions]
    index = tuple(values[:, p].astype("int64") for p in positions)
    return Found(values[:, keep], index=index)  # type: ignore[arg-type]


def _csv_cells(line: str) -> list[str]:
    """The cells of a line of CSV with quoted text (sigae's `source_name` column)."""
    import csv

    return next(csv.reader([line]))


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
