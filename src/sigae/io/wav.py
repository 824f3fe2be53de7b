"""WAV audio: one recording, its channels as channels, integer PCM scaled to [-1, 1)."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np

from sigae.core.faults import is_machine_fault, read_error
from sigae.errors import DataError
from sigae.io.found import Found, check_declared_size, reason


def read_wav(path: Path, key: str | None) -> Found:
    import scipy.io.wavfile

    _check_data_chunk(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rate, samples = scipy.io.wavfile.read(path)
    except (ValueError, OSError, EOFError, struct.error) as error:
        if is_machine_fault(error):
            raise read_error(path, error) from None
        raise DataError(f"{path}: not a readable WAV file ({reason(error)}).") from None
    samples = np.asarray(samples)
    if samples.ndim == 1:
        samples = samples[:, None]
    return Found(_scaled(samples)[None], convention="recording", sample_rate=float(rate))


def _scaled(samples: np.ndarray) -> np.ndarray:
    """Integer PCM as floats in [-1, 1); float WAV as is."""
    if samples.dtype == np.uint8:
        return (samples.astype("float32") - 128.0) / 128.0
    if samples.dtype.kind == "i":
        return samples.astype("float32") / float(2 ** (8 * samples.dtype.itemsize - 1))
    return samples.astype("float32")


def _check_data_chunk(path: Path) -> None:
    """Refuses a `data` chunk that declares more bytes than the file holds."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        riff = handle.read(12)
        if riff[8:12] != b"WAVE":
            raise DataError(f"{path}: not a WAV file (no RIFF/WAVE header).")
        order = ">" if riff.startswith(b"RIFX") else "<"
        while True:
            header = handle.read(8)
            if len(header) < 8:
                raise DataError(f"{path}: has no data chunk; the file is truncated.")
            chunk, length = header[:4], struct.unpack(f"{order}I", header[4:])[0]
            if chunk == b"data":
                check_declared_size(path, "its data chunk", (length,), 1, size - handle.tell())
                return
            handle.seek(length + (length & 1), 1)
            if handle.tell() > size:
                raise DataError(f"{path}: chunk {chunk!r} runs past the end; it is truncated.")
