"""`load_signals`: any supported file to `Signals`, the format found from its content."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from sigae.core.faults import is_machine_fault, read_error, reading
from sigae.core.paths import PathLike
from sigae.errors import DataError, SigaeError
from sigae.io import archive, hdf5, matlab, numpy_files, parquet, text, wav
from sigae.io.arrays import DiskArray, LazyArray, NpyFile, SignalArray, check_finite
from sigae.io.found import Found, reason
from sigae.io.signals import (
    FITS,
    LENGTH_POLICIES,
    Signals,
    at_one_length,
    recordings,
    windows,
)

LAYOUTS = ("auto", "rows", "columns", "channels", "channels-first")
TABLES = ("text", "parquet")
"""The formats whose columns have names and can be chosen (`columns=`)."""

Reader = Callable[[Path, str | None], Found]

# Format name -> (reader, file extensions, what the content is, for messages).
FORMATS: dict[str, tuple[Reader, tuple[str, ...], str]] = {
    "npy": (numpy_files.read_npy, (".npy",), "a NumPy .npy array"),
    "npz": (numpy_files.read_npz, (".npz",), "a zip archive (.npz)"),
    "mat": (matlab.read_mat, (".mat",), "a MATLAB file"),
    "text": (text.read_text, (".csv", ".tsv", ".txt", ".dat"), "text"),
    "hdf5": (hdf5.read_hdf5, (".h5", ".hdf5", ".hdf", ".he5"), "an HDF5 file"),
    "parquet": (parquet.read_parquet, (".parquet", ".pq"), "a Parquet file"),
    "wav": (wav.read_wav, (".wav", ".wave"), "WAV audio"),
    "ts": (archive.read_archive, (".ts",), "a .ts archive file (sktime / aeon)"),
    "arff": (archive.read_archive, (".arff",), "an .arff file (Weka)"),
}
EXTENSIONS = tuple(e for _, extensions, _ in FORMATS.values() for e in extensions)


def load_signals(
    path: PathLike,
    *,
    key: str | None = None,
    layout: str = "auto",
    window: int | None = None,
    hop: int | None = None,
    length: int | None = None,
    lengths: str = "resample",
    pattern: str = "*",
    columns: Sequence[str] | None = None,
) -> Signals:
    """Reads signals from a file, in any format sigae knows, checked and as float32.

    The format is found from the file's content (its magic bytes); an extension that
    names another format is refused. `.npy` files and HDF5 datasets (also MATLAB v7.3)
    stay on disk and are read in blocks when used (`signals.lazy`); other formats are
    read into memory and checked for NaN and infinite values at once.

    Args:
        path: `.npy`, `.npz`, `.mat` (v4, v5-v7, v7.3), `.csv`/`.tsv`/`.txt`, `.h5`/
            `.hdf5`, `.parquet`, `.wav`, or the archive's `.ts` and `.arff`
            (`sigae.io.archive`; their labels are not signals and are left out).
        key: The array (`.npz`), variable (`.mat`), dataset path (HDF5) or list column
            (Parquet) to read, where the file holds several.
        layout: `"rows"`: one signal per row (`(n, length)` or `(n, length, channels)`);
            `"columns"`: one signal per column of a 2-D array; `"channels"`: a 2-D table
            is one recording, its rows the samples and its columns the channels (as each
            file of a folder is by default); `"channels-first"`: a 3-D array `(n,
            channels, length)`, PyTorch's convention; `"auto"`: rows, except that a single
            row or column is one recording, the orientation that gives `length` wins, a
            MATLAB matrix needs `length` or an explicit layout, and a 3-D array whose
            signals would be shorter than their channels is refused (it is most likely
            channels-first). For a folder: `"auto"` and `"channels"` read each file as
            one recording; the others read each file so, and each of its signals is a
            recording.
        window: Cut each recording into windows of this many samples (see `windows`).
        hop: Samples between window starts; `window` by default.
        length: The signal length a model takes, to settle an `"auto"` layout, and the
            length recordings of different lengths are resampled to.
        lengths: How recordings of different lengths (an unequal `.ts` file, a folder)
            become one length: `"resample"` (to `length`, or their median length),
            `"pad"` (to `length`, or the longest, masked: `Signals.padded`) or `"window"`
            (cut by `window` and `hop`); stated in `Signals.note`; see
            `sigae.io.signals.recordings`.
        pattern: For a folder, the glob its files must match (e.g. `"*.wav"`).
        columns: The columns of a table (CSV, TSV, text, Parquet) to read, by name or by
            number counting from 1; by default every numeric one but a column named as a
            time or an ID (`time`, `t`, `timestamp`, `index`, `id`, ...), which is left
            out and said in `Signals.note`.

    Returns:
        `Signals` of shape `(n_signals, length, channels)` with each signal's file, key,
        row and start sample.

    Raises:
        DataError: For a missing, unreadable, empty, corrupt or ambiguous file, or values
            that are not finite real numbers. The message names the file and the place.
    """
    path = Path(path)
    if layout not in LAYOUTS:
        raise DataError(f"layout must be one of {', '.join(LAYOUTS)}; received {layout!r}.")
    if lengths not in LENGTH_POLICIES:
        raise DataError(f"lengths must be one of {', '.join(LENGTH_POLICIES)}; received "
                        f"{lengths!r}.")
    if path.is_dir():
        return _folder(path, pattern, key=key, lengths=lengths, length=length, window=window,
                       hop=hop, layout=layout, columns=columns)
    kind = detect_format(path)
    reader, _, name = FORMATS[kind]
    if columns:
        if kind not in TABLES:
            raise DataError(f"{path}: columns= chooses columns of a table (CSV, TSV, text, "
                            f"Parquet); this is {name}.")
        reader = functools.partial(reader, columns=columns)  # type: ignore[call-arg]
    try:
        found = reader(path, key)
    except OSError as error:
        if is_machine_fault(error):
            raise read_error(path, error) from None
        raise DataError(f"{path}: cannot read this {name}; it is damaged ({reason(error)}).") \
            from None
    except MemoryError:
        raise DataError(f"{path}: too large to read into memory; store it as .npy or HDF5, "
                        "which sigae reads from disk in blocks.") from None
    except SigaeError:
        raise
    except Exception as error:
        # The parsing libraries raise many kinds of errors on damaged files; every one
        # of them means the same to the user.
        raise DataError(
            f"{path}: cannot read this {name}; it is damaged ({reason(error)})."
        ) from None
    where = f"{path}" + (f" ({found.key})" if found.key else "")
    if isinstance(found.array, archive.TsLines):
        return _lazy_ts(where, path, found.array, lengths, length, window, hop)
    if found.recordings is not None:
        signals = _recordings(where, path, found.recordings, lengths, length, window, hop)
        if found.names is not None:
            signals = dataclasses.replace(signals, names=tuple(found.names))
        return signals
    signals = _array(where, path, found, layout, window, hop, length)
    if found.note is None:
        return signals
    return dataclasses.replace(signals, note="; ".join(filter(None, (found.note, signals.note))))


def _array(where: str, path: Path, found: Found, layout: str, window: int | None,
           hop: int | None, length: int | None) -> Signals:
    """The signals of a file that holds one array, in the `layout` asked for."""
    array = found.array
    _check_kind(where, array.dtype, tuple(array.shape))
    transpose = _transpose(where, found, tuple(array.shape), layout, window, length)
    transpose = transpose != found.transposed
    if transpose and isinstance(array, NpyFile):
        # Columns of a C-order file are strided; a memory map reads them without
        # reading every row.
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    data: SignalArray = DiskArray(array, transpose=transpose, name=where)
    if not found.lazy or layout in ("channels", "channels-first"):
        data = in_memory = data[:]
        check_finite(in_memory, f"{where}:")
    data = _channels_last(where, data, layout, stored=tuple(array.shape))
    if found.index is not None and len(found.index[0]) == len(data):
        signals = Signals(data, *found.index, file=path, key=found.key,
                          sample_rate=found.sample_rate)
    else:
        signals = Signals.of(data, file=path, key=found.key, sample_rate=found.sample_rate)
    return signals if window is None else windows(signals, window, hop)


def _folder(folder: Path, pattern: str, *, key: str | None, lengths: str,
            length: int | None, window: int | None, hop: int | None, layout: str,
            columns: Sequence[str] | None) -> Signals:
    """Every file of a known format in `folder` matching `pattern`, sorted by name: with
    `layout` `"auto"` or `"channels"`, each one recording, a 1-D array or `(samples,
    channels)` (rows are samples, as in WAV and in a CSV of one column per channel); with
    another layout, each file read so and each of its signals a recording."""
    files = sorted(p for p in folder.glob(pattern)
                   if p.is_file() and p.suffix.lower() in EXTENSIONS)
    if not files:
        raise DataError(f"{folder}: holds no files matching {pattern!r} of a format sigae "
                        f"reads ({', '.join(EXTENSIONS)}).")
    if layout not in ("auto", "channels"):
        return _signals_of_files(folder, files, key, layout, columns, lengths, length, window,
                                 hop)
    read = functools.partial(_file_of_folder, key=key, columns=columns)
    names = tuple(f.name for f in files)
    lazy = window is None and lengths != "window" and (
        sum(f.stat().st_size for f in files) > archive.LAZY_BYTES)
    if lazy:  # one pass for the shapes, then each file is read when its row is
        # (.npy and HDF5 files say their shape without being read)
        shapes = [_recording_shape(f, read(f).shape) for f in files]
        channels = {c for _, c in shapes}
        if len(channels) > 1:
            raise DataError(f"{folder}: the recordings have different numbers of channels "
                            f"({', '.join(map(str, sorted(channels)))}); give them one.")
        width = channels.pop()
        return at_one_length(lambda n: FolderRecordings(files, read, n, width, lengths),
                             np.asarray([n for n, _ in shapes]), length, policy=lengths,
                             lazily=True, file=folder, names=names, name=str(folder))
    loaded = [read(file) for file in files]
    series = [_as_recording(file, signals) for file, signals in zip(files, loaded, strict=True)]
    signals = recordings(series, lengths=lengths, length=length, window=window, hop=hop,
                         file=folder, name=str(folder))
    return dataclasses.replace(signals, names=names, note=_notes(loaded, signals))


def _signals_of_files(folder: Path, files: list[Path], key: str | None, layout: str,
                      columns: Sequence[str] | None, lengths: str, length: int | None,
                      window: int | None, hop: int | None) -> Signals:
    """Each file read in `layout`, each of its signals a recording named `file[i]` (or
    `file` where it holds one)."""
    loaded = [_file_of_folder(file, key=key, columns=columns, layout=layout) for file in files]
    series = [signal for signals in loaded for signal in np.asarray(signals)]
    names = [name for file, signals in zip(files, loaded, strict=True)
             for name in ([file.name] if len(signals) == 1 else
                          [f"{file.name}[{i}]" for i in range(len(signals))])]
    read = recordings(series, lengths=lengths, length=length, window=window, hop=hop,
                      file=folder, name=str(folder))
    return dataclasses.replace(read, names=tuple(names), note=_notes(loaded, read))


def _notes(loaded: list[Signals], signals: Signals) -> str | None:
    """What was done to the files of a folder (each said once) and then to their
    recordings, in words."""
    notes = dict.fromkeys(s.note for s in loaded if s.note)
    return "; ".join(filter(None, (*(f"each file: {n}" for n in notes), signals.note))) or None


def _as_recording(file: Path, signals: Signals) -> np.ndarray:
    """A folder's file as one recording `(samples, channels)`."""
    return np.asarray(signals.data).reshape(_recording_shape(file, signals.shape))


