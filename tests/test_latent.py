"""The latent tools, each checked against an independent computation."""

from __future__ import annotations

import numpy as np
import pytest

import sigae
from conftest import signals, tiny_config
from sigae.study import latent


@pytest.fixture(scope="module")
def codes(trained, data):
    return trained.encode(data)


def test_stats_match_numpy(codes):
    result = latent.stats(codes)
    np.testing.assert_allclose(result.mean, codes.mean(axis=0, dtype="float64"), rtol=1e-6)
    np.testing.assert_allclose(result.std, codes.std(axis=0), rtol=1e-5)
    np.testing.assert_allclose(result.share, codes.var(axis=0) / codes.var(axis=0).sum(),
                               rtol=1e-5)
    np.testing.assert_allclose(result.correlation, np.corrcoef(codes, rowvar=False), atol=1e-6)


def test_a_dimension_the_codes_never_use_is_inactive():
    codes = np.random.default_rng(0).normal(size=(200, 3))
    codes[:, 1] = 5.0
    assert latent.stats(codes).inactive == (1,)


def test_pca_projection_explains_what_numpys_svd_says(codes):
    points, explained = latent.project(codes)
    centered = codes - codes.mean(axis=0)
    singular = np.linalg.svd(centered, compute_uv=False)
    np.testing.assert_allclose(explained, singular[:2] ** 2 / np.sum(singular**2), rtol=1e-4)
    np.testing.assert_allclose(np.abs(points[:, 0]).std(), np.abs(centered @ np.linalg.svd(
        centered)[2][0]).std(), rtol=1e-4)


def test_umap_without_the_package_says_how_to_install_it(codes, monkeypatch):
    import builtins

    real_import = builtins.__import__
    monkeypatch.setattr(builtins, "__import__", lambda name, *a, **k: (
        (_ for _ in ()).throw(ImportError(name)) if name == "umap" else real_import(name, *a, **k)))
    with pytest.raises(sigae.ConfigError, match=r"pip install 'sigae\[umap\]'"):
        latent.project(codes, "umap")


def test_traversal_moves_only_the_chosen_dimension(trained, codes):
    base = codes[0]
    moved, decoded = latent.traverse(trained, base, [1, 3], steps=5, span=2.0)
    assert moved.shape == (2, 5, 4)
    assert decoded.shape == (2, 5, 48, 1)
    for i, dim in enumerate([1, 3]):
        others = np.delete(moved[i], dim, axis=1)
        np.testing.assert_array_equal(others, np.repeat(np.delete(base, dim)[None], 5, 0))
        std = np.sqrt(trained.calibration.gaussian.covariances[0][dim, dim])
        np.testing.assert_allclose(moved[i, :, dim], base[dim] + np.linspace(-2, 2, 5) * std,
                                   rtol=1e-6)
    np.testing.assert_allclose(decoded[0, 2], trained.decode(base[None])[0], atol=1e-5)


@pytest.mark.parametrize("method", ["linear", "slerp"])
def test_interpolation_ends_decode_to_the_reconstructions_of_the_ends(trained, data, codes,
                                                                      method):
    path, decoded = latent.interpolate(trained, codes[3], codes[7], steps=6, method=method)
    np.testing.assert_array_equal(path[0], codes[3].astype("float64"))
    np.testing.assert_array_equal(path[-1], codes[7].astype("float64"))
    ends = trained.reconstruct(data[[3, 7]])
    np.testing.assert_allclose(decoded[[0, -1]], ends, atol=1e-4)
    if method == "slerp":
        norms = np.linalg.norm(path, axis=1)
        np.testing.assert_allclose(norms, np.linspace(norms[0], norms[-1], 6), rtol=1e-6)


def test_neighbors_equal_a_brute_force_search(codes):
    from scipy.spatial.distance import cdist

    indices, distances = latent.neighbors(codes, 5, k=4)
    all_distances = cdist(codes[5:6], codes)[0]
    all_distances[5] = np.inf
    np.testing.assert_array_equal(indices, np.argsort(all_distances, kind="stable")[:4])
    np.testing.assert_allclose(distances, np.sort(all_distances)[:4], rtol=1e-5)


@pytest.mark.parametrize("sampler", ["gaussian", "gmm"])
def test_generated_codes_follow_the_fitted_density(trained, sampler):
    density = getattr(trained.calibration, sampler)
    samples = latent.generate(trained, 20_000, sampler=sampler, seed=0)
    expected_mean = density.weights @ density.means
    spread = np.sqrt(np.diag(density.covariances[0]))
    np.testing.assert_allclose(samples.codes.mean(axis=0), expected_mean, atol=0.05 * spread.max())
    if sampler == "gaussian":
        np.testing.assert_allclose(np.cov(samples.codes, rowvar=False), density.covariances[0],
                                   atol=0.05 * density.covariances[0].max())
    assert samples.signals.shape == (20_000, 48, 1)
    assert samples.outside.mean() < 0.15


