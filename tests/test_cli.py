"""The sigae command line, through its real entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import sigae
from sigae.cli import main
from sigae.io import load_signals


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, pattern):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert pattern in lines[0], lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory, data, model_file):
    directory = tmp_path_factory.mktemp("cli")
    np.save(directory / "x.npy", data)
    np.savetxt(directory / "x.csv", data[:, :, 0], delimiter=",")
    np.savez(directory / "x.npz", signals=data, other=data[:2])
    return directory


def test_help_does_not_import_numpy_keras_or_the_backend():
    # What keeps `sigae --help` instant; its speed itself is not asserted here.
    code = (
        "import sys; from sigae.cli import main\n"
        "try:\n    main(['train', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('numpy', 'keras', 'jax', 'matplotlib', 'sklearn')\n"
        "         if m in sys.modules]\n"
        "print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_console_script_runs(tmp_path):
    script = Path(sys.executable).parent / "sigae"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("sigae ")


def test_train_writes_a_model_and_prints_a_summary(capsys, files, tmp_path):
    out = tmp_path / "m.sigae"
    code, stdout, _ = run(capsys, "train", files / "x.npy", "--out", out, "--epochs", 2,
                          "--batch-size", 16, "--latent-dim", 3, "--seed", 0, "--quiet")
    assert code == 0
    assert "trained 'default' on 60 signals of length 48 x 1 channel(s) for 2 epochs" in stdout
    assert "validation NMSE" in stdout
    assert "(PCA with 3 dims: " in stdout
    model = sigae.load(out)
    assert model.config.latent_dim == 3
    assert model.history.epochs == 2


def test_train_with_the_question_preset(capsys, files, tmp_path):
    out = tmp_path / "q.sigae"
    # Its 32-value code needs 64 training signals for a result; this checks the design only.
    code, _, _ = run(capsys, "train", files / "x.csv", "--out", out, "--preset", "question",
                     "--epochs", 1, "--patience", 0, "--quiet", "--force")
    assert code == 0
    assert sigae.load(out).config.decoder == "dense"


@pytest.mark.parametrize("command", ["encode", "reconstruct"])
@pytest.mark.parametrize("suffix", [".npy", ".npz", ".csv", ".parquet", ".h5"])
def test_encode_and_reconstruct_write_by_extension(capsys, files, model_file, trained, data,
                                                   tmp_path, command, suffix):
    out = tmp_path / f"out{suffix}"
    code, stdout, _ = run(capsys, command, model_file, files / "x.npy", "--out", out)
    assert code == 0
    assert str(out) in stdout
    expected = getattr(trained, command)(data)
    result = np.asarray(load_signals(out)).reshape(expected.shape)
    np.testing.assert_allclose(result, expected, rtol=1e-6)


def test_decode_of_encoded_codes_equals_reconstruct(capsys, files, model_file, tmp_path):
    run(capsys, "encode", model_file, files / "x.npz", "--key", "signals", "--out",
        tmp_path / "codes.npy")
    run(capsys, "decode", model_file, tmp_path / "codes.npy", "--out", tmp_path / "decoded.npy")
    run(capsys, "reconstruct", model_file, files / "x.npy", "--out", tmp_path / "recon.npy")
    assert np.array_equal(np.load(tmp_path / "decoded.npy"), np.load(tmp_path / "recon.npy"))


@pytest.mark.parametrize("with_data", [True, False])
def test_check_passes_on_a_sigae_model(capsys, files, model_file, with_data):
    argv = ["check", model_file] + ([files / "x.csv"] if with_data else [])
    code, stdout, _ = run(capsys, *argv)
    assert code == 0
    assert "max |decoder(encoder(x)) - autoencoder(x)| = 0" in stdout
    assert stdout.strip().endswith("passed")


def test_check_fails_with_exit_1_when_views_disagree(capsys, files, model_file, monkeypatch):
    import sigae.consistency

    monkeypatch.setattr(sigae.consistency, "_max_abs", lambda a, b: 0.5)
    code, stdout, _ = run(capsys, "check", model_file, files / "x.npy")
    assert code == 1
    assert "FAIL" in stdout
    assert stdout.strip().endswith("FAILED")


def test_info_shows_layers_normalization_and_training(capsys, model_file):
    import keras

    code, stdout, _ = run(capsys, "info", model_file)
    assert code == 0
    for expected in ("encoder  latent", "decoder  decoder_output", "normalization (auto: global)",
                     "trainable parameters", "training: 4 epochs",
                     f"{keras.backend.backend()} backend",
                     "baseline: validation NMSE"):
        assert expected in stdout


def test_export_writes_a_plain_keras_file(capsys, model_file, tmp_path):
    import keras

    out = tmp_path / "decoder.keras"
    code, _, _ = run(capsys, "export", model_file, "--part", "decoder", "--out", out)
    assert code == 0
    decoder = keras.saving.load_model(out, safe_mode=True)
    assert decoder.output_shape == (None, 48, 1)


def test_demo_trains_saves_plots_and_checks(capsys, tmp_path):
    code, stdout, _ = run(capsys, "demo", "--out", tmp_path, "--epochs", 1, "--quiet")
    assert code == 0
    assert "consistency check      passed" in stdout
    for name in ("model.sigae", "loss.png", "reconstruction.png"):
        assert (tmp_path / name).stat().st_size > 1000
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert np.load(tmp_path / "test.npy").shape == (500, 501, 1)
    factors = (tmp_path / "test_factors.csv").read_text().splitlines()
    assert factors[0] == "amplitude,frequency,decay,phase"
    assert len(factors) == 501
    assert f"sigae explore {tmp_path / 'model.sigae'} {tmp_path / 'test.npy'}" in stdout
    # ... a command that runs as printed: sigae where it is on the PATH, else a path to it
    line = next(line for line in stdout.splitlines() if line.startswith("explore it"))
    program = line.split()[2]
    assert shutil.which(program) or Path(program).exists()


# -- bad input: one line on stderr, exit 2, no traceback, nothing overwritten ------------


@pytest.fixture
def bad(tmp_path):
    np.save(tmp_path / "object.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    nan = np.ones((3, 48))
    nan[1, 2] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    np.save(tmp_path / "short.npy", np.ones((3, 40)))
    np.save(tmp_path / "stereo.npy", np.ones((3, 48, 2)))
    (tmp_path / "words.csv").write_text("1,2\nfoo,3\n")
    (tmp_path / "dir").mkdir()
    (tmp_path / "existing.npy").write_bytes(b"precious")
    return tmp_path


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("absent.npy", "absent.npy: no such file"),
        ("object.npy", "object.npy: holds Python objects"),
        ("words.csv", "words.csv: line 2, column 1: 'foo' is not a number"),
        ("nan.npy", "nan.npy: holds 1 NaN or infinite value(s), the first at index (1, 2, 0)"),
        ("short.npy", "short.npy holds signals of length 40, but the model takes length 48"),
        ("stereo.npy", "stereo.npy holds 2 channel(s), but the model takes 1"),
        ("dir", "dir: holds no files matching '*' of a format sigae reads"),
    ],
)
def test_bad_data_is_one_line_exit_2_and_nothing_is_overwritten(capsys, bad, model_file,
                                                                  name, message):
    code, _, err = run(capsys, "encode", model_file, bad / name, "--out", bad / "existing.npy")
    assert_one_line_error(code, err, message)
    assert (bad / "existing.npy").read_bytes() == b"precious"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["encode", "{bad}/object.npy", "{x}", "--out", "{bad}/o.npy"], "not a sigae model file"),
        (["encode", "{bad}/dir", "{x}", "--out", "{bad}/o.npy"], "is a directory; expected a .sigae"),
        (["encode", "{model}", "{x}", "--out", "{x}"], "is also an input"),
        (["encode", "{model}", "{x}", "--out", "{bad}/o.txt"], "output must end in .npy or .npz or .csv or .parquet or .h5"),
        (["encode", "{model}", "{x}", "--out", "{bad}/nowhere/o.npy"], "does not exist; create it"),
        (["encode", "{model}", "{npz}", "--out", "{bad}/o.npy"], "choose one with --key NAME"),
        (["train", "{x}", "--out", "{bad}/m.keras"], "output must end in .sigae"),
        (["train", "{x}", "--out", "{bad}/m.sigae", "--epochs", "0"], "expected an integer >= 1"),
        (["train", "{x}", "--out", "{bad}/m.sigae", "--validation-split", "2"], "in [0, 1)"),
        (["decode", "{model}", "{x}", "--out", "{bad}/o.npy"], "this model's codes have 4 (its latent_dim)"),
        (["export", "{model}", "--part", "latent", "--out", "{bad}/e.keras"], "invalid choice"),
        (["info", "{bad}/absent.sigae"], "no such model file"),
        (["check", "{model}", "{bad}/short.npy"], "takes length 48"),
        (["bogus"], "invalid choice"),
    ],
)
def test_bad_invocations_are_one_line_exit_2(capsys, bad, files, model_file, argv, message):
    argv = [a.format(bad=bad, x=files / "x.npy", npz=files / "x.npz", model=model_file)
            for a in argv]
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse usage errors
        code = exit_.code
    _, err = capsys.readouterr()
    assert_one_line_error(code, err, message)


def test_a_tampered_model_is_one_line_exit_2(capsys, files, model_file, tmp_path):
    tampered = tmp_path / "t.sigae"
    with zipfile.ZipFile(model_file) as source, zipfile.ZipFile(tampered, "w") as target:
        manifest = json.loads(source.read("manifest.json"))
        manifest["weights"]["sha256"] = "0" * 64
        target.writestr("manifest.json", json.dumps(manifest))
        target.writestr("weights.safetensors", source.read("weights.safetensors"))
    code, _, err = run(capsys, "reconstruct", tampered, files / "x.npy", "--out", tmp_path / "r.npy")
    assert_one_line_error(code, err, "SHA-256 does not match")
    assert not (tmp_path / "r.npy").exists()


def test_errors_through_the_real_console_script_have_no_traceback(tmp_path):
    script = Path(sys.executable).parent / "sigae"
    result = subprocess.run([str(script), "info", str(tmp_path / "absent.sigae")],
                            capture_output=True, text=True, check=False, timeout=120,
                            env={**os.environ}, stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.stderr


# -- every format in, every format out, windows and provenance ---------------------------


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".csv", ".tsv", ".txt", ".mat", ".v73.mat",
                                    ".h5", ".parquet"])
def test_encode_reads_every_input_format(capsys, model_file, trained, data, tmp_path, suffix):
    from formats import write

    source = tmp_path / f"in{suffix}"
    options = write(source, data[:, :, 0])
    flags = [f"--{name}={value}" for name, value in options.items()]
    code, _, err = run(capsys, "encode", model_file, source, *flags, "--out", tmp_path / "c.npy")
    assert (code, err) == (0, "")
    np.testing.assert_allclose(np.load(tmp_path / "c.npy"), trained.encode(data), rtol=1e-6)


def test_windows_of_a_recording_map_back_through_encode_and_decode(capsys, model_file, trained,
                                                                   tmp_path):
    import scipy.io.wavfile

    recording = (np.sin(np.arange(1000) / 5.0) * 20000).astype("int16")
    scipy.io.wavfile.write(tmp_path / "run.wav", 1000, recording)
    window = ["--window", "48", "--hop", "24"]
    run(capsys, "encode", model_file, tmp_path / "run.wav", *window, "--out", tmp_path / "c.csv")
    header = (tmp_path / "c.csv").read_text().splitlines()[0]
    assert header.startswith("source_row,source_start,z0,z1")
    run(capsys, "decode", model_file, tmp_path / "c.csv", "--out", tmp_path / "d.parquet")
    run(capsys, "reconstruct", model_file, tmp_path / "run.wav", *window, "--out",
        tmp_path / "r.h5")
    decoded, reconstructed = load_signals(tmp_path / "d.parquet"), load_signals(tmp_path / "r.h5")
    assert decoded.shape == (40, 48, 1)  # starts 0, 24, ..., 936
    assert np.array_equal(np.asarray(decoded), np.asarray(reconstructed))
    np.testing.assert_array_equal(decoded.start, np.arange(40) * 24)
    np.testing.assert_array_equal(decoded.row, np.zeros(40))
    windows = sigae.windows(recording / 32768.0, 48, 24)
    np.testing.assert_allclose(np.asarray(reconstructed), trained.reconstruct(windows), rtol=1e-6)


def test_train_reads_an_hdf5_dataset(capsys, data, tmp_path):
    import h5py

    with h5py.File(tmp_path / "x.h5", "w") as handle:
        handle.create_dataset("run1/signals", data=data[:, :, 0], chunks=True)
    code, stdout, _ = run(capsys, "train", tmp_path / "x.h5", "--out", tmp_path / "m.sigae",
                          "--epochs", 1, "--quiet")
    assert code == 0
    assert "on 60 signals of length 48" in stdout


@pytest.mark.parametrize(("setup", "argv", "message"), [
    (lambda d: np.save(d / "long.npy", np.zeros(500)), ["encode", "{model}", "{d}/long.npy"],
     "holds signals of length 500, but the model takes length 48. Cut them into windows with "
     "--window 48"),
    (lambda d: __import__("scipy.io").io.savemat(d / "m.mat", {"X": np.ones((30, 20))}),
     ["train", "{d}/m.mat"], "pass --layout rows (30 signals of 20 samples) or --layout columns"),
    (lambda d: np.save(d / "x.npy", np.ones((3, 48))) or (d / "x.npy").rename(d / "x.csv"),
     ["encode", "{model}", "{d}/x.csv"],
     "its extension says text but its content is a NumPy .npy array; rename it to .npy"),
    (lambda d: np.save(d / "x.npy", np.ones((3, 48))),
     ["encode", "{model}", "{d}/x.npy", "--window", "100"], "fewer than the window of 100"),
    (lambda d: None, ["encode", "{model}", "{d}/x.npy", "--hop", "0"], "expected an integer >= 1"),
])
def test_data_errors_name_the_flag_that_fixes_them(capsys, model_file, tmp_path, setup, argv,
                                                    message):
    setup(tmp_path)
    argv = [a.format(model=model_file, d=tmp_path) for a in argv]
    out = ["--out", str(tmp_path / ("m.sigae" if argv[0] == "train" else "o.npy"))]
    try:
        code = main(argv + out)
    except SystemExit as exit_:
        code = exit_.code
    _, err = capsys.readouterr()
    assert_one_line_error(code, err, message)
    assert not (tmp_path / "o.npy").exists()
    assert not (tmp_path / "m.sigae").exists()
