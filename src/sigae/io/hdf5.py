"""HDF5 datasets, read lazily. Links that leave the file and virtual datasets are refused."""

from __future__ import annotations

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
    describe,
    reason,
)


def open_file(path: Path) -> Any:
    import h5py

    try:
        return h5py.File(path, "r")
    except OSError as error:
        if is_machine_fault(error):
            raise read_error(path, error) from None
        raise DataError(f"{path}: not a readable HDF5 file ({reason(error)}).") from None


def read_hdf5(path: Path, key: str | None) -> Found:
    """Opens the dataset `key` (a path such as `/group/signals`), or the only one there is."""
    handle = open_file(path)
    try:
        datasets = {
            name: d for name, d in walk(handle, path) if name.rsplit("/")[-1] not in INDEX_NAMES
        }
        candidates = {name: describe(d.shape, d.dtype) for name, d in datasets.items()}
        if key is not None and not key.startswith("/"):
            key = "/" + key
        if key is None or key in candidates:
            name = choose(path, key, candidates, "dataset")
        else:
            name = _follow(handle, path, key)
        dataset = datasets[name] if name in datasets else handle[name]
        check_dataset(path, name, dataset)
        index = _index(handle, dataset)
    except BaseException:
        handle.close()
        raise
    return Found(dataset, key=name, index=index)


def walk(group: Any, path: Path, prefix: str = "") -> list[tuple[str, Any]]:
    """Every numeric dataset under `group` reached through hard links, by path.

    Soft links are skipped (their targets are listed where they live); external links
    are refused, since they make sigae read another file.
    """
    import h5py

    found = []
    for name in group:
        link = group.get(name, getlink=True)
        where = f"{prefix}/{name}"
        if isinstance(link, h5py.ExternalLink):
            raise DataError(
                f"{path}: {where} is an external link to {link.filename}:{link.path}; sigae "
                "reads one file only. Copy the data into this file or pass the other file."
            )
        if isinstance(link, h5py.SoftLink):
            continue
        item = group.get(name)
        if isinstance(item, h5py.Group):
            found.extend(walk(item, path, where))
        elif isinstance(item, h5py.Dataset) and item.dtype.kind in "iufcb" and item.ndim >= 1:
            found.append((where, item))
    return found


def _follow(handle: Any, path: Path, key: str) -> str:
    """Resolves `key` one link at a time, refusing links out of the file."""
    import h5py

    group, where = handle, ""
    for part in key.strip("/").split("/"):
        where = f"{where}/{part}"
        link = group.get(part, getlink=True) if isinstance(group, h5py.Group) else None
        if link is None:
            listing = ", ".join(name for name, _ in walk(handle, path)) or "none"
            raise DataError(f"{path}: has no dataset {key!r}; it holds: {listing}.")
        if isinstance(link, h5py.ExternalLink):
            raise DataError(
                f"{path}: {where} is an external link to {link.filename}:{link.path}; sigae "
                "reads one file only. Copy the data into this file."
            )
        if isinstance(link, h5py.SoftLink) and link.path not in handle:
            raise DataError(f"{path}: {where} is a dangling soft link to {link.path}.")
        group = group[part]
    if not isinstance(group, h5py.Dataset):
        raise DataError(f"{path}: {key!r} is a group, not a dataset; give a dataset path.")
    return key


def check_dataset(path: Path, name: str, dataset: Any) -> None:
    """Refuses virtual or externally stored datasets and sizes the file cannot hold."""
    if dataset.is_virtual:
        raise DataError(
            f"{path}: dataset {name} is a virtual dataset, which maps other files; sigae "
            "refuses it. Copy its data into a regular dataset."
        )
    if dataset.external:
        raise DataError(
            f"{path}: dataset {name} keeps its data in external files; sigae refuses it. "
            "Copy its data into a regular dataset."
        )
    if dataset.dtype.kind not in "iufcb" or dataset.dtype.fields:
        return  # the caller names the type
    check_declared_size(
        path, f"dataset {name}", dataset.shape, dataset.dtype.itemsize,
        int(dataset.id.get_storage_size()), compressed=dataset.chunks is not None,
    )


def _index(handle: Any, dataset: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Provenance datasets sigae wrote beside the array, if they match it."""
    parent = dataset.parent
    items = [parent.get(name) for name in INDEX_NAMES]
    if any(item is None or item.shape != dataset.shape[:1] or item.dtype.kind not in "iu"
           for item in items):
        return None
    return items[0][()].astype("int64"), items[1][()].astype("int64")
