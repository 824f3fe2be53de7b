"""Every model object of one architecture shares its compiled steps (sigae.architecture.steps):
a new model trains and predicts without tracing them again, exactly as Keras' own steps do."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from conftest import tiny_config

import sigae
from sigae.architecture import steps


@pytest.fixture(autouse=True)
def no_shared_steps():
    steps.clear()
    yield
    steps.clear()


def templates(kind: str) -> list[int]:
    """Which models (their `id`) the shared steps of `kind` were traced on."""
    return [id(template) for key, (template, _) in steps._steps.items() if key[0] == kind]


def keras_own(model: sigae.SignalAutoencoder) -> sigae.SignalAutoencoder:
    """`model` with Keras' own step makers, as if it shared nothing."""
    for view in (model.encoder, model.decoder, model.autoencoder):
        for kind in ("train", "test", "predict"):
            del view.__dict__[f"make_{kind}_function"]
    return model


def fitted(data, **settings) -> sigae.SignalAutoencoder:
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    model.fit(data, epochs=2, batch_size=16, seed=0, verbose=0, **settings)
    return model


def test_a_second_model_of_one_architecture_reuses_the_first_models_steps(data):
    first = fitted(data)
    second = fitted(data)
    assert templates("train") == [id(first.autoencoder)]
    assert id(first.autoencoder) in templates("predict")
    assert id(second.autoencoder) not in templates("predict")
    first.encode(data)
    second.encode(data)
    assert id(first.encoder) in templates("predict")
    assert id(second.encoder) not in templates("predict")


def test_a_shared_step_trains_and_predicts_bit_for_bit_as_keras_own_step(data):
    fitted(data)  # the template, at the default learning rate
    shared = fitted(data, learning_rate=0.01)  # the rate is state, not traced in
    own = keras_own(sigae.SignalAutoencoder(tiny_config(), seed=0))
    own.fit(data, epochs=2, batch_size=16, seed=0, verbose=0, learning_rate=0.01)
    assert shared.history.to_dict() == own.history.to_dict()
    for a, b in zip(shared.autoencoder.get_weights(), own.autoencoder.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(shared.encode(data), own.encode(data))
    np.testing.assert_array_equal(shared.reconstruct(data), own.reconstruct(data))


def test_another_optimizer_traces_a_step_of_its_own(data):
    first = fitted(data)
    decayed = fitted(data, weight_decay=1e-3)
    assert set(templates("train")) == {id(first.autoencoder), id(decayed.autoencoder)}


def test_a_template_that_changed_since_is_not_reused(data):
    first = fitted(data)
    first.fit(data, epochs=1, batch_size=16, seed=0, verbose=0, weight_decay=1e-3)  # AdamW now
    second = fitted(data)  # Adam, like the first model's first fit
    assert id(second.autoencoder) in templates("train")
    assert id(first.autoencoder) in templates("train")  # for AdamW


def test_frozen_layers_make_another_step(data):
    first = fitted(data)
    frozen = sigae.SignalAutoencoder(tiny_config(), seed=0)
    frozen.encoder.layers[2].trainable = False
    frozen.fit(data, epochs=1, batch_size=16, seed=0, verbose=0)
    assert set(templates("train")) == {id(first.autoencoder), id(frozen.autoencoder)}


def test_other_backends_keep_keras_own_steps(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    assert "make_train_function" not in model.autoencoder.__dict__


def test_the_shared_steps_are_bounded(data):
    for length in range(32, 32 + 2 * steps.ENTRIES, 2):
        model = sigae.SignalAutoencoder(tiny_config(length=length), seed=0)
        model.autoencoder.predict(np.zeros((4, length, 1), "float32"), verbose=0)
    assert len(steps._steps) == steps.ENTRIES
