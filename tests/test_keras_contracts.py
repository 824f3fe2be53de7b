"""sigae keeps Keras' contracts: every layer it defines round-trips through its config, the
names Keras gives a meaning keep it, and a private Keras method is overridden only where it
was read."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
import warnings

import keras
import numpy as np
import pytest
from keras.src.trainers.trainer import Trainer

import sigae
import sigae.architecture
from sigae.architecture import contrast, designs, fastpath, initializers, views

EXAMPLES = {
    views.Standardize: lambda: views.Standardize(per_channel=False, invert=True, name="s"),
    designs.Sampling: lambda: designs.Sampling(0.5, 64, seed=7, name="sampling"),
    contrast.Contrast: lambda: contrast.Contrast(0.3, temperature=0.5, shift=0.2, scale=0.1,
                                                 mask=0.2, noise=0.05, seed=11),
    fastpath.Conv1D: lambda: fastpath.Conv1D(
        8, 5, padding="same", activation="relu",
        kernel_initializer=initializers.GlorotUniform(seed=3),
        bias_initializer=initializers.Zeros()),
    fastpath.Dense: lambda: fastpath.Dense(16, activation="tanh", repeat=2, channels=4,
                                           kernel_initializer=initializers.Ones()),
    fastpath.MaxPooling1D: lambda: fastpath.MaxPooling1D(3, padding="same"),
}
"""One layer of each of sigae's classes, its arguments away from their defaults."""


def sigae_layer_classes() -> set[type]:
    """Every `keras.layers.Layer` subclass defined in `sigae.architecture`, models aside."""
    for module in pkgutil.iter_modules(sigae.architecture.__path__):
        importlib.import_module(f"sigae.architecture.{module.name}")
    found, pending = set(), [keras.layers.Layer]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("sigae.") and not issubclass(sub, keras.Model):
                found.add(sub)
    return found


def round_trips(layer: keras.layers.Layer) -> bool:
    """Whether `layer`'s configuration names every argument of its constructor and rebuilds
    a layer with the same configuration."""
    config = layer.get_config()
    parameters = [name for name, p in inspect.signature(type(layer).__init__).parameters.items()
                  if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if not all(name in config for name in parameters):
        return False
    twin = type(layer).from_config(config)
    return twin.get_config() == config


def test_every_layer_class_of_sigae_has_an_example_here():
    assert sigae_layer_classes() == set(EXAMPLES)


@pytest.mark.parametrize("cls", list(EXAMPLES), ids=lambda cls: cls.__name__)
def test_every_layer_round_trips_through_its_config(cls):
    layer = EXAMPLES[cls]()
    assert round_trips(layer)


def test_the_variational_sampling_keeps_its_seed():
    twin = designs.Sampling.from_config(designs.Sampling(1.0, 8, seed=42).get_config())
    assert twin.seed == 42


def test_a_layer_whose_config_forgets_an_argument_is_caught():
    class Forgetful(designs.Sampling):
        def get_config(self):
            config = super().get_config()
            del config["seed"]
            return config

    assert not round_trips(Forgetful(1.0, 8, seed=3))


@pytest.mark.parametrize("make", [
    lambda: initializers.GlorotUniform(seed=5), initializers.Zeros, initializers.Ones])
def test_every_initializer_round_trips_through_its_config(make):
    initializer = make()
    twin = type(initializer).from_config(initializer.get_config())
    assert twin.get_config() == initializer.get_config()


def test_the_private_keras_method_overridden_is_the_one_it_was_read_against():
    digest = hashlib.sha256(inspect.getsource(Trainer._symbolic_build).encode()).hexdigest()
    recorded = views.KERAS_SYMBOLIC_BUILD.get(keras.version())
    assert recorded in (None, digest[:16]), (
        f"Keras {keras.version()} changed Trainer._symbolic_build: read it again against "
        "sigae.architecture.views.Autoencoder._symbolic_build, then record its digest")


@pytest.mark.parametrize("known", [True, False])
def test_on_a_keras_it_was_not_read_against_the_override_defers_to_keras(known, monkeypatch):
    calls = []
    original = Trainer._symbolic_build

    def spy(self, *args, **kwargs):
        calls.append(type(self).__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "_symbolic_build", spy)
    if not known:
        monkeypatch.setattr(views, "KERAS_SYMBOLIC_BUILD", {})
    model = sigae.SignalAutoencoder(sigae.ModelConfig(length=32, latent_dim=2, blocks=()),
                                    seed=0)
    model.fit(np.random.default_rng(0).normal(size=(20, 32, 1)), epochs=1, batch_size=10,
              augment="none", seed=0, verbose=0)
    assert ("Autoencoder" in calls) is (not known or keras.version()
                                       not in views.KERAS_SYMBOLIC_BUILD)


def test_count_params_is_keras_count_and_param_counts_is_per_view():
    model = sigae.SignalAutoencoder(sigae.ModelConfig(length=32, latent_dim=2), seed=0)
    assert model.count_params() == model.autoencoder.count_params()
    counts = model.param_counts()
    assert set(counts) == {"encoder", "decoder", "autoencoder"}
    # the normalization's statistics are weights Keras counts, not trainable parameters
    assert counts["autoencoder"] == model.count_params() - 4


def test_the_renamed_members_warn_once_and_still_work():
    from sigae.core import deprecation

    deprecation._warned.clear()
    model = sigae.SignalAutoencoder(sigae.ModelConfig(length=32, latent_dim=2,
                                                      variational=True,
                                                      linear_path=False), seed=0)
    with pytest.warns(DeprecationWarning, match=r"log_var_view is deprecated.*use SignalAutoencoder\.log_var"):
        assert model.log_var_view is model.log_var
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert model.log_var_view is model.log_var  # the second time, silent
    learned = sigae.training.Learned(np.zeros(()), np.ones(()), length_policy="pad")
    with pytest.warns(DeprecationWarning, match=r"Learned.lengths is deprecated"):
        assert learned.lengths == "pad"
