"""Small data: augmentation, the cross-validated choice, and the comparison in data units."""

from __future__ import annotations

import numpy as np
import pytest

import sigae
from sigae.data.augment import Augmentation, mix, noise_floor, scale, shift, warp
from sigae.data.normalization import fit_normalization
from sigae.data.streaming import Batches
from sigae.errors import ConfigError
from sigae.training import TrainingConfig
from sigae.training import choice as selection
from sigae.training.choice import CANDIDATES


def _signals(n: int = 16, length: int = 64, channels: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, length)
    phase = rng.uniform(0, 6, (n, 1, channels))
    return (np.sin(2 * np.pi * 3 * t[None, :, None] + phase) + 2.0
            + rng.normal(0, 0.05, (n, length, channels))).astype("float32")


# -- augmentation -------------------------------------------------------------------------

@pytest.mark.parametrize("augmentation", [Augmentation.standard(), Augmentation(shift=0.1),
                                          Augmentation(warp=0.3, fraction=1.0)])
def test_augmentation_keeps_shape_and_dtype_and_is_seeded(augmentation):
    x = _signals()
    first = augmentation(x, np.random.default_rng(1))
    assert first.shape == x.shape
    assert first.dtype == x.dtype
    np.testing.assert_array_equal(first, augmentation(x, np.random.default_rng(1)))
    assert not np.array_equal(first, augmentation(x, np.random.default_rng(2)))
    assert not np.array_equal(first, x)


def test_a_shift_moves_the_signal_and_repeats_the_edge():
    x = np.zeros((50, 40, 1))
    x[:, 20, 0] = 1.0
    moved = shift(x, np.random.default_rng(0), 0.25)  # up to 10 samples
    positions = np.argmax(moved[:, :, 0], axis=1) - 20
    assert set(np.abs(positions)) - set(range(11)) == set()
    assert len(set(positions)) > 5
    ramp = np.arange(40.0)[None, :, None]
    moved = shift(ramp, np.random.default_rng(3), 0.25)[0, :, 0]
    step = int(moved[-1] - ramp[0, -1, 0])  # a ramp moved by s ends s lower, edge repeated
    np.testing.assert_array_equal(moved, np.clip(np.arange(40.0) + step, 0, 39))


def test_scaling_scales_the_deviation_from_the_mean():
    x = _signals(channels=1).astype("float64")
    out = scale(x, np.random.default_rng(0), 0.3)
    level = x.mean(axis=1, keepdims=True)
    factor = (out - level) / (x - level)
    np.testing.assert_allclose(factor, np.broadcast_to(factor[:, :1], factor.shape), rtol=1e-9)
    np.testing.assert_allclose(out.mean(axis=1), x.mean(axis=1), rtol=1e-9)
    assert factor[:, 0, 0].std() > 0.1


def test_noise_is_a_fraction_of_the_signals_noise_floor():
    rng = np.random.default_rng(0)
    smooth = np.sin(np.linspace(0, 6, 2000))[None, :, None]
    x = smooth + rng.normal(0, 0.1, (1, 2000, 1))
    np.testing.assert_allclose(noise_floor(x)[0, 0, 0], 0.1, rtol=0.1)
    added = Augmentation(noise=2.0, fraction=1.0)(x, rng) - x
    np.testing.assert_allclose(added.std(), 0.2, rtol=0.1)


def test_warping_resamples_in_order_and_keeps_both_ends():
    ramp = np.tile(np.arange(100.0)[None, :, None], (20, 1, 1))
    out = warp(ramp, np.random.default_rng(0), 0.3)
    assert np.all(np.diff(out[:, :, 0], axis=1) > 0)
    np.testing.assert_allclose(out[:, [0, -1], 0], [[0.0, 99.0]] * 20)
    assert np.abs(out - ramp).max() > 1.0


