"""Adopting trained Keras autoencoders, and bringing your own encoder and decoder.

The question's own situation: a trained `Model(x, Decoder()(Encoder()(x)))`, saved by
tf.keras 2 (the files in tests/data/tfkeras2, which Keras 3 alone cannot open) or by Keras 3,
whose trained decoder and central layer its owner wants back.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest
from keras import layers

import sigae
from sigae.architecture.views import Views, assemble
from sigae.cli import main

DATA = Path(__file__).parent / "data" / "tfkeras2"
LENGTH, CODE = 32, 4


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code, err, pattern, out_path=None):
    """Exit 2, one line on stderr, no traceback, nothing written."""
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert pattern in lines[0], lines[0]
    if out_path is not None:
        assert not out_path.exists()


def waves(n=48, length=LENGTH, channels=1, seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, length)[None, :, None]
    x = np.sin(2 * np.pi * rng.uniform(1, 3, (n, 1, channels)) * t
               + rng.uniform(0, 6, (n, 1, channels)))
    return (x + rng.normal(0, 0.05, x.shape)).astype("float32")


# -- the four kinds of user model -----------------------------------------------------------


def question_factories(channels=1):
    """The question's code at a small size: the parts as factories, nested in the whole."""

    def Encoder():
        x = keras.Input((LENGTH, channels))
        h = layers.Conv1D(8, 3, activation="tanh")(x)
        h = layers.MaxPooling1D(2)(h)
        h = layers.Conv1D(4, 3, activation="tanh")(h)
        h = layers.MaxPooling1D(2)(h)
        h = layers.Flatten()(h)
        return keras.Model(x, layers.Dense(CODE, activation="tanh")(h))

    def Decoder():
        y = keras.Input((CODE,))
        h = layers.Reshape((CODE, 1))(y)
        h = layers.Conv1D(4, 3, activation="tanh", padding="same")(h)
        h = layers.UpSampling1D(2)(h)
        h = layers.Flatten()(h)
        h = layers.Dense(LENGTH * channels)(h)
        return keras.Model(y, layers.Reshape((LENGTH, channels))(h))

    return Encoder, Decoder


def question_model(channels=1):
    Encoder, Decoder = question_factories(channels)
    x = keras.Input((LENGTH, channels))
    return keras.Model(x, Decoder()(Encoder()(x)))


def sequential_model():
    return keras.Sequential([
        keras.Input((LENGTH, 1)), layers.Flatten(name="flat"),
        layers.Dense(16, activation="tanh", name="hidden_in"), layers.Dense(CODE, name="code"),
        layers.Dense(16, activation="tanh", name="hidden_out"), layers.Dense(LENGTH, name="out"),
        layers.Reshape((LENGTH, 1), name="signal"),
    ])


def flat_model():
    # A convolutional bottleneck of (8, 2) = 16 values, with batch normalization.
    x = keras.Input((LENGTH, 1))
    h = layers.Conv1D(4, 3, padding="same", activation="relu")(x)
    h = layers.BatchNormalization()(h)
    h = layers.MaxPooling1D(4)(h)
    h = layers.Conv1D(2, 3, padding="same", name="bottleneck")(h)
    h = layers.UpSampling1D(4)(h)
    return keras.Model(x, layers.Conv1D(1, 3, padding="same")(h))


KINDS = {
    "question": (question_model, 1, CODE),
    "sequential": (sequential_model, 1, CODE),
    "flat": (flat_model, 1, 16),
    "two-channel": (lambda: question_model(channels=2), 2, CODE),
}


@pytest.fixture(scope="module")
def trained_models(tmp_path_factory):
    """Each kind trained a few steps, and saved as .keras and as legacy .h5."""
    directory = tmp_path_factory.mktemp("adopt")
    keras.utils.set_random_seed(0)
    result = {}
    for name, (make, channels, latent_dim) in KINDS.items():
        model = make()
        x = waves(channels=channels)
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, x, epochs=2, batch_size=16, verbose=0)
        files = {}
        for suffix in (".keras", ".h5"):
            files[suffix] = directory / f"{name}{suffix}"
            keras.saving.save_model(model, files[suffix])
        result[name] = (model, files, x, latent_dim)
    return result


