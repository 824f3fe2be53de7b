"""Signals in and results out: readers, windows, streaming and writers.

`load_signals` reads `.npy`, `.npz`, `.mat`, `.csv`/`.tsv`/`.txt`, HDF5, Parquet, WAV and
the time-series archive's `.ts` and `.arff` files, and folders of them, into `Signals`;
`read_collection` reads an archive file's recordings as they are stored, with their labels;
`recordings` makes recordings of different lengths one length (resampled, padded with a
mask, `Padded`, or cut into windows); `windows` and `recording_windows` cut recordings;
`write_array` and `open_writer` write results with their provenance, atomically.
"""

from sigae.io.archive import Collection, read_collection
from sigae.io.arrays import CHUNK, DiskArray, Padded, check_finite, chunks, is_lazy, subset
from sigae.io.load import EXTENSIONS, LAYOUTS, detect_format, load_signals
from sigae.io.signals import (
    LENGTH_POLICIES,
    Signals,
    pad,
    recording_windows,
    recordings,
    resample,
    windows,
)
from sigae.io.write import OUTPUT_EXTENSIONS, open_writer, write_array

__all__ = [
    "CHUNK",
    "EXTENSIONS",
    "LAYOUTS",
    "LENGTH_POLICIES",
    "OUTPUT_EXTENSIONS",
    "Collection",
    "DiskArray",
    "Padded",
    "Signals",
    "check_finite",
    "chunks",
    "detect_format",
    "is_lazy",
    "load_signals",
    "open_writer",
    "pad",
    "read_collection",
    "recording_windows",
    "recordings",
    "resample",
    "subset",
    "windows",
    "write_array",
]

from sigae.core.lazy import submodules

__getattr__ = submodules(__name__)
