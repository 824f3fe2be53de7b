"""Encode, reconstruct and score on a Dask cluster: data larger than one machine.

`encode(model_path, data, out=...)` (likewise `reconstruct`, `score`) splits the signals into
chunks of whole batches, sends each chunk to a worker, where the model is loaded once, and
writes each chunk's result as it comes: into a Zarr store, or a folder of Parquet parts. The
results equal the single-process command's bit for bit (the same batch size gives the same
batches). The output appears only when every chunk is written; a failing run leaves no
output and keeps an existing one. A worker that dies mid-run is replaced and its chunks are
computed again (Dask retries them).

`data` is a Dask (or NumPy) array `(n, length, channels)`, or a file sigae reads in blocks:
`.npy`, HDF5, a Zarr store (`.zarr`), or a folder of Parquet parts. Workers start with spawn, not
fork (JAX is not fork-safe). Needs the optional extra: `pip install 'sigae[dask]'`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from sigae.core.paths import PathLike
from sigae.errors import ConfigError, DataError

OUTPUTS = (".zarr", ".parquet")
# Rows a chunk holds, rounded down to whole batches.
CHUNK_ROWS = 16_384


def encode(model_path: PathLike, data: Any, *, out: PathLike,
           client: Any = None, batch_size: int = 100, key: str | None = None) -> Path:
    """Codes of `data`, `(n, latent_dim)`, written to `out` (`.zarr` or a `.parquet` folder)."""
    return _run("encode", model_path, data, out, client, batch_size, key)


def reconstruct(model_path: PathLike, data: Any, *,
                out: PathLike, client: Any = None, batch_size: int = 100,
                key: str | None = None) -> Path:
    """The autoencoder view's output for `data`, written to `out`."""
    return _run("reconstruct", model_path, data, out, client, batch_size, key)


def score(model_path: PathLike, data: Any, *, out: PathLike,
          client: Any = None, batch_size: int = 100, key: str | None = None,
          threshold: float | None = None, percentile: float = 99.0) -> Path:
    """Per-signal reconstruction MSE and MAE (normalized units) of `data` and `is_anomaly`
    (MSE above `threshold`, by default the `percentile` of the validation errors stored at
    `fit`), written to `out` as columns (`.parquet`) or arrays (`.zarr`)."""
    return _run("score", model_path, data, out, client, batch_size, key,
                threshold=threshold, percentile=percentile)


@contextlib.contextmanager
def local_client(workers: int) -> Iterator[Any]:
    """A `LocalCluster` of `workers` one-thread worker processes, started with spawn."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"distributed.worker.multiprocessing-method": "spawn"}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                         dashboard_address=":0") as cluster, Client(cluster) as client:
        yield client


# -- the work ---------------------------------------------------------------------------------


def _run(kind: str, model_path: Any, data: Any, out: Any, client: Any, batch_size: int,
         key: str | None, *, threshold: float | None = None, percentile: float = 99.0) -> Path:
    from distributed import get_client

    from sigae.model import load

    out = Path(out)
    if out.suffix.lower() not in OUTPUTS:
        raise ConfigError(f"{out}: a distributed output is a Zarr store (.zarr) or a folder of "
                          f"Parquet parts (.parquet); received {out.suffix or 'no extension'}.")
    model_path = str(Path(model_path).resolve())
    model = load(model_path)  # verified here once; each worker loads it again
    config = model.config
    if kind == "score" and threshold is None:
        from sigae.study.latent import require_calibration

        threshold = require_calibration(model, "score").threshold(percentile)
    trained = model.learned.length_policy if model.learned is not None else None
    rows, source = _source(data, key, config, trained or "resample")
    chunk = max(batch_size, CHUNK_ROWS // batch_size * batch_size)
    starts = list(range(0, rows, chunk))
    width = {"encode": (config.latent_dim,), "reconstruct": (config.length, config.channels),
             "score": ()}[kind]
    client = client or get_client()
    temporary = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        if out.suffix == ".zarr":
            _create_zarr(temporary, kind, rows, width, chunk)
        task = functools.partial(_chunk, kind=kind, model_path=model_path, source=source,
                                 rows=rows, chunk=chunk, batch_size=batch_size,
                                 target=str(temporary), zarr_store=out.suffix == ".zarr",
                                 threshold=threshold)
        futures = client.map(task, starts, pure=False)
        client.gather(futures)  # raises the first failure
        _replace(temporary, out)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return out


def _source(data: Any, key: str | None, config: Any, lengths: str = "resample"
            ) -> tuple[int, Any]:
    """The number of signals and something a worker can read rows of (recordings of
    different lengths made one by the `lengths` policy the model was trained with)."""
    if isinstance(data, np.ndarray):
        import dask.array

        data = dask.array.from_array(np.asarray(data, "float32"), chunks=CHUNK_ROWS)
    if hasattr(data, "dask"):  # a Dask array: its chunks travel as they are
        if tuple(data.shape[1:]) != (config.length, config.channels):
            raise DataError(f"the Dask array holds signals of shape {tuple(data.shape[1:])}; "
                            f"the model takes ({config.length}, {config.channels}).")
        return int(data.shape[0]), data
    path = Path(data)
    if path.suffix.lower() == ".zarr":  # a Zarr array (or `key` inside a Zarr group)
        import dask.array

        return _source(dask.array.from_zarr(str(path), component=key), None, config)
    if path.is_dir() and any(path.glob("*.parquet")):  # a folder of Parquet parts
        parts = sorted(path.glob("*.parquet"))
        counts = [len(_signals(str(part), key, config, lengths)) for part in parts]
        return sum(counts), ("parts", [str(p) for p in parts], counts, key, lengths)
    # A file, or a folder of one recording per file: each worker reads its rows from it.
    return len(_signals(str(path), key, config, lengths)), ("file", str(path), key, lengths)


@functools.lru_cache(maxsize=4)
def _model(model_path: str, stamp: float) -> Any:
    """The model, loaded once per worker process (and again if the file changes)."""
    from sigae.model import load

    return load(model_path)


def _signals(path: str, key: str | None, config: Any, lengths: str) -> Any:
    """A file's signals and, checked for the model, their data (`Padded` when padded)."""
    from sigae.data.checks import check_signals
    from sigae.io import load_signals

    signals = load_signals(path, key=key, length=config.length, lengths=lengths)
    return dataclasses.replace(signals, data=check_signals(signals, config))


