"""The first hour of a new user: mistakes get one line in the command line's own words, and
what was probably meant."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from sigae.cli import main
from sigae.cli.labels import read_labels
from sigae.errors import DataError
from sigae.io import Signals


def refused(argv, capsys) -> str:
    """The one line `argv` is refused with (exit 2)."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exit:
        code = exit.code
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    return err


def test_a_mistyped_option_gets_its_command_and_the_closest_option(capsys, tmp_path):
    err = refused(["train", tmp_path / "x.npy", "--out", tmp_path / "m.sigae", "--epohcs", 3],
                  capsys)
    assert "sigae train: error: unrecognized arguments: --epohcs 3; did you mean --epochs?" in err
    assert "(see sigae train --help)" in err
    err = refused(["latent", "stats", "m.sigae", "x.npy", "--out", "d", "--batch-sise", 4],
                  capsys)
    assert "sigae latent stats: error:" in err
    assert "did you mean --batch-size?" in err


def test_options_that_exclude_each_other_are_refused_together(capsys):
    err = refused(["score", "m.sigae", "x.npy", "--out", "s.csv", "--threshold", "0.1",
                   "--percentile", "90"], capsys)
    assert "argument --percentile: not allowed with argument --threshold" in err


def test_a_keras_file_where_a_sigae_model_is_expected_points_to_adopt(capsys, tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    for name in ("k.keras", "k.h5"):
        model.save(tmp_path / name)
        err = refused(["info", tmp_path / name], capsys)
        assert f"{tmp_path / name}: not a sigae model file" in err
        assert "it is a Keras model file (HDF5 or .keras): make a sigae model of it with " \
               "`sigae adopt FILE --out MODEL.sigae`" in err


def test_library_errors_are_said_with_the_command_line_options(capsys, tmp_path):
    np.save(tmp_path / "one.npy", np.random.default_rng(0).normal(size=(1, 300)))
    err = refused(["train", tmp_path / "one.npy", "--out", tmp_path / "m.sigae", "--force"],
                  capsys)
    assert "--validation-split 0.2 leaves no signals for validation out of 1" in err
    assert "cut into windows: --window" in err
    assert "another --validation-split, or --validation-data." in err
    assert "validation_split" not in err
    assert not (tmp_path / "m.sigae").exists()


def signals(n: int) -> Signals:
    return Signals.of(np.zeros((n, 8, 1), "float32"))


@pytest.mark.parametrize("lines", [["0", "1", "1", "0", "2"], ["cat", "dog", "cat", "cat",
                                                               "dog"]])
def test_a_label_file_without_a_header_line_is_recognised(tmp_path, lines):
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(lines) + "\n")
    values, name = read_labels(path, None, signals(5))
    assert [str(v).removesuffix(".0") for v in values] == lines
    assert name == "labels"