def test_the_outside_floor_leaves_one_percent_of_training_codes_below_it():
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    x = signals(500, seed=12)
    model.fit(x, epochs=1, batch_size=50, seed=0, verbose=0, validation_split=0.0)
    codes = model.encode(x).astype("float64")
    for density in (model.calibration.gaussian, model.calibration.gmm):
        below = (density.log_density(codes) < density.floor).mean()
        assert 0.005 <= below <= 0.015


def test_codes_far_from_the_training_codes_are_flagged(trained):
    gaussian = trained.calibration.gaussian
    far = gaussian.means + 50 * np.sqrt(np.diag(gaussian.covariances[0]))
    assert gaussian.log_density(far)[0] < gaussian.floor
    assert gaussian.log_density(gaussian.means)[0] > gaussian.floor


def test_the_prior_is_for_variational_models_only(trained):
    with pytest.raises(sigae.ConfigError, match=r"this model is not variational"):
        latent.generate(trained, 3, sampler="prior")


def test_the_densities_are_fitted_when_first_needed_with_the_figures_fitted_at_once():
    from sigae.stats.calibration import calibrate
    from sigae.training.split import split

    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    x = signals(300, seed=13)
    model.fit(x, epochs=2, seed=0, verbose=0)
    calibration = model.calibration
    assert calibration.fitted_gaussian is None  # fit left them for later
    assert calibration.fitted_gmm is None
    assert calibration.codes is None
    # The error quantiles are taken at once: score needs nothing more.
    assert latent.score(model, x).threshold == calibration.threshold(99.0)
    assert calibration.fitted_gaussian is None
    training = split(x, 0.2, seed=0)[0]  # fit's own split
    eager = calibrate(model.encode(training), np.zeros(1), seed=0)
    for lazy_density, eager_density in ((calibration.gaussian, eager.gaussian),
                                        (calibration.gmm, eager.gmm)):
        np.testing.assert_array_equal(lazy_density.means, eager_density.means)
        np.testing.assert_array_equal(lazy_density.covariances, eager_density.covariances)
        assert lazy_density.floor == eager_density.floor
    assert calibration.codes_of is None  # computed once, then kept


def test_calibration_survives_saving(trained, model_file):
    again = sigae.load(model_file)
    np.testing.assert_array_equal(again.calibration.error_quantiles,
                                  trained.calibration.error_quantiles)
    np.testing.assert_array_equal(again.calibration.gmm.means, trained.calibration.gmm.means)


def inject(x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Half of `x` damaged by a spike, a dropout or a frequency jump; returns the flags."""
    x = x.copy()
    flags = np.zeros(len(x), bool)
    t = np.linspace(0.0, 1.0, x.shape[1])
    for i in range(0, len(x), 2):
        flags[i] = True
        kind = (i // 2) % 3
        if kind == 0:  # a spike
            x[i, rng.integers(5, x.shape[1] - 5), 0] += 40.0
        elif kind == 1:  # a dropout: the sensor reads its offset
            start = rng.integers(0, x.shape[1] // 2)
            x[i, start : start + x.shape[1] // 4, 0] = 30.0
        else:  # the frequency jumps to four times the highest trained one halfway
            half = x.shape[1] // 2
            x[i, half:, 0] = 30.0 + 5.0 * np.sin(2 * np.pi * 16.0 * t[half:])
    return x, flags


def test_the_calibrated_threshold_finds_injected_anomalies():
    model = sigae.SignalAutoencoder(tiny_config(linear_path=True, latent_dim=12), seed=0)
    model.fit(signals(1000, seed=10), epochs=5, batch_size=32, seed=0, verbose=0)
    clean = signals(400, seed=11)
    damaged, flags = inject(clean, np.random.default_rng(0))
    result = latent.score(model, damaged)
    recall = result.is_anomaly[flags].mean()
    false_positive_rate = result.is_anomaly[~flags].mean()
    assert recall >= 0.9, recall
    assert false_positive_rate <= 0.05, false_positive_rate
    assert result.threshold == pytest.approx(model.calibration.threshold(99.0))
    explicit = latent.score(model, damaged, threshold=0.0)
    assert explicit.is_anomaly.all()
