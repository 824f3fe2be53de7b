"""The learning rate over a run (sigae.training.schedule): a warm-up, a hold while the loss
improves, a linear decay; set per epoch from the epoch's number and the losses before it."""

from __future__ import annotations

from itertools import pairwise

import keras
import numpy as np
import pytest

import sigae
from conftest import tiny_config
from sigae.training.schedule import decay, rate_at, warmup_epochs


def test_a_linear_run_rises_over_its_warm_up_then_falls_towards_zero():
    rates = [rate_at("linear", 3e-3, epoch, 45) for epoch in range(45)]
    assert warmup_epochs(45) == 3
    assert rates[:4] == pytest.approx([0.75e-3, 1.5e-3, 2.25e-3, 3e-3 * (1 - 0.5 / 42)])
    assert all(later < earlier for earlier, later in pairwise(rates[3:]))
    assert rates[-1] == pytest.approx(3e-3 * 0.5 / 42)  # the last epoch still learns
    assert max(rates) <= 3e-3


@pytest.mark.parametrize("schedule", ["linear", "plateau"])
@pytest.mark.parametrize("epochs", [1, 2, 5, 100])
def test_every_epoch_of_any_run_has_a_positive_rate(epochs, schedule):
    losses = list(np.linspace(1.0, 0.5, epochs))  # always improving: decays by the end
    rates = [rate_at(schedule, 1e-3, epoch, epochs, losses) for epoch in range(epochs)]
    assert all(0 < rate <= 1e-3 for rate in rates)
    if epochs >= 5:
        assert rates[-1] < rates[-2]


def test_a_plateau_run_holds_while_the_loss_improves_then_decays_over_a_share_of_it():
    improving = [1.0 / (epoch + 1) for epoch in range(30)]
    assert decay(improving, 100) is None
    assert [rate_at("plateau", 3e-3, epoch, 100, improving) for epoch in range(3, 30)] == [
        3e-3] * 27
    level = [*improving, *[improving[-1]] * 5]  # five epochs without a gain of 0.1%
    assert decay(level, 100) == (35, 14)  # 40% of 35 epochs
    assert decay(level[:-1], 100) is None
    assert rate_at("plateau", 3e-3, 35, 100, level) == pytest.approx(3e-3 * (1 - 0.5 / 14))


def test_a_plateau_run_that_keeps_improving_decays_in_time_to_end_by_its_last_epoch():
    improving = [1.0 / (epoch + 1) for epoch in range(100)]
    start, length = decay(improving, 100)
    assert start + length == 100
    assert decay(improving, 20) == (10, 10)  # at least 10 epochs of decay


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


@pytest.mark.parametrize(("schedule", "epochs"), [("linear", 6), ("constant", 6),
                                                ("plateau", 60)])
def test_fit_trains_each_epoch_at_its_scheduled_rate(data, schedule, epochs):
    rates = _Rates()
    model = sigae.SignalAutoencoder(tiny_config(latent_dim=3), seed=0)
    model.fit(data, epochs=epochs, batch_size=16, seed=0, verbose=0, patience=None,
              learning_rate=0.01, schedule=schedule, callbacks=[rates])
    losses = model.history.val_loss
    expected = [rate_at(schedule, 0.01, epoch, epochs, losses[:epoch])
                for epoch in range(len(rates.seen))]
    assert rates.seen == pytest.approx(expected, rel=1e-6)
    if schedule == "plateau":  # training ended with its decay
        start, length = decay(losses, epochs)
        assert model.history.epochs == start + length < epochs


def test_an_unknown_schedule_is_refused(data):
    model = sigae.SignalAutoencoder(tiny_config(latent_dim=3), seed=0)
    with pytest.raises(sigae.ConfigError, match=r"schedule must be one of .*'linear'.* "
                       r"Received schedule='cosine'"):
        model.fit(data, epochs=1, schedule="cosine", verbose=0)