def test_a_header_line_is_said_when_the_rows_do_not_match(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("kind\ncat\ndog\ncat\n")
    assert list(read_labels(path, None, signals(3))[0]) == ["cat", "dog", "cat"]
    with pytest.raises(DataError, match=r"has 3 label rows below its header line \('kind'\) "
                       r"but the data has 4 signals"):
        read_labels(path, None, signals(4))


@pytest.fixture(scope="module")
def model64(tmp_path_factory):
    import sigae

    folder = tmp_path_factory.mktemp("model64")
    x = np.random.default_rng(0).normal(size=(60, 64, 1)).astype("float32")
    model = sigae.SignalAutoencoder(sigae.ModelConfig(length=64, latent_dim=3), seed=0)
    model.fit(x, epochs=1, seed=0, verbose=0)
    model.save(folder / "m.sigae")
    np.save(folder / "len50.npy", x[:10, :50])
    return folder


@pytest.mark.parametrize("policy", ["resample", "pad"])
def test_lengths_makes_signals_of_another_length_the_models(model64, policy, capsys, tmp_path):
    code = main(["encode", str(model64 / "m.sigae"), str(model64 / "len50.npy"), "--out",
                 str(tmp_path / "c.npy"), "--lengths", policy])
    out = capsys.readouterr().out
    assert code == 0
    assert f"{'resampled' if policy == 'resample' else 'padded'} 10 recordings of 50 to 50 " \
           "samples to 64 samples (the model's length)" in out
    assert np.load(tmp_path / "c.npy").shape == (10, 3)


def test_without_lengths_the_error_names_the_option(model64, capsys, tmp_path):
    err = refused(["encode", model64 / "m.sigae", model64 / "len50.npy", "--out",
                   tmp_path / "c.npy"], capsys)
    assert "holds signals of length 50, but the model takes length 64. Make them that long " \
           "with --lengths resample or pad" in err
    assert not (tmp_path / "c.npy").exists()


def test_an_array_in_pytorchs_layout_is_refused_or_read_as_asked(capsys, tmp_path):
    x = np.random.default_rng(0).normal(size=(40, 3, 64)).astype("float32")
    np.save(tmp_path / "chfirst.npy", x)
    err = refused(["train", tmp_path / "chfirst.npy", "--out", tmp_path / "m.sigae"], capsys)
    assert "holds signals of 3 samples with 64 channels each; an array (n, channels, length) " \
           "as PyTorch keeps them is read with --layout channels-first (40 signals of 64 " \
           "samples, 3 channels)" in err
    assert not (tmp_path / "m.sigae").exists()
    from sigae.io import load_signals

    read = load_signals(tmp_path / "chfirst.npy", layout="channels-first")
    assert read.shape == (40, 64, 3)
    assert np.array_equal(np.asarray(read.data), np.swapaxes(x, 1, 2))
    assert load_signals(tmp_path / "chfirst.npy", layout="rows").shape == (40, 3, 64)
    np.save(tmp_path / "flat.npy", x[:, 0])
    with pytest.raises(DataError, match="--layout channels-first applies to 3-D arrays"):
        load_signals(tmp_path / "flat.npy", layout="channels-first")


def sheet(path, rows: int = 2000):
    """A spreadsheet-style table: a time column and two sensors, one row per sample."""
    rng = np.random.default_rng(0)
    table = np.c_[np.arange(rows) / 100, rng.normal(size=(rows, 2))]
    np.savetxt(path, table, delimiter=",", header="time,a,b", comments="")
    return table


def test_a_spreadsheet_read_as_many_tiny_signals_is_refused(capsys, tmp_path):
    sheet(tmp_path / "sheet.csv")
    err = refused(["train", tmp_path / "sheet.csv", "--out", tmp_path / "m.sigae"], capsys)
    assert "--latent-dim 16 is at least the 2 values of one signal (length 2 x 1 channel(s))" \
        in err
    assert "read it so with --layout channels and cut it into windows with --window LENGTH" \
        in err
    assert not (tmp_path / "m.sigae").exists()


def test_a_spreadsheet_read_as_one_recording_of_channels_trains_and_says_so(capsys,
                                                                            tmp_path):
    sheet(tmp_path / "sheet.csv")
    code = main([str(a) for a in ["train", tmp_path / "sheet.csv", "--out",
                                  tmp_path / "m.sigae", "--layout", "channels", "--window", 32,
                                  "--hop", 16, "--latent-dim", 4, "--epochs", 1, "--quiet"]])
    out = capsys.readouterr().out
    assert code == 0
    assert "sheet.csv: left out column 'time', a time or an ID by its name (--columns names " \
           "the columns to read)" in out
    assert "on 124 signals of length 32 x 2 channel(s)" in out


def test_columns_are_chosen_by_name_or_number_and_an_id_column_is_left_out(tmp_path):
    from sigae.io import load_signals

    table = sheet(tmp_path / "sheet.csv", rows=50)
    by_name = load_signals(tmp_path / "sheet.csv", columns=["b", "time"], layout="channels")
    by_number = load_signals(tmp_path / "sheet.csv", columns=["3", "1"], layout="channels")
    np.testing.assert_allclose(np.asarray(by_name)[0], table[:, [2, 0]], rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(by_name), np.asarray(by_number))
    assert by_name.note is None  # nothing left out that was not asked for
    (tmp_path / "ids.csv").write_text("id,x1,x2,x3\ns01,1,2,3\ns02,4,5,6\n")
    read = load_signals(tmp_path / "ids.csv")
    assert np.asarray(read)[:, :, 0].tolist() == [[1, 2, 3], [4, 5, 6]]
    assert read.note.startswith("left out column 'id'")
    with pytest.raises(DataError, match=r"has no column 'c'; its columns are time, a, b "
                       r"\(choose them by name, or by number counting from 1\)"):
        load_signals(tmp_path / "sheet.csv", columns=["c"])


def test_a_column_that_is_not_numbers_is_named_with_how_to_leave_it_out(capsys, tmp_path):
    (tmp_path / "subjects.csv").write_text("subject,x1,x2,x3\ns01,1,2,3\ns02,4,5,6\n")
    err = refused(["train", tmp_path / "subjects.csv", "--out", tmp_path / "m.sigae"], capsys)
    assert "line 2, column 1 ('subject'): 's01' is not a number. Fix the cell, or leave its " \
           "column out (--columns names the columns to read)." in err


def test_a_tables_columns_mean_the_same_in_a_file_and_in_a_folder(tmp_path):
    from sigae.io import load_signals

    folder = tmp_path / "sheets"
    folder.mkdir()
    sheet(folder / "one.csv", rows=300)
    for layout in ("channels", "columns"):
        alone = load_signals(folder / "one.csv", layout=layout)
        in_folder = load_signals(folder, layout=layout)
        np.testing.assert_array_equal(np.asarray(alone), np.asarray(in_folder))
        assert in_folder.note == f"each file: {alone.note}"
    assert load_signals(folder).shape == load_signals(folder / "one.csv",
                                                      layout="channels").shape == (1, 300, 2)


def test_codes_of_the_wrong_width_are_said_as_codes(model64, capsys, tmp_path):
    np.save(tmp_path / "codes.npy", np.zeros((5, 8), "float32"))
    err = refused(["decode", model64 / "m.sigae", tmp_path / "codes.npy", "--out",
                   tmp_path / "x.npy"], capsys)
    assert "codes.npy: holds codes of 8 values each; this model's codes have 3 (its " \
           "latent_dim): give one row of 3 numbers per signal, as sigae encode writes them." \
        in err
    assert not (tmp_path / "x.npy").exists()


def test_too_few_signals_are_refused_with_what_a_result_needs(capsys, tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "five.npy", rng.normal(size=(5, 32)).astype("float32"))
    err = refused(["train", tmp_path / "five.npy", "--out", tmp_path / "m.sigae"], capsys)
    assert "five.npy: 5 signals leave 4 for training and 1 for validation; a result needs at " \
           "least 32 training signals (10, or twice --latent-dim where that is more) and 10 " \
           "validation signals" in err
    assert "or train anyway with --force" in err
    folder = tmp_path / "recordings"
    folder.mkdir()
    for i in range(12):
        np.save(folder / f"r{i:02d}.npy", rng.normal(size=200).astype("float32"))
    err = refused(["train", folder, "--out", tmp_path / "m.sigae", "--latent-dim", "4"], capsys)
    assert "12 signals leave 10 for training and 2 for validation" in err
    assert not (tmp_path / "m.sigae").exists()


@pytest.fixture(scope="module")
def forced(tmp_path_factory):
    """A model trained with --force on 12 signals: 10 for training, 2 for validation."""
    folder = tmp_path_factory.mktemp("forced")
    np.save(folder / "x.npy", np.random.default_rng(1).normal(size=(12, 32)).astype("float32"))
    code = main([str(a) for a in ["train", folder / "x.npy", "--out", folder / "m.sigae",
                                  "--latent-dim", "2", "--epochs", "1", "--augment", "none",
                                  "--force", "--quiet"]])
    assert code == 0
    return folder


CAVEAT = ("trained on 10 signals and validated on 2; a result needs at least 10 training "
          "signals (10, or twice the latent size 2 where that is more) and 10 validation "
          "signals: its errors and its comparison with PCA mean little")


def test_a_forced_model_says_its_warning_wherever_it_is_shown(forced, capsys, tmp_path):
    import sigae

    model = sigae.load(forced / "m.sigae")
    assert model.learned.caveats == (CAVEAT,)
    assert f"<th>warning</th><td>{CAVEAT}</td>" in model._repr_html_()
    assert main(["info", str(forced / "m.sigae")]) == 0
    assert f"WARNING: {CAVEAT}" in capsys.readouterr().out
    assert main(["score", str(forced / "m.sigae"), str(forced / "x.npy"), "--out",
                 str(tmp_path / "s.csv"), "--threshold", "0.5"]) == 0
    assert f"WARNING: the model was {CAVEAT}" in capsys.readouterr().out
    assert main(["report", str(forced / "m.sigae"), str(forced / "x.npy"), "--out",
                 str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text()
    assert f"WARNING: {CAVEAT}" in page
    assert "No anomaly threshold: the model holds the errors of only 2 validation signals" \
        in page


def test_a_threshold_from_fewer_than_20_validation_errors_is_refused(forced, capsys, tmp_path):
    err = refused(["score", forced / "m.sigae", forced / "x.npy", "--out", tmp_path / "s.csv"],
                  capsys)
    assert "the model holds the errors of only 2 validation signals, too few for a " \
           "percentile of them to be an anomaly threshold (it takes at least 20); give the " \
           "threshold yourself (--threshold T), or train on more signals." in err
    assert not (tmp_path / "s.csv").exists()


def test_fit_on_too_few_signals_logs_and_keeps_its_warning(caplog, tmp_path):
    import sigae

    model = sigae.SignalAutoencoder(sigae.ModelConfig(length=32, latent_dim=2), seed=0)
    with caplog.at_level("WARNING", logger="sigae"):
        model.fit(np.random.default_rng(2).normal(size=(12, 32)), epochs=1, verbose=0,
                  augment="none")
    assert CAVEAT in caplog.text
    model.save(tmp_path / "m.sigae")
    assert sigae.load(tmp_path / "m.sigae").learned.caveats == (CAVEAT,)
    model.fit(np.random.default_rng(3).normal(size=(60, 32)), epochs=1, verbose=0,
              augment="none")
    assert model.learned.caveats == ()  # the last fit's data decides


def test_a_mistyped_required_option_is_named_with_the_missing_one(capsys):
    err = refused(["train", "x.npy", "--outt", "m.sigae"], capsys)
    assert "the following arguments are required: --out; did you mean --out?" in err
