"""Signals in and results out: readers, windows, streaming and writers.

`load_signals` reads `.npy`, `.npz`, `.mat`, `.csv`/`.tsv`/`.txt`, HDF5, Parquet, WAV and
the time-series archive's `.ts` and `.arff` files into `Signals`; `read_collection` reads an
archive file's recordings as they are stored, with their labels; `windows` and
`recording_windows` cut long recordings, or recordings of different lengths;
`write_array` and `open_writer` write results with their provenance, atomically.
"""

from sigae.io.archive import Collection, read_collection
from sigae.io.arrays import CHUNK, DiskArray, check_finite, chunks, is_lazy, subset
from sigae.io.load import EXTENSIONS, LAYOUTS, detect_format, load_signals
from sigae.io.signals import (
    LENGTH_POLICIES,
    Signals,
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
    "Signals",
    "check_finite",
    "chunks",
    "detect_format",
    "is_lazy",
    "load_signals",
    "open_writer",
    "read_collection",
    "recording_windows",
    "recordings",
    "resample",
    "subset",
    "windows",
    "write_array",
]
