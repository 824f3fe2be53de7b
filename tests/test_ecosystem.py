"""sigae in the ecosystem: a scikit-learn transformer, ONNX export, Keras callbacks."""

from __future__ import annotations

import pickle
import random
import struct
from pathlib import Path

import joblib
import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

import sigae
from conftest import signals, tiny_config
from sigae.cli import main
from sigae.sklearn import AutoencoderTransformer

TINY = {"latent_dim": 2, "blocks": ((4, 3, 2),), "epochs": 1, "batch_size": 8,
        "random_state": 0}


@parametrize_with_checks([AutoencoderTransformer(**TINY)])
def test_the_scikit_learn_estimator_contract(estimator, check):
    check(estimator)


def two_classes(n=80, length=32, seed=0):
    """Oscillations at random frequencies and phases: class 1 drifts up, class 0 down."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, length)
    y = rng.integers(0, 2, n)
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    frequency = rng.uniform(2, 4, (n, 1))
    drift = np.where(y[:, None] == 1, 1.0, -1.0) * t
    x = np.sin(2 * np.pi * frequency * t + phase) + drift + rng.normal(0, 0.2, (n, length))
    return x.astype("float32"), y


def test_a_pipeline_with_a_classifier_beats_chance_clearly():
    x, y = two_classes(160)
    pipeline = make_pipeline(AutoencoderTransformer(latent_dim=6, epochs=30, random_state=0),
                             LogisticRegression(max_iter=2000))
    pipeline.fit(x[:120], y[:120])
    assert pipeline.score(x[120:], y[120:]) >= 0.8


def test_grid_search_over_latent_sizes():
    x, _ = two_classes(48)
    search = GridSearchCV(AutoencoderTransformer(**{**TINY, "epochs": 2}),
                          {"latent_dim": [1, 4]}, cv=2)
    search.fit(x)
    assert search.best_params_["latent_dim"] in (1, 4)
    assert search.best_estimator_.transform(x).shape == (48, search.best_params_["latent_dim"])


def test_transform_and_inverse_transform_in_2d_and_3d():
    x = signals(40, length=24, channels=2)
    three_d = AutoencoderTransformer(**TINY).fit(x)
    assert three_d.transform(x).shape == (40, 2)
    assert three_d.inverse_transform(three_d.transform(x)).shape == (40, 24, 2)
    flat = x.reshape(40, -1)
    two_d = AutoencoderTransformer(**TINY, signal_shape=(24, 2)).fit(flat)
    assert two_d.n_features_in_ == 48
    assert two_d.inverse_transform(two_d.transform(flat)).shape == (40, 48)
    assert list(two_d.get_feature_names_out()) == ["latent0", "latent1"]
    # The same signals either way: the same codes.
    np.testing.assert_allclose(two_d.transform(flat), three_d.transform(x), rtol=1e-6)


def test_score_is_the_negative_reconstruction_mse():
    x = signals(40)
    transformer = AutoencoderTransformer(**TINY).fit(x[:, :, 0])
    model = transformer.model_
    expected = np.mean(np.square((model.reconstruct(x) - x) / model.normalization[1]))
    assert transformer.score(x[:, :, 0]) == pytest.approx(-expected, rel=1e-5)


def test_a_wrong_signal_shape_is_refused_clearly():
    with pytest.raises(ValueError, match=r"signal_shape=\(10, 2\) holds 20 values per signal, "
                       r"but X has 48 features per row; give a signal_shape whose length \* "
                       r"channels is 48"):
        AutoencoderTransformer(**TINY, signal_shape=(10, 2)).fit(signals(20)[:, :, 0])


def test_clone_and_pickle_round_trips(tmp_path):
    x = signals(30)[:, :, 0]
    transformer = AutoencoderTransformer(**TINY).fit(x)
    assert clone(transformer).get_params() == transformer.get_params()
    joblib.dump(transformer, tmp_path / "t.joblib")
    restored = joblib.load(tmp_path / "t.joblib")
    assert np.array_equal(restored.transform(x), transformer.transform(x))
    assert np.array_equal(pickle.loads(pickle.dumps(transformer)).transform(x),
                          transformer.transform(x))


def test_the_pickle_holds_sigaes_file_not_keras_objects():
    transformer = AutoencoderTransformer(**TINY).fit(signals(30)[:, :, 0])
    state = transformer.__getstate__()
    assert "model_" not in state
    assert state["model_file_"][:2] == b"PK"  # the .sigae zip
    assert hasattr(transformer, "model_")  # pickling left the estimator whole


def test_random_state_never_touches_global_random_state():
    np.random.seed(123)
    random.seed(123)
    numpy_before, python_before = np.random.get_state()[1].copy(), random.getstate()
    transformer = AutoencoderTransformer(**TINY).fit(signals(30)[:, :, 0])
    transformer.transform(signals(5)[:, :, 0])
    assert np.array_equal(np.random.get_state()[1], numpy_before)
    assert random.getstate() == python_before


def test_the_same_random_state_gives_the_same_codes():
    x = signals(30)[:, :, 0]
    first = AutoencoderTransformer(**TINY).fit(x).transform(x)
    assert np.array_equal(AutoencoderTransformer(**TINY).fit(x).transform(x), first)


# -- ONNX -----------------------------------------------------------------------------------

onnxruntime = pytest.importorskip("onnxruntime")


def run_onnx(path: Path, x: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(path))
    return session.run(None, {session.get_inputs()[0].name: x.astype("float32")})[0]


def assert_onnx_matches(model, directory: Path, x: np.ndarray) -> None:
    codes = model.encode(x)
    for part, given, expected in (("encoder", x, codes),
                                  ("decoder", codes, model.decode(codes)),
                                  ("autoencoder", x, model.reconstruct(x))):
        path = directory / f"{part}.onnx"
        getattr(model, f"export_{part}")(path, format="onnx")
        for batch in (given[:3], given):  # a dynamic batch dimension
            got = run_onnx(path, batch)
            reference = expected[: len(batch)]
            np.testing.assert_allclose(got, reference, rtol=1e-5,
                                       atol=1e-5 * float(np.max(np.abs(reference))))


@pytest.mark.parametrize("config", [tiny_config(linear_path=True, channels=2),
                                    tiny_config(decoder="dense", padding="valid", latent_dim=9,
                                                normalization="global")],
                         ids=["default-2ch", "question-like"])
def test_onnx_export_of_the_built_in_designs_matches(config, tmp_path):
    model = sigae.SignalAutoencoder(config, seed=0)
    x = signals(40, channels=config.channels)
    model.fit(x, epochs=1, batch_size=16, seed=0, verbose=0)
    assert_onnx_matches(model, tmp_path, x)


def test_onnx_export_of_an_adopted_model_matches(tmp_path):
    x = keras.Input((32, 1))
    h = keras.layers.Conv1D(4, 3, padding="same", activation="relu")(x)
    h = keras.layers.MaxPooling1D(4)(h)
    h = keras.layers.Conv1D(2, 3, padding="same", name="bottleneck")(h)
    h = keras.layers.UpSampling1D(4)(h)
    adopted = sigae.adopt(keras.Model(x, keras.layers.Conv1D(1, 3, padding="same")(h)),
                          mean=0.5, std=2.0)
    assert_onnx_matches(adopted, tmp_path, signals(20, length=32))


def test_the_cli_exports_onnx(capsys, model_file, data, tmp_path):
    code = main(["export", str(model_file), "--part", "decoder", "--out",
                 str(tmp_path / "d.onnx")])
    assert code == 0
    model = sigae.load(model_file)
    codes = model.encode(data)
    np.testing.assert_allclose(run_onnx(tmp_path / "d.onnx", codes), model.decode(codes),
                               rtol=1e-5, atol=1e-4)
    assert "onnxruntime.InferenceSession" in capsys.readouterr().out


# -- Keras callbacks ----------------------------------------------------------------------------


def test_your_callbacks_run_beside_sigaes(data, tmp_path):
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    seen = []

    class Recorder(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(logs["val_loss"])

    model.fit(data, epochs=3, batch_size=16, patience=None, verbose=0,
              callbacks=[Recorder(), keras.callbacks.CSVLogger(tmp_path / "log.csv")])
    assert seen == pytest.approx(list(model.history.val_loss))
    assert len((tmp_path / "log.csv").read_text().splitlines()) == 4


def test_a_callback_cannot_undo_the_best_weights(data):
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)

    class Vandal(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            self.model.set_weights([w * 0 for w in self.model.get_weights()])

    model.fit(data, epochs=3, batch_size=16, patience=None, verbose=0, callbacks=[Vandal()])
    assert any(np.any(w != 0) for w in model.autoencoder.get_weights())


def test_a_callback_that_raises_leaves_the_best_weights(data):
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    model.fit(data, epochs=2, batch_size=16, verbose=0)
    best = [w.copy() for w in model.autoencoder.get_weights()]

    class Failing(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:  # after weights moved away from the best ones
                raise RuntimeError("the callback broke")

    with pytest.raises(RuntimeError, match="the callback broke"):
        model.fit(data, epochs=2, batch_size=16, learning_rate=0.5, verbose=0,
                  callbacks=[Failing()])
    assert all(np.array_equal(a, b) for a, b in zip(best, model.autoencoder.get_weights(),
                                                     strict=True))


def read_scalars(directory: Path) -> list[tuple[int, float]]:
    """The scalars of TensorBoard event files: TFRecords of `Event` protocol buffers."""
    from tensorboardX.proto import event_pb2

    values = []
    for path in sorted(directory.glob("events.out.tfevents.*")):
        data, offset = path.read_bytes(), 0
        while offset < len(data):
            (length,) = struct.unpack("<Q", data[offset : offset + 8])
            record = data[offset + 12 : offset + 12 + length]  # after the length's CRC
            offset += 12 + length + 4
            event = event_pb2.Event()
            event.ParseFromString(record)
            values += [(event.step, value.simple_value) for value in event.summary.value
                       if value.tag == "epoch_loss"]
    return values


def test_tensorboard_logs_are_written_and_readable(capsys, data, tmp_path):
    pytest.importorskip("tensorboardX")
    np.save(tmp_path / "x.npy", data)
    code = main(["train", str(tmp_path / "x.npy"), "--out", str(tmp_path / "m.sigae"),
                 "--epochs", "3", "--patience", "0", "--tensorboard", str(tmp_path / "tb"),
                 "--quiet"])
    assert code == 0, capsys.readouterr().err
    history = sigae.load(tmp_path / "m.sigae").history
    train = read_scalars(tmp_path / "tb" / "train")
    validation = read_scalars(tmp_path / "tb" / "validation")
    assert [step for step, _ in train] == [0, 1, 2]
    np.testing.assert_allclose([v for _, v in train], history.loss, rtol=1e-6)
    np.testing.assert_allclose([v for _, v in validation], history.val_loss, rtol=1e-6)
