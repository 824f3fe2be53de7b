"""Every model object of one architecture shares its compiled steps (sigae.architecture.steps):
a new model trains and predicts without tracing them again, exactly as Keras' own steps do,
and sharing keeps no model alive."""

from __future__ import annotations

import gc
import weakref

import keras
import numpy as np
import pytest

import sigae
from conftest import tiny_config
from sigae.architecture import stepcache, steps


@pytest.fixture
def traces(monkeypatch):
    """The kinds of step traced (a shared step's body runs only while JAX traces it), in a
    process that keeps no step on disk (sigae.architecture.stepcache: a step read from there
    is not traced)."""
    monkeypatch.setattr(stepcache, "folder", lambda: None)
    seen: list[str] = []
    step = steps.Traced.step

    def counted(self, state, data):
        seen.append(self.kind)
        return step(self, state, data)

    monkeypatch.setattr(steps.Traced, "step", counted)
    return seen


def keras_own(model: sigae.SignalAutoencoder) -> sigae.SignalAutoencoder:
    """`model` with Keras' own step makers, as if it shared nothing."""
    for view in (model.encoder, model.decoder, model.autoencoder):
        for kind in ("train", "test", "predict"):
            del view.__dict__[f"make_{kind}_function"]
    return model


def fitted(data, config=None, batch_size=16, **settings) -> sigae.SignalAutoencoder:
    model = sigae.SignalAutoencoder(config or tiny_config(latent_dim=3), seed=0)
    model.fit(data, epochs=2, batch_size=batch_size, seed=0, verbose=0, **settings)
    return model


def test_a_second_model_of_one_architecture_traces_nothing(data, traces):
    first = fitted(data, batch_size=13)  # a batch no other test traces
    first.encode(data)
    assert "train" in traces
    assert "predict" in traces
    traces.clear()
    second = fitted(data, batch_size=13)
    second.encode(data)
    second.decode(second.encode(data))
    assert traces == ["predict"]  # the decoder view: the first model never decoded


def test_a_shared_step_trains_and_predicts_bit_for_bit_as_keras_own_step(data):
    fitted(data)  # traces the steps, at the default learning rate
    # the rate, and so its schedule, is state, not traced in
    shared = fitted(data, learning_rate=0.01, schedule="linear")
    own = keras_own(sigae.SignalAutoencoder(tiny_config(latent_dim=3), seed=0))
    own.fit(data, epochs=2, batch_size=16, seed=0, verbose=0, learning_rate=0.01,
            schedule="linear")
    assert shared.history.to_dict() == own.history.to_dict()
    for a, b in zip(shared.autoencoder.get_weights(), own.autoencoder.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(shared.encode(data), own.encode(data))
    np.testing.assert_array_equal(shared.reconstruct(data), own.reconstruct(data))


@pytest.mark.parametrize("change", ["optimizer", "frozen layer", "architecture"])
def test_what_changes_the_program_traces_a_step_of_its_own(data, traces, change):
    config = tiny_config(latent_dim=3)
    fitted(data, config)
    traces.clear()
    if change == "optimizer":
        fitted(data, config, weight_decay=1e-3)  # AdamW
    elif change == "frozen layer":
        model = sigae.SignalAutoencoder(config, seed=0)
        model.encoder.layers[2].trainable = False
        model.fit(data, epochs=1, batch_size=16, seed=0, verbose=0)
    else:
        fitted(data, tiny_config(latent_dim=3, activation="relu"))
    assert "train" in traces


def test_sharing_keeps_no_model_alive(data):
    config = tiny_config(latent_dim=2)  # an architecture no other test traces
    model = fitted(data, config)  # the model that traces its steps
    model.encode(data)
    gone = weakref.ref(model.autoencoder)
    del model
    gc.collect()
    assert gone() is None
    fitted(data, config, batch_size=12).encode(data)  # the next one still runs, new shapes


def test_other_backends_keep_keras_own_steps(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    assert "make_train_function" not in model.autoencoder.__dict__
