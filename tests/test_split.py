"""The validation split is fair: a seeded random draw that ignores the file's order, whole
recordings for windows, and PCA that never sees the validation signals."""

from __future__ import annotations

import numpy as np
import pytest

import sigae
from sigae.errors import DataError
from sigae.io.arrays import Padded
from sigae.training import start as start_module
from sigae.training.split import Provenance, draw, split


def test_a_file_sorted_by_class_gives_every_class_to_validation():
    classes = np.repeat(np.arange(5), 40)  # 200 signals sorted by class, as archive files are
    x = classes[:, None, None] + np.zeros((200, 16, 1), "float32")
    train, val = split(x, 0.2, seed=3)
    assert len(val) == 40
    assert len(train) == 160
    assert set(np.unique(val[:, 0, 0])) == set(range(5))
    # Keras' validation_split would have held out the last class alone
    assert set(np.unique(x[-40:, 0, 0])) == {4}


def test_the_split_is_seeded_and_keeps_the_data_order():
    x = np.arange(100, dtype="float32")[:, None, None] * np.ones((1, 4, 1), "float32")
    first, again, other = (split(x, 0.3, seed=s) for s in (1, 1, 2))
    assert np.array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])
    for train, val in (first, other):
        assert np.all(np.diff(train[:, 0, 0]) > 0)
        assert np.all(np.diff(val[:, 0, 0]) > 0)
        assert sorted(np.concatenate([train, val])[:, 0, 0]) == list(range(100))
    # without a seed the split is still the same in every run
    assert np.array_equal(split(x, 0.3)[1], split(x, 0.3, seed=None)[1])


def test_windows_are_split_by_whole_recordings():
    row = np.repeat(np.arange(10), 12)  # 10 recordings, 12 overlapping windows each
    start = np.tile(np.arange(12) * 8, 10)
    train, val = draw(120, 24, np.random.default_rng(0), Provenance(row, start, 16))
    assert len(val) == 24
    assert not set(row[train]) & set(row[val])
    assert len(train) == 96


def test_windows_of_one_recording_are_split_in_blocks_without_overlap():
    n, length, hop = 200, 32, 8
    row, start = np.zeros(n, int), np.arange(n) * hop
    train, val = draw(n, 40, np.random.default_rng(0), Provenance(row, start, length))
    assert len(val) == 40
    for i in train:  # no training window shares a sample with a validation window
        assert np.all(np.abs(start[val] - start[i]) >= length)
    assert 100 < len(train) < 160  # a few windows at each block's edges are left out
    blocks = np.count_nonzero(np.diff(val) > 1) + 1
    assert blocks <= 5


def test_padded_signals_keep_their_lengths_through_the_split():
    x = Padded(np.arange(50, dtype="float32")[:, None, None] * np.ones((1, 8, 1), "float32"),
               np.arange(50) % 8 + 1)
    _, val = split(x, 0.2, seed=0)
    assert isinstance(val, Padded)
    assert np.array_equal(val.lengths, np.asarray(val[:][:, 0, 0], int) % 8 + 1)


def test_a_split_that_leaves_no_signals_on_one_side_is_refused():
    with pytest.raises(DataError, match="leaves no signals for validation out of 2"):
        split(np.zeros((2, 8, 1)), 0.2)


def test_pca_of_the_start_and_of_the_comparison_never_sees_the_validation_signals(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 32, 1)).astype("float32")
    _, val = split(x, 0.2, seed=0)
    is_val = np.isin(x[:, 0, 0], val[:, 0, 0])
    planted = x.copy()
    planted[np.flatnonzero(is_val)[0]] += 1000 * np.sin(np.linspace(0, 9, 32))[:, None]
    fitted = []
    real = start_module.fit_baselines
    monkeypatch.setattr(start_module, "fit_baselines",
                        lambda *a, **k: fitted.append(real(*a, **k)) or fitted[-1])
    starts = []
    for data in (x, planted):
        model = sigae.SignalAutoencoder(sigae.ModelConfig(length=32, latent_dim=3), seed=0)
        model.fit(data, epochs=1, batch_size=16, augment="none", seed=0, verbose=0)
        starts.append(fitted[0].normalized[0])  # the start's PCA, also the comparison's
        fitted.clear()
    assert np.array_equal(*starts)
