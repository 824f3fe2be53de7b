"""MATLAB `.mat` files: v4 and v5-v7 through scipy.io, v7.3 (HDF5) through h5py.

Arrays come out as MATLAB shows them (rows x columns), whatever the file's storage
order. MATLAB stores signals as rows or as columns equally often, so a 2-D matrix is
ambiguous unless `--layout` or the model's length settles it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from sigae.errors import DataError
from sigae.io import hdf5
from sigae.io.found import Found, check_declared_size, choose, describe, reason

V73_TEXT = b"MATLAB 7.3 MAT-file"
_NUMERIC = {"double", "single", "int8", "uint8", "int16", "uint16", "int32", "uint32",
            "int64", "uint64", "logical"}
_BYTES = {"double": 8, "single": 4, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2,
          "int32": 4, "uint32": 4, "int64": 8, "uint64": 8, "logical": 1}


def read_mat(path: Path, key: str | None) -> Found:
    with open(path, "rb") as handle:
        head = handle.read(128)
    if head.startswith(V73_TEXT):
        return _read_v73(path, key)
    return _read_v5(path, key)


def _read_v5(path: Path, key: str | None) -> Found:
    import scipy.io

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            variables = scipy.io.whosmat(path)
    except Exception as error:  # scipy raises many types for corrupt files
        raise DataError(f"{path}: not a readable MATLAB file ({reason(error)}).") from None
    candidates = {name: f"({'x'.join(map(str, shape))} {kind})"
                  for name, shape, kind in variables if kind in _NUMERIC}
    others = [f"{name} ({kind})" for name, _, kind in variables if kind not in _NUMERIC]
    if not candidates and others:
        raise DataError(f"{path}: holds no numeric matrix, only {', '.join(others)}.")
    key = choose(path, key, candidates, "variable")
    shape, kind = next((s, k) for n, s, k in variables if n == key)
    check_declared_size(path, f"variable {key!r}", shape, _BYTES[kind], path.stat().st_size,
                        compressed=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            array = scipy.io.loadmat(path, variable_names=[key], squeeze_me=False)[key]
    except Exception as error:
        raise DataError(f"{path}: variable {key!r} is damaged ({reason(error)}).") from None
    return Found(np.asarray(array), key=key, convention="matlab")


def _read_v73(path: Path, key: str | None) -> Found:
    handle = hdf5.open_file(path)
    try:
        variables = {name.lstrip("/"): d for name, d in hdf5.walk(handle, path)
                     if name.count("/") == 1 and not name.startswith("/#")}
        candidates = {name: describe(d.shape[::-1], d.dtype) for name, d in variables.items()}
        key = choose(path, key, candidates, "variable")
        dataset = variables[key]
        if dataset.attrs.get("MATLAB_class", b"double") in (b"char", b"cell", b"struct"):
            raise DataError(f"{path}: variable {key!r} is not a numeric matrix.")
        hdf5.check_dataset(path, key, dataset)
    except BaseException:
        handle.close()
        raise
    if dataset.ndim <= 2:
        return Found(dataset, key=key, convention="matlab", transposed=dataset.ndim == 2)
    # HDF5 holds MATLAB's axes reversed; a 3-D array is read whole and put back.
    with handle:
        array = np.transpose(dataset[()])
    return Found(array, key=key, convention="matlab")
