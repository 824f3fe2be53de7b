"""Writers of results, chosen by extension, block by block and atomically.

Each output holds the array under a name (`codes`, `signals`) and, except `.npy`, the
provenance of every row as `source_row` and `source_start` (a column in CSV and Parquet,
an array in `.npz` and HDF5), so results map back to the recordings they came from.
Everything is written to a temporary file renamed over the target at the end: a failed
run leaves no partial file and the previous one intact.
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from sigae.core.outputs import atomic_path
from sigae.core.paths import PathLike
from sigae.errors import DataError
from sigae.io.found import INDEX_NAMES, NAME_COLUMN

OUTPUT_EXTENSIONS = (".npy", ".npz", ".csv", ".parquet", ".h5")


class Writer:
    """Receives the rows of an array of known shape, in order, block by block."""

    def __init__(self, path: Path, shape: tuple[int, ...], name: str,
                 index: tuple[np.ndarray, np.ndarray], source: str,
                 names: np.ndarray | None = None) -> None:
        self.path, self.shape, self.name, self.index, self.source = (
            path, shape, name, index, source)
        self.names = names
        self.written = 0

    def write(self, block: np.ndarray) -> None:
        """Appends rows `block`, of shape `(k, *shape[1:])`."""
        block = np.ascontiguousarray(block, dtype="<f4")
        if block.shape[1:] != self.shape[1:] or self.written + len(block) > self.shape[0]:
            raise ValueError(f"block of shape {block.shape} does not fit {self.shape}")
        self._write(block)
        self.written += len(block)

    def _write(self, block: np.ndarray) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Finishes the file."""


class _Npy(Writer):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.handle: IO[bytes] = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        _npy_header(self.handle, self.shape)

    def _write(self, block: np.ndarray) -> None:
        self.handle.write(memoryview(block).cast("B"))  # type: ignore[arg-type]

    def close(self) -> None:
        self.handle.close()


class _Npz(Writer):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.archive = zipfile.ZipFile(self.path, "w", zipfile.ZIP_STORED)
        self.member = self.archive.open(f"{self.name}.npy", "w", force_zip64=True)
        _npy_header(self.member, self.shape)

    def _write(self, block: np.ndarray) -> None:
        self.member.write(memoryview(block).cast("B"))  # type: ignore[arg-type]

    def close(self) -> None:
        self.member.close()
        for name, values in zip(INDEX_NAMES, self.index, strict=True):
            with self.archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, values, allow_pickle=False)
        with self.archive.open("source_file.npy", "w") as member:
            np.lib.format.write_array(member, np.array(self.source), allow_pickle=False)
        if self.names is not None:
            with self.archive.open(f"{NAME_COLUMN}.npy", "w") as member:
                np.lib.format.write_array(member, self.names.astype(str), allow_pickle=False)
        self.archive.close()


class _Csv(Writer):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        if len(self.shape) == 3 and self.shape[2] != 1:
            raise DataError(
                f"{self.path.name}: a CSV holds one row per signal, so it cannot hold "
                f"{self.shape[2]} channels; write .npy, .npz, .parquet or .h5 instead."
            )
        self.handle = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        prefix = "z" if self.name == "codes" else "s"
        width = self.shape[1]
        named = [NAME_COLUMN] if self.names is not None else []
        self.handle.write(",".join([*INDEX_NAMES, *named,
                                    *(f"{prefix}{i}" for i in range(width))]))
        self.handle.write("\n")

    def _write(self, block: np.ndarray) -> None:
        rows = slice(self.written, self.written + len(block))
        if self.names is not None:  # text beside numbers: the csv module quotes as needed
            import csv

            writer = csv.writer(self.handle, lineterminator="\n")
            for row, start, name, values in zip(self.index[0][rows], self.index[1][rows],
                                                self.names[rows],
                                                block.reshape(len(block), -1), strict=True):
                writer.writerow([int(row), int(start), str(name),
                                 *(f"{v:.9g}" for v in values)])
            return
        table = np.column_stack([self.index[0][rows], self.index[1][rows],
                                 block.reshape(len(block), -1)])
        np.savetxt(self.handle, table, delimiter=",",
                   fmt=["%d", "%d"] + ["%.9g"] * (table.shape[1] - 2))

    def close(self) -> None:
        self.handle.close()


class _Parquet(Writer):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        fields = [pa.field(name, pa.int64()) for name in INDEX_NAMES]
        if self.names is not None:
            fields.append(pa.field(NAME_COLUMN, pa.string()))
        if len(self.shape) == 2:
            fields += [pa.field(f"z{i}", pa.float32()) for i in range(self.shape[1])]
        else:
            value = pa.list_(pa.float32(), self.shape[1])
            if self.shape[2] > 1:
                value = pa.list_(pa.list_(pa.float32(), self.shape[2]), self.shape[1])
            fields.append(pa.field(self.name, value))
        schema = pa.schema(fields, metadata={"sigae.source": self.source})
        self.writer = pq.ParquetWriter(self.path, schema)

    def _write(self, block: np.ndarray) -> None:
        pa = self.pa
        rows = slice(self.written, self.written + len(block))
        columns = [pa.array(self.index[0][rows]), pa.array(self.index[1][rows])]
        if self.names is not None:
            columns.append(pa.array(self.names[rows].astype(str).tolist()))
        if block.ndim == 2:
            columns += [pa.array(block[:, i]) for i in range(block.shape[1])]
        else:
            values = pa.array(block.reshape(-1))
            if block.shape[2] > 1:
                values = pa.FixedSizeListArray.from_arrays(values, block.shape[2])
            columns.append(pa.FixedSizeListArray.from_arrays(values, block.shape[1]))
        self.writer.write_table(pa.Table.from_arrays(columns, schema=self.writer.schema))

    def close(self) -> None:
        self.writer.close()