@pytest.mark.parametrize("source", ["live", ".keras", ".h5"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_adopted_model_reproduces_the_original(trained_models, kind, source, tmp_path):
    original, files, x, latent_dim = trained_models[kind]
    adopted = sigae.adopt(original if source == "live" else files[source])
    assert adopted.config.latent_dim == latent_dim
    expected = original.predict(x, batch_size=16, verbose=0)
    reconstruction = adopted.reconstruct(x, batch_size=16)
    np.testing.assert_allclose(reconstruction, expected, rtol=1e-5, atol=1e-6)
    codes = adopted.encode(x, batch_size=16)
    assert np.array_equal(adopted.decode(codes, batch_size=16), reconstruction)
    adopted.save(tmp_path / "m.sigae")
    loaded = sigae.load(tmp_path / "m.sigae")
    assert np.array_equal(loaded.reconstruct(x, batch_size=16), reconstruction)
    assert loaded.views.shared()


def test_a_live_model_is_adopted_with_its_own_layer_objects(trained_models):
    original = trained_models["question"][0]
    adopted = sigae.adopt(original)
    ids = {id(v) for v in adopted.autoencoder.weights}
    assert all(id(v) in ids for v in original.weights)


@pytest.mark.parametrize("kind", list(KINDS))
def test_sigae_check_passes_on_an_adopted_file(trained_models, kind, capsys, tmp_path):
    _, files, _, _ = trained_models[kind]
    out = tmp_path / "m.sigae"
    code, stdout, _ = run(capsys, "adopt", files[".h5"], "--out", out)
    assert code == 0, stdout
    code, stdout, _ = run(capsys, "check", out)
    assert code == 0
    assert stdout.strip().endswith("passed")


def test_the_sequential_code_is_the_narrowest_layer_named_code(trained_models):
    adopted = sigae.adopt(trained_models["sequential"][0])
    assert "split at 'code'" in adopted.config.origin


def test_split_names_the_code_layer(trained_models):
    original, _, x, _ = trained_models["sequential"]
    adopted = sigae.adopt(original, split="hidden_in")  # a wider code
    assert adopted.config.latent_dim == 16
    np.testing.assert_allclose(adopted.reconstruct(x), original.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_a_split_layer_that_does_not_exist_lists_the_candidates(trained_models, capsys, tmp_path):
    _, files, _, _ = trained_models["sequential"]
    out = tmp_path / "m.sigae"
    code, _, err = run(capsys, "adopt", files[".keras"], "--split", "nope", "--out", out)
    assert_refused(code, err, "has no layer 'nope' to split at; its layers between input and "
                   "output are: flat, hidden_in, code, hidden_out, out", out)


# -- the question's files, written by tf.keras 2 ----------------------------------------------


@pytest.fixture(scope="module")
def reference():
    return np.load(DATA / "seed_tfkeras2_ref.npz")


def test_the_questions_tfkeras2_file_is_adopted_with_its_statistics(reference):
    mean, std = float(reference["mean"]), float(reference["std"])
    model = sigae.adopt(DATA / "seed_tfkeras2.h5", mean=mean, std=std)
    x = reference["x"]
    codes = model.encode(x, batch_size=100)
    np.testing.assert_allclose(codes, reference["codes"], rtol=1e-5, atol=1e-6)
    # The model takes raw signals and decodes to data units; the reference is normalized.
    reconstruction = model.reconstruct(x, batch_size=100)
    np.testing.assert_allclose((reconstruction - mean) / std, reference["recon"], rtol=1e-5,
                               atol=1e-5)
    assert np.array_equal(model.decode(codes, batch_size=100), reconstruction)


def test_the_cli_adopts_the_tfkeras2_file_and_encodes(reference, capsys, tmp_path):
    out = tmp_path / "q.sigae"
    np.save(tmp_path / "x.npy", reference["x"])
    code, stdout, err = run(capsys, "adopt", DATA / "seed_tfkeras2.h5", "--out", out,
                            "--mean", float(reference["mean"]), "--std", float(reference["std"]))
    assert code == 0, err
    assert "adopted from seed_tfkeras2.h5" in stdout
    code, _, _ = run(capsys, "encode", out, tmp_path / "x.npy", "--out", tmp_path / "codes.npy")
    assert code == 0
    np.testing.assert_allclose(np.load(tmp_path / "codes.npy"), reference["codes"], rtol=1e-5,
                               atol=1e-6)


def test_the_questions_bug_is_caught_in_one_command(capsys, tmp_path):
    out = tmp_path / "m.sigae"
    code, _, err = run(capsys, "adopt", "--encoder", DATA / "seed_tfkeras2_encoder.h5",
                       "--decoder", DATA / "seed_tfkeras2_fresh_decoder.h5",
                       "--autoencoder", DATA / "seed_tfkeras2.h5", "--out", out)
    assert_refused(code, err, "do not hold seed_tfkeras2.h5's trained weights", out)
    assert "rebuilt with fresh weights" in err
    assert "sigae adopt seed_tfkeras2.h5 --out MODEL.sigae" in err


def test_a_trained_encoder_with_a_fresh_decoder_is_refused_in_keras_3_files_too(tmp_path):
    Encoder, Decoder = question_factories()
    encoder = Encoder()
    x = keras.Input((LENGTH, 1))
    autoencoder = keras.Model(x, Decoder()(encoder(x)))
    for name, model in (("a", autoencoder), ("e", encoder), ("fresh", Decoder())):
        keras.saving.save_model(model, tmp_path / f"{name}.keras")
    with pytest.raises(sigae.ConfigError, match=r"do not hold a.keras's trained weights"):
        sigae.adopt_pair(tmp_path / "e.keras", tmp_path / "fresh.keras",
                         autoencoder=tmp_path / "a.keras")


def test_the_trained_parts_themselves_are_accepted(tmp_path):
    Encoder, Decoder = question_factories()
    encoder, decoder = Encoder(), Decoder()
    x = keras.Input((LENGTH, 1))
    autoencoder = keras.Model(x, decoder(encoder(x)))
    signals = waves()
    model = sigae.adopt_pair(encoder, decoder, autoencoder=autoencoder)
    np.testing.assert_allclose(model.reconstruct(signals), autoencoder.predict(signals, verbose=0),
                               rtol=1e-5, atol=1e-6)


# -- what is refused ------------------------------------------------------------------------


def unet():
    x = keras.Input((LENGTH, 1))
    skip = layers.Conv1D(4, 3, padding="same", name="skip_source")(x)
    h = layers.MaxPooling1D(4)(skip)
    h = layers.Conv1D(2, 3, padding="same", name="bottom")(h)
    h = layers.UpSampling1D(4)(h)
    h = layers.Concatenate(name="merge")([h, skip])
    return keras.Model(x, layers.Conv1D(1, 3, padding="same")(h))


def two_inputs():
    a, b = keras.Input((LENGTH, 1)), keras.Input((LENGTH, 1))
    return keras.Model([a, b], layers.Add()([a, b]))


def test_a_skip_connection_is_refused_naming_the_crossing_layers(capsys, tmp_path):
    keras.saving.save_model(unet(), tmp_path / "unet.keras")
    out = tmp_path / "m.sigae"
    code, _, err = run(capsys, "adopt", tmp_path / "unet.keras", "--out", out)
    assert_refused(code, err, "a connection crosses the cut at 'bottom': 'skip_source' -> "
                   "'merge' (a skip connection, U-Net style)", out)


def test_a_named_split_that_a_skip_connection_goes_around_is_refused():
    with pytest.raises(sigae.ConfigError, match=r"crosses the cut at 'bottom'"):
        sigae.adopt(unet(), split="bottom")


def test_two_inputs_are_refused(capsys, tmp_path):
    keras.saving.save_model(two_inputs(), tmp_path / "two.keras")
    out = tmp_path / "m.sigae"
    code, _, err = run(capsys, "adopt", tmp_path / "two.keras", "--out", out)
    assert_refused(code, err, "has 2 input(s) and 1 output(s); an autoencoder of signals has "
                   "one of each", out)


def test_input_that_is_not_length_by_channels_is_refused():
    x = keras.Input((8,))
    with pytest.raises(sigae.ConfigError, match=r"takes input of shape \(8,\); sigae needs "
                       r"signals of shape \(length, channels\)"):
        sigae.adopt(keras.Model(x, layers.Dense(8)(layers.Dense(2)(x))))


def touching_function(marker: Path):
    """A lambda that creates `marker` whenever it runs (Keras saves a lambda's bytecode)."""
    return eval(f"lambda t: (__import__('pathlib').Path({str(marker)!r}).touch(), t)[1]")


def test_a_lambda_layer_is_refused_and_its_code_never_runs(capsys, tmp_path):
    marker = tmp_path / "pwned"
    model = keras.Sequential([keras.Input((LENGTH, 1)), layers.Flatten(), layers.Dense(CODE),
                              layers.Dense(LENGTH),
                              layers.Lambda(touching_function(marker), name="double"),
                              layers.Reshape((LENGTH, 1))])
    keras.saving.save_model(model, tmp_path / "lambda.keras")
    marker.unlink()  # building the model ran the function once
    out = tmp_path / "m.sigae"
    code, _, err = run(capsys, "adopt", tmp_path / "lambda.keras", "--out", out)
    assert_refused(code, err, "refused: 'double' (Lambda) at ", out)
    assert ".layers[4] is a Lambda layer, which holds Python code" in err
    assert not marker.exists()
    # The file really carries code that runs when Keras deserializes it unsafely.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras.saving.load_model(tmp_path / "lambda.keras", safe_mode=False)
    assert marker.exists()


def crafted(tmp_path, name, change):
    """A .keras file of a small model whose architecture `change` alters."""
    path = tmp_path / "base.keras"
    keras.saving.save_model(sequential_model(), path)
    target = tmp_path / name
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as archive:
        for item in source.namelist():
            data = source.read(item)
            if item == "config.json":
                config = json.loads(data)
                change(config["config"]["layers"][2])
                data = json.dumps(config).encode()
            archive.writestr(item, data)
    return target


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda layer: layer.update(module="os", class_name="system"),
         "(system) at "),
        (lambda layer: layer.update(module="evil.layers"),
         "comes from module 'evil.layers', not from Keras"),
        (lambda layer: layer.update(class_name="MyDense", registered_name="Custom>MyDense"),
         "'hidden_in' (MyDense) at "),
        (lambda layer: layer.update(registered_name="evil>Dense"),
         "is registered as 'evil>Dense', which points outside Keras"),
        (lambda layer: layer["config"].update(activation={
            "module": "builtins", "class_name": "function", "config": "exec"}),
         "refused: function at hidden_in.activation is not one of sigae's allowed"),
        (lambda layer: layer["config"].update(function={"class_name": "__lambda__"}),
         "holds a function ('function')"),
    ],
    ids=["os-system", "unknown-module", "custom-class", "registered-elsewhere",
         "function-activation", "function-config"],
)
def test_crafted_architectures_are_refused_before_keras_sees_them(capsys, tmp_path, change,
                                                                  message):
    path = crafted(tmp_path, "evil.keras", change)
    out = tmp_path / "m.sigae"
    code, _, err = run(capsys, "adopt", path, "--out", out)
    assert_refused(code, err, message, out)


