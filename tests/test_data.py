"""Reading and writing .npy, .npz and .csv: round trips and refusals."""

from __future__ import annotations

import numpy as np
import pytest

from sigae import DataError
from sigae.data import read_array, write_array


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".csv"])
def test_round_trip_by_extension(tmp_path, suffix):
    array = np.random.default_rng(0).normal(size=(5, 9)).astype("float32")
    write_array(tmp_path / f"a{suffix}", array)
    np.testing.assert_allclose(read_array(tmp_path / f"a{suffix}"), array, rtol=1e-6)


def test_three_dimensional_arrays_keep_their_channels(tmp_path):
    array = np.ones((4, 6, 3), "float32")
    write_array(tmp_path / "a.npy", array)
    assert read_array(tmp_path / "a.npy").shape == (4, 6, 3)


def test_csv_takes_one_signal_per_row_and_skips_a_header(tmp_path):
    (tmp_path / "a.csv").write_text("t0,t1,t2\n1,2,3\n4,5,6\n\n")
    np.testing.assert_array_equal(read_array(tmp_path / "a.csv"), [[1, 2, 3], [4, 5, 6]])


def test_npz_key_chooses_among_several_arrays(tmp_path):
    np.savez(tmp_path / "a.npz", train=np.ones((2, 3)), test=np.zeros((2, 3)))
    assert read_array(tmp_path / "a.npz", key="test").sum() == 0
    with pytest.raises(DataError, match=r"holds 2 arrays \(train, test\); choose one with --key"):
        read_array(tmp_path / "a.npz")
    with pytest.raises(DataError, match=r"has no array 'val'; it holds train, test"):
        read_array(tmp_path / "a.npz", key="val")


def test_an_object_npy_is_never_unpickled(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match=r"holds Python objects \(a pickled array\)"):
        read_array(tmp_path / "o.npy")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("1,2,3\n4,x,6\n", r"line 2, column 2: 'x' is not a number"),
        ("1,2,3\n4,5\n", r"line 2 has 2 values, but the first row has 3"),
        ("a,b\n", r"holds no numeric rows"),
        ("1,nan,3\n", r"1 NaN or infinite value\(s\), the first at index \(0, 1\)"),
    ],
)
def test_bad_csv_is_refused_with_its_position(tmp_path, content, message):
    (tmp_path / "bad.csv").write_text(content)
    with pytest.raises(DataError, match=message):
        read_array(tmp_path / "bad.csv")


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.ones(5), r"shape \(5,\); expected \(n_signals, length\)"),
        (np.ones((0, 5)), r"empty array"),
        (np.ones((2, 3), dtype=complex), r"holds complex128 values; expected real numbers"),
        (np.ones((2, 3), dtype=bool), r"holds bool values"),
    ],
)
def test_arrays_of_the_wrong_kind_are_refused(tmp_path, array, message):
    np.save(tmp_path / "a.npy", array)
    with pytest.raises(DataError, match=message):
        read_array(tmp_path / "a.npy")


def test_missing_directory_unknown_and_corrupt_files_are_refused(tmp_path):
    with pytest.raises(DataError, match=r"no such file"):
        read_array(tmp_path / "absent.npy")
    with pytest.raises(DataError, match=r"is a directory"):
        read_array(tmp_path)
    (tmp_path / "a.mat").write_bytes(b"MATLAB")
    with pytest.raises(DataError, match=r"unknown data format '.mat'"):
        read_array(tmp_path / "a.mat")
    (tmp_path / "c.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(DataError, match=r"not a valid .npy file"):
        read_array(tmp_path / "c.npy")


def test_csv_cannot_hold_several_channels(tmp_path):
    with pytest.raises(DataError, match=r"write .npy or .npz instead"):
        write_array(tmp_path / "a.csv", np.ones((2, 3, 2)))
    assert not list(tmp_path.iterdir())
