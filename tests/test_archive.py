"""The time-series archive's files: `.ts` and `.arff`, as aeon and sktime write and ship them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sigae.cli import main
from sigae.errors import DataError
from sigae.io import load_signals, read_collection

ARCHIVE = Path(__file__).parent / "data" / "archive"
AEON = np.load(ARCHIVE / "aeon_loaded.npz")


@pytest.mark.parametrize("name", ["written_unequal_missing", "written_regression",
                                  "PickupGestureWiimoteZ_TRAIN", "JapaneseVowels_TRAIN",
                                  "UnitTestTimeStamps_TRAIN"])
def test_a_ts_file_reads_as_aeons_own_loader_reads_it(name):
    collection = read_collection(ARCHIVE / f"{name}.ts")
    expected = [AEON[f"{name}/{i}"] for i in range(len(collection.series))]
    assert f"{name}/{len(expected)}" not in AEON  # as many recordings
    for mine, theirs in zip(collection.series, expected, strict=True):
        np.testing.assert_allclose(mine.T, theirs, rtol=1e-6)  # NaN where missing, too
    labels = AEON[f"{name}/labels"]
    assert np.array_equal(collection.labels, labels.astype(collection.labels.dtype))


def test_an_arff_file_reads_as_aeons_own_loader_reads_it():
    collection = read_collection(ARCHIVE / "BasicMotions_TRAIN.arff")
    for i, series in enumerate(collection.series):
        np.testing.assert_allclose(series.T, AEON[f"BasicMotions_TRAIN_arff/{i}"], rtol=1e-6)
    assert np.array_equal(collection.labels, AEON["BasicMotions_TRAIN_arff/labels"])


@pytest.mark.parametrize("name", ["GunPoint_TRAIN", "BasicMotions_TRAIN"])
def test_the_ts_and_arff_files_of_one_set_hold_the_same_recordings(name):
    ts, arff = (read_collection(ARCHIVE / f"{name}.{kind}") for kind in ("ts", "arff"))
    for a, b in zip(ts.series, arff.series, strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.array_equal(ts.labels, arff.labels)


def test_the_header_is_kept_as_metadata():
    collection = read_collection(ARCHIVE / "JapaneseVowels_TRAIN.ts")
    assert collection.metadata == {
        "problemname": "JapaneseVowels", "timestamps": False, "missing": False,
        "univariate": False, "dimensions": 12, "equallength": False,
        "classlabel": [str(i) for i in range(1, 10)]}
    assert collection.channels == 12
    assert (collection.lengths.min(), collection.lengths.max()) == (7, 26)


def test_missing_values_are_nan_and_regression_targets_are_numbers():
    missing = read_collection(ARCHIVE / "written_unequal_missing.ts")
    assert np.isnan(missing.series[1][3, 0])
    assert np.isnan(missing.series[3][0, 1])
    assert int(sum(np.isnan(s).sum() for s in missing.series)) == 2
    regression = read_collection(ARCHIVE / "written_regression.ts")
    assert regression.labels.dtype == np.float64
    assert regression.labels[0] == pytest.approx(-1.283)


@pytest.mark.parametrize(("name", "shape"), [
    ("GunPoint_TRAIN.ts", (50, 150, 1)), ("GunPoint_TRAIN.arff", (50, 150, 1)),
    ("BasicMotions_TRAIN.ts", (40, 100, 6)), ("BasicMotions_TRAIN.arff", (40, 100, 6)),
])
def test_equal_length_files_load_as_signals(name, shape):
    signals = load_signals(ARCHIVE / name)
    assert signals.shape == shape
    np.testing.assert_array_equal(signals.data, np.stack(read_collection(ARCHIVE / name).series))


def test_recordings_of_different_lengths_are_resampled_unless_windows_are_asked_for():
    signals = load_signals(ARCHIVE / "PickupGestureWiimoteZ_TRAIN.ts")
    assert signals.shape == (50, 136, 1)
    assert signals.note.startswith("resampled 50 recordings of 29 to 361 samples")
    assert load_signals(ARCHIVE / "PickupGestureWiimoteZ_TRAIN.ts", length=100).shape[1] == 100
    with pytest.raises(DataError, match=r"PickupGestureWiimoteZ_TRAIN.ts: lengths='window' "
                       r"needs a window length \(--window LENGTH, at most 29\)"):
        load_signals(ARCHIVE / "PickupGestureWiimoteZ_TRAIN.ts", lengths="window")


def test_windows_of_recordings_of_different_lengths_trace_back_to_them():
    recordings = read_collection(ARCHIVE / "PickupGestureWiimoteZ_TRAIN.ts").series
    signals = load_signals(ARCHIVE / "PickupGestureWiimoteZ_TRAIN.ts", window=29, hop=10)
    expected = sum((len(r) - 29) // 10 + 1 for r in recordings)
    assert signals.shape == (expected, 29, 1)
    for i in (0, 17, expected - 1):
        row, start = signals.row[i], signals.start[i]
        np.testing.assert_array_equal(signals.data[i], recordings[row][start:start + 29])
    with pytest.raises(DataError, match="2 of 50 recordings are shorter than the window of 40"):
        load_signals(ARCHIVE / "PickupGestureWiimoteZ_TRAIN.ts", window=40)


def test_missing_values_in_signals_are_refused_with_where_they_are():
    with pytest.raises(DataError, match=r"written_unequal_missing\.ts: .*NaN"):
        load_signals(ARCHIVE / "written_unequal_missing.ts", window=8)


HEADER = "@problemName t\n@timeStamps false\n@univariate true\n@classLabel true a b\n@data\n"


@pytest.mark.parametrize(("text", "message"), [
    (HEADER + "1,2,x,4:a\n", "line 6, column 5: 'x' is not a number"),
    (HEADER + "1,2,3:c\n", "line 6, column 7: class label 'c' is not one of the @classLabel "
     "values (a, b)"),
    (HEADER + "1,2:3,4:a\n", "line 6: holds 2 dimensions, but the header says 1"),
    ("@problemName t\n@timeStamps maybe\n@data\n1:a\n", "line 2, column 13: @timestamps "
     "expects true or false, found 'maybe'"),
    ("@problemName t\n@colour red\n@data\n", "line 2, column 1: unknown header '@colour'"),
    ("@problemName t\n@univariate true\n", "has no @data line"),
    ("@problemName t\n1,2,3\n", "line 2, column 1: expected a header line"),
    ("@equalLength true\n@classLabel false\n@data\n1,2,3\n1,2\n",
     "line 5: holds 2 values per dimension, but @equalLength is true and the first series "
     "holds 3"),
    ("@seriesLength 3\n@classLabel false\n@data\n1,2\n", "line 4: holds 2 values per "
     "dimension, but @seriesLength says 3"),
    ("@univariate false\n@classLabel false\n@data\n1,2:3\n", "line 4: its dimensions hold "
     "different numbers of values (2, 1)"),
    ("@classLabel true a\n@data\n1,2\n", "line 3: expected the series and a label"),
    ("@targetLabel true\n@data\n1,2:high\n", "line 3, column 5: the target 'high' is not a "
     "number"),
    (HEADER, "holds no series after @data"),
])
def test_a_damaged_ts_file_gives_one_line_saying_where_and_what(tmp_path, text, message):
    path = tmp_path / "bad.ts"
    path.write_text(text)
    with pytest.raises(DataError) as caught:
        load_signals(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}: ")
    assert "\n" not in str(caught.value)


ARFF = "@relation r\n@attribute a0 numeric\n@attribute a1 numeric\n@attribute c {x,y}\n@data\n"


@pytest.mark.parametrize(("text", "message"), [
    (ARFF + "1,2,z\n", "line 6, column 5: class label 'z' is not one of"),
    (ARFF + "1,q,x\n", "line 6, column 3: 'q' is not a number"),
    (ARFF + "1,2,3,x\n", "the rows hold 3 values, but 2 attributes are declared"),
    ("@relation r\n@attribute s relational\n@end s\n@attribute c {x}\n@data\n1,2,x\n",
     "line 6, column 1: expected the channels as one quoted string"),
    ("@relation r\n@attribute a0 numeric\n@attribute c {x}\n", "has no @data line"),
    ("@relation r\nfoo\n", "line 2, column 1: expected @relation, @attribute or @data"),
])
def test_a_damaged_arff_file_gives_one_line_saying_where_and_what(tmp_path, text, message):
    path = tmp_path / "bad.arff"
    path.write_text(text)
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        load_signals(path)


def test_a_long_comment_before_the_header_still_reads_as_ts(tmp_path):
    path = tmp_path / "commented.ts"
    path.write_text("#" + "x" * 3000 + "\n" + HEADER + "1,2,3:a\n4,5,6:b\n")
    assert load_signals(path).shape == (2, 3, 1)
    renamed = tmp_path / "commented.txt"
    renamed.write_text(HEADER + "1,2,3:a\n")
    with pytest.raises(DataError, match=r"its extension says text but its content is a \.ts"):
        load_signals(renamed)


def test_the_study_tools_read_a_ts_file_and_its_labels(model_file, tmp_path, capsys):
    from conftest import signals
    from sigae.io.archive import write_ts

    data = tmp_path / "x.ts"
    write_ts(data, list(signals(40, seed=2)), labels=np.arange(40) % 2)
    assert main(["latent", "probe", str(model_file), str(data), "--labels", str(data),
                 "--out", str(tmp_path / "probe")]) == 0
    assert "2 classes; 28 training and 12 test signals" in capsys.readouterr().out


def test_labels_of_recordings_go_to_each_of_their_windows(tmp_path, capsys):
    from sigae.cli.labels import read_labels

    data = ARCHIVE / "PickupGestureWiimoteZ_TRAIN.ts"
    windows = load_signals(data, window=29, hop=29)
    labels, name = read_labels(data, None, windows)
    recordings = read_collection(data).labels
    assert name == "class"
    assert np.array_equal(labels, recordings[windows.row])


# -- recordings of different lengths ----------------------------------------------------------


def test_recordings_of_one_length_are_stacked_as_they_are():
    from sigae.io import recordings

    series = [np.arange(5.0), np.arange(5.0) + 1]
    signals = recordings(series)
    assert signals.shape == (2, 5, 1)
    assert signals.lengths is None
    assert signals.note is None


def test_recordings_of_different_lengths_are_resampled_to_their_median_and_back():
    from sigae.io import recordings

    ramps = [np.linspace(0, 1, n)[:, None] * [1, -1] for n in (5, 9, 17)]
    signals = recordings(ramps)
    assert signals.shape == (3, 9, 2)
    np.testing.assert_allclose(signals.data[0], np.linspace(0, 1, 9)[:, None] * [1, -1],
                               atol=1e-6)  # a ramp resampled is the same ramp
    assert signals.note == "resampled 3 recordings of 5 to 17 samples to 9 samples (their " \
                           "median length)"
    back = signals.restore(signals.data)
    for original, restored in zip(ramps, back, strict=True):
        np.testing.assert_allclose(restored, original, atol=1e-6)
    assert recordings(ramps, length=33).shape == (3, 33, 2)


def test_recordings_cut_into_windows_trace_back_to_their_recording():
    from sigae.io import recordings

    signals = recordings([np.arange(10.0), np.arange(7.0)], lengths="window", window=4, hop=3)
    assert signals.row.tolist() == [0, 0, 0, 1, 1]
    assert signals.start.tolist() == [0, 3, 6, 0, 3]
    assert signals.note == "cut 2 recordings of 7 to 10 samples into 5 windows of 4 samples every 3"
    with pytest.raises(DataError, match="lengths='window' needs a window length"):
        recordings([np.arange(10.0), np.arange(7.0)], lengths="window")
    with pytest.raises(DataError, match="different numbers of channels"):
        recordings([np.zeros((4, 1)), np.zeros((4, 2))])


def test_a_model_fitted_on_resampled_recordings_says_so_after_loading(tmp_path):
    import sigae
    import sigae.io
    from conftest import LENGTH, tiny_config

    # The shapes of the session's tiny model, whose compiled step is cached already.
    rng = np.random.default_rng(3)
    signals = sigae.io.recordings([rng.normal(size=n) for n in rng.integers(30, 70, 60)],
                                  length=LENGTH)
    assert signals.lengths is not None
    model = sigae.SignalAutoencoder(tiny_config())
    model.fit(signals, epochs=1, batch_size=16, seed=0, verbose=0, augment="none")
    assert model.learned.length_policy == "resample"
    model.save(tmp_path / "m.sigae")
    assert sigae.load(tmp_path / "m.sigae").learned.length_policy == "resample"


def test_a_ts_file_written_by_sigae_reads_back_exactly(tmp_path):
    from sigae.io.archive import write_ts

    series = [np.random.default_rng(0).normal(size=(n, 2)).astype("float32") for n in (3, 6)]
    series[1][2, 1] = np.nan
    write_ts(tmp_path / "out.ts", series, labels=np.array(["a", "b"]))
    collection = read_collection(tmp_path / "out.ts")
    for a, b in zip(collection.series, series, strict=True):
        np.testing.assert_array_equal(a, b)
    assert collection.labels.tolist() == ["a", "b"]
    assert collection.metadata["missing"] is True


def test_train_encode_and_reconstruct_an_unequal_ts_file(tmp_path, capsys):
    data = ARCHIVE / "PickupGestureWiimoteZ_TRAIN.ts"
    model = tmp_path / "m.sigae"
    assert main(["train", str(data), "--out", str(model), "--epochs", "1", "--latent-dim",
                 "3", "--augment", "none", "--seed", "0", "--quiet"]) == 0
    assert "resampled 50 recordings of 29 to 361 samples to 136 samples (their median " \
           "length)" in capsys.readouterr().out
    assert main(["encode", str(model), str(data), "--out", str(tmp_path / "codes.npy")]) == 0
    assert np.load(tmp_path / "codes.npy").shape == (50, 3)  # one code per recording
    assert main(["reconstruct", str(model), str(data), "--out", str(tmp_path / "r.ts")]) == 0
    assert "each at its own length (29 to 361 samples)" in capsys.readouterr().out
    restored = read_collection(tmp_path / "r.ts")
    assert restored.lengths.tolist() == read_collection(data).lengths.tolist()
    assert main(["reconstruct", str(model), str(data), "--out", str(tmp_path / "r.npy")]) == 2
    assert "write them to a .ts or .npz file" in capsys.readouterr().err


# -- files larger than memory: read as their rows are -----------------------------------------


@pytest.mark.parametrize("name", ["GunPoint_TRAIN.ts", "PickupGestureWiimoteZ_TRAIN.ts",
                                  "JapaneseVowels_TRAIN.ts", "UnitTestTimeStamps_TRAIN.ts"])
def test_a_large_ts_file_is_read_lazily_and_gives_the_same_signals(monkeypatch, name):
    import sigae.io.archive

    whole = load_signals(ARCHIVE / name)
    monkeypatch.setattr(sigae.io.archive, "LAZY_BYTES", 0)
    lazy = load_signals(ARCHIVE / name)
    assert lazy.lazy
    assert lazy.shape == whole.shape
    np.testing.assert_array_equal(np.asarray(lazy.data), np.asarray(whole.data))
    np.testing.assert_array_equal(lazy.data[3:7], np.asarray(whole.data)[3:7])
    assert (lazy.lengths is None) == (whole.lengths is None)


def test_a_damaged_line_of_a_lazily_read_ts_file_is_named_when_read(monkeypatch, tmp_path):
    import sigae.io.archive

    monkeypatch.setattr(sigae.io.archive, "LAZY_BYTES", 0)
    path = tmp_path / "late.ts"
    path.write_text(HEADER + "1,2,3:a\n" * 5 + "1,oops,3:a\n")
    signals = load_signals(path)
    assert np.asarray(signals.data[:5]).shape == (5, 3, 1)
    with pytest.raises(DataError, match=r"late\.ts: line 11, column 3: 'oops' is not a number"):
        signals.data[5:6]
