"""The learning rate over a run (sigae.training.schedule): a warm-up and a linear decay, set
per epoch from the epoch's number alone."""

from __future__ import annotations

from itertools import pairwise

import keras
import numpy as np
import pytest

import sigae
from conftest import tiny_config
from sigae.training.schedule import rate_at, warmup_epochs


def test_a_linear_run_rises_over_its_warm_up_then_falls_towards_zero():
    rates = [rate_at("linear", 3e-3, epoch, 45) for epoch in range(45)]
    assert warmup_epochs(45) == 3
    assert rates[:4] == pytest.approx([0.75e-3, 1.5e-3, 2.25e-3, 3e-3 * (1 - 0.5 / 42)])
    assert all(later < earlier for earlier, later in pairwise(rates[3:]))
    assert rates[-1] == pytest.approx(3e-3 * 0.5 / 42)  # the last epoch still learns
    assert max(rates) <= 3e-3


@pytest.mark.parametrize("epochs", [1, 2, 5, 100])
def test_every_epoch_of_any_run_has_a_positive_rate(epochs):
    rates = [rate_at("linear", 1e-3, epoch, epochs) for epoch in range(epochs + 2)]
    assert all(0 < rate <= 1e-3 for rate in rates)
    assert rates[-1] == rates[epochs - 1]  # past the end: the last epoch's


def test_a_constant_schedule_keeps_its_rate():
    assert {rate_at("constant", 2e-3, epoch, 10) for epoch in range(10)} == {2e-3}


class _Rates(keras.callbacks.Callback):
    """The optimizer's learning rate during each epoch (a user's callback runs after
    sigae's schedule)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[float] = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(float(np.asarray(self.model.optimizer.learning_rate)))


@pytest.mark.parametrize("schedule", ["linear", "constant"])
def test_fit_trains_each_epoch_at_its_scheduled_rate(data, schedule):
    rates = _Rates()
    model = sigae.SignalAutoencoder(tiny_config(latent_dim=3), seed=0)
    model.fit(data, epochs=6, batch_size=16, seed=0, verbose=0, patience=None,
              learning_rate=0.01, schedule=schedule, callbacks=[rates])
    expected = [rate_at(schedule, 0.01, epoch, 6) for epoch in range(6)]
    assert rates.seen == pytest.approx(expected, rel=1e-6)


def test_an_unknown_schedule_is_refused(data):
    model = sigae.SignalAutoencoder(tiny_config(latent_dim=3), seed=0)
    with pytest.raises(sigae.ConfigError, match=r"schedule must be one of .*'linear'.* "
                       r"Received schedule='cosine'"):
        model.fit(data, epochs=1, schedule="cosine", verbose=0)
