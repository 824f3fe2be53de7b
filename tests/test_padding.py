"""`lengths="pad"`: recordings padded to one length with a mask that every loss, statistic and
error obeys, so that what the padding holds changes nothing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import sigae
from conftest import tiny_config
from sigae.cli import main
from sigae.data.streaming import Batches
from sigae.errors import ConfigError, DataError
from sigae.io import Signals, load_signals, read_collection, recordings
from sigae.io.arrays import Padded
from sigae.stats.metrics import signal_errors
from sigae.study.latent import score

ARCHIVE = Path(__file__).parent / "data" / "archive"


def unequal(n: int = 60, seed: int = 0) -> list[np.ndarray]:
    """Noisy sine waves of 36 to 48 samples, far from (0, 1) in level and scale."""
    rng = np.random.default_rng(seed)
    return [30 + 5 * np.sin(np.linspace(0, rng.uniform(3, 9), size) + rng.uniform(0, 6))
            + rng.normal(0, 0.1, size) for size in rng.integers(36, 49, n)]


@pytest.fixture(scope="module")
def padded() -> Signals:
    return recordings(unequal(), lengths="pad")


def with_padding(signals: Signals, value: float) -> Signals:
    """The same padded signals with `value` stored in every padded sample."""
    data = np.array(signals.data)
    data[np.arange(signals.shape[1]) >= signals.lengths[:, None]] = value
    return dataclasses.replace(signals, data=data)


def test_recordings_are_padded_to_the_longest_and_cropped_back_exactly(padded):
    series = unequal()
    assert padded.shape == (60, 48, 1)
    assert padded.padded
    assert padded.lengths.tolist() == [len(r) for r in series]
    assert padded.note.startswith("padded 60 recordings of 36 to 48 samples to 48 samples "
                                  "(the longest)")
    assert "masked out of the loss" in padded.note
    for own, back in zip(series, padded.restore(np.asarray(padded.data)), strict=True):
        np.testing.assert_array_equal(back[:, 0], own.astype("float32"))


def test_a_model_sees_each_recording_with_its_last_sample_held_not_the_padding(padded):
    held = Padded(np.asarray(with_padding(padded, np.nan).data), padded.lengths)
    block = held[:]
    assert np.isfinite(block).all()
    i = int(np.argmin(padded.lengths))
    assert (block[i, padded.lengths[i]:] == block[i, padded.lengths[i] - 1]).all()
    np.testing.assert_array_equal(block, np.asarray(padded.data))


def test_a_recording_longer_than_the_models_length_cannot_be_padded_and_says_what_to_do():
    with pytest.raises(DataError, match=r"recording .* has 48 samples, more than the model's "
                       r"length of 40.*--lengths resample"):
        recordings(unequal(), lengths="pad", length=40)
    assert recordings(unequal(), lengths="pad", length=64).shape == (60, 64, 1)


def test_the_loss_is_each_signals_mse_over_its_own_samples(padded):
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    model.fit(padded, epochs=1, seed=0, verbose=0)
    x = sigae.data.checks.check_signals(padded, model.config)
    batch, target, weights = Batches(x, 16, seed=0)[0]
    assert weights.shape == (16, 48)
    prediction = model.autoencoder(batch)
    loss = float(model.autoencoder.compute_loss(batch, target, prediction, weights))
    std = float(np.asarray(model.normalization[1]).reshape(-1)[0])
    mask = weights > 0
    own = [np.mean(np.square((np.asarray(prediction)[i] - batch[i]) / std)[mask[i]])
           for i in range(16)]
    assert loss == pytest.approx(float(np.mean(own)), rel=1e-5)
    everywhere = np.mean(np.square((np.asarray(prediction) - batch) / std))
    assert loss != pytest.approx(float(everywhere), rel=1e-3)  # the padding would count


def test_errors_and_statistics_count_only_the_recordings_own_samples(padded):
    x = np.asarray(padded.data)
    mask = np.arange(48) < padded.lengths[:, None]
    reconstruction = x + np.random.default_rng(0).normal(size=x.shape).astype("float32")
    mse, mae = signal_errors(reconstruction, x, 2.0, mask)
    for i in (0, 7):
        difference = (reconstruction[i, : padded.lengths[i]] - x[i, : padded.lengths[i]]) / 2
        assert mse[i] == pytest.approx(np.mean(difference**2))
        assert mae[i] == pytest.approx(np.mean(np.abs(difference)))
    mean, std = sigae.data.normalization.fit_normalization(Padded(x, padded.lengths), "global")
    assert mean == pytest.approx(x[mask].mean(), rel=1e-6)
    assert std == pytest.approx(x[mask].std(), rel=1e-6)


@pytest.mark.parametrize("design", ["convolutional", "linear path"])
def test_huge_padding_changes_nothing(padded, design):
    """Padding of 0, 1e6 or NaN: the same statistics, losses, comparison with PCA,
    calibration, codes and scores, to the last bit."""
    results = []
    for value in (0.0, 1e6, np.nan):
        config = tiny_config(linear_path=design == "linear path")
        model = sigae.SignalAutoencoder(config, seed=0)
        signals = with_padding(padded, value)
        history = model.fit(signals, epochs=2, batch_size=16, seed=0, verbose=0,
                            validation_split=0.4)
        results.append((model.normalization, history.loss, history.val_loss,
                        model.comparison.to_dict(), model.calibration.to_dict(),
                        model.encode(signals), score(model, signals).mse))
    for other in results[1:]:
        for first, same in zip(results[0], other, strict=True):
            if isinstance(first, dict):
                assert first == same
            else:
                np.testing.assert_array_equal(np.asarray(first, dtype=object).tolist(),
                                              np.asarray(same, dtype=object).tolist())
    assert model.learned.length_policy == "pad"


def test_padded_signals_train_without_augmentation_or_the_small_data_choice(padded):
    model = sigae.SignalAutoencoder(tiny_config(linear_path=True), seed=0)
    with pytest.raises(ConfigError, match="Augmentation moves samples across the padding"):
        model.fit(padded, epochs=1, augment="shift", verbose=0)
    model.fit(padded, seed=0, verbose=0, epochs=1)
    assert model.learned.choice is None


def test_a_large_ts_file_is_padded_as_its_rows_are_read(monkeypatch):
    import sigae.io.archive

    path = ARCHIVE / "PickupGestureWiimoteZ_TRAIN.ts"
    whole = load_signals(path, lengths="pad")
    monkeypatch.setattr(sigae.io.archive, "LAZY_BYTES", 0)
    lazy = load_signals(path, lengths="pad")
    assert lazy.lazy
    assert lazy.padded
    assert lazy.shape == whole.shape == (50, 361, 1)
    np.testing.assert_array_equal(np.asarray(lazy.data), np.asarray(whole.data))
    np.testing.assert_array_equal(lazy.lengths, whole.lengths)


def test_train_with_pad_then_every_command_pads_as_the_model_was_trained(tmp_path, capsys):
    data = ARCHIVE / "PickupGestureWiimoteZ_TRAIN.ts"
    model = tmp_path / "m.sigae"
    assert main(["train", str(data), "--out", str(model), "--lengths", "pad", "--epochs", "1",
                 "--latent-dim", "3", "--augment", "none", "--seed", "0", "--quiet",
                 "--validation-split", "0.4"]) == 0  # 20 validation signals: a threshold
    assert "padded 50 recordings of 29 to 361 samples to 361 samples (the longest)" \
        in capsys.readouterr().out
    assert main(["info", str(model)]) == 0
    assert "padded to the model's length (361 samples), the padding masked" \
        in capsys.readouterr().out
    assert main(["encode", str(model), str(data), "--out", str(tmp_path / "codes.npy")]) == 0
    assert "padded 50 recordings" in capsys.readouterr().out  # the model's policy
    assert np.load(tmp_path / "codes.npy").shape == (50, 3)
    assert main(["reconstruct", str(model), str(data), "--out", str(tmp_path / "r.npz")]) == 0
    with np.load(tmp_path / "r.npz") as restored:
        own = read_collection(data).series
        assert [restored[f"recording_{i}"].shape for i in range(50)] == [r.shape for r in own]
    assert main(["score", str(model), str(data), "--out", str(tmp_path / "s.csv")]) == 0
    scores = np.genfromtxt(tmp_path / "s.csv", delimiter=",", names=True)["mse"]
    signals = load_signals(data, lengths="pad", length=361)
    np.testing.assert_allclose(scores, score(sigae.load(model), signals).mse, rtol=1e-6)
    assert not np.allclose(scores, score(sigae.load(model), signals.data).mse, rtol=1e-3)
    assert main(["report", str(model), str(data), "--out", str(tmp_path / "r.html")]) == 0


def test_the_explorer_scores_padded_recordings_masked_and_shows_them_at_their_own_length(
        padded):
    from sigae.explore.session import ExploreSession

    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    model.fit(padded, epochs=1, seed=0, verbose=0, validation_split=0.4)
    session = ExploreSession(model, padded, projection="pca")
    np.testing.assert_array_equal(session.data.scores, score(model, padded).mse)
    i = int(np.argmin(padded.lengths))
    shown = session.signal(i)
    assert len(shown["signal"][0]) == len(shown["reconstruction"][0]) == padded.lengths[i]


def test_train_pads_to_a_given_length_so_longer_recordings_can_come_later(tmp_path, capsys):
    data = ARCHIVE / "PickupGestureWiimoteZ_TRAIN.ts"
    model = tmp_path / "m.sigae"
    assert main(["train", str(data), "--out", str(model), "--lengths", "pad", "--length",
                 "400", "--epochs", "1", "--latent-dim", "3", "--augment", "none",
                 "--quiet"]) == 0
    assert "to 400 samples (the model's length)" in capsys.readouterr().out
    assert sigae.load(model).config.length == 400
    equal = tmp_path / "x.npy"
    np.save(equal, np.zeros((20, 64), "float32"))
    assert main(["train", str(equal), "--out", str(model), "--length", "50"]) == 2
    assert "--length 50 applies to recordings of different lengths" in capsys.readouterr().err
