"""contrast="auto": the dial keeps the largest weight of the contrastive term whose held-out
reconstruction is within the tolerance of PCA's, records what each weight cost, and the
model it makes keeps every promise of the three views."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import sigae
from sigae.cli import main
from sigae.stats.pca import Comparison
from sigae.training import dial
from sigae.training.records import Learned


def waves(n: int = 120, length: int = 48, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, length)
    x = np.sin(2 * np.pi * rng.uniform(1, 4, (n, 1)) * t + rng.uniform(0, 6, (n, 1)))
    return (x[:, :, None] + rng.normal(0, 0.1, (n, length, 1))).astype("float32")


def config(**changes) -> sigae.ModelConfig:
    return sigae.ModelConfig(length=48, latent_dim=3, blocks=(sigae.ConvBlock(4, 3, 2),),
                             contrast="auto", **changes)


@pytest.fixture
def known_ratios(monkeypatch):
    """Weights whose held-out ratio is known, judged by cross-validation (the set is
    small); records the weights judged, and the candidate trained at the end."""
    ratios = {0.01: 0.98, 0.1: 1.04, 1.0: 1.2}
    tried, final = [], []

    def cross_validated(architecture, weight, x, settings, provenance=None):
        tried.append(weight)
        return ratios[weight]

    def candidate(architecture, weight, x_train, x_val, settings, **kwargs):
        final.append(weight)
        return "views", Learned(np.zeros(1), np.ones(1), comparison=Comparison(
            data="validation", n_signals=len(x_val), latent_dim=3, nmse=ratios[weight],
            pca_nmse=1.0))

    monkeypatch.setattr(dial, "cross_validated", cross_validated)
    monkeypatch.setattr(dial, "candidate", candidate)
    return tried, final


@pytest.mark.parametrize(("tolerance", "chosen", "tried"), [
    (1.0, 0.01, [0.01, 0.1]),  # 0.1 is beyond: 1.0 is not tried
    (1.05, 0.1, [0.01, 0.1, 1.0]),
    (1.5, 1.0, [0.01, 0.1, 1.0]),
    (0.9, 0.0, [0.01]),  # none within: reconstruction alone
])
def test_the_dial_keeps_the_largest_weight_within_the_tolerance(known_ratios, tolerance,
                                                                chosen, tried):
    settings = sigae.training.TrainingConfig(tolerance=tolerance, seed=0)
    dialed = dial.choose(config(), waves(), settings)
    judged, final = known_ratios
    assert dialed.dial.chosen == chosen
    assert judged == tried
    assert final == ([] if chosen == 0.0 else [chosen])  # the winner, trained on the split
    assert dialed.dial.weights == (0.0, 0.01, 0.1, 1.0)
    assert (dialed.learned is None) == (chosen == 0.0)
    assert [r is None for r in dialed.dial.ratios[1:]] == [w not in tried for w in (0.01, 0.1, 1.0)]


def test_from_500_signals_each_weight_is_judged_on_the_fair_split_once(monkeypatch):
    trained = []

    def candidate(architecture, weight, x_train, x_val, settings, **kwargs):
        trained.append((weight, len(x_train), len(x_val)))
        return "views", Learned(np.zeros(1), np.ones(1), comparison=Comparison(
            data="validation", n_signals=len(x_val), latent_dim=3, nmse=1.0 + weight / 2,
            pca_nmse=1.0))

    monkeypatch.setattr(dial, "candidate", candidate)
    dialed = dial.choose(config(), waves(500), sigae.training.TrainingConfig(seed=0))
    assert dialed.dial.chosen == 0.0  # 0.01 is at 1.005 x PCA: beyond the default tolerance
    assert trained == [(0.01, 400, 100)]


def test_cross_validation_sums_the_folds_of_an_independent_computation():
    """Every fold's candidate and PCA, summed: with a weight whose candidate is PCA's own
    solution the ratio is about 1."""
    settings = sigae.training.TrainingConfig(seed=0, epochs=1, batch_size=16)
    ratio = dial.cross_validated(config(), 0.01, waves(60), settings)
    assert 0.5 < ratio < 2.0


def test_the_dial_needs_held_out_signals():
    with pytest.raises(sigae.ConfigError, match="validation_split above 0"):
        dial.choose(config(), waves(), sigae.training.TrainingConfig(validation_split=0.0))


@pytest.fixture(scope="module")
def dialed_model():
    model = sigae.SignalAutoencoder(config(), seed=0)
    model.fit(waves(), epochs=3, batch_size=16, seed=0, verbose=0, tolerance=3.0)
    return model


def test_a_dialed_model_is_the_chosen_candidate_with_its_record(dialed_model):
    record = dialed_model.learned.dial
    assert record.chosen == 1.0  # every weight within a tolerance of 3
    assert record.ratios[0] is None  # reconstruction alone was not fitted
    assert all(r is not None and r <= 3.0 for r in record.ratios[1:])  # cross-validated
    assert dialed_model.autoencoder.contrast.weight == 1.0
    assert any("contrast chosen by the dial: 1" in line
               for line in sigae.study.summary.summary(dialed_model))


def test_a_dialed_model_keeps_the_three_views_promises(dialed_model, tmp_path):
    x = waves(20, seed=5)
    assert np.array_equal(dialed_model.decode(dialed_model.encode(x)),
                          dialed_model.reconstruct(x))
    assert dialed_model.views.shared()
    dialed_model.save(tmp_path / "m.sigae")
    loaded = sigae.load(tmp_path / "m.sigae")
    assert loaded.learned.dial == dialed_model.learned.dial
    assert loaded.autoencoder.contrast.weight == 1.0  # it trains on with the dial's weight
    assert np.array_equal(loaded.reconstruct(x), dialed_model.reconstruct(x))
    dialed_model.export_encoder(tmp_path / "encoder.keras")
    import keras

    plain = keras.saving.load_model(tmp_path / "encoder.keras")
    np.testing.assert_allclose(plain.predict(x, verbose=0), dialed_model.encode(x),
                               rtol=1e-5, atol=1e-5)


def test_a_dial_with_nothing_within_tolerance_fits_reconstruction_alone(monkeypatch):
    monkeypatch.setattr(dial, "WEIGHTS", (0.01,))
    model = sigae.SignalAutoencoder(config(), seed=0)
    model.fit(waves(), epochs=2, batch_size=16, seed=0, verbose=0, tolerance=0.5)
    record = model.learned.dial
    assert record.chosen == 0.0
    assert record.ratios[1] > 0.5  # judged, and beyond the tolerance
    assert record.ratio == pytest.approx(model.comparison.ratio)  # measured by the fit
    assert model.autoencoder.contrast.weight == 0.0
    assert model.comparison.ratio <= 1.0


def test_old_model_files_load_and_report_no_dial(dialed_model, tmp_path):
    dialed_model.save(tmp_path / "m.sigae")
    with zipfile.ZipFile(tmp_path / "m.sigae") as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(files["manifest.json"])
    del manifest["learned"]["dial"]  # as sigae wrote it before the dial
    manifest["architecture"]["config"]["contrast"] = 0.0
    files["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(tmp_path / "old.sigae", "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    old = sigae.load(tmp_path / "old.sigae")
    assert old.learned.dial is None
    assert not any("dial" in line for line in sigae.study.summary.summary(old))


def test_the_command_line_turns_the_dial_and_info_shows_it(tmp_path, capsys):
    np.save(tmp_path / "x.npy", waves())
    code = main(["train", str(tmp_path / "x.npy"), "--out", str(tmp_path / "m.sigae"),
                 "--contrast", "auto", "--tolerance", "3", "--latent-dim", "3", "--epochs",
                 "2", "--seed", "0", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    assert "contrast chosen by the dial: 1 (the largest weight whose held-out " in out
    assert main(["info", str(tmp_path / "m.sigae")]) == 0
    assert "contrast chosen by the dial: 1" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        main(["train", str(tmp_path / "x.npy"), "--out", str(tmp_path / "n.sigae"),
              "--contrast", "lots"])
    assert refused.value.code == 2
    assert "argument --contrast: expected a number" in capsys.readouterr().err


def test_a_dialed_model_trains_on_with_its_weight_after_loading(dialed_model, tmp_path):
    dialed_model.save(tmp_path / "m.sigae")
    loaded = sigae.load(tmp_path / "m.sigae")
    epochs = loaded.history.epochs
    loaded.fit(waves(), epochs=1, batch_size=16, seed=0, verbose=0)  # no second dial
    assert loaded.history.epochs == epochs + 1
    assert loaded.learned.dial == dialed_model.learned.dial
    assert loaded.autoencoder.contrast.weight == dialed_model.learned.dial.chosen
    assert np.array_equal(loaded.decode(loaded.encode(waves(8))), loaded.reconstruct(waves(8)))