def _file_of_folder(file: Path, *, key: str | None, columns: Sequence[str] | None,
                    layout: str = "rows") -> Signals:
    """A folder's file as `Signals` (still on disk where its format allows)."""
    if detect_format(file) in ("ts", "arff"):
        raise DataError(f"{file}: an archive file holds many recordings; give it alone, "
                        "not in a folder of one recording per file.")
    return load_signals(file, key=key, layout=layout, columns=columns)


def _recording_shape(file: Path, shape: tuple[int, int, int]) -> tuple[int, int]:
    """`(samples, channels)` of a file's one recording: `(1, samples, channels)` from a
    single row, rows of one sample each `(samples, 1, channels)`, or one channel per
    column `(samples, channels, 1)`."""
    n, length, channels = shape
    if n == 1:
        return length, channels
    if length == 1:
        return n, channels
    if channels == 1:
        return n, length
    raise DataError(f"{file}: holds several signals with several channels; a folder takes "
                    "one recording per file.")


class FolderRecordings(LazyArray):
    """A folder's files `(n, length, channels)`, each read (and resampled or padded to
    `length`, as `policy` says) when its row is read, so a folder larger than memory
    streams."""

    def __init__(self, files: list[Path], read: Callable[[Path], Signals], length: int,
                 channels: int, policy: str = "resample") -> None:
        self.files, self.read, self.fit = files, read, FITS[policy]
        self.shape = (len(files), length, channels)

    def __getitem__(self, item: slice) -> np.ndarray:
        start, stop, step = item.indices(len(self))
        if step != 1:
            raise TypeError("FolderRecordings takes contiguous slices of rows only")
        rows = [self.fit(_as_recording(f, self.read(f)), self.shape[1])
                for f in self.files[start:stop]]
        return np.stack(rows) if rows else np.zeros((0, *self.shape[1:]), dtype="float32")