def test_mixing_moves_a_signal_toward_another():
    x = np.zeros((30, 10, 1))
    pool = np.ones((5, 10, 1))
    out = mix(x, pool, np.random.default_rng(0), 0.2)
    assert out.min() >= 0
    assert 0.1 < out.max() <= 0.2


def test_augmentation_text_form():
    assert Augmentation.parse("shift=0.05,noise") == Augmentation(shift=0.05, noise=0.5)
    assert Augmentation.parse(Augmentation.standard().describe()) == Augmentation.standard()
    assert Augmentation(fraction=0.0, shift=0.1)(_signals(), np.random.default_rng(0)).tolist() \
        == _signals().tolist()
    for bad in ("bend=2", "shift=x", "", "shift=0.9"):
        with pytest.raises(ConfigError):
            Augmentation.parse(bad)


def test_augmented_batches_are_a_function_of_seed_and_epoch():
    x = _signals(n=32)
    def batches(epoch):
        return Batches(x, 8, seed=3, start_epoch=epoch, augment=Augmentation.standard())
    first, again = batches(2)[1], batches(2)[1]
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[0], first[1])  # input and target alike
    assert not np.array_equal(first[0], batches(3)[1][0])


def test_fit_trains_with_a_given_augmentation_and_keeps_it_in_the_settings():
    x = _signals(n=40, length=32)
    model = sigae.SignalAutoencoder.from_preset("default", length=32, channels=2, latent_dim=3,
                                                seed=0)
    model.fit(x, epochs=2, seed=0, verbose=0, augment="shift=0.05,scale")
    plain = sigae.SignalAutoencoder.from_preset("default", length=32, channels=2,
                                                latent_dim=3, seed=0)
    plain.fit(x, epochs=2, seed=0, verbose=0, augment="none")
    assert model.history.loss != plain.history.loss
    assert model.learned.choice is None  # a fixed number of epochs: no choice
    with pytest.raises(ConfigError, match="Unknown augmentation"):
        plain.fit(x, epochs=1, augment="wiggle")


# -- normalization chosen from the data ---------------------------------------------------

def test_auto_normalization_is_global_for_comparable_channels_and_per_channel_otherwise():
    x = _signals(n=20)
    mean, std = fit_normalization(x, "auto")
    np.testing.assert_allclose(mean, [x.mean()] * 2, rtol=1e-5)
    np.testing.assert_allclose(std, [x.std()] * 2, rtol=1e-5)
    scaled = x * np.array([1.0, 1000.0], dtype="float32")
    mean, std = fit_normalization(scaled, "auto")
    np.testing.assert_allclose(std, scaled.std(axis=(0, 1)), rtol=1e-5)


# -- the comparison in data units ---------------------------------------------------------

def pca_reconstruction(fitted_on: np.ndarray, x: np.ndarray, k: int) -> np.ndarray:
    """`x` (n, features) reconstructed by the `k` principal axes of `fitted_on`, by SVD."""
    centre = fitted_on.mean(axis=0)
    _, _, axes = np.linalg.svd(fitted_on - centre, full_matrices=False)
    return (x - centre) @ axes[:k].T @ axes[:k] + centre


