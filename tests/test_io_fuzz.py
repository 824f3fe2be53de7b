"""Fuzzing the readers: damaged files of every format raise `SigaeError` or read cleanly."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
import scipy.io.wavfile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formats import write, write_mat73
from sigae import SigaeError
from sigae.io import chunks, load_signals

X = np.random.default_rng(3).normal(size=(4, 12)).astype("float32")


def valid_file(suffix: str) -> tuple[bytes, dict]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"x{suffix}"
        if suffix == ".wav":
            scipy.io.wavfile.write(path, 100, (X.reshape(-1, 2) * 1000).astype("int16"))
            options = {}
        elif suffix in (".ts", ".arff"):
            rows = [",".join(f"{v:.5f}" for v in signal) for signal in X]
            if suffix == ".ts":
                head = ("@problemName fuzz\n@timeStamps false\n@missing false\n@univariate "
                        "true\n@equalLength true\n@seriesLength 12\n@classLabel true a b\n"
                        "@data\n")
                body = "".join(f"{row}:{'ab'[i % 2]}\n" for i, row in enumerate(rows))
            else:
                head = ("@relation fuzz\n" + "".join(f"@attribute t{i} numeric\n"
                                                      for i in range(12))
                        + "@attribute class {a,b}\n@data\n")
                body = "".join(f"{row},{'ab'[i % 2]}\n" for i, row in enumerate(rows))
            path.write_text(head + body)
            options = {}
        elif suffix == ".v73.mat":
            write_mat73(path, signals=X.astype("float64"))
            options = {"layout": "rows"}
        else:
            options = write(path, X)
        return path.read_bytes(), options


SUFFIXES = [".npy", ".npz", ".csv", ".mat", ".v73.mat", ".h5", ".parquet", ".wav", ".ts",
            ".arff"]
SAMPLES = {suffix: valid_file(suffix) for suffix in SUFFIXES}

damage = st.tuples(
    st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
    st.one_of(st.none(), st.floats(0, 1)),
)


@pytest.mark.parametrize("suffix", SUFFIXES)
@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=damage)
def test_damaged_files_raise_only_sigae_errors(tmp_path, suffix, damage):
    content, options = SAMPLES[suffix]
    edits, keep = damage
    data = bytearray(content)
    for where, byte in edits:
        data[int(where * len(data))] = byte
    if keep is not None:
        data = data[: int(keep * len(data))]
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(bytes(data))
    try:
        signals = load_signals(path, **options)
        for _, block in chunks(signals.data, 2, what=str(path)):
            assert block.dtype == np.float32
    except SigaeError:
        pass


NAMED = (b"time,a,b\n" + b"".join(b"%d,%.4f,%.4f\n" % (i, *X.reshape(-1, 2)[i])
                                  for i in range(24)), {})
"""A table with named columns, a time column first."""

options = st.fixed_dictionaries({}, optional={
    "layout": st.sampled_from(["auto", "rows", "columns", "channels", "channels-first"]),
    "columns": st.lists(st.one_of(st.sampled_from(["time", "a", "0", "1", "2", "99", "", "x"]),
                                  st.text(max_size=4)), min_size=1, max_size=3),
    "window": st.integers(1, 20),
    "lengths": st.sampled_from(["resample", "pad", "window"]),
    "length": st.integers(1, 20),
})


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffix=st.sampled_from([*SUFFIXES, ".named.csv"]), asked=options, folder=st.booleans())
def test_every_layout_and_column_choice_reads_cleanly_or_raises_a_sigae_error(
        tmp_path_factory, suffix, asked, folder):
    content, options = NAMED if suffix == ".named.csv" else SAMPLES[suffix]
    directory = tmp_path_factory.mktemp("options")
    path = directory / f"x{suffix}"
    path.write_bytes(content)
    try:
        signals = load_signals(directory if folder else path, **{**options, **asked})
        for _, block in chunks(signals.data, 2, what=str(path)):
            assert block.dtype == np.float32
            assert block.ndim == 3
    except SigaeError:
        pass
