"""Normalization is fitted on the training data only and travels inside the model."""

from __future__ import annotations

import numpy as np
import pytest

import sigae
from conftest import signals, tiny_config


def test_statistics_come_from_the_training_part_only():
    from sigae.training.split import split

    x = signals(n=50)
    x[:, 0, 0] = np.arange(50)  # each signal told apart by its first sample
    training, validation = split(x, 0.2, seed=0)
    x[np.isin(x[:, 0, 0], validation[:, 0, 0])] += 1000.0  # the validation part: far away
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    model.fit(x, epochs=1, batch_size=16, validation_split=0.2, seed=0, verbose=0)
    mean, std = model.normalization
    np.testing.assert_allclose(mean, training.mean(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_allclose(std, training.std(axis=(0, 1)), rtol=1e-4)


def test_global_normalization_uses_one_scalar():
    x = signals(n=30, channels=2)
    x[..., 1] *= 10
    model = sigae.SignalAutoencoder(tiny_config(channels=2, normalization="global"), seed=0)
    model.fit(x, epochs=1, validation_split=0.0, verbose=0)
    mean, std = model.normalization
    assert mean.shape == std.shape == ()
    assert std == pytest.approx(x.std(), rel=1e-4)


def test_per_channel_normalization_has_one_value_per_channel():
    x = signals(n=30, channels=2)
    x[..., 1] = x[..., 1] * 10 - 7
    model = sigae.SignalAutoencoder(tiny_config(channels=2, normalization="per_channel"), seed=0)
    model.fit(x, epochs=1, validation_split=0.0, verbose=0)
    mean, std = model.normalization
    np.testing.assert_allclose(mean, x.mean(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_allclose(std, x.std(axis=(0, 1)), rtol=1e-4)


def test_statistics_are_kept_when_training_continues():
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    model.fit(signals(n=30), epochs=1, verbose=0)
    first = model.normalization
    model.fit(signals(n=30) * 3, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(first, model.normalization, strict=True))


def test_decoded_signals_are_in_the_units_of_the_training_data(trained, data):
    reconstruction = trained.reconstruct(data)
    assert abs(float(reconstruction.mean()) - float(data.mean())) < 2.0  # data mean is ~30


def test_the_loss_is_measured_in_normalized_units():
    # The same signals in other units train identically: scale and offset do not matter.
    x = signals(n=40)
    histories = []
    for scale, offset in ((1.0, 0.0), (1000.0, -5e4)):
        model = sigae.SignalAutoencoder(tiny_config())
        histories.append(model.fit(x * scale + offset, epochs=2, batch_size=16, seed=0,
                                   verbose=0))
    np.testing.assert_allclose(histories[0].loss, histories[1].loss, rtol=2e-3)


def test_constant_signals_never_give_nan():
    x = np.full((20, 48, 1), 3.25, "float32")
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    history = model.fit(x, epochs=2, batch_size=10, verbose=0)
    assert np.all(np.isfinite(history.loss))
    assert model.normalization[1] == 1.0
    assert np.all(np.isfinite(model.reconstruct(x)))
    assert np.all(np.isfinite(model.encode(x + 100.0)))
