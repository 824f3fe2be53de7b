"""Folders of one recording per file: read in order, names kept in every output."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
import scipy.io.wavfile

from sigae.cli import main
from sigae.errors import DataError
from sigae.io import load_signals, write_array


@pytest.fixture
def folder(tmp_path):
    """Five recordings of 40 to 56 samples in three formats, and a file sigae does not read."""
    rng = np.random.default_rng(0)
    recordings = {"b.wav": rng.normal(0, 0.1, 48), "a.npy": rng.normal(size=40),
                  "c.csv": rng.normal(size=56), "d.npy": rng.normal(size=48),
                  "e, with comma.npy": rng.normal(size=44)}
    for name, values in recordings.items():
        path = tmp_path / "recordings" / name
        path.parent.mkdir(exist_ok=True)
        if name.endswith(".wav"):
            scipy.io.wavfile.write(path, 100, values.astype("float32"))
        elif name.endswith(".csv"):
            np.savetxt(path, values[:, None])
        else:
            np.save(path, values.astype("float32"))
    (tmp_path / "recordings" / "notes.md").write_text("not a recording")
    return tmp_path / "recordings", recordings


def test_every_known_file_is_one_recording_in_sorted_order(folder):
    path, recordings = folder
    signals = load_signals(path, lengths="window", window=40, hop=100)
    assert signals.names == ("a.npy", "b.wav", "c.csv", "d.npy", "e, with comma.npy")
    for i, name in enumerate(signals.names):
        np.testing.assert_allclose(signals.data[i, :, 0], recordings[name][:40], rtol=1e-6)
    assert signals.row_names.tolist() == list(signals.names)


def test_a_folder_of_different_lengths_is_resampled_and_says_so(folder):
    signals = load_signals(folder[0])
    assert signals.shape == (5, 48, 1)
    assert signals.note == ("resampled 5 recordings of 40 to 56 samples to 48 samples (their "
                            "median length)")


def test_a_glob_picks_the_files(folder):
    signals = load_signals(folder[0], pattern="*.npy")
    assert signals.names == ("a.npy", "d.npy", "e, with comma.npy")


def test_a_folder_without_known_files_says_what_it_reads(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"empty: holds no files matching '\*' of a format "
                       r"sigae reads \(\.npy, \.npz"):
        load_signals(tmp_path / "empty")


@pytest.mark.parametrize("suffix", [".csv", ".npz", ".parquet", ".h5"])
def test_outputs_keep_the_file_names_as_row_names(tmp_path, suffix):
    names = np.array(["a.wav", "b, c.wav"])
    out = tmp_path / f"codes{suffix}"
    write_array(out, np.ones((2, 3)), name="codes", names=names)
    if suffix == ".csv":
        assert out.read_text().splitlines()[:2] == ["source_row,source_start,source_name,z0,z1,z2",
                                                     "0,0,a.wav,1,1,1"]
        assert '"b, c.wav"' in out.read_text()
    elif suffix == ".npz":
        assert np.load(out)["source_name"].tolist() == names.tolist()
    elif suffix == ".parquet":
        assert pq.read_table(out).column("source_name").to_pylist() == names.tolist()
    else:
        import h5py

        with h5py.File(out) as file:
            assert [v.decode() for v in file["source_name"][:]] == names.tolist()
    again = load_signals(out)  # the names are provenance, not values
    assert again.shape[:2] == (2, 3)
    np.testing.assert_array_equal(np.asarray(again.data)[:, :, 0], np.ones((2, 3)))


def test_train_encode_and_score_a_folder_with_names_in_the_outputs(folder, tmp_path, capsys):
    path, _ = folder
    model = tmp_path / "m.sigae"
    assert main(["train", str(path), "--out", str(model), "--epochs", "1", "--latent-dim", "2",
                 "--augment", "none", "--seed", "0", "--quiet", "--validation-split",
                 "0.4", "--force"]) == 0
    assert main(["encode", str(model), str(path), "--out", str(tmp_path / "codes.csv")]) == 0
    lines = (tmp_path / "codes.csv").read_text().splitlines()
    assert lines[0] == "source_row,source_start,source_name,z0,z1"
    assert [line.split(",")[2] for line in lines[1:5]] == ["a.npy", "b.wav", "c.csv", "d.npy"]
    assert main(["decode", str(model), str(tmp_path / "codes.csv"), "--out",
                 str(tmp_path / "decoded.npy")]) == 0
    assert np.load(tmp_path / "decoded.npy").shape == (5, 48, 1)
    assert main(["score", str(model), str(path), "--out", str(tmp_path / "scores.csv"),
                 "--threshold", "1"]) == 0
    assert (tmp_path / "scores.csv").read_text().splitlines()[0].startswith(
        "source_row,source_start,source_name,mse")
    capsys.readouterr()


def test_an_npz_of_several_one_dimensional_arrays_is_a_collection_of_recordings(tmp_path):
    np.savez(tmp_path / "two.npz", first=np.arange(100.0), second=np.arange(120.0))
    signals = load_signals(tmp_path / "two.npz")
    assert signals.names == ("first", "second")
    assert signals.shape == (2, 110, 1)
    np.testing.assert_allclose(signals.restore(signals.data)[1][:, 0], np.arange(120.0),
                               atol=1e-4)
    np.savez(tmp_path / "tables.npz", x=np.zeros((3, 4)), y=np.zeros((2, 4)))
    with pytest.raises(DataError) as caught:
        load_signals(tmp_path / "tables.npz")
    assert str(caught.value) == (f"{tmp_path / 'tables.npz'}: holds 2 numeric arrays (x (3x4 "
                                 "float64); y (2x4 float64)); choose one with --key NAME.")


def test_a_large_folder_is_read_file_by_file_and_gives_the_same_signals(folder, monkeypatch):
    import sigae.io.archive

    whole = load_signals(folder[0])
    monkeypatch.setattr(sigae.io.archive, "LAZY_BYTES", 0)
    lazy = load_signals(folder[0])
    assert lazy.lazy
    assert lazy.names == whole.names
    assert lazy.note.startswith(whole.note)
    np.testing.assert_allclose(np.asarray(lazy.data), np.asarray(whole.data), rtol=1e-6)


def test_the_explorer_names_each_point_by_its_file(folder, trained):
    from sigae.explore.session import ExploreSession

    signals = load_signals(folder[0], length=trained.config.length)
    answer = ExploreSession(trained, signals, projection="pca").map()
    assert answer["name"] == ["a.npy", "b.wav", "c.csv", "d.npy", "e, with comma.npy"]
