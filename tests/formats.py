"""Writers of every input format sigae reads, for tests: the same signals in each."""

from __future__ import annotations

from pathlib import Path

import numpy as np

MAT73_HEADER = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Nov 30 2026 HDF5 schema 1.00 ."


def write_mat73(path: Path, **arrays: np.ndarray) -> None:
    """A MATLAB v7.3 file as MATLAB writes it: HDF5 after a 512-byte header, axes reversed."""
    import h5py

    with h5py.File(path, "w", userblock_size=512) as handle:
        for name, array in arrays.items():
            dataset = handle.create_dataset(name, data=np.asarray(array).T)
            dataset.attrs["MATLAB_class"] = np.bytes_("double")
    with open(path, "r+b") as handle:
        handle.write(MAT73_HEADER.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02IM")


def write(path: Path, x: np.ndarray) -> dict:
    """Writes signals `x` of shape (n, length) to `path` by extension, in each format's
    usual orientation, and returns the `load_signals` keywords that read them back."""
    import h5py
    import pyarrow as pa
    import pyarrow.parquet as pq
    import scipy.io

    suffix = path.suffix
    if path.name.endswith(".v73.mat"):
        write_mat73(path, signals=x.T.astype("float64"))
        return {"layout": "columns"}
    if suffix == ".npy":
        np.save(path, x)
    elif suffix == ".npz":
        np.savez(path, x=x)
    elif suffix == ".csv":
        np.savetxt(path, x, delimiter=",", header=",".join(f"t{i}" for i in range(x.shape[1])),
                   comments="")
    elif suffix == ".tsv":
        np.savetxt(path, x.T, delimiter="\t", header="# recorded by a test", comments="")
        return {"layout": "columns"}
    elif suffix == ".txt":
        np.savetxt(path, x, header="whitespace-separated, one signal per line")
    elif suffix == ".mat":
        scipy.io.savemat(path, {"signals": x.T, "fs": np.array([[1000.0]])})
        return {"key": "signals", "layout": "columns"}
    elif suffix == ".h5":
        with h5py.File(path, "w") as handle:
            handle.create_dataset("recordings/x", data=x, chunks=True, compression="gzip")
    elif suffix == ".parquet":
        pq.write_table(pa.table({"label": [f"s{i}" for i in range(len(x))], "signal": list(x)}),
                       path)
    else:
        raise ValueError(suffix)
    return {}
