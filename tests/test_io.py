"""Reading signals from every format, in every layout, and refusing bad files clearly."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.io
import scipy.io.wavfile

from formats import write, write_mat73
from sigae import DataError
from sigae.io import load_signals, windows, write_array

X = np.random.default_rng(0).normal(size=(6, 10)).astype("float32")
SUFFIXES = [".npy", ".npz", ".csv", ".tsv", ".txt", ".mat", ".v73.mat", ".h5", ".parquet"]


def values(signals) -> np.ndarray:
    return np.asarray(signals)


# -- every format reads the same signals -------------------------------------------------


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_every_format_reads_the_same_signals(tmp_path, suffix):
    path = tmp_path / f"x{suffix}"
    options = write(path, X)
    signals = load_signals(path, **options)
    assert signals.shape == (6, 10, 1)
    np.testing.assert_allclose(values(signals)[:, :, 0], X, rtol=1e-6)
    assert values(signals).dtype == np.float32
    assert signals.file == path
    np.testing.assert_array_equal(signals.row, np.arange(6))


@pytest.mark.parametrize(("suffix", "lazy"), [(".npy", True), (".h5", True), (".npz", False),
                                              (".csv", False), (".parquet", False)])
def test_npy_and_hdf5_stay_on_disk_other_formats_are_read_whole(tmp_path, suffix, lazy):
    path = tmp_path / f"x{suffix}"
    write(path, X)
    assert load_signals(path).lazy is lazy


def test_matlab_v73_is_read_in_matlab_orientation(tmp_path):
    write_mat73(tmp_path / "m.mat", signals=X.T.astype("float64"), fs=np.array([[100.0]]))
    signals = load_signals(tmp_path / "m.mat", key="signals", layout="columns")
    np.testing.assert_allclose(values(signals)[:, :, 0], X, rtol=1e-6)
    assert signals.lazy
    rows = load_signals(tmp_path / "m.mat", key="signals", layout="rows")
    np.testing.assert_allclose(values(rows)[:, :, 0], X.T, rtol=1e-6)


def test_matlab_v4_files_are_read(tmp_path):
    scipy.io.savemat(tmp_path / "v4.mat", {"X": X.astype("float64")}, format="4")
    np.testing.assert_allclose(values(load_signals(tmp_path / "v4.mat", layout="rows"))[:, :, 0], X)


@pytest.mark.parametrize("compress", [False, True])
def test_matlab_v5_files_are_read_by_sigaes_own_parser(tmp_path, compress):
    integers = np.arange(60, dtype="float64").reshape(6, 10)  # MATLAB stores these as uint8
    scipy.io.savemat(tmp_path / "m.mat", {"X": X.astype("float64"), "I": integers,
                                          "note": "text", "cell": np.array([[1, 2]], "object")},
                     do_compression=compress)
    np.testing.assert_allclose(values(load_signals(tmp_path / "m.mat", key="X", layout="rows"))
                               [:, :, 0], X)
    np.testing.assert_array_equal(values(load_signals(tmp_path / "m.mat", key="I",
                                                      layout="rows"))[:, :, 0], integers)
    with pytest.raises(DataError, match=r"has no numeric variable .note.; it holds: X \(6x10 double\); I \(6x10 double\)"):
        load_signals(tmp_path / "m.mat", key="note")


def test_matlab_complex_and_logical_matrices_are_refused(tmp_path):
    scipy.io.savemat(tmp_path / "m.mat", {"Z": X + 1j * X, "B": X > 0})
    with pytest.raises(DataError, match=r"has no numeric variable 'Z'"):
        load_signals(tmp_path / "m.mat", key="Z")
    with pytest.raises(DataError, match=r"boolean"):
        load_signals(tmp_path / "m.mat", key="B", layout="rows")


def test_a_damaged_matlab_type_code_is_refused_without_crashing(tmp_path):
    # This damage made scipy.io.loadmat crash the process (a segmentation fault).
    scipy.io.savemat(tmp_path / "m.mat", {"signals": X})
    data = bytearray((tmp_path / "m.mat").read_bytes())
    position = data.index(b"signals") + 8  # the tag of the values after the name
    data[position] = 0xF9
    (tmp_path / "m.mat").write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"variable 'signals' is damaged \(its values are of "
                       r"unknown storage type 249\)"):
        load_signals(tmp_path / "m.mat", layout="rows")


def test_text_delimiters_are_sniffed_and_comments_skipped(tmp_path):
    lines = ["% exported by an instrument", "# another comment", "a;b;c", "1;2;3", "", "4;5;6"]
    (tmp_path / "semi.csv").write_text("\n".join(lines) + "\n")
    np.testing.assert_array_equal(values(load_signals(tmp_path / "semi.csv"))[:, :, 0],
                                  [[1, 2, 3], [4, 5, 6]])
    (tmp_path / "spaces.txt").write_text("1  2   3\n4 5 6\n")
    assert load_signals(tmp_path / "spaces.txt").shape == (2, 3, 1)
    (tmp_path / "pipes.txt").write_text("1|2|3\n4|5|6\n")
    assert load_signals(tmp_path / "pipes.txt").shape == (2, 3, 1)


def test_a_single_column_or_row_is_one_recording(tmp_path):
    (tmp_path / "column.csv").write_text("value\n" + "\n".join(map(str, range(8))) + "\n")
    signals = load_signals(tmp_path / "column.csv")
    assert signals.shape == (1, 8, 1)
    np.testing.assert_array_equal(values(signals)[0, :, 0], np.arange(8))
    np.save(tmp_path / "vector.npy", np.arange(8.0))
    assert load_signals(tmp_path / "vector.npy").shape == (1, 8, 1)


def test_wav_channels_become_channels_and_pcm_is_scaled(tmp_path):
    pcm = np.array([[0, -32768], [16384, 32767]], dtype="int16")
    scipy.io.wavfile.write(tmp_path / "s.wav", 8000, pcm)
    signals = load_signals(tmp_path / "s.wav")
    assert signals.shape == (1, 2, 2)
    assert signals.sample_rate == 8000.0
    np.testing.assert_allclose(values(signals)[0], [[0, -1], [0.5, 32767 / 32768]])
    scipy.io.wavfile.write(tmp_path / "u8.wav", 100, np.array([0, 128, 255], dtype="uint8"))
    np.testing.assert_allclose(values(load_signals(tmp_path / "u8.wav"))[0, :, 0],
                               [-1, 0, 127 / 128])
    scipy.io.wavfile.write(tmp_path / "f.wav", 100, np.array([0.25, -0.5], dtype="float32"))
    np.testing.assert_allclose(values(load_signals(tmp_path / "f.wav"))[0, :, 0], [0.25, -0.5])


def test_parquet_list_of_lists_holds_channels_and_wide_columns_hold_samples(tmp_path):
    stereo = np.arange(12, dtype="float64").reshape(2, 3, 2)
    pq.write_table(pa.table({"signal": [[list(s) for s in signal] for signal in stereo]}),
                   tmp_path / "stereo.parquet")
    np.testing.assert_array_equal(values(load_signals(tmp_path / "stereo.parquet")), stereo)
    pq.write_table(pa.table({"id": ["a", "b"], "t0": [1.0, 4.0], "t1": [2, 5], "t2": [3.0, 6.0]}),
                   tmp_path / "wide.parquet")
    np.testing.assert_array_equal(values(load_signals(tmp_path / "wide.parquet"))[:, :, 0],
                                  [[1, 2, 3], [4, 5, 6]])


def test_key_chooses_and_a_missing_choice_lists_what_is_there(tmp_path):
    np.savez(tmp_path / "a.npz", train=np.ones((2, 3)), test=np.zeros((2, 3)))
    assert values(load_signals(tmp_path / "a.npz", key="test")).sum() == 0
    with pytest.raises(DataError, match=r"holds 2 numeric arrays \(train \(2x3 float64\); test "
                       r"\(2x3 float64\)\); choose one with --key NAME"):
        load_signals(tmp_path / "a.npz")
    with pytest.raises(DataError, match=r"has no numeric array 'val'; it holds: train"):
        load_signals(tmp_path / "a.npz", key="val")
    with h5py.File(tmp_path / "a.h5", "w") as handle:
        handle["group/a"] = np.ones((2, 3))
        handle["b"] = np.ones((4, 3))
    assert load_signals(tmp_path / "a.h5", key="group/a").shape == (2, 3, 1)
    with pytest.raises(DataError, match=r"holds 2 numeric datasets \(/b \(4x3 float64\); /group/a"):
        load_signals(tmp_path / "a.h5")
    with pytest.raises(DataError, match=r"has no dataset '/c'; it holds: /b, /group/a"):
        load_signals(tmp_path / "a.h5", key="c")


# -- layouts ----------------------------------------------------------------------------


def test_layout_columns_reads_each_column_as_a_signal(tmp_path):
    np.save(tmp_path / "x.npy", X.T)
    np.testing.assert_allclose(values(load_signals(tmp_path / "x.npy", layout="columns"))[:, :, 0], X)


def test_auto_layout_takes_the_orientation_that_gives_the_models_length(tmp_path):
    np.save(tmp_path / "x.npy", X.T)  # (10, 6): ten samples per column
    assert load_signals(tmp_path / "x.npy", length=10).shape == (6, 10, 1)
    assert load_signals(tmp_path / "x.npy", length=6).shape == (10, 6, 1)


def test_ambiguous_orientations_are_refused_naming_the_flag(tmp_path):
    scipy.io.savemat(tmp_path / "m.mat", {"X": X})
    with pytest.raises(DataError, match=r"is a 6x10 matrix, and MATLAB files hold signals as rows "
                       r"or as columns; pass --layout rows \(6 signals of 10 samples\) or "
                       r"--layout columns \(10 signals of 6 samples\)"):
        load_signals(tmp_path / "m.mat")
    np.save(tmp_path / "square.npy", np.ones((4, 4)))
    with pytest.raises(DataError, match=r"square 4x4 matrix fits the model either way; pass "
                       r"--layout rows or --layout columns"):
        load_signals(tmp_path / "square.npy", length=4)


def test_columns_layout_needs_a_matrix(tmp_path):
    np.save(tmp_path / "x3.npy", np.ones((2, 3, 4)))
    with pytest.raises(DataError, match=r"--layout columns applies to 2-D arrays"):
        load_signals(tmp_path / "x3.npy", layout="columns")


# -- windows ----------------------------------------------------------------------------


def test_windows_remember_their_recording_and_start():
    recordings = np.arange(2 * 10, dtype="float32").reshape(2, 10)
    cut = windows(recordings, 4, hop=3)
    assert cut.shape == (6, 4, 1)  # starts 0, 3, 6 in each recording; 9 would run past
    np.testing.assert_array_equal(cut.row, [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(cut.start, [0, 3, 6, 0, 3, 6])
    for signal, row, start in zip(values(cut), cut.row, cut.start, strict=True):
        np.testing.assert_array_equal(signal[:, 0], recordings[row, start : start + 4])


def test_windows_of_a_file_on_disk_stay_lazy_and_read_the_same(tmp_path):
    recording = np.sin(np.arange(1000, dtype="float32") / 7)
    np.save(tmp_path / "long.npy", recording)
    cut = load_signals(tmp_path / "long.npy", window=100, hop=50)
    assert cut.lazy
    assert cut.shape == (19, 100, 1)
    in_memory = windows(recording, 100, hop=50)
    np.testing.assert_array_equal(values(cut), values(in_memory))
    np.testing.assert_array_equal(cut.data[5:7], values(in_memory)[5:7])


@pytest.mark.parametrize(("length", "hop", "message"), [
    (20, None, r"its recordings have 10 samples, fewer than the window of 20. Choose --window 10"),
    (0, None, r"window must be a positive integer"),
    (4, 0, r"hop must be a positive integer"),
])
def test_bad_windows_are_refused(length, hop, message):
    with pytest.raises(DataError, match=message):
        windows(X, length, hop)


# -- outputs keep the source index --------------------------------------------------------


@pytest.mark.parametrize("suffix", [".npz", ".csv", ".parquet", ".h5"])
def test_outputs_keep_the_source_index_and_read_back(tmp_path, suffix):
    codes = np.random.default_rng(1).normal(size=(5, 3)).astype("float32")
    index = (np.array([7, 7, 8, 9, 9]), np.array([0, 50, 0, 0, 50]))
    write_array(tmp_path / f"codes{suffix}", codes, name="codes", index=index, source="rec.wav")
    back = load_signals(tmp_path / f"codes{suffix}")
    np.testing.assert_allclose(values(back)[:, :, 0], codes, rtol=1e-6)
    np.testing.assert_array_equal(back.row, index[0])
    np.testing.assert_array_equal(back.start, index[1])


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".parquet", ".h5"])
def test_multichannel_signals_round_trip(tmp_path, suffix):
    stereo = np.random.default_rng(2).normal(size=(4, 5, 2)).astype("float32")
    write_array(tmp_path / f"s{suffix}", stereo, name="signals")
    np.testing.assert_array_equal(values(load_signals(tmp_path / f"s{suffix}")), stereo)


def test_a_csv_cannot_hold_several_channels_and_nothing_is_written(tmp_path):
    with pytest.raises(DataError, match=r"cannot hold 2 channels; write .npy, .npz, .parquet"):
        write_array(tmp_path / "a.csv", np.ones((2, 3, 2)))
    assert not list(tmp_path.iterdir())


def test_a_failed_write_keeps_the_previous_file(tmp_path):
    from sigae.io import open_writer

    target = tmp_path / "out.npy"
    target.write_bytes(b"precious")
    def fail_half_way():
        with open_writer(target, (4, 3)) as writer:
            writer.write(np.ones((2, 3)))
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        fail_half_way()
    assert target.read_bytes() == b"precious"
    assert list(tmp_path.iterdir()) == [target]


# -- bad input: what, which file, where, how to fix ------------------------------------------


def npy_declaring(path: Path, shape: tuple[int, ...]) -> Path:
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(
            handle, {"descr": "<f4", "fortran_order": False, "shape": shape})
        handle.write(b"\x00" * 64)
    return path


def test_an_absurd_declared_size_is_refused_before_allocating(tmp_path):
    with pytest.raises(DataError, match=r"declares shape \(1000000000000, 501\) \(2004.0 TB\), "
                       r"but the file holds only 64 bytes"):
        load_signals(npy_declaring(tmp_path / "huge.npy", (10**12, 501)))
    with h5py.File(tmp_path / "huge.h5", "w") as handle:
        handle.create_dataset("x", shape=(10**9, 501), dtype="float32", chunks=(1000, 501),
                              compression="gzip")
    with pytest.raises(DataError, match=r"dataset /x declares shape \(1000000000, 501\)"):
        load_signals(tmp_path / "huge.h5")
    wav = tmp_path / "huge.wav"
    scipy.io.wavfile.write(wav, 100, np.zeros(10, dtype="int16"))
    raw = bytearray(wav.read_bytes())
    raw[40:44] = struct.pack("<I", 2**31)
    wav.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"its data chunk declares shape \(2147483648,\)"):
        load_signals(wav)


def test_npz_members_declaring_more_than_they_hold_are_refused(tmp_path):
    import zipfile

    npy_declaring(tmp_path / "member.npy", (10**6, 501))
    with zipfile.ZipFile(tmp_path / "lie.npz", "w") as archive:
        archive.write(tmp_path / "member.npy", "x.npy")
    with pytest.raises(DataError, match=r"array 'x' declares shape \(1000000, 501\)"):
        load_signals(tmp_path / "lie.npz")


def test_pickled_arrays_are_never_loaded(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match=r"o.npy: holds Python objects \(a pickled array\)"):
        load_signals(tmp_path / "o.npy")
    np.savez(tmp_path / "o.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(DataError, match=r"array 'x' holds Python objects"):
        load_signals(tmp_path / "o.npz")


def test_hdf5_links_out_of_the_file_and_virtual_datasets_are_refused(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as handle:
        handle["x"] = np.ones((2, 3))
    with h5py.File(tmp_path / "external.h5", "w") as handle:
        handle["x"] = h5py.ExternalLink("other.h5", "/x")
    with pytest.raises(DataError, match=r"/x is an external link to other.h5:/x; sigae reads one "
                       r"file only"):
        load_signals(tmp_path / "external.h5")
    with pytest.raises(DataError, match=r"external link"):
        load_signals(tmp_path / "external.h5", key="x")
    with h5py.File(tmp_path / "virtual.h5", "w") as handle:
        layout = h5py.VirtualLayout(shape=(2, 3), dtype="float64")
        layout[:] = h5py.VirtualSource("other.h5", "x", shape=(2, 3))
        handle.create_virtual_dataset("v", layout)
    with pytest.raises(DataError, match=r"dataset /v is a virtual dataset, which maps other files"):
        load_signals(tmp_path / "virtual.h5")
    with h5py.File(tmp_path / "soft.h5", "w") as handle:
        handle["dangling"] = h5py.SoftLink("/nowhere")
        handle["y"] = np.ones((2, 3))
    with pytest.raises(DataError, match=r"/dangling is a dangling soft link to /nowhere"):
        load_signals(tmp_path / "soft.h5", key="dangling")
    with h5py.File(tmp_path / "raw.h5", "w") as handle:
        handle.create_dataset("x", shape=(2, 3), dtype="float64",
                              external=[(str(tmp_path / "raw.bin"), 0, 48)])
    with pytest.raises(DataError, match=r"keeps its data in external files"):
        load_signals(tmp_path / "raw.h5")


def bad_files(tmp_path: Path) -> dict[str, tuple[bytes | None, str]]:
    """name -> (content or None for a prepared file, expected message)."""
    return {
        "absent.npy": (None, r"absent.npy: no such file"),
        "empty.csv": (b"", r"empty.csv: is empty \(0 bytes\)"),
        "ragged.csv": (b"1,2,3\n4,5\n", r"ragged.csv: line 2 has 2 values, but the first data "
                       r"line has 3"),
        "words.csv": (b"1,2,3\n4,x,6\n", r"words.csv: line 2, column 2: 'x' is not a number"),
        "header.csv": (b"a,b\n", r"header.csv: holds a header line but no numeric rows"),
        "nan.csv": (b"1,2\n3,nan\n", r"nan.csv: holds 1 NaN or infinite value\(s\), the first at "
                    r"index \(1, 1, 0\)"),
        "latin1.csv": ("1,2\n3,\xe9\n".encode("latin-1"), r"latin1.csv: is not UTF-8 text"),
        "wrong.npy": (b"1,2,3\n", r"wrong.npy: its extension says npy but its content is text; "
                      r"rename it to .csv"),
        "garbage.bin": (b"\x00\x01\x02\xff" * 10, r"garbage.bin: not a file of a format sigae "
                        r"reads"),
        "fake.npz": (b"PK\x03\x04 not really a zip", r"fake.npz: not a valid .npz file"),
        "fake.h5": (b"\x89HDF\r\n\x1a\n" + b"\x00" * 40, r"fake.h5: not a readable HDF5 file"),
        "fake.parquet": (b"PAR1 and nothing else", r"fake.parquet: not a readable Parquet file"),
        "fake.wav": (b"RIFF\x10\x00\x00\x00WAVEfmt ", r"fake.wav: has no data chunk"),
        "fake.mat": (b"MATLAB 5.0 MAT-file" + b"\x00" * 20, r"fake.mat: not a readable MATLAB"),
    }


def test_each_bad_file_is_one_clear_error(tmp_path):
    for name, (content, message) in bad_files(tmp_path).items():
        if content is not None:
            (tmp_path / name).write_bytes(content)
        with pytest.raises(DataError, match=message):
            load_signals(tmp_path / name)
    (tmp_path / "folder").mkdir()
    with pytest.raises(DataError, match=r"folder: holds no files matching"):
        load_signals(tmp_path / "folder")


@pytest.mark.parametrize(("array", "message"), [
    (np.ones((2, 3), dtype=complex), r"holds complex values \(complex128\); sigae takes real"),
    (np.ones((2, 3), dtype=bool), r"holds boolean values"),
    (np.ones((0, 5)), r"holds an empty array of shape \(0, 5\)"),
    (np.ones((3, 0)), r"holds an empty array of shape \(3, 0\)"),
    (np.ones((2, 2, 2, 2)), r"holds an array of shape \(2, 2, 2, 2\)"),
    (np.array(["a", "b"]), r"holds <U1 values; expected real numbers"),
])
def test_arrays_of_the_wrong_kind_are_refused(tmp_path, array, message):
    np.save(tmp_path / "a.npy", array)
    with pytest.raises(DataError, match=message):
        load_signals(tmp_path / "a.npy")


@pytest.mark.parametrize("suffix", [*SUFFIXES, ".wav"])
def test_truncated_files_of_every_format_are_refused_or_read_intact(tmp_path, suffix):
    path = tmp_path / f"x{suffix}"
    if suffix == ".wav":
        scipy.io.wavfile.write(path, 100, (X.reshape(-1) * 1000).astype("int16"))
        options = {}
    else:
        options = write(path, X)
    content = path.read_bytes()
    for cut in (8, len(content) // 2, len(content) - 3):
        path.write_bytes(content[:cut])
        try:
            signals = load_signals(path, **options)
        except DataError:
            continue
        # Text cut inside its last number, or a MATLAB file cut after the signals, is
        # still a valid file: what was read must be what was written.
        got = values(signals)
        assert got.size > 0
        assert np.isfinite(got).all()


def test_nan_in_a_lazy_file_is_found_when_read_with_its_position(tmp_path):
    x = np.ones((10000, 4), dtype="float32")
    x[9000, 3] = np.inf
    np.save(tmp_path / "inf.npy", x)
    signals = load_signals(tmp_path / "inf.npy")  # lazy: not read yet
    from sigae.io import chunks

    with pytest.raises(DataError, match=r"holds at least 1 NaN or infinite value\(s\), the first "
                       r"at index \(9000, 3, 0\)"):
        for _ in chunks(signals.data, 1000, what="inf.npy:"):
            pass


def test_libraries_warnings_do_not_escape(tmp_path):
    scipy.io.wavfile.write(tmp_path / "w.wav", 100, np.zeros(4, dtype="int16"))
    with open(tmp_path / "w.wav", "ab") as handle:  # an unknown chunk after the data
        handle.write(b"junk\x04\x00\x00\x00abcd")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_signals(tmp_path / "w.wav").shape == (1, 4, 1)
