"""The time-series archive's formats: `.ts` (sktime / aeon) and `.arff` (Weka).

Both hold a collection of labelled recordings, univariate or multivariate, of equal or
unequal lengths. `read_collection` returns every recording as it is stored, with its label
and the header's metadata; `read_archive` is the reader `load_signals` uses: one array when
the recordings share a length, else the list of them, and for a `.ts` file above
`LAZY_BYTES` a `TsLines` array that parses each row when it is read; `write_ts` writes one.

`.ts`: `@` header lines (`@problemName`, `@timeStamps`, `@missing`, `@univariate`,
`@dimensions`, `@equalLength`, `@seriesLength`, `@classLabel true L1 L2 ...`,
`@targetLabel`), then after `@data` one recording per line: its channels separated by
`:`, each a comma-separated series (`?` is a missing value, read as NaN; with
`@timeStamps true` each value is `(timestamp,value)`), and last the class label or the
regression target. Lines starting with `#` or `%` are comments; keys are case-insensitive.

`.arff`: `@relation`, `@attribute` lines, `@data`. Univariate: one numeric attribute per
sample and a last nominal or numeric attribute for the label. Multivariate: a
`relational` attribute whose value is a quoted string of the channels separated by `\\n`.
"""

from __future__ import annotations

import os
import re
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sigae.core.outputs import atomic_path
from sigae.errors import DataError
from sigae.io.arrays import LazyArray
from sigae.io.found import Found
from sigae.io.signals import FITS

_TRUE_FALSE = {"true": True, "false": False}
_TS_KEYS = ("problemname", "timestamps", "missing", "univariate", "dimension", "dimensions",
            "equallength", "serieslength", "classlabel", "targetlabel", "data")
_STAMPED = re.compile(r"\(([^()]*),([^(),]*)\)")
_COMMENTS = ("#", "%")


def content(lines: Iterable[str], first: int = 1,
            comments: tuple[str, ...] = _COMMENTS) -> Iterator[tuple[int, str]]:
    """`(line number, stripped line)` of each line that is neither blank nor a comment
    (`#` or `%` in a `.ts` file, `%` in an `.arff` file), numbered from `first`."""
    for number, raw in enumerate(lines, start=first):
        line = raw.strip()
        if line and not line.startswith(comments):
            yield number, line


def _labelled(metadata: dict[str, Any]) -> bool:
    """Whether a `.ts` header declares a class label or a regression target."""
    return bool(metadata.get("classlabel")) or bool(metadata.get("targetlabel"))


@dataclass(frozen=True)
class Collection:
    """The recordings of an archive file, each as stored.

    Attributes:
        series: One float32 array `(length, channels)` per recording; NaN where a value
            is missing. Lengths may differ.
        labels: One label per recording: text class labels, float regression targets, or
            `None` when the file has none.
        metadata: The header, keys lower-case (`problemname`, `classlabel` as the list of
            declared classes, ...).
    """

    series: list[np.ndarray]
    labels: np.ndarray | None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def lengths(self) -> np.ndarray:
        return np.asarray([len(s) for s in self.series])

    @property
    def channels(self) -> int:
        return int(self.series[0].shape[1])


def read_collection(path: Path) -> Collection:
    """Reads a `.ts` or `.arff` file (chosen by its extension, else by its header).

    Raises:
        DataError: For a file that breaks the format, naming the line and column, what
            was found and what was expected.
    """
    text = _text(path)
    if path.suffix.lower() == ".arff" or (path.suffix.lower() != ".ts" and _is_arff(text)):
        return _parse_arff(text, path)
    return _parse_ts(text, path)


LAZY_BYTES = 256 * 2**20
"""`.ts` files larger than this are read lazily (`TsLines`): each series is parsed when its
rows are read, so a file larger than memory streams like an `.npy` file."""


