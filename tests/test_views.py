"""One set of weights, three views: the guarantee the original question was missing."""

from __future__ import annotations

import numpy as np
import pytest

import sigae
from conftest import signals, tiny_config


def test_views_hold_the_very_same_variable_objects(trained):
    parts = trained.encoder.weights + trained.decoder.weights
    whole = trained.autoencoder.weights
    assert len(parts) == len(whole)
    assert all(a is b for a, b in zip(parts, whole, strict=True))


def test_autoencoder_is_decoder_of_encoder_over_the_same_models(trained):
    nested = [layer for layer in trained.autoencoder.layers if isinstance(layer, type(trained.encoder))]
    assert nested[0] is trained.encoder
    assert nested[1] is trained.decoder


def test_changing_a_weight_through_one_view_changes_the_others():
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    kernel = model.decoder.get_layer("decoder_output").kernel
    kernel.assign(np.zeros(kernel.shape, "float32"))
    whole = model.autoencoder.get_layer("decoder").get_layer("decoder_output").kernel
    assert not np.any(whole.numpy())


def test_decode_of_encode_equals_reconstruct_bit_for_bit(trained, data):
    assert np.array_equal(trained.decode(trained.encode(data)), trained.reconstruct(data))


def test_bitwise_equality_holds_for_other_batch_sizes(trained, data):
    for batch_size in (7, 60):
        codes = trained.encode(data, batch_size=batch_size)
        assert np.array_equal(
            trained.decode(codes, batch_size=batch_size),
            trained.reconstruct(data, batch_size=batch_size),
        )


def test_bitwise_equality_holds_after_save_and_load(trained, data, model_file):
    loaded = sigae.load(model_file)
    assert np.array_equal(loaded.decode(loaded.encode(data)), loaded.reconstruct(data))
    assert np.array_equal(loaded.reconstruct(data), trained.reconstruct(data))


def test_bitwise_equality_and_sharing_hold_after_more_training(data):
    model = sigae.SignalAutoencoder(tiny_config(), seed=1)
    encoder, decoder = model.encoder, model.decoder
    model.fit(data, epochs=2, batch_size=16, seed=1, verbose=0)
    before = model.reconstruct(data)
    model.fit(data, epochs=2, batch_size=16, patience=None, seed=2, verbose=0)
    assert model.encoder is encoder
    assert model.decoder is decoder
    assert all(a is b for a, b in zip(encoder.weights + decoder.weights,
                                      model.autoencoder.weights, strict=True))
    after = model.reconstruct(data)
    assert not np.array_equal(before, after), "the second fit should have trained further"
    assert np.array_equal(model.decode(model.encode(data)), after)


@pytest.mark.parametrize("length", [501, 251, 427, 1460, 150, 100, 24, 7, 1])
@pytest.mark.parametrize("channels", [1, 3])
def test_default_design_returns_exactly_length_samples(length, channels):
    model = sigae.SignalAutoencoder(sigae.ModelConfig(length=length, channels=channels))
    assert model.encoder.input_shape == (None, length, channels)
    assert model.autoencoder.output_shape == (None, length, channels)
    assert model.decoder.output_shape == (None, length, channels)


@pytest.mark.parametrize("length", [47, 100])
def test_dense_decoder_returns_exactly_length_samples(length):
    config = tiny_config(length=length, channels=2, decoder="dense", latent_dim=8)
    assert sigae.SignalAutoencoder(config).autoencoder.output_shape == (None, length, 2)


def test_multichannel_model_encodes_and_decodes_every_channel():
    x = signals(n=40, length=37, channels=3)
    model = sigae.SignalAutoencoder(tiny_config(length=37, channels=3), seed=0)
    model.fit(x, epochs=1, batch_size=20, verbose=0)
    codes = model.encode(x)
    assert codes.shape == (40, 4)
    assert model.decode(codes).shape == (40, 37, 3)
    assert np.array_equal(model.decode(codes), model.reconstruct(x))


def test_two_dimensional_input_is_one_channel(trained, data):
    assert np.array_equal(trained.encode(data[:, :, 0]), trained.encode(data))


def test_untrained_model_refuses_to_encode():
    model = sigae.SignalAutoencoder(tiny_config())
    with pytest.raises(sigae.NotFittedError, match=r"Cannot encode: the model is untrained"):
        model.encode(signals(n=2))


def test_wrong_length_says_what_the_model_takes(trained):
    with pytest.raises(sigae.DataError, match=r"length 40, but the model takes length 48"):
        trained.encode(np.zeros((2, 40, 1)))


def test_wrong_channels_say_what_the_model_takes(trained):
    with pytest.raises(sigae.DataError, match=r"holds 2 channel\(s\), but the model takes 1"):
        trained.encode(np.zeros((2, 48, 2)))


def test_codes_of_the_wrong_size_are_refused(trained):
    with pytest.raises(sigae.DataError, match=r"codes must have shape \(n_signals, 4\)"):
        trained.decode(np.zeros((2, 5)))


def test_non_finite_input_is_refused_with_its_position(trained):
    x = np.zeros((3, 48, 1), "float32")
    x[1, 7, 0] = np.inf
    with pytest.raises(sigae.DataError, match=r"1 NaN or infinite value\(s\), the first at index \(1, 7, 0\)"):
        trained.reconstruct(x)
