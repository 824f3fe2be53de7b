"""Signals in and results out: readers, windows, streaming and writers.

`load_signals` reads `.npy`, `.npz`, `.mat`, `.csv`/`.tsv`/`.txt`, HDF5, Parquet and WAV
files into `Signals`; `windows` cuts long recordings; `write_array` and `open_writer`
write results with their provenance, atomically.
"""

from sigae.io.arrays import CHUNK, DiskArray, check_finite, chunks, is_lazy, subset
from sigae.io.load import EXTENSIONS, LAYOUTS, detect_format, load_signals
from sigae.io.signals import Signals, windows
from sigae.io.write import OUTPUT_EXTENSIONS, open_writer, write_array

__all__ = [
    "CHUNK",
    "EXTENSIONS",
    "LAYOUTS",
    "OUTPUT_EXTENSIONS",
    "DiskArray",
    "Signals",
    "check_finite",
    "chunks",
    "detect_format",
    "is_lazy",
    "load_signals",
    "open_writer",
    "subset",
    "windows",
    "write_array",
]