class TsLines(LazyArray):
    """The series of a `.ts` file `(n, length, channels)`, parsed when read.

    A first pass records where each data line starts and how many values its first
    dimension holds (no values are kept); reading rows `i:j` parses those lines again
    (each resampled to `length` when the lengths differ). Errors name the line.

    Args:
        path: The file.
        metadata: Its header (`_parse_ts(..., header_only=True)`).
        offsets: The byte at which each data line starts.
        numbers: Each data line's line number, for errors.
        lengths: The number of values of each line's first dimension.
        channels: Dimensions per line.
        length: The length rows are read at; `None`: the first line's.
        policy: How a row becomes `length` samples: `"resample"` or `"pad"`
            (`sigae.io.signals.FITS`).
    """

    def __init__(self, path: Path, metadata: dict[str, Any], offsets: np.ndarray,
                 numbers: np.ndarray, lengths: np.ndarray, channels: int,
                 length: int | None = None, policy: str = "resample") -> None:
        self.path, self.metadata, self.policy = path, metadata, policy
        self.offsets, self.numbers, self.lengths = offsets, numbers, lengths
        self.shape = (len(offsets), int(length or lengths[0]), channels)
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    @classmethod
    def index(cls, path: Path) -> TsLines:
        """The first pass: the header, and each data line's place and length."""
        head = b""
        with open(path, "rb") as handle:
            offset = 0
            number = 0
            for raw in handle:
                number += 1
                offset += len(raw)
                head += raw
                if raw.strip().lower() == b"@data":
                    break
            else:
                raise DataError(f"{path}: has no @data line; a .ts file lists its series "
                                "after @data.")
            metadata, _ = _ts_header(head.decode("utf-8-sig").splitlines(), path)
            stamped = bool(metadata.get("timestamps"))
            offsets, numbers, lengths = [], [], []
            at = [offset]  # where the line being read starts

            def decoded() -> Iterator[str]:
                for raw in handle:
                    yield raw.decode("utf-8")
                    at[0] += len(raw)

            for data_number, line in content(decoded(), number + 1):
                offsets.append(at[0])
                numbers.append(data_number)
                if stamped:  # ':' also separates a time stamp's hours and minutes
                    lengths.append(_fields(line, True)[0][0].count("("))
                else:
                    lengths.append(line.split(":", 1)[0].count(",") + 1)
        if not offsets:
            raise DataError(f"{path}: holds no series after @data.")
        channels = metadata.get("dimensions") or 1
        if not metadata.get("dimensions") and not metadata.get("univariate"):
            with open(path, "rb") as handle:
                handle.seek(offsets[0])
                text = handle.readline().decode("utf-8").strip()
            channels = len(_fields(text, stamped)) - _labelled(metadata)
        return cls(path, metadata, np.asarray(offsets), np.asarray(numbers),
                   np.asarray(lengths), channels)

    def at_length(self, length: int, policy: str = "resample") -> TsLines:
        """The same series, read resampled (or padded) to `length` samples."""
        return TsLines(self.path, self.metadata, self.offsets, self.numbers, self.lengths,
                       self.shape[2], length, policy)

    def __getitem__(self, item: slice) -> np.ndarray:
        start, stop, step = item.indices(len(self))
        if step != 1:
            raise TypeError("TsLines takes contiguous slices of rows only")
        if start >= stop:
            return np.zeros((0, *self.shape[1:]), dtype="float32")
        end = self.offsets[stop] if stop < len(self) else os.fstat(self._fd).st_size
        text = os.pread(self._fd, int(end - self.offsets[start]), int(self.offsets[start]))
        lines = [line for _, line in content(text.decode("utf-8").splitlines())]
        rows, fit = [], FITS[self.policy]
        for line, number in zip(lines, self.numbers[start:stop], strict=True):
            series, _ = _parse_line(self.path, int(number), line, self.metadata,
                                    self.shape[2])
            rows.append(fit(series, self.shape[1]))
        return np.stack(rows)


def read_archive(path: Path, key: str | None) -> Found:
    """The recordings of an archive file: one array `(n, length, channels)` when they share
    a length, else the list of them (`Found.recordings`).

    Raises:
        DataError: If the file is damaged.
    """
    if path.suffix.lower() == ".ts" and path.stat().st_size > LAZY_BYTES:
        return Found(TsLines.index(path), key=key)
    collection = read_collection(path)
    lengths = collection.lengths
    if lengths.min() != lengths.max():
        return Found(None, key=key, recordings=collection.series)
    return Found(np.stack(collection.series), key=key)


