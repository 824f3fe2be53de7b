"""The dial's frontier: each weight's test reconstruction over PCA's and the probe's scores
of its codes, equal to what a separate training and probe of that model give."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import sigae
from sigae.cli import main
from sigae.study.frontier import frontier
from sigae.study.probe import held_out, probe
from sigae.training import dial

SETTINGS = sigae.training.TrainingConfig(seed=0, augment="none", epochs=2, batch_size=16)


def labelled(n: int = 80, length: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Two classes: slow and fast waves, random phases, noisy."""
    rng = np.random.default_rng(2)
    labels = np.arange(n) % 2
    t = np.linspace(0, 1, length)
    frequency = np.where(labels == 0, 2.0, 5.0)[:, None] + rng.normal(0, 0.2, (n, 1))
    x = np.sin(2 * np.pi * frequency * t + rng.uniform(0, 6, (n, 1)))
    return (x[:, :, None] + rng.normal(0, 0.2, (n, length, 1))).astype("float32"), labels


CONFIG = sigae.ModelConfig(length=48, latent_dim=3, blocks=(sigae.ConvBlock(4, 3, 2),))


@pytest.fixture(scope="module")
def traded():
    x, labels = labelled()
    return frontier(CONFIG, x, labels, weights=(0.0, 0.3), seed=0, settings=SETTINGS)


def test_the_frontier_has_a_point_per_weight_and_pca_beside(traded):
    assert [p.weight for p in traded.points] == [0.0, 0.3]
    assert traded.n_train == 56
    assert traded.n_test == 24
    assert traded.points[0].ratio <= 1.0 + 1e-6  # reconstruction alone: never worse than PCA
    lines = traded.lines()
    assert lines[1].split() == ["contrast", "recon.", "/", "PCA", "SVM", "1-NN", "ARI"]
    assert lines[-1].split()[:2] == ["PCA", "1.000"]


def test_each_point_equals_a_separate_training_and_probe_of_that_model(traded, monkeypatch):
    x, labels = labelled()
    x_train, y_train, x_test, y_test, _ = held_out(CONFIG, x, labels, None, None, 0.3, 0)
    alone = sigae.SignalAutoencoder(CONFIG, seed=0)
    alone.fit(x_train, config=SETTINGS, verbose=0)
    monkeypatch.setattr(dial, "WEIGHTS", (0.3,))
    dialed = sigae.SignalAutoencoder(dataclasses.replace(CONFIG, contrast="auto"), seed=0)
    dialed.fit(x_train, config=dataclasses.replace(SETTINGS, tolerance=100.0), verbose=0)
    assert dialed.learned.dial.chosen == 0.3
    for point, model in zip(traded.points, (alone, dialed), strict=True):
        separate = probe(model, x_train, y_train, test=x_test, test_labels=y_test, seed=0)
        assert point.scores == separate.model
        assert traded.pca == separate.pca
        mean, std = model.normalization
        units = (x_test - mean) / std
        train_units = ((x_train - mean) / std).reshape(len(x_train), -1)
        centre = train_units.mean(axis=0)
        _, _, axes = np.linalg.svd(train_units - centre, full_matrices=False)
        flat = units.reshape(len(units), -1)
        pca = np.mean(np.square((flat - centre) @ axes[:3].T @ axes[:3] + centre - flat))
        own = np.mean(np.square((model.reconstruct(x_test) - mean) / std - units))
        assert point.ratio == pytest.approx(own / pca, rel=1e-3)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """x.npy, labels.npy and a model m.sigae fitted on them, in one folder."""
    folder = tmp_path_factory.mktemp("frontier")
    x, labels = labelled()
    np.save(folder / "x.npy", x)
    np.save(folder / "labels.npy", labels)
    model = sigae.SignalAutoencoder(CONFIG, seed=0)
    model.fit(x, config=SETTINGS, verbose=0)
    model.save(folder / "m.sigae")
    return folder


def test_the_probe_command_shows_and_writes_the_frontier(files, tmp_path, capsys):
    code = main(["latent", "probe", str(files / "m.sigae"), str(files / "x.npy"),
                 "--labels", str(files / "labels.npy"), "--out", str(tmp_path / "out"),
                 "--frontier"])
    out = capsys.readouterr().out
    assert code == 0
    assert "the dial's frontier: 56 training and 24 test signals" in out
    written = json.loads((tmp_path / "out" / "probe.json").read_text())
    assert [p["weight"] for p in written["frontier"]["points"]] == [0.0, 0.01, 0.1, 1.0]
    assert (tmp_path / "out" / "frontier.png").stat().st_size > 1000


def test_the_report_shows_the_frontier_with_labels(files, tmp_path, capsys):
    assert main(["report", str(files / "m.sigae"), str(files / "x.npy"), "--labels",
                 str(files / "labels.npy"), "--frontier", "--out",
                 str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text()
    assert '<section id="frontier-of-the-dial"><h2>Frontier of the dial</h2>' in page
    assert "the dial&#x27;s frontier: 56 training and 24 test signals" in page
    assert main(["report", str(files / "m.sigae"), str(files / "x.npy"), "--frontier",
                 "--out", str(tmp_path / "s.html")]) == 2
    assert "--frontier measures the codes with labels" in capsys.readouterr().err
