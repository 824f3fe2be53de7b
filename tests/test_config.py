"""ModelConfig: validated plain data, and the presets."""

from __future__ import annotations

import dataclasses

import pytest

import sigae
from sigae import ConfigError, ConvBlock, ModelConfig
from sigae.architecture.config import preset


def test_default_config_round_trips_through_plain_data():
    config = ModelConfig(length=501, channels=3, latent_dim=7)
    assert ModelConfig.from_dict(config.to_dict()) == config


def test_question_preset_round_trips_through_plain_data():
    config = preset("question", length=501)
    assert ModelConfig.from_dict(config.to_dict()) == config


def test_config_is_frozen():
    config = ModelConfig(length=64)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.length = 32


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"latent_dim": 0}, r"latent_dim must be a strictly positive integer\. Received latent_dim=0"),
        ({"length": -3}, r"Received length=-3"),
        ({"channels": 1.5}, r"Received channels=1\.5"),
        ({"activation": "swish!"}, r"activation must be one of .* Received activation='swish!'"),
        ({"padding": "causal"}, r"padding must be one of"),
        ({"decoder": "dense", "padding": "valid", "latent_dim": 2},
         r"latent_dim=2 is too small for the dense decoder"),
        ({"padding": "valid"}, r"decoder='convolutional' needs padding='same'"),
        ({"blocks": [(8, 3, 2)]}, r"blocks must be a sequence of ConvBlock"),
    ],
)
def test_impossible_config_names_the_argument(changes, message):
    with pytest.raises(ConfigError, match=message):
        ModelConfig(**{"length": 64, **changes})


def test_same_padding_takes_every_length_down_to_one():
    assert ModelConfig(length=1).encoded_length == 1


def test_too_short_length_with_valid_padding_counts_kernels():
    with pytest.raises(ConfigError, match=r"use length >= 10"):
        preset("question", length=9)
    preset("question", length=10)  # the minimum works


def test_conv_block_rejects_zero_filters():
    with pytest.raises(ConfigError, match=r"Received filters=0"):
        ConvBlock(0)


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(ConfigError, match=r"Unknown model configuration keys \['learning_rate'\]"):
        ModelConfig.from_dict({"length": 64, "learning_rate": 0.1})


def test_from_dict_rejects_a_missing_length():
    with pytest.raises(ConfigError, match=r"Invalid model configuration"):
        ModelConfig.from_dict({"channels": 1})


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(ConfigError, match=r"Unknown preset 'vae'. Known presets: default, question"):
        preset("vae", length=64)


def test_question_preset_has_the_questions_parameter_counts():
    model = sigae.SignalAutoencoder.from_preset("question", length=501, channels=1)
    assert model.param_counts() == {
        "encoder": 151_616,
        "decoder": 14_903_157,
        "autoencoder": 15_054_773,
    }


def test_question_preset_has_the_questions_layers():
    model = sigae.SignalAutoencoder.from_preset("question", length=501)
    encoder = [(type(layer).__name__, layer.output.shape[1:]) for layer in model.encoder.layers[2:]]
    assert encoder == [
        ("Conv1D", (499, 256)),
        ("MaxPooling1D", (249, 256)),
        ("Conv1D", (247, 32)),
        ("MaxPooling1D", (123, 32)),
        ("Flatten", (3936,)),
        ("Dense", (32,)),
    ]
    decoder = [(type(layer).__name__, layer.output.shape[1:]) for layer in model.decoder.layers[1:-1]]
    assert decoder == [
        ("Reshape", (32, 1)),
        ("Conv1D", (30, 32)),
        ("UpSampling1D", (60, 32)),
        ("Conv1D", (58, 256)),
        ("UpSampling1D", (116, 256)),
        ("Flatten", (29696,)),
        ("Dense", (501,)),
        ("Reshape", (501, 1)),
    ]
    activations = {layer.name: layer.activation.__name__
                   for layer in model.encoder.layers + model.decoder.layers
                   if hasattr(layer, "activation")}
    assert activations == {
        "encoder_conv_0": "tanh", "encoder_conv_1": "tanh", "latent": "tanh",
        "decoder_conv_1": "tanh", "decoder_conv_0": "tanh", "decoder_dense": "linear",
    }


def test_default_design_is_far_smaller_than_the_question():
    default = sigae.SignalAutoencoder.from_preset("default", length=501).param_counts()
    question = sigae.SignalAutoencoder.from_preset("question", length=501).param_counts()
    assert default["autoencoder"] * 20 < question["autoencoder"]