def write_ts(path: Path, series: list[np.ndarray], *, problem: str = "sigae",
             labels: np.ndarray | None = None) -> None:
    """Writes recordings `(length, channels)`, of one length or several, as a `.ts` file,
    atomically; NaN is written as `?`. `read_collection` reads it back exactly (values
    are written with `repr`, which round-trips float32)."""
    lengths = {len(s) for s in series}
    header = [f"@problemName {problem}", "@timeStamps false",
              f"@missing {str(any(np.isnan(s).any() for s in series)).lower()}",
              f"@univariate {str(series[0].shape[1] == 1).lower()}",
              f"@dimensions {series[0].shape[1]}",
              f"@equalLength {str(len(lengths) == 1).lower()}"]
    if len(lengths) == 1:
        header.append(f"@seriesLength {lengths.pop()}")
    classes = None if labels is None else sorted({str(v) for v in labels})
    header.append("@classLabel false" if classes is None
                  else "@classLabel true " + " ".join(classes))
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8") as handle:
        handle.write("\n".join([*header, "@data"]) + "\n")
        for i, recording in enumerate(series):
            channels = [",".join("?" if np.isnan(v) else repr(float(v)) for v in channel)
                        for channel in np.asarray(recording, dtype="float32").T]
            label = "" if labels is None else f":{labels[i]}"
            handle.write(":".join(channels) + label + "\n")


def is_archive_text(head: bytes) -> bool:
    """Whether the first bytes of a text file are an archive file's header."""
    for _, line in content(head.decode("utf-8", errors="replace").splitlines()):
        return line.lower().startswith(("@problemname", "@relation", "@timestamps",
                                        "@univariate"))
    return False


# -- .ts ------------------------------------------------------------------------------------


def _parse_ts(text: str, path: Path) -> Collection:
    """A whole `.ts` file: its header, then one recording per data line."""
    lines = text.splitlines()
    metadata, header_end = _ts_header(lines, path)
    series: list[np.ndarray] = []
    labels: list[Any] = []
    channels = metadata.get("dimensions") or (1 if metadata.get("univariate") else None)
    for number, line in content(lines[header_end:], header_end + 1):
        recording, label = _parse_line(path, number, line, metadata, channels,
                                       first=not series)
        channels = recording.shape[1]
        labels.append(label)
        series.append(recording)
        _check_length(path, number, series, metadata)
    if not series:
        raise DataError(f"{path}: holds no series after @data.")
    return _collection(path, series, labels if _labelled(metadata) else None, metadata)


def _ts_header(lines: list[str], path: Path) -> tuple[dict[str, Any], int]:
    """A `.ts` file's header, keys lower-case, and the number of the `@data` line."""
    metadata: dict[str, Any] = {}
    for number, line in content(lines):
        if not line.startswith("@"):
            raise DataError(f"{path}: line {number}, column 1: expected a header line "
                            f"(@name value) or @data before the series, found {_cut(line)!r}.")
        name, _, value = line[1:].partition(" ")
        name = name.lower()
        if name not in _TS_KEYS:
            known = ", @".join(k for k in _TS_KEYS if k != "dimension")
            raise DataError(f"{path}: line {number}, column 1: unknown header '@{name}'; "
                            f"a .ts header has @{known}.")
        if name == "data":
            if "dimension" in metadata:
                metadata["dimensions"] = metadata.pop("dimension")
            return metadata, number
        metadata[name] = _header_value(path, number, name, value.strip())
    raise DataError(f"{path}: has no @data line; a .ts file lists its series after @data.")


def _parse_line(path: Path, number: int, line: str, metadata: dict[str, Any],
                channels: int | None, *, first: bool = False) -> tuple[np.ndarray, Any]:
    """One data line of a `.ts` file: its series `(length, channels)` and its label."""
    stamped = bool(metadata.get("timestamps"))
    fields = _fields(line, stamped)
    label = None
    if _labelled(metadata):
        if len(fields) < 2:
            raise DataError(f"{path}: line {number}: expected the series and a label "
                            f"after the last ':', found no label.")
        (text, label_at), fields = fields[-1], fields[:-1]
        label = _label(path, number, label_at + 1, text.strip(),
                       metadata.get("classlabel") or None)
    if channels is not None and len(fields) != channels:
        raise DataError(f"{path}: line {number}: holds {len(fields)} dimensions, but "
                        f"{'the header says' if first else 'the lines before hold'} "
                        f"{channels}.")
    values = [_numbers(path, number, start, part, stamped) for part, start in fields]
    if len({len(v) for v in values}) > 1:
        raise DataError(f"{path}: line {number}: its dimensions hold different numbers of "
                        f"values ({', '.join(str(len(v)) for v in values)}); each "
                        "recording's dimensions must have one length.")
    if len(values[0]) == 0:
        raise DataError(f"{path}: line {number}: holds an empty series.")
    return np.stack(values, axis=1).astype("float32"), label


