"""The default design starts at PCA's solution and can only improve on it."""

from __future__ import annotations

import numpy as np
import pytest

import sigae
from conftest import signals, tiny_config


def pca_validation_mse(train, validation, k, stats_from=None):
    """PCA reconstruction error in normalized units, from numpy's SVD alone.

    PCA is fitted on `train`; the normalization statistics come from `stats_from`
    (default `train`), as the model fits them on its training split only.
    """
    stats_from = train if stats_from is None else stats_from
    mean, std = stats_from.mean(axis=(0, 1)), stats_from.std(axis=(0, 1))
    a = ((train - mean) / std).reshape(len(train), -1)
    b = ((validation - mean) / std).reshape(len(validation), -1)
    center = a.mean(axis=0)
    _, _, axes = np.linalg.svd(a - center, full_matrices=False)
    p = axes[:k]
    return float(np.mean(np.square((b - center) @ p.T @ p + center - b)))


@pytest.fixture(scope="module")
def harmonics():
    # Two harmonics with random amplitudes and phases: rank 4 for PCA, noisy.
    rng = np.random.default_rng(5)
    t = np.linspace(0, 1, 40)
    a = rng.normal(size=(80, 4, 1))
    x = (a[:, 0] * np.sin(6 * t) + a[:, 1] * np.cos(6 * t)
         + np.tanh(3 * a[:, 2]) * np.sin(17 * t + a[:, 3]))[:, :, None]
    return (x + rng.normal(0, 0.05, x.shape)).astype("float32")


@pytest.fixture(scope="module")
def halves(harmonics):
    """The training and validation signals of a `fit` with `seed=0` (the fair split)."""
    from sigae.training.split import split

    return split(harmonics, 0.2, seed=0)


def test_training_starts_exactly_at_the_pca_error(harmonics, halves):
    model = sigae.SignalAutoencoder(tiny_config(length=40, linear_path=True, latent_dim=3))
    model.fit(harmonics, epochs=1, batch_size=16, seed=0, verbose=0)
    expected = pca_validation_mse(*halves, 3)  # PCA of the training signals alone
    assert model.history.initial_loss == pytest.approx(expected, abs=1e-4)


def test_after_training_the_error_is_never_above_pca(harmonics, halves):
    model = sigae.SignalAutoencoder(tiny_config(length=40, linear_path=True, latent_dim=3))
    model.fit(harmonics, epochs=15, batch_size=16, seed=0, verbose=0)
    validation, std = halves[1], model.normalization[1]
    now = float(np.mean(np.square((model.reconstruct(validation) - validation) / std)))
    assert now <= pca_validation_mse(*halves, 3) + 1e-5


def test_the_linear_path_keeps_every_guarantee(harmonics, tmp_path):
    model = sigae.SignalAutoencoder(tiny_config(length=40, linear_path=True, latent_dim=3))
    model.fit(harmonics, epochs=2, batch_size=16, seed=0, verbose=0)
    assert np.array_equal(model.decode(model.encode(harmonics)), model.reconstruct(harmonics))
    model.save(tmp_path / "m.sigae")
    loaded = sigae.load(tmp_path / "m.sigae")
    assert np.array_equal(loaded.reconstruct(harmonics), model.reconstruct(harmonics))


def test_more_latent_dimensions_than_signals_leave_the_extra_ones_to_the_convolutions():
    x = signals(n=6, length=40)
    model = sigae.SignalAutoencoder(tiny_config(length=40, linear_path=True, latent_dim=8))
    model.fit(x, epochs=1, batch_size=2, seed=0, verbose=0, validation_split=0.0)
    assert np.all(np.isfinite(model.encode(x)))


def test_the_linear_path_needs_a_linear_code():
    with pytest.raises(sigae.ConfigError, match=r"linear_path=True .* needs latent_activation='linear'"):
        sigae.ModelConfig(length=40, latent_activation="tanh")


def test_every_fit_stores_the_pca_baseline_of_an_independent_svd(harmonics, halves):
    model = sigae.SignalAutoencoder(tiny_config(length=40, linear_path=False, latent_dim=3))
    model.fit(harmonics, epochs=2, batch_size=16, seed=0, verbose=0)
    comparison = model.comparison
    validation = halves[1]
    mean, std = model.normalization
    variance = float(np.var((validation - mean) / std))
    assert comparison.data == "validation"
    assert comparison.n_signals == 16
    assert comparison.pca_nmse == pytest.approx(
        pca_validation_mse(*halves, 3) / variance,
        rel=1e-4)
    own = float(np.mean(np.square((model.reconstruct(validation) - validation) / std)))
    assert comparison.nmse == pytest.approx(own / variance, rel=1e-4)
    assert comparison.summary() == (
        f"validation NMSE {comparison.nmse:.4g} (PCA with 3 dims: {comparison.pca_nmse:.4g}); "
        f"in data units {comparison.data_nmse:.4g} "
        f"(PCA of the raw signals: {comparison.data_pca_nmse:.4g})")


def test_the_baseline_is_saved_with_the_model(harmonics, tmp_path):
    model = sigae.SignalAutoencoder(tiny_config(length=40, latent_dim=3))
    model.fit(harmonics, epochs=1, batch_size=16, seed=0, verbose=0)
    model.save(tmp_path / "m.sigae")
    assert sigae.load(tmp_path / "m.sigae").comparison == model.comparison


def test_an_epoch_must_beat_the_start_clearly_to_replace_it():
    from sigae.training import GuardCallback

    start = np.random.default_rng(0).uniform(0.5, 1.5, 20)
    noisy = start + np.random.default_rng(1).normal(-0.01, 0.2, 20)  # slightly lower, noisy
    assert not GuardCallback("val_loss", 5, 1.0, lambda: noisy, start)._beats_start_clearly()
    assert GuardCallback("val_loss", 5, 1.0, lambda: start * 0.8, start)._beats_start_clearly()


def test_without_a_clear_gain_the_model_stays_pca_of_every_signal(harmonics):
    model = sigae.SignalAutoencoder(tiny_config(length=40, linear_path=True, latent_dim=3))
    model.fit(harmonics, epochs=2, batch_size=16, learning_rate=1e-12, seed=0, verbose=0)
    assert model.history.best_epoch is None
    mean, std = model.normalization
    a = ((harmonics - mean) / std).reshape(len(harmonics), -1)
    center = a.mean(axis=0)
    _, _, axes = np.linalg.svd(a - center, full_matrices=False)
    p = axes[:3]
    expected = ((a - center) @ p.T @ p + center).reshape(harmonics.shape) * std + mean
    np.testing.assert_allclose(model.reconstruct(harmonics), expected, atol=2e-3)
    assert model.comparison.ratio == pytest.approx(1.0, abs=1e-3)


def test_patience_is_doubled_while_no_epoch_beats_the_pca_start():
    # Signals in a 2-dimensional subspace: PCA with 4 dimensions reconstructs them exactly,
    # so no epoch can beat the start and training stops after twice the patience.
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 40)
    a = rng.normal(size=(60, 2, 1))
    x = (a[:, 0] * np.sin(6 * t) + a[:, 1] * np.cos(11 * t))[:, :, None].astype("float32")
    model = sigae.SignalAutoencoder(tiny_config(length=40, linear_path=True), seed=0)
    history = model.fit(x, epochs=50, batch_size=16, patience=3, verbose=0)
    assert history.best_epoch is None
    assert history.epochs == 6