def test_the_data_unit_comparison_equals_an_independent_numpy_computation():
    from sigae.training.split import split

    x = _signals(n=50, length=32, channels=2) * np.array([1.0, 30.0], dtype="float32")
    model = sigae.SignalAutoencoder.from_preset("default", length=32, channels=2, latent_dim=3,
                                                seed=0)
    model.fit(x, epochs=2, seed=0, verbose=0)
    assert model.history.best_epoch is None  # the PCA start was kept
    training, validation = (part.reshape(len(part), -1).astype("float64")
                            for part in split(x, 0.2, seed=0))
    target = validation
    expected_pca = (np.mean(np.square(pca_reconstruction(training, target, 3) - target))
                    / np.var(target))
    # the model as judged: PCA of the training signals in its per-channel normalized units
    mean, std = (np.tile(v, 32) for v in model.normalization)
    judged = pca_reconstruction((training - mean) / std, (target - mean) / std, 3) * std + mean
    expected = np.mean(np.square(judged - target)) / np.var(target)
    comparison = model.comparison
    np.testing.assert_allclose(comparison.data_pca_nmse, expected_pca, rtol=1e-4)
    np.testing.assert_allclose(comparison.data_nmse, expected, rtol=1e-4)
    assert "in data units" in comparison.summary()
    # ... and, the decision made, the model ends as PCA of all the signals
    every = x.reshape(50, -1).astype("float64")
    final = pca_reconstruction((every - mean) / std, (every - mean) / std, 3) * std + mean
    np.testing.assert_allclose(model.reconstruct(x).reshape(50, -1), final, rtol=1e-3,
                               atol=1e-3 * np.abs(final).max())


# -- the cross-validated choice -----------------------------------------------------------

@pytest.fixture(scope="module")
def noise_model():
    x = np.random.default_rng(0).normal(size=(40, 32, 1)).astype("float32")
    model = sigae.SignalAutoencoder.from_preset("default", length=32, latent_dim=2, seed=0)
    model.fit(x, seed=0, verbose=0)
    return model


def test_the_choice_keeps_the_pca_start_on_pure_noise(noise_model):
    choice = noise_model.learned.choice
    assert choice.winner.name == "PCA"
    assert [s.candidate.name for s in choice.scores] == [c.name for c in CANDIDATES]
    assert all(s.nmse is not None and s.seconds >= 0 for s in choice.scores)
    assert choice.folds == 5
    assert choice.n_signals == 40
    assert noise_model.history.epochs == 0  # the PCA start, refitted on all the signals


def _bumps(n: int, seed: int) -> np.ndarray:
    # One narrow bump at a random place: a 1-parameter family that PCA needs many axes for.
    rng = np.random.default_rng(seed)
    t = np.arange(48)[None, :]
    centre = rng.uniform(8, 40, (n, 1))
    return np.exp(-0.5 * ((t - centre) / 1.5) ** 2)[:, :, None].astype("float32")


def test_the_choice_takes_the_convolutional_path_where_it_clearly_wins():
    x = _bumps(150, seed=0)
    model = sigae.SignalAutoencoder.from_preset("default", length=48, latent_dim=2, seed=0)
    model.fit(x, seed=0, verbose=0)
    choice = model.learned.choice
    assert choice.winner.trains, choice.summary()
    scores = {s.candidate.name: s.nmse for s in choice.scores}
    assert scores[choice.winner.name] < 0.8 * scores["PCA"]
    assert model.comparison.ratio < 0.8


def test_the_choice_and_the_figures_survive_save_and_load(noise_model, tmp_path):
    noise_model.save(tmp_path / "m.sigae")
    loaded = sigae.load(tmp_path / "m.sigae")
    assert loaded.learned.choice == noise_model.learned.choice
    assert loaded.comparison == noise_model.comparison
    assert loaded.comparison.data_ratio is not None


def test_the_choice_applies_only_to_small_fresh_automatic_runs():
    design = sigae.ModelConfig(length=16, latent_dim=2)
    settings = TrainingConfig()
    small = selection.CHOICE_BELOW - 1
    assert selection.applies(design, False, small, settings, alone=True)
    assert not selection.applies(design, False, small, settings, alone=False)
    assert not selection.applies(design, True, small, settings, alone=True)
    assert not selection.applies(design, False, selection.CHOICE_BELOW, settings, alone=True)
    assert not selection.applies(design, False, selection.MIN_SIGNALS - 1, settings, alone=True)
    for change in ({"epochs": 5}, {"augment": "none"}):
        assert not selection.applies(design, False, small, settings.__class__(**change),
                                     alone=True)
    question = sigae.architecture.config.preset("question", length=64)
    assert not selection.applies(question, False, small, settings, alone=True)