def _header_value(path: Path, number: int, name: str, value: str) -> Any:
    column = len(name) + 3  # '@', the name, a space
    words = value.split()
    if name == "problemname":
        return value
    if name in ("classlabel", "targetlabel"):
        flag = _flag(path, number, column, name, words[0] if words else "")
        if name == "classlabel" and flag:
            if len(words) < 2:
                raise DataError(f"{path}: line {number}, column {column}: @classLabel true "
                                "must list the class labels after it.")
            return words[1:]
        return flag
    if name in ("dimension", "dimensions", "serieslength"):
        try:
            count = int(value)
            if count < 1:
                raise ValueError
        except ValueError:
            raise DataError(f"{path}: line {number}, column {column}: @{name} expects a "
                            f"positive whole number, found {_cut(value)!r}.") from None
        return count
    return _flag(path, number, column, name, value)


def _flag(path: Path, number: int, column: int, name: str, value: str) -> bool:
    if value.lower() not in _TRUE_FALSE:
        raise DataError(f"{path}: line {number}, column {column}: @{name} expects true or "
                        f"false, found {_cut(value)!r}.")
    return _TRUE_FALSE[value.lower()]


def _fields(line: str, stamped: bool) -> list[tuple[str, int]]:
    """The `:`-separated fields of a data line, with the 0-based column each starts at
    (`:` inside a timestamp's parentheses does not separate)."""
    if not stamped:
        fields, start = [], 0
        for part in line.split(":"):
            fields.append((part, start))
            start += len(part) + 1
        return fields
    fields, start, depth = [], 0, 0
    for i, char in enumerate(line):
        if stamped and char in "()":
            depth += 1 if char == "(" else -1
        elif char == ":" and depth == 0:
            fields.append((line[start:i], start))
            start = i + 1
    fields.append((line[start:], start))
    return fields


def _numbers(path: Path, number: int, start: int, part: str, stamped: bool) -> np.ndarray:
    if stamped:
        tokens = [m.group(2) for m in _STAMPED.finditer(part)]
        if not tokens and part.strip():
            raise DataError(f"{path}: line {number}, column {start + 1}: expected "
                            f"(timestamp,value) pairs with @timeStamps true, found "
                            f"{_cut(part)!r}.")
    else:
        tokens = part.split(",")
    if "?" in part:
        tokens = ["nan" if t.strip() == "?" else t for t in tokens]
    try:
        values = np.array(tokens, dtype="float64")
    except ValueError:
        offset = start
        for token in part.split(","):
            try:
                float("nan" if token.strip() == "?" else token)
            except ValueError:
                raise DataError(f"{path}: line {number}, column {offset + 1}: "
                                f"{_cut(token.strip())!r} is not a number (nor ? for a "
                                "missing value).") from None
            offset += len(token) + 1
        raise DataError(f"{path}: line {number}: a value is not a number.") from None
    if np.isinf(values).any():
        raise DataError(f"{path}: line {number}: holds an infinite value; write ? for a "
                        "missing one.")
    return values


def _label(path: Path, number: int, column: int, label: str, classes: list[str] | None
           ) -> Any:
    if classes is not None:
        if label not in classes:
            raise DataError(f"{path}: line {number}, column {column}: class label "
                            f"{_cut(label)!r} is not one of the @classLabel values "
                            f"({', '.join(classes)}).")
        return label
    try:
        return float(label)
    except ValueError:
        raise DataError(f"{path}: line {number}, column {column}: the target {_cut(label)!r} "
                        "is not a number.") from None


def _check_length(path: Path, number: int, series: list[np.ndarray],
                  metadata: dict[str, Any]) -> None:
    length = len(series[-1])
    declared = metadata.get("serieslength")
    if declared is not None and metadata.get("equallength", True) and length != declared:
        raise DataError(f"{path}: line {number}: holds {length} values per dimension, but "
                        f"@seriesLength says {declared}.")
    if metadata.get("equallength") and length != len(series[0]):
        raise DataError(f"{path}: line {number}: holds {length} values per dimension, but "
                        f"@equalLength is true and the first series holds {len(series[0])}.")


# -- .arff ----------------------------------------------------------------------------------