def _lazy_ts(where: str, path: Path, lines: archive.TsLines, lengths: str,
             length: int | None, window: int | None, hop: int | None) -> Signals:
    """A large `.ts` file, parsed as its rows are read (resampled or padded as they are
    read when their lengths differ); windows need it read whole."""
    sizes = lines.lengths
    if window is not None or lengths == "window":
        return _recordings(where, path, archive.read_collection(path).series, lengths,
                           length, window, hop)
    return at_one_length(lambda n: lines.at_length(n, lengths), sizes, length,
                         policy=lengths, lazily=True, file=path, name=where)


def _recordings(where: str, path: Path, series: list[np.ndarray], lengths: str,
                length: int | None, window: int | None, hop: int | None) -> Signals:
    """A file's collection of recordings, made one length as `lengths` says."""
    for i, recording in enumerate(series):
        check_finite(recording, f"{where}: recording {i}")
    return recordings(series, lengths=lengths, length=length, window=window, hop=hop,
                      file=path, name=where)


def detect_format(path: Path) -> str:
    """The format of `path` from its first bytes, checked against its extension.

    Raises:
        DataError: If the file is missing, a directory, empty, of no known format, or
            its extension names another format than its content.
    """
    if not path.exists():
        raise DataError(f"{path}: no such file. Check the path.")
    if path.is_dir():
        raise DataError(f"{path}: is a directory; expected a data file.")
    with reading(path), open(path, "rb") as handle:
        head = handle.read(1024)
    if not head:
        raise DataError(f"{path}: is empty (0 bytes).")
    content = _sniff(head)
    suffix = path.suffix.lower()
    named = next((k for k, (_, extensions, _) in FORMATS.items() if suffix in extensions), None)
    if content is None:
        if named in ("mat", "text"):  # MATLAB v4 has no magic bytes; text has none
            return named
        raise DataError(
            f"{path}: not a file of a format sigae reads (its first bytes match none); "
            f"use one of {', '.join(EXTENSIONS)}."
        )
    if content == "text" and named in ("ts", "arff"):  # a long comment before the header
        return named
    if named is not None and named != content:
        raise DataError(
            f"{path}: its extension says {named} but its content is {FORMATS[content][2]}; "
            f"rename it to {FORMATS[content][1][0]}."
        )
    return content


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "npz"
    if head.startswith(b"MATLAB "):
        return "mat"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "hdf5"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head[:4] in (b"RIFF", b"RIFX") and head[8:12] == b"WAVE":
        return "wav"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            if error.start < len(head) - 3:  # not just a character cut at the block end
                return None
        if archive.is_archive_text(head):
            return "arff" if b"@relation" in head.lower() else "ts"
        return "text"
    return None


