"""The codes as a representation: the probe that measures them, and the contrastive term."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC

import sigae
from conftest import signals, tiny_config
from sigae.architecture.build import build
from sigae.architecture.contrast import Contrast
from sigae.cli import main
from sigae.errors import DataError
from sigae.study.probe import C_GRID, probe, score_codes


def blobs(n: int, classes: int = 3, spread: float = 1.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    centers = rng.normal(0, 3, (classes, 5))
    return centers[labels] + rng.normal(0, spread, (n, 5)), labels


# -- the probe ------------------------------------------------------------------------------


def test_the_svm_protocol_matches_an_independent_scikit_learn_computation():
    train, y_train = blobs(120, spread=2.0)
    test, y_test = blobs(90, spread=2.0, seed=1)
    search = GridSearchCV(SVC(gamma="scale"), {"C": [1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, 1e3,
                                                     1e4, np.inf]}, cv=5).fit(train, y_train)
    scores = score_codes(train, y_train, test, y_test)
    assert scores.svm_c == search.best_params_["C"]
    assert scores.svm == search.best_estimator_.score(test, y_test)
    nearest = KNeighborsClassifier(1).fit(train, y_train).score(test, y_test)
    assert scores.nearest == nearest
    clusters = KMeans(3, n_init=10, random_state=0).fit(test).labels_
    assert scores.clusters == adjusted_rand_score(y_test, clusters)


@pytest.mark.parametrize("n", [30, 40])  # under 50 signals, or under 5 per class
def test_small_training_sets_use_a_hard_margin(n):
    train, y_train = blobs(n, classes=3 if n == 30 else 10)
    test, y_test = blobs(30, classes=3 if n == 30 else 10, seed=1)
    scores = score_codes(train, y_train, test, y_test)
    assert scores.svm_c == np.inf
    assert scores.svm == SVC(C=np.inf, gamma="scale").fit(train, y_train).score(test, y_test)


def test_a_hard_margin_that_cannot_be_found_gives_way_to_the_largest_finite_c():
    train, y_train = blobs(30)
    train = np.concatenate([train, train[:3]])  # the same codes under other labels
    y_train = np.concatenate([y_train, (y_train[:3] + 1) % 3])
    scores = score_codes(train, y_train, *blobs(30, seed=1))
    assert scores.svm_c == C_GRID[-2]


def test_the_probe_scores_the_models_codes_beside_pca_codes_of_the_same_size(trained):
    x = signals(90, seed=5)
    labels = (x[:, :8, 0].mean(axis=1) > np.median(x[:, :8, 0].mean(axis=1))).astype(int)
    result = probe(trained, x, labels, test=signals(60, seed=6), test_labels=np.arange(60) % 2)
    assert (result.n_train, result.n_test, result.n_classes) == (90, 60, 2)
    mean, std = trained.normalization
    from sigae.stats.pca import fit_pca

    components, center = fit_pca((x - mean) / std, trained.config.latent_dim, seed=0)
    codes = ((x - mean) / std).reshape(90, -1) @ components.T - center @ components.T
    test = ((signals(60, seed=6) - mean) / std).reshape(60, -1) @ components.T
    expected = score_codes(codes, labels, test - center @ components.T, np.arange(60) % 2)
    assert result.pca.svm == pytest.approx(expected.svm)
    assert result.model == score_codes(trained.encode(x), labels,
                                       trained.encode(signals(60, seed=6)), np.arange(60) % 2)


def test_without_test_signals_a_stratified_share_is_held_out(trained):
    x, labels = signals(100, seed=7), np.arange(100) % 4
    result = probe(trained, x, labels)
    assert (result.n_train, result.n_test) == (70, 30)
    assert "stratified" in result.held_out


@pytest.mark.parametrize(("labels", "message"), [
    (np.arange(60) * 0.5, "needs classes"),
    (np.arange(59) % 2, "one per signal: 60 signals, received 59"),
    (np.r_[np.zeros(59), 1], "at least 2 signals"),
])
def test_labels_that_cannot_be_probed_are_refused(trained, labels, message):
    with pytest.raises(DataError, match=message):
        probe(trained, signals(60), labels)


def test_sigae_latent_probe_prints_and_writes_the_scores(model_file, tmp_path, capsys):
    x = signals(80, seed=8)
    np.save(tmp_path / "x.npy", x)
    labels = np.where(x[:, :, 0].std(axis=1) > np.median(x[:, :, 0].std(axis=1)), "a", "b")
    (tmp_path / "labels.csv").write_text("kind\n" + "\n".join(labels) + "\n")
    assert main(["latent", "probe", str(model_file), str(tmp_path / "x.npy"), "--labels",
                 str(tmp_path / "labels.csv"), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "2 classes; 56 training and 24 test signals" in out
    assert out.splitlines()[2].startswith("model ")
    assert out.splitlines()[3].startswith("PCA ")
    written = json.loads((tmp_path / "out" / "probe.json").read_text())
    assert set(written["model"]) == {"svm", "svm_c", "nearest", "clusters"}


def test_sigae_latent_probe_with_labels_of_another_length_says_so_in_one_line(
        model_file, tmp_path, capsys):
    np.save(tmp_path / "x.npy", signals(20))
    np.save(tmp_path / "labels.npy", np.arange(19) % 2)
    assert main(["latent", "probe", str(model_file), str(tmp_path / "x.npy"), "--labels",
                 str(tmp_path / "labels.npy"), "--out", str(tmp_path / "out")]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "labels.npy: holds labels of shape (19,); give one label per signal, shape (20,)" \
        in err


def test_the_explorer_shows_the_probe_when_labels_are_given(trained):
    from sigae.explore.session import ExploreSession
    from sigae.io import Signals

    x = Signals.of(signals(60, seed=9))
    assert ExploreSession(trained, x, projection="pca").info()["probe"] is None
    lines = ExploreSession(trained, x, labels=np.arange(60) % 3, projection="pca").info()["probe"]
    assert lines[0].startswith("3 classes")
    assert lines[2].startswith("model")
    continuous = ExploreSession(trained, x, labels=np.linspace(0, 1, 60), projection="pca").info()["probe"]
    assert continuous[0].startswith("The probe cannot run: The probe needs classes")


# -- the contrastive term -------------------------------------------------------------------


def test_the_contrastive_term_is_the_infonce_loss_of_the_two_views_codes():
    contrast = Contrast(0.5, temperature=0.2, shift=0, scale=0, mask=0, noise=0)
    codes = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
    loss = float(keras.ops.convert_to_numpy(contrast.loss(lambda v: v[:, :, 0], codes[:, :, None])))
    unit = codes / np.linalg.norm(codes, axis=1, keepdims=True)
    both = np.concatenate([unit, unit])
    logits = both @ both.T / 0.2
    np.fill_diagonal(logits, -np.inf)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    partner = np.r_[np.arange(6) + 6, np.arange(6)]
    assert loss == pytest.approx(-0.5 * log_p[np.arange(12), partner].mean(), rel=1e-5)


def test_the_views_move_shift_scale_mask_and_noise_within_their_bounds():
    x = np.tile(np.linspace(-1, 1, 40, dtype="float32")[None, :, None], (64, 1, 1))
    shifted = keras.ops.convert_to_numpy(Contrast(1, shift=0.1, scale=0, mask=0, noise=0,
                                                  seed=0).view(x))
    moves = np.round((shifted[:, 20, 0] - x[:, 20, 0]) / (2 / 39)).astype(int)
    assert moves.min() >= -4
    assert moves.max() <= 4
    assert len(set(moves)) > 3
    masked = keras.ops.convert_to_numpy(Contrast(1, shift=0, scale=0, mask=0.25, noise=0,
                                                 seed=0).view(x))
    assert 0.15 < np.mean(masked == 0) < 0.35


@pytest.fixture(scope="module")
def contrastive():
    """A tiny model trained with the contrastive term, and its data."""
    x = signals(64, seed=11)
    model = sigae.SignalAutoencoder(tiny_config(contrast=1.0))
    model.fit(x, epochs=2, batch_size=16, seed=0, verbose=0, augment="none")
    return model, x


def test_the_contrastive_term_trains_the_weights_and_is_seeded(contrastive):
    model, x = contrastive
    again = sigae.SignalAutoencoder(tiny_config(contrast=1.0))
    again.fit(x, epochs=2, batch_size=16, seed=0, verbose=0, augment="none")
    plain = sigae.SignalAutoencoder(tiny_config())
    plain.fit(x, epochs=2, batch_size=16, seed=0, verbose=0, augment="none")
    weights = model.autoencoder.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(weights, again.autoencoder.get_weights(),
                                                    strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(weights, plain.autoencoder.get_weights(),
                                                        strict=True))
    assert model.history.best_epoch is not None  # training moved the weights


def test_the_contrastive_term_adds_no_weights_and_keeps_one_set_of_them(contrastive):
    model, x = contrastive
    assert model.views.shared()
    assert len(model.autoencoder.weights) == len(build(tiny_config()).autoencoder.weights)
    assert np.array_equal(model.decode(model.encode(x)), model.reconstruct(x))


def test_a_contrastive_model_survives_saving_loading_and_export(contrastive, tmp_path):
    model, x = contrastive
    model.save(tmp_path / "m.sigae")
    loaded = sigae.load(tmp_path / "m.sigae")
    assert loaded.config.contrast == 1.0
    assert "contrastive (weight 1)" in loaded.config.describe()
    assert np.array_equal(loaded.encode(x), model.encode(x))
    assert np.array_equal(loaded.reconstruct(x), model.reconstruct(x))
    model.export_encoder(tmp_path / "encoder.keras")
    exported = keras.saving.load_model(tmp_path / "encoder.keras", compile=False)
    np.testing.assert_allclose(exported.predict(x, verbose=0), model.encode(x), rtol=1e-5,
                               atol=1e-6)


def test_a_contrastive_run_stopped_and_resumed_ends_with_the_same_weights(tmp_path):
    x = signals(64, seed=12)
    settings = {"epochs": 3, "batch_size": 16, "seed": 0, "verbose": 0, "augment": "none",
                "patience": None}
    whole = sigae.SignalAutoencoder(tiny_config(contrast=1.0))
    whole.fit(x, **settings)

    class StopAfterOneEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                stop.request("test")

    stop = sigae.training.StopRequest()
    first = sigae.SignalAutoencoder(tiny_config(contrast=1.0))
    first.fit(x, **settings, checkpoint=tmp_path / "run.checkpoint", stop=stop,
              callbacks=[StopAfterOneEpoch()])
    assert first.history.interrupted
    assert (tmp_path / "run.checkpoint").exists()
    resumed = sigae.SignalAutoencoder(tiny_config(contrast=1.0))
    resumed.fit(x, **settings, checkpoint=tmp_path / "run.checkpoint")
    for a, b in zip(resumed.autoencoder.get_weights(), whole.autoencoder.get_weights(),
                    strict=True):
        np.testing.assert_array_equal(a, b)
