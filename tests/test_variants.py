"""Denoising and variational models keep every guarantee of the plain one."""

from __future__ import annotations

import numpy as np
import pytest
from keras.ops import convert_to_numpy

import sigae
from conftest import signals, tiny_config
from sigae.architecture.designs import weight_shapes
from sigae.consistency import check_consistency

VARIANTS = {
    "denoising": {"noise_std": 0.3},
    "variational": {"variational": True, "beta": 0.5},
}


@pytest.fixture(scope="module", params=list(VARIANTS))
def variant(request) -> sigae.SignalAutoencoder:
    model = sigae.SignalAutoencoder(tiny_config(**VARIANTS[request.param]), seed=0)
    model.fit(signals(120), epochs=3, batch_size=16, seed=0, verbose=0)
    return model


def test_variants_pass_the_consistency_check(variant, tmp_path):
    x = signals(30, seed=1)
    report = check_consistency(variant, x)
    assert report.passed, report
    assert np.array_equal(variant.decode(variant.encode(x)), variant.reconstruct(x))
    variant.save(tmp_path / "v.sigae")
    again = sigae.load(tmp_path / "v.sigae")
    assert again.config == variant.config
    assert np.array_equal(again.encode(x), variant.encode(x))


def test_variants_are_random_in_training_only(variant):
    x = signals(8, seed=2)
    first = convert_to_numpy(variant.autoencoder(x, training=True))
    second = convert_to_numpy(variant.autoencoder(x, training=True))
    assert not np.array_equal(first, second)
    assert np.array_equal(convert_to_numpy(variant.autoencoder(x)),
                          convert_to_numpy(variant.autoencoder(x)))
    assert np.array_equal(variant.encode(x), variant.encode(x))


@pytest.mark.parametrize("changes", list(VARIANTS.values()))
def test_variant_weight_shapes_are_computed_exactly(changes):
    model = sigae.SignalAutoencoder(tiny_config(**changes), seed=0)
    assert {w.path: tuple(w.shape) for w in model.autoencoder.weights} == weight_shapes(
        model.config)


def test_the_kl_term_is_finite_and_matches_its_formula():
    model = sigae.SignalAutoencoder(tiny_config(variational=True, beta=2.0), seed=0)
    model.fit(signals(60), epochs=1, batch_size=16, seed=0, verbose=0)
    x = signals(16, seed=3)
    model.autoencoder(x, training=True)
    (loss,) = [float(convert_to_numpy(v)) for v in model.autoencoder.losses]
    mean, variance = model.encode(x, return_variance=True)
    kl = -0.5 * np.sum(1 + np.log(variance) - mean**2 - variance, axis=1)
    assert np.isfinite(loss)
    np.testing.assert_allclose(loss, 2.0 * kl.mean() / 48, rtol=1e-4)
    assert (variance > 0).all()


def test_variance_is_only_for_variational_models(trained):
    with pytest.raises(sigae.ConfigError, match=r"return_variance=True needs a variational"):
        trained.encode(signals(2), return_variance=True)


@pytest.mark.parametrize(("changes", "message"), [
    ({"variational": True, "linear_path": True}, r"variational=True needs linear_path=False"),
    ({"noise_std": -1.0}, r"noise_std must be a number >= 0"),
    ({"beta": float("nan")}, r"beta must be a number >= 0"),
])
def test_invalid_variant_settings_are_refused(changes, message):
    with pytest.raises(sigae.ConfigError, match=message):
        tiny_config(**changes)


def test_a_variational_model_generates_from_its_prior():
    from sigae.study import latent

    model = sigae.SignalAutoencoder(tiny_config(variational=True), seed=0)
    model.fit(signals(60), epochs=1, batch_size=16, seed=0, verbose=0)
    samples = latent.generate(model, 500, sampler="prior", seed=0)
    assert abs(samples.codes.mean()) < 0.1
    assert samples.codes.std() == pytest.approx(1.0, abs=0.1)
    assert samples.signals.shape == (500, 48, 1)