def _check_kind(where: str, dtype: np.dtype, shape: tuple[int, ...]) -> None:
    if dtype.kind == "c":
        raise DataError(f"{where}: holds complex values ({dtype}); sigae takes real signals. "
                        "Pass the real part, the magnitude, or both as two channels.")
    if dtype.kind == "b":
        raise DataError(f"{where}: holds boolean values; sigae takes numbers. Convert them "
                        "to 0 and 1 first.")
    if dtype.kind not in "iuf":
        raise DataError(f"{where}: holds {dtype} values; expected real numbers.")
    if not 1 <= len(shape) <= 3:
        raise DataError(f"{where}: holds an array of shape {shape}; expected (n_signals, "
                        "length) or (n_signals, length, channels), or one recording.")
    if 0 in shape:
        raise DataError(f"{where}: holds an empty array of shape {shape}.")


def _channels_last(where: str, data: SignalArray, layout: str, *,
                   stored: tuple[int, ...]) -> SignalArray:
    """`(n, length, channels)` signals: a table as one recording of channels; a
    channels-first array's axes swapped; an array whose signals would be shorter than their
    channels refused unless `layout` says rows. `stored` is the shape of the array as the
    file holds it."""
    shape = tuple(data.shape)
    if layout == "channels":
        if len(stored) != 2:
            raise DataError(f"{where}: --layout channels reads a 2-D table (samples, channels) "
                            f"as one recording; this array has shape {stored}.")
        return np.asarray(data).reshape(1, shape[0], shape[1])
    if len(stored) != 3:
        if layout == "channels-first":
            raise DataError(f"{where}: --layout channels-first applies to 3-D arrays "
                            f"(n, channels, length); this one has shape {stored}.")
        return data
    if layout == "channels-first":
        return np.ascontiguousarray(np.swapaxes(np.asarray(data), 1, 2))
    if layout == "auto" and shape[1] < shape[2]:
        raise DataError(
            f"{where}: holds signals of {shape[1]} samples with {shape[2]} channels each; "
            f"an array (n, channels, length) as PyTorch keeps them is read with --layout "
            f"channels-first ({shape[0]} signals of {shape[2]} samples, {shape[1]} "
            "channels), and --layout rows keeps it as it is.")
    return data


def _transpose(
    where: str, found: Found, shape: tuple[int, ...], layout: str, window: int | None,
    length: int | None,
) -> bool:
    """Whether the signals are the columns of the (as-shown) 2-D array."""
    if found.transposed:
        shape = shape[::-1]
    if len(shape) != 2 or found.convention == "recording":
        if layout == "columns":
            raise DataError(f"{where}: --layout columns applies to 2-D arrays; this one has "
                            f"shape {shape}.")
        return False
    if layout != "auto":
        return layout == "columns"
    rows, columns = shape
    if window is None and length is not None:
        if columns == length and rows != length:
            return False
        if rows == length and columns != length:
            return True
        if rows == columns == length:
            raise DataError(
                f"{where}: a square {rows}x{columns} matrix fits the model either way; pass "
                "--layout rows or --layout columns."
            )
    if 1 in shape:
        return columns == 1  # a single row or column is one recording
    if found.convention == "matlab":
        raise DataError(
            f"{where}: is a {rows}x{columns} matrix, and MATLAB files hold signals as rows or "
            f"as columns; pass --layout rows ({rows} signals of {columns} samples) or "
            f"--layout columns ({columns} signals of {rows} samples)."
        )
    return False
