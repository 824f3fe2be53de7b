"""Parquet tables: one row per signal, as a list column or as wide numeric columns."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sigae.core.faults import is_machine_fault, read_error
from sigae.errors import DataError
from sigae.io.found import (
    INDEX_NAMES,
    Found,
    check_declared_size,
    choose,
    pick_columns,
    reason,
)


def read_parquet(path: Path, key: str | None, columns: Sequence[str] | None = None) -> Found:
    """Reads the list column `key` (or the only one), else the numeric `columns` asked for
    (by name or number from 1), by default every numeric column in order but a time or ID
    column (`sigae.io.found.pick_columns`).

    Columns that are neither numbers nor lists of numbers (labels, names) are ignored.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        metadata = pq.ParquetFile(path)
        schema = metadata.schema_arrow
    except (pa.ArrowException, OSError) as error:
        if is_machine_fault(error):
            raise read_error(path, error) from None
        raise DataError(f"{path}: not a readable Parquet file ({reason(error)}).") from None
    n_rows = metadata.metadata.num_rows
    lists = {f.name: f"(list of {_leaf(f.type)})" for f in schema
             if _is_list(f.type) and _numeric(_leaf(f.type)) and f.name not in INDEX_NAMES}
    wide, note = _wide_columns(path, schema, key, columns)
    if (lists or key is not None) and not columns:
        key, note = choose(path, key, lists, "list column"), None
        read = [key]
    elif wide:
        read = wide
    else:
        names = ", ".join(f"{f.name} ({f.type})" for f in schema) or "none"
        raise DataError(f"{path}: holds no numeric columns or list columns; it has {names}.")
    stored = path.stat().st_size
    check_declared_size(path, "the table", (n_rows, len(read)), 8, stored, compressed=True)
    index_names = [name for name in INDEX_NAMES if name in schema.names]
    try:
        table = metadata.read(columns=read + index_names)
    except (pa.ArrowException, OSError) as error:
        if is_machine_fault(error):
            raise read_error(path, error) from None
        raise DataError(f"{path}: is damaged ({reason(error)}).") from None
    array = _list_values(path, table.column(key)) if key else _wide_values(path, table, read)
    index = None
    if len(index_names) == 2:
        index = tuple(table.column(n).to_numpy().astype("int64") for n in INDEX_NAMES)
    return Found(array, key=key, index=index, note=note)


def _wide_columns(path: Path, schema: Any, key: str | None, columns: Sequence[str] | None
                  ) -> tuple[list[str], str | None]:
    """The numeric columns to read, and what was left out, in words."""
    keep, note = pick_columns(path, schema.names, len(schema.names), columns)
    chosen = [schema.field(i) for i in keep]
    if columns:
        for field in chosen:
            if not _numeric(field.type):
                raise DataError(f"{path}: column {field.name!r} holds {field.type}, not "
                                "numbers; choose numeric columns.")
    return [f.name for f in chosen if _numeric(f.type) and f.name not in INDEX_NAMES
            and f.name != key], note


def _list_values(path: Path, column: Any) -> np.ndarray:
    """A list column, or a list of lists (channels), as `(n, length[, channels])`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = column.combine_chunks()
    shape = [len(column)]
    while pa.types.is_list(column.type) or pa.types.is_large_list(column.type) or \
            pa.types.is_fixed_size_list(column.type):
        if column.null_count:
            row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
            raise DataError(f"{path}: row {row} of the list column is empty (null).")
        lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
        if len(lengths) and (lengths != lengths[0]).any():
            row = int(np.flatnonzero(lengths != lengths[0])[0])
            raise DataError(
                f"{path}: list {row} has {lengths[row]} values, but the first has "
                f"{lengths[0]}; every signal must have the same length."
            )
        shape.append(int(lengths[0]) if len(lengths) else 0)
        column = column.flatten()
    return _numbers(path, column).reshape(shape)


def _wide_values(path: Path, table: Any, columns: list[str]) -> np.ndarray:
    return np.stack([_numbers(path, table.column(name), name) for name in columns], axis=1)


def _numbers(path: Path, column: Any, name: str | None = None) -> np.ndarray:
    if column.null_count:
        where = f"column {name!r}" if name else "the list column"
        raise DataError(f"{path}: {where} holds {column.null_count} empty (null) value(s); "
                        "fill them first.")
    return np.asarray(column.to_numpy(zero_copy_only=False))


def _is_list(kind: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_list(kind) or pa.types.is_large_list(kind) or \
        pa.types.is_fixed_size_list(kind)


def _leaf(kind: Any) -> Any:
    while _is_list(kind):
        kind = kind.value_type
    return kind


def _numeric(kind: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_integer(kind) or pa.types.is_floating(kind)