def _rows(source: Any, config: Any, start: int, stop: int
          ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """Signals `start:stop` of the source, the mask of their own samples if they are
    padded (else `None`), and their provenance."""
    from sigae.io.arrays import valid

    if hasattr(source, "dask"):
        x = np.asarray(source[start:stop].compute(scheduler="synchronous"), "float32")
        index = np.arange(start, stop)
        return x, None, index, np.zeros(len(x), "int64")
    if source[0] == "file":
        parts, counts, key, lengths = [source[1]], [stop], source[2], source[3]
    else:
        _, parts, counts, key, lengths = source
    blocks, rows, starts, offset = [], [], [], 0
    masks: list[np.ndarray | None] = []
    for part, count in zip(parts, counts, strict=True):
        low, high = max(start, offset), min(stop, offset + count)
        if low < high:
            signals = _signals(part, key, config, lengths)
            blocks.append(np.asarray(signals.data[low - offset : high - offset]))
            masks.append(valid(signals.data, low - offset, high - offset))
            rows.append(signals.row[low - offset : high - offset])
            starts.append(signals.start[low - offset : high - offset])
        offset += count
    mask = None if any(m is None for m in masks) else np.concatenate(
        [m for m in masks if m is not None])
    return np.concatenate(blocks), mask, np.concatenate(rows), np.concatenate(starts)


def _chunk(start: int, *, kind: str, model_path: str, source: Any, rows: int, chunk: int,
           batch_size: int, target: str, zarr_store: bool, threshold: float | None) -> int:
    """Computes one chunk on a worker and writes it; returns its number of rows."""
    model = _model(model_path, os.stat(model_path).st_mtime)
    x, mask, source_row, source_start = _rows(source, model.config, start,
                                              min(rows, start + chunk))
    if kind == "encode":
        result = {"codes": model.encode(x, batch_size=batch_size)}
    elif kind == "reconstruct":
        result = {"signals": model.reconstruct(x, batch_size=batch_size)}
    else:
        from sigae.stats.metrics import signal_errors

        codes = model.encode(x, batch_size=batch_size)
        mse, mae = signal_errors(model.decode(codes, batch_size=batch_size), x,
                                 model.normalization[1], mask)
        result = {"mse": mse, "mae": mae, "is_anomaly": mse > threshold}
    if zarr_store:
        _write_zarr(target, start, result, source_row, source_start)
    else:
        _write_part(target, start, result, source_row, source_start)
    return len(x)


def _create_zarr(path: Path, kind: str, rows: int, width: tuple[int, ...], chunk: int) -> None:
    import zarr

    group = zarr.open_group(str(path), mode="w")
    arrays = {"encode": {"codes": "float32"}, "reconstruct": {"signals": "float32"},
              "score": {"mse": "float64", "mae": "float64", "is_anomaly": "bool"}}[kind]
    for name, dtype in arrays.items():
        group.create_array(name, shape=(rows, *width), chunks=(chunk, *width), dtype=dtype)
    for name in ("source_row", "source_start"):
        group.create_array(name, shape=(rows,), chunks=(chunk,), dtype="int64")


def _write_zarr(path: str, start: int, result: dict[str, np.ndarray], source_row: np.ndarray,
                source_start: np.ndarray) -> None:
    import zarr

    group = zarr.open_group(path, mode="r+")
    for name, values in {**result, "source_row": source_row,
                         "source_start": source_start}.items():
        group[name][start : start + len(values)] = values  # type: ignore[index]


def _write_part(path: str, start: int, result: dict[str, np.ndarray], source_row: np.ndarray,
                source_start: np.ndarray) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sigae.core.outputs import atomic_path

    columns = {"source_row": pa.array(source_row), "source_start": pa.array(source_start)}
    for name, values in result.items():
        if values.ndim == 1:
            columns[name] = pa.array(values)
        elif values.ndim == 2:  # codes: a column each
            columns.update({f"z{i}": pa.array(values[:, i]) for i in range(values.shape[1])})
        else:  # signals: a list column of (length x channels)
            flat = pa.array(values.reshape(-1))
            if values.shape[2] > 1:
                flat = pa.FixedSizeListArray.from_arrays(flat, values.shape[2])
            columns[name] = pa.FixedSizeListArray.from_arrays(flat, values.shape[1])
    with atomic_path(Path(path) / f"part-{start:012d}.parquet") as temporary:
        pq.write_table(pa.table(columns), temporary)


def _replace(temporary: Path, out: Path) -> None:
    """Puts the finished output in place; an existing one is replaced only now."""
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
        os.replace(temporary, out)
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink()
    else:
        os.replace(temporary, out)