def _parse_arff(text: str, path: Path) -> Collection:
    """A whole `.arff` file: its attributes, then one recording and its label per row."""
    lines = text.splitlines()
    attributes, metadata, header_end = _arff_header(lines, path)
    relational = attributes[0][1].lower() == "relational"
    label_type = attributes[-1][1]
    classes = ([c.strip().strip("'\"") for c in label_type.strip("{}").split(",")]
               if label_type.startswith("{") else None)
    metadata["classlabel"] = classes
    series: list[np.ndarray] = []
    labels: list[Any] = []
    for number, line in content(lines[header_end:], header_end + 1, comments=("%",)):
        recording, label = _arff_row(path, number, line, relational, classes)
        if series and recording.shape[1] != series[0].shape[1]:
            raise DataError(f"{path}: line {number}: holds {recording.shape[1]} channels, the "
                            f"first row {series[0].shape[1]}.")
        series.append(recording)
        labels.append(label)
    if not series:
        raise DataError(f"{path}: holds no rows after @data.")
    if not relational and len(series[0]) != len(attributes) - 1:
        raise DataError(f"{path}: the rows hold {len(series[0])} values, but "
                        f"{len(attributes) - 1} attributes are declared before the label.")
    return _collection(path, series, labels, metadata)


def _arff_header(lines: list[str], path: Path
                 ) -> tuple[list[tuple[str, str]], dict[str, Any], int]:
    """An `.arff` file's top-level attributes `(name, type)`, its metadata and the number
    of the `@data` line (a relational attribute's own attributes are skipped)."""
    attributes: list[tuple[str, str]] = []
    metadata: dict[str, Any] = {}
    inside = False  # within a relational attribute's own attributes
    for number, line in content(lines, comments=("%",)):
        lower = line.lower()
        if lower.startswith("@relation"):
            metadata["relation"] = line[9:].strip().strip("'\"")
        elif lower.startswith("@attribute"):
            parts = line[10:].strip().split(None, 1)
            if len(parts) < 2:
                raise DataError(f"{path}: line {number}, column 1: expected @attribute NAME "
                                f"TYPE, found {_cut(line)!r}.")
            if not inside:
                attributes.append((parts[0], parts[1].strip()))
            inside = inside or parts[1].strip().lower() == "relational"
        elif lower.startswith("@end"):
            inside = False
        elif lower.startswith("@data"):
            if len(attributes) < 2:
                raise DataError(f"{path}: declares {len(attributes)} attribute(s); expected "
                                "the series and a class attribute.")
            return attributes, metadata, number
        else:
            raise DataError(f"{path}: line {number}, column 1: expected @relation, "
                            f"@attribute or @data, found {_cut(line)!r}.")
    raise DataError(f"{path}: has no @data line; an .arff file lists its rows after @data.")


def _arff_row(path: Path, number: int, line: str, relational: bool,
              classes: list[str] | None) -> tuple[np.ndarray, Any]:
    """One data row of an `.arff` file: its recording `(length, channels)` and its label."""
    cut = line.rfind(",")
    if cut < 0:
        raise DataError(f"{path}: line {number}: expected values and a label separated "
                        "by commas.")
    body, label = line[:cut], line[cut + 1:].strip().strip("'\"")
    label = _label(path, number, cut + 2, label, classes)
    channels = [body]
    if relational:
        body = body.strip()
        if len(body) < 2 or body[0] not in "'\"" or body[-1] != body[0]:
            raise DataError(f"{path}: line {number}, column 1: expected the channels as "
                            "one quoted string, separated by \\n.")
        channels = body[1:-1].split("\\n")
    values = [_numbers(path, number, 0, c, False) for c in channels]
    if len({len(v) for v in values}) > 1:
        raise DataError(f"{path}: line {number}: its channels hold different numbers of "
                        f"values ({', '.join(str(len(v)) for v in values)}).")
    return np.stack(values, axis=1).astype("float32"), label


# -- both -----------------------------------------------------------------------------------


def _collection(path: Path, series: list[np.ndarray], labels: list[Any] | None,
                metadata: dict[str, Any]) -> Collection:
    values = None
    if labels is not None:
        values = np.asarray(labels, dtype="float64" if metadata.get("classlabel") is None
                            else None)
    return Collection(series, values, metadata)


def _text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: is not UTF-8 text (byte {error.start}); save it as "
                        "UTF-8.") from None


def _is_arff(text: str) -> bool:
    return any(line.strip().lower().startswith("@relation") for line in text[:20000].splitlines())


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
