"""The embedded dataset."""

from __future__ import annotations

import numpy as np
import pytest

import sigae


def test_default_split_is_the_questions_1500_and_500():
    train, test = sigae.datasets.oscillations()
    assert train.shape == (1500, 501, 1)
    assert test.shape == (500, 501, 1)
    assert train.dtype == np.float32


def test_same_seed_same_signals_other_seed_other_signals():
    a, b = sigae.datasets.oscillations(40, 64, seed=1), sigae.datasets.oscillations(40, 64, seed=1)
    c = sigae.datasets.oscillations(40, 64, seed=2)
    assert np.array_equal(a.train, b.train)
    assert not np.array_equal(a.train, c.train)


def test_signals_are_damped_oscillations():
    train, _ = sigae.datasets.oscillations(400, 501)
    early, late = np.abs(train[:, :50]).mean(), np.abs(train[:, -50:]).mean()
    assert late < 0.6 * early  # decaying
    crossings = np.mean(np.sum(np.diff(np.sign(train[:, :, 0] - 0), axis=1) != 0, axis=1))
    assert crossings > 4  # oscillating


def test_too_few_signals_are_refused():
    with pytest.raises(sigae.ConfigError, match=r"n_signals must be an integer >= 4"):
        sigae.datasets.oscillations(n_signals=3)