def test_crafted_h5_architectures_are_refused_too(tmp_path):
    path = tmp_path / "evil.h5"
    keras.saving.save_model(sequential_model(), path)
    with h5py.File(path, "r+") as handle:
        config = json.loads(handle.attrs["model_config"])
        config["config"]["layers"][1]["class_name"] = "Lambda"
        handle.attrs["model_config"] = json.dumps(config)
    with pytest.raises(sigae.ModelFileError, match=r"is a Lambda layer"):
        sigae.adopt(path)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_truncated_file_is_refused(trained_models, capsys, tmp_path, suffix):
    _, files, _, _ = trained_models["question"]
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(files[suffix].read_bytes()[:3000])
    out = tmp_path / "m.sigae"
    code, _, err = run(capsys, "adopt", cut, "--out", out)
    assert_refused(code, err, f"{cut}: ", out)


def test_a_weights_only_file_is_refused(trained_models, capsys, tmp_path):
    path = tmp_path / "only.weights.h5"
    trained_models["question"][0].save_weights(path)
    code, _, err = run(capsys, "adopt", path, "--out", tmp_path / "m.sigae")
    assert code == 2
    assert "no architecture" in err or "not a readable" in err


def test_a_sigae_file_naming_a_foreign_class_is_refused(trained_models, tmp_path):
    model = sigae.adopt(trained_models["sequential"][0])
    model.save(tmp_path / "m.sigae")
    with zipfile.ZipFile(tmp_path / "m.sigae") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        weights = archive.read("weights.safetensors")
    manifest["architecture"]["config"]["decoder"]["config"]["layers"][1]["module"] = "os"
    with zipfile.ZipFile(tmp_path / "evil.sigae", "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("weights.safetensors", weights)
    with pytest.raises(sigae.ModelFileError, match=r"evil.sigae: .*comes from module 'os'"):
        sigae.load(tmp_path / "evil.sigae")


# -- sigae check catches views that do not share weights ----------------------------------------


def test_check_fails_on_a_model_whose_views_do_not_share_weights(trained, model_file, data,
                                                                  capsys, monkeypatch):
    # The question's bug, built deliberately: the decoder view over freshly built layers.
    from sigae.architecture.designs import build_views

    fresh = build_views(trained.config, seed=123)
    broken = sigae.load(model_file)
    views = broken.views
    broken._views = Views(views.encoder, fresh.decoder, views.autoencoder, views.normalize,
                          views.denormalize)
    assert not broken.views.shared()
    monkeypatch.setattr(sigae.model, "load", lambda path: broken)
    code, stdout, _ = run(capsys, "check", model_file)
    assert code == 1
    assert "FAIL encoder and decoder weights are the autoencoder's own variables" in stdout
    assert stdout.strip().endswith("FAILED")


# -- bring your own parts -------------------------------------------------------------------


def own_parts(channels=1):
    encoder = keras.Sequential([
        keras.Input((LENGTH, channels)),
        layers.Conv1D(8, 5, padding="same", activation="gelu"),
        layers.AveragePooling1D(2),
        layers.Flatten(),
        layers.Dense(CODE),
    ], name="my_encoder")
    decoder = keras.Sequential([
        keras.Input((CODE,)),
        layers.Dense(LENGTH // 2 * 8, activation="gelu"),
        layers.Reshape((LENGTH // 2, 8)),
        layers.UpSampling1D(2),
        layers.Conv1D(channels, 5, padding="same"),
    ], name="my_decoder")
    return encoder, decoder


def test_your_own_parts_fit_save_load_with_bitwise_views(tmp_path):
    x = 30.0 + 5.0 * waves(n=64, channels=2)
    encoder, decoder = own_parts(channels=2)
    model = sigae.SignalAutoencoder.from_parts(encoder, decoder)
    history = model.fit(x, epochs=3, batch_size=16, seed=0, verbose=0)
    assert history.epochs == 3
    assert model.comparison is not None
    assert model.calibration is not None
    np.testing.assert_allclose(model.normalization[0], x.mean(axis=(0, 1)), rtol=1e-3)
    assert model.views.shared()
    # The views hold the user's own layer objects.
    assert encoder.weights[0] is model.encoder.weights[0] or any(
        v is encoder.weights[0] for v in model.encoder.weights)
    assert np.array_equal(model.decode(model.encode(x)), model.reconstruct(x))
    model.save(tmp_path / "own.sigae")
    loaded = sigae.load(tmp_path / "own.sigae")
    assert np.array_equal(loaded.reconstruct(x), model.reconstruct(x))
    assert np.array_equal(loaded.decode(loaded.encode(x)), loaded.reconstruct(x))
    assert loaded.history == model.history


def test_parts_with_given_statistics_are_ready_to_use():
    encoder, decoder = own_parts()
    model = sigae.SignalAutoencoder.from_parts(encoder, decoder, normalization="global",
                                               mean=2.0, std=3.0)
    assert model.is_fitted
    x = waves()
    inner = decoder.predict(encoder.predict((x - 2.0) / 3.0, verbose=0), verbose=0)
    np.testing.assert_allclose(model.reconstruct(x), inner * 3.0 + 2.0, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda e, d: (e, e), r"The decoder takes shape \(32, 1\) but the encoder gives codes "
                              r"of shape \(4,\)"),
        (lambda e, d: (d, e), r"The encoder must take signals of shape \(length, channels\)"),
        (lambda e, d: (e, "decoder"), r"decoder must be a keras.Model"),
    ],
)
def test_parts_that_do_not_compose_are_refused(make, message):
    with pytest.raises(sigae.ConfigError, match=message):
        sigae.SignalAutoencoder.from_parts(*make(*own_parts()))


def test_a_part_with_a_lambda_is_refused_at_once(tmp_path):
    encoder, _ = own_parts()
    decoder = keras.Sequential([keras.Input((CODE,)), layers.Dense(LENGTH),
                                layers.Lambda(touching_function(tmp_path / "m"), name="l"),
                                layers.Reshape((LENGTH, 1))])
    with pytest.raises(sigae.ConfigError, match=r"the decoder: refused: 'l' \(Lambda\) at "):
        sigae.SignalAutoencoder.from_parts(encoder, decoder)


def test_assembled_views_share_the_bodies_layers():
    encoder, decoder = own_parts()
    views = assemble(encoder, decoder, length=LENGTH, channels=1, latent_dim=CODE,
                     per_channel=True)
    assert views.shared()


# -- an adopted model gets everything a built-in design has -----------------------------------


def test_the_study_commands_run_on_an_adopted_model(reference, capsys, tmp_path):
    x = tmp_path / "x.npy"
    np.save(x, reference["x"])
    model = tmp_path / "q.sigae"
    code, stdout, err = run(capsys, "adopt", DATA / "seed_tfkeras2.h5", "--out", model,
                            "--mean", float(reference["mean"]), "--std", float(reference["std"]),
                            "--data", x)
    assert code == 0, err
    assert "validation NMSE" in stdout
    assert "(PCA with 6 dims: " in stdout
    for argv in (["latent", "stats", model, x, "--out", tmp_path / "stats"],
                 ["latent", "traverse", model, "--out", tmp_path / "traverse"],
                 ["generate", model, "-n", 5, "--out", tmp_path / "generated.npy"],
                 ["score", model, x, "--out", tmp_path / "scores.csv"],
                 ["report", model, x, "--out", tmp_path / "report.html"]):
        code, _, err = run(capsys, *argv)
        assert code == 0, (argv, err)
    assert np.load(tmp_path / "generated.npy").shape == (5, 101, 1)
    code, stdout, _ = run(capsys, "info", model)
    assert code == 0
    assert "Keras parts: adopted from seed_tfkeras2.h5, split at 'dense_1'" in stdout
    assert "decoder  dense" in stdout  # the adopted decoder's own layers are listed


def test_without_data_the_study_commands_say_how_to_measure(trained_models, capsys, tmp_path):
    model = tmp_path / "m.sigae"
    run(capsys, "adopt", trained_models["question"][1][".keras"], "--out", model)
    code, _, err = run(capsys, "generate", model, "-n", 3, "--out", tmp_path / "g.npy")
    assert_refused(code, err, "sigae adopt ... --data DATA", tmp_path / "g.npy")


def test_the_adopted_decoder_exports_to_plain_keras(reference, tmp_path):
    model = sigae.adopt(DATA / "seed_tfkeras2.h5", mean=float(reference["mean"]),
                        std=float(reference["std"]))
    model.export_decoder(tmp_path / "decoder.keras")
    decoder = keras.saving.load_model(tmp_path / "decoder.keras", safe_mode=True)
    codes = model.encode(reference["x"])
    np.testing.assert_allclose(decoder.predict(codes, verbose=0), model.decode(codes),
                               rtol=1e-5, atol=1e-5)


def test_an_adopted_model_can_be_trained_further():
    x = waves()
    model = sigae.adopt(flat_model(), mean=0.5, std=2.0)
    before = model.normalization
    model.fit(x, epochs=2, batch_size=16, patience=None, seed=0, verbose=0)
    assert model.history.epochs == 2
    assert all(np.array_equal(a, b) for a, b in zip(before, model.normalization, strict=True))
    assert np.array_equal(model.decode(model.encode(x)), model.reconstruct(x))