class _Hdf5(Writer):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        import h5py

        self.file = h5py.File(self.path, "w")
        rows = max(1, min(self.shape[0], (1 << 20) // max(1, int(np.prod(self.shape[1:])))))
        self.dataset = self.file.create_dataset(
            self.name, shape=self.shape, dtype="float32", chunks=(rows, *self.shape[1:])
        )
        for name, values in zip(INDEX_NAMES, self.index, strict=True):
            self.file.create_dataset(name, data=values)
        if self.names is not None:
            self.file.create_dataset(NAME_COLUMN, data=self.names.astype(str).astype("S"))
        self.file.attrs["source"] = self.source

    def _write(self, block: np.ndarray) -> None:
        self.dataset[self.written : self.written + len(block)] = block

    def close(self) -> None:
        self.file.close()


_WRITERS: dict[str, type[Writer]] = {
    ".npy": _Npy, ".npz": _Npz, ".csv": _Csv, ".parquet": _Parquet, ".h5": _Hdf5,
}


def _npy_header(handle: IO[bytes], shape: tuple[int, ...]) -> None:
    header = {"descr": "<f4", "fortran_order": False, "shape": tuple(int(s) for s in shape)}
    np.lib.format.write_array_header_2_0(handle, header)


def estimated_bytes(path: PathLike, shape: tuple[int, ...]) -> int:
    """About how many bytes `open_writer(path, shape)` will write (generously)."""
    values = int(np.prod(shape, dtype="int64"))
    per_value = 16 if Path(path).suffix.lower() == ".csv" else 4  # "-1.23456789e-05,"
    return values * per_value + shape[0] * 40 + 2**16  # provenance, headers


def check_output_path(path: PathLike) -> Path:
    """Refuses an output whose extension sigae does not write."""
    path = Path(path)
    if path.suffix.lower() not in _WRITERS:
        raise DataError(
            f"{path}: output must end in {', '.join(OUTPUT_EXTENSIONS)}; received "
            f"{path.suffix or 'no extension'}."
        )
    return path


@contextlib.contextmanager
def open_writer(
    path: PathLike,
    shape: tuple[int, ...],
    *,
    name: str = "data",
    index: tuple[np.ndarray, np.ndarray] | None = None,
    source: str = "",
    names: np.ndarray | None = None,
) -> Iterator[Writer]:
    """Opens a writer of an array of `shape`, in the format named by the extension.

    The file appears at `path` only when the block exits normally after every row was
    written; otherwise it is removed and any previous file at `path` is kept.

    Args:
        path: `.npy`, `.npz`, `.csv`, `.parquet` or `.h5`.
        shape: The whole array's shape, `(n, ...)`.
        name: The array's name inside `.npz`, `.h5` and Parquet (list column) files.
        index: Provenance `(source_row, source_start)` of each row; `(i, 0)` by default.
        source: The input file the rows came from, recorded where the format allows.
        names: Each row's recording's name (a folder's file names), written as the
            column or array `source_name` beside the provenance (not in `.npy`).

    Raises:
        DataError: For an unknown extension, or a multichannel array to CSV.
    """
    path = check_output_path(path)
    n = shape[0]
    if index is None:
        index = (np.arange(n, dtype="int64"), np.zeros(n, dtype="int64"))
    index = (np.asarray(index[0], "int64"), np.asarray(index[1], "int64"))
    with atomic_path(path) as temporary:
        writer = _WRITERS[path.suffix.lower()](temporary, tuple(shape), name, index, source,
                                               None if names is None else np.asarray(names))
        try:
            yield writer
        finally:
            writer.close()
        if writer.written != n:
            raise RuntimeError(f"wrote {writer.written} of {n} rows to {path}")


def write_array(
    path: PathLike,
    array: np.ndarray,
    *,
    name: str = "data",
    index: tuple[np.ndarray, np.ndarray] | None = None,
    source: str = "",
    names: np.ndarray | None = None,
) -> None:
    """Writes `array` at once; see `open_writer` for the formats and arguments."""
    array = np.asarray(array, dtype="float32")
    with open_writer(path, array.shape, name=name, index=index, source=source,
                     names=names) as writer:
        writer.write(array)


def write_table(path: PathLike, columns: dict[str, Any]) -> None:
    """Writes named columns of equal length as a CSV file with a header, atomically."""
    import csv

    names = list(columns)
    rows = zip(*(np.asarray(columns[name]).tolist() for name in names), strict=True)
    with atomic_path(path) as temporary, open(temporary, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        writer.writerows(rows)
